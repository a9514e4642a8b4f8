//! `GET /exports/audit-log.csv`: the audit log as CSV for Excel (UTF-8 with
//! BOM, CRLF, JST times), streamed page by page, with the same filters as
//! `auditLog`. Needs `audit.read`; the export itself is audited.

use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::service::{Entry, Filter, filtered};
use crate::app::{App, AppState};
use crate::audit::{Outcome, record_now};
use crate::auth::Permission;
use crate::db::schema::audit_log;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    actor_id: Option<Uuid>,
    actor: Option<String>,
    action: Option<String>,
    target_kind: Option<String>,
    target_id: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

const PAGE: i64 = 1000;
pub const BOM: &str = "\u{feff}";

pub fn jst(t: DateTime<Utc>) -> String {
    t.with_timezone(&FixedOffset::east_opt(9 * 3600).expect("JST offset"))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Rows of a CSV record set, CRLF-terminated as Excel expects.
pub fn csv_lines(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

pub async fn audit_csv(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let app = state.app.clone();
    let caller = match crate::staff::sessions::resolve_caller(&app, &headers, peer).await {
        Ok(c) => c,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    if let Err(e) = caller.require(Permission::AuditRead) {
        let status = if e.code() == "UNAUTHENTICATED" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::FORBIDDEN
        };
        return (status, e.to_string()).into_response();
    }
    let filter = Filter {
        actor_id: p.actor_id,
        actor: p.actor,
        action: p.action,
        target_kind: p.target_kind,
        target_id: p.target_id,
        from: p.from,
        to: p.to,
    };
    if let Err(e) = record_now(
        &app.db,
        &caller,
        "audit.export",
        None,
        json!({ "filter": { "actor": filter.actor, "action": filter.action, "targetKind": filter.target_kind,
                            "targetId": filter.target_id, "from": filter.from, "to": filter.to } }),
        Outcome::Success,
    )
    .await
    {
        let _ = e.to_graphql();
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let header_row = vec![
        "日時(JST)",
        "操作者種別",
        "操作者",
        "操作",
        "対象種別",
        "対象ID",
        "結果",
        "内容",
        "IPアドレス",
        "ユーザーエージェント",
        "リクエストID",
    ]
    .into_iter()
    .map(str::to_string)
    .collect::<Vec<_>>();
    let first = Bytes::from([BOM.as_bytes(), &csv_lines(&[header_row])].concat());
    let pages = futures::stream::unfold(Some(i64::MAX), move |cursor| {
        let app = app.clone();
        let filter = filter.clone();
        async move {
            let before = cursor?;
            match page(&app, &filter, before).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = (rows.len() as i64 == PAGE)
                        .then(|| rows.last().map(|r| r.id))
                        .flatten();
                    let lines: Vec<Vec<String>> = rows
                        .into_iter()
                        .map(|e| {
                            vec![
                                jst(e.occurred_at),
                                e.actor_kind,
                                e.actor_label,
                                e.action,
                                e.target_kind.unwrap_or_default(),
                                e.target_id.unwrap_or_default(),
                                e.result,
                                e.summary.to_string(),
                                e.ip.unwrap_or_default(),
                                e.user_agent.unwrap_or_default(),
                                e.request_id.unwrap_or_default(),
                            ]
                        })
                        .collect();
                    Some((
                        Ok::<Bytes, std::io::Error>(Bytes::from(csv_lines(&lines))),
                        next,
                    ))
                }
                Err(e) => {
                    tracing::error!(error = %e, "audit export page failed");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    let body = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(first) });
    // Fused: the body may be polled once more after its end.
    let stream = futures::StreamExt::fuse(futures::StreamExt::chain(body, pages));
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let name = format!("audit-log-{}.csv", Utc::now().format("%Y%m%d%H%M%S"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// One page, newest first, strictly older than `before` (keyset paging).
async fn page(app: &App, f: &Filter, before: i64) -> anyhow::Result<Vec<Entry>> {
    let mut conn = app.db.get().await?;
    let q = filtered(f).filter(audit_log::id.lt(before));
    Ok(q.order(audit_log::id.desc())
        .limit(PAGE)
        .select(Entry::as_select())
        .load(&mut conn)
        .await?)
}
