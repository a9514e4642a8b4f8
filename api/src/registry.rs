//! How a capability tells the worker what it does in the background, in one
//! place (its `register` function): its typed jobs, its webhook event
//! handlers, its periodic tasks and what to do when Redis came back empty.
//! The registry runs them all the same way: outcomes logged and counted
//! once here, not in a copy per task.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::watch;

use crate::app::App;
use crate::config::Config;
use crate::jobs::{JobError, JobQueue, Runner};
use crate::line::{LineError, SendOutcome};

/// One kind of job: its queue and its payload, written and read by the same type.
pub trait Task: Serialize + DeserializeOwned + Send + Sync + 'static {
    const QUEUE: &'static str;
}

/// A webhook event as a handler sees it (stored and deduplicated by the inbox).
#[derive(Clone, Debug)]
pub struct Event {
    pub id: i64,
    pub webhook_event_id: String,
    pub event_type: String,
    pub mode: String,
    pub source_user_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub payload: Value,
}

impl Event {
    pub fn reply_token(&self) -> Option<&str> {
        self.payload["replyToken"].as_str()
    }

    /// A postback's data (empty for other events).
    pub fn postback_data(&self) -> &str {
        self.payload["postback"]["data"]
            .as_str()
            .unwrap_or_default()
    }

    /// Only `active` events may be answered.
    pub fn may_reply(&self) -> bool {
        self.mode == "active"
    }
}

pub struct EventContext {
    pub app: App,
    pub event: Event,
}

impl EventContext {
    /// Replies to the event; in standby mode (another bot is answering) nothing is sent.
    pub async fn reply(&self, messages: &[Value]) -> Result<Option<SendOutcome>, LineError> {
        if !self.event.may_reply() {
            tracing::debug!(event = %self.event.webhook_event_id, "standby: not replying");
            return Ok(None);
        }
        let Some(token) = self.event.reply_token() else {
            return Ok(None);
        };
        self.app.line.reply(token, messages).await.map(Some)
    }
}

pub type EventHandler =
    Arc<dyn Fn(Arc<EventContext>) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Handlers by event type (`follow`, `unfollow`, `message`, `postback`, …).
#[derive(Clone, Default)]
pub struct EventHandlers {
    by_type: HashMap<&'static str, Vec<EventHandler>>,
}

impl EventHandlers {
    pub fn for_type(&self, event_type: &str) -> &[EventHandler] {
        self.by_type.get(event_type).map_or(&[], Vec::as_slice)
    }

    pub fn types(&self) -> Vec<&'static str> {
        self.by_type.keys().copied().collect()
    }
}

/// What a job handler gets: the application and every capability's event handlers.
#[derive(Clone)]
pub struct JobContext {
    pub app: App,
    pub events: Arc<EventHandlers>,
}

type JobFn =
    Arc<dyn Fn(JobContext, Value) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;
type TaskFn = Arc<dyn Fn(App) -> BoxFuture<'static, anyhow::Result<usize>> + Send + Sync>;

/// How many of a queue's jobs one worker process runs at once.
pub enum Concurrency {
    /// `TENOHIRA_WORKER_CONCURRENCY`.
    Default,
    /// A setting of its own (I/O-bound queues keep many requests in flight).
    From(fn(&Config) -> usize),
}

struct JobSpec {
    queue: &'static str,
    concurrency: Concurrency,
    run: JobFn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    Every(Duration),
    /// Once per JST calendar day (and once when the worker starts).
    DailyJst,
}

struct Periodic {
    name: &'static str,
    schedule: Schedule,
    run: TaskFn,
}

type ServiceFn = Arc<dyn Fn(App, watch::Receiver<bool>) -> BoxFuture<'static, ()> + Send + Sync>;

#[derive(Default)]
pub struct Registry {
    jobs: Vec<JobSpec>,
    events: EventHandlers,
    periodic: Vec<Periodic>,
    recoveries: Vec<(&'static str, TaskFn)>,
    serving: Vec<(&'static str, ServiceFn)>,
    erasure: Vec<(&'static str, crate::erasure::Hook)>,
}

fn boxed_task<F, Fut>(task: F) -> TaskFn
where
    F: Fn(App) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<usize>> + Send + 'static,
{
    Arc::new(move |app| Box::pin(task(app)))
}

impl Registry {
    /// Jobs of type `T`, run by `handler`. A payload that does not read as
    /// `T` goes to the dead letters at once.
    pub fn job<T, F, Fut>(&mut self, concurrency: Concurrency, handler: F)
    where
        T: Task,
        F: Fn(JobContext, T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        self.jobs.push(JobSpec {
            queue: T::QUEUE,
            concurrency,
            run: Arc::new(move |ctx, payload| {
                let handler = handler.clone();
                Box::pin(async move {
                    let task: T = serde_json::from_value(payload)
                        .map_err(|e| JobError::Permanent(format!("{} payload: {e}", T::QUEUE)))?;
                    handler(ctx, task).await
                })
            }),
        });
    }

    /// A handler for webhook events of one type; handlers must be idempotent.
    pub fn on_event<F, Fut>(&mut self, event_type: &'static str, handler: F)
    where
        F: Fn(Arc<EventContext>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let handler: EventHandler = Arc::new(move |ctx| Box::pin(handler(ctx)));
        self.events
            .by_type
            .entry(event_type)
            .or_default()
            .push(handler);
    }

    /// Work done on a schedule in every worker process (it must tolerate
    /// running in several at once). It answers how many things it did.
    pub fn periodic<F, Fut>(&mut self, name: &'static str, schedule: Schedule, task: F)
    where
        F: Fn(App) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<usize>> + Send + 'static,
    {
        self.periodic.push(Periodic {
            name,
            schedule,
            run: boxed_task(task),
        });
    }

    /// What to queue again at once when Redis came back empty (its queue
    /// entries gone): the work PostgreSQL says is unfinished.
    pub fn after_redis_loss<F, Fut>(&mut self, name: &'static str, task: F)
    where
        F: Fn(App) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<usize>> + Send + 'static,
    {
        self.recoveries.push((name, boxed_task(task)));
    }

    /// What the capability keeps of a resident, deleted when the resident is
    /// erased (see `crate::erasure`).
    pub fn on_erasure(&mut self, name: &'static str, hook: crate::erasure::Hook) {
        self.erasure.push((name, hook));
    }

    /// Every capability's erasure hook, in registration order.
    pub fn erasure_hooks(&self) -> Vec<(&'static str, crate::erasure::Hook)> {
        self.erasure.clone()
    }

    /// Something an API process keeps running beside its HTTP server (a
    /// listener keeping a cache current, an index warming up) until
    /// `shutdown` turns true.
    pub fn beside_http<F, Fut>(&mut self, name: &'static str, service: F)
    where
        F: Fn(App, watch::Receiver<bool>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.serving.push((
            name,
            Arc::new(move |app, shutdown| Box::pin(service(app, shutdown))),
        ));
    }

    /// Starts what runs beside the HTTP server.
    pub fn start_beside_http(
        &self,
        app: &App,
        shutdown: &watch::Receiver<bool>,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        self.serving
            .iter()
            .map(|(name, service)| {
                tracing::debug!(service = name, "starting");
                tokio::spawn(service(app.clone(), shutdown.clone()))
            })
            .collect()
    }

    /// Every queue the workers serve (for `/metrics`).
    pub fn queues(&self) -> Vec<&'static str> {
        self.jobs.iter().map(|j| j.queue).collect()
    }

    pub fn event_types(&self) -> Vec<&'static str> {
        self.events.types()
    }

    /// The job runner with every registered queue (tests drain it directly).
    pub fn runner(&self, app: &App) -> Runner {
        let mut runner = Runner::new(app.jobs.clone(), app.config.worker_concurrency);
        let ctx = JobContext {
            app: app.clone(),
            events: Arc::new(self.events.clone()),
        };
        for spec in &self.jobs {
            let (run, ctx) = (spec.run.clone(), ctx.clone());
            let n = match spec.concurrency {
                Concurrency::Default => app.config.worker_concurrency,
                Concurrency::From(f) => f(&app.config),
            };
            runner.register_with(
                spec.queue,
                Arc::new(move |job| run(ctx.clone(), job.payload)),
                n,
            );
        }
        runner
    }

    /// Runs the jobs, the periodic tasks, the outbox and the Redis watch
    /// until `shutdown` turns true.
    pub async fn run(self, app: App, shutdown: watch::Receiver<bool>) {
        let runner = self.runner(&app);
        let mut tasks = runner.spawn(shutdown.clone());
        tracing::info!(queues = ?runner.queues(), "workers started");
        // Jobs whose transaction committed but whose push to Redis did not happen.
        let outbox = boxed_task(|app: App| async move { app.outbox.flush().await });
        tasks.push(tokio::spawn(periodically(
            app.clone(),
            "jobs.outbox",
            Schedule::Every(Duration::from_secs(5)),
            outbox.clone(),
            shutdown.clone(),
        )));
        for p in self.periodic {
            tasks.push(tokio::spawn(periodically(
                app.clone(),
                p.name,
                p.schedule,
                p.run,
                shutdown.clone(),
            )));
        }
        let mut recoveries = vec![("jobs.outbox", outbox)];
        recoveries.extend(self.recoveries);
        tasks.push(tokio::spawn(watch_redis(app, recoveries, shutdown)));
        for t in tasks {
            let _ = t.await;
        }
        tracing::info!("workers stopped");
    }
}

/// Runs one task's outcome through the same log lines and counter.
async fn run_logged(app: &App, name: &'static str, run: &TaskFn) {
    let outcome = match run(app.clone()).await {
        Ok(0) => "idle",
        Ok(n) => {
            tracing::info!(task = name, count = n, "background task did work");
            "worked"
        }
        Err(e) => {
            tracing::warn!(task = name, error = %format!("{e:#}"), "background task failed");
            "failed"
        }
    };
    metrics::counter!("tenohira_periodic_runs_total", "task" => name, "outcome" => outcome)
        .increment(1);
}

async fn periodically(
    app: App,
    name: &'static str,
    schedule: Schedule,
    run: TaskFn,
    mut shutdown: watch::Receiver<bool>,
) {
    let period = match schedule {
        Schedule::Every(d) => d,
        // A JST day is checked for every minute; the task runs when it changed.
        Schedule::DailyJst => Duration::from_secs(60),
    };
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_day = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if schedule == Schedule::DailyJst {
                    let today = crate::jst::today();
                    if last_day == Some(today) {
                        continue;
                    }
                    last_day = Some(today);
                }
                run_logged(&app, name, &run).await;
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// Notices, within half a second of Redis answering again, that it came
/// back empty (its mark is gone), and runs the recoveries at once instead of
/// leaving the work to the reconcilers' staleness window. One worker wins
/// the new mark and does it; over-queueing is harmless (handlers are
/// idempotent, delivery batches keep their retry keys).
async fn watch_redis(
    app: App,
    recoveries: Vec<(&'static str, TaskFn)>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut first = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match app.redis.mark_known().await {
                    // A fresh install marks its Redis once: nothing was lost.
                    Ok(true) if first => {}
                    Ok(true) => {
                        tracing::warn!("Redis came back empty: queueing unfinished work again now");
                        for (name, run) in &recoveries {
                            run_logged(&app, name, run).await;
                        }
                    }
                    Ok(false) => {}
                    Err(_) => continue, // away: try again next tick
                }
                first = false;
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// Puts typed jobs on their queue.
pub async fn push<T: Task>(queue: &JobQueue, tasks: &[T]) -> anyhow::Result<()> {
    let jobs = tasks
        .iter()
        .map(|t| Ok(JobQueue::new_job(T::QUEUE, serde_json::to_value(t)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    queue.push(&jobs).await
}

/// Records a typed job inside the caller's transaction (queued after commit).
pub async fn stage<T: Task>(
    conn: &mut diesel_async::AsyncPgConnection,
    task: &T,
) -> anyhow::Result<()> {
    crate::jobs::Outbox::stage(conn, T::QUEUE, serde_json::to_value(task)?).await?;
    Ok(())
}
