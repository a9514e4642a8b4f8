//! Webhook events after intake: each capability registers handlers per event
//! type in its `register` (friends on follow/unfollow, later the chatbot on
//! message, surveys on postback…), and the `line.events` job runs them.
//! Handlers must be idempotent: an event can be processed again after a
//! crash. Events in `standby` mode are never answered.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::Value;

use crate::app::App;
use crate::db::schema::line_webhook_events;
use crate::jobs::JobError;
use crate::registry::{EventContext, EventHandlers};

pub const QUEUE: &str = "line.events";

/// A stored event row.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = line_webhook_events)]
struct Event {
    id: i64,
    webhook_event_id: String,
    event_type: String,
    mode: String,
    source_user_id: Option<String>,
    occurred_at: DateTime<Utc>,
    payload: Value,
    #[allow(dead_code)] // selected with the row; the claim has already decided on it
    status: String,
}

/// The `line.events` job: run the handlers of one stored event.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct ProcessEvent {
    pub event: i64,
}

impl crate::registry::Task for ProcessEvent {
    const QUEUE: &'static str = QUEUE;
}

impl Event {
    fn for_handlers(self) -> crate::registry::Event {
        crate::registry::Event {
            id: self.id,
            webhook_event_id: self.webhook_event_id,
            event_type: self.event_type,
            mode: self.mode,
            source_user_id: self.source_user_id,
            occurred_at: self.occurred_at,
            payload: self.payload,
        }
    }
}

/// Runs the handlers of one stored event (the `line.events` job).
pub async fn process(app: &App, handlers: &EventHandlers, event_id: i64) -> Result<(), JobError> {
    let mut conn = app
        .db
        .get()
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    // Claim the event, so a duplicate job for it does nothing while it runs.
    let stale = Utc::now() - chrono::Duration::minutes(5);
    let event: Option<Event> = diesel::update(
        line_webhook_events::table.find(event_id).filter(
            line_webhook_events::status
                .eq_any(["received", "failed"])
                .or(line_webhook_events::status
                    .eq("processing")
                    .and(line_webhook_events::claimed_at.lt(stale))),
        ),
    )
    .set((
        line_webhook_events::status.eq("processing"),
        line_webhook_events::claimed_at.eq(diesel::dsl::now),
    ))
    .returning(Event::as_returning())
    .get_result(&mut conn)
    .await
    .optional()
    .map_err(|e| JobError::Retry(e.to_string()))?;
    drop(conn);
    let Some(event) = event else {
        // Already processed, or another worker has it.
        return Ok(());
    };
    let ctx = Arc::new(EventContext {
        app: app.clone(),
        event: event.for_handlers(),
    });
    let mut failure = None;
    for h in handlers.for_type(&ctx.event.event_type) {
        if let Err(e) = h(ctx.clone()).await {
            failure = Some(format!("{e:#}"));
            break;
        }
    }
    let mut conn = app
        .db
        .get()
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    let status = if failure.is_some() {
        "failed"
    } else {
        "processed"
    };
    diesel::update(line_webhook_events::table.find(event_id))
        .set((
            line_webhook_events::status.eq(status),
            line_webhook_events::processed_at.eq(diesel::dsl::now),
            line_webhook_events::error.eq(&failure),
        ))
        .execute(&mut conn)
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    metrics::counter!("tenohira_line_events_processed_total", "type" => ctx.event.event_type.clone(), "status" => status)
            .increment(1);
    match failure {
        Some(f) => Err(JobError::Retry(f)),
        None => Ok(()),
    }
}

/// Queues again the events whose rows say they were never processed (their
/// push to Redis was lost, or Redis was flushed).
pub async fn reconcile(app: &App, older_than: chrono::Duration) -> anyhow::Result<usize> {
    let mut conn = app.db.get().await?;
    let ids: Vec<i64> = line_webhook_events::table
        .filter(
            line_webhook_events::status
                .eq("received")
                .and(line_webhook_events::received_at.lt(Utc::now() - older_than))
                .or(line_webhook_events::status.eq("processing").and(
                    line_webhook_events::claimed_at.lt(Utc::now() - chrono::Duration::minutes(5)),
                )),
        )
        .order(line_webhook_events::id)
        .limit(5000)
        .select(line_webhook_events::id)
        .load(&mut conn)
        .await?;
    let jobs: Vec<ProcessEvent> = ids.iter().map(|id| ProcessEvent { event: *id }).collect();
    crate::registry::push(&app.jobs, &jobs).await?;
    Ok(ids.len())
}

/// The inbox's part in the worker: the event job and its reconciler.
pub fn register(r: &mut crate::registry::Registry) {
    use crate::registry::{Concurrency, Schedule};
    r.job::<ProcessEvent, _, _>(
        Concurrency::From(|c| c.events_concurrency),
        |ctx, job| async move { process(&ctx.app, &ctx.events, job.event).await },
    );
    // Events whose queue entry was lost (Redis flushed, push failed).
    r.periodic(
        "inbox.reconcile",
        Schedule::Every(std::time::Duration::from_secs(5)),
        |app| async move { reconcile(&app, chrono::Duration::seconds(30)).await },
    );
    r.after_redis_loss("inbox.reconcile", |app| async move {
        reconcile(&app, chrono::Duration::zero()).await
    });
}
