//! Sending one batch (DESIGN.md 4.2). A batch is a position in its run's
//! snapshot: batch `seq` is the snapshot's friends `seq·500 … seq·500+499`.
//! Their LINE user ids are read when the batch is sent, so friends who left
//! since the snapshot are left out and the batch rows stay a few dozen bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use roaring::RoaringBitmap;
use uuid::Uuid;

use super::dispatch::finalize;
use super::model::{self, BATCH_SIZE};
use crate::app::App;
use crate::db::schema::{deliveries, delivery_batches, delivery_runs};
use crate::jobs::JobError;
use crate::line::client::LineError;

/// The job that sends one batch.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct SendBatch {
    pub batch: i64,
}

impl crate::registry::Task for SendBatch {
    const QUEUE: &'static str = "delivery.batch";
}

/// Invalid ids removed per job run before handing the batch back to the queue.
const MAX_RESENDS: usize = 20;

/// What every batch of a started delivery shares: its LINE messages, its
/// aggregation unit and the recipients fixed at send time. None can change
/// once sending has started, so each process reads them once.
pub struct Sending {
    messages: Vec<serde_json::Value>,
    unit: String,
    snapshot: RoaringBitmap,
}

impl Sending {
    /// The friend ids of batch `seq`, ascending.
    fn batch(&self, seq: i32) -> Vec<u32> {
        let Ok(seq) = u32::try_from(seq) else {
            return Vec::new();
        };
        let Some(first) = seq
            .checked_mul(BATCH_SIZE as u32)
            .and_then(|n| self.snapshot.select(n))
        else {
            return Vec::new();
        };
        self.snapshot.range(first..).take(BATCH_SIZE).collect()
    }
}

/// Per process (and per application: tests run several in one process).
/// One cell per delivery, so the hundreds of consumers that start on a new
/// delivery at once read it from PostgreSQL once, not each.
#[derive(Default)]
pub struct SendingCache(Mutex<HashMap<i64, Arc<tokio::sync::OnceCell<Arc<Sending>>>>>);

async fn sending(
    app: &App,
    conn: &mut AsyncPgConnection,
    delivery: i64,
) -> Result<Arc<Sending>, JobError> {
    let cell = {
        let cache = app.state(|_| SendingCache::default());
        let mut map = cache
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 64 && !map.contains_key(&delivery) {
            map.clear();
        }
        map.entry(delivery).or_default().clone()
    };
    // The caller's connection: taking a second one from the pool while
    // holding the first could wait forever when every consumer does so.
    cell.get_or_try_init(|| load_sending(app, conn, delivery))
        .await
        .cloned()
}

async fn load_sending(
    app: &App,
    conn: &mut AsyncPgConnection,
    delivery: i64,
) -> Result<Arc<Sending>, JobError> {
    let (messages, unit, snapshot): (serde_json::Value, String, Vec<u8>) = deliveries::table
        .inner_join(delivery_runs::table)
        .filter(deliveries::id.eq(delivery))
        .select((
            deliveries::messages,
            deliveries::aggregation_unit,
            delivery_runs::snapshot,
        ))
        .first(conn)
        .await
        .map_err(anyhow::Error::from)?;
    let list: Vec<model::Message> = serde_json::from_value(messages)
        .map_err(|e| JobError::Permanent(format!("stored messages unreadable: {e}")))?;
    let snapshot = RoaringBitmap::deserialize_from(&snapshot[..])
        .map_err(|e| JobError::Permanent(format!("snapshot unreadable: {e}")))?;
    Ok(Arc::new(Sending {
        messages: model::to_line(&list, &super::service::media_url(app)),
        unit,
        snapshot,
    }))
}

#[derive(Queryable)]
struct BatchRow {
    id: i64,
    delivery_id: i64,
    seq: i32,
    retry_key: Uuid,
    status: String,
    failed: i32,
    dropped: Vec<i64>,
}

/// The batch's recipients as sent: friend ids and, in the same order, their
/// LINE user ids (`to[i]` in LINE's errors indexes both).
struct Recipients {
    friends: Vec<u32>,
    users: Vec<String>,
}

impl Recipients {
    /// `part`'s friends that are in `lines` (both ascending by friend id)
    /// and not `dropped`: a merge, no lookups.
    fn new(part: &[u32], lines: Vec<(i64, String)>, dropped: &[i64]) -> Self {
        let (mut friends, mut users) = (
            Vec::with_capacity(part.len()),
            Vec::with_capacity(part.len()),
        );
        let mut wanted = part.iter().map(|f| i64::from(*f)).peekable();
        for (id, user) in lines {
            while wanted.next_if(|w| *w < id).is_some() {}
            // Friends who left since the snapshot have no line here.
            if wanted.next_if_eq(&id).is_none() || dropped.contains(&id) {
                continue;
            }
            if let Ok(f) = u32::try_from(id) {
                friends.push(f);
                users.push(user);
            }
        }
        Self { friends, users }
    }

    fn remove(&mut self, i: usize) -> (u32, String) {
        (self.friends.remove(i), self.users.remove(i))
    }
}

diesel::define_sql_function! {
    /// The SQL function of migrations 2026-11-26-000007 and 000008: counts a
    /// batch's result once; true when it was the delivery's last open batch
    /// (results of one delivery take that look in turn).
    fn record_batch_result(
        batch: diesel::sql_types::BigInt,
        new_status: diesel::sql_types::Text,
        sent: diesel::sql_types::Integer,
        failed_now: diesel::sql_types::Integer,
        why: diesel::sql_types::Nullable<diesel::sql_types::Text>,
    ) -> diesel::sql_types::Bool;
}

/// Records a batch's end once (only the first transition out of `queued`
/// counts) in one prepared round trip, and completes the delivery when this
/// was its last open batch.
async fn finish_batch(
    conn: &mut AsyncPgConnection,
    b: &BatchRow,
    accepted: bool,
    counts: (i32, i32),
    error: Option<String>,
) -> QueryResult<()> {
    let (sent, failed_now) = counts;
    let status = if accepted { "accepted" } else { "failed" };
    let last: bool = diesel::select(record_batch_result(b.id, status, sent, failed_now, error))
        .get_result(conn)
        .await?;
    if last {
        finalize(conn, b.delivery_id).await?;
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

/// Leaves a refused friend out of the batch for good and moves it to the
/// next retry key (the recipients changed, so LINE must not answer 409 for
/// the old set). False when another attempt already moved the batch on.
async fn drop_recipient(
    conn: &mut AsyncPgConnection,
    b: &mut BatchRow,
    friend: u32,
    user: &str,
) -> QueryResult<bool> {
    let key = model::next_key(b.retry_key);
    let moved = diesel::update(
        delivery_batches::table
            .find(b.id)
            .filter(delivery_batches::status.eq("queued"))
            .filter(delivery_batches::retry_key.eq(b.retry_key)),
    )
    .set((
        delivery_batches::dropped.eq(diesel::dsl::sql::<
            diesel::sql_types::Array<diesel::sql_types::BigInt>,
        >("array_append(dropped, ")
        .bind::<diesel::sql_types::BigInt, _>(i64::from(friend))
        .sql("::bigint)")),
        delivery_batches::retry_key.eq(key),
        delivery_batches::failed.eq(delivery_batches::failed + 1),
        delivery_batches::error.eq(format!(
            "LINEが受け付けない宛先を除外しました（{}）",
            mask(user)
        )),
        delivery_batches::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    b.retry_key = key;
    b.failed += 1;
    b.dropped.push(i64::from(friend));
    Ok(moved > 0)
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
            delivery_batches::seq,
            delivery_batches::retry_key,
            delivery_batches::status,
            delivery_batches::failed,
            delivery_batches::dropped,
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
    let sending = sending(app, &mut conn, b.delivery_id).await?;
    let part = sending.batch(b.seq);
    let lines = crate::friends::lookup::following_line_ids(&mut conn, &part)
        .await
        .map_err(anyhow::Error::from)?;
    let mut to = Recipients::new(&part, lines, &b.dropped);
    if to.users.is_empty() {
        // Everyone in it left (or was refused): nothing to send.
        let refused = b.failed > 0;
        finish_batch(
            &mut conn,
            &b,
            !refused,
            (0, 0),
            refused.then(|| "宛先がすべて無効でした".into()),
        )
        .await
        .map_err(anyhow::Error::from)?;
        return Ok(());
    }
    // Not held across LINE's answer: hundreds of batches wait on LINE at once.
    drop(conn);
    for _ in 0..MAX_RESENDS {
        let result = app
            .line
            .multicast(
                &to.users,
                &sending.messages,
                b.retry_key,
                Some(&sending.unit),
            )
            .await;
        let mut conn = app.db.get().await.map_err(anyhow::Error::from)?;
        let all = to.users.len() as i32;
        let outcome = match result {
            Ok(_) => finish_batch(&mut conn, &b, true, (all, 0), None).await,
            Err(LineError::Api {
                status: 400,
                message,
                details,
                ..
            }) => match refused_index(&message, &details) {
                Some(i) if i < to.users.len() => {
                    let (friend, user) = to.remove(i);
                    tracing::warn!(
                        batch = b.id,
                        recipient = i,
                        "LINE refused a recipient; resending without it"
                    );
                    let moved = drop_recipient(&mut conn, &mut b, friend, &user)
                        .await
                        .map_err(anyhow::Error::from)?;
                    if !moved {
                        return Ok(()); // another attempt moved it on
                    }
                    if !to.users.is_empty() {
                        continue;
                    }
                    let why = "宛先がすべて無効でした".to_string();
                    finish_batch(&mut conn, &b, false, (0, 0), Some(why)).await
                }
                _ => finish_batch(&mut conn, &b, false, (0, all), Some(message)).await,
            },
            Err(LineError::Invalid(fields)) => {
                let why = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join(", ");
                finish_batch(&mut conn, &b, false, (0, all), Some(why)).await
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
        };
        outcome.map_err(anyhow::Error::from)?;
        return Ok(());
    }
    Err(JobError::Retry("more refused recipients to remove".into()))
}

/// A LINE user id in logs and errors: enough to recognise, not to use.
fn mask(id: &str) -> String {
    format!("{}…", id.chars().take(6).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sending(ids: impl IntoIterator<Item = u32>) -> Sending {
        Sending {
            messages: vec![],
            unit: String::new(),
            snapshot: ids.into_iter().collect(),
        }
    }

    #[test]
    fn batches_cut_the_snapshot_in_order_without_gaps_or_overlap() {
        // Sparse and dense stretches, 1,234 friends: batches of 500, 500, 234.
        let s = sending((0..1000).map(|i| i * 7).chain(100_000..100_234));
        let all: Vec<u32> = (0..3).flat_map(|seq| s.batch(seq)).collect();
        assert_eq!(all, s.snapshot.iter().collect::<Vec<_>>());
        assert_eq!(s.batch(0).len(), 500);
        assert_eq!(s.batch(2).len(), 234);
        assert!(s.batch(3).is_empty());
        assert!(s.batch(-1).is_empty());
    }

    #[test]
    fn recipients_leave_out_the_departed_and_the_refused() {
        // A dense range read also returns 5, which is not in this batch.
        let lines: Vec<(i64, String)> = [(1, "Ua"), (2, "Ub"), (4, "Ud"), (5, "Ue")]
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect();
        // 3 left since the snapshot; 2 was refused by LINE earlier.
        let r = Recipients::new(&[1, 2, 3, 4, 6], lines, &[2]);
        assert_eq!(r.friends, vec![1, 4]);
        assert_eq!(r.users, vec!["Ua", "Ud"]);
    }

    #[test]
    fn refused_index_is_read_from_details_or_message() {
        let d = crate::line::client::ErrorDetail {
            message: "Invalid user ID".into(),
            property: "to[3]".into(),
        };
        assert_eq!(
            refused_index("The request body has 1 error(s)", &[d]),
            Some(3)
        );
        assert_eq!(
            refused_index("The property, to[12], is invalid", &[]),
            Some(12)
        );
        assert_eq!(refused_index("Bad request", &[]), None);
    }
}
