use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::auth::PermissionSet;
use crate::db::schema::{service_accounts, staff_accounts, teams};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = staff_accounts)]
pub struct Account {
    pub id: Uuid,
    pub login_id: String,
    pub display_name: String,
    pub team_id: Option<Uuid>,
    pub permissions: Vec<String>,
    pub password_hash: String,
    pub must_change_password: bool,
    pub enabled: bool,
    pub totp_secret: Option<String>,
    pub totp_pending_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub failed_login_count: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Account {
    pub fn permission_set(&self) -> PermissionSet {
        PermissionSet::from_names(&self.permissions)
    }
    pub fn totp_enrolled(&self) -> bool {
        self.totp_secret.is_some()
    }
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }
}

#[derive(Insertable)]
#[diesel(table_name = staff_accounts)]
pub struct NewAccount {
    pub id: Uuid,
    pub login_id: String,
    pub display_name: String,
    pub team_id: Option<Uuid>,
    pub permissions: Vec<String>,
    pub password_hash: String,
    pub must_change_password: bool,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivery_requires_approval: bool,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = service_accounts)]
pub struct ServiceAccount {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub token_hint: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}
