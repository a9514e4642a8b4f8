use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::service::{self, Entry, Filter};
use crate::gql::ContextExt;

#[derive(SimpleObject)]
pub struct AuditEntry {
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    /// staff | service | resident | system | anonymous
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub action: String,
    /// The action in Japanese (「職員アカウントの作成」).
    pub action_label: String,
    /// The actor kind in Japanese.
    pub actor_kind_label: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    /// What changed, as JSON.
    pub summary: async_graphql::Json<serde_json::Value>,
    /// The same in Japanese (「理由：防災訓練の案内、件数：12」).
    pub details: String,
    /// The target kind in Japanese (「職員アカウント」).
    pub target_kind_label: Option<String>,
    /// success | failure | denied
    pub result: String,
    /// 成功 | 失敗 | 拒否
    pub result_label: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl From<Entry> for AuditEntry {
    fn from(e: Entry) -> Self {
        Self {
            id: e.id.to_string(),
            occurred_at: e.occurred_at,
            actor_kind_label: super::labels::actor_kind(&e.actor_kind).to_string(),
            action_label: super::labels::action(&e.action).to_string(),
            result_label: super::labels::result(&e.result).to_string(),
            details: super::labels::details(&e.summary),
            target_kind_label: e
                .target_kind
                .as_deref()
                .map(|k| super::labels::target_kind(k).to_string()),
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor_label: e.actor_label,
            action: e.action,
            target_kind: e.target_kind,
            target_id: e.target_id,
            summary: async_graphql::Json(e.summary),
            result: e.result,
            ip: e.ip,
            user_agent: e.user_agent,
            request_id: e.request_id,
        }
    }
}

#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    pub actor_id: Option<Uuid>,
    /// Part of the actor's login id or name.
    pub actor: Option<String>,
    /// An action (`staff.account.create`) or a prefix ending in `.` (`staff.`).
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    /// From this time (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Up to this time (exclusive).
    pub to: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct AuditLogPage {
    pub items: Vec<AuditEntry>,
    pub total_count: i64,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, newest first. Needs `audit.read`.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        #[graphql(default = 0)] offset: i64,
        #[graphql(default = 50)] limit: i64,
    ) -> async_graphql::Result<AuditLogPage> {
        let f = filter.unwrap_or_default();
        let filter = Filter {
            actor_id: f.actor_id,
            actor: f.actor,
            action: f.action,
            target_kind: f.target_kind,
            target_id: f.target_id,
            from: f.from,
            to: f.to,
        };
        let (rows, total) =
            service::search(&ctx.app().db, ctx.caller(), &filter, offset, limit).await?;
        Ok(AuditLogPage {
            items: rows.into_iter().map(Into::into).collect(),
            total_count: total,
        })
    }
}
