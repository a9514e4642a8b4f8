//! Segment delivery at prefecture scale (seed 2.4(4)ア, カ, キ, ケ, コ):
//! compose, approve, schedule, dispatch through LINE's multicast, statistics.

pub mod dispatch;
pub mod graphql;
pub mod model;
mod send;
pub mod service;
pub mod stats;
mod testers;

pub use testers::{is_link_code, is_tester};

/// Delivery's part in the worker: expansion and batch jobs, the tester link
/// codes residents' messages may carry, the scheduler (every 500 ms), and the
/// reconciler that re-queues work whose queue entry was lost.
pub fn register(r: &mut crate::registry::Registry) {
    use std::time::Duration;

    use crate::registry::{Concurrency, Schedule};
    r.job::<dispatch::Expand, _, _>(Concurrency::Default, |ctx, job| async move {
        dispatch::expand(&ctx.app, job.delivery).await
    });
    r.job::<send::SendBatch, _, _>(
        Concurrency::From(|c| c.delivery_concurrency),
        |ctx, job| async move { send::send_batch(&ctx.app, job.batch).await },
    );
    testers::register(r);
    r.periodic(
        "delivery.scheduler",
        Schedule::Every(Duration::from_millis(500)),
        |app| async move { dispatch::start_due(&app).await },
    );
    r.periodic(
        "delivery.reconcile",
        Schedule::Every(Duration::from_secs(5)),
        |app| async move {
            let stale = chrono::Duration::from_std(app.config.delivery_reconcile)
                .unwrap_or(chrono::Duration::seconds(30));
            dispatch::reconcile(&app, stale).await
        },
    );
    r.after_redis_loss("delivery.reconcile", |app| async move {
        dispatch::reconcile_everything(&app).await
    });
}
