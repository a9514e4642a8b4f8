//! Where uploaded bytes live (infrastructure): the local filesystem or an
//! S3-compatible bucket, behind one small type. The `media` capability
//! decides what may be stored; this only stores it.

pub mod s3;
pub mod store;

pub use store::{ByteStream, MediaStore, Variant};
