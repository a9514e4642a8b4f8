//! How other capabilities read the `friends` table (it is friends'): by
//! internal ids, by LINE user ids, as the states the audience index files.
//! Each read is written once, here.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::schema::friends;

/// Following friends among `part` (ascending friend ids) with their LINE
/// user ids, ascending. A dense stretch is read as one index range, a sparse
/// one by id list; both are statements prepared once per connection.
pub async fn following_line_ids(
    conn: &mut AsyncPgConnection,
    part: &[u32],
) -> QueryResult<Vec<(i64, String)>> {
    let (Some(first), Some(last)) = (part.first(), part.last()) else {
        return Ok(Vec::new());
    };
    let (lo, hi) = (i64::from(*first), i64::from(*last));
    let following = friends::table
        .filter(friends::status.eq("following"))
        .select((friends::id, friends::line_user_id))
        .order(friends::id);
    if (hi - lo) as usize <= part.len() * 4 {
        following
            .filter(friends::id.between(lo, hi))
            .load(conn)
            .await
    } else {
        let list: Vec<i64> = part.iter().map(|i| i64::from(*i)).collect();
        following.filter(friends::id.eq_any(list)).load(conn).await
    }
}

/// How many of `ids` are friends (whatever their status).
pub async fn count_known(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<i64> {
    friends::table
        .filter(friends::id.eq_any(ids))
        .count()
        .get_result(conn)
        .await
}

/// The ids of those LINE users who follow the account now.
pub async fn following_ids_of(
    conn: &mut AsyncPgConnection,
    line_user_ids: &[String],
) -> QueryResult<Vec<i64>> {
    friends::table
        .filter(friends::line_user_id.eq_any(line_user_ids))
        .filter(friends::status.eq("following"))
        .select(friends::id)
        .load(conn)
        .await
}

/// The friend id of a LINE user who has ever followed.
pub async fn id_of(conn: &mut AsyncPgConnection, line_user_id: &str) -> QueryResult<Option<i64>> {
    friends::table
        .filter(friends::line_user_id.eq(line_user_id))
        .select(friends::id)
        .first(conn)
        .await
        .optional()
}

/// The friend id of a LINE user who has ever followed, and whether they follow now.
pub async fn standing_of(
    conn: &mut AsyncPgConnection,
    line_user_id: &str,
) -> QueryResult<Option<(i64, bool)>> {
    let row: Option<(i64, String)> = friends::table
        .filter(friends::line_user_id.eq(line_user_id))
        .select((friends::id, friends::status))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(id, status)| (id, status == "following")))
}

pub async fn max_id(conn: &mut AsyncPgConnection) -> QueryResult<Option<i64>> {
    friends::table
        .select(diesel::dsl::max(friends::id))
        .first(conn)
        .await
}

/// Which friends a read covers.
#[derive(Clone, Copy)]
pub enum Ids<'a> {
    /// `lo < id <= hi`.
    Range(i64, i64),
    List(&'a [i64]),
}

/// What the audience index files a friend under.
#[derive(Clone, Debug, Queryable)]
pub struct FriendState {
    pub id: i64,
    pub status: String,
    pub followed_at: DateTime<Utc>,
}

impl FriendState {
    pub fn following(&self) -> bool {
        self.status == "following"
    }
}

/// The friends `ids` covers, by id.
pub async fn states(conn: &mut AsyncPgConnection, ids: Ids<'_>) -> QueryResult<Vec<FriendState>> {
    let q = friends::table
        .select((friends::id, friends::status, friends::followed_at))
        .order(friends::id);
    match ids {
        Ids::Range(lo, hi) => {
            q.filter(friends::id.gt(lo))
                .filter(friends::id.le(hi))
                .load(conn)
                .await
        }
        Ids::List(list) => q.filter(friends::id.eq_any(list)).load(conn).await,
    }
}

/// A friend as a settings export shows them: with their LINE user id.
#[derive(Clone, Debug, Queryable)]
pub struct Identified {
    pub id: i64,
    pub line_user_id: String,
    pub status: String,
    pub followed_at: DateTime<Utc>,
}

pub async fn identified(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<Vec<Identified>> {
    friends::table
        .filter(friends::id.eq_any(ids))
        .select((
            friends::id,
            friends::line_user_id,
            friends::status,
            friends::followed_at,
        ))
        .order(friends::id)
        .load(conn)
        .await
}

/// These friends, the newest (highest id) first.
pub async fn newest_first(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> QueryResult<Vec<super::service::Friend>> {
    friends::table
        .filter(friends::id.eq_any(ids))
        .order(friends::id.desc())
        .select(super::service::Friend::as_select())
        .load(conn)
        .await
}
