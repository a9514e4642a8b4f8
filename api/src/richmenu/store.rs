//! Rich menus and their versions in PostgreSQL. A version that has been live
//! is never edited: saving after a publish makes a new draft.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use super::model::Definition;
use crate::app::App;
use crate::audit::{self, Target};
use crate::auth::{Caller, Permission};
use crate::db::schema::{rich_menu_versions as versions, rich_menus as menus};
use crate::error::{AppError, AppResult, Problems};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = menus)]
pub struct Menu {
    pub id: i32,
    pub name: String,
    pub audience: String,
    pub segment_id: Option<i32>,
    pub live_version: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = versions)]
pub struct Version {
    pub menu_id: i32,
    pub version: i32,
    pub definition: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub line_menu_ids: Option<Vec<Option<String>>>,
}

impl Version {
    pub fn definition(&self) -> AppResult<Definition> {
        serde_json::from_value(self.definition.clone()).map_err(AppError::internal)
    }
}

/// Who sees a menu once it is live.
pub const AUDIENCES: &[&str] = &["none", "default", "segment", "disaster"];

/// A menu's name, who sees it, and its pages, as staff give them.
pub struct Draft {
    pub name: String,
    pub audience: String,
    pub segment_id: Option<i32>,
    pub definition: Definition,
}

fn name_problems(name: &str, field: &str, p: &mut Problems) {
    let name = name.trim();
    p.check(
        !name.is_empty() && name.chars().count() <= 100,
        field,
        "名前を1〜100文字で入力してください",
    );
}

/// Whether a new menu may take `name` (checked before work that would be
/// wasted on a refusal, such as drawing its images).
pub async fn check_new_name(app: &App, name: &str, field: &str) -> AppResult<()> {
    let mut p = Problems::new();
    name_problems(name, field, &mut p);
    p.into_result()?;
    let mut conn = app.db.get().await?;
    // A handful of menus: compared here as the unique index compares them.
    let names: Vec<String> = menus::table.select(menus::name).load(&mut conn).await?;
    let wanted = name.trim().to_lowercase();
    if names.iter().any(|n| n.to_lowercase() == wanted) {
        return Err(AppError::bad_input(
            field,
            "その名前のメニューはすでにあります",
        ));
    }
    Ok(())
}

impl Draft {
    /// Everything wrong with it, before anything is stored or sent to LINE.
    async fn problems(&self, conn: &mut AsyncPgConnection) -> AppResult<()> {
        let mut p = Problems::new();
        name_problems(&self.name, "input.name", &mut p);
        p.check(
            AUDIENCES.contains(&self.audience.as_str()),
            "input.audience",
            "表示する相手を選んでください",
        );
        p.check(
            (self.audience == "segment") == self.segment_id.is_some(),
            "input.segmentId",
            "セグメント別メニューはセグメントを選んでください（ほかの場合は指定しません）",
        );
        self.definition.problems("input.definition", &mut p);
        for (i, page) in self.definition.pages.iter().enumerate() {
            if let Some(image) = page.image
                && !crate::media::exists(conn, image, "image").await?
            {
                p.add(
                    format!("input.definition.pages[{i}].image"),
                    "画像が見つかりません。アップロードし直してください",
                );
            }
        }
        if let Some(segment) = self.segment_id
            && !crate::audience::service::segment_exists(conn, segment).await?
        {
            p.add("input.segmentId", "セグメントが見つかりません");
        }
        p.into_result()
    }
}

fn staff_id(caller: &Caller) -> Option<uuid::Uuid> {
    caller.staff().ok().map(|s| s.account_id)
}

fn name_taken(e: diesel::result::Error) -> AppError {
    match AppError::from(e) {
        AppError::Conflict(_) => AppError::bad_input(
            "input.audience",
            "同じ名前のメニュー、または既定・災害時のメニューがすでにあります",
        ),
        other => other,
    }
}

pub async fn list(app: &App, caller: &Caller) -> AppResult<Vec<Menu>> {
    caller.require(Permission::RichmenuManage)?;
    let mut conn = app.db.get().await?;
    Ok(menus::table
        .order(menus::id.asc())
        .select(Menu::as_select())
        .load(&mut conn)
        .await?)
}

pub async fn get(app: &App, caller: &Caller, id: i32) -> AppResult<Option<Menu>> {
    caller.require(Permission::RichmenuManage)?;
    let mut conn = app.db.get().await?;
    Ok(menus::table
        .find(id)
        .select(Menu::as_select())
        .first(&mut conn)
        .await
        .optional()?)
}

/// Every version of a menu, newest first.
pub async fn versions_for(app: &App, caller: &Caller, id: i32) -> AppResult<Vec<Version>> {
    caller.require(Permission::RichmenuManage)?;
    let mut conn = app.db.get().await?;
    Ok(versions_of(&mut conn, id).await?)
}

pub async fn versions_of(conn: &mut AsyncPgConnection, id: i32) -> QueryResult<Vec<Version>> {
    versions::table
        .filter(versions::menu_id.eq(id))
        .order(versions::version.desc())
        .select(Version::as_select())
        .load(conn)
        .await
}

pub async fn version(
    conn: &mut AsyncPgConnection,
    id: i32,
    version: i32,
) -> QueryResult<Option<Version>> {
    versions::table
        .find((id, version))
        .select(Version::as_select())
        .first(conn)
        .await
        .optional()
}

fn audited(m: Menu, version: i32) -> (Menu, Target, serde_json::Value) {
    let target = Target::new("rich_menu", m.id);
    let summary = json!({ "name": m.name, "audience": m.audience, "version": version });
    (m, target, summary)
}

/// The permission and every check a draft needs before it is stored: its
/// definition as stored (a re-encoded image in place of an oversize PNG),
/// who saves it, and what staff should be told.
async fn checked(
    app: &App,
    caller: &Caller,
    draft: &mut Draft,
) -> AppResult<(serde_json::Value, Option<uuid::Uuid>, Vec<String>)> {
    caller.require(Permission::RichmenuManage)?;
    let mut conn = app.db.get().await?;
    draft.problems(&mut conn).await?;
    drop(conn);
    let mut p = Problems::new();
    let mut notices = Vec::new();
    for (i, page) in draft.definition.pages.iter_mut().enumerate() {
        let Some(image) = page.image else { continue };
        match super::image::fit(app, image, page.width, page.height)
            .await
            .map_err(AppError::internal)?
        {
            Ok(super::image::Fit::Fits) => {}
            Ok(super::image::Fit::Replaced(smaller)) => {
                page.image = Some(smaller);
                notices.push(format!(
                    "「{}」の画像が1MBを超えていたため、JPEGに変換して1MB以下にしました",
                    page.name.trim()
                ));
            }
            Err(message) => p.add(format!("input.definition.pages[{i}].image"), message),
        }
    }
    p.into_result()?;
    let definition = serde_json::to_value(&draft.definition).map_err(AppError::internal)?;
    Ok((definition, staff_id(caller), notices))
}

/// A new menu with its first version as a draft.
pub async fn create(
    app: &App,
    caller: &Caller,
    mut draft: Draft,
) -> AppResult<(Menu, Vec<String>)> {
    let (definition, by, notices) = checked(app, caller, &mut draft).await?;
    audit::audited(app, caller, "richmenu.create", move |conn| {
        Box::pin(async move {
            let m: Menu = diesel::insert_into(menus::table)
                .values((
                    menus::name.eq(draft.name.trim()),
                    menus::audience.eq(&draft.audience),
                    menus::segment_id.eq(draft.segment_id),
                ))
                .returning(Menu::as_returning())
                .get_result(conn)
                .await
                .map_err(name_taken)?;
            diesel::insert_into(versions::table)
                .values((
                    versions::menu_id.eq(m.id),
                    versions::version.eq(1),
                    versions::definition.eq(&definition),
                    versions::created_by.eq(by),
                ))
                .execute(conn)
                .await?;
            Ok(audited(m, 1))
        })
    })
    .await
    .map(|m| (m, notices))
}

/// Saves the draft: the newest version when it has never been live,
/// otherwise a new version. Returns the draft's number.
pub async fn save_draft(
    app: &App,
    caller: &Caller,
    id: i32,
    mut draft: Draft,
) -> AppResult<(Menu, i32, Vec<String>)> {
    let (definition, by, notices) = checked(app, caller, &mut draft).await?;
    audit::audited(app, caller, "richmenu.save", move |conn| {
        Box::pin(async move {
            // One saver at a time per menu: the version numbers do not race.
            menus::table
                .find(id)
                .for_update()
                .select(menus::id)
                .first::<i32>(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("rich menu".into()))?;
            let newest = versions_of(conn, id).await?.into_iter().next();
            let n = match newest {
                Some(v) if v.published_at.is_none() => {
                    diesel::update(versions::table.find((id, v.version)))
                        .set((
                            versions::definition.eq(&definition),
                            versions::created_by.eq(by),
                        ))
                        .execute(conn)
                        .await?;
                    v.version
                }
                newest => {
                    let n = newest.map_or(1, |v| v.version + 1);
                    diesel::insert_into(versions::table)
                        .values((
                            versions::menu_id.eq(id),
                            versions::version.eq(n),
                            versions::definition.eq(&definition),
                            versions::created_by.eq(by),
                        ))
                        .execute(conn)
                        .await?;
                    n
                }
            };
            let m: Menu = diesel::update(menus::table.find(id))
                .set((
                    menus::name.eq(draft.name.trim()),
                    menus::audience.eq(&draft.audience),
                    menus::segment_id.eq(draft.segment_id),
                    menus::updated_at.eq(diesel::dsl::now),
                ))
                .returning(Menu::as_returning())
                .get_result(conn)
                .await
                .map_err(name_taken)?;
            let (m, target, summary) = audited(m, n);
            Ok(((m, n), target, summary))
        })
    })
    .await
    .map(|(m, n)| (m, n, notices))
}
