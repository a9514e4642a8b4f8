//! `bench mailin`: the SMTP listener under 50 clients sending without pause
//! (routine mails no rule matches: each is decoded, checked, kept in
//! PostgreSQL before `250` and then processed), while one more client sends
//! an evacuation alert naming a municipality every half second; the time
//! from the end of each alert's DATA to its delivery's start is measured.
//! The reference path in the same run: the same clients against a bare SMTP
//! responder that answers canned replies and INSERTs the raw bytes, one
//! round trip per mail, through the same pool — the floor for "kept before
//! 250". Figures: mails/s and their ratio to the reference, per-mail p50 and
//! p95, and the alerts' DATA-end → delivery-start p50 and p95.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use tenohira_tests::smtp::Client;
use tenohira_tests::{Options, TestApp};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const TOKEN: &str = "bench-alerts";
const CLIENTS: usize = 50;
const SECONDS: u64 = 15;
const RESIDENTS: usize = 20_000;

/// An ISO-2022-JP mail as the prefecture's mailer writes it (~1.2 KB).
fn mail(message_id: &str, subject: &str, body: &str) -> Vec<u8> {
    let (subject, _, _) = encoding_rs::ISO_2022_JP.encode(subject);
    let (body, _, _) = encoding_rs::ISO_2022_JP.encode(body);
    let subject = base64::engine::general_purpose::STANDARD.encode(subject);
    let mut m = format!(
        "From: bousai@pref.example.jp\r\nTo: alerts+{TOKEN}@tenohira.example\r\n\
         Subject: =?ISO-2022-JP?B?{subject}?=\r\nMessage-ID: <{message_id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(&body);
    m
}

fn routine(client: usize, n: usize) -> Vec<u8> {
    let line = "観測所の水位は平常です。引き続き気象情報に注意してください。\r\n";
    mail(
        &format!("routine-{client}-{n}@pref.example.jp"),
        &format!("【定時】河川水位観測 第{n}報（{client}）"),
        &line.repeat(12),
    )
}

/// One mail through an open session; the time from MAIL FROM to `250`.
async fn transact(c: &mut Client, raw: &[u8]) -> Option<Duration> {
    let t = Instant::now();
    // Pipelined as a real MTA does: the envelope in one write.
    c.send(format!("MAIL FROM:<bousai@pref.example.jp>\r\nRCPT TO:<alerts+{TOKEN}@tenohira.example>\r\nDATA\r\n").as_bytes())
        .await;
    for _ in 0..3 {
        let r = c.reply().await;
        if !(r.starts_with("250") || r.starts_with("354")) {
            return None;
        }
    }
    c.send(raw).await;
    c.say("\r\n.").await.starts_with("250").then(|| t.elapsed())
}

/// `CLIENTS` sessions sending routine mails for `SECONDS`: per-mail times.
async fn flood(addr: std::net::SocketAddr, stop: Arc<AtomicBool>) -> (Vec<Duration>, usize) {
    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(addr).await;
            c.say("EHLO bench.pref.example.jp").await;
            let (mut times, mut errors, mut n) = (Vec::new(), 0, 0);
            while !stop.load(Ordering::Relaxed) {
                match transact(&mut c, &routine(client, n)).await {
                    Some(t) => times.push(t),
                    None => errors += 1,
                }
                n += 1;
            }
            (times, errors)
        }));
    }
    let (mut times, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (t, e) = t.await.unwrap();
        times.extend(t);
        errors += e;
    }
    (times, errors)
}

/// The bare responder: canned replies; each mail one INSERT of its bytes.
async fn bare(app: tenohira::app::App) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let app = app.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                let _ = w.write_all(b"220 bare\r\n").await;
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let reply: &[u8] = if line.starts_with("DATA") {
                        let _ = w.write_all(b"354 go\r\n").await;
                        let mut raw = Vec::new();
                        loop {
                            let mut l = Vec::new();
                            if r.read_until(b'\n', &mut l).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if l == b".\r\n" {
                                break;
                            }
                            raw.extend_from_slice(&l);
                        }
                        use diesel_async::RunQueryDsl;
                        let mut conn = app.db.get().await.unwrap();
                        diesel::sql_query("INSERT INTO bench_raw (body) VALUES ($1)")
                            .bind::<diesel::sql_types::Bytea, _>(raw)
                            .execute(&mut conn)
                            .await
                            .unwrap();
                        b"250 kept\r\n"
                    } else if line.starts_with("EHLO") {
                        b"250-bare\r\n250 PIPELINING\r\n"
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    addr
}

const MUNICIPALITIES: [&str; 8] = [
    "川口市",
    "さいたま市浦和区",
    "熊谷市",
    "秩父市",
    "所沢市",
    "越谷市",
    "川越市",
    "春日部市",
];

/// One alert every half second until `stop`; each one's DATA end → delivery start.
async fn alerts(t: &TestApp, addr: std::net::SocketAddr, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut c = Client::connect(addr).await;
    c.say("EHLO bousai.pref.example.jp").await;
    let sent: Arc<std::sync::Mutex<Vec<(String, Instant)>>> = Default::default();
    // One watcher on its own connection (the pool is the listener's):
    // every 25 ms, which sent alerts' deliveries have started.
    let watcher = {
        let sent = sent.clone();
        let mut conn = t.db().await;
        tokio::spawn(async move {
            use diesel_async::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Started {
                #[diesel(sql_type = diesel::sql_types::Text)]
                message_id: String,
            }
            let mut waits = Vec::new();
            let mut done = std::collections::HashSet::new();
            let deadline = Instant::now() + Duration::from_secs(SECONDS + 60);
            loop {
                let (pending, finished) = {
                    let all = sent.lock().unwrap();
                    let pending: Vec<(String, Instant)> = all
                        .iter()
                        .filter(|(id, _)| id != STOPPED && !done.contains(id))
                        .cloned()
                        .collect();
                    (pending, all.iter().any(|(id, _)| id == STOPPED))
                };
                if pending.is_empty() && finished {
                    return (waits, 0);
                }
                if Instant::now() > deadline {
                    return (waits, pending.len());
                }
                let ids: Vec<String> = pending.iter().map(|p| p.0.clone()).collect();
                let started: Vec<Started> = diesel::sql_query(
                    "SELECT m.message_id FROM inbound_mails m \
                     JOIN mail_outcomes o ON o.mail_id = m.id JOIN deliveries d ON d.id = o.delivery_id \
                     WHERE m.message_id = ANY($1) AND d.status NOT IN ('draft', 'scheduled')",
                )
                .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&ids)
                .load(&mut conn)
                .await
                .unwrap();
                let now = Instant::now();
                for s in started {
                    if let Some((_, at)) = pending.iter().find(|p| p.0 == s.message_id) {
                        waits.push(now - *at);
                        done.insert(s.message_id);
                    }
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        })
    };
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let town = MUNICIPALITIES[n % MUNICIPALITIES.len()];
        let id = format!("alert-{n}@pref.example.jp");
        let raw = mail(
            &id,
            &format!("【避難指示】{town}に避難指示を発令（第{n}報）"),
            &format!(
                "{town}は土砂災害の危険が高まったため避難指示（警戒レベル４）を発令しました。\r\n"
            ),
        );
        c.send(format!("MAIL FROM:<bousai@pref.example.jp>\r\nRCPT TO:<alerts+{TOKEN}@tenohira.example>\r\nDATA\r\n").as_bytes())
            .await;
        for _ in 0..3 {
            c.reply().await;
        }
        c.send(&raw).await;
        let end_of_data = Instant::now();
        assert!(c.say("\r\n.").await.starts_with("250"));
        sent.lock().unwrap().push((id, end_of_data));
        n += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    sent.lock().unwrap().push((STOPPED.into(), Instant::now()));
    let (waits, missing) = watcher.await.unwrap();
    if missing > 0 {
        println!("alerts whose delivery had not started {SECONDS} s after the load: {missing}");
    }
    waits
}

/// Marks the end of the alert list for the watcher.
const STOPPED: &str = "-stopped-";

fn ms(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1)))
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn residents(t: &TestApp) {
    use diesel_async::RunQueryDsl;
    // Residents living across the prefecture who asked for 防災 › 避難情報.
    let sql = format!(
        "INSERT INTO friends (line_user_id, status, first_followed_at, followed_at, status_event_at)
         SELECT 'U' || lpad(to_hex(g), 32, '0'), 'following', now(), now(), now() FROM generate_series(1, {RESIDENTS}) g
         ;;WITH towns AS (SELECT array_agg(o.id ORDER BY o.position) AS ids FROM attribute_options o
                        JOIN attributes a ON a.id = o.attribute_id WHERE a.name = '居住地域'),
              evac AS (SELECT id FROM category_nodes WHERE name = '避難情報' AND parent_id IS NOT NULL ORDER BY id LIMIT 1)
         INSERT INTO friend_settings (friend_id, option_ids, node_ids)
         SELECT f.id, ARRAY[towns.ids[1 + (f.id % array_length(towns.ids, 1))::int]], ARRAY[evac.id]
         FROM friends f, towns, evac
         ;;CREATE TABLE bench_raw (id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL)"
    );
    let mut c = t.db().await;
    for statement in sql.split(";;") {
        diesel::sql_query(statement).execute(&mut c).await.unwrap();
    }
}

pub async fn run() {
    let t = TestApp::spawn_with(Options {
        env: vec![
            ("TENOHIRA_MAILIN_TOKEN", TOKEN.into()),
            ("TENOHIRA_DB_POOL_SIZE", "32".into()),
            ("TENOHIRA_LOG", "error".into()),
        ],
        with_workers: true,
    })
    .await;
    assert!(tenohira::audience::demo::seed(&t.app).await.unwrap());
    assert!(tenohira::mailin::demo::seed(&t.app).await.unwrap());
    residents(&t).await;
    t.fake
        .post("/_fake/config", serde_json::json!({"recordInbox": false}))
        .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_keep, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(tenohira::mailin::smtp::serve(
        t.app.clone(),
        listener,
        None,
        rx,
    ));

    // The reference first, on a quiet database.
    let bare_addr = bare(t.app.clone()).await;
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let run = tokio::spawn(flood(bare_addr, stop.clone()));
    tokio::time::sleep(Duration::from_secs(SECONDS)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut bare_times, bare_errors) = run.await.unwrap();
    let bare_rate = bare_times.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "reference (canned SMTP replies + one INSERT per mail), {CLIENTS} clients: {} mails in {:.1} s = {bare_rate:.0} mails/s; p50 {:.1} ms, p95 {:.1} ms; errors {bare_errors}",
        bare_times.len(),
        started.elapsed().as_secs_f64(),
        ms(&mut bare_times, 0.5),
        ms(&mut bare_times, 0.95),
    );

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let run = tokio::spawn(flood(addr, stop.clone()));
    let alerting = {
        let stop = stop.clone();
        async { alerts(&t, addr, stop).await }
    };
    let stopper = async {
        tokio::time::sleep(Duration::from_secs(SECONDS)).await;
        stop.store(true, Ordering::Relaxed);
    };
    let (mut waits, ()) = tokio::join!(alerting, stopper);
    let (mut times, errors) = run.await.unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let rate = times.len() as f64 / elapsed;
    println!(
        "tenohira listener (decode, allow-list, keep before 250, then rules), {CLIENTS} clients: {} mails in {elapsed:.1} s = {rate:.0} mails/s (target ≥ 500; {:.2}× the reference); p50 {:.1} ms, p95 {:.1} ms; errors {errors}",
        times.len(),
        rate / bare_rate,
        ms(&mut times, 0.5),
        ms(&mut times, 0.95),
    );
    println!(
        "alerts during that load: {} alerts, end of DATA → delivery started p50 {:.0} ms, p95 {:.0} ms (target p95 ≤ 2000 ms)",
        waits.len(),
        ms(&mut waits, 0.5),
        ms(&mut waits, 0.95),
    );
    {
        // Where an alert's time went: kept → delivery created (the mail's
        // job waited in the queue and ran) → delivery started (its run).
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Steps {
            #[diesel(sql_type = diesel::sql_types::Double)]
            to_created: f64,
            #[diesel(sql_type = diesel::sql_types::Double)]
            to_started: f64,
        }
        let steps: Vec<Steps> = diesel::sql_query(
            "SELECT extract(epoch FROM d.created_at - m.received_at)::float8 * 1000 AS to_created, \
                    extract(epoch FROM r.started_at - d.created_at)::float8 * 1000 AS to_started \
             FROM inbound_mails m JOIN mail_outcomes o ON o.mail_id = m.id \
             JOIN deliveries d ON d.id = o.delivery_id JOIN delivery_runs r ON r.delivery_id = d.id",
        )
        .load(&mut t.db().await)
        .await
        .unwrap();
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(0.0)
        };
        println!(
            "  of which (medians): kept → delivery created {:.0} ms, created → started {:.0} ms",
            median(steps.iter().map(|s| s.to_created).collect()),
            median(steps.iter().map(|s| s.to_started).collect()),
        );
    }
    let backlog = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            use diesel_async::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Left {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let left: Left = diesel::sql_query(
                "SELECT count(*) AS n FROM inbound_mails m WHERE NOT EXISTS \
                 (SELECT 1 FROM mail_outcomes o WHERE o.mail_id = m.id AND o.outcome <> 'processing')",
            )
            .get_result(&mut t.db().await)
            .await
            .unwrap();
            if left.n == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let drained = Instant::now();
    let ok = backlog.await.is_ok();
    println!(
        "every kept mail processed {} {:.1} s after the load stopped",
        if ok { "within" } else { "not within 120 s:" },
        drained.elapsed().as_secs_f64()
    );
}
