//! The caller of a service function. Authorisation lives here and in the
//! service layer (`caller.require(...)`), not only in the GraphQL layer.

use uuid::Uuid;

use super::permission::{Permission, PermissionSet};
use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStage {
    /// Fully signed in.
    Active,
    /// Password accepted; a TOTP code is still due.
    Totp,
    /// Password accepted; the account must enrol a TOTP authenticator first.
    Enrol,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Totp => "totp",
            Self::Enrol => "enrol",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "active" => Self::Active,
            "totp" => Self::Totp,
            _ => Self::Enrol,
        }
    }
}

#[derive(Clone, Debug)]
pub struct StaffPrincipal {
    pub account_id: Uuid,
    pub session_id: Uuid,
    pub login_id: String,
    pub display_name: String,
    pub permissions: PermissionSet,
    pub stage: SessionStage,
    pub second_factor: bool,
    pub must_change_password: bool,
}

#[derive(Clone, Debug)]
pub struct ServicePrincipal {
    pub id: Uuid,
    pub name: String,
    pub permissions: PermissionSet,
}

/// A resident, as identified by a verified LIFF ID token.
#[derive(Clone, Debug)]
pub struct ResidentPrincipal {
    pub line_user_id: String,
}

#[derive(Clone, Debug)]
pub enum Principal {
    Anonymous,
    Staff(StaffPrincipal),
    Service(ServicePrincipal),
    Resident(ResidentPrincipal),
    /// The system itself (CLI commands, jobs).
    System,
}

/// The principal plus where the request came from, for the audit log.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Principal,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// Why presented credentials were refused (e.g. an expired ID token), for the error message.
    pub credential_error: Option<&'static str>,
}

impl Caller {
    pub fn anonymous() -> Self {
        Self::with(Principal::Anonymous)
    }

    pub fn system() -> Self {
        Self::with(Principal::System)
    }

    /// An anonymous caller carrying where the request came from (for the audit log).
    pub fn from_request(
        config: &crate::config::Config,
        headers: &axum::http::HeaderMap,
        peer: std::net::SocketAddr,
    ) -> Self {
        let mut caller = Self::anonymous();
        caller.ip = Some(super::origin::client_ip(config, headers, peer));
        caller.user_agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect());
        caller.request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| super::origin::request_id_acceptable(v))
            .map(str::to_string);
        caller
    }

    pub fn with(principal: Principal) -> Self {
        Self {
            principal,
            ip: None,
            user_agent: None,
            request_id: None,
            credential_error: None,
        }
    }

    /// A staff member whose session may still be waiting for its second factor.
    pub fn staff_any_stage(&self) -> AppResult<&StaffPrincipal> {
        match &self.principal {
            Principal::Staff(s) => Ok(s),
            _ => Err(AppError::Unauthenticated("サインインしてください".into())),
        }
    }

    /// A fully signed-in staff member (any permissions).
    pub fn staff(&self) -> AppResult<&StaffPrincipal> {
        let s = self.staff_any_stage()?;
        if s.stage != SessionStage::Active {
            return Err(AppError::Unauthenticated(
                "二要素認証を完了してください".into(),
            ));
        }
        Ok(s)
    }

    /// Anyone authenticated and done with sign-in: staff or a service account.
    pub fn require_signed_in(&self) -> AppResult<()> {
        match &self.principal {
            Principal::Anonymous | Principal::Resident(_) => {
                Err(AppError::Unauthenticated("サインインしてください".into()))
            }
            Principal::Staff(_) => self.staff().map(|_| ()),
            Principal::Service(_) | Principal::System => Ok(()),
        }
    }

    /// Passes when the caller holds at least one of `permissions` (reading
    /// what several roles work on); the refusal names the first.
    pub fn require_any(&self, permissions: &[Permission]) -> AppResult<()> {
        let mut first = None;
        for p in permissions {
            match self.require(*p) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// The guard every service function starts with.
    pub fn require(&self, permission: Permission) -> AppResult<()> {
        let name = permission.name();
        match &self.principal {
            Principal::System => Ok(()),
            Principal::Anonymous => Err(AppError::Unauthenticated("サインインしてください".into())),
            // Residents hold no staff permission, whatever they send.
            Principal::Resident(_) => {
                Err(AppError::Forbidden(format!("権限がありません（{name}）")))
            }
            Principal::Service(s) => {
                if permission.requires_second_factor() {
                    // A token cannot present a second factor: whatever a
                    // stored scope says, these stay with people.
                    Err(AppError::Forbidden(format!(
                        "この操作（{name}）はサービスアカウントでは行えません"
                    )))
                } else if s.permissions.contains(permission) {
                    Ok(())
                } else {
                    Err(AppError::Forbidden(format!("権限がありません（{name}）")))
                }
            }
            Principal::Staff(_) => {
                let s = self.staff()?;
                if s.must_change_password {
                    return Err(AppError::Forbidden("パスワードを変更してください".into()));
                }
                if !s.permissions.contains(permission) {
                    return Err(AppError::Forbidden(format!("権限がありません（{name}）")));
                }
                if permission.requires_second_factor() && !s.second_factor {
                    return Err(AppError::Forbidden(format!(
                        "この操作（{name}）には二要素認証が必要です"
                    )));
                }
                Ok(())
            }
        }
    }

    /// Granting (or taking over the credentials of an account holding) the
    /// permissions in `granted`: each one that needs a second factor may be
    /// handed on only by someone who holds it and passed the second factor
    /// in this session, so no permission can grant a stronger one. The
    /// system (the command line) may; service tokens never.
    pub fn require_grant(&self, granted: impl IntoIterator<Item = Permission>) -> AppResult<()> {
        for p in granted {
            if !p.requires_second_factor() {
                continue;
            }
            let name = p.name();
            match &self.principal {
                Principal::System => {}
                Principal::Staff(s)
                    if s.permissions.contains(p) && s.second_factor && self.require(p).is_ok() => {}
                Principal::Anonymous => {
                    return Err(AppError::Unauthenticated("サインインしてください".into()));
                }
                _ => {
                    return Err(AppError::Forbidden(format!(
                        "個人情報に関わる権限（{name}）を付与・再設定できるのは、その権限を持ち二要素認証を済ませた職員だけです"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The resident behind a verified ID token.
    pub fn resident(&self) -> AppResult<&ResidentPrincipal> {
        match &self.principal {
            Principal::Resident(r) => Ok(r),
            _ => Err(AppError::Unauthenticated(match self.credential_error {
                Some(reason) => {
                    format!("LINEの認証が無効です（{reason}）。ページを開き直してください")
                }
                None => "LINEでログインしてください".into(),
            })),
        }
    }

    pub fn has(&self, permission: Permission) -> bool {
        self.require(permission).is_ok()
    }

    /// (kind, id, label) for the audit log.
    pub fn actor(&self) -> (&'static str, Option<Uuid>, String) {
        match &self.principal {
            Principal::Anonymous => ("anonymous", None, "anonymous".into()),
            Principal::Staff(s) => ("staff", Some(s.account_id), s.login_id.clone()),
            Principal::Service(s) => ("service", Some(s.id), s.name.clone()),
            Principal::Resident(r) => ("resident", None, r.line_user_id.clone()),
            Principal::System => ("system", None, "system".into()),
        }
    }
}
