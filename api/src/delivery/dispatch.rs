//! Dispatch (DESIGN.md 4.2): at send time the recipients are fixed as a
//! bitmap of friend ids; an expansion job cuts it into batches of ≤ 500 LINE
//! user ids (each with a retry key derived from delivery and position) and
//! queues them after commit; batch jobs post multicasts through the shared
//! rate limiter and record each result. The batch rows are the outbox: a
//! reconciler re-queues any left unfinished (worker killed, Redis flushed),
//! and a repeat is harmless because LINE answers 409 to a known retry key and
//! a batch is counted only on its first transition out of `queued`.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::StreamExt;
use roaring::RoaringBitmap;
use serde_json::json;
use uuid::Uuid;

use super::model::{self, BATCH_SIZE, Delivery, Target};
use crate::app::App;
use crate::db::schema::{deliveries, delivery_batches, delivery_runs, segments};
use crate::jobs::{JobError, JobQueue};
use crate::line::client::LineError;

pub const EXPAND_QUEUE: &str = "delivery.expand";
pub const BATCH_QUEUE: &str = "delivery.batch";
/// Batches written per transaction while expanding (25,000 recipients).
const CHUNK: usize = 50;
/// Chunks looked up and written at once while expanding.
const EXPANDERS: usize = 3;
/// Invalid ids removed per job run before handing the batch back to the queue.
const MAX_RESENDS: usize = 20;

/// The friend ids a target reaches now (following friends only).
pub async fn resolve(
    app: &App,
    conn: &mut AsyncPgConnection,
    target: &Target,
) -> QueryResult<RoaringBitmap> {
    Ok(match target {
        Target::All => app.audience.following(),
        Target::Segment(s) => segments::table
            .find(*s)
            .select(segments::expression)
            .first::<serde_json::Value>(conn)
            .await
            .optional()?
            .and_then(|v| serde_json::from_value(v).ok())
            .map(|e| app.audience.members(&e))
            .unwrap_or_default(),
        Target::Expression(e) => app.audience.members(e),
        Target::Friends(ids) => {
            let picked: RoaringBitmap = ids.iter().filter_map(|i| u32::try_from(*i).ok()).collect();
            picked & app.audience.following()
        }
    })
}

/// Starts a scheduled delivery that is due: snapshots its recipients and
/// queues the expansion. Exactly once: the row is locked and must still be
/// `scheduled`, so concurrent schedulers and a send-now race harmlessly.
/// Returns whether this call started it.
pub async fn start(app: &App, id: i64) -> anyhow::Result<bool> {
    app.audience.ensure_loaded(&app.db).await?;
    let mut conn = app.db.get().await?;
    let app2 = app.clone();
    let started = conn
        .transaction::<bool, anyhow::Error, _>(async move |conn| {
            let Some(d) = deliveries::table
                .find(id)
                .filter(deliveries::status.eq("scheduled"))
                .filter(deliveries::scheduled_at.le(Utc::now() + Duration::seconds(1)))
                .select(Delivery::as_select())
                .for_update()
                .skip_locked()
                .first(conn)
                .await
                .optional()?
            else {
                return Ok(false);
            };
            let target = d.target_value().unwrap_or(Target::Friends(vec![]));
            let snapshot = resolve(&app2, conn, &target).await?;
            let recipients = snapshot.len() as i32;
            let mut bytes = Vec::with_capacity(snapshot.serialized_size());
            snapshot.serialize_into(&mut bytes)?;
            let total = (snapshot.len() as usize).div_ceil(BATCH_SIZE) as i32;
            let finished = (total == 0).then(Utc::now);
            diesel::insert_into(delivery_runs::table)
                .values((
                    delivery_runs::delivery_id.eq(id),
                    delivery_runs::snapshot.eq(bytes),
                    delivery_runs::recipients.eq(recipients),
                    delivery_runs::batches_total.eq(total),
                    delivery_runs::finished_at.eq(finished),
                ))
                .execute(conn)
                .await?;
            diesel::update(deliveries::table.find(id))
                .set((
                    deliveries::status.eq(if total == 0 { "completed" } else { "sending" }),
                    deliveries::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            Ok(true)
        })
        .await?;
    if started {
        tracing::info!(delivery = id, "delivery started");
        // After commit; if this push is lost the reconciler queues it again.
        if let Err(e) = app
            .jobs
            .enqueue(EXPAND_QUEUE, json!({ "delivery": id }))
            .await
        {
            tracing::warn!(delivery = id, error = %e, "queueing expansion failed; the reconciler will retry");
        }
    }
    Ok(started)
}

/// Starts every scheduled delivery whose time has come. Run by every worker
/// about once a second; the row lock in `start` keeps it to one start each.
pub async fn start_due(app: &App) -> anyhow::Result<usize> {
    let mut conn = app.db.get().await?;
    let due: Vec<i64> = deliveries::table
        .filter(deliveries::status.eq("scheduled"))
        .filter(deliveries::scheduled_at.le(Utc::now()))
        .order(deliveries::scheduled_at.asc())
        .select(deliveries::id)
        .limit(20)
        .load(&mut conn)
        .await?;
    drop(conn);
    let mut n = 0;
    for id in due {
        if start(app, id).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// A run's snapshot, batch counts and end time.
type SnapshotRow = (Vec<u8>, i32, i32, Option<chrono::DateTime<Utc>>);

#[derive(QueryableByName)]
struct FriendLine {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    line_user_id: String,
}

/// Writes the delivery's batches from its snapshot, a chunk per transaction,
/// queueing each chunk's batches after it commits. Resumes where an earlier
/// run stopped; concurrent runs skip rows already written.
pub async fn expand(app: &App, id: i64) -> Result<(), JobError> {
    let mut conn = app.db.get().await.map_err(anyhow::Error::from)?;
    let row: Option<SnapshotRow> = delivery_runs::table
        .find(id)
        .select((
            delivery_runs::snapshot,
            delivery_runs::batches_total,
            delivery_runs::batches_written,
            delivery_runs::finished_at,
        ))
        .first(&mut conn)
        .await
        .optional()
        .map_err(anyhow::Error::from)?;
    let Some((snapshot, total, written, finished)) = row else {
        return Err(JobError::Permanent(format!("delivery {id} has no run")));
    };
    if finished.is_some() || written >= total {
        return Ok(());
    }
    let bitmap = RoaringBitmap::deserialize_from(&snapshot[..])
        .map_err(|e| JobError::Permanent(format!("snapshot unreadable: {e}")))?;
    let ids: std::sync::Arc<Vec<u32>> = std::sync::Arc::new(bitmap.iter().collect());
    drop(conn);
    // Chunks are looked up and written concurrently (each on its own
    // connection), but progress is recorded in order: after a crash the
    // expansion resumes from the first chunk not known to be written, and
    // rewriting a chunk that was is a no-op (ON CONFLICT DO NOTHING).
    let starts: Vec<usize> = (written as usize..total as usize).step_by(CHUNK).collect();
    let mut chunks = futures::stream::iter(starts)
        .map(|seq| {
            let (app, ids) = (app.clone(), ids.clone());
            async move {
                let end = (seq + CHUNK).min(total as usize);
                write_chunk(&app, id, &ids, seq, end).await?;
                anyhow::Ok(end)
            }
        })
        .buffered(EXPANDERS);
    while let Some(end) = chunks.next().await {
        let end = end?;
        let mut conn = app.db.get().await.map_err(anyhow::Error::from)?;
        diesel::update(delivery_runs::table.find(id))
            .set((
                delivery_runs::batches_written.eq(diesel::dsl::sql::<diesel::sql_types::Integer>(
                    &format!("greatest(batches_written, {end})"),
                )),
                delivery_runs::updated_at.eq(diesel::dsl::now),
            ))
            .execute(&mut conn)
            .await
            .map_err(anyhow::Error::from)?;
    }
    let mut conn = app.db.get().await.map_err(anyhow::Error::from)?;
    // Every batch may already be done (or empty): then this is the last step.
    finish_if_done(&mut conn, id)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(())
}

/// The LINE user ids of following friends among `part` (ascending friend
/// ids). A dense stretch is read as one index range and filtered here, a
/// sparse one by id list.
async fn line_ids(conn: &mut AsyncPgConnection, part: &[u32]) -> QueryResult<HashMap<u32, String>> {
    let (Some(first), Some(last)) = (part.first(), part.last()) else {
        return Ok(HashMap::new());
    };
    let (lo, hi) = (i64::from(*first), i64::from(*last));
    let rows: Vec<FriendLine> = if (hi - lo) as usize <= part.len() * 4 {
        diesel::sql_query(
            "SELECT id, line_user_id FROM friends WHERE id BETWEEN $1 AND $2 AND status = 'following'",
        )
        .bind::<diesel::sql_types::BigInt, _>(lo)
        .bind::<diesel::sql_types::BigInt, _>(hi)
        .load(conn)
        .await?
    } else {
        let list: Vec<i64> = part.iter().map(|i| i64::from(*i)).collect();
        diesel::sql_query(
            "SELECT f.id, f.line_user_id FROM unnest($1::bigint[]) u(id) \
             JOIN friends f ON f.id = u.id WHERE f.status = 'following'",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&list)
        .load(conn)
        .await?
    };
    Ok(rows
        .into_iter()
        .filter_map(|f| Some((u32::try_from(f.id).ok()?, f.line_user_id)))
        .collect())
}

/// Looks up, writes and queues the batches `seq..end` of a delivery.
async fn write_chunk(
    app: &App,
    id: i64,
    ids: &[u32],
    seq: usize,
    end: usize,
) -> anyhow::Result<()> {
    let mut conn = app.db.get().await?;
    let part = &ids[(seq * BATCH_SIZE).min(ids.len())..(end * BATCH_SIZE).min(ids.len())];
    // Friends who left since the snapshot are dropped here.
    let lines = line_ids(&mut conn, part).await?;
    let batches: Vec<(i32, Vec<String>)> = (seq..end)
        .map(|s| {
            let lo = ((s - seq) * BATCH_SIZE).min(part.len());
            let hi = ((s - seq + 1) * BATCH_SIZE).min(part.len());
            let users = part[lo..hi]
                .iter()
                .filter_map(|f| lines.get(f).cloned())
                .collect();
            (s as i32, users)
        })
        .collect();
    let queued = insert_batches(&mut conn, id, batches).await?;
    drop(conn);
    queue_batches(&app.jobs, &queued).await
}

/// Inserts one chunk of batches in one transaction; returns the ids of the
/// newly written ones that have recipients (to queue).
async fn insert_batches(
    conn: &mut AsyncPgConnection,
    id: i64,
    batches: Vec<(i32, Vec<String>)>,
) -> QueryResult<Vec<i64>> {
    let rows: Vec<_> = batches
        .iter()
        .map(|(seq, users)| {
            (
                delivery_batches::delivery_id.eq(id),
                delivery_batches::seq.eq(*seq),
                delivery_batches::retry_key.eq(model::retry_key(id, *seq)),
                delivery_batches::user_ids.eq(users.clone()),
                // Everyone in it left since the snapshot: nothing to send.
                delivery_batches::status.eq(if users.is_empty() {
                    "accepted"
                } else {
                    "queued"
                }),
            )
        })
        .collect();
    let inserted: Vec<(i64, String)> = diesel::insert_into(delivery_batches::table)
        .values(rows)
        .on_conflict((delivery_batches::delivery_id, delivery_batches::seq))
        .do_nothing()
        .returning((delivery_batches::id, delivery_batches::status))
        .get_results(conn)
        .await?;
    Ok(inserted
        .into_iter()
        .filter(|(_, s)| s == "queued")
        .map(|(b, _)| b)
        .collect())
}

async fn queue_batches(queue: &JobQueue, ids: &[i64]) -> anyhow::Result<()> {
    let jobs: Vec<_> = ids
        .iter()
        .map(|b| JobQueue::new_job(BATCH_QUEUE, json!({ "batch": b })))
        .collect();
    queue.push(&jobs).await
}

#[derive(QueryableByName)]
struct Tally {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    done: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    accepted: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    failed: i64,
}

/// A run's figures so far, summed from its batch rows (the run row itself is
/// written once, at the end, so thousands of batches never queue on one row lock).
pub async fn tally(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<(i32, i32, i32)> {
    let t: Tally = diesel::sql_query(
        "SELECT count(*) FILTER (WHERE status <> 'queued') AS done, \
         coalesce(sum(accepted), 0)::bigint AS accepted, coalesce(sum(failed), 0)::bigint AS failed \
         FROM delivery_batches WHERE delivery_id = $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .get_result(conn)
    .await?;
    Ok((t.done as i32, t.accepted as i32, t.failed as i32))
}

/// Completes the delivery when every batch is written and none is queued,
/// recording the final figures once. Called after a batch's result has
/// committed, so of two batches finishing together at least one sees the
/// other's result; the `finished_at IS NULL` guard keeps it to one.
pub async fn finish_if_done(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
    // One round trip per batch result, a statement PostgreSQL has prepared
    // once; the partial index answers "any left?".
    let ready: bool = diesel::select(diesel::dsl::exists(
        delivery_runs::table
            .filter(delivery_runs::delivery_id.eq(id))
            .filter(delivery_runs::finished_at.is_null())
            .filter(delivery_runs::batches_written.ge(delivery_runs::batches_total))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                delivery_batches::table
                    .filter(delivery_batches::delivery_id.eq(id))
                    .filter(delivery_batches::status.eq("queued")),
            ))),
    ))
    .get_result(conn)
    .await?;
    if !ready {
        return Ok(());
    }
    let (done, accepted, failed) = tally(conn, id).await?;
    conn.transaction::<(), diesel::result::Error, _>(async move |conn| {
        let finished = diesel::update(
            delivery_runs::table
                .find(id)
                .filter(delivery_runs::finished_at.is_null()),
        )
        .set((
            delivery_runs::finished_at.eq(Some(Utc::now())),
            delivery_runs::batches_done.eq(done),
            delivery_runs::accepted.eq(accepted),
            delivery_runs::failed.eq(failed),
            delivery_runs::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
        if finished > 0 {
            diesel::update(deliveries::table.find(id))
                .set((
                    deliveries::status.eq("completed"),
                    deliveries::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            tracing::info!(delivery = id, accepted, failed, "delivery completed");
        }
        Ok(())
    })
    .await
}

#[derive(Queryable)]
struct BatchRow {
    id: i64,
    delivery_id: i64,
    retry_key: Uuid,
    user_ids: Vec<String>,
    status: String,
    failed: i32,
}

/// Records a batch's end once: only the first transition out of `queued`
/// counts. The commit need not wait for the disk: if it is lost in a crash
/// the batch is simply sent again under the same retry key, and LINE's 409
/// makes that a no-op that is recorded as accepted.
async fn finish_batch(
    conn: &mut AsyncPgConnection,
    b: &BatchRow,
    accepted: i32,
    failed_now: i32,
    error: Option<String>,
) -> QueryResult<()> {
    // One statement, its own transaction: `set_config(…, true)` lasts until
    // that transaction's commit, so only this write skips the wait for fsync.
    let counted = diesel::sql_query(
        "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS v) \
         UPDATE delivery_batches SET status = $2, accepted = $3, failed = failed + $4, \
           error = $5, updated_at = now() \
         WHERE id = $1 AND status = 'queued' AND (SELECT v FROM async_commit) = 'off'",
    )
    .bind::<diesel::sql_types::BigInt, _>(b.id)
    .bind::<diesel::sql_types::Text, _>(if accepted > 0 { "accepted" } else { "failed" })
    .bind::<diesel::sql_types::Integer, _>(accepted)
    .bind::<diesel::sql_types::Integer, _>(failed_now)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(error)
    .execute(conn)
    .await?;
    if counted > 0 {
        finish_if_done(conn, b.delivery_id).await?;
    }
    Ok(())
}

/// The recipient LINE refused, from "The property, to[3], …" (message or details).
fn refused_index(message: &str, details: &[crate::line::client::ErrorDetail]) -> Option<usize> {
    let parse = |s: &str| -> Option<usize> {
        let start = s.find("to[")? + 3;
        let end = s[start..].find(']')? + start;
        s[start..end].parse().ok()
    };
    details
        .iter()
        .find_map(|d| parse(&d.property).or_else(|| parse(&d.message)))
        .or_else(|| parse(message))
}

/// Sends one batch. 5xx, timeouts and 429s go back to the queue with the same
/// retry key; 409 counts as accepted; a 400 naming a recipient drops that id
/// and resends the rest under a new key; any other 400 fails the batch.
pub async fn send_batch(app: &App, batch_id: i64) -> Result<(), JobError> {
    let mut conn = app.db.get().await.map_err(anyhow::Error::from)?;
    let found: Option<BatchRow> = delivery_batches::table
        .filter(delivery_batches::id.eq(batch_id))
        .select((
            delivery_batches::id,
            delivery_batches::delivery_id,
            delivery_batches::retry_key,
            delivery_batches::user_ids,
            delivery_batches::status,
            delivery_batches::failed,
        ))
        .first(&mut conn)
        .await
        .optional()
        .map_err(anyhow::Error::from)?;
    let Some(mut b) = found else {
        return Ok(()); // deleted with its delivery
    };
    if b.status != "queued" {
        return Ok(());
    }
    let content = content(app, &mut conn, b.delivery_id).await?;
    // Not held across LINE's answer: hundreds of batches wait on LINE at once.
    drop(conn);
    let (line_messages, unit) = (&content.0, content.1.as_str());
    for _ in 0..MAX_RESENDS {
        let result = app
            .line
            .multicast(&b.user_ids, line_messages, b.retry_key, Some(unit))
            .await;
        let mut conn = app.db.get().await.map_err(anyhow::Error::from)?;
        match result {
            Ok(_) => {
                finish_batch(&mut conn, &b, b.user_ids.len() as i32, 0, None)
                    .await
                    .map_err(anyhow::Error::from)?;
                return Ok(());
            }
            Err(LineError::Api {
                status: 400,
                message,
                details,
                ..
            }) => match refused_index(&message, &details) {
                Some(i) if i < b.user_ids.len() => {
                    let mut rest = b.user_ids.clone();
                    let dropped = rest.remove(i);
                    tracing::warn!(
                        batch = b.id,
                        recipient = i,
                        "LINE refused a recipient; resending without it"
                    );
                    let key = model::next_key(b.retry_key);
                    let moved = diesel::update(
                        delivery_batches::table
                            .find(b.id)
                            .filter(delivery_batches::status.eq("queued"))
                            .filter(delivery_batches::retry_key.eq(b.retry_key)),
                    )
                    .set((
                        delivery_batches::user_ids.eq(&rest),
                        delivery_batches::retry_key.eq(key),
                        delivery_batches::failed.eq(delivery_batches::failed + 1),
                        delivery_batches::error.eq(format!(
                            "LINEが受け付けない宛先を除外しました（{}）",
                            mask(&dropped)
                        )),
                        delivery_batches::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(&mut conn)
                    .await
                    .map_err(anyhow::Error::from)?;
                    if moved == 0 {
                        return Ok(()); // someone else moved it on
                    }
                    b.user_ids = rest;
                    b.retry_key = key;
                    b.failed += 1;
                    if b.user_ids.is_empty() {
                        finish_batch(&mut conn, &b, 0, 0, Some("宛先がすべて無効でした".into()))
                            .await
                            .map_err(anyhow::Error::from)?;
                        return Ok(());
                    }
                }
                _ => {
                    finish_batch(&mut conn, &b, 0, b.user_ids.len() as i32, Some(message))
                        .await
                        .map_err(anyhow::Error::from)?;
                    return Ok(());
                }
            },
            Err(LineError::Invalid(fields)) => {
                let why = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join(", ");
                finish_batch(&mut conn, &b, 0, b.user_ids.len() as i32, Some(why))
                    .await
                    .map_err(anyhow::Error::from)?;
                return Ok(());
            }
            Err(e) => {
                let _ = diesel::update(delivery_batches::table.find(b.id))
                    .set((
                        delivery_batches::attempts.eq(delivery_batches::attempts + 1),
                        delivery_batches::error.eq(e.to_string()),
                        delivery_batches::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(&mut conn)
                    .await;
                return Err(JobError::Retry(e.to_string()));
            }
        }
    }
    Err(JobError::Retry("more refused recipients to remove".into()))
}

type Content = std::sync::Arc<(Vec<serde_json::Value>, String)>;

/// Per process (and per application: tests run several in one process).
pub type ContentCache = std::sync::Mutex<HashMap<i64, Content>>;

/// A sending delivery's LINE messages and aggregation unit, read once per
/// process: they cannot change once sending has started.
async fn content(
    app: &App,
    conn: &mut AsyncPgConnection,
    delivery: i64,
) -> Result<Content, JobError> {
    let cache = &app.delivery_content;
    if let Some(c) = cache.lock().expect("content cache").get(&delivery) {
        return Ok(c.clone());
    }
    let (messages, unit): (serde_json::Value, String) = deliveries::table
        .find(delivery)
        .select((deliveries::messages, deliveries::aggregation_unit))
        .first(conn)
        .await
        .map_err(anyhow::Error::from)?;
    let list: Vec<model::Message> = serde_json::from_value(messages)
        .map_err(|e| JobError::Permanent(format!("stored messages unreadable: {e}")))?;
    let c: Content =
        std::sync::Arc::new((model::to_line(&list, &super::service::media_url(app)), unit));
    let mut map = cache.lock().expect("content cache");
    if map.len() > 256 {
        map.clear();
    }
    map.insert(delivery, c.clone());
    Ok(c)
}

/// A LINE user id in logs and errors: enough to recognise, not to use.
fn mask(id: &str) -> String {
    format!("{}…", id.chars().take(6).collect::<String>())
}

/// Re-queues work a lost queue entry left behind: batches still `queued` and
/// expansions still unfinished, untouched for `stale`. Safe to over-queue.
pub async fn reconcile(app: &App, stale: Duration) -> anyhow::Result<usize> {
    let mut conn = app.db.get().await?;
    let cutoff = Utc::now() - stale;
    let batches: Vec<i64> = diesel::sql_query(
        "UPDATE delivery_batches SET updated_at = now() WHERE id IN \
         (SELECT id FROM delivery_batches WHERE status = 'queued' AND updated_at < $1 \
          ORDER BY id LIMIT 5000 FOR UPDATE SKIP LOCKED) RETURNING id",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(cutoff)
    .load::<BatchId>(&mut conn)
    .await?
    .into_iter()
    .map(|b| b.id)
    .collect();
    queue_batches(&app.jobs, &batches).await?;
    let runs: Vec<i64> = diesel::update(
        delivery_runs::table
            .filter(delivery_runs::finished_at.is_null())
            .filter(delivery_runs::batches_written.lt(delivery_runs::batches_total))
            .filter(delivery_runs::updated_at.lt(cutoff)),
    )
    .set(delivery_runs::updated_at.eq(diesel::dsl::now))
    .returning(delivery_runs::delivery_id)
    .get_results(&mut conn)
    .await?;
    for id in &runs {
        app.jobs
            .enqueue(EXPAND_QUEUE, json!({ "delivery": id }))
            .await?;
    }
    // Runs whose last batches finished together (each saw the other still open).
    let open: Vec<i64> = delivery_runs::table
        .filter(delivery_runs::finished_at.is_null())
        .filter(delivery_runs::batches_written.ge(delivery_runs::batches_total))
        .select(delivery_runs::delivery_id)
        .load(&mut conn)
        .await?;
    for id in open {
        finish_if_done(&mut conn, id).await?;
    }
    Ok(batches.len() + runs.len())
}

#[derive(QueryableByName)]
struct BatchId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}
