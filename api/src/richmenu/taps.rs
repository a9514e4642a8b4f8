//! Tap statistics per area and JST day, with no resident in them. A tab
//! switch carries `richmenu:<menu>:<version>:<page>:<area>` in its postback;
//! a postback or text area is recognised by its data or text among the live
//! menus' areas; a link goes through `/r/m/<menu>/<version>/<page>/<area>`
//! on our domain, which counts and sends the resident on. The redirect
//! leads only where the published version says (never to an address given
//! in the request).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_graphql::SimpleObject;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{ActionKind, Definition};
use crate::app::App;
use crate::auth::{Caller, Permission};
use crate::csv::Cell;
use crate::db::schema::{
    rich_menu_taps as taps, rich_menu_versions as versions, rich_menus as menus,
};
use crate::error::{AppError, AppResult};
use crate::registry::{EventContext, Registry};

/// Where an area sits: menu, version, page, area.
type Spot = (i32, i32, i16, i16);

pub fn redirect_url(public_url: &str, menu: i32, version: i32, page: usize, area: usize) -> String {
    format!("{public_url}/r/m/{menu}/{version}/{page}/{area}")
}

pub fn switch_data(menu: i32, version: i32, page: usize, area: usize) -> String {
    format!("richmenu:{menu}:{version}:{page}:{area}")
}

fn parse_switch(data: &str) -> Option<Spot> {
    let rest = data.strip_prefix("richmenu:")?;
    let mut p = rest.split(':').map(str::parse::<i64>);
    let mut next = || p.next()?.ok();
    let spot = (
        i32::try_from(next()?).ok()?,
        i32::try_from(next()?).ok()?,
        i16::try_from(next()?).ok()?,
        i16::try_from(next()?).ok()?,
    );
    Some(spot)
}

pub async fn count(conn: &mut AsyncPgConnection, spot: Spot, day: NaiveDate) -> QueryResult<()> {
    let (menu, version, page, area) = spot;
    diesel::insert_into(taps::table)
        .values((
            taps::menu_id.eq(menu),
            taps::version.eq(version),
            taps::page.eq(page),
            taps::area.eq(area),
            taps::day.eq(day),
            taps::taps.eq(1),
        ))
        .on_conflict((
            taps::menu_id,
            taps::version,
            taps::page,
            taps::area,
            taps::day,
        ))
        .do_update()
        .set(taps::taps.eq(taps::taps + 1))
        .execute(conn)
        .await?;
    Ok(())
}

/// Published versions, read once each (they never change), and the live
/// menus' postback data and texts (re-read every few seconds).
#[derive(Default)]
struct Known {
    published: RwLock<HashMap<(i32, i32), Arc<Definition>>>,
    live: RwLock<Option<(Instant, Arc<LiveActions>)>>,
}

#[derive(Default)]
struct LiveActions {
    by_data: HashMap<String, Spot>,
    by_text: HashMap<String, Spot>,
}

const LIVE_FOR: Duration = Duration::from_secs(5);

fn known(app: &App) -> Arc<Known> {
    app.state(|_| Known::default())
}

async fn published(app: &App, menu: i32, version: i32) -> anyhow::Result<Option<Arc<Definition>>> {
    let k = known(app);
    if let Some(d) = k
        .published
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(menu, version))
    {
        return Ok(Some(d.clone()));
    }
    let mut conn = app.db.get().await?;
    let Some(v) = versions::table
        .find((menu, version))
        .filter(versions::published_at.is_not_null())
        .select(versions::definition)
        .first::<serde_json::Value>(&mut conn)
        .await
        .optional()?
    else {
        return Ok(None);
    };
    let d = Arc::new(serde_json::from_value::<Definition>(v)?);
    k.published
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert((menu, version), d.clone());
    Ok(Some(d))
}

async fn live(app: &App) -> anyhow::Result<Arc<LiveActions>> {
    let k = known(app);
    if let Some((at, l)) = k.live.read().unwrap_or_else(|e| e.into_inner()).as_ref()
        && at.elapsed() < LIVE_FOR
    {
        return Ok(l.clone());
    }
    let mut conn = app.db.get().await?;
    let rows: Vec<(i32, i32, serde_json::Value)> = menus::table
        .inner_join(
            versions::table.on(versions::menu_id
                .eq(menus::id)
                .and(menus::live_version.eq(versions::version.nullable()))),
        )
        .select((menus::id, versions::version, versions::definition))
        .load(&mut conn)
        .await?;
    let mut l = LiveActions::default();
    for (menu, version, def) in rows {
        let Ok(def) = serde_json::from_value::<Definition>(def) else {
            continue;
        };
        for (p, page) in def.pages.iter().enumerate() {
            for (a, area) in page.areas.iter().enumerate() {
                let spot = (menu, version, p as i16, a as i16);
                let key = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
                match area.action.kind {
                    ActionKind::Postback => {
                        l.by_data.entry(key(&area.action.data)).or_insert(spot);
                    }
                    ActionKind::Message => {
                        l.by_text.entry(key(&area.action.text)).or_insert(spot);
                    }
                    _ => {}
                }
            }
        }
    }
    let l = Arc::new(l);
    *k.live.write().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), l.clone()));
    Ok(l)
}

async fn on_postback(ctx: Arc<EventContext>) -> anyhow::Result<()> {
    let data = ctx.event.postback_data().trim();
    let spot = match parse_switch(data) {
        Some(s) => Some(s),
        None => live(&ctx.app).await?.by_data.get(data).copied(),
    };
    if let Some(spot) = spot {
        let mut conn = ctx.app.db.get().await?;
        count(&mut conn, spot, crate::jst::date(ctx.event.occurred_at)).await?;
    }
    Ok(())
}

async fn on_message(ctx: Arc<EventContext>) -> anyhow::Result<()> {
    let message = &ctx.event.payload["message"];
    if message["type"].as_str() != Some("text") {
        return Ok(());
    }
    let text = message["text"].as_str().unwrap_or("").trim();
    let spot = live(&ctx.app).await?.by_text.get(text).copied();
    if let Some(spot) = spot {
        let mut conn = ctx.app.db.get().await?;
        count(&mut conn, spot, crate::jst::date(ctx.event.occurred_at)).await?;
    }
    Ok(())
}

pub fn register(r: &mut Registry) {
    r.on_event("postback", on_postback);
    r.on_event("message", on_message);
}

/// `GET /r/m/{menu}/{version}/{page}/{area}`: counts a link tap and sends
/// the resident where the published version says.
pub async fn redirect(
    State(app): State<App>,
    Path((menu, version, page, area)): Path<(i32, i32, i16, i16)>,
) -> Response {
    let def = match published(&app, menu, version).await {
        Ok(Some(d)) => d,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "a rich-menu link could not be read");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let Some(to) = usize::try_from(page)
        .ok()
        .and_then(|p| def.pages.get(p))
        .and_then(|p| usize::try_from(area).ok().and_then(|a| p.areas.get(a)))
        .and_then(|a| a.action.link(&app.config.liff_settings_url))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // The resident goes on even if the count cannot be written.
    match app.db.get().await {
        Ok(mut conn) => {
            if let Err(e) = count(&mut conn, (menu, version, page, area), crate::jst::today()).await
            {
                tracing::warn!(error = %e, "a rich-menu tap was not counted");
            }
        }
        Err(e) => tracing::warn!(error = %e, "a rich-menu tap was not counted"),
    }
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, to),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

/// One area's taps on one JST day.
#[derive(Clone, Debug, SimpleObject)]
#[graphql(name = "RichMenuTapCount")]
pub struct TapCount {
    pub version: i32,
    /// 0-based page (tab) and area.
    pub page: i32,
    pub area: i32,
    /// What the area does (its label, or the action in a few words).
    pub label: String,
    pub day: NaiveDate,
    pub taps: i64,
}

/// The longest period one question may cover.
const MAX_DAYS: i64 = 400;

pub async fn counts(
    app: &App,
    caller: &Caller,
    menu: i32,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<TapCount>> {
    caller.require(Permission::RichmenuManage)?;
    if to < from {
        return Err(AppError::bad_input(
            "to",
            "終了日は開始日以降にしてください",
        ));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(AppError::bad_input("to", "期間は400日以内にしてください"));
    }
    let mut conn = app.db.get().await?;
    let rows: Vec<(i32, i16, i16, NaiveDate, i64)> = taps::table
        .filter(taps::menu_id.eq(menu))
        .filter(taps::day.between(from, to))
        .order((taps::day, taps::version, taps::page, taps::area))
        .select((taps::version, taps::page, taps::area, taps::day, taps::taps))
        .load(&mut conn)
        .await?;
    let mut defs: HashMap<i32, Option<Arc<Definition>>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (version, page, area, day, n) in rows {
        if let std::collections::hash_map::Entry::Vacant(e) = defs.entry(version) {
            e.insert(
                published(app, menu, version)
                    .await
                    .map_err(AppError::internal)?,
            );
        }
        let label = defs[&version]
            .as_ref()
            .and_then(|d| {
                let a = d.pages.get(page as usize)?.areas.get(area as usize)?;
                Some(a.action.describe(&d.pages))
            })
            .unwrap_or_default();
        out.push(TapCount {
            version,
            page: i32::from(page),
            area: i32::from(area),
            label,
            day,
            taps: n,
        });
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
pub struct CsvParams {
    menu: i32,
    from: NaiveDate,
    to: NaiveDate,
}

/// `/exports/rich-menu-taps.csv?menu=…&from=…&to=…`: the counts for Excel.
pub async fn taps_csv(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Query(p): Query<CsvParams>,
) -> Response {
    if let Err(refusal) = crate::csv::authorize(&caller, &[Permission::RichmenuManage]) {
        return *refusal;
    }
    let rows = match counts(&app, &caller, p.menu, p.from, p.to).await {
        Ok(r) => r,
        Err(e) => return crate::csv::refused(e),
    };
    let rows: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                Cell::from(r.day.format("%Y/%m/%d").to_string()),
                Cell::int(i64::from(r.version)),
                Cell::int(i64::from(r.page + 1)),
                Cell::int(i64::from(r.area + 1)),
                Cell::from(r.label.clone()),
                Cell::int(r.taps),
            ]
        })
        .collect();
    let total = rows.len() as u64;
    crate::csv::download(
        "rich-menu-taps",
        &["日付", "版", "タブ", "エリア", "内容", "タップ数"],
        futures::stream::once(async move { Ok(rows) }),
        Some(total),
    )
}
