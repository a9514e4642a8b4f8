//! Answers arriving together are inserted together: a popular survey's
//! first minutes bring thousands a second, and one statement and one commit
//! per answer would make PostgreSQL's commits the limit. Each submission
//! waits for its own row's fate; nothing is acknowledged before its commit.
//! A batch a unique violation refuses (a second answer where one is
//! allowed) is retried row by row, so each answer gets its own verdict.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::QueryableByName;
use diesel::sql_types::{Array, Bool, Bytea, Int4, Int8, Nullable, Text};
use diesel_async::RunQueryDsl;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::answer::{NewAnswer, insert_if_open};
use crate::app::App;
use crate::error::{AppError, AppResult};

/// Rows per statement at most.
const MAX_BATCH: usize = 256;
/// Statements in flight at once (each holds a pool connection).
const IN_FLIGHT: usize = 4;

type Verdict = AppResult<Option<i64>>;

struct Pending {
    row: NewAnswer,
    done: oneshot::Sender<Verdict>,
}

struct Batcher {
    tx: mpsc::Sender<Pending>,
}

fn batcher(app: &App) -> Arc<Batcher> {
    app.state(|app| {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(run(app.clone(), rx));
        Batcher { tx }
    })
}

/// Inserts the answer while its survey is open with its version, in a
/// batch with those arriving meanwhile. `None`: it was not open.
pub async fn insert(app: &App, row: NewAnswer) -> Verdict {
    let (done, verdict) = oneshot::channel();
    if let Err(mpsc::error::SendError(p)) = batcher(app).tx.send(Pending { row, done }).await {
        // The batcher is gone (shutting down): insert it alone.
        let mut conn = app.db.get().await?;
        return insert_if_open(&mut conn, &p.row).await;
    }
    verdict.await.unwrap_or_else(|_| {
        Err(AppError::internal(anyhow::anyhow!(
            "the answer batch was dropped"
        )))
    })
}

async fn run(app: App, mut rx: mpsc::Receiver<Pending>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = rx.recv().await {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        // Whatever arrived while the last statement ran goes in this one.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let app = app.clone();
        tokio::spawn(async move {
            settle(&app, batch).await;
            drop(permit);
        });
    }
}

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Bytea)]
    sealed: Vec<u8>,
}

async fn settle(app: &App, batch: Vec<Pending>) {
    match insert_many(app, &batch).await {
        Ok(ids) => {
            for (p, id) in batch.into_iter().zip(ids) {
                let _ = p.done.send(Ok(id));
            }
        }
        // One row refused the statement (a second answer where one is
        // allowed): each row on its own, for its own verdict.
        Err(AppError::Conflict(_)) if batch.len() > 1 => {
            for p in batch {
                let verdict = match app.db.get().await {
                    Ok(mut conn) => insert_if_open(&mut conn, &p.row).await,
                    Err(e) => Err(e.into()),
                };
                let _ = p.done.send(verdict);
            }
        }
        Err(e) => {
            let shown = e.to_string();
            let code = e.code();
            for p in batch {
                let _ = p.done.send(Err(match code {
                    "CONFLICT" => AppError::Conflict(shown.clone()),
                    _ => AppError::internal(anyhow::anyhow!("answer batch: {shown}")),
                }));
            }
        }
    }
}

/// One statement for the batch; the id of each row, `None` where its survey
/// was not open with its version. Rows are told apart by their sealed bytes
/// (each carries its own random nonce).
async fn insert_many(app: &App, batch: &[Pending]) -> AppResult<Vec<Option<i64>>> {
    let rows: Vec<&NewAnswer> = batch.iter().map(|p| &p.row).collect();
    let mut conn = app.db.get().await?;
    let stored: Vec<Stored> = diesel::sql_query(
        "INSERT INTO survey_answers (survey_id, version, friend_id, respondent, only_one, sealed, channel) \
         SELECT v.survey_id, v.version, v.friend_id, v.respondent, v.only_one, v.sealed, v.channel \
         FROM unnest($1::int4[], $2::int4[], $3::int8[], $4::bytea[], $5::bool[], $6::bytea[], $7::text[]) \
              AS v(survey_id, version, friend_id, respondent, only_one, sealed, channel) \
         JOIN surveys s ON s.id = v.survey_id AND s.live_version = v.version AND s.closed_at IS NULL \
           AND (s.settings->>'opensAt' IS NULL OR (s.settings->>'opensAt')::timestamptz <= now()) \
           AND (s.settings->>'closesAt' IS NULL OR (s.settings->>'closesAt')::timestamptz > now()) \
         RETURNING id, sealed",
    )
    .bind::<Array<Int4>, _>(rows.iter().map(|r| r.survey).collect::<Vec<_>>())
    .bind::<Array<Int4>, _>(rows.iter().map(|r| r.version).collect::<Vec<_>>())
    .bind::<Array<Nullable<Int8>>, _>(rows.iter().map(|r| r.friend).collect::<Vec<_>>())
    .bind::<Array<Bytea>, _>(rows.iter().map(|r| r.respondent.clone()).collect::<Vec<_>>())
    .bind::<Array<Bool>, _>(rows.iter().map(|r| r.only_one).collect::<Vec<_>>())
    .bind::<Array<Bytea>, _>(rows.iter().map(|r| r.sealed.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.channel.to_string()).collect::<Vec<_>>())
    .load(&mut conn)
    .await?;
    let by_sealed: HashMap<Vec<u8>, i64> = stored.into_iter().map(|s| (s.sealed, s.id)).collect();
    Ok(rows
        .iter()
        .map(|r| by_sealed.get(&r.sealed).copied())
        .collect())
}
