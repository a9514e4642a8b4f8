//! The Messaging API client. Sends carry `X-Line-Retry-Key` (a stable key the
//! caller supplies); 500s and timeouts are retried with the same key and
//! exponential backoff with jitter; 409 means "already accepted" and counts
//! as success; 429 backs off; other 4xx are not retried. Every call first
//! takes its slot from the shared rate limiter.

use std::collections::HashMap;
use std::time::Duration;

use rand::RngExt;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::messages;
use super::rate_limit::RateLimiter;
use crate::config::{LineConfig, Secret};
use crate::error::FieldError;
use crate::store::RedisStore;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ErrorDetail {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub property: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// LINE answered with an error status and body.
    #[error("LINE answered {status}: {message}")]
    Api {
        status: u16,
        message: String,
        details: Vec<ErrorDetail>,
        request_id: Option<String>,
    },
    /// Our own check refused the request before sending.
    #[error("invalid request to LINE: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join(", "))]
    Invalid(Vec<FieldError>),
    /// No usable answer (connection failure, timeout) after every attempt.
    #[error("LINE could not be reached: {0}")]
    Transport(String),
    #[error("rate limiter unavailable: {0}")]
    Limiter(String),
}

impl LineError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// What LINE said to an accepted request.
#[derive(Debug, Clone)]
pub struct SendOutcome {
    pub request_id: Option<String>,
    /// Set when LINE answered 409: the request id that was accepted earlier.
    pub accepted_request_id: Option<String>,
    /// The retry key had been accepted before (409): nothing new was sent.
    pub duplicate: bool,
    pub body: Value,
    pub attempts: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Carries a retry key: 5xx and timeouts are safe to repeat.
    Keyed,
    /// Reads: repeating does no harm.
    Idempotent,
    /// Reply and other writes without a key: a 5xx might have been delivered, do not repeat.
    Never,
}

#[derive(Clone)]
pub struct LineClient {
    http: reqwest::Client,
    api: String,
    data_api: String,
    token: Secret,
    limiter: RateLimiter,
    max_attempts: u32,
    base_backoff: Duration,
}

impl LineClient {
    pub fn new(config: &LineConfig, redis: RedisStore) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(3))
            // Keep every connection a busy delivery opens: reconnecting per request costs more than the request.
            .pool_max_idle_per_host(1024)
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .build()?;
        let rates = HashMap::from([
            ("multicast", config.multicast_per_second),
            ("push", config.push_per_second),
            ("reply", config.push_per_second),
            ("other", config.other_per_second),
        ]);
        Ok(Self {
            http,
            api: config.api_base.clone(),
            data_api: config.data_api_base.clone(),
            token: config.channel_access_token.clone(),
            limiter: RateLimiter::new(redis, rates),
            max_attempts: config.max_attempts.max(1),
            base_backoff: Duration::from_millis(200),
        })
    }

    /// Shorter backoff for tests that inject many failures.
    pub fn with_base_backoff(mut self, d: Duration) -> Self {
        self.base_backoff = d;
        self
    }

    fn backoff(&self, attempt: u32, throttled: bool) -> Duration {
        let base = if throttled {
            self.base_backoff * 2
        } else {
            self.base_backoff
        };
        let exp = base
            .saturating_mul(1 << attempt.saturating_sub(1).min(10))
            .min(Duration::from_secs(30));
        exp.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    #[allow(clippy::too_many_arguments)]
    async fn call(
        &self,
        method: Method,
        url: String,
        endpoint: &'static str,
        body: Option<Body>,
        retry_key: Option<Uuid>,
        retry: Retry,
    ) -> Result<SendOutcome, LineError> {
        let mut last: Option<LineError> = None;
        for attempt in 1..=self.max_attempts {
            self.limiter
                .acquire(endpoint)
                .await
                .map_err(|e| LineError::Limiter(e.to_string()))?;
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(self.token.expose());
            if let Some(k) = retry_key {
                req = req.header("X-Line-Retry-Key", k.to_string());
            }
            req = match &body {
                Some(Body::Json(v)) => req.json(v),
                Some(Body::Bytes(content_type, bytes)) => req
                    .header("content-type", *content_type)
                    .body(bytes.clone()),
                None => req,
            };
            let started = std::time::Instant::now();
            let result = req.send().await;
            let label = match &result {
                Ok(r) => r.status().as_u16().to_string(),
                Err(e) if e.is_timeout() => "timeout".into(),
                Err(_) => "error".into(),
            };
            metrics::counter!("tenohira_line_requests_total", "endpoint" => endpoint, "status" => label).increment(1);
            metrics::histogram!("tenohira_line_request_duration_seconds", "endpoint" => endpoint)
                .record(started.elapsed().as_secs_f64());
            let response = match result {
                Ok(r) => r,
                Err(e) => {
                    let err = LineError::Transport(e.to_string());
                    if retry == Retry::Never {
                        return Err(err);
                    }
                    last = Some(err);
                    tokio::time::sleep(self.backoff(attempt, false)).await;
                    continue;
                }
            };
            let status = response.status();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let request_id = header("x-line-request-id");
            let accepted_request_id = header("x-line-accepted-request-id");
            let text = response.text().await.unwrap_or_default();
            let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if status.is_success() {
                return Ok(SendOutcome {
                    request_id,
                    accepted_request_id: None,
                    duplicate: false,
                    body: value,
                    attempts: attempt,
                });
            }
            if status == StatusCode::CONFLICT && retry_key.is_some() {
                return Ok(SendOutcome {
                    request_id,
                    accepted_request_id,
                    duplicate: true,
                    body: value,
                    attempts: attempt,
                });
            }
            let err = LineError::Api {
                status: status.as_u16(),
                message: value["message"].as_str().unwrap_or(&text).to_string(),
                details: serde_json::from_value(value["details"].clone()).unwrap_or_default(),
                request_id,
            };
            let retryable = match status {
                StatusCode::TOO_MANY_REQUESTS => true,
                s if s.is_server_error() => retry != Retry::Never,
                _ => false,
            };
            if !retryable {
                return Err(err);
            }
            last = Some(err);
            tokio::time::sleep(self.backoff(attempt, status == StatusCode::TOO_MANY_REQUESTS))
                .await;
        }
        Err(last.unwrap_or_else(|| LineError::Transport("no attempt made".into())))
    }

    fn api(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    fn check_messages(messages: &[Value]) -> Result<(), LineError> {
        let e = messages::validate(messages);
        if e.is_empty() {
            Ok(())
        } else {
            Err(LineError::Invalid(e))
        }
    }

    /// Answers an event with its single-use reply token. Never retried after a
    /// 5xx or timeout: it may have been delivered.
    pub async fn reply(
        &self,
        reply_token: &str,
        messages: &[Value],
    ) -> Result<SendOutcome, LineError> {
        Self::check_messages(messages)?;
        let body = json!({ "replyToken": reply_token, "messages": messages });
        self.call(
            Method::POST,
            self.api("/v2/bot/message/reply"),
            "reply",
            Some(Body::Json(body)),
            None,
            Retry::Never,
        )
        .await
    }

    pub async fn push(
        &self,
        to: &str,
        messages: &[Value],
        retry_key: Uuid,
    ) -> Result<SendOutcome, LineError> {
        Self::check_messages(messages)?;
        if !messages::is_user_id(to) {
            return Err(LineError::Invalid(vec![FieldError::new(
                "to",
                "LINEのユーザーIDではありません",
            )]));
        }
        let body = json!({ "to": to, "messages": messages });
        self.call(
            Method::POST,
            self.api("/v2/bot/message/push"),
            "push",
            Some(Body::Json(body)),
            Some(retry_key),
            Retry::Keyed,
        )
        .await
    }

    /// Sends to up to 500 users. `aggregation_unit` names the statistics unit.
    pub async fn multicast(
        &self,
        to: &[String],
        messages: &[Value],
        retry_key: Uuid,
        aggregation_unit: Option<&str>,
    ) -> Result<SendOutcome, LineError> {
        Self::check_messages(messages)?;
        let e = messages::validate_recipients(to);
        if !e.is_empty() {
            return Err(LineError::Invalid(e));
        }
        if let Some(unit) = aggregation_unit
            && (unit.is_empty()
                || unit.len() > 30
                || !unit.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            return Err(LineError::Invalid(vec![FieldError::new(
                "customAggregationUnits",
                "集計単位名は英数字と_で30文字以内です",
            )]));
        }
        // Written straight from the borrowed ids (a push writes thousands of
        // these a second), once for all attempts.
        let body = serde_json::to_vec(&MulticastBody {
            to,
            messages,
            custom_aggregation_units: aggregation_unit.map(|u| [u]),
        })
        .map_err(|e| LineError::Transport(e.to_string()))?;
        self.call(
            Method::POST,
            self.api("/v2/bot/message/multicast"),
            "multicast",
            Some(Body::Bytes("application/json", body)),
            Some(retry_key),
            Retry::Keyed,
        )
        .await
    }

    pub async fn profile(&self, user_id: &str) -> Result<Value, LineError> {
        Ok(self
            .call(
                Method::GET,
                self.api(&format!("/v2/bot/profile/{user_id}")),
                "other",
                None,
                None,
                Retry::Idempotent,
            )
            .await?
            .body)
    }

    /// One page of follower ids; pass the returned `next` to get the following page.
    pub async fn follower_ids(
        &self,
        start: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<String>, Option<String>), LineError> {
        let mut url = format!(
            "{}?limit={}",
            self.api("/v2/bot/followers/ids"),
            limit.clamp(1, 1000)
        );
        if let Some(s) = start {
            url.push_str("&start=");
            url.push_str(&urlencode(s));
        }
        let body = self
            .call(Method::GET, url, "other", None, None, Retry::Idempotent)
            .await?
            .body;
        let ids = serde_json::from_value(body["userIds"].clone()).unwrap_or_default();
        Ok((ids, body["next"].as_str().map(str::to_string)))
    }

    /// `{"type": "none"}` for accounts without a cap, else `{"type": "limited", "value": n}`.
    pub async fn quota(&self) -> Result<Value, LineError> {
        Ok(self
            .call(
                Method::GET,
                self.api("/v2/bot/message/quota"),
                "other",
                None,
                None,
                Retry::Idempotent,
            )
            .await?
            .body)
    }

    pub async fn quota_consumption(&self) -> Result<u64, LineError> {
        let body = self
            .call(
                Method::GET,
                self.api("/v2/bot/message/quota/consumption"),
                "other",
                None,
                None,
                Retry::Idempotent,
            )
            .await?
            .body;
        Ok(body["totalUsage"].as_u64().unwrap_or(0))
    }

    // Rich menus.

    pub async fn richmenu_validate(&self, menu: &Value) -> Result<(), LineError> {
        self.post_json(
            self.api("/v2/bot/richmenu/validate"),
            "other",
            menu.clone(),
            Retry::Idempotent,
        )
        .await
    }

    pub async fn richmenu_create(&self, menu: &Value) -> Result<String, LineError> {
        let body = self
            .call(
                Method::POST,
                self.api("/v2/bot/richmenu"),
                "richmenu.create",
                Some(Body::Json(menu.clone())),
                None,
                Retry::Never,
            )
            .await?
            .body;
        body["richMenuId"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| LineError::Transport("no richMenuId in the answer".into()))
    }

    /// Uploads the menu's image to the data host (once per menu; JPEG or PNG ≤ 1 MB).
    pub async fn richmenu_upload_image(
        &self,
        id: &str,
        content_type: &'static str,
        image: Vec<u8>,
    ) -> Result<(), LineError> {
        if content_type != "image/jpeg" && content_type != "image/png" {
            return Err(LineError::Invalid(vec![FieldError::new(
                "image",
                "画像はJPEGかPNGです",
            )]));
        }
        if image.len() > 1024 * 1024 {
            return Err(LineError::Invalid(vec![FieldError::new(
                "image",
                "画像は1MB以下にしてください",
            )]));
        }
        let url = format!("{}/v2/bot/richmenu/{id}/content", self.data_api);
        self.call(
            Method::POST,
            url,
            "other",
            Some(Body::Bytes(content_type, image)),
            None,
            Retry::Idempotent,
        )
        .await
        .map(|_| ())
    }

    /// Whether LINE still has the rich menu (someone may have deleted it in
    /// the Official Account Manager, or the sandbox was restarted).
    pub async fn richmenu_exists(&self, id: &str) -> Result<bool, LineError> {
        let url = self.api(&format!("/v2/bot/richmenu/{}", urlencode(id)));
        match self
            .call(Method::GET, url, "other", None, None, Retry::Idempotent)
            .await
        {
            Ok(_) => Ok(true),
            Err(LineError::Api { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn richmenu_delete(&self, id: &str) -> Result<(), LineError> {
        self.simple(
            Method::DELETE,
            &format!("/v2/bot/richmenu/{id}"),
            "richmenu.delete",
        )
        .await
    }

    pub async fn richmenu_set_default(&self, id: &str) -> Result<(), LineError> {
        self.simple(
            Method::POST,
            &format!("/v2/bot/user/all/richmenu/{id}"),
            "other",
        )
        .await
    }

    pub async fn richmenu_clear_default(&self) -> Result<(), LineError> {
        self.simple(Method::DELETE, "/v2/bot/user/all/richmenu", "other")
            .await
    }

    pub async fn richmenu_link_user(&self, user_id: &str, id: &str) -> Result<(), LineError> {
        self.simple(
            Method::POST,
            &format!("/v2/bot/user/{user_id}/richmenu/{id}"),
            "other",
        )
        .await
    }

    pub async fn richmenu_unlink_user(&self, user_id: &str) -> Result<(), LineError> {
        self.simple(
            Method::DELETE,
            &format!("/v2/bot/user/{user_id}/richmenu"),
            "other",
        )
        .await
    }

    pub async fn richmenu_bulk_link(&self, id: &str, user_ids: &[String]) -> Result<(), LineError> {
        let e = messages::validate_recipients(user_ids);
        if !e.is_empty() {
            return Err(LineError::Invalid(e));
        }
        let body = json!({ "richMenuId": id, "userIds": user_ids });
        self.post_json(
            self.api("/v2/bot/richmenu/bulk/link"),
            "richmenu.bulk",
            body,
            Retry::Idempotent,
        )
        .await
    }

    pub async fn richmenu_bulk_unlink(&self, user_ids: &[String]) -> Result<(), LineError> {
        let body = json!({ "userIds": user_ids });
        self.post_json(
            self.api("/v2/bot/richmenu/bulk/unlink"),
            "richmenu.bulk",
            body,
            Retry::Idempotent,
        )
        .await
    }

    /// Replaces or unlinks the menu of every user linked to given menus
    /// (LINE works through it in the background; 3 requests an hour).
    /// Answers LINE's request id, which `richmenu_batch_progress` follows.
    pub async fn richmenu_batch(
        &self,
        operations: &[Value],
        resume_key: &str,
    ) -> Result<String, LineError> {
        let body = json!({ "operations": operations, "resumeRequestKey": resume_key });
        let out = self
            .call(
                Method::POST,
                self.api("/v2/bot/richmenu/batch"),
                "richmenu.batch",
                Some(Body::Json(body)),
                None,
                Retry::Idempotent,
            )
            .await?;
        out.request_id
            .ok_or_else(|| LineError::Transport("LINE gave the batch no request id".into()))
    }

    /// A batch's phase (`ongoing`, `succeeded`, `failed`) and times.
    pub async fn richmenu_batch_progress(&self, request_id: &str) -> Result<Value, LineError> {
        let url = self.api(&format!(
            "/v2/bot/richmenu/progress/batch?requestId={}",
            urlencode(request_id)
        ));
        self.call(Method::GET, url, "other", None, None, Retry::Idempotent)
            .await
            .map(|o| o.body)
    }

    pub async fn richmenu_alias_create(&self, alias: &str, id: &str) -> Result<(), LineError> {
        let body = json!({ "richMenuAliasId": alias, "richMenuId": id });
        self.post_json(
            self.api("/v2/bot/richmenu/alias"),
            "other",
            body,
            Retry::Never,
        )
        .await
    }

    pub async fn richmenu_alias_update(&self, alias: &str, id: &str) -> Result<(), LineError> {
        let body = json!({ "richMenuId": id });
        self.post_json(
            self.api(&format!("/v2/bot/richmenu/alias/{alias}")),
            "other",
            body,
            Retry::Idempotent,
        )
        .await
    }

    pub async fn richmenu_alias_delete(&self, alias: &str) -> Result<(), LineError> {
        self.simple(
            Method::DELETE,
            &format!("/v2/bot/richmenu/alias/{alias}"),
            "richmenu.alias.delete",
        )
        .await
    }

    /// A JSON POST whose answer carries nothing the caller needs.
    async fn post_json(
        &self,
        url: String,
        endpoint: &'static str,
        body: Value,
        retry: Retry,
    ) -> Result<(), LineError> {
        self.call(
            Method::POST,
            url,
            endpoint,
            Some(Body::Json(body)),
            None,
            retry,
        )
        .await
        .map(|_| ())
    }

    async fn simple(
        &self,
        method: Method,
        path: &str,
        endpoint: &'static str,
    ) -> Result<(), LineError> {
        self.call(
            method,
            self.api(path),
            endpoint,
            None,
            None,
            Retry::Idempotent,
        )
        .await
        .map(|_| ())
    }
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct MulticastBody<'a> {
    to: &'a [String],
    messages: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_aggregation_units: Option<[&'a str; 1]>,
}

enum Body {
    Json(Value),
    Bytes(&'static str, Vec<u8>),
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
