//! Staff identity: accounts, teams, permissions, sign-in with a second
//! factor, sessions, service accounts and the CSV bulk import.

pub mod accounts;
pub mod graphql;
pub mod import;
pub mod model;
pub mod service_accounts;
pub mod sessions;
pub mod teams;
pub mod totp_secret;
pub mod validate;
