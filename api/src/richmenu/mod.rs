//! Rich menus (seed §2.4(1)): the account's front door. Staff draw menus —
//! one page, or a tab set of 2–4 pages — in versions; a version that has
//! been live is never edited. Who sees which: the default menu, segment
//! menus linked per resident, and the disaster menu over all of them while
//! disaster mode is on. Taps are counted per area and JST day. Permission
//! `richmenu.manage` (the PR division, seed §1.6(1)5).

pub mod demo;
pub mod disaster;
pub mod graphql;
pub mod image;
pub mod links;
pub mod model;
pub mod publish;
pub mod store;
pub mod taps;
pub mod template;

use std::time::Duration;

/// How often workers bring the per-resident links in step with the segments.
pub const LINK_SYNC_INTERVAL: Duration = Duration::from_secs(15);

/// Brings the per-resident links in step, unless a disaster switch is
/// moving them right now (it does the same work itself).
pub async fn sync_links(app: &crate::app::App) -> anyhow::Result<usize> {
    let mut conn = app.db.get().await?;
    if disaster::switching(&mut conn).await? {
        return Ok(0);
    }
    let on = disaster::is_on(&mut conn).await?;
    let disaster_menu = if on {
        disaster::disaster_menu(&mut conn).await?
    } else {
        None
    };
    drop(conn);
    let done = links::sync(app, disaster_menu.as_deref(), &|_, _| {}).await?;
    Ok(done.linked + done.unlinked)
}

/// Rich menus' part in the worker.
pub fn register(r: &mut crate::registry::Registry) {
    publish::register(r);
    disaster::register(r);
    taps::register(r);
    r.periodic(
        "richmenu.links",
        crate::registry::Schedule::Every(LINK_SYNC_INTERVAL),
        |app| async move { sync_links(&app).await },
    );
}
