//! What a user sees and does on the phone: the rich menu shown (a tab
//! switched to > the user's own menu > the default), a tap on one of its
//! areas (a postback, a text, a tab switch through an alias, a link opened),
//! and a small phone page for the demo and browser tests.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::{AppState, Data, Switched};
use crate::webhook;

type S = State<Arc<AppState>>;

fn fail(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

/// The menu the user has under any switch, and where it comes from.
fn base_menu(data: &Data, user: &str) -> Option<(String, &'static str)> {
    let own = data.users.get(user)?.rich_menu.clone();
    own.map(|m| (m, "user"))
        .or_else(|| data.default_rich_menu.clone().map(|m| (m, "default")))
}

/// The menu on the user's screen: a tab switched to stays while the menu it
/// was switched from is still theirs (and still exists).
pub fn shown(data: &Data, user: &str) -> Option<(String, &'static str)> {
    let base = base_menu(data, user)?;
    match data.switched.get(user) {
        Some(s) if s.from == base.0 && data.rich_menus.contains_key(&s.to) => {
            Some((s.to.clone(), "switched"))
        }
        _ => Some(base),
    }
}

pub async fn menu(State(state): S, Path(user): Path<String>) -> Response {
    let data = state.data.lock().unwrap();
    if !data.users.contains_key(user.as_str()) {
        return fail(StatusCode::NOT_FOUND, "no such user");
    }
    match shown(&data, &user) {
        Some((id, source)) => {
            let body = data
                .rich_menus
                .get(&id)
                .map(|m| m.body.clone())
                .unwrap_or(Value::Null);
            Json(json!({ "richMenuId": id, "source": source, "menu": body })).into_response()
        }
        None => Json(json!({ "richMenuId": null, "source": null, "menu": null })).into_response(),
    }
}

pub async fn image(State(state): S, Path(id): Path<String>) -> Response {
    let data = state.data.lock().unwrap();
    match data.rich_menus.get(&id).and_then(|m| m.image.clone()) {
        Some((ct, bytes)) => ([(header::CONTENT_TYPE, ct)], bytes).into_response(),
        None => fail(StatusCode::NOT_FOUND, "no image"),
    }
}

#[derive(Deserialize)]
pub struct Tap {
    /// The area's index on the menu shown.
    pub area: usize,
}

/// Taps an area of the menu on the user's screen, as LINE would act on it.
pub async fn tap(State(state): S, Path(user): Path<String>, Json(t): Json<Tap>) -> Response {
    let (menu, action) = {
        let data = state.data.lock().unwrap();
        if !data.users.contains_key(user.as_str()) {
            return fail(StatusCode::NOT_FOUND, "no such user");
        }
        let Some((menu, _)) = shown(&data, &user) else {
            return fail(StatusCode::CONFLICT, "the user has no rich menu");
        };
        let Some(action) = data
            .rich_menus
            .get(&menu)
            .and_then(|m| m.body["areas"].get(t.area))
            .map(|a| a["action"].clone())
        else {
            return fail(StatusCode::BAD_REQUEST, "no such area");
        };
        (menu, action)
    };
    let text = |k: &str| action[k].as_str().unwrap_or("").to_string();
    let event = match action["type"].as_str() {
        Some("postback") => webhook::event(
            &state,
            "postback",
            &user,
            json!({ "postback": { "data": text("data") } }),
            "active",
        ),
        Some("message") => webhook::event(
            &state,
            "message",
            &user,
            json!({ "message": { "type": "text", "id": format!("{}", crate::state::now_ms()), "text": text("text"), "quoteToken": crate::state::random_hex(16) } }),
            "active",
        ),
        Some("richmenuswitch") => {
            let alias = text("richMenuAliasId");
            let mut data = state.data.lock().unwrap();
            let Some(to) = data.aliases.get(&alias).cloned() else {
                // What a resident would meet mid-swap if aliases pointed nowhere.
                return fail(StatusCode::CONFLICT, "the alias points to no rich menu");
            };
            let from = base_menu(&data, &user).map(|b| b.0).unwrap_or_default();
            data.switched.insert(user.clone(), Switched { from, to });
            drop(data);
            webhook::event(
                &state,
                "postback",
                &user,
                json!({ "postback": { "data": text("data"), "params": { "newRichMenuAliasId": alias, "status": "SUCCESS" } } }),
                "active",
            )
        }
        Some("uri") => {
            return Json(json!({ "richMenuId": menu, "opened": text("uri") })).into_response();
        }
        _ => return fail(StatusCode::BAD_REQUEST, "an action this fake does not play"),
    };
    match webhook::deliver(&state, vec![event.clone()]).await {
        Ok(status) => Json(json!({ "richMenuId": menu, "webhookStatus": status, "event": event }))
            .into_response(),
        Err(e) => fail(StatusCode::BAD_GATEWAY, &e),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The user's phone: the talk screen's last messages and the rich menu,
/// its areas tappable.
pub async fn phone(State(state): S, Path(user): Path<String>) -> Response {
    let data = state.data.lock().unwrap();
    let Some(u) = data.users.get(user.as_str()) else {
        return fail(StatusCode::NOT_FOUND, "no such user");
    };
    let said: String = u
        .inbox
        .iter()
        .rev()
        .take(6)
        .rev()
        .flat_map(|d| d.messages.as_array().cloned().unwrap_or_default())
        .filter_map(|m| {
            m["text"]
                .as_str()
                .or(m["altText"].as_str())
                .map(|t| format!("<li class=\"bubble\">{}</li>", escape(t)))
        })
        .collect();
    let menu = shown(&data, &user).and_then(|(id, source)| {
        data.rich_menus
            .get(&id)
            .map(|m| (id.clone(), source, m.body.clone(), m.width, m.height))
    });
    let menu_html = match menu {
        None => "<p class=\"none\">リッチメニューはありません</p>".to_string(),
        Some((id, source, body, w, h)) => {
            let areas: String = body["areas"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let b = &a["bounds"];
                    let pct = |k: &str, of: u32| b[k].as_f64().unwrap_or(0.0) * 100.0 / f64::from(of.max(1));
                    let label = a["action"]["label"].as_str().unwrap_or("");
                    format!(
                        "<button class=\"area\" data-area=\"{i}\" aria-label=\"{}\" style=\"left:{:.3}%;top:{:.3}%;width:{:.3}%;height:{:.3}%\"></button>",
                        escape(label),
                        pct("x", w),
                        pct("y", h),
                        pct("width", w),
                        pct("height", h)
                    )
                })
                .collect();
            format!(
                "<div class=\"menu\" data-menu=\"{id}\" data-source=\"{source}\" style=\"aspect-ratio:{w}/{h}\"><img src=\"/_fake/richmenu/{id}/image\" alt=\"{}\">{areas}</div><p class=\"bar\">{} ▾</p>",
                escape(body["name"].as_str().unwrap_or("")),
                escape(body["chatBarText"].as_str().unwrap_or(""))
            )
        }
    };
    let name = escape(&u.display_name);
    Html(format!(
        "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{name}のLINE（サンドボックス）</title>\
         <style>body{{font-family:sans-serif;margin:0;background:#8cabd9;max-width:420px}}h1{{font-size:16px;background:#243447;color:#fff;margin:0;padding:.6rem}}\
         ul{{list-style:none;padding:.5rem;min-height:30vh}}.bubble{{background:#fff;border-radius:12px;padding:.5rem .7rem;margin:.3rem 0;white-space:pre-wrap}}\
         .menu{{position:relative;width:100%}}.menu img{{width:100%;height:100%;display:block}}.area{{position:absolute;background:transparent;border:1px dashed rgba(0,0,0,.25);cursor:pointer}}\
         .bar{{margin:0;background:#fff;text-align:center;padding:.5rem;border-top:1px solid #ccc}}.none{{background:#fff;margin:0;padding:1rem}}</style>\
         <body><h1>{name}</h1><ul>{said}</ul>{menu_html}\
         <script>for(const b of document.querySelectorAll('.area')){{b.onclick=async()=>{{\
         const r=await fetch(location.pathname.replace(/phone$/,'richmenu/tap'),{{method:'POST',headers:{{'content-type':'application/json'}},body:JSON.stringify({{area:+b.dataset.area}})}});\
         const j=await r.json();if(j.opened){{location.href=j.opened}}else{{location.reload()}}}}}}</script></body></html>"
    ))
    .into_response()
}
