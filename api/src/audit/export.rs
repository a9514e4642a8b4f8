//! `GET /exports/audit-log.csv`: the audit log as CSV for Excel, streamed
//! page by page, with the same filters as `auditLog`. Needs `audit.read`;
//! the export itself is audited.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::service::{Entry, Filter, filtered};
use crate::app::{App, AppState};
use crate::audit::{Outcome, record_now};
use crate::auth::Permission;
use crate::csv::jst;
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

pub async fn audit_csv(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let app = state.app.clone();
    let caller = match crate::csv::authorize(&app, &headers, peer, &[Permission::AuditRead]).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let filter = Filter {
        actor_id: p.actor_id,
        actor: p.actor,
        action: p.action,
        target_kind: p.target_kind,
        target_id: p.target_id,
        from: p.from,
        to: p.to,
    };
    let summary = json!({ "filter": { "actor": filter.actor, "action": filter.action, "targetKind": filter.target_kind,
                                      "targetId": filter.target_id, "from": filter.from, "to": filter.to } });
    if let Err(e) = record_now(
        &app.db,
        &caller,
        "audit.export",
        None,
        summary,
        Outcome::Success,
    )
    .await
    {
        let _ = e.to_graphql();
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let pages = futures::stream::unfold(Some(i64::MAX), move |cursor| {
        let (app, filter) = (app.clone(), filter.clone());
        async move {
            let before = cursor?;
            match page(&app, &filter, before).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = (rows.len() as i64 == PAGE)
                        .then(|| rows.last().map(|r| r.id))
                        .flatten();
                    let lines = rows
                        .into_iter()
                        .map(|e| {
                            crate::csv_row![
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
                    Some((Ok(lines), next))
                }
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    crate::csv::download(
        "audit-log",
        &[
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
        ],
        pages,
        None,
    )
}

/// One page, newest first, strictly older than `before` (keyset paging).
async fn page(app: &App, f: &Filter, before: i64) -> anyhow::Result<Vec<Entry>> {
    let mut conn = app.db.get().await?;
    Ok(filtered(f)
        .filter(audit_log::id.lt(before))
        .order(audit_log::id.desc())
        .limit(PAGE)
        .select(Entry::as_select())
        .load(&mut conn)
        .await?)
}
