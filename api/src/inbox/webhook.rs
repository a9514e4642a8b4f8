//! `POST /line/webhook`: the signature is checked on the raw bytes before
//! anything is parsed; events are stored (deduplicated by `webhookEventId`)
//! and queued, and LINE gets its 200 at once. Processing is asynchronous.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::events::ProcessEvents;
use crate::app::App;
use crate::db::DbPool;
use crate::db::schema::line_webhook_events;
use crate::jobs::JobQueue;
use crate::line::signature::signature_valid;

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    events: Vec<Value>,
}

#[derive(Insertable, Clone)]
#[diesel(table_name = line_webhook_events)]
pub struct NewEvent {
    webhook_event_id: String,
    event_type: String,
    mode: String,
    source_user_id: Option<String>,
    occurred_at: DateTime<Utc>,
    payload: Value,
    /// The event as received, when `payload` had to differ from it.
    raw: Option<Vec<u8>>,
}

impl NewEvent {
    /// What is left of a row PostgreSQL refused even after repair: its ids
    /// and type to process and deduplicate by, and the bytes as received.
    fn unstorable(&self) -> Self {
        Self {
            payload: serde_json::json!({
                "webhookEventId": self.webhook_event_id,
                "type": self.event_type,
                "mode": self.mode,
                "unstorable": true,
            }),
            raw: Some(
                self.raw
                    .clone()
                    .unwrap_or_else(|| self.payload.to_string().into_bytes()),
            ),
            ..self.clone()
        }
    }
}

/// `body` is given when the request's text had to be repaired before it
/// parsed: it is then kept as each event's raw form.
fn to_row(mut e: Value, body: Option<&[u8]>) -> Option<NewEvent> {
    e["webhookEventId"].as_str()?;
    let as_received = body.map(<[u8]>::to_vec);
    let original = serde_json::to_vec(&e).unwrap_or_default();
    let raw = match (as_received, super::json_repair::replace_nul(&mut e)) {
        (Some(body), _) => Some(body),
        (None, true) => Some(original),
        (None, false) => None,
    };
    let text = |v: &Value| v.as_str().map(str::to_string);
    let occurred_at = e["timestamp"]
        .as_i64()
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .unwrap_or_else(Utc::now);
    Some(NewEvent {
        webhook_event_id: text(&e["webhookEventId"])?,
        event_type: text(&e["type"]).unwrap_or_else(|| "unknown".into()),
        mode: text(&e["mode"]).unwrap_or_else(|| "active".into()),
        source_user_id: text(&e["source"]["userId"]),
        occurred_at,
        payload: e,
        raw,
    })
}

pub async fn receive(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let app = &app;
    // HeaderMap names are case-insensitive: `X-Line-Signature` matches too.
    let signature = headers
        .get("x-line-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !signature_valid(app.config.line.channel_secret.expose(), &body, signature) {
        metrics::counter!("tenohira_line_webhook_rejected_total", "reason" => "signature")
            .increment(1);
        tracing::warn!("webhook with a missing or bad signature refused");
        return (StatusCode::UNAUTHORIZED, "invalid signature").into_response();
    }
    // A signed body whose strings hold lone surrogates is still LINE's (or
    // our resident's) words: repaired to parse, kept as received.
    let (payload, repaired): (Payload, bool) = match serde_json::from_slice(&body) {
        Ok(p) => (p, false),
        Err(_) => match super::json_repair::replace_lone_surrogates(&body)
            .and_then(|fixed| serde_json::from_slice(&fixed).ok())
        {
            Some(p) => (p, true),
            None => return (StatusCode::BAD_REQUEST, "malformed body").into_response(),
        },
    };
    if payload.events.is_empty() {
        // LINE's connectivity check.
        return StatusCode::OK.into_response();
    }
    let rows: Vec<NewEvent> = payload
        .events
        .into_iter()
        .filter_map(|e| to_row(e, repaired.then_some(&body[..])))
        .collect();
    match store(app, rows).await {
        Ok(n) => {
            metrics::counter!("tenohira_line_webhook_events_total").increment(n as u64);
            StatusCode::OK.into_response()
        }
        Err(e) => {
            // Only the database being away gets here (an event's content
            // never does): LINE redelivers, when enabled, on non-2xx.
            tracing::error!(error = %e, "storing webhook events failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Stores new events (duplicates are dropped by `webhookEventId`) and queues them.
pub async fn intake(app: &App, events: Vec<Value>) -> anyhow::Result<usize> {
    store(
        app,
        events.into_iter().filter_map(|e| to_row(e, None)).collect(),
    )
    .await
}

async fn store(app: &App, rows: Vec<NewEvent>) -> anyhow::Result<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    writer(app).store(rows).await
}

/// This process's intake writer (started with the first webhook).
fn writer(app: &App) -> Arc<IntakeWriter> {
    app.state(|app| IntakeWriter::start(app.db.clone(), app.jobs.clone()))
}

type Request = (Vec<NewEvent>, oneshot::Sender<anyhow::Result<usize>>);

/// Writes webhook events in groups: concurrent requests share one INSERT
/// and one Redis pipeline, so a burst of webhooks costs a few commits
/// instead of one each. Each request still answers only after its own
/// events are committed.
#[derive(Clone)]
pub struct IntakeWriter {
    tx: mpsc::Sender<Request>,
}

const WRITERS: usize = 4;
const MAX_GROUP: usize = 256;

impl IntakeWriter {
    /// Starts the writer tasks; they end when the last `IntakeWriter` is dropped.
    pub fn start(db: DbPool, jobs: JobQueue) -> Self {
        let (tx, rx) = mpsc::channel::<Request>(4096);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..WRITERS {
            let (rx, db, jobs) = (rx.clone(), db.clone(), jobs.clone());
            tokio::spawn(async move {
                loop {
                    let group = {
                        let mut rx = rx.lock().await;
                        let Some(first) = rx.recv().await else { return };
                        let mut group = vec![first];
                        let mut events = group[0].0.len();
                        while events < MAX_GROUP {
                            match rx.try_recv() {
                                Ok(next) => {
                                    events += next.0.len();
                                    group.push(next);
                                }
                                Err(_) => break,
                            }
                        }
                        group
                    };
                    write_group(&db, &jobs, group).await;
                }
            });
        }
        Self { tx }
    }

    async fn store(&self, rows: Vec<NewEvent>) -> anyhow::Result<usize> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send((rows, done))
            .await
            .map_err(|_| anyhow::anyhow!("intake writer stopped"))?;
        wait.await
            .map_err(|_| anyhow::anyhow!("intake writer dropped the request"))?
    }
}

async fn write_group(db: &DbPool, jobs: &JobQueue, group: Vec<Request>) {
    let (batches, replies): (Vec<Vec<NewEvent>>, Vec<_>) = group.into_iter().unzip();
    let ids_per_request: Vec<Vec<String>> = batches
        .iter()
        .map(|b| b.iter().map(|e| e.webhook_event_id.clone()).collect())
        .collect();
    let all: Vec<NewEvent> = batches.iter().flatten().cloned().collect();
    // One INSERT for the whole group; when it fails, each request on its own
    // (and within it each row), so one bad row never fails its neighbours.
    let results: Vec<anyhow::Result<Vec<Inserted>>> = match insert(db, &all).await {
        Ok(inserted) => {
            let mut one = Some(Ok(inserted));
            batches
                .iter()
                .map(|_| one.take().unwrap_or(Ok(vec![])))
                .collect()
        }
        // No connection: nothing to isolate, every request waits for LINE's redelivery.
        Err(e) if !refused_by_database(&e) => {
            let msg = format!("{e:#}");
            batches
                .iter()
                .map(|_| Err(anyhow::anyhow!("{msg}")))
                .collect()
        }
        Err(e) => {
            tracing::warn!(error = %e, events = all.len(), "a group of webhook events failed together; storing them one request at a time");
            let mut out = Vec::with_capacity(batches.len());
            for batch in &batches {
                out.push(insert_isolated(db, batch).await);
            }
            out
        }
    };
    // The rows are committed; if this push is lost the reconciler queues them again.
    let queued: Vec<(i64, Option<&str>)> = results
        .iter()
        .flatten()
        .flatten()
        .map(|(id, _, user)| (*id, user.as_deref()))
        .collect();
    if let Err(e) = crate::registry::push(jobs, &ProcessEvents::batches(&queued)).await {
        tracing::warn!(error = %e, "queueing webhook events failed; the reconciler will");
    }
    let new: std::collections::HashSet<&str> = results
        .iter()
        .flatten()
        .flatten()
        .map(|(_, w, _)| w.as_str())
        .collect();
    for ((reply, ids), result) in replies.into_iter().zip(ids_per_request).zip(&results) {
        let answer = match result {
            Ok(_) => Ok(ids.iter().filter(|i| new.contains(i.as_str())).count()),
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        };
        let _ = reply.send(answer);
    }
}

/// A stored row: its id, LINE's event id and the resident it came from.
type Inserted = (i64, String, Option<String>);

/// PostgreSQL answered and refused the statement (its content), as opposed
/// to not being reachable.
fn refused_by_database(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<diesel::result::Error>(),
        Some(
            diesel::result::Error::DatabaseError(..) | diesel::result::Error::SerializationError(_)
        )
    )
}

async fn insert(db: &DbPool, rows: &[NewEvent]) -> anyhow::Result<Vec<Inserted>> {
    let mut conn = db.get().await?;
    Ok(diesel::insert_into(line_webhook_events::table)
        .values(rows)
        .on_conflict(line_webhook_events::webhook_event_id)
        .do_nothing()
        .returning((
            line_webhook_events::id,
            line_webhook_events::webhook_event_id,
            line_webhook_events::source_user_id,
        ))
        .get_results(&mut conn)
        .await?)
}

/// One request's events, a row at a time if need be; a row refused even
/// then is kept as its bytes with a placeholder payload. What still fails
/// is the database, not the content.
async fn insert_isolated(db: &DbPool, rows: &[NewEvent]) -> anyhow::Result<Vec<Inserted>> {
    if let Ok(done) = insert(db, rows).await {
        return Ok(done);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        match insert(db, std::slice::from_ref(row)).await {
            Ok(done) => out.extend(done),
            Err(e) if !refused_by_database(&e) => return Err(e),
            Err(e) => {
                tracing::error!(event = %row.webhook_event_id, error = %e, "a webhook event was refused by PostgreSQL; stored as received with a placeholder payload");
                out.extend(insert(db, &[row.unstorable()]).await?);
            }
        }
    }
    Ok(out)
}
