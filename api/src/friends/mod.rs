//! Friends of the official account: follow and unfollow events, the welcome
//! message, counts for staff (no personal data), the resident's own status.

pub mod events;
pub mod graphql;
pub mod service;
