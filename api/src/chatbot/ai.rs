//! The prefecture's external AI bot (seed §2.4(3)ア), asked when no
//! scenario, trigger or FAQ entry answers. The contract (README, "External
//! AI bot"): we POST the question with a little context; it answers with
//! text and a confidence. One call may take `TENOHIRA_CHATBOT_AI_TIMEOUT_MS`
//! and is retried once (timeouts, connection errors, 5xx, 429); after
//! `TRIP_AFTER` failed questions in a row the breaker opens and the bot
//! stops asking for `OPEN_FOR`, then lets one question through to test it.
//! A resident is never kept waiting past the reply token for it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::app::App;

pub const TRIP_AFTER: u32 = 5;
pub const OPEN_FOR: Duration = Duration::from_secs(30);
/// The bot's answer is used at or above this confidence.
pub const ANSWER_AT: f64 = 0.5;
const MAX_ANSWER_UTF16: usize = 5000;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a> {
    pub question: &'a str,
    pub context: Context<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context<'a> {
    /// A stable pseudonym of the resident (never their LINE user ID).
    pub resident: String,
    pub locale: &'static str,
    /// The FAQ entries that came closest, for the bot to weigh.
    pub faq_candidates: Vec<Candidate<'a>>,
}

#[derive(Serialize)]
pub struct Candidate<'a> {
    pub id: i32,
    pub question: &'a str,
    pub confidence: f32,
}

#[derive(Deserialize, Debug)]
pub struct Response {
    pub answer: String,
    pub confidence: f64,
}

/// What became of asking.
#[derive(Debug, PartialEq)]
pub enum Asked {
    Answer(String, f64),
    /// It answered, but not surely enough (or with nothing usable).
    Unsure,
    /// Not configured, breaker open, or it failed twice.
    Unavailable(&'static str),
}

#[derive(Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    trial: bool,
}

#[derive(Default)]
pub struct Client {
    http: std::sync::OnceLock<reqwest::Client>,
    breaker: Mutex<Breaker>,
}

pub fn client(app: &App) -> std::sync::Arc<Client> {
    app.state(|_| Client::default())
}

/// The resident as the AI bot sees them: HMAC of the LINE user ID under the session secret.
pub fn pseudonym(app: &App, line_user_id: &str) -> String {
    #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
    let mut mac = Hmac::<Sha256>::new_from_slice(app.config.session_secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"chatbot-ai:");
    mac.update(line_user_id.as_bytes());
    mac.finalize().into_bytes()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

enum Failure {
    Retry(String),
    Final(String),
}

impl Client {
    fn may_call(&self) -> bool {
        let mut b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        match b.open_until {
            Some(t) if Instant::now() < t => false,
            // Half open: one question tests whether it is back.
            Some(_) if b.trial => false,
            Some(_) => {
                b.trial = true;
                true
            }
            None => true,
        }
    }

    fn record(&self, ok: bool) {
        let mut b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        b.trial = false;
        if ok {
            b.failures = 0;
            b.open_until = None;
        } else {
            b.failures += 1;
            if b.failures >= TRIP_AFTER {
                if b.open_until.is_none_or(|t| t <= Instant::now()) {
                    tracing::warn!(failures = b.failures, "external AI bot: breaker open");
                    metrics::counter!("chatbot_ai_breaker_opened_total").increment(1);
                }
                b.open_until = Some(Instant::now() + OPEN_FOR);
            }
        }
    }

    /// Whether the breaker is open now (the status page, tests).
    pub fn is_open(&self) -> bool {
        let b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        b.open_until.is_some_and(|t| Instant::now() < t)
    }

    async fn call(&self, app: &App, body: &Request<'_>) -> Result<Response, Failure> {
        let http = self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(app.config.chatbot_ai_timeout)
                .connect_timeout(app.config.chatbot_ai_timeout)
                .build()
                .unwrap_or_default()
        });
        let mut req = http.post(&app.config.chatbot_ai_url).json(body);
        let token = app.config.chatbot_ai_token.expose();
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        let res = req
            .send()
            .await
            .map_err(|e| Failure::Retry(format!("request: {}", e.without_url())))?;
        let status = res.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(Failure::Retry(format!("status {status}")));
        }
        if !status.is_success() {
            return Err(Failure::Final(format!("status {status}")));
        }
        res.json::<Response>()
            .await
            .map_err(|e| Failure::Final(format!("body: {}", e.without_url())))
    }

    pub async fn ask(&self, app: &App, body: &Request<'_>) -> Asked {
        if app.config.chatbot_ai_url.is_empty() {
            return Asked::Unavailable("not configured");
        }
        if !self.may_call() {
            return Asked::Unavailable("breaker open");
        }
        let started = Instant::now();
        let mut result = self.call(app, body).await;
        if let Err(Failure::Retry(why)) = &result {
            tracing::info!(why = %why, "external AI bot: retrying once");
            result = self.call(app, body).await;
        }
        metrics::histogram!("chatbot_ai_seconds").record(started.elapsed().as_secs_f64());
        match result {
            Ok(r) => {
                self.record(true);
                let answer = r.answer.trim().to_string();
                let usable = !answer.is_empty()
                    && answer.encode_utf16().count() <= MAX_ANSWER_UTF16
                    && r.confidence.is_finite();
                if usable && r.confidence >= ANSWER_AT {
                    Asked::Answer(answer, r.confidence)
                } else {
                    Asked::Unsure
                }
            }
            Err(Failure::Retry(why) | Failure::Final(why)) => {
                tracing::warn!(why = %why, "external AI bot did not answer");
                self.record(false);
                Asked::Unavailable("failed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_failures_in_a_row_and_lets_one_trial_through_later() {
        let c = Client::default();
        for _ in 0..TRIP_AFTER - 1 {
            c.record(false);
        }
        assert!(c.may_call(), "not yet");
        c.record(true);
        for _ in 0..TRIP_AFTER {
            c.record(false);
        }
        assert!(c.is_open());
        assert!(!c.may_call());
        // Time passes: one question is let through, the next waits for its outcome.
        c.breaker.lock().unwrap().open_until = Some(Instant::now());
        assert!(c.may_call());
        assert!(!c.may_call());
        c.record(true);
        assert!(!c.is_open());
        assert!(c.may_call());
    }
}
