//! Webhook events after intake: each capability registers handlers per event
//! type in its `register` (friends on follow/unfollow, later the chatbot on
//! message, surveys on postback…), and the `line.events` job runs them.
//! Handlers must be idempotent: an event can be processed again after a
//! crash. Events in `standby` mode are never answered.
//!
//! One job carries a few events (a webhook group's), so a burst of tens of
//! thousands costs one claim and one status write per batch rather than per
//! event. One resident's events run in the order LINE sent them; different
//! residents' run at once.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::app::App;
use crate::db::schema::line_webhook_events;
use crate::jobs::JobError;
use crate::registry::{EventContext, EventHandlers};

pub const QUEUE: &str = "line.events";

/// Events per job: enough to share the claim and the status write, few
/// enough that one slow handler holds up only a handful.
pub const BATCH: usize = 16;

/// A claim older than this is taken to be a crashed worker's.
const STALE_CLAIM_MINUTES: i64 = 5;

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

/// The `line.events` job: run the handlers of these stored events.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct ProcessEvents {
    pub events: Vec<i64>,
}

impl crate::registry::Task for ProcessEvents {
    const QUEUE: &'static str = QUEUE;
}

impl ProcessEvents {
    /// The jobs for these stored events (given in the order LINE sent
    /// them), about `BATCH` to a job. A resident's events all go in one job,
    /// which runs them in order: two jobs run at once, so splitting them
    /// could answer a resident's second message before their first.
    pub fn batches(events: &[(i64, Option<&str>)]) -> Vec<Self> {
        let mut by_resident: Vec<(Option<&str>, Vec<i64>)> = Vec::new();
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for &(id, user) in events {
            match user.and_then(|u| seen.get(u).copied()) {
                Some(i) => by_resident[i].1.push(id),
                None => {
                    if let Some(u) = user {
                        seen.insert(u, by_resident.len());
                    }
                    by_resident.push((user, vec![id]));
                }
            }
        }
        let mut jobs: Vec<Self> = Vec::new();
        for (_, ids) in by_resident {
            match jobs.last_mut() {
                Some(job) if job.events.len() + ids.len() <= BATCH => job.events.extend(ids),
                _ => jobs.push(Self { events: ids }),
            }
        }
        jobs
    }
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

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

/// Claims those of `ids` nobody has done or is doing, so a duplicate job
/// for them does nothing while they run.
async fn claim(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<Vec<Event>> {
    let stale = Utc::now() - chrono::Duration::minutes(STALE_CLAIM_MINUTES);
    let mut events: Vec<Event> = diesel::update(
        line_webhook_events::table
            .filter(line_webhook_events::id.eq_any(ids))
            .filter(
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
    .get_results(conn)
    .await?;
    events.sort_by_key(|e| e.id);
    Ok(events)
}

/// Runs one event's handlers; the first failure stops them.
async fn run(app: &App, handlers: &EventHandlers, event: Event) -> (i64, String, Option<String>) {
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
    (ctx.event.id, ctx.event.event_type.clone(), failure)
}

/// Runs the handlers of the given stored events (the `line.events` job).
pub async fn process(app: &App, handlers: &EventHandlers, ids: &[i64]) -> Result<(), JobError> {
    let mut conn = app.db.get().await.map_err(retry)?;
    let events = claim(&mut conn, ids).await.map_err(retry)?;
    drop(conn);
    if events.is_empty() {
        // Already processed, or another worker has them.
        return Ok(());
    }
    let mut by_resident: BTreeMap<Option<String>, Vec<Event>> = BTreeMap::new();
    for e in events {
        by_resident
            .entry(e.source_user_id.clone())
            .or_default()
            .push(e);
    }
    let outcomes: Vec<(i64, String, Option<String>)> =
        futures::future::join_all(by_resident.into_values().map(|events| async move {
            let mut done = Vec::with_capacity(events.len());
            for e in events {
                done.push(run(app, handlers, e).await);
            }
            done
        }))
        .await
        .into_iter()
        .flatten()
        .collect();
    record(app, &outcomes).await?;
    match outcomes.into_iter().find_map(|(_, _, f)| f) {
        // The retry claims only the failed ones again.
        Some(f) => Err(JobError::Retry(f)),
        None => Ok(()),
    }
}

/// Writes the outcomes: one statement for the processed, one per failure
/// (each keeps its own error).
async fn record(app: &App, outcomes: &[(i64, String, Option<String>)]) -> Result<(), JobError> {
    let mut conn = app.db.get().await.map_err(retry)?;
    let processed: Vec<i64> = outcomes
        .iter()
        .filter(|(_, _, f)| f.is_none())
        .map(|(id, _, _)| *id)
        .collect();
    if !processed.is_empty() {
        diesel::update(
            line_webhook_events::table.filter(line_webhook_events::id.eq_any(&processed)),
        )
        .set((
            line_webhook_events::status.eq("processed"),
            line_webhook_events::processed_at.eq(diesel::dsl::now),
            line_webhook_events::error.eq(None::<String>),
        ))
        .execute(&mut conn)
        .await
        .map_err(retry)?;
    }
    for (id, _, failure) in outcomes.iter().filter(|(_, _, f)| f.is_some()) {
        diesel::update(line_webhook_events::table.find(id))
            .set((
                line_webhook_events::status.eq("failed"),
                line_webhook_events::processed_at.eq(diesel::dsl::now),
                line_webhook_events::error.eq(failure),
            ))
            .execute(&mut conn)
            .await
            .map_err(retry)?;
    }
    for (_, event_type, failure) in outcomes {
        let status = if failure.is_some() {
            "failed"
        } else {
            "processed"
        };
        metrics::counter!("tenohira_line_events_processed_total", "type" => event_type.clone(), "status" => status)
            .increment(1);
    }
    Ok(())
}

/// Queues again the events whose rows say they were never processed (their
/// push to Redis was lost, or Redis was flushed).
pub async fn reconcile(app: &App, older_than: chrono::Duration) -> anyhow::Result<usize> {
    let mut conn = app.db.get().await?;
    let rows: Vec<(i64, Option<String>)> = line_webhook_events::table
        .filter(
            line_webhook_events::status
                .eq("received")
                .and(line_webhook_events::received_at.lt(Utc::now() - older_than))
                .or(line_webhook_events::status.eq("processing").and(
                    line_webhook_events::claimed_at
                        .lt(Utc::now() - chrono::Duration::minutes(STALE_CLAIM_MINUTES)),
                )),
        )
        .order(line_webhook_events::id)
        .limit(5000)
        .select((line_webhook_events::id, line_webhook_events::source_user_id))
        .load(&mut conn)
        .await?;
    let events: Vec<(i64, Option<&str>)> = rows.iter().map(|(id, u)| (*id, u.as_deref())).collect();
    crate::registry::push(&app.jobs, &ProcessEvents::batches(&events)).await?;
    Ok(rows.len())
}

/// The inbox's part in the worker: the event job and its reconciler.
pub fn register(r: &mut crate::registry::Registry) {
    use crate::registry::{Concurrency, Schedule};
    r.job::<ProcessEvents, _, _>(
        Concurrency::From(|c| c.events_concurrency),
        |ctx, job| async move { process(&ctx.app, &ctx.events, &job.events).await },
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

#[cfg(test)]
mod tests {
    use super::{BATCH, ProcessEvents};

    fn jobs(events: &[(i64, Option<&str>)]) -> Vec<Vec<i64>> {
        ProcessEvents::batches(events)
            .into_iter()
            .map(|j| j.events)
            .collect()
    }

    #[test]
    fn a_residents_events_stay_in_one_job_in_order() {
        // 10 residents each write twice; the second messages come after all the first ones.
        let users: Vec<String> = (0..10).map(|i| format!("U{i}")).collect();
        let mut events = Vec::new();
        for round in 0..2 {
            for (i, u) in users.iter().enumerate() {
                events.push((round * 10 + i as i64, Some(u.as_str())));
            }
        }
        let batches = jobs(&events);
        for (i, _) in users.iter().enumerate() {
            let first = i as i64;
            let holding: Vec<&Vec<i64>> = batches.iter().filter(|b| b.contains(&first)).collect();
            assert_eq!(holding.len(), 1);
            assert!(holding[0].contains(&(first + 10)), "{batches:?}");
        }
        assert!(batches.iter().all(|b| b.len() <= BATCH));
        let mut all: Vec<i64> = batches.concat();
        all.sort();
        assert_eq!(all, (0..20).collect::<Vec<_>>(), "every event exactly once");
    }

    #[test]
    fn events_without_a_resident_and_long_runs_are_batched_too() {
        let mut events: Vec<(i64, Option<&str>)> = (0..40).map(|i| (i, None)).collect();
        events.extend((40..60).map(|i| (i, Some("U-chatty"))));
        let batches = jobs(&events);
        assert_eq!(batches.len(), 4, "{batches:?}");
        assert_eq!(
            batches[3],
            (40..60).collect::<Vec<_>>(),
            "one resident's 20 stay whole"
        );
    }
}
