//! Background work: a Redis job queue (claim, ack, retry with exponential
//! backoff, dead letter), an outbox that enqueues only after commit, and the
//! runner that the `worker` subcommand drives.

pub mod claim;
pub mod outbox;
pub mod queue;
pub mod runner;

pub use outbox::Outbox;
pub use queue::{Claimed, FailOutcome, Job, JobQueue, QueueDepth, RetryPolicy};
pub use runner::{Handler, JobError, Runner};
