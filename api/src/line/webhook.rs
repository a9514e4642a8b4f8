//! `POST /line/webhook`: the signature is checked on the raw bytes before
//! anything is parsed; events are stored (deduplicated by `webhookEventId`)
//! and queued, and LINE gets its 200 at once. Processing is asynchronous.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use super::events::QUEUE;
use crate::app::{App, AppState};
use crate::db::DbPool;
use crate::db::schema::line_webhook_events;
use crate::jobs::JobQueue;

/// Base64(HMAC-SHA256(channel secret, raw body)), compared in constant time.
pub fn signature_valid(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    events: Vec<Value>,
}

#[derive(Insertable)]
#[diesel(table_name = line_webhook_events)]
pub struct NewEvent {
    webhook_event_id: String,
    event_type: String,
    mode: String,
    source_user_id: Option<String>,
    occurred_at: DateTime<Utc>,
    payload: Value,
}

fn to_row(e: Value) -> Option<NewEvent> {
    let id = e["webhookEventId"].as_str()?.to_string();
    let occurred_at = e["timestamp"]
        .as_i64()
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .unwrap_or_else(Utc::now);
    Some(NewEvent {
        webhook_event_id: id,
        event_type: e["type"].as_str().unwrap_or("unknown").to_string(),
        mode: e["mode"].as_str().unwrap_or("active").to_string(),
        source_user_id: e["source"]["userId"].as_str().map(str::to_string),
        occurred_at,
        payload: e,
    })
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let app = &state.app;
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
    let payload: Payload = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(_) => return (StatusCode::BAD_REQUEST, "malformed body").into_response(),
    };
    if payload.events.is_empty() {
        // LINE's connectivity check.
        return StatusCode::OK.into_response();
    }
    match intake(app, payload.events).await {
        Ok(n) => {
            metrics::counter!("tenohira_line_webhook_events_total").increment(n as u64);
            StatusCode::OK.into_response()
        }
        Err(e) => {
            // LINE redelivers (when enabled) on non-2xx; nothing was stored.
            tracing::error!(error = %e, "storing webhook events failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Stores new events (duplicates are dropped by `webhookEventId`) and queues them.
pub async fn intake(app: &App, events: Vec<Value>) -> anyhow::Result<usize> {
    let rows: Vec<NewEvent> = events.into_iter().filter_map(to_row).collect();
    if rows.is_empty() {
        return Ok(0);
    }
    app.intake.store(rows).await
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
    let rows: Vec<NewEvent> = batches.into_iter().flatten().collect();
    let inserted: anyhow::Result<Vec<(i64, String)>> = async {
        let mut conn = db.get().await?;
        Ok(diesel::insert_into(line_webhook_events::table)
            .values(&rows)
            .on_conflict(line_webhook_events::webhook_event_id)
            .do_nothing()
            .returning((
                line_webhook_events::id,
                line_webhook_events::webhook_event_id,
            ))
            .get_results(&mut conn)
            .await?)
    }
    .await;
    let inserted = match inserted {
        Ok(i) => i,
        Err(e) => {
            let msg = format!("{e:#}");
            for reply in replies {
                let _ = reply.send(Err(anyhow::anyhow!("{msg}")));
            }
            return;
        }
    };
    // The rows are committed; if this push is lost the reconciler queues them again.
    let queued: Vec<_> = inserted
        .iter()
        .map(|(id, _)| JobQueue::new_job(QUEUE, serde_json::json!({ "event": id })))
        .collect();
    if let Err(e) = jobs.push(&queued).await {
        tracing::warn!(error = %e, "queueing webhook events failed; the reconciler will");
    }
    let new: std::collections::HashSet<&str> = inserted.iter().map(|(_, w)| w.as_str()).collect();
    for (reply, ids) in replies.into_iter().zip(ids_per_request) {
        let _ = reply.send(Ok(ids.iter().filter(|i| new.contains(i.as_str())).count()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let body = br#"{"events":[]}"#;
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(body);
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert!(signature_valid("secret", body, &sig));
        assert!(!signature_valid("other", body, &sig));
        assert!(!signature_valid("secret", br#"{"events":[1]}"#, &sig));
        assert!(!signature_valid("secret", body, ""));
        assert!(!signature_valid("secret", body, "not base64!"));
    }
}
