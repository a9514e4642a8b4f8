//! Service accounts for other prefecture systems: API tokens shown once,
//! stored as a hash, scoped to permissions, used as `Authorization: Bearer`.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::model::ServiceAccount;
use super::validate;
use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::tokens;
use crate::auth::{Caller, Permission, ServicePrincipal};
use crate::db::schema::service_accounts;
use crate::error::{AppError, AppResult, Problems};

pub async fn list(app: &App, caller: &Caller) -> AppResult<Vec<ServiceAccount>> {
    caller.require(Permission::StaffManage)?;
    let mut conn = app.db.get().await?;
    Ok(service_accounts::table
        .order(service_accounts::created_at.desc())
        .select(ServiceAccount::as_select())
        .load(&mut conn)
        .await?)
}

pub struct CreateInput {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
}

/// Creates the account and returns its token, which is never shown again.
pub async fn create(
    app: &App,
    caller: &Caller,
    input: CreateInput,
) -> AppResult<(ServiceAccount, String)> {
    caller.require(Permission::StaffManage)?;
    let mut p = Problems::new();
    let name_len = input.name.trim().chars().count();
    p.check(
        (1..=100).contains(&name_len),
        "name",
        "名前は1〜100文字で入力してください",
    );
    p.check(
        input.description.chars().count() <= 500,
        "description",
        "説明は500文字以内で入力してください",
    );
    let perms = validate::permissions(&mut p, "permissions", &input.permissions, None);
    for (i, perm) in input.permissions.iter().enumerate() {
        if Permission::parse(perm).is_some_and(Permission::requires_second_factor) {
            // A token cannot present a second factor, so personal-data permissions stay with people.
            p.add(
                format!("permissions[{i}]"),
                "個人情報に関わる権限はサービスアカウントに付与できません",
            );
        }
    }
    p.check(
        !perms.names().is_empty(),
        "permissions",
        "権限を1つ以上選んでください",
    );
    p.into_result()?;

    let (token, hash) = tokens::new_service_token();
    let hint: String = token.chars().take(8).collect();
    let created_by = caller.staff().ok().map(|s| s.account_id);
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    let account = conn
        .transaction::<ServiceAccount, AppError, _>(async move |conn| {
            let account: ServiceAccount = diesel::insert_into(service_accounts::table)
                .values((
                    service_accounts::id.eq(Uuid::new_v4()),
                    service_accounts::name.eq(input.name.trim()),
                    service_accounts::description.eq(input.description.trim()),
                    service_accounts::permissions.eq(perms.names()),
                    service_accounts::token_hash.eq(hash),
                    service_accounts::token_hint.eq(hint),
                    service_accounts::created_by.eq(created_by),
                ))
                .returning(ServiceAccount::as_returning())
                .get_result(conn)
                .await?;
            audit::record(
                conn,
                &caller,
                "staff.service_account.create",
                Some(Target::new("service_account", account.id)),
                json!({ "name": account.name, "permissions": account.permissions }),
                Outcome::Success,
            )
            .await?;
            Ok(account)
        })
        .await?;
    Ok((account, token))
}

pub async fn revoke(app: &App, caller: &Caller, id: Uuid) -> AppResult<ServiceAccount> {
    caller.require(Permission::StaffManage)?;
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<ServiceAccount, AppError, _>(async move |conn| {
        let account: ServiceAccount = service_accounts::table
            .find(id)
            .select(ServiceAccount::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or_else(|| AppError::NotFound("service account".into()))?;
        if account.revoked_at.is_some() {
            return Err(AppError::Conflict("既に失効しています".into()));
        }
        let account: ServiceAccount = diesel::update(service_accounts::table.find(id))
            .set(service_accounts::revoked_at.eq(diesel::dsl::now))
            .returning(ServiceAccount::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            &caller,
            "staff.service_account.revoke",
            Some(Target::new("service_account", id)),
            json!({ "name": account.name }),
            Outcome::Success,
        )
        .await?;
        Ok(account)
    })
    .await
}

/// The service principal behind a bearer token, if the token is live.
pub async fn resolve(app: &App, token: &str) -> AppResult<Option<ServicePrincipal>> {
    let hash = tokens::hash_service_token(token);
    let mut conn = app.db.get().await?;
    let account: Option<ServiceAccount> = service_accounts::table
        .filter(service_accounts::token_hash.eq(hash))
        .filter(service_accounts::revoked_at.is_null())
        .select(ServiceAccount::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    let Some(account) = account else {
        return Ok(None);
    };
    let stale = account
        .last_used_at
        .is_none_or(|t| chrono::Utc::now() - t > chrono::Duration::seconds(60));
    if stale {
        diesel::update(service_accounts::table.find(account.id))
            .set(service_accounts::last_used_at.eq(diesel::dsl::now))
            .execute(&mut conn)
            .await?;
    }
    Ok(Some(ServicePrincipal {
        id: account.id,
        permissions: crate::auth::PermissionSet::from_names(&account.permissions),
        name: account.name,
    }))
}
