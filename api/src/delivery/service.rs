//! Composing, approving, scheduling and cancelling deliveries (seed 2.4(4)ア,
//! ケ). Every change checks its permission first, validates everything before
//! writing, and is audited in the same transaction.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::model::{self, Delivery, MAX_FRIEND_LIST, Message, Run, Target};
use crate::app::App;
use crate::audit::{self, Target as AuditTarget};
use crate::auth::{Caller, Permission, Principal};
use crate::db::schema::{deliveries, delivery_runs};
use crate::error::{AppError, AppResult, FieldError, Problems};

/// Reading deliveries: anyone who composes, sends or approves them.
pub const READERS: &[Permission] = &[
    Permission::DeliveryCreate,
    Permission::DeliverySend,
    Permission::DeliveryApprove,
];

pub struct Draft {
    pub title: String,
    pub messages: Vec<Message>,
    pub target: Target,
}

/// The public URL LINE fetches a stored file from.
pub fn media_url(app: &App) -> impl Fn(Uuid, bool) -> String + use<> {
    let base = app
        .config
        .media_public_url
        .trim_end_matches('/')
        .to_string();
    move |id, preview| {
        if preview {
            format!("{base}/media/{id}/preview")
        } else {
            format!("{base}/media/{id}")
        }
    }
}

async fn check_draft(app: &App, conn: &mut AsyncPgConnection, d: &Draft) -> AppResult<()> {
    let mut p = Problems::new();
    let title = d.title.trim();
    p.check(
        !title.is_empty() && title.chars().count() <= 100,
        "title",
        "タイトルは1〜100文字で入力してください",
    );
    let url = media_url(app);
    for e in model::validate_messages(&d.messages, &url) {
        p.add(e.field, e.message);
    }
    for (i, m) in d.messages.iter().enumerate() {
        let ids = match m {
            Message::Text { .. } | Message::Buttons { .. } => vec![],
            Message::Image { media_id } => vec![(*media_id, "image", "mediaId")],
            Message::Video {
                media_id,
                preview_media_id,
            } => vec![
                (*media_id, "video", "mediaId"),
                (*preview_media_id, "image", "previewMediaId"),
            ],
        };
        for (id, kind, field) in ids {
            if !crate::media::exists(conn, id, kind).await? {
                p.add(format!("messages[{i}].{field}"), "ファイルが見つかりません");
            }
        }
    }
    check_target(app, conn, &d.target, &mut p).await?;
    p.into_result()
}

/// Problems with a target (saved segment missing, bad expression, unknown friends) go into `p`.
pub async fn check_target(
    app: &App,
    conn: &mut AsyncPgConnection,
    target: &Target,
    p: &mut Problems,
) -> AppResult<()> {
    match target {
        Target::All => {}
        Target::Segment(id) => {
            let exists = crate::audience::service::segment_expression(conn, *id)
                .await?
                .is_some();
            p.check(exists, "target.segmentId", "セグメントが見つかりません");
        }
        Target::Expression(e) => {
            if let Err(AppError::BadInput(fields)) =
                crate::audience::service::check_expression(app, e, "target.expression").await
            {
                for f in fields {
                    p.add(f.field, f.message);
                }
            }
        }
        Target::Friends(ids) => {
            if ids.is_empty() || ids.len() > MAX_FRIEND_LIST {
                p.add(
                    "target.friendIds",
                    format!("友だちを1〜{MAX_FRIEND_LIST}人指定してください"),
                );
            } else {
                let found = crate::friends::lookup::count_known(conn, ids).await?;
                let mut unique = ids.clone();
                unique.sort_unstable();
                unique.dedup();
                p.check(
                    found as usize == unique.len(),
                    "target.friendIds",
                    "存在しない友だちが含まれています",
                );
            }
        }
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(v: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(AppError::internal)
}

pub async fn create(app: &App, caller: &Caller, d: Draft) -> AppResult<Delivery> {
    caller.require(Permission::DeliveryCreate)?;
    let mut conn = app.db.get().await?;
    check_draft(app, &mut conn, &d).await?;
    let (_, by, label) = caller.actor();
    // The author's team decides whether a second person must approve.
    let team: Option<(Uuid, bool)> = match by {
        Some(account) => {
            crate::staff::teams::delivery_approval_of_member(&mut conn, account).await?
        }
        None => None,
    };
    drop(conn);
    let (messages, target) = (to_json(&d.messages)?, to_json(&d.target)?);
    let title = d.title.trim().to_string();
    audit::audited(app, caller, "delivery.create", move |conn| {
        Box::pin(async move {
            let created: Delivery = diesel::insert_into(deliveries::table)
                .values((
                    deliveries::title.eq(&title),
                    deliveries::messages.eq(&messages),
                    deliveries::target.eq(&target),
                    deliveries::team_id.eq(team.map(|t| t.0)),
                    deliveries::requires_approval.eq(team.is_some_and(|t| t.1)),
                    deliveries::created_by.eq(by),
                    deliveries::created_by_label.eq(&label),
                    deliveries::aggregation_unit.eq(model::aggregation_unit(Uuid::new_v4())),
                ))
                .returning(Delivery::as_returning())
                .get_result(conn)
                .await?;
            Ok((
                created.clone(),
                AuditTarget::new("delivery", created.id),
                json!({ "title": title, "target": target }),
            ))
        })
    })
    .await
}

/// The delivery with its row locked until the transaction ends: the
/// scheduler cannot start it while it is being changed or cancelled.
async fn lock(conn: &mut AsyncPgConnection, id: i64) -> AppResult<Delivery> {
    deliveries::table
        .find(id)
        .select(Delivery::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::NotFound("delivery".into()))
}

async fn load(conn: &mut AsyncPgConnection, id: i64) -> AppResult<Delivery> {
    deliveries::table
        .find(id)
        .select(Delivery::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::NotFound("delivery".into()))
}

/// Who may change or delete a delivery someone else wrote: the author, a
/// member of the author's team, or an approver (who answers for content
/// anyway). Returns whether the caller is someone other than the author.
async fn may_change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    d: &Delivery,
) -> AppResult<bool> {
    let (_, me, _) = caller.actor();
    if me.is_some() && me == d.created_by {
        return Ok(false);
    }
    if caller.has(Permission::DeliveryApprove) {
        return Ok(true);
    }
    let my_team: Option<Uuid> = match (&caller.principal, d.team_id) {
        (Principal::Staff(s), Some(_)) => crate::staff::teams::team_of(conn, s.account_id).await?,
        _ => None,
    };
    if my_team.is_some() && my_team == d.team_id {
        return Ok(true);
    }
    Err(AppError::Forbidden(
        "この配信を変更できるのは、作成者、作成者と同じチームの職員、または承認権限（delivery.approve）を持つ職員です"
            .into(),
    ))
}

fn not_editable(d: &Delivery) -> AppError {
    AppError::Conflict(match d.status.as_str() {
        "sending" | "completed" => "配信が始まっているため変更できません".into(),
        _ => "取り消した配信は変更できません".into(),
    })
}

pub async fn update(app: &App, caller: &Caller, id: i64, d: Draft) -> AppResult<Delivery> {
    caller.require(Permission::DeliveryCreate)?;
    let mut conn = app.db.get().await?;
    check_draft(app, &mut conn, &d).await?;
    drop(conn);
    let (messages, target) = (to_json(&d.messages)?, to_json(&d.target)?);
    let title = d.title.trim().to_string();
    let caller_in_tx = caller.clone();
    audit::audited(app, caller, "delivery.update", move |conn| {
        let caller = caller_in_tx;
        Box::pin(async move {
            let current = lock(conn, id).await?;
            if !current.editable() {
                return Err(not_editable(&current));
            }
            let by_other = may_change(conn, &caller, &current).await?;
            // Changed content is a new delivery as far as approval and
            // timing go: it is a draft again, to be approved (where the team
            // requires it) and scheduled again.
            let updated: Delivery = diesel::update(deliveries::table.find(id))
                .set((
                    deliveries::title.eq(&title),
                    deliveries::messages.eq(&messages),
                    deliveries::target.eq(&target),
                    deliveries::status.eq("draft"),
                    deliveries::scheduled_at.eq(None::<DateTime<Utc>>),
                    deliveries::approved_by.eq(None::<Uuid>),
                    deliveries::approved_at.eq(None::<DateTime<Utc>>),
                    deliveries::approved_digest.eq(None::<Vec<u8>>),
                    deliveries::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Delivery::as_returning())
                .get_result(conn)
                .await?;
            Ok((
                updated,
                AuditTarget::new("delivery", id),
                json!({
                    "title": title, "target": target,
                    "wasScheduled": current.status == "scheduled",
                    "wasApproved": current.approved_by.is_some(),
                    "author": current.created_by_label,
                    "byOtherThanAuthor": by_other,
                }),
            ))
        })
    })
    .await
}

pub async fn duplicate(app: &App, caller: &Caller, id: i64) -> AppResult<Delivery> {
    caller.require(Permission::DeliveryCreate)?;
    let mut conn = app.db.get().await?;
    let source = load(&mut conn, id).await?;
    drop(conn);
    let title: String = format!("{}（コピー）", source.title)
        .chars()
        .take(100)
        .collect();
    create(
        app,
        caller,
        Draft {
            title,
            messages: source.message_list(),
            target: source.target_value().unwrap_or(Target::All),
        },
    )
    .await
}

pub async fn delete(app: &App, caller: &Caller, id: i64) -> AppResult<bool> {
    caller.require(Permission::DeliveryCreate)?;
    let caller_in_tx = caller.clone();
    audit::audited(app, caller, "delivery.delete", move |conn| {
        let caller = caller_in_tx;
        Box::pin(async move {
            let current = lock(conn, id).await?;
            may_change(conn, &caller, &current).await?;
            if !matches!(current.status.as_str(), "draft" | "cancelled") {
                return Err(AppError::Conflict(
                    "削除できるのは下書きと取り消した配信だけです".into(),
                ));
            }
            diesel::delete(deliveries::table.find(id))
                .execute(conn)
                .await?;
            Ok((
                true,
                AuditTarget::new("delivery", id),
                json!({ "title": current.title }),
            ))
        })
    })
    .await
}

pub async fn approve(app: &App, caller: &Caller, id: i64) -> AppResult<Delivery> {
    caller.require(Permission::DeliveryApprove)?;
    let (_, by, _) = caller.actor();
    audit::audited(app, caller, "delivery.approve", move |conn| {
        Box::pin(async move {
            // Locked: the content approved is the content recorded, even
            // with an edit arriving at the same moment.
            let current = lock(conn, id).await?;
            if !current.editable() {
                return Err(not_editable(&current));
            }
            if by.is_some() && current.created_by == by {
                return Err(AppError::Forbidden(
                    "作成した本人は承認できません。別の職員が承認してください".into(),
                ));
            }
            let digest = current.content_digest();
            let updated: Delivery = diesel::update(deliveries::table.find(id))
                .set((
                    deliveries::approved_by.eq(by),
                    deliveries::approved_at.eq(Some(Utc::now())),
                    deliveries::approved_digest.eq(Some(&digest)),
                    deliveries::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Delivery::as_returning())
                .get_result(conn)
                .await?;
            Ok((
                updated,
                AuditTarget::new("delivery", id),
                json!({ "title": current.title, "contentDigest": data_encoding::HEXLOWER.encode(&digest) }),
            ))
        })
    })
    .await
}

/// Sends now (`at` empty or past) or at a JST time. Needs `delivery.send`
/// and, for teams that require it, an approval.
pub async fn schedule(
    app: &App,
    caller: &Caller,
    id: i64,
    at: Option<DateTime<Utc>>,
) -> AppResult<Delivery> {
    caller.require(Permission::DeliverySend)?;
    let now = Utc::now();
    if let Some(t) = at
        && t > now + Duration::days(366)
    {
        return Err(AppError::bad_input("at", "配信日時は1年以内にしてください"));
    }
    let immediate = at.is_none_or(|t| t <= now);
    let at = at.unwrap_or(now).max(now);
    let scheduled: Delivery = audit::audited(app, caller, "delivery.schedule", move |conn| {
        Box::pin(async move {
            let current = lock(conn, id).await?;
            if !current.editable() {
                return Err(not_editable(&current));
            }
            if !current.approval_is_current() {
                return Err(AppError::Conflict(
                    "この配信は承認が必要です（delivery.approve を持つ別の職員が承認してください）"
                        .into(),
                ));
            }
            let updated: Delivery = diesel::update(deliveries::table.find(id))
                .set((
                    deliveries::status.eq("scheduled"),
                    deliveries::scheduled_at.eq(Some(at)),
                    deliveries::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Delivery::as_returning())
                .get_result(conn)
                .await?;
            Ok((
                updated,
                AuditTarget::new("delivery", id),
                json!({ "scheduledAt": at, "immediate": immediate }),
            ))
        })
    })
    .await?;
    if immediate {
        // Sending now need not wait for the scheduler's next tick.
        super::dispatch::start(app, id)
            .await
            .map_err(AppError::internal)?;
    }
    // As written by this call; a delivery that started since is read afresh by the caller.
    Ok(scheduled)
}

pub async fn cancel(app: &App, caller: &Caller, id: i64) -> AppResult<Delivery> {
    caller.require_any(&[Permission::DeliverySend, Permission::DeliveryCreate])?;
    let caller_in_tx = caller.clone();
    audit::audited(app, caller, "delivery.cancel", move |conn| {
        let caller = caller_in_tx;
        Box::pin(async move {
            let current = lock(conn, id).await?;
            // Senders stop any delivery; an author only their own (or their team's).
            if !caller.has(Permission::DeliverySend) {
                may_change(conn, &caller, &current).await?;
            }
            if !current.editable() {
                return Err(AppError::Conflict(
                    "配信が始まっているか、既に取り消されています".into(),
                ));
            }
            let updated: Delivery = diesel::update(deliveries::table.find(id))
                .set((
                    deliveries::status.eq("cancelled"),
                    deliveries::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Delivery::as_returning())
                .get_result(conn)
                .await?;
            Ok((updated, AuditTarget::new("delivery", id), json!({})))
        })
    })
    .await
}

pub async fn get(app: &App, caller: &Caller, id: i64) -> AppResult<(Delivery, Option<Run>)> {
    caller.require_any(READERS)?;
    let mut conn = app.db.get().await?;
    let d = load(&mut conn, id).await?;
    let run = delivery_runs::table
        .find(id)
        .select(Run::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    Ok((d, live(&mut conn, run).await?))
}

/// A run still going out gets its figures from the batch rows (the run row
/// holds them only once it is finished).
async fn live(conn: &mut AsyncPgConnection, run: Option<Run>) -> AppResult<Option<Run>> {
    match run {
        Some(mut r) if r.finished_at.is_none() => {
            let (done, accepted, failed) = super::dispatch::tally(conn, r.delivery_id).await?;
            r.batches_done = done;
            r.accepted = accepted;
            r.failed = failed;
            Ok(Some(r))
        }
        other => Ok(other),
    }
}

/// `ListFilter` on a boxed query over deliveries (alone or joined): the list,
/// the totals and the CSV select the same rows.
macro_rules! apply_filter {
    ($query:expr, $filter:expr) => {{
        let f: &$crate::delivery::service::ListFilter = $filter;
        let mut q = $query;
        if let Some(s) = &f.status {
            q = q.filter(deliveries::status.eq(s.clone()));
        }
        if let Some(t) = &f.title {
            q = q.filter(deliveries::title.ilike(format!("%{}%", t.replace(['%', '_'], ""))));
        }
        if let Some(a) = f.from {
            q = q.filter(deliveries::created_at.ge(a));
        }
        if let Some(b) = f.to {
            q = q.filter(deliveries::created_at.lt(b));
        }
        q
    }};
}
pub(crate) use apply_filter;

#[derive(Default, Clone)]
pub struct ListFilter {
    pub status: Option<String>,
    pub title: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

pub fn check_filter(f: &ListFilter) -> AppResult<()> {
    let mut p = Problems::new();
    if let Some(s) = &f.status {
        p.check(
            ["draft", "scheduled", "sending", "completed", "cancelled"].contains(&s.as_str()),
            "filter.status",
            "状態の指定が正しくありません",
        );
    }
    if let (Some(a), Some(b)) = (f.from, f.to) {
        p.check(
            a <= b,
            "filter.to",
            "期間の終わりは始まり以降にしてください",
        );
    }
    p.into_result()
}

/// Deliveries newest first, each with its run; `from`/`to` bound the creation time.
pub async fn list(
    app: &App,
    caller: &Caller,
    f: ListFilter,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<(Delivery, Option<Run>)>, i64)> {
    caller.require_any(READERS)?;
    check_filter(&f)?;
    if !(0..=500).contains(&limit) || offset < 0 {
        return Err(AppError::BadInput(vec![FieldError::new(
            "limit",
            "件数は0〜500で指定してください",
        )]));
    }
    let mut conn = app.db.get().await?;
    let query = || {
        apply_filter!(
            deliveries::table
                .left_join(delivery_runs::table)
                .into_boxed(),
            &f
        )
    };
    let total: i64 = query().count().get_result(&mut conn).await?;
    let rows: Vec<(Delivery, Option<Run>)> = query()
        .order(deliveries::id.desc())
        .offset(offset)
        .limit(limit)
        .select((Delivery::as_select(), Option::<Run>::as_select()))
        .load(&mut conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (d, r) in rows {
        out.push((d, live(&mut conn, r).await?));
    }
    Ok((out, total))
}

/// A delivery another capability sends on its own authority (the card's
/// push to chosen holders; next, mail-triggered alerts and survey
/// invitations): checked as any draft is, stored already due, started at
/// once. The calling capability has checked its own permission; its audit
/// row (`audit_action`, `audit_summary`) is written in the same transaction
/// as the delivery, naming it.
pub struct OnBehalf {
    pub title: String,
    pub messages: Vec<Message>,
    pub target: Target,
    pub audit_action: &'static str,
    pub audit_summary: serde_json::Value,
    /// Kept as a draft that needs a second person's approval (a mail rule
    /// in "draft for approval" mode) instead of started at once.
    pub awaiting_approval: bool,
}

/// Creates and starts the delivery (or, `awaiting_approval`, keeps it as a
/// draft an approver must pass); returns its id. A started one needs no
/// approval: the capability asking is the one answering for its content.
pub async fn send_on_behalf(app: &App, caller: &Caller, d: OnBehalf) -> AppResult<i64> {
    let mut conn = app.db.get().await?;
    check_draft(
        app,
        &mut conn,
        &Draft {
            title: d.title.clone(),
            messages: d.messages.clone(),
            target: d.target.clone(),
        },
    )
    .await?;
    drop(conn);
    let (_, by, label) = caller.actor();
    let (messages, target) = (to_json(&d.messages)?, to_json(&d.target)?);
    let title = d.title.trim().to_string();
    let (action, summary) = (d.audit_action, d.audit_summary);
    let draft = d.awaiting_approval;
    let id = audit::audited(app, caller, action, move |conn| {
        Box::pin(async move {
            let id: i64 = diesel::insert_into(deliveries::table)
                .values((
                    deliveries::title.eq(&title),
                    deliveries::messages.eq(&messages),
                    deliveries::target.eq(&target),
                    deliveries::status.eq(if draft { "draft" } else { "scheduled" }),
                    deliveries::scheduled_at.eq((!draft).then(Utc::now)),
                    deliveries::requires_approval.eq(draft),
                    deliveries::created_by.eq(by),
                    deliveries::created_by_label.eq(&label),
                    deliveries::aggregation_unit.eq(model::aggregation_unit(Uuid::new_v4())),
                ))
                .returning(deliveries::id)
                .get_result(conn)
                .await?;
            Ok((id, AuditTarget::new("delivery", id), summary))
        })
    })
    .await?;
    if !draft {
        super::dispatch::start(app, id)
            .await
            .map_err(AppError::internal)?;
    }
    Ok(id)
}

/// Whom a delivery reaches, in words (shown before it is sent).
pub async fn describe_target(app: &App, d: &Delivery) -> AppResult<String> {
    let mut conn = app.db.get().await?;
    Ok(match d.target_value() {
        None => "（対象を読み取れません）".into(),
        Some(Target::All) => "すべての友だち".into(),
        Some(Target::Segment(id)) => {
            match crate::audience::service::describe_segment(&mut conn, id).await? {
                Some((name, words)) => format!("セグメント「{name}」（{words}）"),
                None => "（削除されたセグメント）".into(),
            }
        }
        Some(Target::Expression(e)) => {
            crate::audience::service::describe_expression(&mut conn, &e).await?
        }
        Some(Target::Friends(ids)) => format!("選んだ友だち {}人", ids.len()),
    })
}

/// Following friends the delivery reaches now.
pub async fn expected_recipients(app: &App, d: &Delivery) -> AppResult<u64> {
    crate::audience::index(app)
        .ensure_loaded(&app.db)
        .await
        .map_err(AppError::internal)?;
    let mut conn = app.db.get().await?;
    let target = d.target_value().unwrap_or(Target::Friends(vec![]));
    Ok(super::dispatch::resolve(app, &mut conn, &target)
        .await?
        .len())
}
