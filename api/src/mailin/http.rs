//! `POST /mail/intake`: raw RFC 5322 mail posted by a mail service, signed
//! like LINE's webhook (Base64 HMAC-SHA256 of the raw body under
//! `TENOHIRA_MAILIN_HTTP_SECRET`), checked before the body is read as mail.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{decode, store};
use crate::app::App;

pub async fn intake(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let secret = app.config.mailin_http_secret.expose();
    if secret.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let signature = headers
        .get("x-tenohira-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !crate::line::signature::signature_valid(secret, &body, signature) {
        tracing::warn!("a mail posted with a missing or bad signature was refused");
        metrics::counter!("tenohira_mailin_refused_total", "reason" => "signature").increment(1);
        return (StatusCode::UNAUTHORIZED, "invalid signature").into_response();
    }
    if body.len() > app.config.smtp_max_bytes {
        return (StatusCode::PAYLOAD_TOO_LARGE, "message too big").into_response();
    }
    let decoded = decode::decode(&body);
    let from = decoded.from.clone().unwrap_or_default();
    let mut conn = match app.db.get().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "a posted mail could not be kept");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    match store::sender_allowed(&mut conn, &from).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(sender = %from, "a posted mail from a sender not on the allow-list was refused");
            metrics::counter!("tenohira_mailin_refused_total", "reason" => "sender").increment(1);
            return (StatusCode::FORBIDDEN, "sender not allowed").into_response();
        }
        Err(e) => {
            tracing::warn!(error = %e, "the allow-list could not be read");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    let kept = store::keep(
        &mut conn,
        store::Received {
            via: "http",
            envelope_from: &from,
            recipients: &[],
            size: body.len(),
            decoded,
        },
    )
    .await;
    match kept {
        Ok(kept) => {
            let (id, duplicate) = (kept.id, kept.duplicate);
            store::hand_on(&app, conn, &kept).await;
            (
                StatusCode::ACCEPTED,
                Json(json!({ "id": id, "duplicate": duplicate })),
            )
                .into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "a posted mail could not be kept");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
