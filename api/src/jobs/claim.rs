//! A job's own row in its capability's table (a publish, a switch) taken
//! by one worker: a job delivered twice must not do its work twice, and a
//! row a crashed worker left `running` is taken over once it is stale.

use diesel::QueryResult;
use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Marks row `id` of `table` (`state`, `claimed_at` columns) running if it
/// is queued, or running but claimed more than `stale_minutes` ago.
/// Answers whether this call took it. `table` is one of ours, never input.
pub async fn claim_row(
    conn: &mut AsyncPgConnection,
    table: &'static str,
    id: i64,
    stale_minutes: i32,
) -> QueryResult<bool> {
    let taken = diesel::sql_query(format!(
        "UPDATE {table} SET state = 'running', claimed_at = now() \
         WHERE id = $1 AND (state = 'queued' OR (state = 'running' AND claimed_at < now() - make_interval(mins => $2)))"
    ))
    .bind::<BigInt, _>(id)
    .bind::<Integer, _>(stale_minutes)
    .execute(conn)
    .await?;
    Ok(taken == 1)
}
