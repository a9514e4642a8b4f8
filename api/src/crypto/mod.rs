//! Personal data protection (DESIGN.md 4.5): AES-SIV sealing bound to owner
//! and field, a data key per resident wrapped by a key-encryption key held by
//! a provider (local file or AWS KMS), rotation, and a keyed blind index.

pub mod blind;
pub mod kek;
pub mod keyring;
pub mod kms;
pub mod rotate;
pub mod seal;

pub use keyring::Keyring;
pub use seal::{DataKey, SealError};
