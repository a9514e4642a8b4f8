//! Staff identity: accounts, teams, permissions, sign-in with a second
//! factor, sessions, service accounts and the CSV bulk import.

pub mod accounts;
pub mod graphql;
mod import;
mod model;
pub mod service_accounts;
pub mod sessions;
pub mod teams;
mod totp_secret;
mod validate;

/// Staff's part in the worker: expired sessions removed once an hour.
pub fn register(r: &mut crate::registry::Registry) {
    use crate::registry::{Concurrency, Schedule};
    use sessions::ExpireSessions;
    r.job::<ExpireSessions, _, _>(Concurrency::Default, |ctx, _| async move {
        Ok(sessions::expire_sessions(&ctx.app).await?)
    });
    r.periodic(
        "staff.expire_sessions",
        Schedule::Every(std::time::Duration::from_secs(3600)),
        |app| async move {
            crate::registry::push(&app.jobs, &[ExpireSessions::default()]).await?;
            Ok(0)
        },
    );
}
