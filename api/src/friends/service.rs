use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};

use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::{Caller, Permission};
use crate::db::schema::{friend_events, friends};
use crate::error::{AppError, AppResult};

pub const WELCOME_KEY: &str = "line.welcome_message";

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = friends)]
pub struct Friend {
    pub id: i64,
    pub line_user_id: String,
    pub status: String,
    pub first_followed_at: DateTime<Utc>,
    pub followed_at: DateTime<Utc>,
    pub blocked_at: Option<DateTime<Utc>>,
    pub status_event_at: DateTime<Utc>,
    pub registration_reminded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Applies a follow (`following = true`) or unfollow at `at`. LINE does not
/// guarantee order: an event older than the friend's last status change
/// changes nothing, and applying the same event twice changes nothing the
/// second time. Each status change is kept in `friend_events` (the daily
/// counts add them up). Returns whether the status changed.
pub async fn apply(
    conn: &mut AsyncPgConnection,
    user_id: &str,
    following: bool,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    conn.transaction(async |conn| {
        let existing: Option<Friend> = friends::table
            .filter(friends::line_user_id.eq(user_id))
            .select(Friend::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let status = if following { "following" } else { "blocked" };
        let transition = match existing {
            None => {
                let id: i64 = diesel::insert_into(friends::table)
                    .values((
                        friends::line_user_id.eq(user_id),
                        friends::status.eq(status),
                        friends::first_followed_at.eq(at),
                        friends::followed_at.eq(at),
                        friends::blocked_at.eq((!following).then_some(at)),
                        friends::status_event_at.eq(at),
                    ))
                    .returning(friends::id)
                    .get_result(conn)
                    .await?;
                // An unfollow from someone never seen to follow is no change in the count.
                following.then_some(id)
            }
            Some(f) if at > f.status_event_at && f.status != status => {
                diesel::update(friends::table.find(f.id))
                    .set((
                        friends::status.eq(status),
                        friends::followed_at.eq(if following { at } else { f.followed_at }),
                        friends::blocked_at.eq((!following).then_some(at)),
                        friends::status_event_at.eq(at),
                    ))
                    .execute(conn)
                    .await?;
                Some(f.id)
            }
            Some(f) if at > f.status_event_at => {
                diesel::update(friends::table.find(f.id))
                    .set(friends::status_event_at.eq(at))
                    .execute(conn)
                    .await?;
                None
            }
            Some(_) => None,
        };
        if let Some(id) = transition {
            diesel::insert_into(friend_events::table)
                .values((
                    friend_events::friend_id.eq(id),
                    friend_events::kind.eq(if following { "follow" } else { "unfollow" }),
                    friend_events::occurred_at.eq(at),
                ))
                .execute(conn)
                .await?;
        }
        Ok(transition.is_some())
    })
    .await
}

/// The welcome message: what staff set, else the configured default.
pub async fn welcome_message(app: &App) -> AppResult<String> {
    let mut conn = app.db.get().await?;
    let stored = crate::settings::get(&mut conn, WELCOME_KEY).await?;
    Ok(stored
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| app.config.line.welcome_message.clone()))
}

/// The welcome message with a quick-reply button to the registration page
/// (seed 2.4(4)ウ: make sure residents register).
pub fn welcome(app: &App, text: String) -> Value {
    json!({
        "type": "text",
        "text": text,
        "quickReply": { "items": [
            { "type": "action", "action": { "type": "uri", "label": "受信設定をする", "uri": app.config.liff_settings_url } }
        ] }
    })
}

pub async fn set_welcome_message(app: &App, caller: &Caller, text: &str) -> AppResult<String> {
    caller.require(Permission::SegmentManage)?;
    let text = text.trim().to_string();
    let e = crate::line::messages::validate(&[json!({ "type": "text", "text": text })]);
    if let Some(first) = e.into_iter().next() {
        return Err(AppError::bad_input("text", first.message));
    }
    let by = caller.staff().ok().map(|s| s.account_id);
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    let saved = text.clone();
    conn.transaction::<(), AppError, _>(async move |conn| {
        let before = crate::settings::get(conn, WELCOME_KEY).await?;
        crate::settings::set(conn, WELCOME_KEY, json!(saved), by).await?;
        audit::record(
            conn,
            &caller,
            "friends.welcome_message.update",
            Some(Target::new("setting", WELCOME_KEY)),
            json!({ "before": before, "after": saved }),
            Outcome::Success,
        )
        .await
    })
    .await?;
    Ok(text)
}

#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub following: i64,
    pub blocked: i64,
    pub new_last_7_days: i64,
    pub blocked_last_7_days: i64,
}

impl Counts {
    /// Share of everyone who ever followed that has blocked the account now.
    pub fn block_rate(&self) -> f64 {
        let total = self.following + self.blocked;
        if total == 0 {
            0.0
        } else {
            self.blocked as f64 / total as f64
        }
    }
}

pub async fn counts(app: &App, caller: &Caller) -> AppResult<Counts> {
    caller.require(Permission::FriendsRead)?;
    let mut conn = app.db.get().await?;
    let by_status: Vec<(String, i64)> = friends::table
        .group_by(friends::status)
        .select((friends::status, diesel::dsl::count_star()))
        .load(&mut conn)
        .await?;
    let week_ago = Utc::now() - Duration::days(7);
    let recent: Vec<(String, i64)> = friend_events::table
        .filter(friend_events::occurred_at.ge(week_ago))
        .group_by(friend_events::kind)
        .select((friend_events::kind, diesel::dsl::count_star()))
        .load(&mut conn)
        .await?;
    let get = |v: &[(String, i64)], k: &str| v.iter().find(|(s, _)| s == k).map_or(0, |(_, n)| *n);
    Ok(Counts {
        following: get(&by_status, "following"),
        blocked: get(&by_status, "blocked"),
        new_last_7_days: get(&recent, "follow"),
        blocked_last_7_days: get(&recent, "unfollow"),
    })
}

#[derive(Clone, Debug, QueryableByName)]
pub struct Day {
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub date: NaiveDate,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub follows: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub unfollows: i64,
    /// Friends following at the end of the day (JST).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub following: i64,
}

/// Follows, unfollows and friends at the end of each JST day from `from` to `to` inclusive.
pub async fn daily(
    app: &App,
    caller: &Caller,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<Day>> {
    caller.require(Permission::FriendsRead)?;
    if to < from {
        return Err(AppError::bad_input(
            "to",
            "終了日は開始日以降にしてください",
        ));
    }
    if (to - from).num_days() > 366 {
        return Err(AppError::bad_input("to", "期間は1年以内にしてください"));
    }
    let mut conn = app.db.get().await?;
    // friend_events holds status changes only, so friends at a day's end is
    // the running sum of follows minus unfollows: one pass over the table.
    Ok(diesel::sql_query(
        "WITH per_day AS ( \
           SELECT (occurred_at AT TIME ZONE 'Asia/Tokyo')::date AS day, \
                  count(*) FILTER (WHERE kind = 'follow') AS f, \
                  count(*) FILTER (WHERE kind = 'unfollow') AS u \
           FROM friend_events GROUP BY 1), \
         base AS (SELECT coalesce(sum(f - u), 0)::bigint AS b FROM per_day WHERE day < $1::date) \
         SELECT d::date AS date, coalesce(p.f, 0)::bigint AS follows, coalesce(p.u, 0)::bigint AS unfollows, \
                (base.b + sum(coalesce(p.f, 0) - coalesce(p.u, 0)) OVER (ORDER BY d))::bigint AS following \
         FROM generate_series($1::date, $2::date, interval '1 day') d \
         LEFT JOIN per_day p ON p.day = d::date CROSS JOIN base ORDER BY d",
    )
    .bind::<diesel::sql_types::Date, _>(from)
    .bind::<diesel::sql_types::Date, _>(to)
    .load(&mut conn)
    .await?)
}

/// A page of a friend list: `limit` 1–200, `offset` ≥ 0.
pub fn check_page(offset: i64, limit: i64) -> AppResult<()> {
    if !(1..=200).contains(&limit) {
        return Err(AppError::bad_input(
            "limit",
            "1〜200の範囲で指定してください",
        ));
    }
    if offset < 0 {
        return Err(AppError::bad_input("offset", "0以上で指定してください"));
    }
    Ok(())
}

/// Friends, newest follow first, without personal data.
pub async fn list(
    app: &App,
    caller: &Caller,
    status: Option<&str>,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<Friend>, i64)> {
    caller.require(Permission::FriendsRead)?;
    check_page(offset, limit)?;
    let mut conn = app.db.get().await?;
    let build = || {
        let mut q = friends::table.into_boxed();
        if let Some(s) = status {
            q = q.filter(friends::status.eq(s.to_string()));
        }
        q
    };
    let total = build().count().get_result(&mut conn).await?;
    let rows = build()
        .order(friends::followed_at.desc())
        .offset(offset)
        .limit(limit)
        .select(Friend::as_select())
        .load(&mut conn)
        .await?;
    Ok((rows, total))
}

/// The resident's own friendship status (`None`: never followed).
pub async fn status_of(app: &App, line_user_id: &str) -> AppResult<Option<String>> {
    let mut conn = app.db.get().await?;
    Ok(friends::table
        .filter(friends::line_user_id.eq(line_user_id))
        .select(friends::status)
        .first(&mut conn)
        .await
        .optional()?)
}

/// The LINE profile, fetched lazily and cached in Redis for a day. Only the
/// resident themself sees it (LIFF `me`); it is never stored in PostgreSQL.
pub async fn profile(app: &App, line_user_id: &str) -> AppResult<Option<Value>> {
    let key = app.redis.key(&format!("line:profile:{line_user_id}"));
    let mut c = app.redis.conn();
    if let Ok(Some(cached)) = redis::cmd("GET")
        .arg(&key)
        .query_async::<Option<String>>(&mut c)
        .await
        && let Ok(v) = serde_json::from_str(&cached)
    {
        return Ok(Some(v));
    }
    match app.line.profile(line_user_id).await {
        Ok(p) => {
            let _: Result<(), _> = redis::cmd("SET")
                .arg(&key)
                .arg(p.to_string())
                .arg("EX")
                .arg(86_400)
                .query_async(&mut c)
                .await;
            Ok(Some(p))
        }
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(AppError::internal(e)),
    }
}

pub const REMINDER_TEXT: &str = "受信設定がまだお済みでないようです。お住まいの地域や関心のある分野を登録すると、あなたに合ったお知らせだけが届きます。";

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    line_user_id: String,
}

/// Reminds friends still unregistered `days` after following, once each:
/// a friend is marked before the message goes, so a crash can skip a
/// reminder but never send one twice. Returns how many were reminded.
pub async fn send_registration_reminders(app: &App, days: u32) -> anyhow::Result<usize> {
    if days == 0 {
        return Ok(0);
    }
    let mut total = 0;
    loop {
        let mut conn = app.db.get().await?;
        let due: Vec<Due> = diesel::sql_query(
            "UPDATE friends SET registration_reminded_at = now() WHERE id IN ( \
               SELECT f.id FROM friends f LEFT JOIN friend_settings s ON s.friend_id = f.id \
               WHERE f.status = 'following' AND s.friend_id IS NULL AND f.registration_reminded_at IS NULL \
                 AND f.followed_at < now() - make_interval(days => $1) \
               ORDER BY f.id LIMIT 500 FOR UPDATE OF f SKIP LOCKED) \
             RETURNING id, line_user_id",
        )
        .bind::<diesel::sql_types::Integer, _>(days as i32)
        .load(&mut conn)
        .await?;
        drop(conn);
        if due.is_empty() {
            return Ok(total);
        }
        let mut ids: Vec<i64> = due.iter().map(|d| d.id).collect();
        ids.sort_unstable();
        let key = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("registration-reminder:{ids:?}").as_bytes(),
        );
        let to: Vec<String> = due.into_iter().map(|d| d.line_user_id).collect();
        app.line
            .multicast(
                &to,
                &[welcome(app, REMINDER_TEXT.to_string())],
                key,
                Some("registration_reminder"),
            )
            .await?;
        total += to.len();
    }
}
