use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::{Caller, Permission};
use crate::db::DbPool;
use crate::db::schema::audit_log;
use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
        }
    }
}

/// What an action was done to.
pub struct Target {
    pub kind: &'static str,
    pub id: String,
}

impl Target {
    pub fn new(kind: &'static str, id: impl ToString) -> Self {
        Self {
            kind,
            id: id.to_string(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    actor_kind: &'a str,
    actor_id: Option<Uuid>,
    actor_label: &'a str,
    action: &'a str,
    target_kind: Option<&'a str>,
    target_id: Option<&'a str>,
    summary: serde_json::Value,
    result: &'a str,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    request_id: Option<&'a str>,
}

/// Writes an audit row on the caller's connection, inside its transaction,
/// so the row exists exactly when the change does.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    action: &str,
    target: Option<Target>,
    summary: serde_json::Value,
    outcome: Outcome,
) -> AppResult<()> {
    let (kind, id, label) = caller.actor();
    record_as(
        conn, caller, kind, id, &label, action, target, summary, outcome,
    )
    .await
}

/// Like [`record`] with an explicit actor (e.g. a failed sign-in names the login id tried).
#[allow(clippy::too_many_arguments)]
pub async fn record_as(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    actor_kind: &str,
    actor_id: Option<Uuid>,
    actor_label: &str,
    action: &str,
    target: Option<Target>,
    summary: serde_json::Value,
    outcome: Outcome,
) -> AppResult<()> {
    diesel::insert_into(audit_log::table)
        .values(NewEntry {
            actor_kind,
            actor_id,
            actor_label,
            action,
            target_kind: target.as_ref().map(|t| t.kind),
            target_id: target.as_ref().map(|t| t.id.as_str()),
            summary,
            result: outcome.as_str(),
            ip: caller.ip.as_deref(),
            user_agent: caller.user_agent.as_deref(),
            request_id: caller.request_id.as_deref(),
        })
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes an audit row outside any transaction (failures, whose transaction rolled back).
pub async fn record_now(
    db: &DbPool,
    caller: &Caller,
    action: &str,
    target: Option<Target>,
    summary: serde_json::Value,
    outcome: Outcome,
) -> AppResult<()> {
    let mut conn = db.get().await?;
    record(&mut conn, caller, action, target, summary, outcome).await
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub summary: serde_json::Value,
    pub result: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub actor_id: Option<Uuid>,
    /// Part of the actor's login id or name.
    pub actor: Option<String>,
    /// An action name, or a prefix ending in `.` (`staff.` for every staff action).
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

pub const MAX_PAGE: i64 = 500;

pub async fn search(
    db: &DbPool,
    caller: &Caller,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<Entry>, i64)> {
    caller.require(Permission::AuditRead)?;
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::bad_input(
            "limit",
            format!("1〜{MAX_PAGE}の範囲で指定してください"),
        ));
    }
    if offset < 0 {
        return Err(AppError::bad_input("offset", "0以上で指定してください"));
    }
    let mut conn = db.get().await?;
    let build = || filtered(filter);
    let total: i64 = build().count().get_result(&mut conn).await?;
    let rows = build()
        .order((audit_log::occurred_at.desc(), audit_log::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(Entry::as_select())
        .load(&mut conn)
        .await?;
    Ok((rows, total))
}

/// The audit log narrowed by a filter (shared by the query and the CSV export).
pub fn filtered(filter: &Filter) -> audit_log::BoxedQuery<'static, diesel::pg::Pg> {
    let mut q = audit_log::table.into_boxed();
    if let Some(id) = filter.actor_id {
        q = q.filter(audit_log::actor_id.eq(id));
    }
    if let Some(a) = filter.actor.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(audit_log::actor_label.ilike(format!("%{}%", escape_like(a))));
    }
    if let Some(a) = filter.action.as_deref().filter(|s| !s.is_empty()) {
        q = if a.ends_with('.') {
            q.filter(audit_log::action.like(format!("{}%", escape_like(a))))
        } else {
            q.filter(audit_log::action.eq(a.to_string()))
        };
    }
    if let Some(k) = filter.target_kind.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(audit_log::target_kind.eq(k.to_string()));
    }
    if let Some(t) = filter.target_id.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(audit_log::target_id.eq(t.to_string()));
    }
    if let Some(from) = filter.from {
        q = q.filter(audit_log::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(audit_log::occurred_at.lt(to));
    }
    q
}

/// Escapes `%`, `_` and `\` so user text matches literally in LIKE.
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Runs `f` in a transaction and records its audit row in the same one: the
/// change and its record commit together or not at all. The caller checks
/// permissions first; `f` returns its value, the target and a summary.
pub async fn audited<T, F>(
    app: &crate::app::App,
    caller: &Caller,
    action: &'static str,
    f: F,
) -> AppResult<T>
where
    T: Send + 'static,
    F: for<'c> FnOnce(
            &'c mut AsyncPgConnection,
        )
            -> futures::future::BoxFuture<'c, AppResult<(T, Target, serde_json::Value)>>
        + Send
        + 'static,
{
    use diesel_async::AsyncConnection;
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<T, crate::error::AppError, _>(async move |conn| {
        let (value, target, summary) = f(conn).await?;
        record(
            conn,
            &caller,
            action,
            Some(target),
            summary,
            Outcome::Success,
        )
        .await?;
        Ok(value)
    })
    .await
}
