use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::service;
use crate::auth::Permission;
use crate::gql::ContextExt;

#[derive(SimpleObject)]
pub struct FriendCounts {
    /// Friends now following the account.
    pub following: i64,
    /// Friends who blocked the account (data kept until the retention rule removes it).
    pub blocked: i64,
    /// Follows in the last 7 days.
    pub new_last_7_days: i64,
    /// Blocks in the last 7 days.
    pub blocked_last_7_days: i64,
    /// blocked / (following + blocked).
    pub block_rate: f64,
}

#[derive(SimpleObject)]
pub struct FriendDay {
    /// The JST date.
    pub date: NaiveDate,
    pub follows: i64,
    pub unfollows: i64,
    /// Friends following at the end of the day.
    pub following: i64,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum FriendStatus {
    Following,
    Blocked,
}

impl FriendStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Following => "following",
            Self::Blocked => "blocked",
        }
    }
    pub fn parse(s: &str) -> Self {
        if s == "following" {
            Self::Following
        } else {
            Self::Blocked
        }
    }
}

/// A friend without personal data: no LINE user id, no profile.
#[derive(SimpleObject)]
pub struct Friend {
    pub id: String,
    pub status: FriendStatus,
    pub first_followed_at: DateTime<Utc>,
    pub followed_at: DateTime<Utc>,
    pub blocked_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct FriendPage {
    pub items: Vec<Friend>,
    pub total_count: i64,
}

impl FriendPage {
    pub fn of(rows: Vec<service::Friend>, total: i64) -> Self {
        Self {
            items: rows
                .into_iter()
                .map(|f| Friend {
                    id: f.id.to_string(),
                    status: FriendStatus::parse(&f.status),
                    first_followed_at: f.first_followed_at,
                    followed_at: f.followed_at,
                    blocked_at: f.blocked_at,
                })
                .collect(),
            total_count: total,
        }
    }
}

#[derive(Default)]
pub struct FriendsQuery;

#[Object]
impl FriendsQuery {
    /// Friend counts for the dashboard. Needs `friends.read`.
    async fn friend_counts(&self, ctx: &Context<'_>) -> Result<FriendCounts> {
        let c = service::counts(ctx.app(), ctx.caller()).await?;
        Ok(FriendCounts {
            block_rate: c.block_rate(),
            following: c.following,
            blocked: c.blocked,
            new_last_7_days: c.new_last_7_days,
            blocked_last_7_days: c.blocked_last_7_days,
        })
    }

    /// Follows, unfollows and friends per JST day (at most a year). Needs `friends.read`.
    async fn friend_daily_counts(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FriendDay>> {
        Ok(service::daily(ctx.app(), ctx.caller(), from, to)
            .await?
            .into_iter()
            .map(|d| FriendDay {
                date: d.date,
                follows: d.follows,
                unfollows: d.unfollows,
                following: d.following,
            })
            .collect())
    }
}

/// The message replied to new friends (after the friend list in the schema).
#[derive(Default)]
pub struct WelcomeQuery;

#[Object]
impl WelcomeQuery {
    /// The message replied to new friends. Needs `segment.manage`.
    async fn welcome_message(&self, ctx: &Context<'_>) -> Result<String> {
        ctx.caller().require(Permission::SegmentManage)?;
        Ok(service::welcome_message(ctx.app()).await?)
    }
}

#[derive(Default)]
pub struct FriendsMutation;

#[Object]
impl FriendsMutation {
    /// Sets the message replied to new friends (≤ 5,000 UTF-16 units). Needs `segment.manage`.
    async fn set_welcome_message(&self, ctx: &Context<'_>, text: String) -> Result<String> {
        Ok(service::set_welcome_message(ctx.app(), ctx.caller(), &text).await?)
    }
}

#[derive(SimpleObject)]
pub struct Me {
    /// The resident's LINE user id, from the verified ID token.
    pub line_user_id: String,
    /// Null when the resident has never added the account as a friend.
    pub friend_status: Option<FriendStatus>,
    /// The LINE display name (fetched from LINE when needed; never stored).
    pub display_name: Option<String>,
}

#[derive(Default)]
pub struct ResidentQuery;

#[Object]
impl ResidentQuery {
    /// The signed-in resident.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let user = ctx.caller().resident()?.line_user_id.clone();
        let app = ctx.app();
        let status = service::status_of(app, &user).await?;
        let wants_name = ctx.look_ahead().field("displayName").exists();
        let display_name = if wants_name && status.as_deref() == Some("following") {
            service::profile(app, &user)
                .await?
                .and_then(|p| p["displayName"].as_str().map(str::to_string))
        } else {
            None
        };
        Ok(Me {
            line_user_id: user,
            friend_status: status.as_deref().map(FriendStatus::parse),
            display_name,
        })
    }
}
