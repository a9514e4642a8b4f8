//! Benchmarks (not tests; never run in CI). Each prints its figures.
//!   bench line-fake   multicast requests/s line-fake sustains with limits lifted
//!   bench webhook     webhook events acknowledged per second and latency
//!   bench audience    live counts and recipient resolution over 2,000,000 friends
//!   bench delivery    a push to 2,000,000 friends through API and worker processes
//!   bench card        Papa-Mama card views over 100,000 holders with valid ID tokens
//!   bench faq         FAQ retrieval quality per ranking variant, and its time
//!   bench chatbot     webhook → reply, retrieval alone, a 50,000-event burst
//!   bench mailin      SMTP mails/s from 50 clients; an alert's DATA end → delivery start
//!   bench survey      survey answers/s through /liff/graphql; the CSV of 100,000 answers

#[path = "../bench_chatbot.rs"]
mod chatbot;
#[path = "../bench_faq.rs"]
mod faq;
#[path = "../bench_mailin.rs"]
mod mailin;
#[path = "../bench_survey.rs"]
mod survey;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;
use tenohira_tests::{CHANNEL_SECRET, CHANNEL_TOKEN, LineFake, Options, TestApp};

struct Report {
    name: &'static str,
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Report {
    fn print(mut self, unit: &str, per_request: f64) {
        self.latencies.sort();
        let n = self.latencies.len();
        let pct = |p: f64| {
            self.latencies
                .get(((n as f64 * p) as usize).min(n.saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        println!(
            "{}: {} requests in {:.1} s = {:.0} {unit}/s; p50 {:.1} ms, p99 {:.1} ms; errors {}",
            self.name,
            n,
            self.elapsed.as_secs_f64(),
            n as f64 * per_request / self.elapsed.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1000.0,
            pct(0.99).as_secs_f64() * 1000.0,
            self.errors
        );
    }
}

/// Runs `make_request` from `concurrency` tasks for `duration`.
async fn load<F, Fut>(
    name: &'static str,
    concurrency: usize,
    duration: Duration,
    make_request: F,
) -> Report
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let f = Arc::new(make_request);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let f = f.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut i) = (Vec::new(), 0, 0usize);
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                if f(worker * 1_000_000_000 + i).await {
                    lat.push(t.elapsed());
                } else {
                    errors += 1;
                }
                i += 1;
            }
            (lat, errors)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut report = Report {
        name,
        latencies: vec![],
        errors: 0,
        elapsed: Duration::ZERO,
    };
    for t in tasks {
        let (l, e) = t.await.unwrap();
        report.latencies.extend(l);
        report.errors += e;
    }
    report.elapsed = started.elapsed();
    report
}

async fn bench_line_fake() {
    let fake = LineFake::spawn().await;
    fake.post("/_fake/rate-limits", json!({"multicast": null}))
        .await;
    fake.post("/_fake/config", json!({"recordInbox": false}))
        .await;
    fake.post("/_fake/users/bulk", json!({"count": 500, "prefix": 1}))
        .await;
    let to: Vec<String> = (0..500).map(|n| format!("U{:08x}{:024x}", 1, n)).collect();
    let body = Arc::new(
        json!({"to": to, "messages": [{"type": "text", "text": "ベンチマーク"}]}).to_string(),
    );
    let http = reqwest::Client::new();
    let url = format!("{}/v2/bot/message/multicast", fake.base);
    let report = load(
        "line-fake multicast (500 recipients each, limits lifted)",
        64,
        Duration::from_secs(10),
        move |i| {
            let (http, url, body) = (http.clone(), url.clone(), body.clone());
            async move {
                http.post(&url)
                    .bearer_auth(CHANNEL_TOKEN)
                    .header("content-type", "application/json")
                    .header(
                        "x-line-retry-key",
                        uuid::Uuid::from_u128(i as u128 + 1).to_string(),
                    )
                    .body((*body).clone())
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        },
    )
    .await;
    report.print("requests", 1.0);
}

async fn bench_webhook() {
    let t = TestApp::spawn_with(Options {
        env: vec![
            ("TENOHIRA_DB_POOL_SIZE", "32".into()),
            ("TENOHIRA_LOG", "error".into()),
        ],
        with_workers: false,
    })
    .await;
    let http = reqwest::Client::new();
    let url = format!("{}/line/webhook", t.base);
    let report = load(
        "webhook (one event per request)",
        32,
        Duration::from_secs(15),
        move |i| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let body = json!({"destination": "U0", "events": [{
                    "type": "message", "mode": "active", "timestamp": 1_790_000_000_000u64,
                    "source": {"type": "user", "userId": format!("U{:032x}", i % 100_000)},
                    "webhookEventId": format!("01BENCH{i:019}"), "replyToken": "r",
                    "message": {"type": "text", "id": "1", "text": "こんにちは"},
                    "deliveryContext": {"isRedelivery": false}
                }]})
                .to_string();
                let mut mac = Hmac::<Sha256>::new_from_slice(CHANNEL_SECRET.as_bytes()).unwrap();
                mac.update(body.as_bytes());
                let sig =
                    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
                http.post(&url)
                    .header("content-type", "application/json")
                    .header("x-line-signature", sig)
                    .body(body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        },
    )
    .await;
    report.print("events", 1.0);
    println!("stored events: {}", t.count("line_webhook_events").await);
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let at = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)].as_secs_f64() * 1000.0;
    (at(0.5), at(0.95))
}

const LOAD_FRIENDS: &str = "
INSERT INTO friends (line_user_id, status, first_followed_at, followed_at, status_event_at)
SELECT 'U' || lpad(to_hex(g), 32, '0'), CASE WHEN random() < 0.92 THEN 'following' ELSE 'blocked' END, t, t, t
FROM (SELECT g, now() - random() * interval '730 days' AS t FROM generate_series(1, 2000000) g) s";

const LOAD_SETTINGS: &str = "
WITH opts AS (
  SELECT a.name, array_agg(o.id ORDER BY o.position) AS ids
  FROM attribute_options o JOIN attributes a ON a.id = o.attribute_id GROUP BY a.name),
m AS (SELECT ids FROM opts WHERE name = '居住地域'),
r AS (SELECT ids FROM opts WHERE name = '配信希望地域'),
g AS (SELECT ids FROM opts WHERE name = '性別'),
l AS (SELECT ids FROM opts WHERE name = 'ライフスタイル'),
i AS (SELECT ids FROM opts WHERE name = '配信を希望する情報分野'),
n AS (SELECT array_agg(id) AS ids FROM category_nodes)
INSERT INTO friend_settings (friend_id, option_ids, node_ids, birth_year)
SELECT f.id,
  ARRAY[m.ids[1 + floor(63 * power(random(), 2))::int], g.ids[1 + floor(random() * 4)::int]]
    || ARRAY(SELECT x FROM unnest(r.ids) x WHERE random() < 0.03 + 0 * f.id)
    || ARRAY(SELECT x FROM unnest(l.ids) WITH ORDINALITY u(x, k) WHERE random() < 0.45 / k + 0 * f.id)
    || ARRAY(SELECT x FROM unnest(i.ids) WITH ORDINALITY u(x, k) WHERE random() < 0.6 / sqrt(k) + 0 * f.id),
  ARRAY(SELECT x FROM unnest(n.ids) x WHERE random() < 0.05 + 0 * f.id),
  CASE WHEN random() < 0.85 THEN 1940 + floor(random() * 70)::int END
FROM friends f, m, r, g, l, i, n
WHERE random() < 0.7";

async fn bench_audience() {
    use diesel_async::RunQueryDsl;
    use futures::StreamExt;
    let t = TestApp::spawn_with(Options {
        env: vec![
            ("TENOHIRA_DB_POOL_SIZE", "16".into()),
            ("TENOHIRA_LOG", "error".into()),
        ],
        with_workers: false,
    })
    .await;
    tenohira::audience::demo::seed(&t.app).await.unwrap();
    // The demo asks for information fields in the receive-item tree; the
    // workload keeps an interest item of its own so its figures stay comparable.
    tenohira::audience::service::create_attribute(
        &t.app,
        &tenohira::auth::Caller::system(),
        tenohira::audience::service::NewAttribute {
            name: "配信を希望する情報分野".into(),
            kind: "multiple".into(),
            help_text: String::new(),
            options: [
                "防災・防犯",
                "子育て・教育",
                "健康・医療・福祉",
                "観光・イベント",
                "環境・まちづくり",
                "移住・定住",
                "文化・スポーツ",
                "県政ニュース",
            ]
            .map(String::from)
            .to_vec(),
        },
    )
    .await
    .unwrap();
    let started = Instant::now();
    {
        let mut c = t.db().await;
        for sql in [
            "ALTER TABLE friends DISABLE TRIGGER friends_changed",
            "ALTER TABLE friend_settings DISABLE TRIGGER friend_settings_changed",
            LOAD_FRIENDS,
            LOAD_SETTINGS,
            "ALTER TABLE friends ENABLE TRIGGER friends_changed",
            "ALTER TABLE friend_settings ENABLE TRIGGER friend_settings_changed",
            "ANALYZE",
        ] {
            diesel::sql_query(sql).execute(&mut c).await.expect(sql);
        }
    }
    println!(
        "loaded 2,000,000 friends ({} with settings) in {:.1} s",
        t.count("friend_settings").await,
        started.elapsed().as_secs_f64()
    );

    let staff = t
        .signed_in("bench", &[tenohira::auth::Permission::SegmentManage])
        .await;
    let attrs = staff
        .gql("{ attributes { name options { id } } }", json!({}))
        .await;
    let ids = |name: &str| -> Vec<i64> {
        attrs["data"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect()
    };
    let (m, r, g, l, i) = (
        ids("居住地域"),
        ids("配信希望地域"),
        ids("性別"),
        ids("ライフスタイル"),
        ids("配信を希望する情報分野"),
    );
    let node: i64 = staff.gql("{ categoryTree { id } }", json!({})).await["data"]["categoryTree"]
        [0]["id"]
        .as_i64()
        .unwrap();

    let rss_before = rss_mib();
    let load = Instant::now();
    // The bulk load bypassed the change log: rebuild as a restarted process would.
    tenohira::audience::index(&t.app)
        .reload(&t.app.db)
        .await
        .unwrap();
    println!(
        "index built in {:.2} s; process RSS {:.0} MiB (+{:.0} MiB for the index)",
        load.elapsed().as_secs_f64(),
        rss_mib(),
        rss_mib() - rss_before
    );

    let six = json!({"and": [
        {"or": [{"residenceIn": [m[0]]}, {"residenceIn": [m[3]]}]},
        {"anyOf": [i[0], i[1]]},
        {"not": {"anyOf": [l[7]]}},
        {"birthYear": {"from": 1970, "to": 1985}},
        {"subscribedTo": node},
        {"registered": true}
    ]});
    let expressions = vec![
        ("6-clause AND/OR (DESIGN §6)", six),
        ("registered", json!({"registered": true})),
        ("not registered", json!({"registered": false})),
        ("residence さいたま市", json!({"residenceIn": [m[0]]})),
        ("any of 3 interests", json!({"anyOf": [i[0], i[2], i[4]]})),
        ("all of 2 lifestyles", json!({"allOf": [l[0], l[1]]})),
        (
            "regions overlap 10",
            json!({"regionsOverlap": r[0..10].to_vec()}),
        ),
        (
            "born 1980–1999, female",
            json!({"and": [{"birthYear": {"from": 1980, "to": 1999}}, {"genderIn": [g[1]]}]}),
        ),
        (
            "friend since 90 days",
            json!({"friendSince": (chrono::Utc::now() - chrono::Duration::days(90)).to_rfc3339()}),
        ),
        (
            "not (interest 1 or 2)",
            json!({"not": {"or": [{"anyOf": [i[0]]}, {"anyOf": [i[1]]}]}}),
        ),
    ];
    let mut largest = (0i64, json!(null));
    for (name, e) in &expressions {
        let mut lat = Vec::new();
        let mut n = 0;
        for _ in 0..200 {
            let t0 = Instant::now();
            let r = staff
                .gql(
                    "query($e: SegmentExpr!) { audienceCount(expression: $e) }",
                    json!({"e": e}),
                )
                .await;
            lat.push(t0.elapsed());
            n = r["data"]["audienceCount"].as_i64().expect("count");
        }
        let (p50, p95) = percentiles(lat);
        println!(
            "count {name:<28} = {n:>9}   p50 {p50:.2} ms  p95 {p95:.2} ms (through GraphQL over HTTP)"
        );
        if n > largest.0 {
            largest = (n, e.clone());
        }
    }

    let expr: tenohira::audience::expr::Expr = serde_json::from_value(largest.1.clone()).unwrap();
    let t0 = Instant::now();
    let mut stream = Box::pin(
        tenohira::audience::service::recipients(&t.app, &expr, 20_000)
            .await
            .unwrap(),
    );
    let mut resolved = 0;
    while let Some(batch) = stream.next().await {
        resolved += batch.unwrap().len();
    }
    println!(
        "resolved {resolved} recipients (largest segment) in {:.2} s",
        t0.elapsed().as_secs_f64()
    );

    let replica = tenohira::app::App::connect(t.app.config.clone())
        .await
        .unwrap();
    tenohira::audience::index(&replica)
        .ensure_loaded(&replica.db)
        .await
        .unwrap();
    let probe = tenohira::audience::expr::Expr::AllOf(vec![m[62] as i32, i[7] as i32, l[6] as i32]);
    let before = (
        tenohira::audience::index(&t.app).count(&probe),
        tenohira::audience::index(&replica).count(&probe),
    );
    let target: i64 = {
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
        }
        let mut c = t.db().await;
        diesel::sql_query(format!(
            "SELECT s.friend_id AS id FROM friend_settings s JOIN friends f ON f.id = s.friend_id AND f.status = 'following' \
             WHERE NOT (s.option_ids @> ARRAY[{}, {}, {}]) LIMIT 1",
            m[62], i[7], l[6]
        ))
        .get_result::<Id>(&mut c)
        .await
        .unwrap()
        .id
    };
    let t0 = Instant::now();
    {
        let mut c = t.db().await;
        diesel::sql_query(format!(
            "UPDATE friend_settings SET option_ids = ARRAY[{}, {}, {}] WHERE friend_id = {target}",
            m[62], i[7], l[6]
        ))
        .execute(&mut c)
        .await
        .unwrap();
    }
    let committed = t0.elapsed();
    while tenohira::audience::index(&t.app).count(&probe) == before.0
        || tenohira::audience::index(&replica).count(&probe) == before.1
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!(
        "a resident's change visible on both replicas {:.0} ms after its commit (the UPDATE took {:.0} ms)",
        (t0.elapsed() - committed).as_secs_f64() * 1000.0,
        committed.as_secs_f64() * 1000.0
    );
    println!(
        "process RSS at the end: {:.0} MiB (two indexes, the load generator and the test harness in one process)",
        rss_mib()
    );
}

#[tokio::main]
async fn main() {
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    match std::env::args().nth(1).as_deref() {
        Some("line-fake") => bench_line_fake().await,
        Some("webhook") => bench_webhook().await,
        Some("chatbot") => chatbot::run().await,
        Some("audience") => bench_audience().await,
        Some("delivery") => bench_delivery().await,
        Some("card") => bench_card().await,
        Some("faq") => faq::run(),
        Some("mailin") => mailin::run().await,
        Some("survey") => survey::run().await,
        _ => eprintln!(
            "usage: bench line-fake | webhook | audience | delivery | card | faq | chatbot | mailin | survey"
        ),
    }
}

/// CPU seconds (user + system) used so far by the worker process `worker`,
/// all PostgreSQL backends, Redis and line-fake: where a run's CPU went.
fn cpu_seconds(worker: u32) -> [f64; 4] {
    // USER_HZ is 100 on Linux.
    let mut by = [0.0; 4];
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let used = (ticks(11) + ticks(12)) / 100.0;
        let slot = if pid == worker {
            0
        } else if comm.starts_with("postgres") {
            1
        } else if comm == "redis-server" {
            2
        } else if comm == "line-fake" {
            3
        } else {
            continue;
        };
        by[slot] += used;
    }
    by
}

/// Peak resident memory (VmHWM) of a process, MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

const LOAD_DELIVERY_FRIENDS: &str = "
INSERT INTO friends (line_user_id, status, first_followed_at, followed_at, status_event_at)
SELECT 'U' || lpad(to_hex(g), 32, '0'), 'following', now(), now(), now()
FROM generate_series(1, 2000000) g";

/// One push to every friend: seconds from the send mutation to the last
/// batch's result, and the run's figures from the API.
async fn push_everyone(api: &tenohira_tests::Session, title: &str) -> serde_json::Value {
    let created = api
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id } }",
            json!({"i": {"title": title, "messages": [{"text": "県からのお知らせです。"}], "target": {"all": true}}}),
        )
        .await;
    let id = created["data"]["createDelivery"]["id"]
        .as_i64()
        .expect("created");
    let sent_at = chrono::Utc::now();
    let r = api
        .gql(
            "mutation($id: Int!) { scheduleDelivery(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    let q = "query($id: Int!) { delivery(id: $id) { status recipients accepted failed batchesTotal batchesDone startedAt finishedAt } }";
    loop {
        let d = api.gql(q, json!({"id": id})).await["data"]["delivery"].clone();
        if d["status"] == "COMPLETED" {
            let at =
                |k: &str| chrono::DateTime::parse_from_rfc3339(d[k].as_str().unwrap()).unwrap();
            let total =
                (at("finishedAt") - sent_at.fixed_offset()).num_milliseconds() as f64 / 1000.0;
            let dispatch = (at("finishedAt") - at("startedAt")).num_milliseconds() as f64 / 1000.0;
            let mut out = d.clone();
            out["id"] = json!(id);
            out["sendToLast"] = json!(total);
            out["dispatchSeconds"] = json!(dispatch);
            return out;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn bench_delivery() {
    use diesel_async::RunQueryDsl;
    let t = TestApp::spawn_with(Options {
        env: vec![("TENOHIRA_LOG", "error".into())],
        with_workers: false,
    })
    .await;
    let started = Instant::now();
    {
        let mut c = t.db().await;
        for sql in [
            "ALTER TABLE friends DISABLE TRIGGER friends_changed",
            LOAD_DELIVERY_FRIENDS,
            "ALTER TABLE friends ENABLE TRIGGER friends_changed",
            // As a long-lived table is: otherwise autovacuum works through the
            // 2,000,000 new rows in the middle of the measured pushes.
            "VACUUM (ANALYZE) friends",
            "ANALYZE",
        ] {
            diesel::sql_query(sql).execute(&mut c).await.expect(sql);
        }
    }
    // line-fake knows the same 2,000,000 users (bulk ids match the rows above).
    t.fake
        .post("/_fake/config", json!({"recordInbox": false}))
        .await;
    t.fake
        .post(
            "/_fake/users/bulk",
            json!({"prefix": 0, "count": 2_000_001}),
        )
        .await;
    t.fake
        .post(
            "/_fake/faults",
            json!({"latencyMinMs": 50, "latencyMaxMs": 150}),
        )
        .await;
    println!(
        "loaded 2,000,000 friends into PostgreSQL and line-fake in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    t.create_staff(
        "bench",
        &[
            tenohira::auth::Permission::DeliveryCreate,
            tenohira::auth::Permission::DeliverySend,
        ],
    )
    .await;
    let warm = Instant::now();
    let (serve, base) = t.spawn_api(&[("TENOHIRA_DB_POOL_SIZE", "16")]).await;
    let mut api = tenohira_tests::Session::new(&base);
    api.login("bench", tenohira_tests::PASSWORD).await;
    println!(
        "API process ready (audience index warm) in {:.1} s",
        warm.elapsed().as_secs_f64()
    );

    let worker_env = [
        ("TENOHIRA_DB_POOL_SIZE", "32"),
        ("TENOHIRA_DELIVERY_CONCURRENCY", "96"),
    ];
    let worker = t.spawn_role(&["worker"], &worker_env);
    let d = push_everyone(&api, "LINEの上限 200 multicast/s").await;
    let floor = d["batchesTotal"].as_f64().unwrap() / 200.0;
    println!(
        "at LINE's 200 multicast/s, 50–150 ms latency: {} recipients, {} accepted, {} failed, {} batches; \
         send → last batch accepted {:.1} s (floor {:.0} s, ratio {:.2}; target ≤ 24 s)",
        d["recipients"],
        d["accepted"],
        d["failed"],
        d["batchesTotal"],
        d["sendToLast"].as_f64().unwrap(),
        floor,
        d["sendToLast"].as_f64().unwrap() / floor
    );
    let worker_peak = peak_rss_mib(worker.id().unwrap_or(0));
    drop(worker);

    // The same with every limit lifted: how fast the pipeline itself goes.
    t.fake
        .post("/_fake/rate-limits", json!({"multicast": null}))
        .await;
    // Few database connections serve best here: the batch rows of one push
    // share a few pages, and more backends than cores only contend for them.
    let pool = std::env::var("BENCH_DELIVERY_POOL").unwrap_or_else(|_| "16".into());
    let in_flight = std::env::var("BENCH_DELIVERY_CONCURRENCY").unwrap_or_else(|_| "256".into());
    println!("lifted runs: worker with {pool} database connections, {in_flight} batches in flight");
    let fast_env = [
        ("TENOHIRA_DB_POOL_SIZE", pool.as_str()),
        ("TENOHIRA_DELIVERY_CONCURRENCY", in_flight.as_str()),
        ("TENOHIRA_LINE_MULTICAST_PER_SECOND", "1000000"),
    ];
    let fast = t.spawn_role(&["worker"], &fast_env);
    // Three pushes, the median reported: one run on this shared machine is noisy.
    let mut rates = Vec::new();
    let mut batches_sent = 0.0;
    let cpu_before = cpu_seconds(fast.id().unwrap_or(0));
    for run in 1..=3 {
        let d = push_everyone(&api, &format!("上限なし {run}")).await;
        let batches = d["batchesTotal"].as_f64().unwrap();
        let dispatch = d["dispatchSeconds"].as_f64().unwrap();
        rates.push(batches / dispatch);
        batches_sent += batches;
        println!(
            "limits lifted, run {run}: {} batches in {:.2} s dispatch = {:.0} batches/s ({:.0} recipients/s); send → last {:.1} s; accepted {}",
            d["batchesTotal"],
            dispatch,
            batches / dispatch,
            d["accepted"].as_f64().unwrap() / dispatch,
            d["sendToLast"].as_f64().unwrap(),
            d["accepted"],
        );
        let id = d["id"].as_i64().unwrap();
        let [begun, written, first, last] = dispatch_phases(&t, id).await;
        println!(
            "  from the start: first batch rows written {begun:.2} s, all {written:.2} s, first result {first:.2} s, last result {last:.2} s; \
             between first and last result {:.0} batches/s",
            (batches - 1.0) / (last - first).max(0.001)
        );
        println!("  results per 250 ms: {:?}", result_timeline(&t, id).await);
    }
    let cpu_after = cpu_seconds(fast.id().unwrap_or(0));
    let per_batch: Vec<f64> = (0..4)
        .map(|i| (cpu_after[i] - cpu_before[i]) * 1000.0 / batches_sent)
        .collect();
    let ours = per_batch[0] + per_batch[1] + per_batch[2];
    println!(
        "  CPU per batch over the three runs: worker {:.2} ms, PostgreSQL {:.2} ms, Redis {:.2} ms, line-fake (LINE's side) {:.2} ms; \
         the pipeline's own {ours:.2} ms = {:.0} batches/s per core",
        per_batch[0],
        per_batch[1],
        per_batch[2],
        per_batch[3],
        1000.0 / ours
    );
    rates.sort_by(f64::total_cmp);
    println!(
        "limits lifted: median {:.0} batches/s over 3 runs (min {:.0}, max {:.0}; target ≥ 1,000 batches/s)",
        rates[1], rates[0], rates[2]
    );
    println!(
        "peak RSS: API {:.0} MiB, worker {:.0} MiB (rate-limited run), worker {:.0} MiB (lifted run); target ≤ 512 MiB",
        peak_rss_mib(serve.id().unwrap_or(0)),
        worker_peak,
        peak_rss_mib(fast.id().unwrap_or(0))
    );
}

/// Batch results recorded in each 250 ms from the run's start.
async fn result_timeline(t: &TestApp, id: i64) -> Vec<i64> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<S> = diesel::sql_query(
        "SELECT count(b.id) AS n FROM delivery_runs r \
         CROSS JOIN generate_series(0, (extract(epoch FROM r.finished_at - r.started_at) * 4)::int) s \
         LEFT JOIN delivery_batches b ON b.delivery_id = r.delivery_id \
           AND floor(extract(epoch FROM b.updated_at - r.started_at) * 4) = s \
         WHERE r.delivery_id = $1 GROUP BY s ORDER BY s",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .load(&mut t.db().await)
    .await
    .unwrap();
    rows.into_iter().map(|r| r.n).collect()
}

/// Where a run's time went, in seconds from its start: the first and the
/// last batch row written, the first and the last batch result recorded.
async fn dispatch_phases(t: &TestApp, id: i64) -> [f64; 4] {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::Double)]
        begun: f64,
        #[diesel(sql_type = diesel::sql_types::Double)]
        written: f64,
        #[diesel(sql_type = diesel::sql_types::Double)]
        first: f64,
        #[diesel(sql_type = diesel::sql_types::Double)]
        last: f64,
    }
    let r: S = diesel::sql_query(
        "SELECT extract(epoch FROM min(b.created_at) - r.started_at)::float8 AS begun, \
                extract(epoch FROM max(b.created_at) - r.started_at)::float8 AS written, \
                extract(epoch FROM min(b.updated_at) - r.started_at)::float8 AS first, \
                extract(epoch FROM max(b.updated_at) - r.started_at)::float8 AS last \
         FROM delivery_batches b JOIN delivery_runs r USING (delivery_id) \
         WHERE b.delivery_id = $1 GROUP BY r.started_at",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .get_result(&mut t.db().await)
    .await
    .unwrap();
    [r.begun, r.written, r.first, r.last]
}

const CARD_QUERY: &str = "{ papaMamaCard { registered eligible hiddenReason imageUrl barcodeValue notice holderName relation eligibleUntil expectedDate grandparent serverTime children { name birthDate eligibleUntil eligible } } }";

/// 100,000 registered holders sealed as the API seals them, then the card
/// query with valid ID tokens from a load generator on the same machine
/// against a separate `tenohira serve` process for 60 s.
async fn bench_card() {
    use diesel_async::RunQueryDsl;
    use tenohira::crypto::seal;
    const HOLDERS: usize = 100_000;
    const TOKENS: usize = 20_000;
    let t = TestApp::spawn_with(Options {
        env: vec![("TENOHIRA_LOG", "error".into())],
        with_workers: false,
    })
    .await;
    let started = Instant::now();
    let kek = t.app.keyring.kek().current().clone();
    let users: Vec<String> = (0..HOLDERS)
        .map(|i| format!("U{:032x}", 0xca4d_0000_0000u64 + i as u64))
        .collect();
    {
        let mut conn = t.db().await;
        for chunk in users.chunks(1000) {
            let mut keys = Vec::with_capacity(chunk.len());
            let mut rows = Vec::with_capacity(chunk.len());
            for (n, user) in chunk.iter().enumerate() {
                let id = uuid::Uuid::new_v4();
                let key = tenohira::crypto::DataKey::generate();
                let wrapped = kek.wrap(key.expose(), &id.to_string()).await.unwrap();
                let owner = tenohira::card::holders::owner(user);
                let children = json!([
                    {"name": format!("子ども {n}"), "birthDate": "2016-06-01"},
                    {"name": format!("子ども {n}-2"), "birthDate": "2020-02-29"}
                ]);
                keys.push(format!(
                    "('{id}', '{owner}', decode('{}', 'hex'), '{}')",
                    hex(&wrapped),
                    kek.id()
                ));
                rows.push(format!(
                    "('{user}', '{id}', decode('{}', 'hex'), decode('{}', 'hex'), decode('{}', 'hex'), decode('{}', 'hex'), '2039-03-31')",
                    hex(&seal::seal(&key, &owner, "holder_name", format!("保護者 {n}").as_bytes())),
                    hex(&seal::seal(&key, &owner, "relation", "母".as_bytes())),
                    hex(&seal::seal_json(&key, &owner, "children", &children)),
                    hex(&seal::seal_json(&key, &owner, "household", &json!({"expectedDate": null, "grandparent": false}))),
                ));
            }
            diesel::sql_query(format!(
                "INSERT INTO keyring.data_keys (id, owner, wrapped, kek_id) VALUES {}",
                keys.join(",")
            ))
            .execute(&mut conn)
            .await
            .unwrap();
            diesel::sql_query(format!(
                "INSERT INTO card_holders (line_user_id, data_key_id, holder_name, relation, children, household, eligible_until) VALUES {}",
                rows.join(",")
            ))
            .execute(&mut conn)
            .await
            .unwrap();
        }
        diesel::sql_query("ANALYZE")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    println!(
        "sealed and stored {HOLDERS} holders in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let minted = Instant::now();
    let spread: Vec<String> = (0..TOKENS)
        .map(|i| users[i * (HOLDERS / TOKENS)].clone())
        .collect();
    let tokens = id_tokens(&t.fake, &spread).await;
    println!(
        "minted {TOKENS} ID tokens (ES256, line-fake) in {:.1} s",
        minted.elapsed().as_secs_f64()
    );
    // The load generator is one address; a real rush comes from many, so
    // the per-address limit is off here (the per-resident one stays on).
    let (serve, base) = t
        .spawn_api(&[
            ("TENOHIRA_DB_POOL_SIZE", "24"),
            ("TENOHIRA_LIFF_REQUESTS_PER_IP", "0"),
        ])
        .await;
    let tokens = Arc::new(tokens);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let url = format!("{base}/liff/graphql");
    // BENCH_CARD_QUERY swaps the query (e.g. `{ __typename }`) to see what the rest of the path costs.
    let query = std::env::var("BENCH_CARD_QUERY").unwrap_or_else(|_| CARD_QUERY.to_string());
    let expect: &'static [u8] = if query == CARD_QUERY {
        b"\"registered\":true"
    } else {
        b"\"data\""
    };
    let body = json!({ "query": query }).to_string();
    // Connections the load generator keeps busy (phones at registers); BENCH_CARD_CONNECTIONS.
    let connections: usize = std::env::var("BENCH_CARD_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    println!("load generator: {connections} connections");
    let run = |secs: u64| {
        let (http, url, body, tokens) = (http.clone(), url.clone(), body.clone(), tokens.clone());
        load(
            "card view (ID token + one query + AES-SIV opens)",
            connections,
            Duration::from_secs(secs),
            move |i| {
                let (http, url, body, tokens) =
                    (http.clone(), url.clone(), body.clone(), tokens.clone());
                async move {
                    // Spread over every token, as many phones would be.
                    let token = &tokens[(i.wrapping_mul(2_654_435_761)) % tokens.len()];
                    match http
                        .post(&url)
                        .bearer_auth(token)
                        .header("content-type", "application/json")
                        .header("accept", "application/json")
                        .body(body)
                        .send()
                        .await
                    {
                        Ok(r) if r.status() == 200 => {
                            r.bytes().await.is_ok_and(|b| memchr_find(&b, expect))
                        }
                        _ => false,
                    }
                }
            },
        )
    };
    // Warm-up (data keys and JWKS cached, connections open), then the measured minute.
    run(5).await;
    let secs = std::env::var("BENCH_CARD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let report = run(secs).await;
    report.print("requests", 1.0);
    println!(
        "API process peak RSS {:.0} MiB; target ≥ 12,000 req/s, p99 ≤ 50 ms, 0 errors (seed needs 8,000)",
        peak_rss_mib(serve.id().unwrap_or(0))
    );
}

/// One ES256 ID token per user from line-fake (32 requests in flight).
async fn id_tokens(fake: &LineFake, users: &[String]) -> Vec<String> {
    use futures::StreamExt;
    futures::stream::iter(
        users
            .iter()
            .cloned()
            .map(|user| async move { fake.id_token(json!({"userId": user})).await }),
    )
    .buffered(32)
    .collect()
    .await
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
