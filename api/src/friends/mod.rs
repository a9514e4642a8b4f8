//! Friends of the official account: follow and unfollow events, the welcome
//! message, counts for staff (no personal data), the resident's own status.

mod events;
pub mod graphql;
pub mod lookup;
pub mod service;

/// Friends' part in the worker: follow and unfollow events, and the one
/// reminder to friends still unregistered (looked for every 10 minutes).
pub fn register(r: &mut crate::registry::Registry) {
    events::register(r);
    r.periodic(
        "friends.registration_reminders",
        crate::registry::Schedule::Every(std::time::Duration::from_secs(600)),
        |app| async move {
            service::send_registration_reminders(&app, app.config.registration_reminder_days).await
        },
    );
}
