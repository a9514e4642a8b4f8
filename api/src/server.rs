//! Process start-up: logging, serving HTTP, graceful shutdown.

use std::net::SocketAddr;

use tokio::sync::watch;

use crate::app::App;
use crate::config::Config;
use crate::router::router;

pub fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if config.log_json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// Serves HTTP on `listener` until `shutdown` turns true; workers too when asked.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    with_workers: bool,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    crate::worker::install_erasure();
    let workers =
        with_workers.then(|| tokio::spawn(crate::worker::run(app.clone(), shutdown.clone())));
    // What capabilities keep running beside the HTTP server (caches, indexes).
    let _beside = crate::worker::registry().start_beside_http(&app, &shutdown);
    if let Some(addr) = app.config.metrics_listen {
        let metrics = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(%addr, "serving /metrics");
        let queues = crate::worker::registry().queues();
        let (router, mut stop) = (
            crate::router::metrics_router(app.clone(), queues),
            shutdown.clone(),
        );
        tokio::spawn(async move {
            let _ = axum::serve(metrics, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
        });
    }
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|s| *s).await;
        })
        .await?;
    if let Some(w) = workers {
        let _ = w.await;
    }
    Ok(())
}

/// A channel that turns true on SIGINT or SIGTERM.
pub fn shutdown_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            if let Ok(mut s) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                s.recv().await;
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
        tracing::info!("shutting down");
        let _ = tx.send(true);
    });
    rx
}
