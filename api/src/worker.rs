//! The worker role: job handlers of every capability, the outbox reconciler
//! and periodic maintenance.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::App;
use crate::jobs::Runner;

/// Queue used by maintenance work (expired sessions and the like).
pub const MAINTENANCE_QUEUE: &str = "maintenance";

/// Every queue with its handler. Capabilities register theirs here.
pub fn runner(app: &App) -> Runner {
    let mut runner = Runner::new(app.jobs.clone(), app.config.worker_concurrency);
    let a = app.clone();
    runner.register(
        MAINTENANCE_QUEUE,
        Arc::new(move |job| {
            let app = a.clone();
            Box::pin(async move {
                crate::staff::sessions::maintenance(&app, &job.payload)
                    .await
                    .map_err(Into::into)
            })
        }),
    );
    runner
}

/// Runs the workers until `shutdown` turns true.
pub async fn run(app: App, mut shutdown: watch::Receiver<bool>) {
    let runner = runner(&app);
    let tasks = runner.spawn(shutdown.clone());
    tracing::info!(queues = ?runner.queues(), "workers started");
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    let mut maintenance_due = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {
                // Jobs whose transaction committed but whose push to Redis did not happen.
                match app.outbox.flush().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(jobs = n, "outbox reconciler queued leftover jobs"),
                    Err(e) => tracing::warn!(error = %e, "outbox reconciler failed"),
                }
                if tokio::time::Instant::now() >= maintenance_due {
                    maintenance_due += Duration::from_secs(3600);
                    if let Err(e) = app.jobs.enqueue(MAINTENANCE_QUEUE, serde_json::json!({"task": "expire_sessions"})).await {
                        tracing::warn!(error = %e, "scheduling maintenance failed");
                    }
                }
            }
            _ = shutdown.changed() => break,
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    tracing::info!("workers stopped");
}
