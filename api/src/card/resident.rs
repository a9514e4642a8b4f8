//! The resident's own card, through `/liff/graphql` only: whoever the
//! verified ID token names. Nothing here takes another resident's id.
//!
//! A card view is one PostgreSQL query (newest settings + the holder row with
//! its wrapped key) and, with the data key cached, no other I/O: it keeps
//! working with Redis down and no workers running.

use async_graphql::SimpleObject;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Bytea, Date, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{QueryableByName, prelude::*};
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::eligibility;
use super::holders::{self, SealedRow};
use super::model::CardInput;
use super::settings::{self, DEFAULT_GRACE_DAYS};
use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::Caller;
use crate::db::schema::card_holders;
use crate::error::{AppError, AppResult};

#[derive(SimpleObject, Clone, Debug)]
pub struct CardChildView {
    pub name: String,
    pub birth_date: NaiveDate,
    /// The 31 March after the child reaches 18.
    pub eligible_until: NaiveDate,
    pub eligible: bool,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct PapaMamaCard {
    pub registered: bool,
    /// Whether anything keeps the household eligible today (JST).
    pub eligible: bool,
    /// Why the card image is not shown, in Japanese, when it is not.
    pub hidden_reason: Option<String>,
    /// Card image and barcode: only while eligible.
    pub image_url: Option<String>,
    pub barcode_value: Option<String>,
    pub barcode_image_url: Option<String>,
    pub notice: String,
    pub eligible_until: Option<NaiveDate>,
    pub holder_name: Option<String>,
    pub relation: Option<String>,
    pub children: Vec<CardChildView>,
    pub expected_date: Option<NaiveDate>,
    pub grandparent: bool,
    /// The server's clock, so the page can show live time that a screenshot cannot.
    pub server_time: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct ViewRow {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    card_image_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    notice: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    barcode_value: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    barcode_image_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Int4>)]
    pregnancy_grace_days: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    line_user_id: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    data_key_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Bytea>)]
    holder_name: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    relation: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    children: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    household: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Date>)]
    eligible_until: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    created_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    updated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    wrapped: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Text>)]
    kek_id: Option<String>,
}

const VIEW_SQL: &str = "SELECT s.card_image_id, s.notice, s.barcode_value, s.barcode_image_id, s.pregnancy_grace_days, \
       h.line_user_id, h.data_key_id, h.holder_name, h.relation, h.children, h.household, h.eligible_until, \
       h.created_at, h.updated_at, k.wrapped, k.kek_id \
  FROM (SELECT 1) AS one \
  LEFT JOIN LATERAL (SELECT * FROM card_settings_versions ORDER BY id DESC LIMIT 1) s ON true \
  LEFT JOIN (card_holders h JOIN keyring.data_keys k ON k.id = h.data_key_id) ON h.line_user_id = $1";

impl ViewRow {
    fn sealed(&mut self) -> Option<SealedRow> {
        Some(SealedRow {
            line_user_id: self.line_user_id.take()?,
            data_key_id: self.data_key_id?,
            holder_name: self.holder_name.take()?,
            relation: self.relation.take()?,
            children: self.children.take()?,
            household: self.household.take()?,
            eligible_until: self.eligible_until,
            created_at: self.created_at?,
            updated_at: self.updated_at?,
            wrapped: self.wrapped.take(),
            kek_id: self.kek_id.take()?,
        })
    }
}

fn media_path(id: Uuid) -> String {
    // Same origin as the LIFF page: the API process serves its media.
    format!("/media/{id}")
}

const REASON_UNREGISTERED: &str = "カードを表示するには、利用者情報を登録してください。";
const REASON_LAPSED: &str = "登録されたお子さまが対象年齢（18歳に達した後の最初の3月31日まで）を過ぎ、妊娠中の登録もないため、カードを表示できません。登録内容に誤りがある場合は修正してください。";

/// The resident's card as of now.
pub async fn view(app: &App, caller: &Caller) -> AppResult<PapaMamaCard> {
    let user = caller.resident()?.line_user_id.clone();
    let result = view_of(app, &user).await;
    let outcome = match &result {
        Ok(c) if !c.registered => "unregistered",
        Ok(c) if c.eligible => "shown",
        Ok(_) => "hidden",
        Err(_) => "error",
    };
    metrics::counter!("tenohira_card_views_total", "result" => outcome).increment(1);
    result
}

async fn view_of(app: &App, user: &str) -> AppResult<PapaMamaCard> {
    let mut conn = app.db.get().await?;
    let mut row: ViewRow = diesel::sql_query(VIEW_SQL)
        .bind::<Text, _>(user)
        .get_result(&mut conn)
        .await?;
    drop(conn);
    let grace = row.pregnancy_grace_days.unwrap_or(DEFAULT_GRACE_DAYS);
    let today = eligibility::today_jst();
    let mut card = PapaMamaCard {
        registered: false,
        eligible: false,
        hidden_reason: Some(REASON_UNREGISTERED.into()),
        image_url: None,
        barcode_value: None,
        barcode_image_url: None,
        notice: row.notice.take().unwrap_or_default(),
        eligible_until: None,
        holder_name: None,
        relation: None,
        children: vec![],
        expected_date: None,
        grandparent: false,
        server_time: Utc::now(),
    };
    let Some(sealed) = row.sealed() else {
        return Ok(card);
    };
    let holder = holders::open_row(app, sealed).await?;
    let r = holder.registration;
    // Re-evaluated on every view, with today's date and today's rules.
    let until = holders::until(&r, grace);
    card.registered = true;
    card.eligible = eligibility::eligible_on(until, today);
    card.eligible_until = until;
    card.children = r
        .children
        .into_iter()
        .map(|c| {
            let u = eligibility::child_until(c.birth_date);
            CardChildView {
                name: c.name,
                birth_date: c.birth_date,
                eligible_until: u,
                eligible: today <= u,
            }
        })
        .collect();
    card.holder_name = Some(r.holder_name);
    card.relation = Some(r.relation);
    card.expected_date = r.household.expected_date;
    card.grandparent = r.household.grandparent;
    if card.eligible {
        card.hidden_reason = None;
        card.image_url = row.card_image_id.map(media_path);
        card.barcode_value = row.barcode_value.take();
        card.barcode_image_url = row.barcode_image_id.map(media_path);
    } else {
        card.hidden_reason = Some(REASON_LAPSED.into());
    }
    Ok(card)
}

/// Registers or replaces the resident's card data.
pub async fn save(app: &App, caller: &Caller, input: CardInput) -> AppResult<PapaMamaCard> {
    let user = caller.resident()?.line_user_id.clone();
    let registration = input
        .validate(eligibility::today_jst())
        .map_err(|e| e.under("input"))?;
    let mut conn = app.db.get().await?;
    let grace = settings::grace_days(settings::current_card_settings(&mut conn).await?.as_ref());
    let app2 = app.clone();
    let caller2 = caller.clone();
    conn.transaction::<_, AppError, _>(async move |conn| {
        let existing: Option<Uuid> = card_holders::table
            .find(&user)
            .select(card_holders::data_key_id)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let (key_id, key) = match existing {
            Some(id) => (id, app2.keyring.fetch(conn, id).await?),
            None => app2.keyring.create(conn, &holders::owner(&user)).await?,
        };
        holders::write(&app2, conn, &user, key_id, &key, &registration, grace).await?;
        audit::record(
            conn,
            &caller2,
            if existing.is_some() { "card.update" } else { "card.register" },
            Some(Target::new("card_holder", key_id)),
            json!({ "children": registration.children.len(), "pregnancy": registration.household.expected_date.is_some() }),
            Outcome::Success,
        )
        .await?;
        Ok(())
    })
    .await?;
    view(app, caller).await
}

#[derive(SimpleObject)]
pub struct ErasureReceipt {
    pub certificate_id: Uuid,
    pub erased_at: DateTime<Utc>,
}

/// Deletes everything the resident registered (crypto-shredding).
pub async fn delete(app: &App, caller: &Caller) -> AppResult<ErasureReceipt> {
    let user = caller.resident()?.line_user_id.clone();
    let cert = super::erasure::erase_resident(app, caller, &user, "本人（LINEからの削除）").await?;
    Ok(ErasureReceipt {
        certificate_id: cert.id,
        erased_at: cert.erased_at,
    })
}
