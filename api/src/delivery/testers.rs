//! Test sends (seed 2.4(4)キ): staff link their own LINE account as a tester
//! by sending a one-time code to the official account; a test send goes to
//! the caller's linked tester accounts only, never to residents, and never
//! counts in delivery statistics.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rand::RngExt;
use serde_json::json;
use uuid::Uuid;

use super::model;
use super::service::{self, READERS};
use crate::app::App;
use crate::audit::{self, Outcome, Target as AuditTarget};
use crate::auth::{Caller, Permission};
use crate::db::schema::{deliveries, delivery_tester_codes, delivery_testers};
use crate::error::{AppError, AppResult};
use crate::registry::{EventContext, Registry};

/// Codes look like `TEST-123456` so a resident's ordinary message never matches one.
const PREFIX: &str = "TEST-";
const CODE_LIFETIME_MINUTES: i64 = 10;
/// Codes one LINE account may try per hour.
const MAX_TRIES_PER_HOUR: u64 = 5;

pub struct LinkCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// A fresh code for the caller's own LINE account (replacing an earlier one).
pub async fn create_link_code(app: &App, caller: &Caller) -> AppResult<LinkCode> {
    caller.require_any(READERS)?;
    let account = caller.staff()?.account_id;
    let code = format!("{PREFIX}{:06}", rand::rng().random_range(0..1_000_000u32));
    let expires_at = Utc::now() + Duration::minutes(CODE_LIFETIME_MINUTES);
    let c = code.clone();
    audit::audited(app, caller, "delivery.tester.code", move |conn| {
        Box::pin(async move {
            diesel::delete(
                delivery_tester_codes::table
                    .filter(delivery_tester_codes::staff_account_id.eq(account)),
            )
            .execute(conn)
            .await?;
            diesel::insert_into(delivery_tester_codes::table)
                .values((
                    delivery_tester_codes::code.eq(&c),
                    delivery_tester_codes::staff_account_id.eq(account),
                    delivery_tester_codes::expires_at.eq(expires_at),
                ))
                .execute(conn)
                .await?;
            Ok(((), AuditTarget::new("staff_account", account), json!({})))
        })
    })
    .await?;
    Ok(LinkCode { code, expires_at })
}

/// Whether the caller has linked a tester account, and since when.
pub async fn my_tester(app: &App, caller: &Caller) -> AppResult<Option<DateTime<Utc>>> {
    caller.require_any(READERS)?;
    let account = caller.staff()?.account_id;
    let mut conn = app.db.get().await?;
    Ok(delivery_testers::table
        .find(account)
        .select(delivery_testers::linked_at)
        .first(&mut conn)
        .await
        .optional()?)
}

pub async fn unlink(app: &App, caller: &Caller) -> AppResult<bool> {
    caller.require_any(READERS)?;
    let account = caller.staff()?.account_id;
    audit::audited(app, caller, "delivery.tester.unlink", move |conn| {
        Box::pin(async move {
            let n = diesel::delete(delivery_testers::table.find(account))
                .execute(conn)
                .await?;
            Ok((n > 0, AuditTarget::new("staff_account", account), json!({})))
        })
    })
    .await
}

/// Sends the delivery's messages to the caller's tester account with push
/// (not multicast), outside the delivery's batches and statistics.
pub async fn test_send(app: &App, caller: &Caller, id: i64) -> AppResult<bool> {
    caller.require(Permission::DeliveryCreate)?;
    let account = caller.staff()?.account_id;
    let mut conn = app.db.get().await?;
    let messages: serde_json::Value = deliveries::table
        .find(id)
        .select(deliveries::messages)
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::NotFound("delivery".into()))?;
    let tester: String = delivery_testers::table
        .find(account)
        .select(delivery_testers::line_user_id)
        .first(&mut conn)
        .await
        .optional()?
        .ok_or_else(|| {
            AppError::Conflict(
                "テスト送信先のLINEアカウントが登録されていません。配信作成画面でコードを発行し、LINEから送ってください".into(),
            )
        })?;
    drop(conn);
    let list: Vec<model::Message> = serde_json::from_value(messages).map_err(AppError::internal)?;
    let line = model::to_line(&list, &service::media_url(app));
    let outcome = app.line.push(&tester, &line, Uuid::new_v4()).await;
    let ok = outcome.is_ok();
    if let Err(e) = &outcome {
        tracing::warn!(delivery = id, error = %e, "test send failed");
    }
    audit::record_now(
        &app.db,
        caller,
        "delivery.test_send",
        Some(AuditTarget::new("delivery", id)),
        json!({}),
        if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        },
    )
    .await?;
    outcome.map_err(|_| {
        AppError::Unavailable(
            "LINEへの送信に失敗しました。時間をおいてもう一度お試しください".into(),
        )
    })?;
    Ok(true)
}

pub fn register(r: &mut Registry) {
    r.on_event("message", on_message);
}

/// Whether a resident's text is a tester link code (the chatbot leaves those alone).
pub fn is_link_code(text: &str) -> bool {
    let code = text.trim().to_ascii_uppercase();
    code.starts_with(PREFIX)
        && code.len() == PREFIX.len() + 6
        && code[PREFIX.len()..].bytes().all(|b| b.is_ascii_digit())
}

/// A text message holding a live code links its sender as that staff member's tester.
async fn on_message(ctx: Arc<EventContext>) -> anyhow::Result<()> {
    let (Some(user), Some(text)) = (
        ctx.event.source_user_id.clone(),
        ctx.event.payload["message"]["text"].as_str(),
    ) else {
        return Ok(());
    };
    if !is_link_code(text) {
        return Ok(());
    }
    let code = text.trim().to_ascii_uppercase();
    // A million codes and a few live ones: guessing must not pay. Each LINE
    // account gets a handful of tries an hour; without Redis to count them,
    // linking waits (it is never urgent).
    let tries = ctx
        .app
        .redis
        .count_in_window(
            &format!("tester:tries:{user}"),
            std::time::Duration::from_secs(3600),
        )
        .await?;
    if tries > MAX_TRIES_PER_HOUR {
        tracing::warn!(tries, "tester link code attempts over the limit");
        if tries == MAX_TRIES_PER_HOUR + 1 {
            let text = "コードの入力が続けて行われたため、しばらく受け付けません。1時間ほどたってからお試しください。";
            if let Err(e) = ctx.reply(&[json!({ "type": "text", "text": text })]).await {
                tracing::warn!(error = %e, "tester limit reply not sent");
            }
        }
        return Ok(());
    }
    let mut conn = ctx.app.db.get().await?;
    let account: Option<Uuid> = diesel::delete(
        delivery_tester_codes::table
            .filter(delivery_tester_codes::code.eq(&code))
            .filter(delivery_tester_codes::expires_at.gt(Utc::now())),
    )
    .returning(delivery_tester_codes::staff_account_id)
    .get_result(&mut conn)
    .await
    .optional()?;
    let reply = match account {
        Some(account) => {
            diesel::insert_into(delivery_testers::table)
                .values((
                    delivery_testers::staff_account_id.eq(account),
                    delivery_testers::line_user_id.eq(&user),
                ))
                .on_conflict(delivery_testers::staff_account_id)
                .do_update()
                .set((
                    delivery_testers::line_user_id.eq(&user),
                    delivery_testers::linked_at.eq(diesel::dsl::now),
                ))
                .execute(&mut conn)
                .await?;
            let name = crate::staff::accounts::display_name_of(&mut conn, account)
                .await?
                .unwrap_or_default();
            format!("{name}さんのテスト送信先として登録しました。")
        }
        None => "コードが正しくないか、有効期限（10分）が切れています。管理画面で新しいコードを発行してください。".into(),
    };
    if let Err(e) = ctx.reply(&[json!({ "type": "text", "text": reply })]).await {
        tracing::warn!(error = %e, "tester link reply not sent");
    }
    Ok(())
}

/// Whether a LINE account is some staff member's tester (it may try drafts).
pub async fn is_tester(
    conn: &mut diesel_async::AsyncPgConnection,
    line_user_id: &str,
) -> diesel::QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        delivery_testers::table.filter(delivery_testers::line_user_id.eq(line_user_id)),
    ))
    .get_result(conn)
    .await
}
