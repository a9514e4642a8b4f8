//! The daily look at lapsing cards: households whose last eligible day has
//! passed get, once, the notice staff wrote (if any). Every worker runs the
//! check; the row update is the claim, so each household is told once.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;

use super::{eligibility, settings};
use crate::app::App;

const BATCH: i64 = 500;

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line_user_id: String,
}

/// Marks lapsed households and pushes the notice; returns how many were told.
pub async fn run(app: &App) -> anyhow::Result<usize> {
    let today = eligibility::today_jst();
    let mut conn = app.db.get().await?;
    let notice = settings::current_card_settings(&mut conn)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .map(|s| s.lapse_notice)
        .unwrap_or_default();
    let mut told = 0;
    loop {
        // Claim a batch: only the worker whose update marks the row sends.
        let users: Vec<Claimed> = diesel::sql_query(
            "UPDATE card_holders SET lapse_notified_at = now() WHERE line_user_id IN \
               (SELECT line_user_id FROM card_holders WHERE eligible_until < $1 AND lapse_notified_at IS NULL \
                LIMIT $2 FOR UPDATE SKIP LOCKED) \
             RETURNING line_user_id",
        )
        .bind::<diesel::sql_types::Date, _>(today)
        .bind::<diesel::sql_types::BigInt, _>(BATCH)
        .load(&mut conn)
        .await?;
        let users: Vec<String> = users.into_iter().map(|c| c.line_user_id).collect();
        if users.is_empty() {
            break;
        }
        if !notice.is_empty() {
            for u in &users {
                let messages = [json!({ "type": "text", "text": notice })];
                // The same key for the same lapse: a retried push is not sent twice.
                let key = uuid::Uuid::new_v5(
                    &uuid::Uuid::NAMESPACE_OID,
                    format!("card-lapse:{u}:{today}").as_bytes(),
                );
                if let Err(e) = app.line.push(u, &messages, key).await {
                    tracing::warn!(error = %e, "card lapse notice not sent");
                } else {
                    told += 1;
                }
            }
        }
    }
    Ok(told)
}
