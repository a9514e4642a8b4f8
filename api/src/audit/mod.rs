//! The append-only audit log: every mutation writes a row in its own
//! transaction, and every read of personal data writes one too.

pub mod download;
pub mod export;
pub mod graphql;
pub mod labels;
pub mod service;

pub use service::{Outcome, Target, audited, record, record_now};
