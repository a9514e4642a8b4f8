//! `make bench-chatbot`: the chatbot through separate `tenohira serve` and
//! `tenohira worker` processes with 2,000 FAQ entries, line-fake sending
//! signed webhooks and timing each reply from the moment its token was
//! issued. Three phases:
//!   1. residents asking the labelled set's questions at a steady pace:
//!      webhook → reply call p50/p95, beside the acknowledgement alone (the
//!      bare reference: intake without the bot's work);
//!   2. the FAQ retrieval alone, in process, beside a substring scan;
//!   3. a burst of 50,000 messages and taps, 20 per request: acknowledgement
//!      p99, reply p95 under the burst, replies that missed their token;
//!      then the same burst's intake with no worker running (the reference
//!      for "intake not slower with the chatbot's handlers").

use std::time::{Duration, Instant};

use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use tenohira::chatbot::{demo, eval, faq};
use tenohira_tests::{Options, TestApp};

const ENTRIES: usize = 2_000;
const USERS: u64 = 50_000;
const PREFIX: u32 = 0x00c4_a7b0;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The demo FAQ and templates, then copies of the demo entries up to 2,000.
async fn seed(t: &TestApp) {
    demo::seed(&t.app).await.expect("demo FAQ and templates");
    let mut conn = t.db().await;
    let extra = demo::entries(false).unwrap();
    let have = t.count("faq_entries").await as usize;
    for (_, input) in extra.iter().cycle().take(ENTRIES.saturating_sub(have)) {
        faq::insert(&mut conn, input).await.expect("FAQ copy");
    }
}

async fn ids(t: &TestApp, sql: &str) -> Vec<i32> {
    #[derive(diesel::QueryableByName)]
    struct R {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id: i32,
    }
    let rows: Vec<R> = diesel::sql_query(sql)
        .load(&mut t.db().await)
        .await
        .expect(sql);
    rows.into_iter().map(|r| r.id).collect()
}

/// Waits until every token issued since the reset is answered (or has
/// expired unanswered), then returns line-fake's reply figures.
async fn replies_settled(t: &TestApp, events: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let r = t.fake.get("/_fake/replies").await;
        let done = r["replied"].as_u64().unwrap_or(0) + r["late"].as_u64().unwrap_or(0);
        if done >= events || Instant::now() > deadline {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn burst(t: &TestApp, body: Value) -> Value {
    t.fake.post("/_fake/replies/reset", json!({})).await;
    t.fake.post("/_fake/burst", body).await
}

pub async fn run() {
    let t = TestApp::spawn_with(Options {
        env: vec![("TENOHIRA_LOG", "error".into())],
        with_workers: false,
    })
    .await;
    let started = Instant::now();
    seed(&t).await;
    t.fake
        .post("/_fake/config", json!({"recordInbox": false}))
        .await;
    t.fake
        .post(
            "/_fake/users/bulk",
            json!({"prefix": PREFIX, "count": USERS}),
        )
        .await;
    let entries = t.count("faq_entries").await;
    println!(
        "seeded {entries} FAQ entries, the 3 template scenarios and {USERS} residents in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let pool = env_or("BENCH_CHATBOT_POOL", 16usize).to_string();
    let (_serve, base) = t.spawn_api(&[("TENOHIRA_DB_POOL_SIZE", "8")]).await;
    t.fake
        .post(
            "/_fake/config",
            json!({"webhookUrl": format!("{base}/line/webhook")}),
        )
        .await;
    let worker = t.spawn_worker(&[("TENOHIRA_DB_POOL_SIZE", pool.as_str())]);
    println!("worker: {pool} database connections");

    let questions: Vec<String> = eval::parse(include_str!("../data/faq-eval.tsv"))
        .into_iter()
        .map(|q| q.question)
        .collect();
    // Warm-up: the worker compiles the dictionary and builds the index on its first question.
    let warm = Instant::now();
    let steady = |events: usize, rate: f64| {
        json!({
            "prefix": PREFIX, "users": USERS, "events": events, "perRequest": 1,
            "concurrency": 4, "eventsPerSecond": rate, "texts": questions,
        })
    };
    burst(&t, steady(20, 10.0)).await;
    replies_settled(&t, 20).await;
    println!(
        "worker warm (dictionary compiled, index built) in {:.1} s",
        warm.elapsed().as_secs_f64()
    );

    // 1. A steady stream of questions.
    let n = env_or("BENCH_CHATBOT_QUESTIONS", 1_000usize);
    let rate = env_or("BENCH_CHATBOT_RATE", 50.0f64);
    let acks = burst(&t, steady(n, rate)).await;
    let r = replies_settled(&t, n as u64).await;
    println!(
        "questions at {rate:.0}/s ({n}, one per request): webhook → reply call p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms \
         (target p95 ≤ 300 ms); replied {}, missed {}",
        r["p50Ms"].as_f64().unwrap_or(0.0),
        r["p95Ms"].as_f64().unwrap_or(0.0),
        r["maxMs"].as_f64().unwrap_or(0.0),
        r["replied"],
        n as u64 - r["replied"].as_u64().unwrap_or(0),
    );
    println!(
        "  bare reference (the same webhooks' acknowledgement): p50 {:.1} ms, p99 {:.1} ms; reply p95 / ack p99 = {:.1}",
        acks["ackP50Ms"].as_f64().unwrap_or(0.0),
        acks["ackP99Ms"].as_f64().unwrap_or(0.0),
        r["p95Ms"].as_f64().unwrap_or(0.0) / acks["ackP99Ms"].as_f64().unwrap_or(1.0).max(0.001),
    );

    // 2. Retrieval alone, over the same entries.
    let engine = tenohira::chatbot::index(&t.app)
        .engine(&t.app.db, &t.app.config.faq_dictionary)
        .await
        .expect("index");
    let corpus: Vec<String> = demo::entries(false)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e.question)
        .cycle()
        .take(engine.len())
        .collect();
    let (ours, bare) = super::faq::time_retrieval(&engine, &corpus, &questions);
    println!(
        "retrieval alone over {} entries: p50 {:.3} ms, p95 {:.3} ms; bare substring scan p95 {:.3} ms; ratio {:.1}",
        engine.len(),
        ours.0,
        ours.1,
        bare.1,
        ours.1 / bare.1
    );

    // 3. The burst.
    let scenarios = ids(&t, "SELECT id FROM chatbot_scenarios ORDER BY id").await;
    let faqs = ids(&t, "SELECT id FROM faq_entries ORDER BY id LIMIT 50").await;
    let mut texts = questions.clone();
    texts.extend(["ごみの出し方", "子育て支援", "災害"].map(String::from));
    let postbacks: Vec<String> = scenarios
        .iter()
        .map(|id| format!("scenario:start:{id}"))
        .chain(faqs.iter().map(|id| format!("faq:answer:{id}")))
        .collect();
    let events = env_or("BENCH_CHATBOT_BURST", 50_000usize);
    let shape = |concurrency: usize| {
        json!({
            "prefix": PREFIX, "users": USERS, "events": events, "perRequest": 20,
            "concurrency": concurrency, "texts": texts, "postbacks": postbacks,
        })
    };
    let b = burst(&t, shape(8)).await;
    let r = replies_settled(&t, events as u64).await;
    let replied = r["replied"].as_u64().unwrap_or(0);
    println!(
        "burst of {events} events (half texts, half taps; 20 per request, 8 requests in flight): sent in {:.1} s ({:.0} events/s); \
         acknowledgement p50 {:.1} ms, p99 {:.1} ms (target ≤ 1,000 ms); failed requests {}",
        b["seconds"].as_f64().unwrap_or(0.0),
        b["eventsPerSecond"].as_f64().unwrap_or(0.0),
        b["ackP50Ms"].as_f64().unwrap_or(0.0),
        b["ackP99Ms"].as_f64().unwrap_or(0.0),
        b["failed"],
    );
    println!(
        "  replies: {replied} within their token's minute, p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms; late {}, missed {} (target 0)",
        r["p50Ms"].as_f64().unwrap_or(0.0),
        r["p95Ms"].as_f64().unwrap_or(0.0),
        r["maxMs"].as_f64().unwrap_or(0.0),
        r["late"],
        events as u64 - replied,
    );
    drop(worker);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bare = burst(&t, shape(8)).await;
    println!(
        "  the same burst's intake with no worker running (reference): {:.0} events/s, acknowledgement p99 {:.1} ms; \
         with the chatbot answering {:.0} events/s, p99 {:.1} ms (ratio {:.2})",
        bare["eventsPerSecond"].as_f64().unwrap_or(0.0),
        bare["ackP99Ms"].as_f64().unwrap_or(0.0),
        b["eventsPerSecond"].as_f64().unwrap_or(0.0),
        b["ackP99Ms"].as_f64().unwrap_or(0.0),
        b["ackP99Ms"].as_f64().unwrap_or(0.0) / bare["ackP99Ms"].as_f64().unwrap_or(1.0).max(0.001),
    );
}
