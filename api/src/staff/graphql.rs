//! The staff-identity part of the GraphQL API.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::model::{Account, ServiceAccount as ServiceAccountRow};
use super::{accounts, import, service_accounts, sessions, teams};
use crate::app::App;
use crate::auth::permission::{CATALOGUE, PRESETS};
use crate::auth::{Principal, SessionStage, tokens};
use crate::error::AppError;
use crate::gql::ContextExt;

#[derive(SimpleObject, Clone)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Accounts in the team (only filled in the team list).
    pub member_count: Option<i64>,
    /// Its members' deliveries need another person's approval before sending.
    pub delivery_requires_approval: bool,
}

impl From<super::model::Team> for Team {
    fn from(t: super::model::Team) -> Self {
        Self {
            id: t.id,
            name: t.name,
            description: t.description,
            member_count: None,
            delivery_requires_approval: t.delivery_requires_approval,
        }
    }
}

#[derive(SimpleObject)]
pub struct StaffAccount {
    pub id: Uuid,
    pub login_id: String,
    pub display_name: String,
    pub team: Option<Team>,
    pub permissions: Vec<String>,
    pub enabled: bool,
    /// A temporary password is in use: the account must change it at sign-in.
    pub must_change_password: bool,
    pub totp_enrolled: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

async fn present(app: &App, rows: Vec<Account>) -> Result<Vec<StaffAccount>> {
    let ids: Vec<Uuid> = rows.iter().filter_map(|a| a.team_id).collect();
    let teams = teams::get_many(app, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|a| StaffAccount {
            team: a
                .team_id
                .and_then(|id| teams.iter().find(|t| t.id == id).cloned().map(Into::into)),
            totp_enrolled: a.totp_enrolled(),
            locked_until: a.locked_until.filter(|t| *t > Utc::now()),
            id: a.id,
            login_id: a.login_id,
            display_name: a.display_name,
            permissions: a.permissions,
            enabled: a.enabled,
            must_change_password: a.must_change_password,
            last_login_at: a.last_login_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
        })
        .collect())
}

async fn present_one(app: &App, a: Account) -> Result<StaffAccount> {
    Ok(present(app, vec![a]).await?.remove(0))
}

#[derive(SimpleObject)]
pub struct PermissionInfo {
    pub name: String,
    /// Group shown in the console.
    pub group: String,
    pub description: String,
    /// Usable only in a session that passed the TOTP second factor.
    pub requires_second_factor: bool,
    /// False while the capability it opens is not built yet (shown as 準備中).
    pub available: bool,
}

#[derive(SimpleObject)]
pub struct RolePreset {
    pub key: String,
    pub label: String,
    pub permissions: Vec<String>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SignInStage {
    /// Fully signed in.
    SignedIn,
    /// Enter the code from the authenticator app (`verifyTotp`).
    TotpRequired,
    /// Set up an authenticator first (`beginTotpEnrolment`, `confirmTotpEnrolment`).
    TotpEnrolmentRequired,
}

impl From<SessionStage> for SignInStage {
    fn from(s: SessionStage) -> Self {
        match s {
            SessionStage::Active => Self::SignedIn,
            SessionStage::Totp => Self::TotpRequired,
            SessionStage::Enrol => Self::TotpEnrolmentRequired,
        }
    }
}

#[derive(SimpleObject)]
pub struct Viewer {
    pub account: StaffAccount,
    pub stage: SignInStage,
    /// This session passed the second factor.
    pub second_factor: bool,
}

#[derive(SimpleObject)]
pub struct SignInPayload {
    pub stage: SignInStage,
    pub viewer: Viewer,
}

#[derive(SimpleObject)]
pub struct TotpEnrolment {
    /// Base32 secret, for typing in by hand.
    pub secret: String,
    /// `otpauth://` URI to show as a QR code.
    pub otpauth_uri: String,
}

#[derive(SimpleObject)]
pub struct CreateStaffAccountPayload {
    pub account: StaffAccount,
    /// The generated temporary password, shown this once (null when a password was given).
    pub temporary_password: Option<String>,
}

#[derive(SimpleObject)]
pub struct ResetPasswordPayload {
    pub account_id: Uuid,
    /// Shown this once; the account must change it at sign-in.
    pub temporary_password: String,
}

#[derive(SimpleObject)]
pub struct StaffAccountPage {
    pub items: Vec<StaffAccount>,
    pub total_count: i64,
}

#[derive(SimpleObject)]
pub struct ServiceAccount {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    /// The first characters of the token, to recognise it.
    pub token_hint: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ServiceAccountRow> for ServiceAccount {
    fn from(s: ServiceAccountRow) -> Self {
        Self {
            id: s.id,
            name: s.name,
            description: s.description,
            permissions: s.permissions,
            token_hint: s.token_hint,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            revoked_at: s.revoked_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreateServiceAccountPayload {
    pub service_account: ServiceAccount,
    /// The API token, shown this once. Use it as `Authorization: Bearer <token>`.
    pub token: String,
}

#[derive(SimpleObject)]
pub struct StaffImportRow {
    pub line: i32,
    pub login_id: String,
    pub display_name: String,
    pub team: String,
    pub permissions: Vec<String>,
    pub errors: Vec<crate::error::FieldError>,
}

#[derive(SimpleObject)]
pub struct ImportedAccount {
    pub login_id: String,
    pub temporary_password: String,
}

#[derive(SimpleObject)]
pub struct StaffImportResult {
    /// False for a preview (`dryRun`).
    pub applied: bool,
    pub rows: Vec<StaffImportRow>,
    pub error_count: i32,
    /// Teams the file names that do not exist yet (created on import).
    pub new_teams: Vec<String>,
    /// Created accounts with their temporary passwords, shown this once.
    pub created: Vec<ImportedAccount>,
}

#[derive(InputObject, Default)]
pub struct StaffAccountFilter {
    /// Part of the login id or the name.
    pub search: Option<String>,
    pub team_id: Option<Uuid>,
    pub enabled: Option<bool>,
}

#[derive(InputObject)]
pub struct LoginInput {
    pub login_id: String,
    pub password: String,
}

#[derive(InputObject)]
pub struct TeamInput {
    pub name: String,
    #[graphql(default)]
    pub description: String,
}

#[derive(InputObject)]
pub struct CreateStaffAccountInput {
    pub login_id: String,
    pub display_name: String,
    pub team_id: Option<Uuid>,
    #[graphql(default)]
    pub permissions: Vec<String>,
    /// A role preset whose permissions are added (see `rolePresets`).
    pub preset: Option<String>,
    /// Omit to generate a temporary password that must be changed at first sign-in.
    pub password: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateStaffAccountInput {
    pub display_name: Option<String>,
    /// null removes the account from its team; omitted leaves it unchanged.
    pub team_id: MaybeUndefined<Uuid>,
    /// Replaces all permissions when given.
    pub permissions: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
}

#[derive(InputObject)]
pub struct CreateServiceAccountInput {
    pub name: String,
    #[graphql(default)]
    pub description: String,
    pub permissions: Vec<String>,
}

async fn viewer_for(
    ctx: &Context<'_>,
    account: Account,
    stage: SessionStage,
    second_factor: bool,
) -> Result<Viewer> {
    Ok(Viewer {
        account: present_one(ctx.app(), account).await?,
        stage: stage.into(),
        second_factor,
    })
}

#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// The signed-in staff member (also while sign-in waits for the second
    /// factor); null when not signed in. Needs no permission.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Option<Viewer>> {
        let Principal::Staff(s) = &ctx.caller().principal else {
            return Ok(None);
        };
        let mut conn = ctx.app().db.get().await.map_err(AppError::from)?;
        let account = accounts::find(&mut conn, s.account_id).await?;
        Ok(Some(
            viewer_for(ctx, account, s.stage, s.second_factor).await?,
        ))
    }

    /// Every permission with its description. Needs a signed-in caller.
    async fn permission_catalogue(&self, ctx: &Context<'_>) -> Result<Vec<PermissionInfo>> {
        ctx.caller().require_signed_in()?;
        Ok(CATALOGUE
            .iter()
            .map(|i| PermissionInfo {
                name: i.name.into(),
                group: i.group.into(),
                description: i.description.into(),
                requires_second_factor: i.requires_second_factor,
                available: i.permission.available(),
            })
            .collect())
    }

    /// Role presets: named bundles of permissions. Needs a signed-in caller.
    async fn role_presets(&self, ctx: &Context<'_>) -> Result<Vec<RolePreset>> {
        ctx.caller().require_signed_in()?;
        Ok(PRESETS
            .iter()
            .map(|p| RolePreset {
                key: p.key.into(),
                label: p.label.into(),
                permissions: p.permissions.iter().map(|x| x.name().to_string()).collect(),
            })
            .collect())
    }

    /// Staff accounts. Needs `staff.manage`.
    async fn staff_accounts(
        &self,
        ctx: &Context<'_>,
        filter: Option<StaffAccountFilter>,
        #[graphql(default = 0)] offset: i64,
        #[graphql(default = 50)] limit: i64,
    ) -> Result<StaffAccountPage> {
        let f = filter.unwrap_or_default();
        let filter = accounts::ListFilter {
            search: f.search,
            team_id: f.team_id,
            enabled: f.enabled,
        };
        let (rows, total) = accounts::list(ctx.app(), ctx.caller(), &filter, offset, limit).await?;
        Ok(StaffAccountPage {
            items: present(ctx.app(), rows).await?,
            total_count: total,
        })
    }

    /// One staff account. Needs `staff.manage`.
    async fn staff_account(&self, ctx: &Context<'_>, id: Uuid) -> Result<StaffAccount> {
        let a = accounts::get(ctx.app(), ctx.caller(), id).await?;
        present_one(ctx.app(), a).await
    }

    /// Teams with their member counts. Needs `staff.manage`.
    async fn teams(&self, ctx: &Context<'_>) -> Result<Vec<Team>> {
        Ok(teams::list(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(|(t, n)| Team {
                member_count: Some(n),
                ..t.into()
            })
            .collect())
    }

    /// Service accounts (tokens are never shown again). Needs `staff.manage`.
    async fn service_accounts(&self, ctx: &Context<'_>) -> Result<Vec<ServiceAccount>> {
        Ok(service_accounts::list(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// Signs in with login id and password; sets the session cookie. The
    /// stage says whether a TOTP code or TOTP enrolment is still due.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<SignInPayload> {
        let s = sessions::login(ctx.app(), ctx.caller(), &input.login_id, &input.password).await?;
        if let Some(cookie) = &s.cookie {
            ctx.append_http_header("set-cookie", cookie.as_str());
        }
        let second_factor = false;
        Ok(SignInPayload {
            stage: s.stage.into(),
            viewer: viewer_for(ctx, s.account, s.stage, second_factor).await?,
        })
    }

    /// The second sign-in step: the 6-digit code from the authenticator app.
    async fn verify_totp(&self, ctx: &Context<'_>, code: String) -> Result<SignInPayload> {
        let s = sessions::verify_totp(ctx.app(), ctx.caller(), &code).await?;
        Ok(SignInPayload {
            stage: s.stage.into(),
            viewer: viewer_for(ctx, s.account, s.stage, true).await?,
        })
    }

    /// Starts TOTP enrolment; returns the secret and the URI for a QR code.
    async fn begin_totp_enrolment(&self, ctx: &Context<'_>) -> Result<TotpEnrolment> {
        let (secret, otpauth_uri) = sessions::begin_enrolment(ctx.app(), ctx.caller()).await?;
        Ok(TotpEnrolment {
            secret,
            otpauth_uri,
        })
    }

    /// Confirms enrolment with a code from the app; the session is then fully signed in.
    async fn confirm_totp_enrolment(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> Result<SignInPayload> {
        let s = sessions::confirm_enrolment(ctx.app(), ctx.caller(), &code).await?;
        Ok(SignInPayload {
            stage: s.stage.into(),
            viewer: viewer_for(ctx, s.account, s.stage, true).await?,
        })
    }

    /// Ends this session and clears the cookie.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        sessions::logout(ctx.app(), ctx.caller()).await?;
        ctx.append_http_header("set-cookie", tokens::clear_session_cookie());
        Ok(true)
    }

    /// Changes the signed-in account's password; its other sessions end.
    async fn change_password(&self, ctx: &Context<'_>, input: ChangePasswordInput) -> Result<bool> {
        sessions::change_password(
            ctx.app(),
            ctx.caller(),
            &input.current_password,
            &input.new_password,
        )
        .await
        .map_err(|e| e.under("input"))?;
        Ok(true)
    }

    /// Needs `staff.manage`.
    async fn create_team(&self, ctx: &Context<'_>, input: TeamInput) -> Result<Team> {
        let t = teams::create(
            ctx.app(),
            ctx.caller(),
            teams::TeamInput {
                name: input.name,
                description: input.description,
            },
        )
        .await
        .map_err(|e| e.under("input"))?;
        Ok(t.into())
    }

    /// Needs `staff.manage`.
    async fn update_team(&self, ctx: &Context<'_>, id: Uuid, input: TeamInput) -> Result<Team> {
        let t = teams::update(
            ctx.app(),
            ctx.caller(),
            id,
            teams::TeamInput {
                name: input.name,
                description: input.description,
            },
        )
        .await
        .map_err(|e| e.under("input"))?;
        Ok(t.into())
    }

    /// Deletes a team without members. Needs `staff.manage`.
    async fn delete_team(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        teams::delete(ctx.app(), ctx.caller(), id).await?;
        Ok(true)
    }

    /// Needs `staff.manage`.
    async fn create_staff_account(
        &self,
        ctx: &Context<'_>,
        input: CreateStaffAccountInput,
    ) -> Result<CreateStaffAccountPayload> {
        let created = accounts::create(
            ctx.app(),
            ctx.caller(),
            accounts::CreateInput {
                login_id: input.login_id,
                display_name: input.display_name,
                team_id: input.team_id,
                permissions: input.permissions,
                preset: input.preset,
                password: input.password,
            },
        )
        .await
        .map_err(|e| e.under("input"))?;
        Ok(CreateStaffAccountPayload {
            account: present_one(ctx.app(), created.account).await?,
            temporary_password: created.temporary_password,
        })
    }

    /// Changes name, team or permissions. Needs `staff.manage`.
    async fn update_staff_account(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateStaffAccountInput,
    ) -> Result<StaffAccount> {
        let team_id = match input.team_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(v) => Some(Some(v)),
        };
        let a = accounts::update(
            ctx.app(),
            ctx.caller(),
            id,
            accounts::UpdateInput {
                display_name: input.display_name,
                team_id,
                permissions: input.permissions,
            },
        )
        .await
        .map_err(|e| e.under("input"))?;
        present_one(ctx.app(), a).await
    }

    /// Enables or disables an account; disabling ends its sessions at once. Needs `staff.manage`.
    async fn set_staff_account_enabled(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        enabled: bool,
    ) -> Result<StaffAccount> {
        let a = accounts::set_enabled(ctx.app(), ctx.caller(), id, enabled).await?;
        present_one(ctx.app(), a).await
    }

    /// Issues a temporary password and ends the account's sessions. Needs `staff.manage`.
    async fn reset_staff_password(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> Result<ResetPasswordPayload> {
        let temporary_password = accounts::reset_password(ctx.app(), ctx.caller(), id).await?;
        Ok(ResetPasswordPayload {
            account_id: id,
            temporary_password,
        })
    }

    /// Removes the account's authenticator (e.g. a lost phone). Needs `staff.manage`.
    async fn reset_staff_totp(&self, ctx: &Context<'_>, id: Uuid) -> Result<StaffAccount> {
        let a = accounts::reset_totp(ctx.app(), ctx.caller(), id).await?;
        present_one(ctx.app(), a).await
    }

    /// Imports accounts from CSV (columns login_id, display_name, team,
    /// permissions, role; Japanese headers accepted). With `dryRun` only
    /// reports; otherwise imports all rows or, if any row is bad, nothing.
    /// Needs `staff.manage`.
    async fn import_staff_accounts(
        &self,
        ctx: &Context<'_>,
        csv: String,
        #[graphql(default = false)] dry_run: bool,
    ) -> Result<StaffImportResult> {
        let report = import::import(ctx.app(), ctx.caller(), &csv, dry_run).await?;
        Ok(StaffImportResult {
            applied: report.applied,
            error_count: report.error_count() as i32,
            new_teams: report.new_teams.clone(),
            created: report
                .created
                .iter()
                .map(|(l, p)| ImportedAccount {
                    login_id: l.clone(),
                    temporary_password: p.clone(),
                })
                .collect(),
            rows: report
                .rows
                .into_iter()
                .map(|r| StaffImportRow {
                    line: r.line as i32,
                    login_id: r.login_id,
                    display_name: r.display_name,
                    team: r.team,
                    permissions: r.permissions,
                    errors: r.errors,
                })
                .collect(),
        })
    }

    /// Creates a service account and returns its token once. Needs `staff.manage`.
    async fn create_service_account(
        &self,
        ctx: &Context<'_>,
        input: CreateServiceAccountInput,
    ) -> Result<CreateServiceAccountPayload> {
        let (account, token) = service_accounts::create(
            ctx.app(),
            ctx.caller(),
            service_accounts::CreateInput {
                name: input.name,
                description: input.description,
                permissions: input.permissions,
            },
        )
        .await
        .map_err(|e| e.under("input"))?;
        Ok(CreateServiceAccountPayload {
            service_account: account.into(),
            token,
        })
    }

    /// Revokes a service account's token at once. Needs `staff.manage`.
    async fn revoke_service_account(&self, ctx: &Context<'_>, id: Uuid) -> Result<ServiceAccount> {
        Ok(service_accounts::revoke(ctx.app(), ctx.caller(), id)
            .await?
            .into())
    }
}
