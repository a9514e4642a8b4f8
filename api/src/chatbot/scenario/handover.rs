//! Hand-over flags: a resident who reached a hand-over node waits for a
//! person. Staff see the open flags (when, which scenario and node, the
//! friend's number in tenohira — never the LINE user id) and close them
//! once someone has taken the conversation over.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;

use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::{Caller, Permission};
use crate::db::schema::{chatbot_handovers, chatbot_scenarios, friends};
use crate::error::{AppError, AppResult};

/// How many flags one listing returns (newest first).
const PAGE: i64 = 200;

/// A resident waiting for a person (a hand-over node reached).
#[derive(Queryable, async_graphql::SimpleObject)]
#[graphql(name = "ChatbotHandover")]
pub struct Handover {
    pub id: i64,
    /// The friend's number in tenohira (友だち番号); none if they have left.
    pub friend_id: Option<i64>,
    /// The scenario's name (none if it was deleted since).
    pub scenario: Option<String>,
    pub node_id: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Open flags (or, with `closed`, the recently closed ones), newest first.
pub async fn list(app: &App, caller: &Caller, closed: bool) -> AppResult<Vec<Handover>> {
    caller.require(Permission::ChatbotManage)?;
    let mut conn = app.db.get().await?;
    let mut q = chatbot_handovers::table
        .left_join(
            chatbot_scenarios::table.on(chatbot_scenarios::id
                .nullable()
                .eq(chatbot_handovers::scenario_id)),
        )
        .left_join(friends::table.on(friends::line_user_id.eq(chatbot_handovers::line_user_id)))
        .select((
            chatbot_handovers::id,
            friends::id.nullable(),
            chatbot_scenarios::name.nullable(),
            chatbot_handovers::node_id,
            chatbot_handovers::created_at,
            chatbot_handovers::closed_at,
        ))
        .order(chatbot_handovers::id.desc())
        .limit(PAGE)
        .into_boxed();
    q = if closed {
        q.filter(chatbot_handovers::closed_at.is_not_null())
    } else {
        q.filter(chatbot_handovers::closed_at.is_null())
    };
    Ok(q.load(&mut conn).await?)
}

/// Closes an open flag (対応済み), audited; closing a closed one is refused.
pub async fn close(app: &App, caller: &Caller, id: i64) -> AppResult<bool> {
    caller.require(Permission::ChatbotManage)?;
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<bool, AppError, _>(async move |conn| {
        let n = diesel::update(
            chatbot_handovers::table
                .find(id)
                .filter(chatbot_handovers::closed_at.is_null()),
        )
        .set(chatbot_handovers::closed_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
        if n == 0 {
            let exists: bool =
                diesel::select(diesel::dsl::exists(chatbot_handovers::table.find(id)))
                    .get_result(conn)
                    .await?;
            return Err(if exists {
                AppError::Conflict("この引き継ぎはすでに対応済みです".into())
            } else {
                AppError::NotFound("hand-over".into())
            });
        }
        audit::record(
            conn,
            &caller,
            "chatbot.handover.close",
            Some(Target::new("chatbot_handover", id)),
            json!({}),
            Outcome::Success,
        )
        .await?;
        Ok(true)
    })
    .await
}
