//! Prometheus metrics: request counts and latencies by route, pool usage and
//! queue depths (read when `/metrics` is scraped).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The process-wide recorder, installed on first use.
#[allow(
    clippy::expect_used,
    reason = "static buckets are valid, and this is the one place that installs a recorder, once"
)]
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0,
                    ],
                )
                .expect("static buckets are valid")
                .install_recorder()
                .expect("the metrics recorder is installed once")
        })
        .clone()
}

pub async fn track_requests(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    // The route pattern, never the raw path: ids in paths would explode the label set.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("tenohira_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("tenohira_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}

/// Gauges that cost a query are read at most this often, however many
/// scrapers (or strangers) ask.
const GAUGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// What the gauges are read from.
pub struct Sources<'a> {
    pub db: &'a crate::db::DbPool,
    pub jobs: &'a crate::jobs::JobQueue,
    pub outbox: &'a crate::jobs::Outbox,
    pub handle: &'a PrometheusHandle,
    /// The workers' queues, whose depths are reported.
    pub queues: &'a [&'static str],
}

/// Reads the gauges unless they were read less than [`GAUGE_INTERVAL`] ago.
pub async fn refresh_gauges(src: &Sources<'_>) {
    static LAST: tokio::sync::Mutex<Option<Instant>> = tokio::sync::Mutex::const_new(None);
    let mut last = LAST.lock().await;
    if last.is_some_and(|t| t.elapsed() < GAUGE_INTERVAL) {
        return;
    }
    record_gauges(src).await;
    *last = Some(Instant::now());
}

/// The `/metrics` text, gauges refreshed when due.
pub async fn render(src: &Sources<'_>) -> Response {
    use axum::response::IntoResponse;
    refresh_gauges(src).await;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        src.handle.render(),
    )
        .into_response()
}

pub async fn record_gauges(src: &Sources<'_>) {
    let s = src.db.status();
    metrics::gauge!("tenohira_db_pool_size").set(s.size as f64);
    metrics::gauge!("tenohira_db_pool_available").set(s.available as f64);
    metrics::gauge!("tenohira_db_pool_waiting").set(s.waiting as f64);
    metrics::gauge!("tenohira_db_pool_max").set(s.max_size as f64);
    for &queue in src.queues {
        match src.jobs.depth(queue).await {
            Ok(d) => {
                for (state, n) in [
                    ("ready", d.ready),
                    ("delayed", d.delayed),
                    ("inflight", d.inflight),
                    ("dead", d.dead),
                ] {
                    metrics::gauge!("tenohira_queue_depth", "queue" => queue, "state" => state)
                        .set(n as f64);
                }
            }
            Err(e) => tracing::warn!(queue, error = %e, "reading queue depth"),
        }
    }
    if let Ok(n) = src.outbox.pending().await {
        metrics::gauge!("tenohira_outbox_pending").set(n as f64);
    }
    src.handle.run_upkeep();
}
