//! The LINE protocol (infrastructure): the Messaging API client (with a
//! rate limiter shared by all processes), webhook signatures, LINE's message
//! rules, and LIFF ID-token verification. Facts: `../shared/LINE-PLATFORM.md`.
//! Storing and dispatching webhook events is the `inbox` capability.

pub mod client;
pub mod id_token;
pub mod messages;
pub mod rate_limit;
pub mod signature;

pub use client::{LineClient, LineError, SendOutcome};
pub use id_token::IdTokenVerifier;
