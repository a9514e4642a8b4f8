//! Runs registered job handlers against their queues until told to stop.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use tokio::sync::{Notify, watch};

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
    /// An idle consumer polls again after `first`, doubling up to `most`.
    /// Rarely waited out: new work wakes idle consumers at once.
    idle_poll: (Duration, Duration),
}

impl Runner {
    pub fn new(queue: JobQueue, concurrency: usize) -> Self {
        Self {
            queue,
            handlers: BTreeMap::new(),
            concurrency: concurrency.max(1),
            idle_poll: (Duration::from_millis(10), Duration::from_millis(500)),
        }
    }

    /// How often idle consumers look for work when nobody wakes them.
    pub fn set_idle_poll(&mut self, first: Duration, most: Duration) {
        self.idle_poll = (first, most.max(first));
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

    /// Spawns the consumer tasks and the listener that wakes them when work
    /// is pushed; all stop when `shutdown` turns true.
    pub fn spawn(&self, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
        let mut wakes = HashMap::new();
        for (&name, (handler, concurrency)) in &self.handlers {
            let wake = Arc::new(Notify::new());
            wakes.insert(name.to_string(), wake.clone());
            for _ in 0..*concurrency {
                let consumer = Consumer {
                    queue: self.queue.clone(),
                    name,
                    handler: handler.clone(),
                    wake: wake.clone(),
                    idle_poll: self.idle_poll,
                };
                tasks.push(tokio::spawn(consumer.run(shutdown.clone())));
            }
        }
        tasks.push(tokio::spawn(relay_wakes(
            self.queue.clone(),
            wakes,
            shutdown,
        )));
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

/// One of a queue's consumers in this process.
struct Consumer {
    queue: JobQueue,
    name: &'static str,
    handler: Handler,
    /// Shared by the queue's consumers here: whoever finds work wakes the
    /// idle rest at once, so a burst (a push's 4,000 batches) is taken up by
    /// all of them without each waiting out its idle backoff.
    wake: Arc<Notify>,
    idle_poll: (Duration, Duration),
}

impl Consumer {
    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let (first, most) = self.idle_poll;
        let mut idle = first;
        // The last job done, acked together with the next claim.
        let mut done: Option<super::Claimed> = None;
        while !*shutdown.borrow() {
            // Registered before looking, so a wake-up between an empty claim
            // and the wait below is not missed.
            let woken = self.wake.notified();
            let mut woken = std::pin::pin!(woken);
            woken.as_mut().enable();
            let next = match done.take() {
                Some(d) => self.queue.ack_and_claim(&d, self.name).await,
                None => self.queue.claim(self.name).await,
            };
            match next {
                Ok(Some(claimed)) => {
                    idle = first;
                    self.wake.notify_waiters();
                    done = execute(&self.queue, &self.handler, claimed).await;
                }
                Ok(None) => {
                    tokio::select! {
                        _ = tokio::time::sleep(idle) => idle = (idle * 2).min(most),
                        _ = woken => idle = first,
                        _ = shutdown.changed() => {}
                    }
                }
                Err(e) => {
                    // An ack lost with it only means the job runs again after its lease.
                    tracing::warn!(queue = self.name, error = %e, "claiming a job failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        if let Some(d) = done
            && let Err(e) = self.queue.ack(&d).await
        {
            tracing::warn!(queue = self.name, error = %e, "acking the last job failed; it runs again after its lease");
        }
    }
}

/// Passes the queue's "work was pushed" announcements (from any process) to
/// this process's idle consumers of that queue. Only an accelerator: when
/// Redis is away the consumers' own polling still finds the work.
async fn relay_wakes(
    queue: JobQueue,
    wakes: HashMap<String, Arc<Notify>>,
    mut shutdown: watch::Receiver<bool>,
) {
    while !*shutdown.borrow() {
        match queue.wake_signals().await {
            Ok(signals) => {
                let mut signals = std::pin::pin!(signals);
                loop {
                    tokio::select! {
                        signal = signals.next() => match signal {
                            Some(name) => {
                                if let Some(wake) = wakes.get(&name) {
                                    wake.notify_waiters();
                                }
                            }
                            None => break, // connection lost: subscribe again
                        },
                        _ = shutdown.changed() => return,
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "listening for new jobs failed; polling until it is back")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Runs a job and acks it (`drain`); consumers ack with their next claim.
async fn run_one(queue: &JobQueue, handler: &Handler, claimed: super::Claimed) {
    if let Some(done) = execute(queue, handler, claimed).await
        && let Err(e) = queue.ack(&done).await
    {
        // The lease will expire and the job will run again: handlers are idempotent.
        tracing::error!(queue = %done.job.queue, job_id = %done.job.id, error = %e, "acking a job failed");
    }
}

/// Runs a job's handler. A failure is recorded here (retry or dead letter);
/// a success is returned for the caller to ack.
async fn execute(
    queue: &JobQueue,
    handler: &Handler,
    claimed: super::Claimed,
) -> Option<super::Claimed> {
    let job = &claimed.job;
    let started = std::time::Instant::now();
    let result = handler(job.clone()).await;
    metrics::histogram!("tenohira_job_duration_seconds", "queue" => job.queue.clone())
        .record(started.elapsed().as_secs_f64());
    let e = match result {
        Ok(()) => {
            metrics::counter!("tenohira_jobs_total", "queue" => job.queue.clone(), "outcome" => "ok").increment(1);
            return Some(claimed);
        }
        Err(e) => e,
    };
    let permanent = matches!(e, JobError::Permanent(_));
    let label = match queue.fail(&claimed, &e.to_string(), permanent).await {
        Ok(FailOutcome::Dead) => {
            tracing::error!(queue = %job.queue, job_id = %job.id, error = %e, "job moved to dead letters");
            "dead"
        }
        Ok(FailOutcome::RetryAt(at)) => {
            tracing::warn!(queue = %job.queue, job_id = %job.id, error = %e, retry_at = %at, "job failed; will retry");
            "retry"
        }
        Err(err) => {
            // The lease will expire and the job will run again: handlers are idempotent.
            tracing::error!(queue = %job.queue, job_id = %job.id, error = %err, "recording job outcome failed");
            return None;
        }
    };
    metrics::counter!("tenohira_jobs_total", "queue" => job.queue.clone(), "outcome" => label)
        .increment(1);
    None
}
