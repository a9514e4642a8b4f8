//! Rich-menu batch control (`POST /v2/bot/richmenu/batch`): replace or
//! unlink the menu of every user linked to a given one, asynchronously,
//! with its progress at `GET /v2/bot/richmenu/progress/batch?requestId=`.
//! As at LINE: ≤ 1,000 operations, 3 requests an hour, an optional
//! `resumeRequestKey` (a key already accepted is refused unless its batch
//! failed), and the work done in steps so `ongoing` can be seen.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::gate;
use crate::respond::{LineError, detail, json_response};
use crate::state::{AppState, Batch, now_ms};

type S = State<Arc<AppState>>;

/// Users moved per step; a step every `STEP_PAUSE`.
const STEP: usize = 500;
const STEP_PAUSE: Duration = Duration::from_millis(20);

#[derive(Clone, Debug)]
enum Op {
    Link { from: String, to: String },
    Unlink { from: String },
    UnlinkAll,
}

fn parse(state: &AppState, body: &Value) -> Result<Vec<Op>, LineError> {
    let Some(ops) = body["operations"].as_array() else {
        return Err(LineError::invalid(vec![detail(
            "operations",
            "May not be empty",
        )]));
    };
    if ops.is_empty() || ops.len() > 1000 {
        return Err(LineError::invalid(vec![detail(
            "operations",
            "Size must be between 1 and 1000",
        )]));
    }
    if let Some(key) = body.get("resumeRequestKey").filter(|k| !k.is_null()) {
        let ok = key.as_str().is_some_and(|k| {
            (1..=100).contains(&k.len())
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if !ok {
            return Err(LineError::invalid(vec![detail(
                "resumeRequestKey",
                "must match ^[a-zA-Z0-9_-]{1,100}$",
            )]));
        }
    }
    let data = state.data.lock().unwrap();
    let known = |field: String, id: &str, needs_image: bool| match data.rich_menus.get(id) {
        Some(m) if needs_image && m.image.is_none() => Err(LineError::invalid(vec![detail(
            &field,
            "must upload richmenu image before applying it to user",
        )])),
        Some(_) => Ok(()),
        None => Err(LineError::invalid(vec![detail(
            &field,
            "richmenu not found",
        )])),
    };
    let mut out = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let text = |k: &str| op[k].as_str().unwrap_or("").to_string();
        match op["type"].as_str() {
            Some("link") => {
                let (from, to) = (text("from"), text("to"));
                known(format!("operations[{i}].from"), &from, false)?;
                known(format!("operations[{i}].to"), &to, true)?;
                out.push(Op::Link { from, to });
            }
            Some("unlink") => {
                let from = text("from");
                known(format!("operations[{i}].from"), &from, false)?;
                out.push(Op::Unlink { from });
            }
            Some("unlinkAll") => out.push(Op::UnlinkAll),
            _ => {
                return Err(LineError::invalid(vec![detail(
                    format!("operations[{i}].type"),
                    "must be one of link, unlink, unlinkAll",
                )]));
            }
        }
    }
    Ok(out)
}

pub async fn validate(State(state): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = match gate::check(&state, &headers, &body, "other", false, true) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match parse(&state, &p.body) {
        Ok(_) => json_response(StatusCode::OK, json!({}), &p.request_id),
        Err(e) => e.into_response_with(&p.request_id),
    }
}

pub async fn start(State(state): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = match gate::check(&state, &headers, &body, "richmenu.batch", false, true) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let ops = match parse(&state, &p.body) {
        Ok(ops) => ops,
        Err(e) => return e.into_response_with(&p.request_id),
    };
    let key = p.body["resumeRequestKey"].as_str().map(str::to_string);
    {
        let mut data = state.data.lock().unwrap();
        let taken = key.as_ref().is_some_and(|k| {
            data.batches
                .values()
                .any(|b| b.resume_key.as_ref() == Some(k) && b.phase != "failed")
        });
        if taken {
            return LineError::new(StatusCode::CONFLICT, "The resumeRequestKey is already used")
                .into_response_with(&p.request_id);
        }
        data.batches.insert(
            p.request_id.clone(),
            Batch {
                resume_key: key,
                accepted_ms: now_ms(),
                completed_ms: None,
                phase: "ongoing",
            },
        );
        *data.counters.accepted.entry("richmenu.batch").or_default() += 1;
    }
    tokio::spawn(run(state.clone(), p.request_id.clone(), ops));
    json_response(StatusCode::ACCEPTED, json!({}), &p.request_id)
}

/// Applies the operations a step at a time (LINE works through them in the background).
async fn run(state: Arc<AppState>, request_id: String, ops: Vec<Op>) {
    for op in ops {
        let users: Vec<String> = {
            let data = state.data.lock().unwrap();
            data.users
                .values()
                .filter(|u| match (&op, &u.rich_menu) {
                    (Op::Link { from, .. } | Op::Unlink { from }, Some(m)) => m == from,
                    (Op::UnlinkAll, Some(_)) => true,
                    _ => false,
                })
                .map(|u| u.id.clone())
                .collect()
        };
        for chunk in users.chunks(STEP) {
            tokio::time::sleep(STEP_PAUSE).await;
            let mut data = state.data.lock().unwrap();
            for id in chunk {
                if let Some(u) = data.users.get_mut(id.as_str()) {
                    u.rich_menu = match &op {
                        Op::Link { to, .. } => Some(to.clone()),
                        Op::Unlink { .. } | Op::UnlinkAll => None,
                    };
                }
            }
        }
    }
    tokio::time::sleep(STEP_PAUSE).await;
    if let Some(b) = state.data.lock().unwrap().batches.get_mut(&request_id) {
        b.phase = "succeeded";
        b.completed_ms = Some(now_ms());
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressQuery {
    request_id: Option<String>,
}

pub async fn progress(
    State(state): S,
    headers: HeaderMap,
    Query(q): Query<ProgressQuery>,
) -> Response {
    let rid = match gate::check_simple(&state, &headers, "other") {
        Ok(r) => r,
        Err(r) => return r,
    };
    let data = state.data.lock().unwrap();
    let Some(b) = q.request_id.as_ref().and_then(|id| data.batches.get(id)) else {
        return LineError::not_found().into_response_with(&rid);
    };
    let mut body = json!({ "phase": b.phase, "acceptedTime": iso(b.accepted_ms) });
    if let Some(done) = b.completed_ms {
        body["completedTime"] = json!(iso(done));
    }
    json_response(StatusCode::OK, body, &rid)
}

/// ISO 8601 in UTC with milliseconds, as LINE writes its times.
pub fn iso(ms: u128) -> String {
    let secs = (ms / 1000) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_as_line_writes_them() {
        assert_eq!(super::iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::iso(1_688_465_730_121), "2023-07-04T10:15:30.121Z");
        assert_eq!(super::iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
