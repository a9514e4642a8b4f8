//! Profiles and follower ids.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::json;

use crate::gate;
use crate::respond::{LineError, detail, json_response};
use crate::state::AppState;

type S = State<Arc<AppState>>;

pub async fn profile(State(state): S, Path(user): Path<String>, headers: HeaderMap) -> Response {
    let rid = match gate::check_simple(&state, &headers, "other") {
        Ok(r) => r,
        Err(r) => return r,
    };
    let data = state.data.lock().unwrap();
    match data.users.get(user.as_str()).filter(|u| u.following) {
        Some(u) => json_response(
            StatusCode::OK,
            json!({
                "displayName": u.display_name,
                "userId": u.id,
                "pictureUrl": format!("https://profile.line-scdn.net/fake/{}", u.id),
                "language": u.language,
            }),
            &rid,
        ),
        None => LineError::not_found().into_response_with(&rid),
    }
}

/// `GET /v2/bot/followers/ids?limit=&start=`: following users in a stable order.
pub async fn follower_ids(
    State(state): S,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let rid = match gate::check_simple(&state, &headers, "other") {
        Ok(r) => r,
        Err(r) => return r,
    };
    let limit: usize = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 1000,
        Some(Ok(l)) if (1..=1000).contains(&l) => l,
        _ => {
            return LineError::invalid(vec![detail("limit", "must be between 1 and 1000")])
                .into_response_with(&rid);
        }
    };
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let start: usize = match q.get("start") {
        None => 0,
        Some(s) => match engine
            .decode(s)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse().ok())
        {
            Some(n) => n,
            None => return LineError::bad_request("Invalid start").into_response_with(&rid),
        },
    };
    let data = state.data.lock().unwrap();
    // Positions in creation order, so `next` counts skipped non-followers.
    let following: Vec<(usize, &String)> = data
        .users
        .values()
        .enumerate()
        .skip(start)
        .filter(|(_, u)| u.following)
        .map(|(i, u)| (i, &u.id))
        .take(limit + 1)
        .collect();
    let ids: Vec<&String> = following.iter().take(limit).map(|(_, id)| *id).collect();
    let mut body = json!({ "userIds": ids });
    if following.len() > limit {
        let (last, _) = following[limit - 1];
        body["next"] = json!(engine.encode((last + 1).to_string()));
    }
    json_response(StatusCode::OK, body, &rid)
}
