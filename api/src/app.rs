//! The application state shared by every request and job, and the HTTP router.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::db::DbPool;
use crate::graphql::StaffSchema;
use crate::graphql::http::{self as gql_http, MediaType};
use crate::graphql::liff::LiffSchema;
use crate::jobs::{JobQueue, Outbox, RetryPolicy};
use crate::line::{IdTokenVerifier, LineClient};
use crate::store::RedisStore;

pub struct AppInner {
    pub config: Config,
    pub db: DbPool,
    pub redis: RedisStore,
    pub jobs: JobQueue,
    pub outbox: Outbox,
    pub metrics: PrometheusHandle,
    pub line: LineClient,
    pub id_tokens: IdTokenVerifier,
    pub intake: crate::line::webhook::IntakeWriter,
    /// Request limits of the residents' API (in this process).
    pub liff_limits: crate::ratelimit::LiffLimits,
    /// This process's audience index (loaded on first use, then kept current).
    pub audience: Arc<crate::audience::index::AudienceIndex>,
    /// Messages of deliveries this process is sending (they no longer change).
    pub delivery_sending: crate::delivery::send::SendingCache,
    /// Where uploaded images and videos live (filesystem or S3-compatible).
    pub media: crate::media::store::MediaStore,
    /// Residents' data keys, wrapped by the KEK; unwrapped ones cached briefly.
    pub keyring: crate::crypto::Keyring,
    /// The Papa-Mama card's settings, re-read at most once a second.
    pub card_settings: crate::card::settings::SettingsCache,
    /// Sealed card rows residents have opened, dropped on change (LISTEN/NOTIFY).
    pub card_cache: crate::card::cache::CardCache,
}

/// Cheap to clone; everything a service function needs besides the caller.
#[derive(Clone)]
pub struct App(Arc<AppInner>);

impl Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl App {
    /// Connects to PostgreSQL and Redis (failing fast with a clear message).
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        let db = crate::db::pool(
            config.database_url.expose(),
            config.db_pool_size,
            config.db_timeout,
        )?;
        let redis = RedisStore::connect(config.redis_url.expose(), &config.redis_prefix).await?;
        let jobs = JobQueue::new(redis.clone(), RetryPolicy::default());
        let outbox = Outbox::new(db.clone(), jobs.clone());
        let intake = crate::line::webhook::IntakeWriter::start(db.clone(), jobs.clone());
        let line = LineClient::new(&config.line, redis.clone())?;
        let media = crate::media::store::MediaStore::new(&config)?;
        let card_cache =
            crate::card::cache::CardCache::new(config.card_cache_ttl, config.card_cache_entries);
        let keyring = crate::crypto::Keyring::new(
            crate::crypto::kek::KekRing::from_config(&config)?,
            config.data_key_cache_ttl,
        );
        let liff_limits = crate::ratelimit::LiffLimits::from_config(&config);
        let id_tokens = IdTokenVerifier::new(
            &config.line.jwks_url,
            &config.line.login_channel_id,
            config.line.jwks_refresh,
        )?;
        Ok(Self(Arc::new(AppInner {
            config,
            db,
            redis,
            jobs,
            outbox,
            metrics: crate::metrics::handle(),
            line,
            id_tokens,
            intake,
            liff_limits,
            audience: Arc::default(),
            delivery_sending: Default::default(),
            media,
            keyring,
            card_settings: Default::default(),
            card_cache,
        })))
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub schema: StaffSchema,
    pub liff_schema: LiffSchema,
}

pub fn router(app: App) -> Router {
    let schema = crate::graphql::build(&app);
    let cfg = &app.config;
    let state = AppState {
        app: app.clone(),
        schema,
        liff_schema: crate::graphql::liff::build(&app),
    };
    let request_id = HeaderName::from_static("x-request-id");
    let hsts = cfg.public_url.starts_with("https://").then(|| {
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        )
    });
    Router::new()
        .route("/graphql", get(staff_graphql).post(staff_graphql))
        .route("/liff/graphql", get(liff_graphql).post(liff_graphql))
        .route("/line/webhook", axum::routing::post(crate::line::webhook::receive))
        .route("/exports/audit-log.csv", get(crate::audit::export::audit_csv))
        .route("/exports/friend-settings.csv", get(crate::audience::export::friend_settings_csv))
        .route("/exports/deliveries.csv", get(crate::delivery::stats::deliveries_csv))
        .route("/exports/card-holders.csv", get(crate::card::export::card_holders_csv))
        .route("/media", axum::routing::post(crate::media::http::upload))
        .route("/media/{id}", get(crate::media::http::original))
        .route("/media/{id}/preview", get(crate::media::http::preview))
        .route("/", get(|| async { axum::response::Redirect::permanent("/console/") }))
        .nest_service("/console", spa_service(&cfg.console_dir, CONSOLE_CSP))
        .route("/liff/config.json", get(liff_config))
        .nest_service("/liff", spa_service(&cfg.liff_dir, LIFF_CSP))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_endpoint))
        .with_state(state)
        .layer(tower::util::option_layer(hsts))
        .layer(axum::middleware::from_fn(crate::metrics::track_requests))
        .layer(CompressionLayer::new())
        .layer(DefaultBodyLimit::max(cfg.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, cfg.request_timeout))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(axum::middleware::from_fn(sanitize_request_id))
}

/// Browsers that reached us over HTTPS keep to it (two years, subdomains too).
const HSTS: &str = "max-age=63072000; includeSubDomains";

const CONSOLE_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
/// The LIFF SDK talks to LINE's servers and LINE shows the page in its in-app browser.
const LIFF_CSP: &str = "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self' https://*.line.me https://*.line-scdn.net; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// A built single-page app: hashed assets are cached for a year, everything
/// else (index.html for every client route) is revalidated, with a strict
/// content security policy.
fn spa_service(dir: &std::path::Path, csp: &'static str) -> Router {
    use tower_http::services::{ServeDir, ServeFile};
    use tower_http::set_header::SetResponseHeaderLayer;
    let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn(console_cache_headers))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// What the LIFF pages need to start: the LIFF id, or the sandbox login.
async fn liff_config(State(state): State<AppState>) -> Json<serde_json::Value> {
    let c = &state.app.config;
    Json(serde_json::json!({
        "liffId": c.liff_id,
        "sandboxLogin": (!c.sandbox_login_url.is_empty()).then_some(&c.sandbox_login_url),
    }))
}

async fn console_cache_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let immutable = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let value = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

/// The client address. Behind `n` trusted proxies it is the `n`-th
/// `X-Forwarded-For` entry from the right: each proxy appends the address it
/// saw, so that entry was written by the outermost proxy of ours, while
/// everything to its left came from the client and may be invented.
pub fn client_ip(config: &Config, headers: &HeaderMap, peer: SocketAddr) -> String {
    let hops = config.trusted_proxy_hops;
    if hops > 0 {
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        if let Some(entry) = forwarded.len().checked_sub(hops).map(|i| forwarded[i])
            && let Ok(ip) = entry.parse::<std::net::IpAddr>()
        {
            return ip.to_string();
        }
    }
    peer.ip().to_string()
}

/// A client's `X-Request-Id` is kept (it ties our logs to theirs) only when
/// it is a short token; anything else is replaced by one of ours, so a
/// request cannot write kilobytes or markup into the logs and audit rows.
async fn sanitize_request_id(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let fine = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .is_none_or(request_id_acceptable);
    if !fine {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

pub fn request_id_acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

async fn staff_graphql(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if method == Method::GET && wants_html && uri.query().is_none() {
        if state.app.config.is_development() {
            return Html(
                async_graphql::http::GraphiQLSource::build()
                    .endpoint("/graphql")
                    .finish(),
            )
            .into_response();
        }
        return (
            StatusCode::NOT_FOUND,
            "GraphiQL is available only in development",
        )
            .into_response();
    }
    let caller = match crate::staff::sessions::resolve_caller(&state.app, &headers, peer).await {
        Ok(c) => c,
        Err(e) => {
            let media =
                gql_http::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
                    .unwrap_or(MediaType::Json);
            let _ = e.to_graphql(); // logs the cause with an error id
            return gql_http::request_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL",
                "service unavailable",
                media,
            );
        }
    };
    let limits = gql_http::Limits::staff(&state.app.config);
    gql_http::handle(
        &state.schema,
        &limits,
        &method,
        &uri,
        &headers,
        body,
        caller,
    )
    .await
}

/// Residents' API: the caller is whoever the LIFF ID token in
/// `Authorization: Bearer` says, after local verification.
async fn liff_graphql(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut caller = crate::auth::Caller::from_request(&state.app.config, &headers, peer);
    let media = gql_http::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
        .unwrap_or(MediaType::Json);
    let limits = &state.app.liff_limits;
    // Counted before the token is checked: a flood of bad tokens costs a
    // map lookup each, not a signature verification.
    if let Err(wait) = limits.per_ip.check(caller.ip.as_deref().unwrap_or("")) {
        return rate_limited(wait, media, "address");
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(token) = token {
        match state.app.id_tokens.verify(token).await {
            Ok(claims) => {
                if let Err(wait) = limits.per_resident.check(&claims.sub) {
                    return rate_limited(wait, media, "resident");
                }
                caller.principal =
                    crate::auth::Principal::Resident(crate::auth::ResidentPrincipal {
                        line_user_id: claims.sub,
                    });
            }
            Err(e) => {
                // ID-link failures are watched (seed 3.1(2)).
                metrics::counter!("tenohira_liff_id_token_failures_total", "reason" => e.reason())
                    .increment(1);
                tracing::info!(reason = e.reason(), "LIFF ID token refused");
                caller.credential_error = Some(e.reason());
            }
        }
    }
    gql_http::handle(
        &state.liff_schema,
        &gql_http::Limits::residents(&state.app.config),
        &method,
        &uri,
        &headers,
        body,
        caller,
    )
    .await
}

/// 429 with a GraphQL error a LIFF page understands, and when to try again.
fn rate_limited(wait: Duration, media: MediaType, per: &'static str) -> Response {
    metrics::counter!("tenohira_liff_rate_limited_total", "per" => per).increment(1);
    let mut res = gql_http::request_error(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        "アクセスが集中しています。少し待ってからもう一度お試しください",
        media,
    );
    if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when PostgreSQL and Redis both answer; reports each.
async fn readyz(State(state): State<AppState>) -> Response {
    let timeout = Duration::from_secs(2);
    let (pg, redis) = tokio::join!(
        tokio::time::timeout(timeout, crate::db::ping(&state.app.db)),
        tokio::time::timeout(timeout, state.app.redis.ping()),
    );
    let status = |r: Result<anyhow::Result<()>, _>| match r {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            "unavailable".to_string()
        }
        Err(_) => "timeout".to_string(),
    };
    let (pg, redis) = (status(pg), status(redis));
    let ok = pg == "ok" && redis == "ok";
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(serde_json::json!({ "status": if ok { "ready" } else { "not ready" }, "postgres": pg, "redis": redis })),
    )
        .into_response()
}

/// `/metrics` on the public listener: only with the configured bearer token
/// (or in development); otherwise it does not exist here.
async fn metrics_endpoint(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let config = &state.app.config;
    let token = config.metrics_token.expose();
    let allowed = if token.is_empty() {
        config.is_development()
    } else {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| {
                use subtle::ConstantTimeEq;
                bool::from(given.trim().as_bytes().ct_eq(token.as_bytes()))
            })
    };
    if !allowed {
        return StatusCode::NOT_FOUND.into_response();
    }
    crate::metrics::render(&state.app).await
}
