//! Publishing a version to LINE, as a job. LINE cannot change a menu once
//! its image is uploaded, so a version gets LINE menus of its own; then the
//! aliases (tabs) and the default are moved to them. A resident tapping a
//! tab meanwhile lands on an old page or a new one, never on nothing. A
//! failure before the move deletes what it created and leaves the previous
//! version live; a failure during the move moves the aliases back.
//! Afterwards the LINE menus of every version but the live one and the
//! previous one (kept for a one-click rollback) are deleted.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;

use super::model::{Definition, LineContext};
use super::store::{self, Version};
use crate::app::App;
use crate::audit::{self, Target};
use crate::auth::{Caller, Permission};
use crate::db::schema::{
    rich_menu_publishes as publishes, rich_menu_versions as versions, rich_menus as menus,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::jobs::JobError;
use crate::line::LineError;

pub const QUEUE: &str = "richmenu.publish";

/// The `richmenu.publish` job: one publish row.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct PublishVersion {
    pub publish: i64,
}

impl crate::registry::Task for PublishVersion {
    const QUEUE: &'static str = QUEUE;
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = publishes)]
pub struct Publish {
    pub id: i64,
    pub menu_id: i32,
    pub version: i32,
    pub state: String,
    pub step: String,
    pub problems: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The alias LINE knows page `page` of menu `menu` by (`^[a-z0-9_-]{1,32}$`):
/// made here, never typed by staff, so LINE never refuses it.
pub fn alias(menu: i32, page: usize) -> String {
    format!("tenohira-{menu}-{page}")
}

/// Queues a publish of `version` (a rollback is a publish of an earlier
/// one), audited. Refused while another publish of the menu is under way.
pub async fn start(app: &App, caller: &Caller, id: i32, version: i32) -> AppResult<Publish> {
    caller.require(Permission::RichmenuManage)?;
    let mut conn = app.db.get().await?;
    let v = store::version(&mut conn, id, version)
        .await?
        .ok_or_else(|| AppError::bad_input("version", "その版はありません"))?;
    let mut p = crate::error::Problems::new();
    v.definition()?.problems("definition", &mut p);
    p.into_result()?;
    drop(conn);
    let by = caller.staff().ok().map(|s| s.account_id);
    let publish = audit::audited(app, caller, "richmenu.publish", move |conn| {
        Box::pin(async move {
            let row: Publish = diesel::insert_into(publishes::table)
                .values((
                    publishes::menu_id.eq(id),
                    publishes::version.eq(version),
                    publishes::created_by.eq(by),
                ))
                .returning(Publish::as_returning())
                .get_result(conn)
                .await
                .map_err(|e| match AppError::from(e) {
                    AppError::Conflict(_) => AppError::Conflict(
                        "このメニューは公開の処理中です。終わってからもう一度お試しください".into(),
                    ),
                    other => other,
                })?;
            crate::registry::stage(conn, &PublishVersion { publish: row.id })
                .await
                .map_err(AppError::internal)?;
            let target = Target::new("rich_menu", id);
            Ok((row, target, json!({ "version": version })))
        })
    })
    .await?;
    // Committed: hand the job over now (the worker's periodic flush is the fallback).
    if let Err(e) = app.outbox.flush().await {
        tracing::warn!(error = %e, "the publish job waits for the next outbox flush");
    }
    Ok(publish)
}

pub async fn get(app: &App, caller: &Caller, id: i64) -> AppResult<Option<Publish>> {
    caller.require(Permission::RichmenuManage)?;
    let mut conn = app.db.get().await?;
    Ok(publishes::table
        .find(id)
        .select(Publish::as_select())
        .first(&mut conn)
        .await
        .optional()?)
}

async fn set_step(app: &App, id: i64, state: &str, step: &str) -> anyhow::Result<()> {
    let mut conn = app.db.get().await?;
    diesel::update(publishes::table.find(id))
        .set((publishes::state.eq(state), publishes::step.eq(step)))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// LINE's refusal (or ours) as field errors for the console.
fn problems_of(e: &LineError, page: usize) -> Vec<FieldError> {
    match e {
        LineError::Api {
            details, message, ..
        } if !details.is_empty() => details
            .iter()
            .map(|d| {
                FieldError::new(
                    format!("pages[{page}].{}", d.property),
                    format!("{} ({message})", d.message),
                )
            })
            .collect(),
        LineError::Invalid(errors) => errors
            .iter()
            .map(|f| FieldError::new(format!("pages[{page}].{}", f.field), f.message.clone()))
            .collect(),
        other => vec![FieldError::new(format!("pages[{page}]"), other.to_string())],
    }
}

/// Whether retrying later could help (LINE busy or away), as opposed to a refusal.
fn transient(e: &LineError) -> bool {
    match e {
        LineError::Api { status, .. } => *status >= 500 || *status == 429,
        LineError::Transport(_) | LineError::Limiter(_) => true,
        LineError::Invalid(_) => false,
    }
}

/// The page's image and its type, read before anything is created on LINE
/// (a creation spent on a missing image counts against LINE's hourly limit).
async fn image(app: &App, id: Option<uuid::Uuid>) -> Result<(Vec<u8>, &'static str), LineError> {
    let refused = |m: String| LineError::Invalid(vec![FieldError::new("image", m)]);
    let Some(id) = id else {
        return Err(refused("画像がありません".into()));
    };
    let bytes = super::image::bytes(app, id)
        .await
        .map_err(|e| refused(e.to_string()))?
        .ok_or_else(|| refused("画像が見つかりません。アップロードし直してください".into()))?;
    let kind = match crate::media::sniff(&bytes) {
        Some((_, "image/png")) => "image/png",
        _ => "image/jpeg",
    };
    Ok((bytes, kind))
}

/// Creates the LINE menus of a version's pages (validated, image uploaded).
/// On failure the ones already created are deleted.
async fn create_menus(
    app: &App,
    menu: i32,
    version: i32,
    def: &Definition,
) -> Result<Vec<String>, (LineError, usize)> {
    let bodies: Vec<serde_json::Value> = {
        let alias_of = |i: usize| alias(menu, i);
        let tap = |page: usize, area: usize| {
            super::taps::redirect_url(&app.config.public_url, menu, version, page, area)
        };
        let data = |page: usize, area: usize| super::taps::switch_data(menu, version, page, area);
        let cx = LineContext {
            liff_base: &app.config.liff_settings_url,
            alias: &alias_of,
            tap_url: &tap,
            tap_data: &data,
        };
        def.pages
            .iter()
            .enumerate()
            .map(|(i, page)| page.to_line(i, i == 0, &cx))
            .collect()
    };
    let mut created: Vec<String> = Vec::new();
    for (i, (page, body)) in def.pages.iter().zip(&bodies).enumerate() {
        let step = async {
            let (bytes, kind) = image(app, page.image).await?;
            app.line.richmenu_validate(body).await?;
            let id = app.line.richmenu_create(body).await?;
            created.push(id.clone());
            app.line.richmenu_upload_image(&id, kind, bytes).await
        };
        if let Err(e) = step.await {
            for id in &created {
                if let Err(d) = app.line.richmenu_delete(id).await {
                    tracing::warn!(menu = %id, error = %d, "a half-made LINE rich menu was not deleted");
                }
            }
            return Err((e, i));
        }
    }
    Ok(created)
}

/// Points page `i`'s alias at `id`, creating the alias the first time.
async fn point_alias(app: &App, alias: &str, id: &str) -> Result<(), LineError> {
    match app.line.richmenu_alias_update(alias, id).await {
        Err(LineError::Api { status: 404, .. }) => app.line.richmenu_alias_create(alias, id).await,
        other => other,
    }
}

async fn finish(app: &App, id: i64, state: &str, problems: Vec<FieldError>) -> anyhow::Result<()> {
    let mut conn = app.db.get().await?;
    let problems: Vec<serde_json::Value> = problems
        .iter()
        .map(|p| json!({ "field": p.field, "message": p.message }))
        .collect();
    diesel::update(publishes::table.find(id))
        .set((
            publishes::state.eq(state),
            publishes::step.eq(""),
            publishes::problems.eq(json!(problems)),
            publishes::finished_at.eq(diesel::dsl::now),
        ))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// The job: create (or reuse) the version's LINE menus, move aliases and
/// the default, record it live, clean up.
pub async fn run(app: &App, publish: i64) -> Result<(), JobError> {
    let retry = |e: anyhow::Error| JobError::Retry(format!("{e:#}"));
    let mut conn = app.db.get().await.map_err(|e| retry(e.into()))?;
    // Taken by one worker only: a job delivered twice must not create its menus twice.
    let taken = crate::jobs::claim::claim_row(&mut conn, "rich_menu_publishes", publish, 5)
        .await
        .map_err(|e| retry(e.into()))?;
    if !taken {
        // Done, failed, or another worker has it.
        return Ok(());
    }
    let p: Publish = publishes::table
        .find(publish)
        .select(Publish::as_select())
        .first(&mut conn)
        .await
        .map_err(|e| retry(e.into()))?;
    let menu: store::Menu = menus::table
        .find(p.menu_id)
        .select(store::Menu::as_select())
        .first(&mut conn)
        .await
        .map_err(|e| retry(e.into()))?;
    let all = store::versions_of(&mut conn, p.menu_id)
        .await
        .map_err(|e| retry(e.into()))?;
    drop(conn);
    let Some(target) = all.iter().find(|v| v.version == p.version).cloned() else {
        finish(
            app,
            publish,
            "failed",
            vec![FieldError::new("version", "その版はありません")],
        )
        .await
        .map_err(retry)?;
        return Ok(());
    };
    let def = target
        .definition()
        .map_err(|e| retry(anyhow::anyhow!("{e}")))?;
    let previous = menu
        .live_version
        .and_then(|l| all.iter().find(|v| v.version == l).cloned());

    // 1. The version's own LINE menus (a rollback finds its menus still there).
    let mut reused = line_ids(&target).filter(|ids| ids.len() == def.pages.len());
    // A rollback reuses the version's menus only if LINE still has them all.
    if let Some(ids) = &reused {
        for id in ids {
            match app.line.richmenu_exists(id).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::info!(menu = %id, "a version's LINE menu is gone; creating its menus again");
                    reused = None;
                    break;
                }
                Err(e) if transient(&e) => return Err(again(app, publish, e).await),
                Err(e) => return Err(JobError::Retry(e.to_string())),
            }
        }
    }
    let ids = match reused {
        Some(ids) => ids,
        None => {
            if let Some(refusal) = over_budget(app, def.pages.len()).await.map_err(retry)? {
                finish(app, publish, "failed", vec![refusal])
                    .await
                    .map_err(retry)?;
                return Ok(());
            }
            set_step(app, publish, "running", "LINEにメニューを作成しています")
                .await
                .map_err(retry)?;
            let created = create_menus(app, p.menu_id, p.version, &def).await;
            let made = match &created {
                Ok(ids) => ids.len(),
                Err((_, page)) => page + 1,
            };
            count_created(app, publish, made).await.map_err(retry)?;
            match created {
                Ok(ids) => ids,
                Err((e, _)) if transient(&e) => return Err(again(app, publish, e).await),
                Err((e, page)) => {
                    finish(app, publish, "failed", problems_of(&e, page))
                        .await
                        .map_err(retry)?;
                    return Ok(());
                }
            }
        }
    };
    // 2. Aliases (tabs) and the default move to them.
    set_step(
        app,
        publish,
        "running",
        "タブと既定のメニューを切り替えています",
    )
    .await
    .map_err(retry)?;
    let old_ids = previous.as_ref().and_then(line_ids).unwrap_or_default();
    let mut moved = 0;
    let mut failure = None;
    if def.tabbed() {
        for (i, id) in ids.iter().enumerate() {
            match point_alias(app, &alias(p.menu_id, i), id).await {
                Ok(()) => moved += 1,
                Err(e) => {
                    failure = Some((e, i));
                    break;
                }
            }
        }
    }
    // The default is the default menu's, or the disaster menu's while disaster mode is on.
    let disaster_on = {
        let mut conn = app.db.get().await.map_err(|e| retry(e.into()))?;
        super::disaster::is_on(&mut conn)
            .await
            .map_err(|e| retry(e.into()))?
    };
    let shown_by_default = match menu.audience.as_str() {
        "default" => !disaster_on,
        "disaster" => disaster_on,
        _ => false,
    };
    if failure.is_none()
        && shown_by_default
        && let Err(e) = app.line.richmenu_set_default(&ids[0]).await
    {
        failure = Some((e, 0));
    }
    if let Some((e, page)) = failure {
        // Back to the previous version's menus: nothing half-published.
        for (i, old) in old_ids.iter().enumerate().take(moved) {
            if let Err(b) = point_alias(app, &alias(p.menu_id, i), old).await {
                tracing::error!(alias = %alias(p.menu_id, i), error = %b, "an alias could not be moved back");
            }
        }
        if transient(&e) {
            return Err(again(app, publish, e).await);
        }
        finish(app, publish, "failed", problems_of(&e, page))
            .await
            .map_err(retry)?;
        return Ok(());
    }
    // 3. Live, and the LINE menus no version needs any more deleted. Publishing
    // the live version again (a repair) keeps everything: which version came
    // before it is not known here, and its menus are the rollback.
    let keep = previous.as_ref().map(|v| v.version);
    let republished = keep == Some(p.version);
    record_live(app, p.menu_id, p.version, &ids)
        .await
        .map_err(retry)?;
    // Residents linked to the old menus move to the new ones before those
    // go; if they could not all move, the old menus stay until the next publish.
    let mut links_moved = true;
    if matches!(menu.audience.as_str(), "segment" | "disaster") {
        set_step(
            app,
            publish,
            "running",
            "各利用者のメニューを切り替えています",
        )
        .await
        .map_err(retry)?;
        if let Err(e) = super::sync_links(app).await {
            links_moved = false;
            tracing::warn!(error = %format!("{e:#}"), "per-resident links wait for the next sync");
        }
    }
    for v in all
        .iter()
        .filter(|_| !republished && links_moved)
        .filter(|v| v.version != p.version && Some(v.version) != keep)
    {
        if let Some(old) = line_ids(v) {
            for id in old {
                match app.line.richmenu_delete(&id).await {
                    Ok(()) | Err(LineError::Api { status: 404, .. }) => {}
                    Err(e) => {
                        tracing::warn!(menu = %id, error = %e, "an unused LINE rich menu was not deleted")
                    }
                }
            }
            forget_line_ids(app, p.menu_id, v.version)
                .await
                .map_err(retry)?;
        }
    }
    finish(app, publish, "done", vec![]).await.map_err(retry)?;
    Ok(())
}

/// LINE was busy or away: the publish goes back to waiting for its retry.
async fn again(app: &App, publish: i64, e: LineError) -> JobError {
    if let Err(d) = set_step(
        app,
        publish,
        "queued",
        "LINEが混み合っているため、時間をおいて再試行します",
    )
    .await
    {
        tracing::warn!(error = %d, "a publish's retry was not recorded");
    }
    JobError::Retry(e.to_string())
}

/// LINE allows 100 menu creations an hour and 1,000 menus an account;
/// publishing stays well inside both (90 an hour, 900 of ours), and says so
/// when it cannot.
pub const CREATIONS_PER_HOUR: i64 = 90;
pub const MENUS_AT_MOST: i64 = 900;

async fn over_budget(app: &App, pages: usize) -> anyhow::Result<Option<FieldError>> {
    let mut conn = app.db.get().await?;
    let hour_ago = Utc::now() - chrono::Duration::hours(1);
    let created: Option<i64> = publishes::table
        .filter(publishes::claimed_at.gt(hour_ago))
        .select(diesel::dsl::sum(publishes::created_menus))
        .first(&mut conn)
        .await?;
    let pages = pages as i64;
    if created.unwrap_or(0) + pages > CREATIONS_PER_HOUR {
        return Ok(Some(FieldError::new(
            "pages",
            format!(
                "この1時間にLINEのメニューを{}件作成しました。LINEの上限（1時間に100件）に近いため、しばらくしてからもう一度公開してください",
                created.unwrap_or(0)
            ),
        )));
    }
    let on_line: Vec<Option<Vec<Option<String>>>> = versions::table
        .filter(versions::line_menu_ids.is_not_null())
        .select(versions::line_menu_ids)
        .load(&mut conn)
        .await?;
    let ours: i64 = on_line.iter().flatten().map(|ids| ids.len() as i64).sum();
    if ours + pages > MENUS_AT_MOST {
        return Ok(Some(FieldError::new(
            "pages",
            format!(
                "LINEにあるメニューが{ours}件あり、上限（1,000件）に近いため公開できません。使わないメニューを削除してください"
            ),
        )));
    }
    Ok(None)
}

async fn count_created(app: &App, publish: i64, made: usize) -> anyhow::Result<()> {
    let mut conn = app.db.get().await?;
    diesel::update(publishes::table.find(publish))
        .set(publishes::created_menus.eq(publishes::created_menus + made as i32))
        .execute(&mut conn)
        .await?;
    Ok(())
}

fn line_ids(v: &Version) -> Option<Vec<String>> {
    v.line_menu_ids
        .as_ref()
        .map(|ids| ids.iter().flatten().cloned().collect())
}

async fn record_live(app: &App, menu: i32, version: i32, ids: &[String]) -> anyhow::Result<()> {
    let mut conn = app.db.get().await?;
    let ids: Vec<Option<String>> = ids.iter().cloned().map(Some).collect();
    conn.transaction::<(), anyhow::Error, _>(async move |conn| {
        // Set once, the first time it goes live; a rollback keeps the first date.
        diesel::update(
            versions::table
                .find((menu, version))
                .filter(versions::published_at.is_null()),
        )
        .set(versions::published_at.eq(Some(Utc::now())))
        .execute(conn)
        .await?;
        diesel::update(versions::table.find((menu, version)))
            .set(versions::line_menu_ids.eq(Some(&ids)))
            .execute(conn)
            .await?;
        diesel::update(menus::table.find(menu))
            .set((
                menus::live_version.eq(version),
                menus::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
}

async fn forget_line_ids(app: &App, menu: i32, version: i32) -> anyhow::Result<()> {
    let mut conn = app.db.get().await?;
    diesel::update(versions::table.find((menu, version)))
        .set(versions::line_menu_ids.eq(None::<Vec<Option<String>>>))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Rich menus' part in the worker: the publish job.
pub fn register(r: &mut crate::registry::Registry) {
    r.job::<PublishVersion, _, _>(
        crate::registry::Concurrency::Default,
        |ctx, job| async move { run(&ctx.app, job.publish).await },
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn aliases_always_match_lines_pattern() {
        for (menu, page) in [(1, 0), (i32::MAX, 3)] {
            let a = super::alias(menu, page);
            assert!(a.len() <= 32, "{a}");
            assert!(
                a.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'-'
                    || b == b'_')
            );
        }
    }
}
