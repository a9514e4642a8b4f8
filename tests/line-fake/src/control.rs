//! The control API (`/_fake/...`): simulated users, their actions (signed
//! webhooks to tenohira), what they received, counters, faults, rate limits
//! and ID tokens.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::identity::{self, MintRequest};
use crate::limits::Faults;
use crate::state::{AppState, User, bulk_user_id, new_user_id};
use crate::webhook;

type S = State<Arc<AppState>>;

fn bad(msg: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": msg.into() })),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NewUser {
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub language: Option<String>,
    /// Create the user already following (without sending a follow event).
    pub following: bool,
}

pub async fn create_user(State(state): S, body: Option<Json<NewUser>>) -> Response {
    let req = body.map(|b| b.0).unwrap_or_default();
    let id = req.user_id.unwrap_or_else(new_user_id);
    if !crate::state::is_user_id(&id) {
        return bad("userId must be U + 32 lowercase hex digits");
    }
    let mut data = state.data.lock().unwrap();
    let added = data.users.insert(User {
        id: id.clone(),
        display_name: req.display_name.unwrap_or_else(|| "県民 テスト".into()),
        language: req.language.unwrap_or_else(|| "ja".into()),
        following: req.following,
        inbox: vec![],
        rich_menu: None,
    });
    if !added {
        return bad("user exists");
    }
    Json(json!({ "userId": id })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bulk {
    pub count: u64,
    #[serde(default)]
    pub prefix: u32,
}

/// Creates `count` following users with ids `bulk_user_id(prefix, 0..count)`.
pub async fn bulk_users(State(state): S, Json(b): Json<Bulk>) -> Response {
    let mut data = state.data.lock().unwrap();
    data.users.reserve(b.count as usize);
    for n in 0..b.count {
        let added = data.users.insert(User {
            id: bulk_user_id(b.prefix, n),
            display_name: format!("県民{n}"),
            language: "ja".into(),
            following: true,
            inbox: vec![],
            rich_menu: None,
        });
        if !added {
            return bad(format!("user {} exists", bulk_user_id(b.prefix, n)));
        }
    }
    Json(json!({ "created": b.count, "first": bulk_user_id(b.prefix, 0) })).into_response()
}

fn exists(state: &AppState, id: &str) -> bool {
    state.data.lock().unwrap().users.contains_key(id)
}

async fn send_event(state: &AppState, event: Value) -> Response {
    match webhook::deliver(state, vec![event.clone()]).await {
        Ok(status) => Json(json!({ "webhookStatus": status, "event": event })).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({ "error": e }))).into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Mode {
    /// `active` (default) or `standby`.
    pub mode: Option<String>,
}

pub async fn follow(State(state): S, Path(id): Path<String>, body: Option<Json<Mode>>) -> Response {
    if !exists(&state, &id) {
        return bad("no such user");
    }
    let was_blocked = {
        let mut data = state.data.lock().unwrap();
        let u = data.users.get_mut(id.as_str()).expect("checked");
        let was = !u.following && !u.inbox.is_empty();
        u.following = true;
        was
    };
    let mode = body
        .and_then(|b| b.0.mode)
        .unwrap_or_else(|| "active".into());
    let e = webhook::event(
        &state,
        "follow",
        &id,
        json!({ "follow": { "isUnblocked": was_blocked } }),
        &mode,
    );
    send_event(&state, e).await
}

pub async fn unfollow(State(state): S, Path(id): Path<String>) -> Response {
    if !exists(&state, &id) {
        return bad("no such user");
    }
    if let Some(u) = state.data.lock().unwrap().users.get_mut(id.as_str()) {
        u.following = false;
    }
    let e = webhook::event(&state, "unfollow", &id, json!({}), "active");
    send_event(&state, e).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Text {
    pub text: String,
    #[serde(default)]
    pub mode: Option<String>,
}

pub async fn message(State(state): S, Path(id): Path<String>, Json(t): Json<Text>) -> Response {
    if !exists(&state, &id) {
        return bad("no such user");
    }
    let e = webhook::event(
        &state,
        "message",
        &id,
        json!({ "message": { "type": "text", "id": format!("{}", crate::state::now_ms()), "text": t.text, "quoteToken": crate::state::random_hex(16) } }),
        t.mode.as_deref().unwrap_or("active"),
    );
    send_event(&state, e).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SaidText {
    pub user_id: String,
    pub text: String,
}

#[derive(Deserialize)]
pub struct Texts {
    pub messages: Vec<SaidText>,
}

/// Several texts (one resident typing fast, or many residents) in one
/// signed webhook, in the order given, each with its own reply token: LINE
/// batches events that way.
pub async fn messages(State(state): S, Json(t): Json<Texts>) -> Response {
    if let Some(m) = t.messages.iter().find(|m| !exists(&state, &m.user_id)) {
        return bad(format!("no such user: {}", m.user_id));
    }
    let events: Vec<Value> = t
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            webhook::event(
                &state,
                "message",
                &m.user_id,
                json!({ "message": { "type": "text", "id": format!("{}{i:03}", crate::state::now_ms()), "text": m.text, "quoteToken": crate::state::random_hex(16) } }),
                "active",
            )
        })
        .collect();
    match webhook::deliver(&state, events).await {
        Ok(status) => Json(json!({ "webhookStatus": status })).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({ "error": e }))).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaMessage {
    /// image | video | audio | file
    pub kind: String,
}

/// A resident sends a picture, video, audio or file (tenohira must not download it).
pub async fn media_message(
    State(state): S,
    Path(id): Path<String>,
    Json(m): Json<MediaMessage>,
) -> Response {
    if !exists(&state, &id) {
        return bad("no such user");
    }
    let e = webhook::event(
        &state,
        "message",
        &id,
        json!({ "message": { "type": m.kind, "id": format!("{}", crate::state::now_ms()), "contentProvider": { "type": "line" } } }),
        "active",
    );
    send_event(&state, e).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Postback {
    pub data: String,
    #[serde(default)]
    pub params: Option<Value>,
}

pub async fn postback(
    State(state): S,
    Path(id): Path<String>,
    Json(p): Json<Postback>,
) -> Response {
    if !exists(&state, &id) {
        return bad("no such user");
    }
    let mut pb = json!({ "data": p.data });
    if let Some(params) = p.params {
        pb["params"] = params;
    }
    let e = webhook::event(&state, "postback", &id, json!({ "postback": pb }), "active");
    send_event(&state, e).await
}

/// Sends a raw body to the webhook, signed or with a given signature (tests of the receiver).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawEvents {
    pub events: Vec<Value>,
}

pub async fn raw_events(State(state): S, Json(r): Json<RawEvents>) -> Response {
    match webhook::deliver(&state, r.events).await {
        Ok(status) => Json(json!({ "webhookStatus": status })).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({ "error": e }))).into_response(),
    }
}

pub async fn inbox(State(state): S, Path(id): Path<String>) -> Response {
    let data = state.data.lock().unwrap();
    match data.users.get(id.as_str()) {
        Some(u) => Json(json!({ "userId": id, "following": u.following, "richMenuId": u.rich_menu, "messages": u.inbox })).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({ "error": "no such user" }))).into_response(),
    }
}

/// How many users hold how many messages: `{"0": 3, "1": 20000}`. Lets a
/// test check "everyone exactly once" over many recipients in one call.
pub async fn inbox_histogram(State(state): S) -> Response {
    let data = state.data.lock().unwrap();
    let mut h: std::collections::BTreeMap<usize, u64> = std::collections::BTreeMap::new();
    for u in data.users.values() {
        *h.entry(u.inbox.len()).or_default() += 1;
    }
    let h: serde_json::Map<String, Value> = h
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    Json(json!({ "histogram": h })).into_response()
}

pub async fn stats(State(state): S) -> Response {
    let data = state.data.lock().unwrap();
    let c = &data.counters;
    Json(json!({
        "accepted": c.accepted,
        "duplicates": c.duplicates,
        "rejected": c.rejected,
        "messagesDelivered": c.messages_delivered,
        "users": data.users.len(),
        "following": data.users.values().filter(|u| u.following).count(),
        "richMenus": data.rich_menus.len(),
        "aliases": data.aliases,
        "defaultRichMenu": data.default_rich_menu,
    }))
    .into_response()
}

pub async fn set_faults(State(state): S, Json(f): Json<Faults>) -> Response {
    *state.faults.lock().unwrap() = f;
    Json(json!({ "ok": true })).into_response()
}

/// `{"multicast": 200, "push": null}`: per-second rates; null lifts the limit.
pub async fn set_rate_limits(
    State(state): S,
    Json(rates): Json<serde_json::Map<String, Value>>,
) -> Response {
    for (endpoint, rate) in rates {
        match rate {
            Value::Null => state.buckets.set_rate(&endpoint, None),
            Value::Number(n) => state.buckets.set_rate(&endpoint, n.as_f64()),
            _ => return bad("rates are numbers or null"),
        }
    }
    Json(json!({ "rates": state.buckets.rates() })).into_response()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ConfigChange {
    pub webhook_url: Option<String>,
    pub record_inbox: Option<bool>,
}

pub async fn config(State(state): S, Json(c): Json<ConfigChange>) -> Response {
    let mut data = state.data.lock().unwrap();
    if let Some(u) = c.webhook_url {
        data.webhook_url = Some(u);
    }
    if let Some(r) = c.record_inbox {
        data.record_inbox = r;
    }
    Json(json!({ "webhookUrl": data.webhook_url, "recordInbox": data.record_inbox, "botUserId": state.config.bot_user_id }))
        .into_response()
}

pub async fn id_token(State(state): S, Json(req): Json<MintRequest>) -> Response {
    if req.user_id.is_empty() {
        return bad("userId is required");
    }
    match identity::mint(
        &state.keys,
        &state.config.login_channel_id,
        &state.config.channel_secret,
        &req,
    ) {
        Ok(t) => Json(json!({ "idToken": t })).into_response(),
        Err(e) => bad(e),
    }
}

pub async fn rotate_keys(State(state): S) -> Response {
    Json(json!({ "kid": state.keys.rotate() })).into_response()
}

pub async fn retire_key(State(state): S) -> Response {
    Json(json!({ "retired": state.keys.retire() })).into_response()
}

/// Forgets users, deliveries, retry keys, menus and faults (not the keys).
pub async fn reset(State(state): S) -> Response {
    let webhook_url = state.data.lock().unwrap().webhook_url.clone();
    *state.data.lock().unwrap() = crate::state::Data {
        webhook_url,
        ..Default::default()
    };
    *state.faults.lock().unwrap() = Faults::default();
    Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct LoginQuery {
    pub redirect_uri: String,
    /// Log in as this simulated user at once (tests); otherwise a page lets you pick.
    pub user: Option<String>,
}

/// The sandbox LINE Login for LIFF pages opened in an ordinary browser:
/// pick (or create) a simulated user and go back to `redirect_uri` with an
/// ES256 ID token in the fragment, as LINE's implicit flow would.
pub async fn login(
    State(state): S,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Response {
    let allowed = q.redirect_uri.starts_with("http://127.0.0.1")
        || q.redirect_uri.starts_with("http://localhost")
        || q.redirect_uri.starts_with("https://");
    if !allowed {
        return bad("redirect_uri must be http://127.0.0.1, http://localhost or https://");
    }
    if let Some(user) = q.user.filter(|u| exists(&state, u)) {
        let req = MintRequest {
            user_id: user,
            ..Default::default()
        };
        return match identity::mint(
            &state.keys,
            &state.config.login_channel_id,
            &state.config.channel_secret,
            &req,
        ) {
            Ok(token) => {
                axum::response::Redirect::to(&format!("{}#id_token={token}", q.redirect_uri))
                    .into_response()
            }
            Err(e) => bad(e),
        };
    }
    let users: Vec<(String, String)> = {
        let data = state.data.lock().unwrap();
        data.users
            .values()
            .rev()
            .take(50)
            .map(|u| (u.id.clone(), u.display_name.clone()))
            .collect()
    };
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('"', "&quot;")
    };
    let target = escape(&q.redirect_uri);
    let items: String = users
        .iter()
        .map(|(id, name)| format!("<li><a href=\"/_fake/login?redirect_uri={}&amp;user={id}\">{} <small>{id}</small></a></li>", urlencode(&q.redirect_uri), escape(name)))
        .collect();
    axum::response::Html(format!(
        "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>LINEログイン（サンドボックス）</title><body style=\"font-family:sans-serif;font-size:18px;padding:1rem\">\
         <h1>LINEログイン（サンドボックス）</h1><p>ログインする利用者を選んでください。戻り先: {target}</p><ul>{items}</ul>\
         <p>利用者は <code>scripts/sandbox.sh follow</code> で作れます。</p></body></html>"
    ))
    .into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
