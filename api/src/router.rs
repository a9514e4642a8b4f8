//! The assembly of the HTTP side (the top floor): the router with every
//! route, the single-page apps, health, readiness and metrics, the two
//! GraphQL endpoints, and the middleware that resolves the staff caller once
//! per request. Only this module, `graphql` and `worker` name every capability.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::auth::{Caller, Principal, ResidentPrincipal};
use crate::config::Config;
use crate::gql::http::{self as gql_http, MediaType};
use crate::graphql::StaffSchema;
use crate::graphql::liff::LiffSchema;

/// What the handlers share: the application (which domain handlers take,
/// through `FromRef`) and the two schemas.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub schema: StaffSchema,
    pub liff_schema: LiffSchema,
    /// The workers' queues, whose depths `/metrics` reports.
    pub queues: std::sync::Arc<Vec<&'static str>>,
}

impl FromRef<AppState> for App {
    fn from_ref(state: &AppState) -> App {
        state.app.clone()
    }
}

pub fn router(app: App) -> Router {
    let cfg = &app.config;
    let state = AppState {
        app: app.clone(),
        schema: crate::graphql::build(&app),
        liff_schema: crate::graphql::liff::build(&app),
        queues: std::sync::Arc::new(crate::worker::registry().queues()),
    };
    let request_id = HeaderName::from_static("x-request-id");
    let hsts = cfg.public_url.starts_with("https://").then(|| {
        tower_http::set_header::SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        )
    });
    // Routes whose caller is a staff session or service token, resolved once here.
    let staff = Router::new()
        .route("/graphql", get(graphql::<Staff>).post(graphql::<Staff>))
        .route(
            "/exports/audit-log.csv",
            get(crate::audit::export::audit_csv),
        )
        .route(
            "/exports/friend-settings.csv",
            get(crate::audience::export::friend_settings_csv),
        )
        .route(
            "/exports/deliveries.csv",
            get(crate::delivery::stats::deliveries_csv),
        )
        .route(
            "/exports/chatbot-daily.csv",
            get(crate::chatbot::stats::daily_csv),
        )
        .route("/exports/faq.csv", get(crate::chatbot::transfer::faq_csv))
        .route("/exports/faq.json", get(crate::chatbot::transfer::faq_json))
        .route(
            "/exports/card-holders.csv",
            get(crate::card::export::card_holders_csv),
        )
        .route(
            "/exports/rich-menu-taps.csv",
            get(crate::richmenu::taps::taps_csv),
        )
        .route(
            "/exports/surveys/{id}/answers.csv",
            get(crate::survey::export::answers_csv),
        )
        .route("/media", axum::routing::post(crate::media::http::upload))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            staff_caller,
        ));
    // The residents' API: the caller is whoever the LIFF ID token says.
    let residents = Router::new()
        .route(
            "/liff/graphql",
            get(graphql::<Resident>).post(graphql::<Resident>),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            resident_caller,
        ));
    Router::new()
        .merge(staff)
        .merge(residents)
        .route("/line/webhook", axum::routing::post(crate::inbox::webhook::receive))
        .route("/mail/intake", axum::routing::post(crate::mailin::http::intake))
        .route("/media/{id}", get(crate::media::http::original))
        .route(
            "/r/m/{menu}/{version}/{page}/{area}",
            get(crate::richmenu::taps::redirect),
        )
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

async fn sanitize_request_id(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let fine = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .is_none_or(crate::auth::origin::request_id_acceptable);
    if !fine {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

fn media_of(headers: &HeaderMap) -> MediaType {
    gql_http::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
        .unwrap_or(MediaType::Json)
}

/// Puts the caller of a session cookie or service token into the request
/// (anonymous when the credentials do not check out).
async fn staff_caller(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match crate::staff::sessions::resolve_caller(&state.app, req.headers(), peer).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => {
            let _ = e.to_graphql(); // logs the cause with an error id
            gql_http::request_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL",
                "service unavailable",
                media_of(req.headers()),
            )
        }
    }
}

/// Puts the resident a verified LIFF ID token (`Authorization: Bearer`)
/// names into the request, after the per-address and per-resident limits.
async fn resident_caller(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let app = &state.app;
    let headers = req.headers();
    let mut caller = Caller::from_request(&app.config, headers, peer);
    let media = media_of(headers);
    let limits = &app.liff_limits;
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
        match app.id_tokens.verify(token).await {
            Ok(claims) => {
                if let Err(wait) = limits.per_resident.check(&claims.sub) {
                    return rate_limited(wait, media, "resident");
                }
                caller.principal = Principal::Resident(ResidentPrincipal {
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
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// One of the two GraphQL endpoints.
trait Endpoint {
    type Schema: async_graphql::Executor;
    fn schema(state: &AppState) -> &Self::Schema;
    fn limits(config: &Config) -> gql_http::Limits;
    /// Whether a browser asking for HTML gets GraphiQL (in development).
    const GRAPHIQL: Option<&'static str>;
}

struct Staff;
impl Endpoint for Staff {
    type Schema = StaffSchema;
    fn schema(state: &AppState) -> &StaffSchema {
        &state.schema
    }
    fn limits(config: &Config) -> gql_http::Limits {
        gql_http::Limits::staff(config)
    }
    const GRAPHIQL: Option<&'static str> = Some("/graphql");
}

struct Resident;
impl Endpoint for Resident {
    type Schema = LiffSchema;
    fn schema(state: &AppState) -> &LiffSchema {
        &state.liff_schema
    }
    fn limits(config: &Config) -> gql_http::Limits {
        gql_http::Limits::residents(config)
    }
    const GRAPHIQL: Option<&'static str> = None;
}

/// Both GraphQL endpoints: the route's middleware resolved the caller.
async fn graphql<E: Endpoint>(
    State(state): State<AppState>,
    axum::Extension(caller): axum::Extension<Caller>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if let Some(endpoint) = E::GRAPHIQL
        && method == Method::GET
        && wants_html
        && uri.query().is_none()
    {
        if state.app.config.is_development() {
            return Html(
                async_graphql::http::GraphiQLSource::build()
                    .endpoint(endpoint)
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
    let limits = E::limits(&state.app.config);
    gql_http::handle(
        E::schema(&state),
        &limits,
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
    render_metrics(&state.app, &state.queues).await
}

async fn render_metrics(app: &App, queues: &[&'static str]) -> Response {
    crate::metrics::render(&crate::metrics::Sources {
        db: &app.db,
        jobs: &app.jobs,
        outbox: &app.outbox,
        handle: &app.metrics,
        queues,
    })
    .await
}

/// A router serving only `/metrics`, for the separate metrics listener.
pub fn metrics_router(app: App, queues: Vec<&'static str>) -> Router {
    let queues = std::sync::Arc::new(queues);
    Router::new().route(
        "/metrics",
        get(move || {
            let (app, queues) = (app.clone(), queues.clone());
            async move { render_metrics(&app, &queues).await }
        }),
    )
}
