//! The talk log: one row per resident message the bot handled, saying
//! which route answered and what it decided (the statistics are computed
//! from it). What the resident wrote is sealed with AES-SIV under the talk
//! log's data key, bound to the resident; rows older than the retention
//! setting are deleted every day.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::app::App;
use crate::crypto::seal;
use crate::db::schema::chatbot_talk_log;
use crate::error::AppResult;

/// The data key every talk-log question is sealed under.
const KEY_OWNER: &str = "system:chatbot-talk-log";
const FIELD: &str = "chatbot_talk_log.question";

/// One decision, as the log keeps it.
#[derive(Clone, Debug, Default)]
pub struct Talk<'a> {
    pub user: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub question: &'a str,
    /// scenario | keyword | faq | ai | fallback | notice
    pub route: &'static str,
    /// answered | suggested | chosen | unanswered | notice | step | ended | handover | dropped
    pub decision: &'static str,
    pub faq_entry: Option<i32>,
    pub confidence: Option<f32>,
    pub scenario: Option<(i32, i32)>,
    /// The node the turn stopped at (waiting or ended).
    pub node: Option<&'a str>,
}

/// This process's copy of the talk log's key, kept as long as the keyring
/// keeps opened keys (`TENOHIRA_DATA_KEY_CACHE_SECONDS`): every answered
/// message seals with it, and a database read for it each time would double
/// the log's cost under a burst.
#[derive(Default)]
struct KeyCache(std::sync::Mutex<Option<(std::time::Instant, std::sync::Arc<seal::DataKey>)>>);

async fn key(app: &App, conn: &mut AsyncPgConnection) -> AppResult<std::sync::Arc<seal::DataKey>> {
    use crate::sync::Lock;
    let cache = app.state(|_| KeyCache::default());
    let ttl = app.config.data_key_cache_ttl;
    if let Some((at, k)) = cache.0.locked().as_ref()
        && at.elapsed() < ttl
    {
        return Ok(k.clone());
    }
    let k = match app.keyring.load_or_create(conn, KEY_OWNER).await {
        Ok(k) => k,
        // Two processes creating it at once: the other one's is there now.
        Err(_) => app.keyring.load_or_create(conn, KEY_OWNER).await?,
    };
    *cache.0.locked() = Some((std::time::Instant::now(), k.clone()));
    Ok(k)
}

pub async fn log(app: &App, t: Talk<'_>) -> AppResult<i64> {
    let mut conn = app.db.get().await?;
    let sealed = if t.question.is_empty() {
        None
    } else {
        let key = key(app, &mut conn).await?;
        Some(seal::seal(&key, t.user, FIELD, t.question.as_bytes()))
    };
    Ok(diesel::insert_into(chatbot_talk_log::table)
        .values((
            chatbot_talk_log::line_user_id.eq(t.user),
            chatbot_talk_log::occurred_at.eq(t.occurred_at),
            chatbot_talk_log::question.eq(""),
            chatbot_talk_log::question_sealed.eq(sealed),
            chatbot_talk_log::route.eq(t.route),
            chatbot_talk_log::decision.eq(t.decision),
            chatbot_talk_log::faq_entry_id.eq(t.faq_entry),
            chatbot_talk_log::confidence.eq(t.confidence),
            chatbot_talk_log::scenario_id.eq(t.scenario.map(|s| s.0)),
            chatbot_talk_log::scenario_version.eq(t.scenario.map(|s| s.1)),
            chatbot_talk_log::node_id.eq(t.node),
        ))
        .returning(chatbot_talk_log::id)
        .get_result(&mut conn)
        .await?)
}

/// Opens sealed questions (the statistics' unanswered list); a row that no
/// longer opens (its key destroyed) reads as empty.
pub async fn open_questions(
    app: &App,
    conn: &mut AsyncPgConnection,
    rows: &[(String, Option<Vec<u8>>)],
) -> AppResult<Vec<String>> {
    let key = key(app, conn).await?;
    Ok(rows
        .iter()
        .map(|(user, sealed)| {
            sealed
                .as_deref()
                .and_then(|s| seal::open(&key, user, FIELD, s).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default()
        })
        .collect())
}

/// Deletes rows older than `days` (the daily retention task).
pub async fn prune(app: &App, days: u32) -> anyhow::Result<usize> {
    let mut conn = app.db.get().await?;
    let before = Utc::now() - chrono::Duration::days(i64::from(days));
    Ok(
        diesel::delete(chatbot_talk_log::table.filter(chatbot_talk_log::occurred_at.lt(before)))
            .execute(&mut conn)
            .await?,
    )
}

/// Deletes everything the chatbot keeps of a resident: talk log, scenario
/// place, hand-over flags (their data erased; inside the caller's transaction).
pub async fn forget(conn: &mut AsyncPgConnection, user: &str) -> QueryResult<usize> {
    use crate::db::schema::{chatbot_handovers, chatbot_sessions};
    let n = diesel::delete(chatbot_talk_log::table.filter(chatbot_talk_log::line_user_id.eq(user)))
        .execute(conn)
        .await?;
    diesel::delete(chatbot_sessions::table.find(user))
        .execute(conn)
        .await?;
    diesel::delete(chatbot_handovers::table.filter(chatbot_handovers::line_user_id.eq(user)))
        .execute(conn)
        .await?;
    Ok(n)
}
