//! LINE-shaped responses: `x-line-request-id` everywhere, the error body
//! `{"message", "details":[{"message","property"}]}`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn json_response(status: StatusCode, body: Value, request_id: &str) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        res.headers_mut().insert("x-line-request-id", v);
    }
    res
}

#[derive(Debug, Clone)]
pub struct Detail {
    pub message: String,
    pub property: String,
}

pub fn detail(property: impl Into<String>, message: impl Into<String>) -> Detail {
    Detail {
        message: message.into(),
        property: property.into(),
    }
}

#[derive(Debug)]
pub struct LineError {
    pub status: StatusCode,
    pub message: String,
    pub details: Vec<Detail>,
}

impl LineError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            details: vec![],
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The body LINE sends when validation finds problems.
    pub fn invalid(details: Vec<Detail>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: format!("The request body has {} error(s)", details.len()),
            details,
        }
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Authentication failed due to the following reason: invalid token. Confirm that the access token in the authorization header is valid.",
        )
    }

    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "The API rate limit has been exceeded. Try again later.",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found")
    }

    pub fn body(&self) -> Value {
        let mut v = json!({ "message": self.message });
        if !self.details.is_empty() {
            v["details"] = self
                .details
                .iter()
                .map(|d| json!({ "message": d.message, "property": d.property }))
                .collect();
        }
        v
    }

    pub fn into_response_with(self, request_id: &str) -> Response {
        json_response(self.status, self.body(), request_id)
    }
}
