//! What every Messaging API request passes through before its handler:
//! request id, bearer token, body size, content type, rate limit, faults.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::limits::Fault;
use crate::respond::{LineError, request_id};
use crate::state::AppState;

pub const MAX_BODY: usize = 2 * 1024 * 1024;

pub struct Passed {
    pub request_id: String,
    pub body: Value,
}

/// Runs the common checks; `send` endpoints also suffer injected faults.
pub fn check(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
    endpoint: &'static str,
    send: bool,
    expects_json: bool,
) -> Result<Passed, Response> {
    let rid = request_id();
    let fail = |e: LineError| {
        let key = format!("{endpoint}:{}", e.status.as_u16());
        *state
            .data
            .lock()
            .unwrap()
            .counters
            .rejected
            .entry(key)
            .or_default() += 1;
        e.into_response_with(&rid)
    };
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if token != Some(state.config.channel_access_token.as_str()) {
        return Err(fail(LineError::unauthorized()));
    }
    if body.len() > MAX_BODY {
        return Err(fail(LineError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
        )));
    }
    if !state.buckets.take(endpoint) {
        return Err(fail(LineError::rate_limited()));
    }
    if send {
        match state.faults.lock().unwrap().before_accept() {
            Fault::TooMany => return Err(fail(LineError::rate_limited())),
            Fault::Error500 => {
                return Err(fail(LineError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "An error occurred on the server",
                )));
            }
            Fault::None => {}
        }
    }
    if !expects_json {
        return Ok(Passed {
            request_id: rid,
            body: Value::Null,
        });
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(fail(LineError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("The content type, {ct}, is not supported"),
        )));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => Ok(Passed {
            request_id: rid,
            body: v,
        }),
        Err(e) => Err(fail(LineError::bad_request(format!(
            "The request body could not be parsed as JSON (line: {}, column: {})",
            e.line(),
            e.column()
        )))),
    }
}

/// Checks only the bearer token and counts against the endpoint's bucket (GET/DELETE endpoints).
pub fn check_simple(
    state: &AppState,
    headers: &HeaderMap,
    endpoint: &'static str,
) -> Result<String, Response> {
    check(state, headers, &Bytes::new(), endpoint, false, false).map(|p| p.request_id)
}

pub fn count_accepted(state: &AppState, endpoint: &'static str) {
    *state
        .data
        .lock()
        .unwrap()
        .counters
        .accepted
        .entry(endpoint)
        .or_default() += 1;
}
