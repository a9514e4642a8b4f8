//! Webhook events as LINE sends them: signed with the channel secret
//! (`x-line-signature` = Base64(HMAC-SHA256(secret, body))) and POSTed to the
//! configured webhook URL.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::state::{AppState, now_ms, random_hex};

pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A ULID (26 characters, Crockford Base32): LINE's `webhookEventId` format.
pub fn ulid() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let time = now_ms() as u64 & ((1 << 48) - 1);
    let random: u128 = rand::rng().random::<u128>() & ((1u128 << 80) - 1);
    let value: u128 = ((time as u128) << 80) | random;
    (0..26)
        .rev()
        .map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// A new event of `kind` from `user_id`; events that LINE lets the bot
/// answer carry a fresh reply token.
pub fn event(state: &AppState, kind: &str, user_id: &str, extra: Value, mode: &str) -> Value {
    let mut e = json!({
        "type": kind,
        "mode": mode,
        "timestamp": now_ms() as u64,
        "source": { "type": "user", "userId": user_id },
        "webhookEventId": ulid(),
        "deliveryContext": { "isRedelivery": false },
    });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            e[k] = v;
        }
    }
    if kind != "unfollow" {
        let token = random_hex(16);
        state.data.lock().unwrap().reply_tokens.insert(
            token.clone(),
            (user_id.to_string(), std::time::Instant::now()),
        );
        e["replyToken"] = json!(token);
    }
    e
}

/// Sends one webhook request; returns the status tenohira answered.
pub async fn deliver(state: &AppState, events: Vec<Value>) -> Result<u16, String> {
    let url = state
        .data
        .lock()
        .unwrap()
        .webhook_url
        .clone()
        .ok_or("no webhook URL configured (POST /_fake/config {\"webhookUrl\": …})")?;
    let body = json!({ "destination": state.config.bot_user_id, "events": events }).to_string();
    let signature = sign(&state.config.channel_secret, body.as_bytes());
    let res = state
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("x-line-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("webhook delivery failed: {e}"))?;
    Ok(res.status().as_u16())
}
