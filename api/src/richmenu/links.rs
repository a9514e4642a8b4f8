//! Per-resident menus: the residents of a segment menu's segment are linked
//! to it on LINE (bulk calls of ≤ 500), and unlinked when they leave; while
//! disaster mode is on they are linked to the disaster menu instead, and get
//! their own back when it ends. `rich_menu_links` records what LINE has, so
//! each run sends only the difference. A resident in two segments gets the
//! older menu (the lower id).

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::app::App;
use crate::db::schema::{
    rich_menu_links as links, rich_menu_versions as versions, rich_menus as menus,
};

/// LINE's bulk link takes at most 500 users a call.
pub const BULK: usize = 500;

/// Page 1's LINE menu of each live menu with `audience`, oldest menu first.
pub async fn live_first_pages(
    conn: &mut AsyncPgConnection,
    audience: &str,
) -> QueryResult<Vec<(i32, Option<i32>, String)>> {
    type Row = (i32, Option<i32>, Option<Vec<Option<String>>>);
    let rows: Vec<Row> = menus::table
        .inner_join(
            versions::table.on(versions::menu_id
                .eq(menus::id)
                .and(menus::live_version.eq(versions::version.nullable()))),
        )
        .filter(menus::audience.eq(audience))
        .order(menus::id)
        .select((menus::id, menus::segment_id, versions::line_menu_ids))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, segment, ids)| {
            let first = ids?.into_iter().next()??;
            Some((id, segment, first))
        })
        .collect())
}

/// What each resident should be linked to: (their segment menu, the LINE
/// menu they see). `disaster`: the disaster menu's LINE id while the mode is on.
async fn wanted(
    app: &App,
    conn: &mut AsyncPgConnection,
    segment_menus: Vec<(i32, Option<i32>, String)>,
    disaster: Option<&str>,
) -> anyhow::Result<HashMap<i64, (i32, String)>> {
    let mut out: HashMap<i64, (i32, String)> = HashMap::new();
    if segment_menus.is_empty() {
        return Ok(out);
    }
    let index = crate::audience::index(app);
    index.ensure_loaded(&app.db).await?;
    for (menu, segment, line_id) in segment_menus {
        let Some(segment) = segment else { continue };
        let Some(expr) = crate::audience::service::segment_expression(conn, segment).await? else {
            continue;
        };
        let target = disaster.map_or(line_id, str::to_string);
        for friend in &index.members(&expr) {
            out.entry(i64::from(friend))
                .or_insert_with(|| (menu, target.clone()));
        }
    }
    Ok(out)
}

/// What a run did (figures for the console and the logs).
#[derive(Debug, Default, Clone, Copy)]
pub struct Synced {
    pub linked: usize,
    pub unlinked: usize,
}

/// Brings LINE's per-resident links in step with the segments (and with
/// disaster mode: `disaster` is the disaster menu's LINE id while it is on).
/// `progress` hears how many residents have been moved so far.
pub async fn sync(
    app: &App,
    disaster: Option<&str>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<Synced> {
    let mut conn = app.db.get().await?;
    let segment_menus = live_first_pages(&mut conn, "segment").await?;
    let have: Vec<(i64, i32, String)> = links::table
        .select((links::friend_id, links::menu_id, links::line_menu_id))
        .load(&mut conn)
        .await?;
    // No segment menu and no link: nothing to do, and no reason to load
    // the audience index into a worker that does not otherwise need it.
    if segment_menus.is_empty() && have.is_empty() {
        return Ok(Synced::default());
    }
    let want = wanted(app, &mut conn, segment_menus, disaster).await?;
    let have: HashMap<i64, (i32, String)> = have.into_iter().map(|(f, m, l)| (f, (m, l))).collect();
    // Grouped by the LINE menu they go to: one bulk call per 500 of a group.
    let mut to_link: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (friend, (menu, line_id)) in &want {
        if have.get(friend) != Some(&(*menu, line_id.clone())) {
            to_link
                .entry(line_id.as_str())
                .or_default()
                .extend(u32::try_from(*friend).ok());
        }
    }
    let mut to_unlink: Vec<u32> = have
        .keys()
        .filter(|f| !want.contains_key(f))
        .filter_map(|f| u32::try_from(*f).ok())
        .collect();
    to_unlink.sort_unstable();
    let total = to_link.values().map(Vec::len).sum::<usize>() + to_unlink.len();
    let mut done = Synced::default();
    for (line_id, mut friends) in to_link {
        friends.sort_unstable();
        for part in friends.chunks(BULK) {
            let found = crate::friends::lookup::following_line_ids(&mut conn, part).await?;
            if !found.is_empty() {
                let users: Vec<String> = found.iter().map(|(_, u)| u.clone()).collect();
                app.line.richmenu_bulk_link(line_id, &users).await?;
                let rows: Vec<_> = found
                    .iter()
                    .map(|(f, _)| {
                        (
                            links::friend_id.eq(*f),
                            links::menu_id.eq(want[f].0),
                            links::line_menu_id.eq(line_id),
                        )
                    })
                    .collect();
                diesel::insert_into(links::table)
                    .values(rows)
                    .on_conflict(links::friend_id)
                    .do_update()
                    .set((
                        links::menu_id.eq(diesel::upsert::excluded(links::menu_id)),
                        links::line_menu_id.eq(diesel::upsert::excluded(links::line_menu_id)),
                        links::linked_at.eq(diesel::dsl::now),
                    ))
                    .execute(&mut conn)
                    .await?;
            }
            done.linked += part.len();
            progress(done.linked + done.unlinked, total);
        }
    }
    for part in to_unlink.chunks(BULK) {
        let found = crate::friends::lookup::following_line_ids(&mut conn, part).await?;
        if !found.is_empty() {
            let users: Vec<String> = found.iter().map(|(_, u)| u.clone()).collect();
            app.line.richmenu_bulk_unlink(&users).await?;
        }
        let ids: Vec<i64> = part.iter().map(|f| i64::from(*f)).collect();
        diesel::delete(links::table.filter(links::friend_id.eq_any(ids)))
            .execute(&mut conn)
            .await?;
        done.unlinked += part.len();
        progress(done.linked + done.unlinked, total);
    }
    if done.linked + done.unlinked > 0 {
        tracing::info!(
            linked = done.linked,
            unlinked = done.unlinked,
            "rich-menu links in step"
        );
    }
    Ok(done)
}

/// The LINE menus residents are linked to now, with how many residents each.
pub async fn linked_menus(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(String, i64)>> {
    links::table
        .group_by(links::line_menu_id)
        .select((links::line_menu_id, diesel::dsl::count_star()))
        .load(conn)
        .await
}

/// After LINE's batch moved everyone linked to `from` onto `to`.
pub async fn moved(conn: &mut AsyncPgConnection, from: &[String], to: &str) -> QueryResult<usize> {
    diesel::update(links::table.filter(links::line_menu_id.eq_any(from)))
        .set((
            links::line_menu_id.eq(to),
            links::linked_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
}

/// How many residents are linked to `menu` (or to the disaster menu in its place).
pub async fn count_for(
    app: &App,
    caller: &crate::auth::Caller,
    menu: i32,
) -> crate::error::AppResult<i64> {
    caller.require(crate::auth::Permission::RichmenuManage)?;
    let mut conn = app.db.get().await?;
    Ok(links::table
        .filter(links::menu_id.eq(menu))
        .count()
        .get_result(&mut conn)
        .await?)
}
