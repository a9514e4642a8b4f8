//! Dispatch (DESIGN.md 4.2): at send time the recipients are fixed as a
//! bitmap of friend ids; an expansion job cuts it into batches of ≤ 500
//! friends (rows naming a position in the snapshot, each with a retry key
//! derived from delivery and position) and queues them after commit; batch
//! jobs (`super::send`) post multicasts through the shared rate limiter and
//! record each result. The batch rows are the outbox: a
//! reconciler re-queues any left unfinished (worker killed, Redis flushed),
//! and a repeat is harmless because LINE answers 409 to a known retry key and
//! a batch is counted only on its first transition out of `queued`.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use roaring::RoaringBitmap;
use serde_json::json;

use super::model::{self, BATCH_SIZE, Delivery, Target};
use crate::app::App;
use crate::db::schema::{deliveries, delivery_batches, delivery_runs};
use crate::jobs::{JobError, JobQueue};

/// The job that cuts a started delivery's snapshot into batch rows.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Expand {
    pub delivery: i64,
}

impl crate::registry::Task for Expand {
    const QUEUE: &'static str = "delivery.expand";
}
/// Batch rows written per statement while expanding (500,000 recipients).
const CHUNK: usize = 1000;

/// The friend ids a target reaches now (following friends only).
pub async fn resolve(
    app: &App,
    conn: &mut AsyncPgConnection,
    target: &Target,
) -> QueryResult<RoaringBitmap> {
    Ok(match target {
        Target::All => crate::audience::index(app).following(),
        Target::Segment(s) => crate::audience::service::segment_expression(conn, *s)
            .await?
            .map(|e| crate::audience::index(app).members(&e))
            .unwrap_or_default(),
        Target::Expression(e) => crate::audience::index(app).members(e),
        Target::Friends(ids) => {
            let picked: RoaringBitmap = ids.iter().filter_map(|i| u32::try_from(*i).ok()).collect();
            picked & crate::audience::index(app).following()
        }
    })
}

/// Starts a scheduled delivery that is due: snapshots its recipients and
/// queues the expansion. Exactly once: the row is locked and must still be
/// `scheduled`, so concurrent schedulers and a send-now race harmlessly.
/// Returns whether this call started it.
pub async fn start(app: &App, id: i64) -> anyhow::Result<bool> {
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
            // The last word on approval, in the transaction that starts it:
            // whatever happened since scheduling, content that was not
            // approved as it is does not go out.
            if !d.approval_is_current() {
                diesel::update(deliveries::table.find(id))
                    .set((
                        deliveries::status.eq("draft"),
                        deliveries::scheduled_at.eq(None::<chrono::DateTime<Utc>>),
                        deliveries::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)
                    .await?;
                crate::audit::record(
                    conn,
                    &crate::auth::Caller::system(),
                    "delivery.start_refused",
                    Some(crate::audit::Target::new("delivery", id)),
                    json!({ "reason": "approval does not cover the current content", "title": d.title }),
                    crate::audit::Outcome::Failure,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                tracing::warn!(delivery = id, "start refused: not approved as it is; back to draft");
                return Ok(false);
            }
            // Only once the start is ours: a process that merely raced
            // another to start it must not build the index for nothing.
            crate::audience::index(&app2).ensure_loaded(&app2.db).await?;
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
        if let Err(e) = crate::registry::push(&app.jobs, &[Expand { delivery: id }]).await {
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

/// A run's batch counts and end time.
type RunProgress = (i32, i32, Option<chrono::DateTime<Utc>>);

/// Writes the delivery's batch rows — each a position in the snapshot with
/// its retry key — a chunk per transaction, queueing each chunk after it
/// commits. Resumes where an earlier run stopped; a rewritten chunk queues
/// again whatever of it is still open (a repeat is harmless).
pub async fn expand(app: &App, id: i64) -> Result<(), JobError> {
    let mut conn = app.db.get().await.map_err(anyhow::Error::from)?;
    let row: Option<RunProgress> = delivery_runs::table
        .find(id)
        .select((
            delivery_runs::batches_total,
            delivery_runs::batches_written,
            delivery_runs::finished_at,
        ))
        .first(&mut conn)
        .await
        .optional()
        .map_err(anyhow::Error::from)?;
    let Some((total, written, finished)) = row else {
        return Err(JobError::Permanent(format!("delivery {id} has no run")));
    };
    if finished.is_some() || written >= total {
        return Ok(());
    }
    for seq in (written..total).step_by(CHUNK) {
        let end = (seq + CHUNK as i32).min(total);
        let queued = insert_batches(&mut conn, id, seq..end)
            .await
            .map_err(anyhow::Error::from)?;
        queue_batches(&app.jobs, &queued).await?;
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
    // Every batch may already be done: then this is the last step.
    finish_if_done(&mut conn, id)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(())
}

/// Inserts the batches `seqs` in one statement; returns the ids of those
/// still queued (new ones, and any an interrupted expansion left).
async fn insert_batches(
    conn: &mut AsyncPgConnection,
    id: i64,
    seqs: std::ops::Range<i32>,
) -> QueryResult<Vec<i64>> {
    let rows: Vec<_> = seqs
        .clone()
        .map(|seq| {
            (
                delivery_batches::delivery_id.eq(id),
                delivery_batches::seq.eq(seq),
                delivery_batches::retry_key.eq(model::retry_key(id, seq)),
            )
        })
        .collect();
    diesel::insert_into(delivery_batches::table)
        .values(rows)
        .on_conflict((delivery_batches::delivery_id, delivery_batches::seq))
        .do_nothing()
        .execute(conn)
        .await?;
    delivery_batches::table
        .filter(delivery_batches::delivery_id.eq(id))
        .filter(delivery_batches::seq.ge(seqs.start))
        .filter(delivery_batches::seq.lt(seqs.end))
        .filter(delivery_batches::status.eq("queued"))
        .select(delivery_batches::id)
        .load(conn)
        .await
}

async fn queue_batches(queue: &JobQueue, ids: &[i64]) -> anyhow::Result<()> {
    let jobs: Vec<_> = ids
        .iter()
        .map(|b| super::send::SendBatch { batch: *b })
        .collect();
    crate::registry::push(queue, &jobs).await
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

diesel::define_sql_function! {
    /// The SQL function of migration 2026-11-26-000008: the delivery's run is
    /// open, every batch is written and none is still queued.
    fn delivery_ready_to_finish(delivery: diesel::sql_types::BigInt) -> diesel::sql_types::Bool;
}

/// Completes the delivery when every batch is written and none is queued,
/// recording the final figures once. Called after results have committed
/// (the expansion's end, the reconciler's safety net); the `finished_at IS
/// NULL` guard in `finalize` keeps it to one.
pub async fn finish_if_done(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
    let ready: bool = diesel::select(delivery_ready_to_finish(id))
        .get_result(conn)
        .await?;
    if ready {
        finalize(conn, id).await?;
    }
    Ok(())
}

/// Records a run's final figures and completes its delivery, once: of two
/// callers that both saw the last batch done, only the first writes.
pub(super) async fn finalize(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<()> {
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

/// Batches one reconcile pass queues at most (a caller loops for more).
pub const RECONCILE_BATCH: usize = 5000;

/// Re-queues work a lost queue entry left behind: batches still `queued` and
/// expansions still unfinished, untouched for `stale`. Safe to over-queue.
pub async fn reconcile(app: &App, stale: Duration) -> anyhow::Result<usize> {
    let mut conn = app.db.get().await?;
    let cutoff = Utc::now() - stale;
    let batches: Vec<i64> = diesel::sql_query(
        "UPDATE delivery_batches SET updated_at = now() WHERE id IN \
         (SELECT id FROM delivery_batches WHERE status = 'queued' AND updated_at < $1 \
          ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(cutoff)
    .bind::<diesel::sql_types::BigInt, _>(RECONCILE_BATCH as i64)
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
    let expansions: Vec<Expand> = runs.iter().map(|id| Expand { delivery: *id }).collect();
    crate::registry::push(&app.jobs, &expansions).await?;
    // Runs whose last result was recorded but not followed by completing the
    // run (the process died in between). Results take turns deciding "was
    // that the last?" (migration 000008), so this is only the safety net.
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

/// Everything unfinished, however recent (Redis came back empty).
pub async fn reconcile_everything(app: &App) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let n = reconcile(app, Duration::zero()).await?;
        total += n;
        if n < RECONCILE_BATCH {
            return Ok(total);
        }
    }
}

#[derive(QueryableByName)]
struct BatchId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}
