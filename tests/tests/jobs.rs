//! The Redis job queue: claim, ack, retry with backoff, dead letters, leases,
//! and the outbox that enqueues only after commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use diesel_async::AsyncConnection;
use serde_json::json;
use tenohira::jobs::{FailOutcome, JobError, JobQueue, Outbox, QueueDepth, RetryPolicy, Runner};
use tenohira_tests::TestApp;

fn quick() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base: Duration::from_millis(20),
        max: Duration::from_millis(100),
        lease: Duration::from_millis(300),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn claim_ack_retry_and_dead_letter() {
    let t = TestApp::spawn().await;
    let q = JobQueue::new(t.app.redis.clone(), quick());
    q.enqueue("mail", json!({"n": 1})).await.unwrap();
    q.enqueue("mail", json!({"n": 2})).await.unwrap();
    assert_eq!(
        q.depth("mail").await.unwrap(),
        QueueDepth {
            ready: 2,
            ..Default::default()
        }
    );

    // FIFO; a claimed job is in flight until acked.
    let first = q.claim("mail").await.unwrap().unwrap();
    assert_eq!(first.job.payload, json!({"n": 1}));
    assert_eq!(q.depth("mail").await.unwrap().inflight, 1);
    q.ack(&first).await.unwrap();

    // A failing job comes back after its backoff, then dies after max attempts.
    let second = q.claim("mail").await.unwrap().unwrap();
    assert!(matches!(
        q.fail(&second, "boom", false).await.unwrap(),
        FailOutcome::RetryAt(_)
    ));
    assert!(
        q.claim("mail").await.unwrap().is_none(),
        "not before the backoff"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    let again = q
        .claim("mail")
        .await
        .unwrap()
        .expect("retried after backoff");
    assert_eq!(again.job.attempt, 1);
    assert_eq!(again.job.last_error.as_deref(), Some("boom"));
    q.fail(&again, "boom", false).await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let third = q.claim("mail").await.unwrap().unwrap();
    assert_eq!(
        q.fail(&third, "boom again", false).await.unwrap(),
        FailOutcome::Dead
    );
    let depth = q.depth("mail").await.unwrap();
    assert_eq!(
        depth,
        QueueDepth {
            dead: 1,
            ..Default::default()
        }
    );
    let dead = q.dead_letters("mail", 10).await.unwrap();
    assert_eq!(dead[0].attempt, 3);
    assert_eq!(dead[0].payload, json!({"n": 2}));

    // Permanent failures skip the retries.
    q.enqueue("mail", json!({"n": 3})).await.unwrap();
    let c = q.claim("mail").await.unwrap().unwrap();
    assert_eq!(
        q.fail(&c, "malformed", true).await.unwrap(),
        FailOutcome::Dead
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_lease_puts_the_job_back() {
    let t = TestApp::spawn().await;
    let q = JobQueue::new(t.app.redis.clone(), quick());
    q.enqueue("work", json!({})).await.unwrap();
    let _lost = q.claim("work").await.unwrap().unwrap(); // the worker dies holding it
    assert!(q.claim("work").await.unwrap().is_none());
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(
        q.claim("work").await.unwrap().is_some(),
        "recovered after the lease"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn runner_retries_until_success() {
    let t = TestApp::spawn().await;
    let q = JobQueue::new(t.app.redis.clone(), quick());
    let calls = Arc::new(AtomicU32::new(0));
    let mut runner = Runner::new(q.clone(), 2);
    let c = calls.clone();
    runner.register(
        "flaky",
        Arc::new(move |_job| {
            let c = c.clone();
            Box::pin(async move {
                if c.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(JobError::Retry("first try fails".into()))
                } else {
                    Ok(())
                }
            })
        }),
    );
    q.enqueue("flaky", json!({})).await.unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let tasks = runner.spawn(rx);
    for _ in 0..100 {
        if q.depth("flaky").await.unwrap() == QueueDepth::default()
            && calls.load(Ordering::SeqCst) == 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tx.send(true).unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(q.depth("flaky").await.unwrap(), QueueDepth::default());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outbox_enqueues_only_after_commit() {
    let t = TestApp::spawn().await;
    let q = JobQueue::new(t.app.redis.clone(), quick());
    let outbox = Outbox::new(t.app.db.clone(), q.clone());
    let mut conn = t.db().await;

    // Rolled back: nothing is ever queued.
    let _ = conn
        .transaction::<(), diesel::result::Error, _>(async |c| {
            Outbox::stage(c, "notify", json!({"x": 1})).await?;
            Err(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert_eq!(outbox.flush().await.unwrap(), 0);

    // Committed: staged rows wait in PostgreSQL until flushed to Redis.
    conn.transaction::<(), diesel::result::Error, _>(async |c| {
        Outbox::stage(c, "notify", json!({"x": 2})).await?;
        Outbox::stage(c, "notify", json!({"x": 3})).await
    })
    .await
    .unwrap();
    assert_eq!(q.depth("notify").await.unwrap().ready, 0);
    assert_eq!(outbox.pending().await.unwrap(), 2);

    // Redis loses everything before the flush: nothing is lost, the rows are still there.
    let mut r = t.app.redis.conn();
    let _: () = redis::cmd("DEL")
        .arg(t.app.redis.key("jobs:notify:ready"))
        .query_async(&mut r)
        .await
        .unwrap();
    assert_eq!(outbox.flush().await.unwrap(), 2);
    assert_eq!(outbox.pending().await.unwrap(), 0);
    assert_eq!(q.depth("notify").await.unwrap().ready, 2);
    let a = q.claim("notify").await.unwrap().unwrap();
    assert_eq!(a.job.payload, json!({"x": 2}));
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_list_every_queue_the_workers_serve() {
    let t = TestApp::spawn().await;
    let registry = tenohira::worker::registry();
    let mut served = registry.runner(&t.app).queues();
    served.sort_unstable();
    let mut listed = registry.queues();
    listed.sort_unstable();
    assert_eq!(served, listed);
    assert!(listed.len() >= 4, "{listed:?}");
    let m = t.metrics().await;
    for queue in listed {
        assert!(
            m.contains(&format!(
                "tenohira_queue_depth{{queue=\"{queue}\",state=\"ready\"}}"
            )),
            "{queue} missing from /metrics"
        );
    }
}

/// Work pushed from another process reaches consumers that have gone idle at
/// once, not at their next poll: here that poll is 30 s away, and the job must
/// have run within 3 s.
#[tokio::test(flavor = "multi_thread")]
async fn idle_consumers_take_up_work_pushed_elsewhere_at_once() {
    let t = TestApp::spawn().await;
    let q = JobQueue::new(t.app.redis.clone(), quick());
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = Runner::new(q.clone(), 3);
    runner.set_idle_poll(Duration::from_secs(30), Duration::from_secs(30));
    runner.register(
        "prompt",
        Arc::new(move |job| {
            let done = done_tx.clone();
            Box::pin(async move {
                let _ = done.send(job.payload);
                Ok(())
            })
        }),
    );
    let (tx, rx) = tokio::sync::watch::channel(false);
    let tasks = runner.spawn(rx);
    // Every consumer has looked, found nothing and is waiting out its poll.
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Another process (its own Redis connection) pushes two jobs, one at a time.
    let elsewhere =
        tenohira::store::RedisStore::connect(&tenohira_tests::redis_url(), &t.redis_prefix)
            .await
            .unwrap();
    let other = JobQueue::new(elsewhere, quick());
    for n in 1..=2 {
        let pushed = std::time::Instant::now();
        other.enqueue("prompt", json!({"n": n})).await.unwrap();
        let payload = tokio::time::timeout(Duration::from_secs(3), done_rx.recv())
            .await
            .unwrap_or_else(|_| panic!("job {n} still waiting after 3 s"))
            .unwrap();
        assert_eq!(payload, json!({"n": n}));
        println!("job {n} taken up {:?} after the push", pushed.elapsed());
    }
    tx.send(true).unwrap();
    for task in tasks {
        task.await.unwrap();
    }
}

/// A busy consumer acks the job it finished with the claim of the next.
#[tokio::test(flavor = "multi_thread")]
async fn acking_with_the_next_claim_forgets_the_finished_job() {
    let t = TestApp::spawn().await;
    let q = JobQueue::new(t.app.redis.clone(), quick());
    for n in 1..=2 {
        q.enqueue("pair", json!({"n": n})).await.unwrap();
    }
    let first = q.claim("pair").await.unwrap().unwrap();
    let second = q.ack_and_claim(&first, "pair").await.unwrap().unwrap();
    assert_eq!(second.job.payload, json!({"n": 2}));
    assert_eq!(
        q.depth("pair").await.unwrap(),
        QueueDepth {
            inflight: 1,
            ..Default::default()
        },
        "the first is gone, the second in flight"
    );
    // Nothing left to claim: the ack still happens.
    assert!(q.ack_and_claim(&second, "pair").await.unwrap().is_none());
    assert_eq!(q.depth("pair").await.unwrap(), QueueDepth::default());
    // Past its lease nothing comes back: both were acked.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(q.claim("pair").await.unwrap().is_none());
    assert!(
        q.ack_and_claim(&second, "other").await.is_err(),
        "a job acks only on its own queue"
    );
}
