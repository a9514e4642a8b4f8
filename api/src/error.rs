//! One error type for the service layer. It becomes a GraphQL error with
//! `extensions.code`; internal details go to the log, never to the client.

use async_graphql::ErrorExtensions;
use serde::Serialize;

/// A problem with one input field, addressed by its path (`input.loginId`, `rows[3].team`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, async_graphql::SimpleObject)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{}", .0.first().map(|e| format!("{}: {}", e.field, e.message)).unwrap_or_default())]
    BadInput(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A state of things refuses the request, with a code of its own
    /// (`SURVEY_CLOSED`, `ALREADY_ANSWERED`…) a client can act on.
    #[error("{1}")]
    Refused(&'static str, String),
    #[error("{0}")]
    RateLimited(String),
    /// LINE (or another outside service) did not take the request; nothing of ours failed.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput(vec![FieldError::new(field, message)])
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(e.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::BadInput(_) => "BAD_USER_INPUT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict(_) => "CONFLICT",
            Self::Refused(code, _) => code,
            Self::RateLimited(_) => "RATE_LIMITED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

/// Collects field errors so a form gets all its problems at once.
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }
    pub fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.add(field, message);
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_result(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::BadInput(self.0))
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound("record".into()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::debug!(constraint = ?info.constraint_name(), "unique violation");
                Self::Conflict("a record with the same key already exists".into())
            }
            // Something still refers to what is being removed (a mail rule
            // to its receive item or base segment): refused, never widened.
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                let user = match info.constraint_name() {
                    Some(c) if c.starts_with("mail_rules_") => "メール配信ルール",
                    Some(c) if c.starts_with("surveys_") => "アンケート",
                    _ => "ほかの設定",
                };
                tracing::debug!(constraint = ?info.constraint_name(), "foreign key violation");
                Self::Conflict(format!(
                    "{user}で使われているため変更・削除できません。先にそちらを変更してください"
                ))
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::Internal(anyhow::anyhow!("database pool: {e}"))
    }
}

impl From<redis::RedisError> for AppError {
    fn from(e: redis::RedisError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(e: AppError) -> Self {
        e.to_graphql()
    }
}

impl AppError {
    /// The client-facing form. An internal error is logged with an id the
    /// operator can search for; the client sees only that id.
    pub fn to_graphql(&self) -> async_graphql::Error {
        let code = self.code();
        match self {
            Self::Internal(source) => {
                let error_id = uuid::Uuid::new_v4();
                tracing::error!(%error_id, error = ?source, "internal error");
                async_graphql::Error::new("internal error").extend_with(|_, ext| {
                    ext.set("code", code);
                    ext.set("errorId", error_id.to_string());
                })
            }
            Self::BadInput(fields) => {
                let first = fields
                    .first()
                    .cloned()
                    .unwrap_or_else(|| FieldError::new("", ""));
                let list: Vec<async_graphql::Value> = fields
                    .iter()
                    .map(|f| {
                        let mut m = async_graphql::indexmap::IndexMap::new();
                        m.insert(async_graphql::Name::new("field"), f.field.clone().into());
                        m.insert(
                            async_graphql::Name::new("message"),
                            f.message.clone().into(),
                        );
                        async_graphql::Value::Object(m)
                    })
                    .collect();
                async_graphql::Error::new(self.to_string()).extend_with(move |_, ext| {
                    ext.set("code", code);
                    ext.set("field", first.field.clone());
                    ext.set("fieldErrors", async_graphql::Value::List(list.clone()));
                })
            }
            other => async_graphql::Error::new(other.to_string())
                .extend_with(|_, ext| ext.set("code", code)),
        }
    }
}

impl AppError {
    /// Puts input field paths under the GraphQL argument they came in
    /// (`loginId` → `input.loginId`).
    pub fn under(self, argument: &str) -> Self {
        match self {
            Self::BadInput(fields) => Self::BadInput(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(format!("{argument}.{}", f.field), f.message))
                    .collect(),
            ),
            other => other,
        }
    }
}
