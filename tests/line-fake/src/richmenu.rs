//! Rich menus: create/validate/list/delete, image upload (once only, exact
//! size, ≤ 1 MB), default menu, per-user links, bulk links, aliases.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::gate::{self, count_accepted};
use crate::messages::validate_rich_menu;
use crate::respond::{LineError, detail, json_response};
use crate::state::{AppState, RichMenu, random_hex};

type S = State<Arc<AppState>>;

macro_rules! pass {
    ($e:expr) => {
        match $e {
            Ok(p) => p,
            Err(r) => return r,
        }
    };
}

pub async fn create(State(state): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = pass!(gate::check(
        &state,
        &headers,
        &body,
        "richmenu.create",
        false,
        true
    ));
    let details = validate_rich_menu(&p.body);
    if !details.is_empty() {
        return LineError::invalid(details).into_response_with(&p.request_id);
    }
    let mut data = state.data.lock().unwrap();
    if data.rich_menus.len() >= 1000 {
        return LineError::bad_request("The number of rich menus has reached the limit")
            .into_response_with(&p.request_id);
    }
    let id = format!("richmenu-{}", random_hex(16));
    data.rich_menus.insert(
        id.clone(),
        RichMenu {
            width: p.body["size"]["width"].as_u64().unwrap_or(0) as u32,
            height: p.body["size"]["height"].as_u64().unwrap_or(0) as u32,
            body: p.body,
            image: None,
        },
    );
    *data.counters.accepted.entry("richmenu.create").or_default() += 1;
    json_response(StatusCode::OK, json!({ "richMenuId": id }), &p.request_id)
}

pub async fn validate(State(state): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = pass!(gate::check(&state, &headers, &body, "other", false, true));
    let details = validate_rich_menu(&p.body);
    if !details.is_empty() {
        return LineError::invalid(details).into_response_with(&p.request_id);
    }
    json_response(StatusCode::OK, json!({}), &p.request_id)
}

fn menu_json(id: &str, m: &RichMenu) -> Value {
    let mut v = m.body.clone();
    v["richMenuId"] = json!(id);
    v
}

pub async fn get(State(state): S, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "other"));
    let data = state.data.lock().unwrap();
    match data.rich_menus.get(&id) {
        Some(m) => json_response(StatusCode::OK, menu_json(&id, m), &rid),
        None => LineError::not_found().into_response_with(&rid),
    }
}

pub async fn list(State(state): S, headers: HeaderMap) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "richmenu.list"));
    let data = state.data.lock().unwrap();
    let menus: Vec<Value> = data
        .rich_menus
        .iter()
        .map(|(id, m)| menu_json(id, m))
        .collect();
    json_response(StatusCode::OK, json!({ "richmenus": menus }), &rid)
}

pub async fn delete(State(state): S, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "richmenu.delete"));
    let mut data = state.data.lock().unwrap();
    if data.rich_menus.remove(&id).is_none() {
        return LineError::not_found().into_response_with(&rid);
    }
    if data.default_rich_menu.as_deref() == Some(&id) {
        data.default_rich_menu = None;
    }
    data.aliases.retain(|_, m| *m != id);
    for u in data.users.values_mut() {
        if u.rich_menu.as_deref() == Some(&id) {
            u.rich_menu = None;
        }
    }
    json_response(StatusCode::OK, json!({}), &rid)
}

/// Width and height of a PNG or JPEG.
fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() >= 24 {
        let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
        let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
        return Some((w, h));
    }
    if bytes.starts_with(&[0xFF, 0xD8]) {
        let mut i = 2;
        while i + 9 < bytes.len() {
            if bytes[i] != 0xFF {
                return None;
            }
            let marker = bytes[i + 1];
            let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
            if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
                let h = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]) as u32;
                let w = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]) as u32;
                return Some((w, h));
            }
            i += 2 + len;
        }
    }
    None
}

pub async fn upload_image(
    State(state): S,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rid = pass!(gate::check(
        &state,
        &headers,
        &Bytes::new(),
        "other",
        false,
        false
    ))
    .request_id;
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if ct != "image/jpeg" && ct != "image/png" {
        return LineError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("The content type, {ct}, is not supported"),
        )
        .into_response_with(&rid);
    }
    if body.len() > 1024 * 1024 {
        return LineError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
            .into_response_with(&rid);
    }
    let mut data = state.data.lock().unwrap();
    let Some(menu) = data.rich_menus.get_mut(&id) else {
        return LineError::not_found().into_response_with(&rid);
    };
    if menu.image.is_some() {
        return LineError::bad_request("An image has already been uploaded to the richmenu")
            .into_response_with(&rid);
    }
    match image_size(&body) {
        Some((w, h)) if w == menu.width && h == menu.height => {}
        Some((w, h)) => {
            return LineError::bad_request(format!(
                "The image size must match the rich menu size ({}x{}), got {w}x{h}",
                menu.width, menu.height
            ))
            .into_response_with(&rid);
        }
        None => {
            return LineError::bad_request("The image could not be read").into_response_with(&rid);
        }
    }
    menu.image = Some((ct, body));
    drop(data);
    count_accepted(&state, "richmenu.content");
    json_response(StatusCode::OK, json!({}), &rid)
}

fn has_image(state: &AppState, id: &str) -> Result<(), LineError> {
    let data = state.data.lock().unwrap();
    match data.rich_menus.get(id) {
        None => Err(LineError::not_found()),
        Some(m) if m.image.is_none() => Err(LineError::bad_request(
            "must upload richmenu image before applying it to user",
        )),
        Some(_) => Ok(()),
    }
}

pub async fn set_default(State(state): S, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "other"));
    if let Err(e) = has_image(&state, &id) {
        return e.into_response_with(&rid);
    }
    state.data.lock().unwrap().default_rich_menu = Some(id);
    json_response(StatusCode::OK, json!({}), &rid)
}

pub async fn get_default(State(state): S, headers: HeaderMap) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "other"));
    match state.data.lock().unwrap().default_rich_menu.clone() {
        Some(id) => json_response(StatusCode::OK, json!({ "richMenuId": id }), &rid),
        None => {
            LineError::new(StatusCode::NOT_FOUND, "no default richmenu").into_response_with(&rid)
        }
    }
}

pub async fn delete_default(State(state): S, headers: HeaderMap) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "other"));
    state.data.lock().unwrap().default_rich_menu = None;
    json_response(StatusCode::OK, json!({}), &rid)
}

pub async fn link_user(
    State(state): S,
    Path((user, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "other"));
    if let Err(e) = has_image(&state, &id) {
        return e.into_response_with(&rid);
    }
    let mut data = state.data.lock().unwrap();
    match data.users.get_mut(user.as_str()) {
        Some(u) => {
            u.rich_menu = Some(id);
            json_response(StatusCode::OK, json!({}), &rid)
        }
        None => {
            LineError::bad_request("The user hasn't added the LINE Official Account as a friend.")
                .into_response_with(&rid)
        }
    }
}

pub async fn user_menu(State(state): S, Path(user): Path<String>, headers: HeaderMap) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "other"));
    let data = state.data.lock().unwrap();
    match data
        .users
        .get(user.as_str())
        .and_then(|u| u.rich_menu.clone())
    {
        Some(id) => json_response(StatusCode::OK, json!({ "richMenuId": id }), &rid),
        None => LineError::new(StatusCode::NOT_FOUND, "the user has no richmenu")
            .into_response_with(&rid),
    }
}

pub async fn unlink_user(
    State(state): S,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "other"));
    if let Some(u) = state.data.lock().unwrap().users.get_mut(user.as_str()) {
        u.rich_menu = None;
    }
    json_response(StatusCode::OK, json!({}), &rid)
}

fn user_ids(body: &Value) -> Result<Vec<String>, LineError> {
    let ids = body["userIds"]
        .as_array()
        .ok_or_else(|| LineError::invalid(vec![detail("userIds", "May not be empty")]))?;
    if ids.is_empty() || ids.len() > 500 {
        return Err(LineError::invalid(vec![detail(
            "userIds",
            "Size must be between 1 and 500",
        )]));
    }
    Ok(ids
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect())
}

pub async fn bulk_link(State(state): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = pass!(gate::check(
        &state,
        &headers,
        &body,
        "richmenu.bulk",
        false,
        true
    ));
    let id = p.body["richMenuId"].as_str().unwrap_or("").to_string();
    let ids = match user_ids(&p.body).and_then(|ids| has_image(&state, &id).map(|_| ids)) {
        Ok(i) => i,
        Err(e) => return e.into_response_with(&p.request_id),
    };
    let mut data = state.data.lock().unwrap();
    for u in ids {
        if let Some(user) = data.users.get_mut(u.as_str()) {
            user.rich_menu = Some(id.clone());
        }
    }
    *data
        .counters
        .accepted
        .entry("richmenu.bulk.link")
        .or_default() += 1;
    json_response(StatusCode::ACCEPTED, json!({}), &p.request_id)
}

pub async fn bulk_unlink(State(state): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = pass!(gate::check(
        &state,
        &headers,
        &body,
        "richmenu.bulk",
        false,
        true
    ));
    let ids = match user_ids(&p.body) {
        Ok(i) => i,
        Err(e) => return e.into_response_with(&p.request_id),
    };
    let mut data = state.data.lock().unwrap();
    for u in ids {
        if let Some(user) = data.users.get_mut(u.as_str()) {
            user.rich_menu = None;
        }
    }
    *data
        .counters
        .accepted
        .entry("richmenu.bulk.unlink")
        .or_default() += 1;
    json_response(StatusCode::ACCEPTED, json!({}), &p.request_id)
}

fn valid_alias(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

pub async fn alias_create(State(state): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = pass!(gate::check(&state, &headers, &body, "other", false, true));
    let alias = p.body["richMenuAliasId"].as_str().unwrap_or("").to_string();
    let menu = p.body["richMenuId"].as_str().unwrap_or("").to_string();
    if !valid_alias(&alias) {
        return LineError::invalid(vec![detail(
            "richMenuAliasId",
            "must match ^[a-z0-9_-]{1,32}$",
        )])
        .into_response_with(&p.request_id);
    }
    if let Err(e) = has_image(&state, &menu) {
        return e.into_response_with(&p.request_id);
    }
    let mut data = state.data.lock().unwrap();
    if data.aliases.contains_key(&alias) {
        return LineError::bad_request("conflict richmenu alias id")
            .into_response_with(&p.request_id);
    }
    if data.aliases.len() >= 1000 {
        return LineError::bad_request("The number of rich menu aliases has reached the limit")
            .into_response_with(&p.request_id);
    }
    data.aliases.insert(alias, menu);
    json_response(StatusCode::OK, json!({}), &p.request_id)
}

pub async fn alias_update(
    State(state): S,
    Path(alias): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let p = pass!(gate::check(&state, &headers, &body, "other", false, true));
    let menu = p.body["richMenuId"].as_str().unwrap_or("").to_string();
    if let Err(e) = has_image(&state, &menu) {
        return e.into_response_with(&p.request_id);
    }
    let mut data = state.data.lock().unwrap();
    match data.aliases.get_mut(&alias) {
        Some(m) => {
            *m = menu;
            json_response(StatusCode::OK, json!({}), &p.request_id)
        }
        None => LineError::not_found().into_response_with(&p.request_id),
    }
}

pub async fn alias_get(State(state): S, Path(alias): Path<String>, headers: HeaderMap) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "other"));
    match state.data.lock().unwrap().aliases.get(&alias) {
        Some(m) => json_response(
            StatusCode::OK,
            json!({ "richMenuAliasId": alias, "richMenuId": m }),
            &rid,
        ),
        None => LineError::not_found().into_response_with(&rid),
    }
}

pub async fn alias_delete(
    State(state): S,
    Path(alias): Path<String>,
    headers: HeaderMap,
) -> Response {
    let rid = pass!(gate::check_simple(
        &state,
        &headers,
        "richmenu.alias.delete"
    ));
    match state.data.lock().unwrap().aliases.remove(&alias) {
        Some(_) => json_response(StatusCode::OK, json!({}), &rid),
        None => LineError::not_found().into_response_with(&rid),
    }
}

pub async fn alias_list(State(state): S, headers: HeaderMap) -> Response {
    let rid = pass!(gate::check_simple(&state, &headers, "other"));
    let data = state.data.lock().unwrap();
    let aliases: Vec<Value> = data
        .aliases
        .iter()
        .map(|(a, m)| json!({ "richMenuAliasId": a, "richMenuId": m }))
        .collect();
    json_response(StatusCode::OK, json!({ "aliases": aliases }), &rid)
}
