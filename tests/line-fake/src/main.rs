//! line-fake: behaves like the LINE platform for tenohira's tests, benchmarks
//! and demo (see tenohira's `../shared/LINE-PLATFORM.md`). It validates
//! requests, answers with LINE's status codes and error bodies, remembers
//! retry keys, enforces rate limits, signs webhooks and issues ES256 ID
//! tokens. It records what each simulated user received.

// Gate checks return the finished error response itself; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

mod batch;
mod burst;
mod control;
mod gate;
mod identity;
mod limits;
mod messages;
mod respond;
mod richmenu;
mod screen;
mod send;
mod state;
mod users;
mod webhook;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{DefaultBodyLimit, Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Parser;
use serde_json::json;

use crate::state::{AppState, Config, Data};

#[derive(Parser)]
#[command(name = "line-fake", about = "A stand-in for the LINE platform")]
struct Args {
    /// Address to listen on; port 0 picks a free one (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    #[arg(
        long,
        env = "LINE_FAKE_CHANNEL_ACCESS_TOKEN",
        default_value = "sandbox-channel-access-token"
    )]
    channel_access_token: String,
    #[arg(
        long,
        env = "LINE_FAKE_CHANNEL_SECRET",
        default_value = "sandbox-channel-secret"
    )]
    channel_secret: String,
    #[arg(long, env = "LINE_FAKE_LOGIN_CHANNEL_ID", default_value = "1650000000")]
    login_channel_id: String,
    /// tenohira's webhook URL (can also be set later through /_fake/config).
    #[arg(long)]
    webhook_url: Option<String>,
    /// Start with LINE's rate limits lifted.
    #[arg(long)]
    unlimited: bool,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        // Messaging API (api.line.me)
        .route("/v2/bot/message/reply", post(send::reply))
        .route("/v2/bot/message/push", post(send::push))
        .route("/v2/bot/message/multicast", post(send::multicast))
        .route("/v2/bot/message/validate/{kind}", post(send::validate))
        .route("/v2/bot/message/quota", get(send::quota))
        .route(
            "/v2/bot/message/quota/consumption",
            get(send::quota_consumption),
        )
        .route("/v2/bot/profile/{user}", get(users::profile))
        .route("/v2/bot/followers/ids", get(users::follower_ids))
        .route("/v2/bot/richmenu", post(richmenu::create))
        .route("/v2/bot/richmenu/validate", post(richmenu::validate))
        .route("/v2/bot/richmenu/list", get(richmenu::list))
        .route("/v2/bot/richmenu/bulk/link", post(richmenu::bulk_link))
        .route("/v2/bot/richmenu/bulk/unlink", post(richmenu::bulk_unlink))
        .route("/v2/bot/richmenu/batch", post(batch::start))
        .route("/v2/bot/richmenu/validate/batch", post(batch::validate))
        .route("/v2/bot/richmenu/progress/batch", get(batch::progress))
        .route("/v2/bot/richmenu/alias", post(richmenu::alias_create))
        .route("/v2/bot/richmenu/alias/list", get(richmenu::alias_list))
        .route(
            "/v2/bot/richmenu/alias/{alias}",
            get(richmenu::alias_get)
                .post(richmenu::alias_update)
                .delete(richmenu::alias_delete),
        )
        .route(
            "/v2/bot/richmenu/{id}",
            get(richmenu::get).delete(richmenu::delete),
        )
        // api-data.line.me shares this server in the sandbox.
        .route(
            "/v2/bot/richmenu/{id}/content",
            post(richmenu::upload_image),
        )
        .route(
            "/v2/bot/user/all/richmenu",
            get(richmenu::get_default).delete(richmenu::delete_default),
        )
        .route(
            "/v2/bot/user/all/richmenu/{id}",
            post(richmenu::set_default),
        )
        .route(
            "/v2/bot/user/{user}/richmenu",
            get(richmenu::user_menu).delete(richmenu::unlink_user),
        )
        .route(
            "/v2/bot/user/{user}/richmenu/{id}",
            post(richmenu::link_user),
        )
        // LINE Login
        .route("/oauth2/v2.1/certs", get(certs))
        .route("/oauth2/v2.1/verify", post(verify))
        // Control API
        .route("/_fake/users", post(control::create_user))
        .route("/_fake/users/bulk", post(control::bulk_users))
        .route("/_fake/users/{id}/follow", post(control::follow))
        .route("/_fake/users/{id}/unfollow", post(control::unfollow))
        .route("/_fake/users/{id}/message", post(control::message))
        .route("/_fake/users/{id}/media", post(control::media_message))
        .route("/_fake/users/{id}/postback", post(control::postback))
        .route("/_fake/users/{id}/inbox", get(control::inbox))
        .route("/_fake/users/{id}/richmenu", get(screen::menu))
        .route("/_fake/users/{id}/richmenu/tap", post(screen::tap))
        .route("/_fake/users/{id}/phone", get(screen::phone))
        .route("/_fake/richmenu/{id}/image", get(screen::image))
        .route("/_fake/events", post(control::raw_events))
        .route("/_fake/messages", post(control::messages))
        .route("/_fake/burst", post(burst::burst))
        .route("/_fake/replies", get(burst::replies))
        .route("/_fake/replies/reset", post(burst::reset_replies))
        .route("/_fake/stats", get(control::stats))
        .route("/_fake/inbox-histogram", get(control::inbox_histogram))
        .route("/_fake/faults", post(control::set_faults))
        .route("/_fake/rate-limits", post(control::set_rate_limits))
        .route("/_fake/config", post(control::config))
        .route("/_fake/id-token", post(control::id_token))
        .route("/_fake/keys/rotate", post(control::rotate_keys))
        .route("/_fake/keys/retire", post(control::retire_key))
        .route("/_fake/reset", post(control::reset))
        .route("/_fake/login", get(control::login))
        // Bodies over 2 MB must reach the handlers to get LINE's 413.
        .layer(DefaultBodyLimit::max(8 * 1024 * 1024))
        .with_state(state)
}

async fn certs(State(state): State<Arc<AppState>>) -> Response {
    Json(state.keys.jwks()).into_response()
}

async fn verify(
    State(state): State<Arc<AppState>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let token = form.get("id_token").map(String::as_str).unwrap_or("");
    let client_id = form.get("client_id").map(String::as_str).unwrap_or("");
    if client_id != state.config.login_channel_id {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_client", "error_description": "Invalid client_id." })),
        )
            .into_response();
    }
    match state.keys.verify(token, client_id) {
        Ok(claims) => Json(claims).into_response(),
        Err(description) => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_request", "error_description": description })),
        )
            .into_response(),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data = Data {
        webhook_url: args.webhook_url,
        ..Default::default()
    };
    let state = Arc::new(AppState {
        config: Config {
            channel_access_token: args.channel_access_token,
            channel_secret: args.channel_secret,
            login_channel_id: args.login_channel_id,
            bot_user_id: state::new_user_id(),
        },
        data: Mutex::new(data),
        faults: Mutex::new(Default::default()),
        buckets: limits::Buckets::new(!args.unlimited),
        keys: identity::Keys::default(),
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?,
    });
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    // Parents read this line to learn the port.
    println!("line-fake listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(state)).await?;
    Ok(())
}
