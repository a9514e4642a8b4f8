//! The worker role: job handlers of every capability, the outbox reconciler
//! and periodic maintenance.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::App;
use crate::jobs::Runner;

/// Queue used by maintenance work (expired sessions and the like).
pub const MAINTENANCE_QUEUE: &str = "maintenance";

/// Every queue a worker serves (reported in `/metrics` without building the
/// handlers on each scrape; a test keeps it in step with `runner`).
pub const QUEUES: &[&str] = &[
    crate::line::events::QUEUE,
    MAINTENANCE_QUEUE,
    crate::delivery::dispatch::EXPAND_QUEUE,
    crate::delivery::dispatch::BATCH_QUEUE,
];

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
    let handlers = event_handlers();
    let a = app.clone();
    runner.register(
        crate::line::events::QUEUE,
        Arc::new(move |job| {
            let app = a.clone();
            let handlers = handlers.clone();
            Box::pin(async move {
                let id = job.payload["event"]
                    .as_i64()
                    .ok_or_else(|| crate::jobs::JobError::Permanent("no event id".into()))?;
                handlers.process(&app, id).await
            })
        }),
    );
    let a = app.clone();
    runner.register(
        crate::delivery::dispatch::EXPAND_QUEUE,
        Arc::new(move |job| {
            let app = a.clone();
            Box::pin(async move {
                let id = job.payload["delivery"]
                    .as_i64()
                    .ok_or_else(|| crate::jobs::JobError::Permanent("no delivery id".into()))?;
                crate::delivery::dispatch::expand(&app, id).await
            })
        }),
    );
    let a = app.clone();
    runner.register_with(
        crate::delivery::dispatch::BATCH_QUEUE,
        Arc::new(move |job| {
            let app = a.clone();
            Box::pin(async move {
                let id = job.payload["batch"]
                    .as_i64()
                    .ok_or_else(|| crate::jobs::JobError::Permanent("no batch id".into()))?;
                crate::delivery::send::send_batch(&app, id).await
            })
        }),
        app.config.delivery_concurrency,
    );
    runner
}

/// Every capability's webhook event handlers.
pub fn event_handlers() -> crate::line::events::EventHandlers {
    let mut h = crate::line::events::EventHandlers::default();
    crate::friends::events::register(&mut h);
    crate::delivery::testers::register(&mut h);
    h
}

/// Runs the workers until `shutdown` turns true.
pub async fn run(app: App, mut shutdown: watch::Receiver<bool>) {
    let runner = runner(&app);
    let tasks = runner.spawn(shutdown.clone());
    tracing::info!(queues = ?runner.queues(), "workers started");
    // Scheduled deliveries start within about a second of their time.
    let scheduler = tokio::spawn(scheduler(app.clone(), shutdown.clone()));
    let redis_watch = tokio::spawn(watch_redis(app.clone(), shutdown.clone()));
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    let mut maintenance_due = tokio::time::Instant::now();
    let mut reminders_due = tokio::time::Instant::now();
    let mut lapse_day = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                // Jobs whose transaction committed but whose push to Redis did not happen.
                match app.outbox.flush().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(jobs = n, "outbox reconciler queued leftover jobs"),
                    Err(e) => tracing::warn!(error = %e, "outbox reconciler failed"),
                }
                // Delivery batches and expansions whose queue entry was lost.
                let stale = chrono::Duration::from_std(app.config.delivery_reconcile).unwrap_or(chrono::Duration::seconds(30));
                match crate::delivery::dispatch::reconcile(&app, stale).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(jobs = n, "delivery reconciler queued unfinished work"),
                    Err(e) => tracing::warn!(error = %e, "delivery reconciler failed"),
                }
                // Webhook events whose queue entry was lost (Redis flushed, push failed).
                match crate::line::events::reconcile(&app, chrono::Duration::seconds(30)).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(events = n, "webhook reconciler queued unprocessed events"),
                    Err(e) => tracing::warn!(error = %e, "webhook reconciler failed"),
                }
                if tokio::time::Instant::now() >= reminders_due {
                    reminders_due += Duration::from_secs(600);
                    match crate::friends::service::send_registration_reminders(&app, app.config.registration_reminder_days).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(friends = n, "registration reminders sent"),
                        Err(e) => tracing::warn!(error = %e, "registration reminders failed"),
                    }
                }
                // Once a JST day: cards whose household is no longer eligible.
                if crate::card::lapse::due(&mut lapse_day, chrono::Utc::now()) {
                    match crate::card::lapse::run(&app).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(friends = n, "card lapse notices sent"),
                        Err(e) => tracing::warn!(error = %e, "card lapse check failed"),
                    }
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
    let _ = scheduler.await;
    let _ = redis_watch.await;
    for t in tasks {
        let _ = t.await;
    }
    tracing::info!("workers stopped");
}

/// Starts due deliveries; every worker runs it, the row lock keeps each start single.
async fn scheduler(app: App, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = crate::delivery::dispatch::start_due(&app).await {
                    tracing::warn!(error = %e, "starting due deliveries failed");
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// Notices, within half a second of Redis answering again, that it came
/// back empty (its mark is gone), and queues again at once what PostgreSQL
/// says is unfinished, instead of waiting for the reconcilers' staleness
/// window. One worker wins the new mark and does it; over-queueing is
/// harmless (batches keep their retry keys, handlers are idempotent).
async fn watch_redis(app: App, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut first = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match app.redis.mark_known().await {
                    // A fresh install marks its Redis once: nothing was lost.
                    Ok(true) if first => {}
                    Ok(true) => {
                        tracing::warn!("Redis came back empty: queueing unfinished work again now");
                        requeue_everything(&app).await;
                    }
                    Ok(false) => {}
                    Err(_) => continue, // away: try again next tick
                }
                first = false;
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// The reconcilers with no staleness window.
async fn requeue_everything(app: &App) {
    if let Err(e) = app.outbox.flush().await {
        tracing::warn!(error = %e, "outbox after a Redis loss");
    }
    for _ in 0..100 {
        match crate::delivery::dispatch::reconcile(app, chrono::Duration::zero()).await {
            Ok(n) if n >= crate::delivery::dispatch::RECONCILE_BATCH => continue,
            Ok(n) => {
                tracing::info!(jobs = n, "delivery work queued again after a Redis loss");
                break;
            }
            Err(e) => {
                tracing::warn!(error = %e, "delivery reconciler after a Redis loss");
                break;
            }
        }
    }
    match crate::line::events::reconcile(app, chrono::Duration::zero()).await {
        Ok(n) => tracing::info!(events = n, "webhook events queued again after a Redis loss"),
        Err(e) => tracing::warn!(error = %e, "webhook reconciler after a Redis loss"),
    }
}
