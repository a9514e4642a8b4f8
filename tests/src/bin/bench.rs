//! Benchmarks (not tests; never run in CI). Each prints its figures.
//!   bench line-fake   multicast requests/s line-fake sustains with limits lifted
//!   bench webhook     webhook events acknowledged per second and latency

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

#[tokio::main]
async fn main() {
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    match std::env::args().nth(1).as_deref() {
        Some("line-fake") => bench_line_fake().await,
        Some("webhook") => bench_webhook().await,
        _ => eprintln!("usage: bench line-fake | webhook"),
    }
}
