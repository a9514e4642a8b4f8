//! Webhook events after intake: each capability registers handlers per event
//! type (friends on follow/unfollow, later the chatbot on message, surveys on
//! postback…), and a job runs them. Handlers must be idempotent: an event can
//! be processed again after a crash. Events in `standby` mode are never
//! answered.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures::future::BoxFuture;
use serde_json::Value;

use super::client::{LineError, SendOutcome};
use crate::app::App;
use crate::db::schema::line_webhook_events;
use crate::jobs::{JobError, JobQueue};

pub const QUEUE: &str = "line.events";

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = line_webhook_events)]
pub struct Event {
    pub id: i64,
    pub webhook_event_id: String,
    pub event_type: String,
    pub mode: String,
    pub source_user_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub payload: Value,
    pub status: String,
}

impl Event {
    pub fn reply_token(&self) -> Option<&str> {
        self.payload["replyToken"].as_str()
    }

    /// Only `active` events may be answered.
    pub fn may_reply(&self) -> bool {
        self.mode == "active"
    }
}

pub struct EventContext {
    pub app: App,
    pub event: Event,
}

impl EventContext {
    /// Replies to the event; in standby mode (another bot is answering) nothing is sent.
    pub async fn reply(&self, messages: &[Value]) -> Result<Option<SendOutcome>, LineError> {
        if !self.event.may_reply() {
            tracing::debug!(event = %self.event.webhook_event_id, "standby: not replying");
            return Ok(None);
        }
        let Some(token) = self.event.reply_token() else {
            return Ok(None);
        };
        self.app.line.reply(token, messages).await.map(Some)
    }
}

pub type EventHandler =
    Arc<dyn Fn(Arc<EventContext>) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Handlers by event type (`follow`, `unfollow`, `message`, `postback`, …).
#[derive(Clone, Default)]
pub struct EventHandlers {
    by_type: HashMap<&'static str, Vec<EventHandler>>,
}

impl EventHandlers {
    pub fn on(&mut self, event_type: &'static str, handler: EventHandler) {
        self.by_type.entry(event_type).or_default().push(handler);
    }

    pub fn types(&self) -> Vec<&'static str> {
        self.by_type.keys().copied().collect()
    }

    /// Runs the handlers of one stored event (the `line.events` job).
    pub async fn process(&self, app: &App, event_id: i64) -> Result<(), JobError> {
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
            event,
        });
        let handlers = self
            .by_type
            .get(ctx.event.event_type.as_str())
            .cloned()
            .unwrap_or_default();
        let mut failure = None;
        for h in handlers {
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
    let jobs: Vec<_> = ids
        .iter()
        .map(|id| JobQueue::new_job(QUEUE, serde_json::json!({ "event": id })))
        .collect();
    app.jobs.push(&jobs).await?;
    Ok(ids.len())
}
