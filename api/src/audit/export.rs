//! `GET /exports/audit-log.csv`: the audit log as CSV for Excel, streamed
//! page by page, with the same filters as `auditLog`. Needs `audit.read`;
//! the export itself is audited.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::service::{Entry, Filter, filtered};
use crate::app::App;
use crate::audit::download::Export;
use crate::auth::{Caller, Permission};
use crate::csv::{Cell, jst};
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
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Query(p): Query<Params>,
) -> Response {
    if let Err(refusal) = crate::csv::authorize(&caller, &[Permission::AuditRead]) {
        return *refusal;
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
    let summary = json!({ "filter": { "actor": filter.actor, "action": filter.action, "targetKind": filter.target_kind,
                                      "targetId": filter.target_id, "from": filter.from, "to": filter.to } });
    let export = Export {
        file_stem: "audit-log",
        header: HEADER.iter().map(|h| h.to_string()).collect(),
        total: None,
        action: "audit.export",
        target: None,
        summary,
    };
    let db = app.clone();
    export
        .audited(&app, &caller, i64::MAX, move |before| {
            let (app, filter) = (db.clone(), filter.clone());
            async move {
                let rows = page(&app, &filter, before).await?;
                let next = (rows.len() as i64 == PAGE)
                    .then(|| rows.last().map(|r| r.id))
                    .flatten();
                Ok((rows.into_iter().map(row).collect(), next))
            }
        })
        .await
}

const HEADER: &[&str] = &[
    "日時(JST)",
    "操作者種別",
    "操作者",
    "操作",
    "操作キー",
    "対象種別",
    "対象ID",
    "結果",
    "内容",
    "IPアドレス",
    "ユーザーエージェント",
    "リクエストID",
    "内容（JSON）",
];

fn row(e: Entry) -> Vec<Cell> {
    use super::labels;
    crate::csv_row![
        jst(e.occurred_at),
        labels::actor_kind(&e.actor_kind),
        e.actor_label,
        labels::action(&e.action),
        e.action,
        e.target_kind
            .as_deref()
            .map(labels::target_kind)
            .unwrap_or_default(),
        e.target_id.unwrap_or_default(),
        labels::result(&e.result),
        labels::details(&e.summary),
        e.ip.unwrap_or_default(),
        e.user_agent.unwrap_or_default(),
        e.request_id.unwrap_or_default(),
        e.summary.to_string(),
    ]
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
