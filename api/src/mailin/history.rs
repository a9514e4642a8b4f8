//! Kept mails as staff see them (headers, text, the decision and its
//! delivery), the rule test on a stored or pasted mail, and retention:
//! mails older than the setting `mailin.retention_days` are removed daily.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};

use super::rulebook::{self, RuleDraft};
use crate::app::App;
use crate::auth::{Caller, Permission};
use crate::db::schema::{inbound_mails as mails, mail_outcomes as outcomes};
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = mails)]
pub struct Mail {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub via: String,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub message_id: Option<String>,
    pub from_header: Option<String>,
    pub subject: String,
    pub body: String,
    pub attachments: i32,
    pub size_bytes: i32,
    pub status: String,
    pub duplicate_of: Option<i64>,
    pub headers: String,
    pub auth: Value,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = outcomes)]
pub struct Outcome {
    pub processed_at: DateTime<Utc>,
    pub outcome: String,
    pub decision: Value,
    pub rule_id: Option<i32>,
    pub delivery_id: Option<i64>,
}

pub const MAX_PAGE: i64 = 200;

/// Newest first; `before` an id to page back.
pub async fn list(
    app: &App,
    caller: &Caller,
    first: i64,
    before: Option<i64>,
) -> AppResult<Vec<(Mail, Option<Outcome>)>> {
    caller.require(Permission::MailinManage)?;
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(AppError::bad_input(
            "first",
            format!("件数は1〜{MAX_PAGE}で指定してください"),
        ));
    }
    let mut conn = app.db.get().await?;
    let mut q = mails::table
        .left_join(outcomes::table)
        .order(mails::id.desc())
        .limit(first)
        .select((Mail::as_select(), Option::<Outcome>::as_select()))
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(mails::id.lt(b));
    }
    Ok(q.load(&mut conn).await?)
}

pub async fn get(
    app: &App,
    caller: &Caller,
    id: i64,
) -> AppResult<Option<(Mail, Option<Outcome>)>> {
    caller.require(Permission::MailinManage)?;
    let mut conn = app.db.get().await?;
    Ok(mails::table
        .left_join(outcomes::table)
        .filter(mails::id.eq(id))
        .select((Mail::as_select(), Option::<Outcome>::as_select()))
        .first(&mut conn)
        .await
        .optional()?)
}

/// A mail to test a rule on: a stored one, or text pasted by staff.
pub enum Sample {
    Stored(i64),
    Pasted {
        from: String,
        subject: String,
        body: String,
    },
}

/// What a rule would do with a mail, nothing sent.
pub struct Tried {
    pub matched: bool,
    pub decision: Value,
    pub target: Option<String>,
    pub recipients: Option<u64>,
}

async fn sample_text(
    conn: &mut AsyncPgConnection,
    s: Sample,
) -> AppResult<(String, String, String)> {
    Ok(match s {
        Sample::Stored(id) => {
            let (env, header, subject, body): (String, Option<String>, String, String) =
                mails::table
                    .find(id)
                    .select((
                        mails::envelope_from,
                        mails::from_header,
                        mails::subject,
                        mails::body,
                    ))
                    .first(conn)
                    .await
                    .optional()?
                    .ok_or_else(|| AppError::bad_input("mailId", "メールが見つかりません"))?;
            (
                format!("{env} {}", header.unwrap_or_default()),
                subject,
                body,
            )
        }
        Sample::Pasted {
            from,
            subject,
            body,
        } => {
            if subject.chars().count() > 1000
                || body.chars().count() > super::decode::MAX_BODY_CHARS
            {
                return Err(AppError::bad_input(
                    "mail.body",
                    format!(
                        "貼り付けられる本文は{}文字までです",
                        super::decode::MAX_BODY_CHARS
                    ),
                ));
            }
            (from, subject, body)
        }
    })
}

/// Tries a rule as written (saved or not) on a mail: the conditions and
/// their reasons, the rewritten body, the municipalities, the message, and
/// whom it would reach now.
pub async fn try_rule(
    app: &App,
    caller: &Caller,
    draft: RuleDraft,
    sample: Sample,
) -> AppResult<Tried> {
    caller.require(Permission::MailinManage)?;
    let problems = rulebook::check_shape(&draft);
    if !problems.is_empty() {
        return Err(AppError::BadInput(
            problems
                .into_iter()
                .map(|mut e| {
                    e.field = format!("rule.{}", e.field);
                    e
                })
                .collect(),
        ));
    }
    let mut conn = app.db.get().await?;
    let (sender, subject, body) = sample_text(&mut conn, sample).await?;
    let rule = draft.as_rule()?;
    let d = super::process::decide(std::slice::from_ref(&rule), &sender, &subject, &body);
    let reasons = d
        .rules
        .as_slice()
        .first()
        .map(|r| r["reasons"].clone())
        .unwrap_or(json!([]));
    let Some(a) = d.acting else {
        return Ok(Tried {
            matched: false,
            decision: json!({ "reasons": reasons }),
            target: None,
            recipients: None,
        });
    };
    let built = super::target::build(&mut conn, &rule.audience(), &a.found).await?;
    let mut decision = json!({
        "reasons": reasons,
        "body": a.body,
        "rewrites": a.rewrites,
        "municipalities": a.found,
        "text": a.text,
    });
    let (target, recipients) = match built {
        Err(why) => {
            decision["note"] = json!(why);
            (None, None)
        }
        Ok(expr) => {
            let words = crate::audience::service::describe_expression(&mut conn, &expr).await?;
            let index = crate::audience::index(app);
            index
                .ensure_loaded(&app.db)
                .await
                .map_err(AppError::internal)?;
            (Some(words), Some(index.members(&expr).len()))
        }
    };
    Ok(Tried {
        matched: true,
        decision,
        target,
        recipients,
    })
}

pub const RETENTION_KEY: &str = "mailin.retention_days";
pub const DEFAULT_RETENTION_DAYS: i64 = 365;

pub async fn retention_days(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    Ok(crate::settings::get(conn, RETENTION_KEY)
        .await?
        .and_then(|v| v.as_i64())
        .unwrap_or(DEFAULT_RETENTION_DAYS))
}

pub async fn retention(app: &App, caller: &Caller) -> AppResult<i64> {
    caller.require(Permission::MailinManage)?;
    let mut conn = app.db.get().await?;
    Ok(retention_days(&mut conn).await?)
}

pub async fn set_retention(app: &App, caller: &Caller, days: i64) -> AppResult<i64> {
    caller.require(Permission::MailinManage)?;
    if !(7..=3650).contains(&days) {
        return Err(AppError::bad_input(
            "days",
            "保存期間は7〜3650日で指定してください",
        ));
    }
    let by = caller.actor().1;
    crate::audit::audited(app, caller, "mailin.retention", move |conn| {
        Box::pin(async move {
            crate::settings::set(conn, RETENTION_KEY, json!(days), by).await?;
            Ok((
                days,
                crate::audit::Target::new("setting", RETENTION_KEY),
                json!({ "days": days }),
            ))
        })
    })
    .await
}

/// Removes mails past the retention period, 1,000 at a time.
pub async fn prune(app: &App) -> anyhow::Result<usize> {
    let mut conn = app.db.get().await?;
    let days = retention_days(&mut conn).await?;
    let before = Utc::now() - Duration::days(days);
    let mut total = 0;
    loop {
        let n = diesel::sql_query(
            "DELETE FROM inbound_mails WHERE id IN \
             (SELECT id FROM inbound_mails WHERE received_at < $1 ORDER BY id LIMIT 1000)",
        )
        .bind::<diesel::sql_types::Timestamptz, _>(before)
        .execute(&mut conn)
        .await?;
        total += n;
        if n < 1000 {
            break;
        }
    }
    if total > 0 {
        tracing::info!(removed = total, days, "mails past their retention removed");
    }
    metrics::counter!("tenohira_mailin_pruned_total").increment(total as u64);
    Ok(total)
}

/// The delivery a mail became: title, status and, once started, its figures.
pub type DeliverySummary = (i64, String, String, Option<(i32, i32, i32)>);

/// The deliveries of a page of mails, by id.
pub async fn delivery_summaries(
    app: &App,
    ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, DeliverySummary>> {
    use crate::db::schema::{deliveries, delivery_runs};
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut conn = app.db.get().await?;
    let rows: Vec<DeliverySummary> = deliveries::table
        .left_join(delivery_runs::table)
        .filter(deliveries::id.eq_any(ids))
        .select((
            deliveries::id,
            deliveries::title,
            deliveries::status,
            (
                delivery_runs::recipients,
                delivery_runs::accepted,
                delivery_runs::failed,
            )
                .nullable(),
        ))
        .load(&mut conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.0, r)).collect())
}

/// What a rule may narrow by, for staff who manage mail rules without
/// managing segments: saved segments and receive items, by name only.
pub async fn choices(
    app: &App,
    caller: &Caller,
) -> AppResult<(Vec<(i32, String)>, Vec<(i32, String)>)> {
    caller.require(Permission::MailinManage)?;
    let mut conn = app.db.get().await?;
    let segs = crate::audience::service::segment_names(&mut conn).await?;
    let nodes = crate::audience::service::nodes(&mut conn).await?;
    let path = |mut id: i32| {
        let mut parts = Vec::new();
        while let Some(n) = nodes.iter().find(|n| n.id == id) {
            parts.push(n.name.clone());
            match n.parent_id {
                Some(p) => id = p,
                None => break,
            }
        }
        parts.reverse();
        parts.join(" › ")
    };
    let mut items: Vec<(i32, String)> = nodes
        .iter()
        .filter(|n| n.archived_at.is_none())
        .map(|n| (n.id, path(n.id)))
        .collect();
    items.sort_by(|a, b| a.1.cmp(&b.1));
    Ok((segs, items))
}
