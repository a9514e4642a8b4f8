//! Sign-in (password, then TOTP when enrolled or required), sessions that the
//! server can revoke, idle and absolute timeouts, throttling and lockout.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use super::model::Account;
use super::{accounts, totp_secret};
use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::tokens::{self, SERVICE_TOKEN_PREFIX, SESSION_COOKIE, SessionClaims};
use crate::auth::{Caller, Principal, SessionStage, StaffPrincipal, password, totp};
use crate::db::schema::{staff_accounts, staff_sessions};
use crate::error::{AppError, AppResult};

const WRONG_CREDENTIALS: &str = "ログインIDまたはパスワードが違います";
const LOCKED: &str =
    "サインインに続けて失敗したため、一時的にロックされています。しばらくしてからお試しください";

/// What a successful step of sign-in produced.
pub struct SignIn {
    pub stage: SessionStage,
    pub account: Account,
    /// `Set-Cookie` value carrying a new session token, when one was issued.
    pub cookie: Option<String>,
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Builds the caller for a request from its session cookie or service token.
/// Credentials that do not check out make an anonymous caller.
pub async fn resolve_caller(app: &App, headers: &HeaderMap, peer: SocketAddr) -> AppResult<Caller> {
    let mut caller = Caller::from_request(&app.config, headers, peer);

    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(token) = bearer {
        if token.starts_with(SERVICE_TOKEN_PREFIX)
            && let Some(service) = super::service_accounts::resolve(app, token).await?
        {
            caller.principal = Principal::Service(service);
        }
        return Ok(caller);
    }
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| tokens::cookie_value(c, SESSION_COOKIE));
    if let Some(token) = cookie
        && let Some(claims) = tokens::verify_session(app.config.session_secret.expose(), token)
        && let Some(staff) = load_session(app, &claims).await?
    {
        caller.principal = Principal::Staff(staff);
    }
    Ok(caller)
}

/// Checks the session row behind a verified token: not revoked, not past its
/// absolute or idle timeout, account enabled. Refreshes `last_seen_at`.
async fn load_session(app: &App, claims: &SessionClaims) -> AppResult<Option<StaffPrincipal>> {
    let mut conn = app.db.get().await?;
    let idle_cutoff =
        now() - chrono::Duration::from_std(app.config.session_idle).unwrap_or_default();
    let row: Option<(Uuid, String, bool, DateTime<Utc>, Account)> = staff_sessions::table
        .inner_join(staff_accounts::table)
        .filter(staff_sessions::id.eq(claims.sid))
        .filter(staff_sessions::account_id.eq(claims.sub))
        .filter(staff_sessions::revoked_at.is_null())
        .filter(staff_sessions::expires_at.gt(now()))
        .filter(staff_sessions::last_seen_at.gt(idle_cutoff))
        .filter(staff_accounts::enabled.eq(true))
        .select((
            staff_sessions::id,
            staff_sessions::stage,
            staff_sessions::second_factor,
            staff_sessions::last_seen_at,
            Account::as_select(),
        ))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((session_id, stage, second_factor, last_seen, account)) = row else {
        return Ok(None);
    };
    // Writing on every request would turn reads into writes; a minute's precision is plenty.
    if now() - last_seen > chrono::Duration::seconds(60) {
        diesel::update(staff_sessions::table.find(session_id))
            .set(staff_sessions::last_seen_at.eq(diesel::dsl::now))
            .execute(&mut conn)
            .await?;
    }
    Ok(Some(StaffPrincipal {
        account_id: account.id,
        session_id,
        login_id: account.login_id.clone(),
        display_name: account.display_name.clone(),
        permissions: account.permission_set(),
        stage: SessionStage::parse(&stage),
        second_factor,
        must_change_password: account.must_change_password,
    }))
}

/// Throttles sign-in attempts per client IP. Fails open when Redis is down:
/// the per-account lockout in PostgreSQL still protects every account.
async fn throttle(app: &App, caller: &Caller) -> AppResult<()> {
    let ip = caller.ip.as_deref().unwrap_or("unknown");
    match app
        .redis
        .count_in_window(&format!("login:ip:{ip}"), Duration::from_secs(600))
        .await
    {
        Ok(n) if n > u64::from(app.config.login_attempts_per_ip) => Err(AppError::RateLimited(
            "サインインの試行回数が多すぎます。しばらくしてからお試しください".into(),
        )),
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "login throttle unavailable");
            Ok(())
        }
    }
}

async fn audit_failure(
    app: &App,
    caller: &Caller,
    login_id: &str,
    account: Option<Uuid>,
    reason: &str,
) {
    let result = async {
        let mut conn = app.db.get().await?;
        audit::service::record_as(
            &mut conn,
            caller,
            "anonymous",
            account,
            login_id,
            "staff.login",
            account.map(|id| Target::new("staff_account", id)),
            json!({ "reason": reason }),
            Outcome::Failure,
        )
        .await
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "writing a sign-in failure to the audit log");
    }
}

/// Counts a failed password or code; locks the account at the limit.
async fn count_failure(app: &App, account_id: Uuid) -> AppResult<bool> {
    let mut conn = app.db.get().await?;
    let max = app.config.login_max_failures;
    let lock_until =
        now() + chrono::Duration::from_std(app.config.login_lockout).unwrap_or_default();
    let (count,): (i32,) = diesel::update(staff_accounts::table.find(account_id))
        .set(staff_accounts::failed_login_count.eq(staff_accounts::failed_login_count + 1))
        .returning((staff_accounts::failed_login_count,))
        .get_result(&mut conn)
        .await?;
    if count >= max {
        diesel::update(staff_accounts::table.find(account_id))
            .set((
                staff_accounts::failed_login_count.eq(0),
                staff_accounts::locked_until.eq(Some(lock_until)),
            ))
            .execute(&mut conn)
            .await?;
        return Ok(true);
    }
    Ok(false)
}

/// Step one: login id and password.
pub async fn login(
    app: &App,
    caller: &Caller,
    login_id: &str,
    password_given: &str,
) -> AppResult<SignIn> {
    throttle(app, caller).await?;
    if login_id.len() > 64 || password_given.len() > 1024 {
        return Err(AppError::Unauthenticated(WRONG_CREDENTIALS.into()));
    }
    let mut conn = app.db.get().await?;
    let account: Option<Account> = staff_accounts::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(login_id) = lower(")
                .bind::<diesel::sql_types::Text, _>(login_id.trim())
                .sql(")"),
        )
        .select(Account::as_select())
        .first(&mut conn)
        .await
        .optional()?;
    drop(conn);
    let Some(account) = account else {
        // Same work as for a real account, so timing does not reveal which ids exist.
        let _ = password::verify(password_given, password::decoy_hash()).await;
        audit_failure(app, caller, login_id, None, "unknown login id").await;
        return Err(AppError::Unauthenticated(WRONG_CREDENTIALS.into()));
    };
    if account.is_locked(now()) {
        audit_failure(app, caller, &account.login_id, Some(account.id), "locked").await;
        return Err(AppError::RateLimited(LOCKED.into()));
    }
    let ok = password::verify(password_given, &account.password_hash).await;
    if !ok || !account.enabled {
        let reason = if ok { "disabled" } else { "wrong password" };
        let locked = if ok {
            false
        } else {
            count_failure(app, account.id).await?
        };
        audit_failure(app, caller, &account.login_id, Some(account.id), reason).await;
        if locked {
            return Err(AppError::RateLimited(LOCKED.into()));
        }
        return Err(AppError::Unauthenticated(WRONG_CREDENTIALS.into()));
    }

    let stage = if account.totp_enrolled() {
        SessionStage::Totp
    } else if account.permission_set().needs_second_factor() {
        SessionStage::Enrol
    } else {
        SessionStage::Active
    };
    let session_id = Uuid::new_v4();
    let expires_at =
        now() + chrono::Duration::from_std(app.config.session_absolute).unwrap_or_default();
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    let acct = account.clone();
    conn.transaction::<(), AppError, _>(async move |conn| {
        diesel::insert_into(staff_sessions::table)
            .values((
                staff_sessions::id.eq(session_id),
                staff_sessions::account_id.eq(acct.id),
                staff_sessions::stage.eq(stage.as_str()),
                staff_sessions::second_factor.eq(false),
                staff_sessions::expires_at.eq(expires_at),
                staff_sessions::ip.eq(caller.ip.as_deref()),
                staff_sessions::user_agent.eq(caller.user_agent.as_deref()),
            ))
            .execute(conn)
            .await?;
        // The failure count starts again only once sign-in is complete: a
        // right password followed by wrong codes keeps counting to the lock.
        if stage == SessionStage::Active {
            diesel::update(staff_accounts::table.find(acct.id))
                .set(staff_accounts::failed_login_count.eq(0))
                .execute(conn)
                .await?;
            mark_signed_in(conn, acct.id).await?;
        }
        let signed_in = Caller {
            principal: Principal::Staff(principal_for(&acct, session_id, stage, false)),
            ..caller
        };
        audit::record(
            conn,
            &signed_in,
            if stage == SessionStage::Active {
                "staff.login"
            } else {
                "staff.login.password"
            },
            Some(Target::new("staff_account", acct.id)),
            json!({ "sessionId": session_id, "next": stage.as_str() }),
            Outcome::Success,
        )
        .await
    })
    .await?;
    let cookie = session_cookie(app, session_id, account.id, expires_at)?;
    Ok(SignIn {
        stage,
        account,
        cookie: Some(cookie),
    })
}

fn principal_for(
    a: &Account,
    session_id: Uuid,
    stage: SessionStage,
    second_factor: bool,
) -> StaffPrincipal {
    StaffPrincipal {
        account_id: a.id,
        session_id,
        login_id: a.login_id.clone(),
        display_name: a.display_name.clone(),
        permissions: a.permission_set(),
        stage,
        second_factor,
        must_change_password: a.must_change_password,
    }
}

async fn mark_signed_in(conn: &mut AsyncPgConnection, account_id: Uuid) -> AppResult<()> {
    diesel::update(staff_accounts::table.find(account_id))
        .set(staff_accounts::last_login_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    Ok(())
}

fn session_cookie(
    app: &App,
    session_id: Uuid,
    account_id: Uuid,
    expires_at: DateTime<Utc>,
) -> AppResult<String> {
    let claims = SessionClaims {
        sid: session_id,
        sub: account_id,
        iat: now().timestamp(),
        exp: expires_at.timestamp(),
    };
    let token = tokens::sign_session(app.config.session_secret.expose(), &claims)
        .map_err(AppError::internal)?;
    Ok(tokens::session_cookie(
        &token,
        app.config.session_absolute.as_secs(),
    ))
}

/// Step two for enrolled accounts: the TOTP code.
pub async fn verify_totp(app: &App, caller: &Caller, code: &str) -> AppResult<SignIn> {
    let staff = caller.staff_any_stage()?;
    if staff.stage != SessionStage::Totp {
        return Err(AppError::Conflict(
            "このセッションは確認コードを待っていません".into(),
        ));
    }
    throttle(app, caller).await?;
    let mut conn = app.db.get().await?;
    let account = accounts::find(&mut conn, staff.account_id).await?;
    drop(conn);
    if account.is_locked(now()) {
        return Err(AppError::RateLimited(LOCKED.into()));
    }
    let stored = account
        .totp_secret
        .clone()
        .ok_or_else(|| AppError::Conflict("二要素認証が未設定です".into()))?;
    let secret = totp_secret::open(app, account.id, &stored).await?;
    let Some(step) = totp::verify(&secret, code, now().timestamp(), account.totp_last_step) else {
        let locked = count_failure(app, account.id).await?;
        audit_failure(
            app,
            caller,
            &account.login_id,
            Some(account.id),
            "wrong totp code",
        )
        .await;
        if locked {
            revoke(app, staff.session_id).await?;
            return Err(AppError::RateLimited(LOCKED.into()));
        }
        return Err(AppError::bad_input("code", "確認コードが正しくありません"));
    };
    complete_second_factor(app, caller, account, step, false).await
}

/// Marks the session fully signed in after a good code (sign-in or enrolment).
/// The session token stays the same: its row now says `active`.
async fn complete_second_factor(
    app: &App,
    caller: &Caller,
    account: Account,
    step: i64,
    enrolment: bool,
) -> AppResult<SignIn> {
    let staff = caller.staff_any_stage()?.clone();
    let stored = if enrolment {
        account.totp_pending_secret.clone()
    } else {
        account.totp_secret.clone()
    };
    // A secret from before sealing is sealed now that it has proved itself.
    let secret = match &stored {
        Some(s) if totp_secret::is_plain(s) => Some(totp_secret::seal(app, account.id, s).await?),
        other => other.clone(),
    };
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    let account = conn
        .transaction::<Account, AppError, _>(async move |conn| {
            // Compare-and-set: of two requests presenting the same code (or
            // codes of the same step) only the first moves the step on.
            let step_is_new = staff_accounts::totp_last_step
                .is_null()
                .or(staff_accounts::totp_last_step.lt(step));
            let updated: Option<Account> =
                diesel::update(staff_accounts::table.find(account.id).filter(step_is_new))
                    .set((
                        staff_accounts::totp_secret.eq(secret),
                        staff_accounts::totp_pending_secret.eq(None::<String>),
                        staff_accounts::totp_last_step.eq(step),
                        staff_accounts::failed_login_count.eq(0),
                        staff_accounts::last_login_at.eq(diesel::dsl::now),
                    ))
                    .returning(Account::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?;
            let Some(updated) = updated else {
                return Err(AppError::bad_input(
                    "code",
                    "この確認コードは既に使われました。次のコードを入力してください",
                ));
            };
            diesel::update(staff_sessions::table.find(staff.session_id))
                .set((
                    staff_sessions::stage.eq(SessionStage::Active.as_str()),
                    staff_sessions::second_factor.eq(true),
                ))
                .execute(conn)
                .await?;
            audit::record(
                conn,
                &caller,
                if enrolment {
                    "staff.totp.enrol"
                } else {
                    "staff.login"
                },
                Some(Target::new("staff_account", account.id)),
                json!({ "sessionId": staff.session_id, "secondFactor": "totp" }),
                Outcome::Success,
            )
            .await?;
            Ok(updated)
        })
        .await?;
    Ok(SignIn {
        stage: SessionStage::Active,
        account,
        cookie: None,
    })
}

/// Starts TOTP enrolment: a new secret (pending until a code confirms it).
/// Allowed while signing in (stage `enrol`) and for signed-in accounts that have none yet.
pub async fn begin_enrolment(app: &App, caller: &Caller) -> AppResult<(String, String)> {
    let staff = caller.staff_any_stage()?;
    if staff.stage == SessionStage::Totp {
        return Err(AppError::Unauthenticated(
            "確認コードを入力してください".into(),
        ));
    }
    let mut conn = app.db.get().await?;
    let account = accounts::find(&mut conn, staff.account_id).await?;
    if account.totp_enrolled() {
        return Err(AppError::Conflict(
            "二要素認証は設定済みです。再設定は管理者に依頼してください".into(),
        ));
    }
    let secret = totp::generate_secret();
    let sealed = totp_secret::seal(app, account.id, &secret).await?;
    diesel::update(staff_accounts::table.find(account.id))
        .set(staff_accounts::totp_pending_secret.eq(&sealed))
        .execute(&mut conn)
        .await?;
    let uri = totp::provisioning_uri(&secret, &app.config.totp_issuer, &account.login_id);
    Ok((secret, uri))
}

pub async fn confirm_enrolment(app: &App, caller: &Caller, code: &str) -> AppResult<SignIn> {
    let staff = caller.staff_any_stage()?;
    if staff.stage == SessionStage::Totp {
        return Err(AppError::Unauthenticated(
            "確認コードを入力してください".into(),
        ));
    }
    let mut conn = app.db.get().await?;
    let account = accounts::find(&mut conn, staff.account_id).await?;
    drop(conn);
    let stored = account
        .totp_pending_secret
        .clone()
        .ok_or_else(|| AppError::Conflict("先に二要素認証の設定を開始してください".into()))?;
    let pending = totp_secret::open(app, account.id, &stored).await?;
    let Some(step) = totp::verify(&pending, code, now().timestamp(), None) else {
        return Err(AppError::bad_input("code", "確認コードが正しくありません"));
    };
    complete_second_factor(app, caller, account, step, true).await
}

pub async fn logout(app: &App, caller: &Caller) -> AppResult<()> {
    let staff = caller.staff_any_stage()?.clone();
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<(), AppError, _>(async move |conn| {
        diesel::update(staff_sessions::table.find(staff.session_id))
            .set(staff_sessions::revoked_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            &caller,
            "staff.logout",
            Some(Target::new("staff_account", staff.account_id)),
            json!({ "sessionId": staff.session_id }),
            Outcome::Success,
        )
        .await
    })
    .await
}

/// The account's own password change; other sessions end.
pub async fn change_password(
    app: &App,
    caller: &Caller,
    current: &str,
    new: &str,
) -> AppResult<()> {
    let staff = caller.staff()?.clone();
    password::check_policy(new, &staff.login_id, "newPassword")?;
    if current == new {
        return Err(AppError::bad_input(
            "newPassword",
            "現在と異なるパスワードにしてください",
        ));
    }
    let mut conn = app.db.get().await?;
    let account = accounts::find(&mut conn, staff.account_id).await?;
    drop(conn);
    if !password::verify(current, &account.password_hash).await {
        let _ = count_failure(app, account.id).await?;
        return Err(AppError::bad_input(
            "currentPassword",
            "現在のパスワードが違います",
        ));
    }
    let hash = password::hash(new).await?;
    let mut conn = app.db.get().await?;
    let caller = caller.clone();
    conn.transaction::<(), AppError, _>(async move |conn| {
        diesel::update(staff_accounts::table.find(staff.account_id))
            .set((
                staff_accounts::password_hash.eq(hash),
                staff_accounts::must_change_password.eq(false),
                staff_accounts::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        let ended = diesel::update(
            staff_sessions::table
                .filter(staff_sessions::account_id.eq(staff.account_id))
                .filter(staff_sessions::id.ne(staff.session_id))
                .filter(staff_sessions::revoked_at.is_null()),
        )
        .set(staff_sessions::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
        audit::record(
            conn,
            &caller,
            "staff.password.change",
            Some(Target::new("staff_account", staff.account_id)),
            json!({ "otherSessionsEnded": ended }),
            Outcome::Success,
        )
        .await
    })
    .await
}

/// Ends every open session of an account (inside the caller's transaction).
pub async fn revoke_all(conn: &mut AsyncPgConnection, account_id: Uuid) -> AppResult<usize> {
    Ok(diesel::update(
        staff_sessions::table
            .filter(staff_sessions::account_id.eq(account_id))
            .filter(staff_sessions::revoked_at.is_null()),
    )
    .set(staff_sessions::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?)
}

async fn revoke(app: &App, session_id: Uuid) -> AppResult<()> {
    let mut conn = app.db.get().await?;
    diesel::update(staff_sessions::table.find(session_id))
        .set(staff_sessions::revoked_at.eq(diesel::dsl::now))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// The clean-up job: sessions long past their expiry are deleted. On the
/// `maintenance` queue (one worker does it, whichever takes the job).
#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(tag = "task", rename = "expire_sessions")]
pub struct ExpireSessions {}

impl crate::registry::Task for ExpireSessions {
    const QUEUE: &'static str = "maintenance";
}

pub async fn expire_sessions(app: &App) -> anyhow::Result<()> {
    let mut conn = app.db.get().await?;
    let cutoff = now() - chrono::Duration::days(30);
    let n = diesel::delete(staff_sessions::table.filter(staff_sessions::expires_at.lt(cutoff)))
        .execute(&mut conn)
        .await?;
    tracing::info!(deleted = n, "expired staff sessions removed");
    Ok(())
}
