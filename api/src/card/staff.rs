//! Staff access to holders' personal data (seed 2.6(2)ア): search and view
//! (`card.pii.read`), push to chosen holders (`card.push`). The permissions
//! need a second factor; every access writes an audit row before any data
//! leaves; without the permission nothing is visible, not even a count.

use async_graphql::SimpleObject;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use super::eligibility;
use super::holders::{self, Holder, SELECT_SEALED, SealedRow};
use super::resident::CardChildView;
use super::settings;
use crate::app::App;
use crate::audit::{Outcome, Target, record_now};
use crate::auth::{Caller, Permission};
use crate::crypto::blind;
use crate::db::schema::card_holders;
use crate::delivery::model::{self as delivery_model, Message};
use crate::error::{AppError, AppResult, Problems};

#[derive(SimpleObject, Clone, Debug)]
pub struct CardHolder {
    /// The holder's id (stable while the registration exists).
    pub id: Uuid,
    pub line_user_id: String,
    pub holder_name: String,
    pub relation: String,
    pub children: Vec<CardChildView>,
    pub expected_date: Option<NaiveDate>,
    pub grandparent: bool,
    pub eligible: bool,
    pub eligible_until: Option<NaiveDate>,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct CardHolderPage {
    pub items: Vec<CardHolder>,
    pub total: i64,
}

pub fn record(h: Holder, grace: i32, today: NaiveDate) -> CardHolder {
    let until = holders::until(&h.registration, grace);
    let r = h.registration;
    CardHolder {
        id: h.id,
        line_user_id: h.line_user_id,
        holder_name: r.holder_name,
        relation: r.relation,
        children: holders::child_views(r.children, today),
        expected_date: r.household.expected_date,
        grandparent: r.household.grandparent,
        eligible: eligibility::eligible_on(until, today),
        eligible_until: until,
        registered_at: h.created_at,
        updated_at: h.updated_at,
    }
}

pub const PAGE_MAX: i64 = 100;

/// Holders whose (or whose child's) name or name part equals `name`; all holders when `None`.
pub async fn search(
    app: &App,
    caller: &Caller,
    name: Option<String>,
    limit: i64,
    offset: i64,
) -> AppResult<CardHolderPage> {
    caller.require(Permission::CardPiiRead)?;
    let mut p = Problems::new();
    p.check(
        (1..=PAGE_MAX).contains(&limit),
        "first",
        "件数は1〜100で指定してください",
    );
    p.check(offset >= 0, "offset", "開始位置は0以上で指定してください");
    let name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if let Some(n) = &name {
        p.check(
            n.chars().count() <= 50,
            "name",
            "氏名は50文字以内で入力してください",
        );
    }
    p.into_result()?;
    let mut conn = app.db.get().await?;
    let (rows, total): (Vec<SealedRow>, i64) = match &name {
        Some(n) => {
            let key = app.keyring.load_or_create(&mut conn, blind::OWNER).await?;
            let token = blind::token(&key, n);
            let rows = diesel::sql_query(format!(
                "{SELECT_SEALED} JOIN card_name_index n ON n.line_user_id = h.line_user_id \
                 WHERE n.token = $1 ORDER BY h.created_at DESC, h.line_user_id LIMIT $2 OFFSET $3"
            ))
            .bind::<Bytea, _>(&token)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset)
            .load(&mut conn)
            .await?;
            let total: i64 = crate::db::schema::card_name_index::table
                .filter(crate::db::schema::card_name_index::token.eq(&token))
                .count()
                .get_result(&mut conn)
                .await?;
            (rows, total)
        }
        None => {
            let rows = diesel::sql_query(format!(
                "{SELECT_SEALED} ORDER BY h.created_at DESC, h.line_user_id LIMIT $1 OFFSET $2"
            ))
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset)
            .load(&mut conn)
            .await?;
            let total: i64 = card_holders::table.count().get_result(&mut conn).await?;
            (rows, total)
        }
    };
    let grace = settings::grace_days(settings::cache(app).get(app).await?.as_ref());
    drop(conn);
    let ids: Vec<String> = rows.iter().map(|r| r.data_key_id.to_string()).collect();
    // The audit row comes first: no personal data leaves without one.
    record_now(
        &app.db,
        caller,
        "card.pii.search",
        None,
        json!({ "byName": name.is_some(), "holders": ids, "total": total }),
        Outcome::Success,
    )
    .await?;
    let today = eligibility::today_jst();
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(record(holders::open_row(app, &row).await?, grace, today));
    }
    Ok(CardHolderPage { items, total })
}

pub async fn holder(app: &App, caller: &Caller, id: Uuid) -> AppResult<CardHolder> {
    caller.require(Permission::CardPiiRead)?;
    let mut conn = app.db.get().await?;
    let row: Option<SealedRow> =
        diesel::sql_query(format!("{SELECT_SEALED} WHERE h.data_key_id = $1"))
            .bind::<SqlUuid, _>(id)
            .get_result(&mut conn)
            .await
            .optional()?;
    let row = row.ok_or_else(settings::not_found)?;
    let grace = settings::grace_days(settings::cache(app).get(app).await?.as_ref());
    drop(conn);
    record_now(
        &app.db,
        caller,
        "card.pii.view",
        Some(Target::new("card_holder", id)),
        json!({}),
        Outcome::Success,
    )
    .await?;
    Ok(record(
        holders::open_row(app, &row).await?,
        grace,
        eligibility::today_jst(),
    ))
}

/// Sends a text to chosen holders through the delivery pipeline (same
/// batching, retry keys and statistics as any delivery); returns its id.
pub async fn push(
    app: &App,
    caller: &Caller,
    holder_ids: Vec<Uuid>,
    title: String,
    text: String,
) -> AppResult<i64> {
    caller.require(Permission::CardPush)?;
    let mut p = Problems::new();
    let title = title.trim().to_string();
    p.check(
        !title.is_empty() && title.chars().count() <= 100,
        "title",
        "タイトルは1〜100文字で入力してください",
    );
    p.check(
        !holder_ids.is_empty() && holder_ids.len() <= 10_000,
        "holderIds",
        "送信先のカード利用者を1〜10,000人選んでください",
    );
    let messages = vec![Message::Text { text }];
    let url = crate::delivery::service::media_url(app);
    for e in delivery_model::validate_messages(&messages, &url) {
        // The one text message is the `text` argument.
        let field = e.field.replace("messages[0].text", "text");
        p.add(
            if field.starts_with("messages") {
                "text".into()
            } else {
                field
            },
            e.message,
        );
    }
    p.into_result()?;
    let mut conn = app.db.get().await?;
    let line_user_ids: Vec<String> = card_holders::table
        .filter(card_holders::data_key_id.eq_any(&holder_ids))
        .select(card_holders::line_user_id)
        .load(&mut conn)
        .await?;
    let friend_ids = crate::friends::lookup::following_ids_of(&mut conn, &line_user_ids).await?;
    drop(conn);
    if friend_ids.is_empty() {
        return Err(AppError::bad_input(
            "holderIds",
            "送信できる友だちがいません（ブロック中または削除済み）",
        ));
    }
    let summary = json!({ "holders": holder_ids.len(), "friends": friend_ids.len() });
    crate::delivery::service::send_on_behalf(
        app,
        caller,
        crate::delivery::service::OnBehalf {
            title,
            messages,
            target: delivery_model::Target::Friends(friend_ids),
            audit_action: "card.push",
            audit_summary: summary,
            awaiting_approval: false,
        },
    )
    .await
}
