//! Who is calling and what they may do: the permission catalogue, the caller
//! passed to every service function, passwords, TOTP and tokens.

pub mod caller;
pub mod origin;
pub mod password;
pub mod permission;
pub mod tokens;
pub mod totp;

pub use caller::{
    Caller, Principal, ResidentPrincipal, ServicePrincipal, SessionStage, StaffPrincipal,
};
pub use permission::{Permission, PermissionSet};
