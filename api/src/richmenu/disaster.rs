//! Disaster mode: every resident sees the disaster menu, in one action, and
//! afterwards each gets their own menu back. On: LINE's default becomes the
//! disaster menu (residents without a menu of their own), and LINE's batch
//! operation moves everyone linked to a segment menu onto it (asynchronous,
//! its progress followed); if LINE refuses the batch (3 an hour), the links
//! tenohira keeps are moved by bulk calls instead. Off: the default goes
//! back and each resident's own link is restored from `rich_menu_links`.
//! Each switch is a job and an audit row (who switched it); the API's
//! `setRichMenuDisasterMode` is what mail-triggered rules call.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use super::links;
use crate::app::App;
use crate::audit::{self, Target};
use crate::auth::{Caller, Permission};
use crate::db::schema::rich_menu_disaster_switches as switches;
use crate::error::{AppError, AppResult};
use crate::jobs::JobError;

pub const QUEUE: &str = "richmenu.disaster";

#[derive(serde::Serialize, serde::Deserialize)]
pub struct SwitchDisasterMode {
    pub switch: i64,
}

impl crate::registry::Task for SwitchDisasterMode {
    const QUEUE: &'static str = QUEUE;
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = switches)]
pub struct Switch {
    pub id: i64,
    pub turn_on: bool,
    pub state: String,
    pub step: String,
    pub residents_moved: i32,
    pub residents_total: i32,
    pub problem: Option<String>,
    pub created_by: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Whether disaster mode is on: the newest switch that finished.
pub async fn is_on(conn: &mut AsyncPgConnection) -> QueryResult<bool> {
    Ok(switches::table
        .filter(switches::state.eq("done"))
        .order(switches::id.desc())
        .select(switches::turn_on)
        .first(conn)
        .await
        .optional()?
        .unwrap_or(false))
}

/// A switch under way (links are left alone meanwhile).
pub async fn switching(conn: &mut AsyncPgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        switches::table.filter(switches::state.eq_any(["queued", "running"])),
    ))
    .get_result(conn)
    .await
}

/// The newest switch, for the console.
pub async fn latest(app: &App, caller: &Caller) -> AppResult<(bool, Option<Switch>)> {
    caller.require(Permission::RichmenuManage)?;
    let mut conn = app.db.get().await?;
    let last = switches::table
        .order(switches::id.desc())
        .select(Switch::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    Ok((is_on(&mut conn).await?, last))
}

/// The disaster menu's page 1 on LINE, when it is live.
pub async fn disaster_menu(conn: &mut AsyncPgConnection) -> QueryResult<Option<String>> {
    Ok(links::live_first_pages(conn, "disaster")
        .await?
        .into_iter()
        .next()
        .map(|(_, _, id)| id))
}

/// Queues a switch on or off, audited with who asked. Switching to the
/// mode already on applies it again (a repair: every link re-checked).
pub async fn start(app: &App, caller: &Caller, on: bool) -> AppResult<Switch> {
    caller.require(Permission::RichmenuManage)?;
    let mut conn = app.db.get().await?;
    if on && disaster_menu(&mut conn).await?.is_none() {
        return Err(AppError::bad_input(
            "on",
            "災害時メニューが公開されていません。対象を「災害時」にしたメニューを先に公開してください",
        ));
    }
    drop(conn);
    let by = caller.staff().ok().map(|s| s.account_id);
    let row = audit::audited(app, caller, "richmenu.disaster", move |conn| {
        Box::pin(async move {
            let row: Switch = diesel::insert_into(switches::table)
                .values((switches::turn_on.eq(on), switches::created_by.eq(by)))
                .returning(Switch::as_returning())
                .get_result(conn)
                .await
                .map_err(|e| match AppError::from(e) {
                    AppError::Conflict(_) => AppError::Conflict(
                        "災害モードの切り替えが処理中です。終わってからもう一度お試しください"
                            .into(),
                    ),
                    other => other,
                })?;
            crate::registry::stage(conn, &SwitchDisasterMode { switch: row.id })
                .await
                .map_err(AppError::internal)?;
            Ok((
                row.clone(),
                Target::new("rich_menu_disaster", row.id),
                json!({ "on": on }),
            ))
        })
    })
    .await?;
    if let Err(e) = app.outbox.flush().await {
        tracing::warn!(error = %e, "the disaster switch waits for the next outbox flush");
    }
    Ok(row)
}

async fn update(
    app: &App,
    id: i64,
    step: &str,
    moved: Option<(usize, usize)>,
) -> anyhow::Result<()> {
    let mut conn = app.db.get().await?;
    let q = diesel::update(switches::table.find(id));
    match moved {
        // Progress only: the step stays as it was.
        Some((m, t)) => {
            q.set((
                switches::residents_moved.eq(m as i32),
                switches::residents_total.eq(t as i32),
            ))
            .execute(&mut conn)
            .await?
        }
        None => q.set(switches::step.eq(step)).execute(&mut conn).await?,
    };
    Ok(())
}

async fn finish(app: &App, id: i64, problem: Option<String>) -> anyhow::Result<()> {
    let mut conn = app.db.get().await?;
    diesel::update(switches::table.find(id))
        .set((
            switches::state.eq(if problem.is_some() { "failed" } else { "done" }),
            switches::step.eq(""),
            switches::problem.eq(problem),
            switches::finished_at.eq(diesel::dsl::now),
        ))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// How long LINE's batch is followed before the links are moved by bulk calls.
const BATCH_PATIENCE: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_millis(250);

/// Moves everyone linked to a segment menu onto the disaster menu with
/// LINE's batch operation. Answers whether LINE finished it.
async fn batch_onto(app: &App, id: i64, disaster: &str) -> anyhow::Result<bool> {
    let mut conn = app.db.get().await?;
    let from: Vec<(String, i64)> = links::linked_menus(&mut conn)
        .await?
        .into_iter()
        .filter(|(m, _)| m != disaster)
        .collect();
    if from.is_empty() {
        return Ok(true);
    }
    let total: i64 = from.iter().map(|(_, n)| n).sum();
    let ops: Vec<serde_json::Value> = from
        .iter()
        .map(|(m, _)| json!({ "type": "link", "from": m, "to": disaster }))
        .collect();
    let request = match app
        .line
        .richmenu_batch(&ops, &format!("tenohira-disaster-{id}"))
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "LINE refused the batch; moving the links by bulk calls");
            return Ok(false);
        }
    };
    diesel::update(switches::table.find(id))
        .set((
            switches::line_request_id.eq(&request),
            switches::residents_total.eq(total as i32),
            switches::step.eq("LINEで各利用者のメニューを切り替えています"),
        ))
        .execute(&mut conn)
        .await?;
    let started = std::time::Instant::now();
    while started.elapsed() < BATCH_PATIENCE {
        tokio::time::sleep(POLL).await;
        let phase = match app.line.richmenu_batch_progress(&request).await {
            Ok(p) => p["phase"].as_str().unwrap_or("").to_string(),
            Err(e) => {
                tracing::warn!(error = %e, "the batch's progress could not be read");
                continue;
            }
        };
        match phase.as_str() {
            "succeeded" => {
                let ids: Vec<String> = from.into_iter().map(|(m, _)| m).collect();
                let n = links::moved(&mut conn, &ids, disaster).await?;
                update(app, id, "", Some((n, total as usize))).await?;
                return Ok(true);
            }
            "failed" => return Ok(false),
            _ => {}
        }
    }
    Ok(false)
}

/// The job: the default, then the per-resident links.
pub async fn run(app: &App, id: i64) -> Result<(), JobError> {
    let retry = |e: anyhow::Error| JobError::Retry(format!("{e:#}"));
    let mut conn = app.db.get().await.map_err(|e| retry(e.into()))?;
    let taken = crate::jobs::claim::claim_row(&mut conn, "rich_menu_disaster_switches", id, 15)
        .await
        .map_err(|e| retry(e.into()))?;
    if !taken {
        return Ok(());
    }
    let s: Switch = switches::table
        .find(id)
        .select(Switch::as_select())
        .first(&mut conn)
        .await
        .map_err(|e| retry(e.into()))?;
    let disaster = disaster_menu(&mut conn)
        .await
        .map_err(|e| retry(e.into()))?;
    let default = links::live_first_pages(&mut conn, "default")
        .await
        .map_err(|e| retry(e.into()))?
        .into_iter()
        .next()
        .map(|(_, _, id)| id);
    drop(conn);
    let outcome: anyhow::Result<()> = async {
        if s.turn_on {
            let Some(disaster) = disaster else {
                anyhow::bail!("災害時メニューが公開されていません");
            };
            update(app, id, "既定のメニューを災害時メニューにしています", None).await?;
            app.line.richmenu_set_default(&disaster).await?;
            if !batch_onto(app, id, &disaster).await? {
                update(app, id, "各利用者のメニューを順に切り替えています", None).await?;
                bulk(app, id, Some(&disaster)).await?;
            }
        } else {
            update(app, id, "既定のメニューを戻しています", None).await?;
            match &default {
                Some(d) => app.line.richmenu_set_default(d).await?,
                None => app.line.richmenu_clear_default().await?,
            }
            update(app, id, "各利用者のメニューを戻しています", None).await?;
            bulk(app, id, None).await?;
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => finish(app, id, None).await.map_err(retry)?,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), switch = id, "the disaster switch failed");
            finish(
                app,
                id,
                Some("LINEでの切り替えに失敗しました。もう一度お試しください".into()),
            )
            .await
            .map_err(retry)?;
        }
    }
    Ok(())
}

/// The links moved by bulk calls, with progress.
async fn bulk(app: &App, id: i64, disaster: Option<&str>) -> anyhow::Result<()> {
    let (tx, mut rx) = tokio::sync::watch::channel((0usize, 0usize));
    let report = {
        let app = app.clone();
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let moved = *rx.borrow_and_update();
                if let Err(e) = update(&app, id, "", Some(moved)).await {
                    tracing::warn!(error = %e, "a disaster switch's progress was not recorded");
                }
            }
        })
    };
    let progress = move |done: usize, total: usize| {
        let _ = tx.send((done, total));
    };
    let result = links::sync(app, disaster, &progress).await;
    drop(progress);
    let _ = report.await;
    result.map(|_| ())
}

pub fn register(r: &mut crate::registry::Registry) {
    r.job::<SwitchDisasterMode, _, _>(
        crate::registry::Concurrency::Default,
        |ctx, job| async move { run(&ctx.app, job.switch).await },
    );
}
