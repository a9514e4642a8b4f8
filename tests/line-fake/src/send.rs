//! Sending: reply, push, multicast, validate, quota.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::gate;
use crate::messages;
use crate::respond::{LineError, detail, json_response};
use crate::state::{Accepted, AppState, Data, Delivery, RETRY_KEY_TTL, now_ms};

type S = State<Arc<AppState>>;

fn retry_key(headers: &HeaderMap) -> Result<Option<String>, LineError> {
    let Some(v) = headers.get("x-line-retry-key") else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("");
    if uuid::Uuid::parse_str(s).is_err() || s.len() != 36 {
        return Err(LineError::bad_request(
            "The value for the 'X-Line-Retry-Key' header is invalid",
        ));
    }
    Ok(Some(s.to_lowercase()))
}

/// The 409 a retry of an accepted request gets.
fn already_accepted(
    data: &mut Data,
    key: &str,
    endpoint: &'static str,
    rid: &str,
) -> Option<Response> {
    let accepted = data
        .retry_keys
        .get(key)
        .filter(|a| a.at.elapsed() < RETRY_KEY_TTL)?;
    let mut body = json!({ "message": "The retry key is already accepted" });
    if let Some(sent) = accepted.body.get("sentMessages") {
        body["sentMessages"] = sent.clone();
    }
    let original = accepted.request_id.clone();
    *data.counters.duplicates.entry(endpoint).or_default() += 1;
    let mut res = json_response(StatusCode::CONFLICT, body, rid);
    if let Ok(v) = HeaderValue::from_str(&original) {
        res.headers_mut().insert("x-line-accepted-request-id", v);
    }
    Some(res)
}

/// A send request that passed validation.
struct Outgoing<'a> {
    via: &'static str,
    rid: &'a str,
    key: Option<&'a str>,
    body: &'a Value,
}

/// What LINE does atomically with a send: a retry key accepted before gets
/// 409; an unknown recipient gets 400 naming `to[i]` (`to_error(i)`);
/// otherwise the key is remembered, the request counted and the messages
/// handed to each following recipient — all under one lock, so two
/// concurrent requests with one key never both deliver.
fn accept_and_deliver(
    state: &AppState,
    out: &Outgoing,
    recipients: &[&str],
    response: Value,
    to_error: impl Fn(usize) -> String,
) -> Result<(), Response> {
    let mut data = state.data.lock().unwrap();
    if let Some(k) = out.key
        && let Some(r) = already_accepted(&mut data, k, out.via, out.rid)
    {
        return Err(r);
    }
    // One index lookup per recipient; delivery then goes by position.
    let mut found = Vec::with_capacity(recipients.len());
    for (i, id) in recipients.iter().enumerate() {
        match data.users.position(id) {
            Some(p) => found.push(p),
            None => {
                drop(data);
                return Err(LineError::bad_request(to_error(i)).into_response_with(out.rid));
            }
        }
    }
    if let Some(k) = out.key {
        data.retry_keys.insert(
            k.to_string(),
            Accepted {
                at: std::time::Instant::now(),
                request_id: out.rid.to_string(),
                body: response,
            },
        );
    }
    *data.counters.accepted.entry(out.via).or_default() += 1;
    deliver(&mut data, out, &found);
    Ok(())
}

fn check_units(body: &Value) -> Vec<crate::respond::Detail> {
    let Some(units) = body.get("customAggregationUnits") else {
        return vec![];
    };
    let ok = units.as_array().is_some_and(|a| {
        a.len() <= 1
            && a.iter().all(|u| {
                u.as_str().is_some_and(|s| {
                    (1..=30).contains(&s.len())
                        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                })
            })
    });
    if ok {
        vec![]
    } else {
        vec![detail("customAggregationUnits", "invalid unit name")]
    }
}

fn sent_messages(n: usize) -> Value {
    use rand::RngExt;
    let mut rng = rand::rng();
    (0..n)
        .map(|_| json!({ "id": format!("{}", rng.random_range(100_000_000_000_000_000u64..999_999_999_999_999_999)), "quoteToken": crate::state::random_hex(16) }))
        .collect()
}

/// Stores the delivery in each following recipient's inbox (`found`:
/// the recipients' positions in `Users`).
fn deliver(data: &mut Data, out: &Outgoing, found: &[usize]) {
    let messages = Arc::new(out.body["messages"].clone());
    let n = messages.as_array().map_or(0, Vec::len) as u64;
    let units = out.body.get("customAggregationUnits").cloned();
    let record = data.record_inbox;
    let mut delivered = 0;
    for &p in found {
        let u = data.users.at_mut(p);
        if !u.following {
            continue;
        }
        delivered += n;
        if record {
            u.inbox.push(Delivery {
                via: out.via,
                request_id: out.rid.to_string(),
                retry_key: out.key.map(str::to_string),
                messages: messages.clone(),
                custom_aggregation_units: units.clone(),
                at_ms: now_ms(),
            });
        }
    }
    data.counters.messages_delivered += delivered;
}

async fn finish(state: &AppState, rid: &str, status: StatusCode, body: Value) -> Response {
    let (hang, latency) = {
        let f = state.faults.lock().unwrap();
        (f.hang_after_accept(), f.latency())
    };
    if let Some(h) = hang {
        tokio::time::sleep(h).await;
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    json_response(status, body, rid)
}

pub async fn multicast(State(state): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = match gate::check(&state, &headers, &body, "multicast", true, true) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let rid = p.request_id;
    let key = match retry_key(&headers) {
        Ok(k) => k,
        Err(e) => return e.into_response_with(&rid),
    };
    if let Some(k) = &key
        && let Some(r) = already_accepted(&mut state.data.lock().unwrap(), k, "multicast", &rid)
    {
        return r;
    }
    let body = p.body;
    let Some(to) = body["to"].as_array() else {
        return LineError::invalid(vec![detail("to", "May not be empty")]).into_response_with(&rid);
    };
    if to.is_empty() || to.len() > 500 {
        return LineError::invalid(vec![detail("to", "Size must be between 1 and 500")])
            .into_response_with(&rid);
    }
    let mut details = messages::validate(&body["messages"]);
    details.extend(check_units(&body));
    if !details.is_empty() {
        return LineError::invalid(details).into_response_with(&rid);
    }
    let recipients: Vec<&str> = to.iter().map(|v| v.as_str().unwrap_or("")).collect();
    let out = Outgoing {
        via: "multicast",
        rid: &rid,
        key: key.as_deref(),
        body: &body,
    };
    if let Err(r) = accept_and_deliver(&state, &out, &recipients, json!({}), |i| {
        format!("The property, to[{i}], in the request body is invalid (line: -, column: -)")
    }) {
        return r;
    }
    finish(&state, &rid, StatusCode::OK, json!({})).await
}

pub async fn push(State(state): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = match gate::check(&state, &headers, &body, "push", true, true) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let rid = p.request_id;
    let key = match retry_key(&headers) {
        Ok(k) => k,
        Err(e) => return e.into_response_with(&rid),
    };
    if let Some(k) = &key
        && let Some(r) = already_accepted(&mut state.data.lock().unwrap(), k, "push", &rid)
    {
        return r;
    }
    let body = p.body;
    let to = body["to"].as_str().unwrap_or("").to_string();
    let mut details = messages::validate(&body["messages"]);
    details.extend(check_units(&body));
    if !details.is_empty() {
        return LineError::invalid(details).into_response_with(&rid);
    }
    let n = body["messages"].as_array().map_or(0, Vec::len);
    let response = json!({ "sentMessages": sent_messages(n) });
    let out = Outgoing {
        via: "push",
        rid: &rid,
        key: key.as_deref(),
        body: &body,
    };
    if let Err(r) = accept_and_deliver(&state, &out, &[to.as_str()], response.clone(), |_| {
        "The property, to, in the request body is invalid (line: -, column: -)".into()
    }) {
        return r;
    }
    finish(&state, &rid, StatusCode::OK, response).await
}

pub async fn reply(State(state): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = match gate::check(&state, &headers, &body, "reply", true, true) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let rid = p.request_id;
    if headers.contains_key("x-line-retry-key") {
        return LineError::bad_request("X-Line-Retry-Key is not supported for this API")
            .into_response_with(&rid);
    }
    let body = p.body;
    let details = messages::validate(&body["messages"]);
    if !details.is_empty() {
        return LineError::invalid(details).into_response_with(&rid);
    }
    let token = body["replyToken"].as_str().unwrap_or("");
    let user = {
        let mut data = state.data.lock().unwrap();
        match data.reply_tokens.remove(token) {
            Some((user, issued)) if issued.elapsed() < crate::state::REPLY_TOKEN_TTL => {
                if issued >= data.replies.since {
                    let us = issued.elapsed().as_micros() as u64;
                    data.replies.latencies_us.push(us);
                }
                Some(user)
            }
            Some((_, issued)) => {
                if issued >= data.replies.since {
                    data.replies.late += 1;
                }
                None
            }
            None => None,
        }
    };
    let Some(user) = user else {
        return LineError::bad_request("Invalid reply token").into_response_with(&rid);
    };
    let n = body["messages"].as_array().map_or(0, Vec::len);
    let response = json!({ "sentMessages": sent_messages(n) });
    let out = Outgoing {
        via: "reply",
        rid: &rid,
        key: None,
        body: &body,
    };
    if let Err(r) = accept_and_deliver(&state, &out, &[user.as_str()], response.clone(), |_| {
        "Invalid reply token".into()
    }) {
        return r;
    }
    finish(&state, &rid, StatusCode::OK, response).await
}

pub async fn validate(
    State(state): S,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = match gate::check(&state, &headers, &body, "other", false, true) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !["reply", "push", "multicast", "narrowcast", "broadcast"].contains(&kind.as_str()) {
        return LineError::not_found().into_response_with(&p.request_id);
    }
    let details = messages::validate(&p.body["messages"]);
    if !details.is_empty() {
        return LineError::invalid(details).into_response_with(&p.request_id);
    }
    json_response(StatusCode::OK, json!({}), &p.request_id)
}

pub async fn quota(State(state): S, headers: HeaderMap) -> Response {
    match gate::check_simple(&state, &headers, "other") {
        // Local-government accounts have no monthly cap.
        Ok(rid) => json_response(StatusCode::OK, json!({ "type": "none" }), &rid),
        Err(r) => r,
    }
}

pub async fn quota_consumption(State(state): S, headers: HeaderMap) -> Response {
    match gate::check_simple(&state, &headers, "other") {
        Ok(rid) => {
            let n = state.data.lock().unwrap().counters.messages_delivered;
            json_response(StatusCode::OK, json!({ "totalUsage": n }), &rid)
        }
        Err(r) => r,
    }
}
