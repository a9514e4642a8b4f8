//! `bench survey`: a popular survey's first minutes, and its CSV.
//!
//! 1. Answer submission through `/liff/graphql` of a separate API process:
//!    20,000 residents (each its own ES256 ID token from line-fake) answer
//!    a five-question identified survey from 64 connections; each answer
//!    is checked against the version, sealed and inserted. The reference
//!    path in the same run: the same requests asking `{ __typename }`
//!    (ID token, HTTP and GraphQL, no survey work).
//! 2. The CSV of 100,000 answers streamed from that process: seconds, and
//!    its RSS before and at most during the download. The reference: the
//!    same rows read bare (`SELECT sealed` in pages) over one connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel_async::RunQueryDsl;
use serde_json::json;
use tenohira::crypto::seal;
use tenohira_tests::{Options, Session, TestApp};

const RESIDENTS: usize = 20_000;
const CSV_ANSWERS: usize = 100_000;
const CONNECTIONS: usize = 64;

fn form() -> serde_json::Value {
    json!({"sections": [{"key": "s", "questions": [
        {"key": "useful", "kind": "single", "title": "役に立ちましたか", "required": true,
         "choices": [{"key": "yes", "label": "はい"}, {"key": "no", "label": "いいえ"}]},
        {"key": "topics", "kind": "multiple", "title": "関心のある分野",
         "choices": [{"key": "a", "label": "防災"}, {"key": "b", "label": "子育て"}, {"key": "c", "label": "観光"}]},
        {"key": "score", "kind": "rating", "title": "満足度", "scale": 5},
        {"key": "people", "kind": "short_text", "title": "家族の人数", "format": "number", "min": 1.0, "max": 20.0},
        {"key": "opinion", "kind": "long_text", "title": "ご意見"}
    ]}]})
}

fn rss_of(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

pub async fn run() {
    let t = TestApp::spawn_with(Options {
        env: vec![("TENOHIRA_LOG", "error".into())],
        with_workers: false,
    })
    .await;
    let users = t.bulk_friends(RESIDENTS as u64).await;
    let system = tenohira::auth::Caller::system();
    let survey = tenohira::survey::service::create(
        &t.app,
        &system,
        tenohira::survey::service::Draft {
            title: "県政モニターアンケート".into(),
            form: serde_json::from_value(form()).unwrap(),
            settings: tenohira::survey::model::Settings {
                identified: true,
                one_per_resident: false,
                ..Default::default()
            },
        },
    )
    .await
    .unwrap();
    let live = tenohira::survey::service::publish(&t.app, &system, survey.id)
        .await
        .unwrap();
    let version = live.live_version.unwrap_or(1);
    let minted = Instant::now();
    let tokens = crate::id_tokens(&t.fake, &users).await;
    println!(
        "{RESIDENTS} residents with ID tokens (ES256, line-fake) in {:.1} s",
        minted.elapsed().as_secs_f64()
    );
    let (serve, base) = t
        .spawn_api(&[
            ("TENOHIRA_DB_POOL_SIZE", "24"),
            ("TENOHIRA_LIFF_REQUESTS_PER_IP", "0"),
        ])
        .await;
    let pid = serve.id().unwrap_or(0);
    let tokens = Arc::new(tokens);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let url = format!("{base}/liff/graphql");
    let answer = json!({
        "query": "mutation($i: AnswerSurveyInput!) { answerSurvey(input: $i) { answerId } }",
        "variables": {"i": {"surveyId": survey.id, "version": version, "answers": [
            {"question": "useful", "value": "yes"},
            {"question": "topics", "values": ["a", "c"]},
            {"question": "score", "value": "4"},
            {"question": "people", "value": "3"},
            {"question": "opinion", "value": "防災の情報がすぐ届いて助かっています。"}
        ]}}
    })
    .to_string();
    let bare = json!({ "query": "{ __typename }" }).to_string();
    let run = |name: &'static str, body: String, expect: &'static [u8], secs: u64| {
        let (http, url, tokens) = (http.clone(), url.clone(), tokens.clone());
        crate::load(name, CONNECTIONS, Duration::from_secs(secs), move |i| {
            let (http, url, body, tokens) =
                (http.clone(), url.clone(), body.clone(), tokens.clone());
            async move {
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
                    Ok(r) if r.status() == 200 => r
                        .bytes()
                        .await
                        .is_ok_and(|b| crate::memchr_find(&b, expect)),
                    _ => false,
                }
            }
        })
    };
    let secs: u64 = std::env::var("BENCH_SURVEY_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    // Warm-up: JWKS, data keys and connections.
    run("warm-up", answer.clone(), b"answerId", 5).await;
    let reference = run(
        "reference: { __typename } with the same tokens",
        bare,
        b"__typename",
        secs,
    )
    .await;
    let ours = run(
        "answer submission (check, seal, insert)",
        answer,
        b"answerId",
        secs,
    )
    .await;
    let rate = |r: &crate::Report| r.latencies.len() as f64 / r.elapsed.as_secs_f64();
    let (ours_rate, reference_rate) = (rate(&ours), rate(&reference));
    let p99 = {
        let mut l = ours.latencies.clone();
        l.sort();
        l.get(((l.len() as f64) * 0.99) as usize)
            .copied()
            .unwrap_or_default()
    };
    reference.print("requests", 1.0);
    ours.print("answers", 1.0);
    println!(
        "answers/s {ours_rate:.0} = {:.2} × reference; p99 {:.1} ms; target ≥ 3,000/s, p99 ≤ 50 ms",
        ours_rate / reference_rate.max(1.0),
        p99.as_secs_f64() * 1000.0
    );

    // The CSV: 100,000 answers in all (those above plus sealed rows written straight in).
    let mut conn = t.db().await;
    // Exactly 100,000: what the load left beyond that goes, what it left short is written.
    diesel::sql_query(format!(
        "DELETE FROM survey_answers WHERE id > (SELECT id FROM survey_answers ORDER BY id OFFSET {} LIMIT 1)",
        CSV_ANSWERS - 1
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let have = t.count("survey_answers").await as usize;
    let key = t
        .app
        .keyring
        .fetch(&mut conn, survey.data_key_id)
        .await
        .unwrap();
    let owner = tenohira::survey::model::owner(survey.id);
    let extra = CSV_ANSWERS.saturating_sub(have);
    for chunk in (0..extra).collect::<Vec<_>>().chunks(2000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|n| {
                let answers = json!({
                    "useful": [if n % 3 == 0 { "no" } else { "yes" }],
                    "topics": ["b"],
                    "score": [((n % 5) + 1).to_string()],
                    "opinion": [format!("=自由記述 {n}")],
                });
                let sealed = seal::seal_json(&key, &owner, "answers", &answers);
                format!(
                    "({}, {version}, (SELECT id FROM friends ORDER BY id LIMIT 1), decode('{:032x}', 'hex'), false, decode('{}', 'hex'), 'liff')",
                    survey.id,
                    n,
                    crate::hex(&sealed)
                )
            })
            .collect();
        diesel::sql_query(format!(
            "INSERT INTO survey_answers (survey_id, version, friend_id, respondent, only_one, sealed, channel) VALUES {}",
            rows.join(",")
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    diesel::sql_query("ANALYZE survey_answers")
        .execute(&mut conn)
        .await
        .unwrap();
    let total = t.count("survey_answers").await;
    // Reference: the same rows read bare, page by page.
    let bare_started = Instant::now();
    let mut after = 0i64;
    let mut read = 0usize;
    loop {
        #[derive(diesel::QueryableByName)]
        struct R {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
            #[diesel(sql_type = diesel::sql_types::Bytea)]
            sealed: Vec<u8>,
        }
        let page: Vec<R> = diesel::sql_query(format!(
            "SELECT id, sealed FROM survey_answers WHERE survey_id = {} AND id > {after} ORDER BY id LIMIT 2000",
            survey.id
        ))
        .load(&mut conn)
        .await
        .unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        read += page.iter().map(|r| r.sealed.len()).sum::<usize>();
    }
    let bare_secs = bare_started.elapsed().as_secs_f64();
    drop(conn);
    let account = t
        .create_staff("bench-survey", &[tenohira::auth::Permission::SurveyManage])
        .await;
    diesel::sql_query(format!("UPDATE surveys SET created_by = '{account}'"))
        .execute(&mut t.db().await)
        .await
        .unwrap();
    let mut staff = Session::new(&base);
    staff.login("bench-survey", tenohira_tests::PASSWORD).await;
    let before = rss_of(pid);
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let peak = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let mut peak = 0.0f64;
            while std::sync::atomic::AtomicBool::load(
                &sampling,
                std::sync::atomic::Ordering::Relaxed,
            ) {
                peak = peak.max(rss_of(pid));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            peak
        })
    };
    let started = Instant::now();
    let resp = staff
        .get(&format!(
            "/exports/surveys/{}/answers.csv?reason=bench",
            survey.id
        ))
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let mut bytes = 0usize;
    let mut lines = 0usize;
    let mut stream = resp.bytes_stream();
    use futures::StreamExt;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let csv_secs = started.elapsed().as_secs_f64();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = peak.await.unwrap_or(0.0);
    println!(
        "reference: {total} sealed rows read bare ({:.1} MiB) in {bare_secs:.2} s",
        read as f64 / 1048576.0
    );
    println!(
        "CSV: {} rows ({:.1} MiB) in {csv_secs:.2} s = {:.2} × reference; API RSS {before:.0} MiB before, {peak:.0} MiB at most (+{:.0} MiB); target ≤ 5 s, ≤ +50 MiB",
        lines.saturating_sub(1),
        bytes as f64 / 1048576.0,
        csv_secs / bare_secs.max(0.001),
        (peak - before).max(0.0)
    );
    drop(serve);
}
