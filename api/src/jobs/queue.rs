//! The Redis side of the job queue.
//!
//! Per queue there are four keys: `ready` (a list, FIFO), `delayed` (a sorted
//! set of jobs waiting for their retry time), `inflight` (a sorted set of
//! claimed jobs scored by lease deadline) and `dead` (a list). Claiming is one
//! Lua script, so promotion of due retries, recovery of expired leases and the
//! claim itself are atomic. Delivery is at least once: handlers are idempotent.

use std::time::Duration;

use chrono::Utc;
use rand::RngExt;
use redis::Script;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::store::RedisStore;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Job {
    pub id: Uuid,
    pub queue: String,
    pub payload: serde_json::Value,
    /// Attempts that have failed so far.
    pub attempt: u32,
    pub enqueued_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// A claimed job together with the exact member string it is leased under.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub job: Job,
    raw: String,
}

#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub max: Duration,
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_secs(1),
            max: Duration::from_secs(300),
            lease: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with jitter: base·2^(attempt-1), capped, then a
    /// random share between half and all of it so retries do not stampede.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max);
        let jitter = rand::rng().random_range(0.5..=1.0);
        exp.mul_f64(jitter)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailOutcome {
    RetryAt(chrono::DateTime<Utc>),
    Dead,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    pub ready: u64,
    pub delayed: u64,
    pub inflight: u64,
    pub dead: u64,
}

const CLAIM: &str = r"
if ARGV[3] ~= '' then
  redis.call('ZREM', KEYS[3], ARGV[3])
end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, j in ipairs(due) do
  redis.call('ZREM', KEYS[2], j)
  redis.call('LPUSH', KEYS[1], j)
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, j in ipairs(expired) do
  redis.call('ZREM', KEYS[3], j)
  redis.call('RPUSH', KEYS[1], j)
end
local job = redis.call('RPOP', KEYS[1])
if job then
  redis.call('ZADD', KEYS[3], tonumber(ARGV[1]) + tonumber(ARGV[2]), job)
end
return job
";

/// The connection broke (or was refused) rather than Redis refusing the command.
pub fn connection_lost(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
}

/// Where `push` announces the queues it put work on.
const WAKE_CHANNEL: &str = "jobs:wake";

#[derive(Clone)]
pub struct JobQueue {
    redis: RedisStore,
    policy: RetryPolicy,
    claim: std::sync::Arc<Script>,
}

impl JobQueue {
    pub fn new(redis: RedisStore, policy: RetryPolicy) -> Self {
        Self {
            redis,
            policy,
            claim: std::sync::Arc::new(Script::new(CLAIM)),
        }
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    fn keys(&self, queue: &str) -> [String; 4] {
        ["ready", "delayed", "inflight", "dead"]
            .map(|k| self.redis.key(&format!("jobs:{queue}:{k}")))
    }

    pub fn new_job(queue: &str, payload: serde_json::Value) -> Job {
        Job {
            id: Uuid::new_v4(),
            queue: queue.to_string(),
            payload,
            attempt: 0,
            enqueued_at_ms: Utc::now().timestamp_millis(),
            last_error: None,
        }
    }

    /// Puts jobs on their queues in one round trip.
    pub async fn push(&self, jobs: &[Job]) -> anyhow::Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        let mut queues: Vec<&str> = Vec::new();
        for job in jobs {
            let [ready, ..] = self.keys(&job.queue);
            pipe.cmd("LPUSH")
                .arg(ready)
                .arg(serde_json::to_string(job)?)
                .ignore();
            if !queues.contains(&job.queue.as_str()) {
                queues.push(&job.queue);
            }
        }
        // Idle consumers in every process take the work up at once instead
        // of at their next poll (which stays the fallback if this is missed).
        for queue in queues {
            pipe.cmd("PUBLISH")
                .arg(self.redis.key(WAKE_CHANNEL))
                .arg(queue)
                .ignore();
        }
        // Right after Redis comes back the shared connection is still the
        // broken one: its first command fails and starts the reconnect. A
        // few short retries take the work up then instead of leaving it to
        // the reconciler half a minute later.
        let mut wait = Duration::from_millis(25);
        loop {
            let mut c = self.redis.conn();
            match pipe.query_async::<()>(&mut c).await {
                Ok(()) => return Ok(()),
                Err(e) if wait < Duration::from_secs(2) && connection_lost(&e) => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Enqueues one job now. Work created in a database transaction goes
    /// through the [`super::Outbox`] instead, so it is queued only after commit.
    pub async fn enqueue(&self, queue: &str, payload: serde_json::Value) -> anyhow::Result<Uuid> {
        let job = Self::new_job(queue, payload);
        self.push(std::slice::from_ref(&job)).await?;
        Ok(job.id)
    }

    /// The names of queues that just got work, as `push` announces them.
    pub async fn wake_signals(
        &self,
    ) -> anyhow::Result<impl futures::Stream<Item = String> + use<>> {
        use futures::StreamExt;
        Ok(self
            .redis
            .subscribe(WAKE_CHANNEL)
            .await?
            .filter_map(|m| std::future::ready(m.get_payload::<String>().ok())))
    }

    pub async fn claim(&self, queue: &str) -> anyhow::Result<Option<Claimed>> {
        self.claim_after(queue, None).await
    }

    /// Acks `done` (a job of the same queue) and claims the next job in one
    /// round trip: a busy consumer pays one call per job instead of two.
    pub async fn ack_and_claim(
        &self,
        done: &Claimed,
        queue: &str,
    ) -> anyhow::Result<Option<Claimed>> {
        anyhow::ensure!(done.job.queue == queue, "acked job is from another queue");
        self.claim_after(queue, Some(done)).await
    }

    async fn claim_after(
        &self,
        queue: &str,
        done: Option<&Claimed>,
    ) -> anyhow::Result<Option<Claimed>> {
        let [ready, delayed, inflight, _] = self.keys(queue);
        let mut c = self.redis.conn();
        let raw: Option<String> = self
            .claim
            .key(ready)
            .key(delayed)
            .key(inflight)
            .arg(Utc::now().timestamp_millis())
            .arg(self.policy.lease.as_millis() as u64)
            .arg(done.map_or("", |d| d.raw.as_str()))
            .invoke_async(&mut c)
            .await?;
        let Some(raw) = raw else { return Ok(None) };
        match serde_json::from_str::<Job>(&raw) {
            Ok(job) => Ok(Some(Claimed { job, raw })),
            Err(e) => {
                // Unreadable entries go straight to the dead letters, kept for inspection.
                tracing::error!(queue, error = %e, "unreadable job moved to dead letters");
                let [_, _, inflight, dead] = self.keys(queue);
                redis::pipe()
                    .cmd("ZREM")
                    .arg(inflight)
                    .arg(&raw)
                    .cmd("LPUSH")
                    .arg(dead)
                    .arg(&raw)
                    .query_async::<()>(&mut c)
                    .await?;
                Ok(None)
            }
        }
    }

    /// The job is done: forget it.
    pub async fn ack(&self, claimed: &Claimed) -> anyhow::Result<()> {
        let [_, _, inflight, _] = self.keys(&claimed.job.queue);
        let mut c = self.redis.conn();
        redis::cmd("ZREM")
            .arg(inflight)
            .arg(&claimed.raw)
            .query_async::<()>(&mut c)
            .await?;
        Ok(())
    }

    /// The job failed: schedule a retry with backoff, or move it to the dead
    /// letters when it is permanent or out of attempts.
    pub async fn fail(
        &self,
        claimed: &Claimed,
        error: &str,
        permanent: bool,
    ) -> anyhow::Result<FailOutcome> {
        let [_, delayed, inflight, dead] = self.keys(&claimed.job.queue);
        let mut job = claimed.job.clone();
        job.attempt += 1;
        job.last_error = Some(error.chars().take(500).collect());
        let raw = serde_json::to_string(&job)?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("ZREM")
            .arg(inflight)
            .arg(&claimed.raw)
            .ignore();
        let outcome = if permanent || job.attempt >= self.policy.max_attempts {
            pipe.cmd("LPUSH").arg(dead).arg(&raw).ignore();
            FailOutcome::Dead
        } else {
            let at = Utc::now()
                + chrono::Duration::from_std(self.policy.backoff(job.attempt)).unwrap_or_default();
            pipe.cmd("ZADD")
                .arg(delayed)
                .arg(at.timestamp_millis())
                .arg(&raw)
                .ignore();
            FailOutcome::RetryAt(at)
        };
        let mut c = self.redis.conn();
        pipe.query_async::<()>(&mut c).await?;
        Ok(outcome)
    }

    pub async fn depth(&self, queue: &str) -> anyhow::Result<QueueDepth> {
        let [ready, delayed, inflight, dead] = self.keys(queue);
        let mut c = self.redis.conn();
        let (ready, delayed, inflight, dead): (u64, u64, u64, u64) = redis::pipe()
            .cmd("LLEN")
            .arg(ready)
            .cmd("ZCARD")
            .arg(delayed)
            .cmd("ZCARD")
            .arg(inflight)
            .cmd("LLEN")
            .arg(dead)
            .query_async(&mut c)
            .await?;
        Ok(QueueDepth {
            ready,
            delayed,
            inflight,
            dead,
        })
    }

    pub async fn dead_letters(&self, queue: &str, limit: usize) -> anyhow::Result<Vec<Job>> {
        let [.., dead] = self.keys(queue);
        let mut c = self.redis.conn();
        let raws: Vec<String> = redis::cmd("LRANGE")
            .arg(dead)
            .arg(0)
            .arg(limit.saturating_sub(1))
            .query_async(&mut c)
            .await?;
        Ok(raws
            .iter()
            .filter_map(|r| serde_json::from_str(r).ok())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
            lease: Duration::from_secs(1),
        };
        for attempt in 1..12 {
            let d = p.backoff(attempt);
            let ceiling = (Duration::from_millis(100) * (1 << (attempt - 1).min(20))).min(p.max);
            assert!(d <= ceiling && d >= ceiling / 2, "attempt {attempt}: {d:?}");
        }
    }
}
