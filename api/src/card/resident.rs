//! The resident's own card, through `/liff/graphql` only: whoever the
//! verified ID token names. Nothing here takes another resident's id.
//!
//! A card view is one PostgreSQL query (newest settings + the holder row with
//! its wrapped key) and, with the data key cached, no other I/O: it keeps
//! working with Redis down and no workers running.

use async_graphql::SimpleObject;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::cache::Lookup;
use super::eligibility;
use super::holders;
use super::model::CardInput;
use super::settings;
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
    let settings = settings::cache(app).get(app).await?;
    let sealed = match super::cache::of(app).get(user) {
        // Shared with the cache, never copied: the row is only read.
        Lookup::Hit(row) => row,
        Lookup::Miss(generation) => {
            let mut conn = app.db.get().await?;
            let row = holders::sealed_of(&mut conn, user)
                .await?
                .map(std::sync::Arc::new);
            drop(conn);
            super::cache::of(app).put(user, row.clone(), generation);
            row
        }
    };
    let grace = settings::grace_days(settings.as_ref());
    let today = eligibility::today_jst();
    let mut card = PapaMamaCard {
        registered: false,
        eligible: false,
        hidden_reason: Some(REASON_UNREGISTERED.into()),
        image_url: None,
        barcode_value: None,
        barcode_image_url: None,
        notice: settings
            .as_ref()
            .map(|s| s.notice.clone())
            .unwrap_or_default(),
        eligible_until: None,
        holder_name: None,
        relation: None,
        children: vec![],
        expected_date: None,
        grandparent: false,
        server_time: Utc::now(),
    };
    let Some(sealed) = sealed else {
        return Ok(card);
    };
    let holder = holders::open_row(app, &sealed).await?;
    let r = holder.registration;
    // Re-evaluated on every view, with today's date and today's rules.
    let until = holders::until(&r, grace);
    card.registered = true;
    card.eligible = eligibility::eligible_on(until, today);
    card.eligible_until = until;
    card.children = holders::child_views(r.children, today);
    card.holder_name = Some(r.holder_name);
    card.relation = Some(r.relation);
    card.expected_date = r.household.expected_date;
    card.grandparent = r.household.grandparent;
    if card.eligible {
        card.hidden_reason = None;
        if let Some(s) = settings {
            card.image_url = s.card_image_id.map(media_path);
            card.barcode_value = s.barcode_value;
            card.barcode_image_url = s.barcode_image_id.map(media_path);
        }
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
    let user_key = user.clone();
    let mut conn = app.db.get().await?;
    let grace = settings::grace_days(settings::cache(app).get(app).await?.as_ref());
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
        super::cache::notify(conn, &user).await?;
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
    // This process forgets at once; the others on the notification.
    super::cache::of(app).evict(&user_key);
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
