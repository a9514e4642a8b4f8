//! What staff set: the Maitama pass (`pass.manage`) and the card's image,
//! notice, common barcode and rules (`card.settings`). Both are versioned;
//! the newest version is what residents see, from the next view on.

use async_graphql::{InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use crate::app::App;
use crate::audit::{self, Target};
use crate::auth::{Caller, Permission};
use crate::db::schema::{card_settings_versions, pass_versions};
use crate::error::{AppError, AppResult, Problems};

pub const DEFAULT_GRACE_DAYS: i32 = 365;
const MAX_PASS_IMAGES: usize = 5;

#[derive(Clone, Debug, Queryable, Selectable, SimpleObject)]
#[diesel(table_name = pass_versions)]
#[graphql(name = "MaitamaPassVersion")]
pub struct PassVersion {
    pub id: i64,
    pub image_ids: Vec<Uuid>,
    pub body: String,
    pub link_url: Option<String>,
    pub created_by_label: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Queryable, Selectable, SimpleObject)]
#[diesel(table_name = card_settings_versions)]
pub struct CardSettings {
    pub id: i64,
    pub card_image_id: Option<Uuid>,
    pub notice: String,
    pub barcode_value: Option<String>,
    pub barcode_image_id: Option<Uuid>,
    pub pregnancy_grace_days: i32,
    pub lapse_notice: String,
    pub created_by_label: String,
    pub created_at: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct PassInput {
    /// Uploaded images (`POST /media`), shown in this order; 1–5.
    pub image_ids: Vec<Uuid>,
    #[graphql(default)]
    pub body: String,
    pub link_url: Option<String>,
}

#[derive(InputObject)]
pub struct CardSettingsInput {
    pub card_image_id: Option<Uuid>,
    #[graphql(default)]
    pub notice: String,
    /// The barcode number common to every holder (CODE128), or …
    pub barcode_value: Option<String>,
    /// … an image of it.
    pub barcode_image_id: Option<Uuid>,
    pub pregnancy_grace_days: i32,
    /// Sent to friends whose card lapses (empty: no notice).
    #[graphql(default)]
    pub lapse_notice: String,
}

/// Each id must name an uploaded image; `list` fields get indexed paths.
async fn check_images(
    conn: &mut AsyncPgConnection,
    p: &mut Problems,
    field: &str,
    ids: &[Uuid],
    list: bool,
) -> AppResult<()> {
    for (i, id) in ids.iter().enumerate() {
        if !crate::media::exists(conn, *id, "image").await? {
            p.add(
                if list {
                    format!("{field}[{i}]")
                } else {
                    field.to_string()
                },
                "アップロード済みの画像を選んでください",
            );
        }
    }
    Ok(())
}

pub async fn current_pass(conn: &mut AsyncPgConnection) -> AppResult<Option<PassVersion>> {
    Ok(pass_versions::table
        .order(pass_versions::id.desc())
        .select(PassVersion::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn pass_history(app: &App, caller: &Caller) -> AppResult<Vec<PassVersion>> {
    caller.require(Permission::PassManage)?;
    let mut conn = app.db.get().await?;
    Ok(pass_versions::table
        .order(pass_versions::id.desc())
        .limit(50)
        .select(PassVersion::as_select())
        .load(&mut conn)
        .await?)
}

pub async fn publish_pass(app: &App, caller: &Caller, input: PassInput) -> AppResult<PassVersion> {
    caller.require(Permission::PassManage)?;
    let mut p = Problems::new();
    if input.image_ids.is_empty() || input.image_ids.len() > MAX_PASS_IMAGES {
        p.add("imageIds", "パスの画像を1〜5枚選んでください");
    }
    p.check(
        input.body.chars().count() <= 2000,
        "body",
        "本文は2,000文字以内で入力してください",
    );
    let link = input
        .link_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if let Some(l) = &link {
        p.check(
            l.starts_with("https://") && l.len() <= 1000,
            "linkUrl",
            "リンクは https:// で始まるURLを入力してください",
        );
    }
    {
        let mut conn = app.db.get().await?;
        check_images(&mut conn, &mut p, "imageIds", &input.image_ids, true).await?;
    }
    p.into_result()?;
    let label = caller.actor().2;
    audit::audited(app, caller, "pass.publish", move |conn| {
        Box::pin(async move {
            let v: PassVersion = diesel::insert_into(pass_versions::table)
                .values((
                    pass_versions::image_ids.eq(&input.image_ids),
                    pass_versions::body.eq(input.body.trim()),
                    pass_versions::link_url.eq(&link),
                    pass_versions::created_by_label.eq(&label),
                ))
                .returning(PassVersion::as_returning())
                .get_result(conn)
                .await?;
            Ok((
                v.clone(),
                Target::new("pass_version", v.id),
                json!({ "images": v.image_ids.len() }),
            ))
        })
    })
    .await
}

/// The card settings in force, read at most once a second per process: a
/// card view then needs only its own holder row (a change by staff shows on
/// every replica within a second).
#[derive(Default)]
pub struct SettingsCache(std::sync::Mutex<Option<(std::time::Instant, Option<CardSettings>)>>);

const SETTINGS_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// This process's settings cache.
pub fn cache(app: &App) -> std::sync::Arc<SettingsCache> {
    app.state(|_| SettingsCache::default())
}

impl SettingsCache {
    pub async fn get(&self, app: &App) -> AppResult<Option<CardSettings>> {
        if let Some((at, s)) = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            && at.elapsed() < SETTINGS_TTL
        {
            return Ok(s.clone());
        }
        let mut conn = app.db.get().await?;
        let s = current_card_settings(&mut conn).await?;
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((std::time::Instant::now(), s.clone()));
        Ok(s)
    }

    /// After a change in this process, the next view reads afresh.
    pub fn forget(&self) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

pub async fn current_card_settings(
    conn: &mut AsyncPgConnection,
) -> AppResult<Option<CardSettings>> {
    Ok(card_settings_versions::table
        .order(card_settings_versions::id.desc())
        .select(CardSettings::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn card_settings(app: &App, caller: &Caller) -> AppResult<Option<CardSettings>> {
    caller.require(Permission::CardSettings)?;
    let mut conn = app.db.get().await?;
    current_card_settings(&mut conn).await
}

pub async fn update_card_settings(
    app: &App,
    caller: &Caller,
    input: CardSettingsInput,
) -> AppResult<CardSettings> {
    caller.require(Permission::CardSettings)?;
    let mut p = Problems::new();
    let barcode = input
        .barcode_value
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if let Some(b) = &barcode {
        // CODE128 set B: printable ASCII.
        p.check(
            b.len() <= 40 && b.chars().all(|c| (' '..='~').contains(&c)),
            "barcodeValue",
            "バーコードの番号は半角英数字40文字以内で入力してください",
        );
    }
    p.check(
        (0..=1000).contains(&input.pregnancy_grace_days),
        "pregnancyGraceDays",
        "出産予定日後の対象期間は0〜1000日で入力してください",
    );
    p.check(
        input.notice.chars().count() <= 2000,
        "notice",
        "注意書きは2,000文字以内で入力してください",
    );
    p.check(
        input.lapse_notice.chars().count() <= 1000,
        "lapseNotice",
        "お知らせは1,000文字以内で入力してください",
    );
    {
        let mut conn = app.db.get().await?;
        if let Some(id) = input.card_image_id {
            check_images(&mut conn, &mut p, "cardImageId", &[id], false).await?;
        }
        if let Some(id) = input.barcode_image_id {
            check_images(&mut conn, &mut p, "barcodeImageId", &[id], false).await?;
        }
    }
    p.into_result()?;
    let label = caller.actor().2;
    let saved = audit::audited(app, caller, "card.settings.update", move |conn| {
        Box::pin(async move {
            let v: CardSettings = diesel::insert_into(card_settings_versions::table)
                .values((
                    card_settings_versions::card_image_id.eq(input.card_image_id),
                    card_settings_versions::notice.eq(input.notice.trim()),
                    card_settings_versions::barcode_value.eq(&barcode),
                    card_settings_versions::barcode_image_id.eq(input.barcode_image_id),
                    card_settings_versions::pregnancy_grace_days.eq(input.pregnancy_grace_days),
                    card_settings_versions::lapse_notice.eq(input.lapse_notice.trim()),
                    card_settings_versions::created_by_label.eq(&label),
                ))
                .returning(CardSettings::as_returning())
                .get_result(conn)
                .await?;
            Ok((
                v.clone(),
                Target::new("card_settings", v.id),
                json!({ "pregnancyGraceDays": v.pregnancy_grace_days, "barcode": v.barcode_value.is_some() }),
            ))
        })
    })
    .await?;
    cache(app).forget();
    Ok(saved)
}

/// Grace days in force (the default before staff set anything).
pub fn grace_days(s: Option<&CardSettings>) -> i32 {
    s.map_or(DEFAULT_GRACE_DAYS, |s| s.pregnancy_grace_days)
}

pub fn not_found() -> AppError {
    AppError::NotFound("card holder".into())
}
