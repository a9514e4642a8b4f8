//! Every setting, read only from environment variables.
//!
//! [`VARIABLES`] is the single list of what can be set; the README table is
//! checked against it by a test, so the documentation cannot drift.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// One environment variable: its name, what it does and its default.
pub struct VarDoc {
    pub name: &'static str,
    pub default: Option<&'static str>,
    pub secret: bool,
    pub description: &'static str,
}

pub const VARIABLES: &[VarDoc] = &[
    VarDoc {
        name: "DATABASE_URL",
        default: None,
        secret: true,
        description: "PostgreSQL connection URL (`postgres://user:pass@host:5432/db`). Required.",
    },
    VarDoc {
        name: "REDIS_URL",
        default: None,
        secret: true,
        description: "Redis connection URL (`redis://host:6379/0`). Required.",
    },
    VarDoc {
        name: "TENOHIRA_ENV",
        default: Some("production"),
        secret: false,
        description: "`production` or `development`. Development enables GraphQL introspection and GraphiQL.",
    },
    VarDoc {
        name: "TENOHIRA_LISTEN",
        default: Some("127.0.0.1:8080"),
        secret: false,
        description: "Address and port the HTTP server binds.",
    },
    VarDoc {
        name: "TENOHIRA_PUBLIC_URL",
        default: Some("http://127.0.0.1:8080"),
        secret: false,
        description: "The URL residents, staff and LINE reach this server at (used in links and media URLs).",
    },
    VarDoc {
        name: "TENOHIRA_SESSION_SECRET",
        default: None,
        secret: true,
        description: "Key that signs staff session tokens (JWT, HS256). At least 32 characters. Required.",
    },
    VarDoc {
        name: "TENOHIRA_SESSION_IDLE_MINUTES",
        default: Some("30"),
        secret: false,
        description: "A staff session ends after this many minutes without a request.",
    },
    VarDoc {
        name: "TENOHIRA_SESSION_ABSOLUTE_HOURS",
        default: Some("12"),
        secret: false,
        description: "A staff session ends this many hours after sign-in, whatever the activity.",
    },
    VarDoc {
        name: "TENOHIRA_LOGIN_MAX_FAILURES",
        default: Some("5"),
        secret: false,
        description: "Consecutive wrong passwords or codes that lock an account temporarily.",
    },
    VarDoc {
        name: "TENOHIRA_LOGIN_LOCKOUT_MINUTES",
        default: Some("15"),
        secret: false,
        description: "How long a locked account stays locked.",
    },
    VarDoc {
        name: "TENOHIRA_LOGIN_ATTEMPTS_PER_IP",
        default: Some("30"),
        secret: false,
        description: "Sign-in attempts allowed from one IP address per 10 minutes (throttling).",
    },
    VarDoc {
        name: "TENOHIRA_TOTP_ISSUER",
        default: Some("手のひら県庁"),
        secret: false,
        description: "Issuer name shown in authenticator apps.",
    },
    VarDoc {
        name: "TENOHIRA_TRUST_PROXY",
        default: Some("false"),
        secret: false,
        description: "Behind reverse proxies: how many of them append to `X-Forwarded-For` (`true` = 1). The client address is the entry that many places from the right (the one the outermost trusted proxy wrote); entries further left are the client's own words and never trusted. `false`: the TCP peer.",
    },
    VarDoc {
        name: "TENOHIRA_METRICS_LISTEN",
        default: Some(""),
        secret: false,
        description: "Address of a second listener that serves only `/metrics` (no credentials; for the cluster-internal Prometheus port), e.g. `0.0.0.0:9090`. Empty: none.",
    },
    VarDoc {
        name: "TENOHIRA_METRICS_TOKEN",
        default: Some(""),
        secret: true,
        description: "Bearer token `/metrics` on the main listener requires. Empty: `/metrics` there answers 404 in production (use `TENOHIRA_METRICS_LISTEN`) and is open in development.",
    },
    VarDoc {
        name: "TENOHIRA_DB_POOL_SIZE",
        default: Some("16"),
        secret: false,
        description: "Maximum PostgreSQL connections per process.",
    },
    VarDoc {
        name: "TENOHIRA_DB_TIMEOUT_MS",
        default: Some("5000"),
        secret: false,
        description: "Pool wait, create and recycle timeout in milliseconds.",
    },
    VarDoc {
        name: "TENOHIRA_MIGRATE_ON_START",
        default: Some("false"),
        secret: false,
        description: "`true`: `serve` applies pending migrations before it listens.",
    },
    VarDoc {
        name: "TENOHIRA_REDIS_PREFIX",
        default: Some("tenohira:"),
        secret: false,
        description: "Prefix of every Redis key this installation uses.",
    },
    VarDoc {
        name: "TENOHIRA_BODY_LIMIT_BYTES",
        default: Some("2097152"),
        secret: false,
        description: "Largest request body accepted.",
    },
    VarDoc {
        name: "TENOHIRA_REQUEST_TIMEOUT_SECS",
        default: Some("30"),
        secret: false,
        description: "Requests taking longer are answered 408 and abandoned.",
    },
    VarDoc {
        name: "TENOHIRA_GRAPHQL_MAX_DEPTH",
        default: Some("12"),
        secret: false,
        description: "Deepest GraphQL selection accepted.",
    },
    VarDoc {
        name: "TENOHIRA_GRAPHQL_MAX_COMPLEXITY",
        default: Some("1000"),
        secret: false,
        description: "Highest GraphQL query complexity accepted.",
    },
    VarDoc {
        name: "TENOHIRA_GRAPHQL_MAX_DOCUMENT_BYTES",
        default: Some("32768"),
        secret: false,
        description: "Longest GraphQL document (query text) accepted.",
    },
    VarDoc {
        name: "TENOHIRA_LIFF_REQUESTS_PER_RESIDENT",
        default: Some("10"),
        secret: false,
        description: "Residents' API requests per second one resident (ID token subject) may make to one API process, with bursts of three times as many; more are answered `RATE_LIMITED` (HTTP 429). 0 turns the limit off.",
    },
    VarDoc {
        name: "TENOHIRA_LIFF_REQUESTS_PER_IP",
        default: Some("300"),
        secret: false,
        description: "Residents' API requests per second from one client address to one API process (bursts twice as many), counted before the ID token is checked. Generous because a mobile carrier's address carries many residents. 0 turns it off.",
    },
    VarDoc {
        name: "TENOHIRA_WORKER_CONCURRENCY",
        default: Some("8"),
        secret: false,
        description: "Jobs a worker process runs at once per queue.",
    },
    VarDoc {
        name: "TENOHIRA_EVENTS_CONCURRENCY",
        default: Some("64"),
        secret: false,
        description: "Webhook events a worker process handles at once (each mostly waits on PostgreSQL and the reply call: after a large push, tens of thousands of residents' taps must be answered within their reply token's minute).",
    },
    VarDoc {
        name: "TENOHIRA_DELIVERY_CONCURRENCY",
        default: Some("64"),
        secret: false,
        description: "Delivery batches a worker process sends at once (multicasts in flight).",
    },
    VarDoc {
        name: "TENOHIRA_DELIVERY_RECONCILE_SECONDS",
        default: Some("30"),
        secret: false,
        description: "Delivery batches untouched this long are queued again (lost queue entries).",
    },
    VarDoc {
        name: "TENOHIRA_MEDIA_PUBLIC_URL",
        default: Some(""),
        secret: false,
        description: "HTTPS base URL LINE fetches delivery images and videos from (empty: TENOHIRA_PUBLIC_URL).",
    },
    VarDoc {
        name: "TENOHIRA_MEDIA_STORE",
        default: Some("fs"),
        secret: false,
        description: "Where media bytes live: fs (TENOHIRA_MEDIA_DIR) or s3 (an S3-compatible bucket, TENOHIRA_S3_*).",
    },
    VarDoc {
        name: "TENOHIRA_S3_ENDPOINT",
        default: Some(""),
        secret: false,
        description: "S3-compatible endpoint URL (path-style requests), e.g. https://s3.ap-northeast-1.amazonaws.com.",
    },
    VarDoc {
        name: "TENOHIRA_S3_BUCKET",
        default: Some(""),
        secret: false,
        description: "Bucket for media when TENOHIRA_MEDIA_STORE=s3.",
    },
    VarDoc {
        name: "TENOHIRA_S3_REGION",
        default: Some("ap-northeast-1"),
        secret: false,
        description: "Region used in request signatures.",
    },
    VarDoc {
        name: "TENOHIRA_S3_ACCESS_KEY_ID",
        default: Some(""),
        secret: false,
        description: "Access key id for the bucket.",
    },
    VarDoc {
        name: "TENOHIRA_S3_SECRET_ACCESS_KEY",
        default: Some(""),
        secret: true,
        description: "Secret access key for the bucket.",
    },
    VarDoc {
        name: "TENOHIRA_KEK",
        default: Some("local:./data/kek.key"),
        secret: false,
        description: "The key-encryption key that wraps residents' data keys: `aws-kms:<key id or ARN>` (AWS KMS or a KMS-compatible service) or `local:<file>` (64 random bytes in hex). Required in production, where a missing local file stops start-up (create it once with `tenohira kek create-local`); the default, created when missing, is for development only.",
    },
    VarDoc {
        name: "TENOHIRA_KEK_PREVIOUS",
        default: Some(""),
        secret: false,
        description: "Comma-separated older KEKs (same forms) still used to unwrap data keys until `tenohira kek rotate` has re-wrapped them.",
    },
    VarDoc {
        name: "TENOHIRA_KMS_ENDPOINT",
        default: Some("https://kms.ap-northeast-1.amazonaws.com"),
        secret: false,
        description: "KMS endpoint for `aws-kms:` KEKs.",
    },
    VarDoc {
        name: "TENOHIRA_KMS_REGION",
        default: Some("ap-northeast-1"),
        secret: false,
        description: "KMS region (part of every request's signature).",
    },
    VarDoc {
        name: "TENOHIRA_KMS_ACCESS_KEY_ID",
        default: Some(""),
        secret: false,
        description: "Access key id for KMS.",
    },
    VarDoc {
        name: "TENOHIRA_KMS_SECRET_ACCESS_KEY",
        default: Some(""),
        secret: true,
        description: "Secret access key for KMS.",
    },
    VarDoc {
        name: "TENOHIRA_DATA_KEY_CACHE_SECONDS",
        default: Some("60"),
        secret: false,
        description: "How long an unwrapped data key stays in memory (saves a KMS call per card view).",
    },
    VarDoc {
        name: "TENOHIRA_CARD_CACHE_SECONDS",
        default: Some("300"),
        secret: false,
        description: "How long an API process keeps a card holder's sealed row after a view. Changes reach every process at once through LISTEN/NOTIFY (and the cache is bypassed while a process is not listening), so this is only a backstop; 0 turns the cache off.",
    },
    VarDoc {
        name: "TENOHIRA_CARD_CACHE_ENTRIES",
        default: Some("100000"),
        secret: false,
        description: "Most card holders' rows an API process keeps (about 1 KB each).",
    },
    VarDoc {
        name: "TENOHIRA_FAQ_DICTIONARY",
        default: Some("/usr/share/mecab/dic/ipadic"),
        secret: false,
        description: "MeCab IPADIC sources (Debian's mecab-ipadic) the FAQ search cuts Japanese into words with; `none`, or a directory that is not there: character bigrams alone (with a warning).",
    },
    VarDoc {
        name: "TENOHIRA_SMTP_LISTEN",
        default: Some(""),
        secret: false,
        description: "Where the API process listens for the prefecture's alert mails over SMTP (e.g. `0.0.0.0:2525`). Empty: no SMTP listener.",
    },
    VarDoc {
        name: "TENOHIRA_SMTP_MAX_BYTES",
        default: Some("10485760"),
        secret: false,
        description: "The largest mail the SMTP listener takes (announced as SIZE; larger ones get 552).",
    },
    VarDoc {
        name: "TENOHIRA_SMTP_TLS_CERT",
        default: Some(""),
        secret: false,
        description: "PEM certificate chain the SMTP listener offers STARTTLS with (TLS 1.2 and 1.3; read again when the file changes). Empty: STARTTLS is not offered.",
    },
    VarDoc {
        name: "TENOHIRA_SMTP_TLS_KEY",
        default: Some(""),
        secret: false,
        description: "PEM private key for `TENOHIRA_SMTP_TLS_CERT` (a path; the file itself is the secret).",
    },
    VarDoc {
        name: "TENOHIRA_MAILIN_TOKEN",
        default: Some(""),
        secret: true,
        description: "The secret part of the address alert mails are sent to: `alerts+<token>@…` (any domain). Empty: every recipient is refused.",
    },
    VarDoc {
        name: "TENOHIRA_MAILIN_HTTP_SECRET",
        default: Some(""),
        secret: true,
        description: "The key mail services sign raw mails posted to `POST /mail/intake` with (`x-tenohira-signature`: Base64 of HMAC-SHA256 over the body). Empty: the HTTP intake is off (404).",
    },
    VarDoc {
        name: "TENOHIRA_CHATBOT_AI_URL",
        default: Some(""),
        secret: false,
        description: "The prefecture's external AI bot (seed §2.4(3)ア): the endpoint the chatbot asks when no scenario, trigger or FAQ entry answers (contract in the README). Empty: not asked.",
    },
    VarDoc {
        name: "TENOHIRA_CHATBOT_AI_TOKEN",
        default: Some(""),
        secret: true,
        description: "Bearer token sent to the external AI bot. Empty: none.",
    },
    VarDoc {
        name: "TENOHIRA_CHATBOT_AI_TIMEOUT_MS",
        default: Some("1500"),
        secret: false,
        description: "How long one call to the external AI bot may take; it is retried once, so a reply waits at most twice this (the reply token lasts about a minute; residents expect an answer within seconds).",
    },
    VarDoc {
        name: "TENOHIRA_TALK_LOG_DAYS",
        default: Some("365"),
        secret: false,
        description: "Days the chatbot's talk log (residents' questions, sealed, and the bot's decisions) is kept for the statistics; older rows are deleted daily.",
    },
    VarDoc {
        name: "TENOHIRA_MEDIA_DIR",
        default: Some("./data/media"),
        secret: false,
        description: "Directory of the filesystem media store (uploaded images and videos).",
    },
    VarDoc {
        name: "TENOHIRA_LINE_CHANNEL_ACCESS_TOKEN",
        default: None,
        secret: true,
        description: "Messaging API channel access token. Required.",
    },
    VarDoc {
        name: "TENOHIRA_LINE_CHANNEL_SECRET",
        default: None,
        secret: true,
        description: "Messaging API channel secret (verifies webhook signatures). Required.",
    },
    VarDoc {
        name: "TENOHIRA_LINE_LOGIN_CHANNEL_ID",
        default: None,
        secret: false,
        description: "LINE Login channel id hosting the LIFF apps: the audience of residents' ID tokens. Required.",
    },
    VarDoc {
        name: "TENOHIRA_LINE_API_BASE",
        default: Some("https://api.line.me"),
        secret: false,
        description: "Messaging API base URL (the sandbox points it at line-fake).",
    },
    VarDoc {
        name: "TENOHIRA_LINE_DATA_API_BASE",
        default: Some("https://api-data.line.me"),
        secret: false,
        description: "Base URL for content uploads (rich-menu images).",
    },
    VarDoc {
        name: "TENOHIRA_LINE_JWKS_URL",
        default: Some("https://api.line.me/oauth2/v2.1/certs"),
        secret: false,
        description: "JWKS with the keys that sign LIFF ID tokens (cached; refreshed on an unknown key id).",
    },
    VarDoc {
        name: "TENOHIRA_LINE_JWKS_REFRESH_SECONDS",
        default: Some("600"),
        secret: false,
        description: "How often LINE's JWKS is fetched again even when no unknown key appears; a key LINE withdraws (and every token it signed, even those already verified) stops working within this time.",
    },
    VarDoc {
        name: "TENOHIRA_LINE_TIMEOUT_MS",
        default: Some("10000"),
        secret: false,
        description: "Timeout of one call to LINE.",
    },
    VarDoc {
        name: "TENOHIRA_LINE_MAX_ATTEMPTS",
        default: Some("6"),
        secret: false,
        description: "Attempts per call to LINE for retryable failures (5xx, timeouts, 429).",
    },
    VarDoc {
        name: "TENOHIRA_LINE_MULTICAST_PER_SECOND",
        default: Some("200"),
        secret: false,
        description: "Multicast requests per second, shared by all processes (LINE's limit is 200).",
    },
    VarDoc {
        name: "TENOHIRA_LINE_PUSH_PER_SECOND",
        default: Some("2000"),
        secret: false,
        description: "Push and reply requests per second each, shared by all processes.",
    },
    VarDoc {
        name: "TENOHIRA_LINE_OTHER_PER_SECOND",
        default: Some("2000"),
        secret: false,
        description: "Other Messaging API requests per second, shared by all processes.",
    },
    VarDoc {
        name: "TENOHIRA_WELCOME_MESSAGE",
        default: Some("友だち追加ありがとうございます。県からのお知らせをお届けします。"),
        secret: false,
        description: "Welcome message replied to a new friend until staff set one in the console.",
    },
    VarDoc {
        name: "TENOHIRA_LIFF_SETTINGS_URL",
        default: Some(""),
        secret: false,
        description: "The registration page (受信設定) residents open from the welcome message and rich menu, e.g. https://liff.line.me/<LIFF id>. Empty: <public URL>/liff/.",
    },
    VarDoc {
        name: "TENOHIRA_REGISTRATION_REMINDER_DAYS",
        default: Some("0"),
        secret: false,
        description: "Remind friends still unregistered this many days after following (once per friend). 0 turns reminders off.",
    },
    VarDoc {
        name: "TENOHIRA_LIFF_DIR",
        default: Some("liff/dist"),
        secret: false,
        description: "The built residents' LIFF app, served at /liff/.",
    },
    VarDoc {
        name: "TENOHIRA_LIFF_ID",
        default: Some(""),
        secret: false,
        description: "LIFF app id the residents' pages initialise the LIFF SDK with.",
    },
    VarDoc {
        name: "TENOHIRA_SANDBOX_LOGIN_URL",
        default: Some(""),
        secret: false,
        description: "Sandbox only: line-fake's login page, used by the LIFF pages instead of the LIFF SDK (empty in production).",
    },
    VarDoc {
        name: "TENOHIRA_CONSOLE_DIR",
        default: Some("console/dist"),
        secret: false,
        description: "The built staff console, served at /console/.",
    },
    VarDoc {
        name: "TENOHIRA_LOG",
        default: Some("info"),
        secret: false,
        description: "Log filter (`tracing` syntax, e.g. `info,tenohira=debug`).",
    },
    VarDoc {
        name: "TENOHIRA_LOG_FORMAT",
        default: Some("json"),
        secret: false,
        description: "`json` (structured, one object per line) or `pretty`.",
    },
];

/// A KMS (AWS or compatible) holding the key-encryption key.
#[derive(Clone, Debug)]
pub struct KmsConfig {
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

/// An S3-compatible bucket for media.
#[derive(Clone, Debug)]
pub struct S3Config {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

/// A value that must never be printed: `Debug` shows a placeholder.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Production,
    Development,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: Secret,
    pub redis_url: Secret,
    pub env: Environment,
    pub listen: SocketAddr,
    pub public_url: String,
    pub session_secret: Secret,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub login_max_failures: i32,
    pub login_lockout: Duration,
    pub login_attempts_per_ip: u32,
    pub totp_issuer: String,
    pub metrics_listen: Option<SocketAddr>,
    pub metrics_token: Secret,
    /// Reverse proxies in front that append to `X-Forwarded-For` (0: none).
    pub trusted_proxy_hops: usize,
    pub db_pool_size: usize,
    pub db_timeout: Duration,
    pub migrate_on_start: bool,
    pub redis_prefix: String,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    pub graphql_max_depth: usize,
    pub graphql_max_complexity: usize,
    pub graphql_max_document_bytes: usize,
    pub liff_rate_per_resident: u32,
    pub liff_rate_per_ip: u32,
    pub worker_concurrency: usize,
    pub events_concurrency: usize,
    pub delivery_concurrency: usize,
    pub delivery_reconcile: std::time::Duration,
    pub media_dir: std::path::PathBuf,
    /// IPADIC sources for the FAQ's word analysis (empty: none).
    pub faq_dictionary: String,
    /// The SMTP listener's address (none: off).
    pub smtp_listen: Option<std::net::SocketAddr>,
    pub smtp_max_bytes: usize,
    /// STARTTLS's certificate files (none: not offered).
    pub smtp_tls: Option<crate::tls::CertFiles>,
    pub mailin_token: Secret,
    pub mailin_http_secret: Secret,
    /// The external AI bot: endpoint (empty: off), token, one call's timeout.
    pub chatbot_ai_url: String,
    pub chatbot_ai_token: Secret,
    pub chatbot_ai_timeout: std::time::Duration,
    pub talk_log_days: u32,
    pub media_public_url: String,
    /// `None`: the filesystem store; otherwise the S3-compatible bucket.
    pub s3: Option<S3Config>,
    /// `local:<path>` or `aws-kms:<key id>`.
    pub kek: String,
    pub kek_previous: Vec<String>,
    /// Set when KMS credentials are given.
    pub kms: Option<KmsConfig>,
    pub data_key_cache_ttl: Duration,
    pub card_cache_ttl: Duration,
    pub card_cache_entries: usize,
    pub log_filter: String,
    pub log_json: bool,
    pub console_dir: std::path::PathBuf,
    pub liff_dir: std::path::PathBuf,
    pub liff_id: String,
    pub sandbox_login_url: String,
    pub liff_settings_url: String,
    pub registration_reminder_days: u32,
    pub line: LineConfig,
}

#[derive(Clone, Debug)]
pub struct LineConfig {
    pub channel_access_token: Secret,
    pub channel_secret: Secret,
    pub login_channel_id: String,
    pub api_base: String,
    pub data_api_base: String,
    pub jwks_url: String,
    pub jwks_refresh: Duration,
    pub timeout: Duration,
    pub max_attempts: u32,
    pub multicast_per_second: f64,
    pub push_per_second: f64,
    pub other_per_second: f64,
    pub welcome_message: String,
}

/// Start-up fails with this: it names the variable and never shows a secret value.
#[derive(Debug, thiserror::Error)]
#[error("configuration error in {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_map(&std::env::vars().collect())
    }

    /// Reads the settings from a map (the environment, or a test's own values).
    pub fn from_map(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let r = Reader { env };
        let env_kind = match r.string("TENOHIRA_ENV")?.as_str() {
            "production" => Environment::Production,
            "development" => Environment::Development,
            other => {
                return Err(ConfigError {
                    var: "TENOHIRA_ENV",
                    message: format!("expected `production` or `development`, got `{other}`"),
                });
            }
        };
        let session_secret = r.string("TENOHIRA_SESSION_SECRET")?;
        if session_secret.chars().count() < 32 {
            return Err(ConfigError {
                var: "TENOHIRA_SESSION_SECRET",
                message: "must be at least 32 characters long".into(),
            });
        }
        let database_url = r.string("DATABASE_URL")?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError {
                var: "DATABASE_URL",
                message: "must start with postgres:// or postgresql://".into(),
            });
        }
        let redis_url = r.string("REDIS_URL")?;
        if !(redis_url.starts_with("redis://") || redis_url.starts_with("rediss://")) {
            return Err(ConfigError {
                var: "REDIS_URL",
                message: "must start with redis:// or rediss://".into(),
            });
        }
        let log_json = match r.string("TENOHIRA_LOG_FORMAT")?.as_str() {
            "json" => true,
            "pretty" => false,
            other => {
                return Err(ConfigError {
                    var: "TENOHIRA_LOG_FORMAT",
                    message: format!("expected `json` or `pretty`, got `{other}`"),
                });
            }
        };
        let public_url = r.string("TENOHIRA_PUBLIC_URL")?;
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError {
                var: "TENOHIRA_PUBLIC_URL",
                message: "must be an http:// or https:// URL".into(),
            });
        }
        let liff_settings_url = match r.string("TENOHIRA_LIFF_SETTINGS_URL")? {
            v if v.is_empty() => format!("{}/liff/", public_url.trim_end_matches('/')),
            v => v,
        };
        Ok(Self {
            database_url: Secret::new(database_url),
            redis_url: Secret::new(redis_url),
            env: env_kind,
            listen: r.parse("TENOHIRA_LISTEN")?,
            public_url: public_url.trim_end_matches('/').to_string(),
            session_secret: Secret::new(session_secret),
            session_idle: Duration::from_secs(
                60 * r.positive::<u64>("TENOHIRA_SESSION_IDLE_MINUTES")?,
            ),
            session_absolute: Duration::from_secs(
                3600 * r.positive::<u64>("TENOHIRA_SESSION_ABSOLUTE_HOURS")?,
            ),
            login_max_failures: r.positive("TENOHIRA_LOGIN_MAX_FAILURES")?,
            login_lockout: Duration::from_secs(
                60 * r.positive::<u64>("TENOHIRA_LOGIN_LOCKOUT_MINUTES")?,
            ),
            login_attempts_per_ip: r.positive("TENOHIRA_LOGIN_ATTEMPTS_PER_IP")?,
            totp_issuer: r.string("TENOHIRA_TOTP_ISSUER")?,
            metrics_listen: match r.string("TENOHIRA_METRICS_LISTEN")?.as_str() {
                "" => None,
                _ => Some(r.parse("TENOHIRA_METRICS_LISTEN")?),
            },
            metrics_token: Secret::new(r.string("TENOHIRA_METRICS_TOKEN")?),
            trusted_proxy_hops: match r.string("TENOHIRA_TRUST_PROXY")?.as_str() {
                "false" => 0,
                "true" => 1,
                n => n.parse().map_err(|_| ConfigError {
                    var: "TENOHIRA_TRUST_PROXY",
                    message: format!("expected `false`, `true` or a number of proxies, got `{n}`"),
                })?,
            },
            db_pool_size: r.positive("TENOHIRA_DB_POOL_SIZE")?,
            db_timeout: Duration::from_millis(r.positive("TENOHIRA_DB_TIMEOUT_MS")?),
            migrate_on_start: r.parse("TENOHIRA_MIGRATE_ON_START")?,
            redis_prefix: r.string("TENOHIRA_REDIS_PREFIX")?,
            body_limit_bytes: r.positive("TENOHIRA_BODY_LIMIT_BYTES")?,
            request_timeout: Duration::from_secs(r.positive("TENOHIRA_REQUEST_TIMEOUT_SECS")?),
            graphql_max_depth: r.positive("TENOHIRA_GRAPHQL_MAX_DEPTH")?,
            graphql_max_complexity: r.positive("TENOHIRA_GRAPHQL_MAX_COMPLEXITY")?,
            graphql_max_document_bytes: r.positive("TENOHIRA_GRAPHQL_MAX_DOCUMENT_BYTES")?,
            liff_rate_per_resident: r.parse("TENOHIRA_LIFF_REQUESTS_PER_RESIDENT")?,
            liff_rate_per_ip: r.parse("TENOHIRA_LIFF_REQUESTS_PER_IP")?,
            worker_concurrency: r.positive("TENOHIRA_WORKER_CONCURRENCY")?,
            events_concurrency: r.positive("TENOHIRA_EVENTS_CONCURRENCY")?,
            delivery_concurrency: r.positive("TENOHIRA_DELIVERY_CONCURRENCY")?,
            delivery_reconcile: std::time::Duration::from_secs(
                r.positive::<u64>("TENOHIRA_DELIVERY_RECONCILE_SECONDS")?,
            ),
            media_dir: r.string("TENOHIRA_MEDIA_DIR")?.into(),
            faq_dictionary: r.string("TENOHIRA_FAQ_DICTIONARY")?,
            smtp_listen: match r.string("TENOHIRA_SMTP_LISTEN")?.as_str() {
                "" => None,
                _ => Some(r.parse("TENOHIRA_SMTP_LISTEN")?),
            },
            smtp_max_bytes: r.parse("TENOHIRA_SMTP_MAX_BYTES")?,
            smtp_tls: match (
                r.string("TENOHIRA_SMTP_TLS_CERT")?,
                r.string("TENOHIRA_SMTP_TLS_KEY")?,
            ) {
                (c, k) if c.is_empty() && k.is_empty() => None,
                (c, k) if c.is_empty() || k.is_empty() => {
                    return Err(ConfigError {
                        var: "TENOHIRA_SMTP_TLS_CERT",
                        message: "set together with TENOHIRA_SMTP_TLS_KEY, or neither".into(),
                    });
                }
                (c, k) => Some(crate::tls::CertFiles {
                    cert: c.into(),
                    key: k.into(),
                }),
            },
            mailin_token: Secret::new(r.string("TENOHIRA_MAILIN_TOKEN")?),
            mailin_http_secret: Secret::new(r.string("TENOHIRA_MAILIN_HTTP_SECRET")?),
            chatbot_ai_url: match r.string("TENOHIRA_CHATBOT_AI_URL")? {
                u if u.is_empty() => u,
                _ => r.url("TENOHIRA_CHATBOT_AI_URL")?,
            },
            chatbot_ai_token: Secret::new(r.string("TENOHIRA_CHATBOT_AI_TOKEN")?),
            chatbot_ai_timeout: std::time::Duration::from_millis(
                r.positive::<u64>("TENOHIRA_CHATBOT_AI_TIMEOUT_MS")?,
            ),
            talk_log_days: r.positive::<u32>("TENOHIRA_TALK_LOG_DAYS")?,
            s3: match r.string("TENOHIRA_MEDIA_STORE")?.as_str() {
                "fs" => None,
                "s3" => Some(S3Config {
                    endpoint: r.url("TENOHIRA_S3_ENDPOINT")?,
                    bucket: r.string("TENOHIRA_S3_BUCKET")?,
                    region: r.string("TENOHIRA_S3_REGION")?,
                    access_key_id: r.string("TENOHIRA_S3_ACCESS_KEY_ID")?,
                    secret_access_key: Secret::new(r.string("TENOHIRA_S3_SECRET_ACCESS_KEY")?),
                }),
                _ => {
                    return Err(ConfigError {
                        var: "TENOHIRA_MEDIA_STORE",
                        message: "must be fs or s3".into(),
                    });
                }
            },
            kek: match (env_kind, r.given("TENOHIRA_KEK")) {
                // A default key file silently created per replica would make
                // the data of one unreadable to the others, or to all after a lost volume.
                (Environment::Production, false) => {
                    return Err(ConfigError {
                        var: "TENOHIRA_KEK",
                        message: "is required in production: `aws-kms:<key id>`, or `local:<file>` created once with `tenohira kek create-local`".into(),
                    });
                }
                _ => r.string("TENOHIRA_KEK")?,
            },
            kek_previous: r
                .string("TENOHIRA_KEK_PREVIOUS")?
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            kms: match r.string("TENOHIRA_KMS_ACCESS_KEY_ID")? {
                id if id.is_empty() => None,
                id => Some(KmsConfig {
                    endpoint: r.url("TENOHIRA_KMS_ENDPOINT")?,
                    region: r.string("TENOHIRA_KMS_REGION")?,
                    access_key_id: id,
                    secret_access_key: Secret::new(r.string("TENOHIRA_KMS_SECRET_ACCESS_KEY")?),
                }),
            },
            data_key_cache_ttl: Duration::from_secs(r.positive("TENOHIRA_DATA_KEY_CACHE_SECONDS")?),
            card_cache_ttl: Duration::from_secs(r.parse("TENOHIRA_CARD_CACHE_SECONDS")?),
            card_cache_entries: r.parse("TENOHIRA_CARD_CACHE_ENTRIES")?,
            media_public_url: match r.string("TENOHIRA_MEDIA_PUBLIC_URL")? {
                v if v.is_empty() => public_url.clone(),
                v => v,
            },
            log_filter: r.string("TENOHIRA_LOG")?,
            log_json,
            console_dir: r.string("TENOHIRA_CONSOLE_DIR")?.into(),
            liff_dir: r.string("TENOHIRA_LIFF_DIR")?.into(),
            liff_id: r.string("TENOHIRA_LIFF_ID")?,
            sandbox_login_url: r.string("TENOHIRA_SANDBOX_LOGIN_URL")?,
            liff_settings_url,
            registration_reminder_days: r.parse("TENOHIRA_REGISTRATION_REMINDER_DAYS")?,
            line: LineConfig {
                channel_access_token: Secret::new(r.string("TENOHIRA_LINE_CHANNEL_ACCESS_TOKEN")?),
                channel_secret: Secret::new(r.string("TENOHIRA_LINE_CHANNEL_SECRET")?),
                login_channel_id: r.string("TENOHIRA_LINE_LOGIN_CHANNEL_ID")?,
                api_base: r.url("TENOHIRA_LINE_API_BASE")?,
                data_api_base: r.url("TENOHIRA_LINE_DATA_API_BASE")?,
                jwks_url: r.url("TENOHIRA_LINE_JWKS_URL")?,
                jwks_refresh: Duration::from_secs(
                    r.positive("TENOHIRA_LINE_JWKS_REFRESH_SECONDS")?,
                ),
                timeout: Duration::from_millis(r.positive("TENOHIRA_LINE_TIMEOUT_MS")?),
                max_attempts: r.positive("TENOHIRA_LINE_MAX_ATTEMPTS")?,
                multicast_per_second: r.positive("TENOHIRA_LINE_MULTICAST_PER_SECOND")?,
                push_per_second: r.positive("TENOHIRA_LINE_PUSH_PER_SECOND")?,
                other_per_second: r.positive("TENOHIRA_LINE_OTHER_PER_SECOND")?,
                welcome_message: r.string("TENOHIRA_WELCOME_MESSAGE")?,
            },
        })
    }

    pub fn is_development(&self) -> bool {
        self.env == Environment::Development
    }
}

struct Reader<'a> {
    env: &'a HashMap<String, String>,
}

impl Reader<'_> {
    fn doc(name: &str) -> &'static VarDoc {
        VARIABLES
            .iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("{name} is missing from config::VARIABLES"))
    }

    fn string(&self, name: &'static str) -> Result<String, ConfigError> {
        let doc = Self::doc(name);
        match self
            .env
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        {
            Some(v) => Ok(v.to_string()),
            None => doc.default.map(str::to_string).ok_or_else(|| ConfigError {
                var: name,
                message: format!("is required: {}", doc.description),
            }),
        }
    }

    /// Whether the variable is set (to something other than blanks).
    fn given(&self, name: &'static str) -> bool {
        Self::doc(name);
        self.env.get(name).is_some_and(|v| !v.trim().is_empty())
    }

    fn parse<T: std::str::FromStr>(&self, name: &'static str) -> Result<T, ConfigError> {
        let raw = self.string(name)?;
        raw.parse().map_err(|_| ConfigError {
            var: name,
            // The value is echoed only for settings that are not secret.
            message: if Self::doc(name).secret {
                "could not be parsed".into()
            } else {
                format!("could not parse `{raw}`")
            },
        })
    }

    fn url(&self, name: &'static str) -> Result<String, ConfigError> {
        let v = self.string(name)?;
        if !(v.starts_with("https://") || v.starts_with("http://")) {
            return Err(ConfigError {
                var: name,
                message: "must be an http:// or https:// URL".into(),
            });
        }
        Ok(v.trim_end_matches('/').to_string())
    }

    fn positive<T: std::str::FromStr + PartialOrd + Default>(
        &self,
        name: &'static str,
    ) -> Result<T, ConfigError> {
        let v: T = self.parse(name)?;
        if v <= T::default() {
            return Err(ConfigError {
                var: name,
                message: "must be greater than zero".into(),
            });
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> HashMap<String, String> {
        [
            ("DATABASE_URL", "postgres://postgres@127.0.0.1/x"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            (
                "TENOHIRA_SESSION_SECRET",
                "0123456789abcdef0123456789abcdef",
            ),
            ("TENOHIRA_LINE_CHANNEL_ACCESS_TOKEN", "token"),
            ("TENOHIRA_LINE_CHANNEL_SECRET", "secret"),
            ("TENOHIRA_LINE_LOGIN_CHANNEL_ID", "1650000000"),
            ("TENOHIRA_KEK", "aws-kms:alias/tenohira"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn defaults_apply() {
        let c = Config::from_map(&base()).unwrap();
        assert_eq!(c.env, Environment::Production);
        assert_eq!(c.session_idle, Duration::from_secs(1800));
    }

    #[test]
    fn bad_values_name_the_variable_and_hide_secrets() {
        let mut env = base();
        env.insert("TENOHIRA_DB_POOL_SIZE".into(), "many".into());
        let e = Config::from_map(&env).unwrap_err();
        assert_eq!(e.var, "TENOHIRA_DB_POOL_SIZE");

        let mut env = base();
        env.insert("DATABASE_URL".into(), "mysql://secret-password@x".into());
        let e = Config::from_map(&env).unwrap_err().to_string();
        assert!(
            e.contains("DATABASE_URL") && !e.contains("secret-password"),
            "{e}"
        );

        let mut env = base();
        env.remove("TENOHIRA_SESSION_SECRET");
        assert_eq!(
            Config::from_map(&env).unwrap_err().var,
            "TENOHIRA_SESSION_SECRET"
        );
    }

    #[test]
    fn production_needs_an_explicit_kek_and_development_has_a_default() {
        let mut env = base();
        env.remove("TENOHIRA_KEK");
        assert_eq!(Config::from_map(&env).unwrap_err().var, "TENOHIRA_KEK");
        env.insert("TENOHIRA_ENV".into(), "development".into());
        assert_eq!(Config::from_map(&env).unwrap().kek, "local:./data/kek.key");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = Config::from_map(&base()).unwrap();
        let s = format!("{c:?}");
        assert!(
            !s.contains("0123456789abcdef") && !s.contains("postgres@"),
            "{s}"
        );
    }

    #[test]
    fn readme_documents_every_variable() {
        let readme = include_str!("../../README.md");
        for v in VARIABLES {
            assert!(
                readme.contains(&format!("`{}`", v.name)),
                "README lacks {}",
                v.name
            );
        }
    }
}
