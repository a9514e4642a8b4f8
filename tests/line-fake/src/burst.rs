//! Bursts, as LINE sends them after a large push: many residents' messages
//! and taps at once, several events per signed webhook request, each with a
//! fresh reply token; and how fast tenohira answered those tokens.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::{AppState, ReplyStats, bulk_user_id};
use crate::webhook;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Burst {
    /// Senders are bulk users `prefix`/0‥`users` (they must exist).
    pub prefix: u32,
    pub users: u64,
    pub events: usize,
    /// Events per webhook request (LINE batches them).
    pub per_request: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Pace the burst at this many events per second (none: as fast as possible).
    pub events_per_second: Option<f64>,
    /// Texts residents send; event `i` is a text when `i % 2 == 0` or there
    /// are no postbacks.
    pub texts: Vec<String>,
    /// Postback data residents tap (quick replies, rich-menu buttons).
    #[serde(default)]
    pub postbacks: Vec<String>,
}

fn burst_event(state: &AppState, b: &Burst, i: usize) -> Value {
    let user = bulk_user_id(b.prefix, (i as u64) % b.users.max(1));
    let n = i / 2;
    if i % 2 == 1 && !b.postbacks.is_empty() {
        let data = &b.postbacks[n % b.postbacks.len()];
        return webhook::event(
            state,
            "postback",
            &user,
            json!({ "postback": { "data": data } }),
            "active",
        );
    }
    let text = b
        .texts
        .get(n % b.texts.len().max(1))
        .cloned()
        .unwrap_or_default();
    webhook::event(
        state,
        "message",
        &user,
        json!({ "message": { "type": "text", "id": format!("{i}"), "text": text } }),
        "active",
    )
}

fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let i = ((sorted_us.len() as f64 * p) as usize).min(sorted_us.len() - 1);
    sorted_us[i] as f64 / 1000.0
}

/// `POST /_fake/burst`: sends the burst and answers when every request has
/// been acknowledged, with the acknowledgement times.
pub async fn burst(State(state): State<Arc<AppState>>, Json(b): Json<Burst>) -> Response {
    if b.per_request == 0 || b.concurrency == 0 || b.texts.is_empty() {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({ "error": "perRequest, concurrency and texts must not be empty" })),
        )
            .into_response();
    }
    let b = Arc::new(b);
    let requests = b.events.div_ceil(b.per_request);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..b.concurrency {
        let (state, b, next) = (state.clone(), b.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            let mut failed = 0usize;
            loop {
                let r = next.fetch_add(1, Ordering::Relaxed);
                if r >= requests {
                    break;
                }
                let first = r * b.per_request;
                let last = (first + b.per_request).min(b.events);
                if let Some(rate) = b.events_per_second {
                    let due = started + Duration::from_secs_f64(first as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let events: Vec<Value> =
                    (first..last).map(|i| burst_event(&state, &b, i)).collect();
                let sent = Instant::now();
                match webhook::deliver(&state, events).await {
                    Ok(200) => acks.push(sent.elapsed().as_micros() as u64),
                    _ => failed += 1,
                }
            }
            (acks, failed)
        }));
    }
    let (mut acks, mut failed) = (Vec::new(), 0);
    for t in tasks {
        if let Ok((a, f)) = t.await {
            acks.extend(a);
            failed += f;
        }
    }
    acks.sort_unstable();
    let seconds = started.elapsed().as_secs_f64();
    Json(json!({
        "requests": requests,
        "events": b.events,
        "acknowledged": acks.len(),
        "failed": failed,
        "seconds": seconds,
        "eventsPerSecond": b.events as f64 / seconds,
        "ackP50Ms": percentile_ms(&acks, 0.50),
        "ackP99Ms": percentile_ms(&acks, 0.99),
        "ackMaxMs": percentile_ms(&acks, 1.0),
    }))
    .into_response()
}

/// `GET /_fake/replies`: replies to the tokens issued since the last reset.
pub async fn replies(State(state): State<Arc<AppState>>) -> Response {
    let data = state.data.lock().unwrap();
    let (since, late) = (data.replies.since, data.replies.late);
    let mut us = data.replies.latencies_us.clone();
    let waiting = data
        .reply_tokens
        .values()
        .filter(|(_, issued)| *issued >= since)
        .count();
    drop(data);
    us.sort_unstable();
    Json(json!({
        "replied": us.len(),
        "late": late,
        // Issued since the reset and not used (yet): expired ones are missed.
        "unused": waiting,
        "p50Ms": percentile_ms(&us, 0.50),
        "p95Ms": percentile_ms(&us, 0.95),
        "p99Ms": percentile_ms(&us, 0.99),
        "maxMs": percentile_ms(&us, 1.0),
    }))
    .into_response()
}

/// `POST /_fake/replies/reset`: starts measuring afresh.
pub async fn reset_replies(State(state): State<Arc<AppState>>) -> Response {
    state.data.lock().unwrap().replies = ReplyStats::default();
    Json(json!({ "ok": true })).into_response()
}
