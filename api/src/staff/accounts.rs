//! Staff accounts: list, create, edit, enable/disable, password and TOTP resets.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::model::{Account, NewAccount};
use super::{sessions, validate};
use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::{Caller, Permission, PermissionSet, Principal, password};
use crate::db::schema::{staff_accounts, teams};
use crate::error::{AppError, AppResult, Problems};

#[derive(Default)]
pub struct ListFilter {
    /// Part of the login id or the name.
    pub search: Option<String>,
    pub team_id: Option<Uuid>,
    pub enabled: Option<bool>,
}

pub async fn list(
    app: &App,
    caller: &Caller,
    filter: &ListFilter,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<Account>, i64)> {
    caller.require(Permission::StaffManage)?;
    let mut p = Problems::new();
    p.check(
        (1..=200).contains(&limit),
        "limit",
        "1〜200の範囲で指定してください",
    );
    p.check(offset >= 0, "offset", "0以上で指定してください");
    p.into_result()?;
    let build = || {
        let mut q = staff_accounts::table.into_boxed();
        if let Some(s) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let pattern = format!("%{}%", audit::service::escape_like(s));
            q = q.filter(
                staff_accounts::login_id
                    .ilike(pattern.clone())
                    .or(staff_accounts::display_name.ilike(pattern)),
            );
        }
        if let Some(t) = filter.team_id {
            q = q.filter(staff_accounts::team_id.eq(t));
        }
        if let Some(e) = filter.enabled {
            q = q.filter(staff_accounts::enabled.eq(e));
        }
        q
    };
    let mut conn = app.db.get().await?;
    let total = build().count().get_result(&mut conn).await?;
    let rows = build()
        .order(staff_accounts::login_id.asc())
        .offset(offset)
        .limit(limit)
        .select(Account::as_select())
        .load(&mut conn)
        .await?;
    Ok((rows, total))
}

/// The id of the account signing in as `login_id` (for the demo's seeding; no permission).
pub async fn id_of_login(
    conn: &mut AsyncPgConnection,
    login_id: &str,
) -> QueryResult<Option<Uuid>> {
    staff_accounts::table
        .filter(staff_accounts::login_id.eq(login_id))
        .select(staff_accounts::id)
        .first(conn)
        .await
        .optional()
}

pub async fn get(app: &App, caller: &Caller, id: Uuid) -> AppResult<Account> {
    caller.require(Permission::StaffManage)?;
    let mut conn = app.db.get().await?;
    find(&mut conn, id).await
}

/// The name an account shows under (others greet staff by it).
pub async fn display_name_of(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<String>> {
    staff_accounts::table
        .find(id)
        .select(staff_accounts::display_name)
        .first(conn)
        .await
        .optional()
}

pub(crate) async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<Account> {
    staff_accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::NotFound("staff account".into()))
}

async fn lock(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<Account> {
    staff_accounts::table
        .find(id)
        .select(Account::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::NotFound("staff account".into()))
}

pub struct CreateInput {
    pub login_id: String,
    pub display_name: String,
    pub team_id: Option<Uuid>,
    pub permissions: Vec<String>,
    pub preset: Option<String>,
    /// Omitted: a temporary password is generated and must be changed at first sign-in.
    pub password: Option<String>,
}

pub struct Created {
    pub account: Account,
    /// Present when generated: shown to the administrator once.
    pub temporary_password: Option<String>,
}

pub(crate) async fn team_exists(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(teams::table.find(id)))
        .get_result(conn)
        .await?)
}

fn login_taken() -> AppError {
    AppError::Conflict("このログインIDは既に使われています".into())
}

pub async fn create(app: &App, caller: &Caller, input: CreateInput) -> AppResult<Created> {
    caller.require(Permission::StaffManage)?;
    let mut p = Problems::new();
    validate::login_id(&mut p, "loginId", &input.login_id);
    validate::display_name(&mut p, "displayName", &input.display_name);
    let perms = validate::permissions(
        &mut p,
        "permissions",
        &input.permissions,
        input.preset.as_deref(),
    );
    let from_shell = matches!(caller.principal, Principal::System);
    if let Some(pw) = &input.password {
        if let Err(AppError::BadInput(errs)) =
            password::check_policy(pw, &input.login_id, "password")
        {
            errs.into_iter().for_each(|e| p.add(e.field, e.message));
        }
        // Someone who knows a personal-data account's password could use it:
        // such accounts always start from a generated, one-time password.
        if !from_shell && perms.needs_second_factor() {
            p.add(
                "password",
                "個人情報に関わる権限を持つアカウントのパスワードは指定できません（仮パスワードが発行されます）",
            );
        }
    }
    p.into_result()?;
    caller.require_grant(perms.iter())?;

    let (password, temporary) = match input.password {
        Some(pw) => (pw, None),
        None => {
            let t = password::generate_temporary();
            (t.clone(), Some(t))
        }
    };
    let hash = password::hash(&password).await?;
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    // A password someone else chose is not the holder's own: it is changed
    // at first sign-in (only the command line's bootstrap sets a final one).
    let must_change = temporary.is_some() || !from_shell;
    let account = conn
        .transaction::<Account, AppError, _>(async move |conn| {
            if let Some(team) = input.team_id
                && !team_exists(conn, team).await?
            {
                return Err(AppError::bad_input(
                    "teamId",
                    "指定されたチームがありません",
                ));
            }
            let new = NewAccount {
                id: Uuid::new_v4(),
                login_id: input.login_id.trim().to_string(),
                display_name: input.display_name.trim().to_string(),
                team_id: input.team_id,
                permissions: perms.names(),
                password_hash: hash,
                must_change_password: must_change,
            };
            let account = insert(conn, new).await?;
            record_personal_data_grant(conn, &caller, &account, &PermissionSet::default()).await?;
            audit::record(
                conn,
                &caller,
                "staff.account.create",
                Some(Target::new("staff_account", account.id)),
                json!({
                    "loginId": account.login_id,
                    "displayName": account.display_name,
                    "teamId": account.team_id,
                    "permissions": account.permissions,
                }),
                Outcome::Success,
            )
            .await?;
            Ok(account)
        })
        .await?;
    Ok(Created {
        account,
        temporary_password: temporary,
    })
}

pub(crate) async fn insert(conn: &mut AsyncPgConnection, new: NewAccount) -> AppResult<Account> {
    diesel::insert_into(staff_accounts::table)
        .values(new)
        .returning(Account::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict(_) => login_taken(),
            other => other,
        })
}

pub struct UpdateInput {
    pub display_name: Option<String>,
    /// `Some(None)` removes the account from its team.
    pub team_id: Option<Option<Uuid>>,
    pub permissions: Option<Vec<String>>,
}

pub async fn update(
    app: &App,
    caller: &Caller,
    id: Uuid,
    input: UpdateInput,
) -> AppResult<Account> {
    caller.require(Permission::StaffManage)?;
    let mut p = Problems::new();
    if let Some(n) = &input.display_name {
        validate::display_name(&mut p, "displayName", n);
    }
    let perms: Option<PermissionSet> = input
        .permissions
        .as_ref()
        .map(|names| validate::permissions(&mut p, "permissions", names, None));
    p.into_result()?;
    let self_id = caller.staff().ok().map(|s| s.account_id);
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<Account, AppError, _>(async move |conn| {
        let before = lock(conn, id).await?;
        if let Some(Some(team)) = input.team_id
            && !team_exists(conn, team).await?
        {
            return Err(AppError::bad_input("teamId", "指定されたチームがありません"));
        }
        if self_id == Some(id)
            && let Some(perms) = &perms
            && !perms.contains(Permission::StaffManage)
        {
            // Without this an administrator could lock everybody out by accident.
            return Err(AppError::bad_input("permissions", "自分自身のアカウント管理権限は外せません"));
        }
        if let Some(perms) = &perms {
            let held = before.permission_set();
            caller.require_grant(perms.iter().filter(|p| !held.contains(*p)))?;
        }
        let display_name = input.display_name.as_deref().map(str::trim).unwrap_or(&before.display_name).to_string();
        let team_id = input.team_id.unwrap_or(before.team_id);
        let permissions = perms.map(|p| p.names()).unwrap_or_else(|| before.permissions.clone());
        let after: Account = diesel::update(staff_accounts::table.find(id))
            .set((
                staff_accounts::display_name.eq(&display_name),
                staff_accounts::team_id.eq(team_id),
                staff_accounts::permissions.eq(&permissions),
                staff_accounts::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Account::as_returning())
            .get_result(conn)
            .await?;
        record_personal_data_grant(conn, &caller, &after, &before.permission_set()).await?;
        audit::record(
            conn,
            &caller,
            "staff.account.update",
            Some(Target::new("staff_account", id)),
            json!({
                "loginId": after.login_id,
                "before": { "displayName": before.display_name, "teamId": before.team_id, "permissions": before.permissions },
                "after": { "displayName": after.display_name, "teamId": after.team_id, "permissions": after.permissions },
            }),
            Outcome::Success,
        )
        .await?;
        Ok(after)
    })
    .await
}

/// Disabling ends every session of the account at once.
pub async fn set_enabled(
    app: &App,
    caller: &Caller,
    id: Uuid,
    enabled: bool,
) -> AppResult<Account> {
    caller.require(Permission::StaffManage)?;
    if !enabled && caller.staff().ok().map(|s| s.account_id) == Some(id) {
        return Err(AppError::bad_input(
            "enabled",
            "自分自身のアカウントは無効にできません",
        ));
    }
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<Account, AppError, _>(async move |conn| {
        let before = lock(conn, id).await?;
        let after: Account = diesel::update(staff_accounts::table.find(id))
            .set((
                staff_accounts::enabled.eq(enabled),
                staff_accounts::failed_login_count.eq(0),
                staff_accounts::locked_until.eq(None::<chrono::DateTime<chrono::Utc>>),
                staff_accounts::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Account::as_returning())
            .get_result(conn)
            .await?;
        let ended = if enabled { 0 } else { sessions::revoke_all(conn, id).await? };
        audit::record(
            conn,
            &caller,
            if enabled { "staff.account.enable" } else { "staff.account.disable" },
            Some(Target::new("staff_account", id)),
            json!({ "loginId": before.login_id, "before": before.enabled, "after": enabled, "sessionsEnded": ended }),
            Outcome::Success,
        )
        .await?;
        Ok(after)
    })
    .await
}

/// An administrator's reset: a new temporary password, all sessions ended.
pub async fn reset_password(app: &App, caller: &Caller, id: Uuid) -> AppResult<String> {
    caller.require(Permission::StaffManage)?;
    let temporary = password::generate_temporary();
    let hash = password::hash(&temporary).await?;
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<(), AppError, _>(async move |conn| {
        let account = lock(conn, id).await?;
        // Whoever sets a password could sign in with it: taking over an
        // account's credentials is granting its permissions.
        caller.require_grant(account.permission_set().iter())?;
        diesel::update(staff_accounts::table.find(id))
            .set((
                staff_accounts::password_hash.eq(hash),
                staff_accounts::must_change_password.eq(true),
                staff_accounts::failed_login_count.eq(0),
                staff_accounts::locked_until.eq(None::<chrono::DateTime<chrono::Utc>>),
                staff_accounts::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        let ended = sessions::revoke_all(conn, id).await?;
        audit::record(
            conn,
            &caller,
            "staff.account.reset_password",
            Some(Target::new("staff_account", id)),
            json!({ "loginId": account.login_id, "sessionsEnded": ended }),
            Outcome::Success,
        )
        .await
    })
    .await?;
    Ok(temporary)
}

/// Removes the TOTP authenticator (lost phone); the account enrols again at next sign-in.
pub async fn reset_totp(app: &App, caller: &Caller, id: Uuid) -> AppResult<Account> {
    caller.require(Permission::StaffManage)?;
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<Account, AppError, _>(async move |conn| {
        let before = lock(conn, id).await?;
        caller.require_grant(before.permission_set().iter())?;
        let after: Account = diesel::update(staff_accounts::table.find(id))
            .set((
                staff_accounts::totp_secret.eq(None::<String>),
                staff_accounts::totp_pending_secret.eq(None::<String>),
                staff_accounts::totp_last_step.eq(None::<i64>),
                staff_accounts::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Account::as_returning())
            .get_result(conn)
            .await?;
        let ended = sessions::revoke_all(conn, id).await?;
        audit::record(
            conn,
            &caller,
            "staff.account.reset_totp",
            Some(Target::new("staff_account", id)),
            json!({ "loginId": before.login_id, "wasEnrolled": before.totp_secret.is_some(), "sessionsEnded": ended }),
            Outcome::Success,
        )
        .await?;
        Ok(after)
    })
    .await
}

/// Its own audit row whenever an account gains permissions that open
/// personal data, so such grants are found without reading every update.
pub(crate) async fn record_personal_data_grant(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    account: &Account,
    held_before: &PermissionSet,
) -> AppResult<()> {
    let granted: Vec<&str> = account
        .permission_set()
        .iter()
        .filter(|p| p.requires_second_factor() && !held_before.contains(*p))
        .map(Permission::name)
        .collect();
    if granted.is_empty() {
        return Ok(());
    }
    audit::record(
        conn,
        caller,
        "staff.permission.grant_personal_data",
        Some(Target::new("staff_account", account.id)),
        json!({ "loginId": account.login_id, "granted": granted }),
        Outcome::Success,
    )
    .await
}
