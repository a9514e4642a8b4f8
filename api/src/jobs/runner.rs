//! Runs registered job handlers against their queues until told to stop.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::watch;

use super::queue::{FailOutcome, Job, JobQueue};

/// How a job failed: `Retry` goes back with backoff, `Permanent` straight to
/// the dead letters (retrying would not help, e.g. malformed payload).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    Retry(String),
    #[error("{0}")]
    Permanent(String),
}

impl From<anyhow::Error> for JobError {
    fn from(e: anyhow::Error) -> Self {
        Self::Retry(format!("{e:#}"))
    }
}

pub type Handler = Arc<dyn Fn(Job) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

#[derive(Clone)]
pub struct Runner {
    queue: JobQueue,
    /// Each queue's handler and how many consumers run it.
    handlers: BTreeMap<&'static str, (Handler, usize)>,
    concurrency: usize,
}

impl Runner {
    pub fn new(queue: JobQueue, concurrency: usize) -> Self {
        Self {
            queue,
            handlers: BTreeMap::new(),
            concurrency: concurrency.max(1),
        }
    }

    /// Registers the handler for one queue; each capability adds its own.
    pub fn register(&mut self, queue: &'static str, handler: Handler) {
        let n = self.concurrency;
        self.register_with(queue, handler, n);
    }

    /// As `register`, with its own number of consumers (I/O-bound queues such
    /// as delivery batches keep many requests in flight).
    pub fn register_with(&mut self, queue: &'static str, handler: Handler, concurrency: usize) {
        self.handlers.insert(queue, (handler, concurrency.max(1)));
    }

    pub fn queues(&self) -> Vec<&'static str> {
        self.handlers.keys().copied().collect()
    }

    /// Spawns the consumer tasks; they stop when `shutdown` turns true.
    pub fn spawn(&self, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
        for (&name, (handler, concurrency)) in &self.handlers {
            for _ in 0..*concurrency {
                let queue = self.queue.clone();
                let handler = handler.clone();
                let shutdown = shutdown.clone();
                tasks.push(tokio::spawn(consume(queue, name, handler, shutdown)));
            }
        }
        tasks
    }

    /// Runs every job that is ready now, one at a time, then returns how many
    /// ran. Tests and one-off commands use it instead of background tasks.
    pub async fn drain(&self, queue_name: &str) -> anyhow::Result<usize> {
        let (handler, _) = self
            .handlers
            .get(queue_name)
            .ok_or_else(|| anyhow::anyhow!("no handler for queue {queue_name}"))?;
        let mut n = 0;
        while let Some(claimed) = self.queue.claim(queue_name).await? {
            run_one(&self.queue, handler, claimed).await;
            n += 1;
        }
        Ok(n)
    }
}

async fn consume(
    queue: JobQueue,
    name: &'static str,
    handler: Handler,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut idle = Duration::from_millis(10);
    while !*shutdown.borrow() {
        match queue.claim(name).await {
            Ok(Some(claimed)) => {
                idle = Duration::from_millis(10);
                run_one(&queue, &handler, claimed).await;
            }
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {}
                    _ = shutdown.changed() => {}
                }
                idle = (idle * 2).min(Duration::from_millis(500));
            }
            Err(e) => {
                tracing::warn!(queue = name, error = %e, "claiming a job failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn run_one(queue: &JobQueue, handler: &Handler, claimed: super::Claimed) {
    let job = claimed.job.clone();
    let started = std::time::Instant::now();
    let result = handler(job.clone()).await;
    metrics::histogram!("tenohira_job_duration_seconds", "queue" => job.queue.clone())
        .record(started.elapsed().as_secs_f64());
    let outcome = match &result {
        Ok(()) => queue.ack(&claimed).await.map(|_| "ok"),
        Err(e) => {
            let permanent = matches!(e, JobError::Permanent(_));
            match queue.fail(&claimed, &e.to_string(), permanent).await {
                Ok(FailOutcome::Dead) => {
                    tracing::error!(queue = %job.queue, job_id = %job.id, error = %e, "job moved to dead letters");
                    Ok("dead")
                }
                Ok(FailOutcome::RetryAt(at)) => {
                    tracing::warn!(queue = %job.queue, job_id = %job.id, error = %e, retry_at = %at, "job failed; will retry");
                    Ok("retry")
                }
                Err(err) => Err(err),
            }
        }
    };
    match outcome {
        Ok(label) => metrics::counter!("tenohira_jobs_total", "queue" => job.queue.clone(), "outcome" => label).increment(1),
        // The lease will expire and the job will run again: handlers are idempotent.
        Err(e) => tracing::error!(queue = %job.queue, job_id = %job.id, error = %e, "recording job outcome failed"),
    }
}
