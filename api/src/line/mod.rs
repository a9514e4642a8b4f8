//! The LINE boundary: the Messaging API client (with a rate limiter shared
//! by all processes), webhook verification and intake, event dispatch to the
//! capabilities that registered for them, and LIFF ID-token verification.
//! Facts: `../shared/LINE-PLATFORM.md`. This module imports no domain.

pub mod client;
pub mod events;
pub mod id_token;
mod json_repair;
pub mod messages;
pub mod rate_limit;
pub mod webhook;

pub use client::{LineClient, LineError, SendOutcome};
pub use id_token::IdTokenVerifier;
