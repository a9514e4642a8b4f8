//! Jobs written in the same transaction as the work they carry out, and
//! pushed to Redis only after that transaction has committed. If the process
//! dies in between, the reconciler pushes what is left.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::queue::{Job, JobQueue};
use crate::db::DbPool;
use crate::db::schema::job_outbox;

#[derive(Clone)]
pub struct Outbox {
    db: DbPool,
    queue: JobQueue,
}

impl Outbox {
    pub fn new(db: DbPool, queue: JobQueue) -> Self {
        Self { db, queue }
    }

    /// Records a job inside the caller's transaction.
    pub async fn stage(
        conn: &mut AsyncPgConnection,
        queue: &str,
        payload: serde_json::Value,
    ) -> QueryResult<()> {
        diesel::insert_into(job_outbox::table)
            .values((job_outbox::queue.eq(queue), job_outbox::payload.eq(payload)))
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Moves staged jobs to Redis. Rows are deleted in the same transaction
    /// that pushes them, so a failed push leaves them for the next flush;
    /// concurrent flushers skip each other's rows.
    pub async fn flush(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let mut conn = self.db.get().await?;
            let queue = self.queue.clone();
            let moved = conn
                .transaction::<usize, anyhow::Error, _>(async move |conn| {
                    let rows: Vec<(String, serde_json::Value)> = diesel::sql_query(
                        "DELETE FROM job_outbox WHERE id IN \
                         (SELECT id FROM job_outbox ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED) \
                         RETURNING queue, payload",
                    )
                    .load::<OutboxRow>(conn)
                    .await?
                    .into_iter()
                    .map(|r| (r.queue, r.payload))
                    .collect();
                    let jobs: Vec<Job> = rows
                        .into_iter()
                        .map(|(q, p)| JobQueue::new_job(&q, p))
                        .collect();
                    queue.push(&jobs).await?;
                    Ok(jobs.len())
                })
                .await?;
            total += moved;
            if moved < 500 {
                return Ok(total);
            }
        }
    }

    pub async fn pending(&self) -> anyhow::Result<i64> {
        let mut conn = self.db.get().await?;
        Ok(job_outbox::table.count().get_result(&mut conn).await?)
    }
}

#[derive(QueryableByName)]
struct OutboxRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    queue: String,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    payload: serde_json::Value,
}
