//! Segment delivery against the real stack: tenohira (API and worker
//! processes), PostgreSQL, Redis and line-fake, with faults injected at
//! LINE's boundary. "Exactly once" is read from line-fake's inboxes.

use std::time::Duration;

use serde_json::{Value, json};
use tenohira::auth::Permission::*;
use tenohira_tests::services::{MotoServer, PrivateRedis};
use tenohira_tests::{Options, Session, TestApp, error_code};

const SEND: &str =
    "mutation($id: Int!, $at: DateTime) { scheduleDelivery(id: $id, at: $at) { id status } }";
const STATUS: &str = "query($id: Int!) { delivery(id: $id) { status recipients accepted failed batchesTotal batchesDone startedAt finishedAt durationSeconds aggregationUnit } }";

async fn sender(t: &TestApp, login: &str) -> Session {
    t.signed_in(login, &[DeliveryCreate, DeliverySend, FriendsRead])
        .await
}

/// Creates a text delivery to every friend and returns its id.
async fn compose(s: &Session, title: &str, text: &str) -> i64 {
    let r = s
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id status } }",
            json!({"i": {"title": title, "messages": [{"text": text}], "target": {"all": true}}}),
        )
        .await;
    assert_eq!(r["data"]["createDelivery"]["status"], "DRAFT", "{r}");
    r["data"]["createDelivery"]["id"].as_i64().unwrap()
}

async fn status(s: &Session, id: i64) -> Value {
    s.gql(STATUS, json!({"id": id})).await["data"]["delivery"].clone()
}

async fn wait_completed(t: &TestApp, s: &Session, id: i64, secs: u64) -> Value {
    t.eventually(secs, "the delivery to complete", || async {
        status(s, id).await["status"] == "COMPLETED"
    })
    .await;
    status(s, id).await
}

/// How many line-fake users hold how many messages.
async fn histogram(t: &TestApp) -> Value {
    t.fake.get("/_fake/inbox-histogram").await["histogram"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_reaches_each_friend_once_with_statistics_and_an_aggregation_unit() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let users = t.bulk_friends(1_234).await;
    let s = sender(&t, "koho").await;
    let id = compose(&s, "県政だより12月号", "県政だより12月号を発行しました 📰").await;
    let count = s
        .gql("{ deliveryTargetCount(target: {all: true}) }", json!({}))
        .await;
    assert_eq!(count["data"]["deliveryTargetCount"], 1234, "{count}");
    let r = s.gql(SEND, json!({"id": id})).await;
    assert!(r.get("errors").is_none(), "{r}");
    let done = wait_completed(&t, &s, id, 30).await;
    assert_eq!(done["recipients"], 1234);
    assert_eq!(done["accepted"], 1234);
    assert_eq!(done["failed"], 0);
    assert_eq!(done["batchesTotal"], 3, "500 per multicast");
    assert!(done["durationSeconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(histogram(&t).await, json!({"1": 1234}));
    let inbox = t.fake.inbox(&users[7]).await;
    assert_eq!(inbox[0]["via"], "multicast");
    assert_eq!(
        inbox[0]["messages"][0]["text"],
        "県政だより12月号を発行しました 📰"
    );
    assert_eq!(
        inbox[0]["customAggregationUnits"][0], done["aggregationUnit"],
        "LINE's insight can be joined by the unit"
    );
    // Sending again is refused: a delivery goes out once.
    let again = s.gql(SEND, json!({"id": id})).await;
    assert_eq!(error_code(&again).as_deref(), Some("CONFLICT"), "{again}");

    // Statistics: totals and the CSV for Excel.
    let totals = s
        .gql(
            "{ deliveryTotals { deliveries recipients accepted failed } }",
            json!({}),
        )
        .await;
    assert_eq!(
        totals["data"]["deliveryTotals"],
        json!({"deliveries": 1, "recipients": 1234, "accepted": 1234, "failed": 0})
    );
    let csv = reqwest::Client::new()
        .get(format!("{}/exports/deliveries.csv", t.base))
        .header(
            "cookie",
            format!("tenohira_session={}", s.cookie().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let bytes = csv.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xef\xbb\xbf", "BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("配信ID,タイトル,種類,状態"));
    assert!(
        lines[1].contains("県政だより12月号,テキスト,配信完了"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains(",1234,1234,0,"), "{}", lines[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_thousand_recipients_under_injected_faults_each_get_it_exactly_once() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        env: vec![
            ("TENOHIRA_LINE_TIMEOUT_MS", "400".into()),
            ("TENOHIRA_LINE_MAX_ATTEMPTS", "2".into()),
            ("TENOHIRA_DELIVERY_CONCURRENCY", "16".into()),
        ],
    })
    .await;
    t.bulk_friends(20_000).await;
    t.fake
        .post(
            "/_fake/faults",
            json!({"errorRate": 0.05, "timeoutRate": 0.02, "timeoutMs": 800, "burst429": 12, "latencyMinMs": 5, "latencyMaxMs": 30}),
        )
        .await;
    let s = sender(&t, "bousai").await;
    let id = compose(
        &s,
        "避難訓練のお知らせ",
        "12月1日に県内一斉の避難訓練を行います。",
    )
    .await;
    s.gql(SEND, json!({"id": id})).await;
    let done = wait_completed(&t, &s, id, 120).await;
    assert_eq!(done["recipients"], 20000);
    assert_eq!(done["accepted"], 20000, "{done}");
    assert_eq!(done["failed"], 0);
    assert_eq!(
        histogram(&t).await,
        json!({"1": 20000}),
        "nobody missed, nobody twice"
    );
    let stats = t.fake.get("/_fake/stats").await;
    // The faults really happened (429s always; 500s and accepted-then-timeout
    // requests, which come back as 409s, at their rates over 40-odd requests).
    assert!(
        stats["rejected"]["multicast:429"].as_u64().unwrap_or(0) >= 12,
        "faults were really injected: {stats}"
    );
    eprintln!("line-fake saw: {stats}");
}

/// The last two batches of a delivery finish at the same moment: one of the
/// two results must see that it completed the delivery. Each result runs in
/// its own transaction; here the first is held open (as a slow commit would
/// be) while the second is recorded.
#[tokio::test(flavor = "multi_thread")]
async fn of_two_last_batches_finishing_together_one_completes_the_delivery() {
    use diesel::sql_types::{BigInt, Bool};
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    #[derive(diesel::QueryableByName)]
    struct Last {
        #[diesel(sql_type = Bool)]
        last: bool,
    }
    let t = TestApp::spawn_with(Options::default()).await;
    let mut c = t.db().await;
    let d: Id = diesel::sql_query(
        "INSERT INTO deliveries (title, messages, target, status, created_by_label, aggregation_unit) \
         VALUES ('同時に終わる', '[]', '\"all\"', 'sending', 'test', 'race') RETURNING id",
    )
    .get_result(&mut c)
    .await
    .unwrap();
    diesel::sql_query(
        "INSERT INTO delivery_runs (delivery_id, snapshot, recipients, batches_total, batches_written) \
         VALUES ($1, '\\x', 1000, 2, 2)",
    )
    .bind::<BigInt, _>(d.id)
    .execute(&mut c)
    .await
    .unwrap();
    let batches: Vec<Id> = diesel::sql_query(
        "INSERT INTO delivery_batches (delivery_id, seq, retry_key) \
         SELECT $1, s, gen_random_uuid() FROM generate_series(0, 1) s RETURNING id",
    )
    .bind::<BigInt, _>(d.id)
    .load(&mut c)
    .await
    .unwrap();
    let record = "SELECT record_batch_result($1, 'accepted', 500, 0, NULL) AS last";

    diesel::sql_query("BEGIN").execute(&mut c).await.unwrap();
    let first: Last = diesel::sql_query(record)
        .bind::<BigInt, _>(batches[0].id)
        .get_result(&mut c)
        .await
        .unwrap();
    assert!(!first.last, "the other batch is still queued");
    let mut other = t.db().await;
    let second_id = batches[1].id;
    let second = tokio::spawn(async move {
        let r: Last = diesel::sql_query(record)
            .bind::<BigInt, _>(second_id)
            .get_result(&mut other)
            .await
            .unwrap();
        r.last
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "the second result waits for its turn instead of judging an uncommitted first"
    );
    diesel::sql_query("COMMIT").execute(&mut c).await.unwrap();
    let second = tokio::time::timeout(Duration::from_secs(10), second)
        .await
        .expect("the second result goes on once the first commits")
        .unwrap();
    assert!(
        second,
        "the second result sees the first and completes the delivery"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_worker_and_a_flushed_redis_lose_and_duplicate_nothing() {
    let redis = PrivateRedis::start().await;
    let t = TestApp::spawn_with(Options {
        with_workers: false,
        env: vec![
            ("REDIS_URL", redis.url.clone()),
            // Slow enough to interrupt: 40 batches at 10 per second.
            ("TENOHIRA_LINE_MULTICAST_PER_SECOND", "10".into()),
            ("TENOHIRA_DELIVERY_RECONCILE_SECONDS", "2".into()),
            ("TENOHIRA_DELIVERY_CONCURRENCY", "8".into()),
        ],
    })
    .await;
    t.bulk_friends(20_000).await;
    let s = sender(&t, "kansen").await;
    let id = compose(&s, "感染症情報", "感染症の流行情報をお知らせします。").await;
    let mut worker = t.spawn_worker(&[]);
    s.gql(SEND, json!({"id": id})).await;
    let progressed = |n: i64| {
        let s = &s;
        async move { status(s, id).await["batchesDone"].as_i64().unwrap_or(0) >= n }
    };
    t.eventually(30, "some batches sent", || progressed(5))
        .await;
    worker.start_kill().unwrap();
    worker.wait().await.unwrap();
    let at_kill = status(&s, id).await["batchesDone"].as_i64().unwrap();
    assert!(at_kill < 40, "killed mid-delivery");
    let _worker = t.spawn_worker(&[]);
    t.eventually(30, "more batches after the restart", || {
        progressed(at_kill + 5)
    })
    .await;
    // Every queue entry, lease and rate-limiter slot vanishes.
    redis.flushall().await;
    let done = wait_completed(&t, &s, id, 90).await;
    assert_eq!(done["accepted"], 20000, "{done}");
    assert_eq!(done["failed"], 0);
    assert_eq!(
        histogram(&t).await,
        json!({"1": 20000}),
        "nobody missed, nobody twice"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_delivery_fires_once_with_two_workers_and_a_cancelled_one_never() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let _second = t.spawn_worker(&[]);
    let users = t.bulk_friends(30).await;
    let s = sender(&t, "kikaku").await;
    let fires = compose(&s, "予約配信", "予約した時刻に届きます").await;
    let never = compose(&s, "取り消す配信", "これは届きません").await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    for id in [fires, never] {
        let r = s.gql(SEND, json!({"id": id, "at": at})).await;
        assert_eq!(r["data"]["scheduleDelivery"]["status"], "SCHEDULED", "{r}");
    }
    let r = s
        .gql(
            "mutation($id: Int!) { cancelDelivery(id: $id) { status } }",
            json!({"id": never}),
        )
        .await;
    assert_eq!(r["data"]["cancelDelivery"]["status"], "CANCELLED", "{r}");
    let done = wait_completed(&t, &s, fires, 20).await;
    let started =
        chrono::DateTime::parse_from_rfc3339(done["startedAt"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(&at).unwrap();
    let late = (started - due).num_milliseconds();
    assert!(
        (0..2500).contains(&late),
        "started {late} ms after its time"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        histogram(&t).await,
        json!({"1": 30}),
        "once, by one of the two workers"
    );
    assert_eq!(
        t.fake.inbox(&users[0]).await[0]["messages"][0]["text"],
        "予約した時刻に届きます"
    );
    assert_eq!(status(&s, never).await["status"], "CANCELLED");
    assert_eq!(t.count("delivery_runs").await, 1);
    // A delivery that started cannot be cancelled or edited.
    let r = s
        .gql(
            "mutation($id: Int!) { cancelDelivery(id: $id) { status } }",
            json!({"id": fires}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("CONFLICT"), "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_send_reaches_only_the_linked_tester() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let residents = t.bulk_friends(10).await;
    let s = sender(&t, "tester-owner").await;
    let id = compose(&s, "テスト送信", "テスト送信の本文").await;
    // Not linked yet: a clear refusal.
    let r = s
        .gql(
            "mutation($id: Int!) { testSendDelivery(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("CONFLICT"), "{r}");
    let code = s
        .gql("mutation { createTesterLinkCode { code } }", json!({}))
        .await["data"]["createTesterLinkCode"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    let phone = t.fake.user(true).await;
    t.fake
        .post(
            &format!("/_fake/users/{phone}/message"),
            json!({"text": code}),
        )
        .await;
    t.eventually(10, "the tester to be linked", || async {
        !s.gql("{ myTesterLinkedAt }", json!({})).await["data"]["myTesterLinkedAt"].is_null()
    })
    .await;
    assert!(
        t.fake.inbox(&phone).await[0]["messages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("テスト送信先として登録しました")
    );
    let r = s
        .gql(
            "mutation($id: Int!) { testSendDelivery(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["data"]["testSendDelivery"], true, "{r}");
    let inbox = t.fake.inbox(&phone).await;
    assert_eq!(
        inbox.last().unwrap()["messages"][0]["text"],
        "テスト送信の本文"
    );
    for r in &residents {
        assert!(
            t.fake.inbox(r).await.is_empty(),
            "a resident got a test send"
        );
    }
    let d = status(&s, id).await;
    assert_eq!(d["status"], "DRAFT");
    assert_eq!(d["recipients"], 0, "test sends are not statistics");
    // A code works once.
    t.fake
        .post(
            &format!("/_fake/users/{}/message", residents[0]),
            json!({"text": code}),
        )
        .await;
    t.eventually(10, "the refusal reply", || async {
        !t.fake.inbox(&residents[0]).await.is_empty()
    })
    .await;
    assert!(
        t.fake.inbox(&residents[0]).await[0]["messages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("有効期限")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_that_requires_approval_sends_only_after_another_person_approves() {
    let t = TestApp::spawn().await;
    let (admin, team, _) = approval_team(&t, &[DeliveryCreate, DeliverySend]).await;
    let author = join_team(
        &t,
        &admin,
        &team,
        "author",
        &[DeliveryCreate, DeliverySend, DeliveryApprove],
    )
    .await;
    let id = compose(&author, "承認が必要な配信", "本文").await;
    let r = author
        .gql(
            "query($id: Int!) { delivery(id: $id) { requiresApproval } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["data"]["delivery"]["requiresApproval"], true, "{r}");
    let r = author.gql(SEND, json!({"id": id})).await;
    assert_eq!(error_code(&r).as_deref(), Some("CONFLICT"), "{r}");
    let r = author
        .gql(
            "mutation($id: Int!) { approveDelivery(id: $id) { approvedAt } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        error_code(&r).as_deref(),
        Some("FORBIDDEN"),
        "the author cannot approve: {r}"
    );
    let approver = t.signed_in("approver", &[DeliveryApprove]).await;
    let r = approver
        .gql(
            "mutation($id: Int!) { approveDelivery(id: $id) { approvedAt } }",
            json!({"id": id}),
        )
        .await;
    assert!(
        r["data"]["approveDelivery"]["approvedAt"].is_string(),
        "{r}"
    );
    // Editing after approval needs a new approval.
    author
        .gql(
            "mutation($id: Int!, $i: DeliveryInput!) { updateDelivery(id: $id, input: $i) { id } }",
            json!({"id": id, "i": {"title": "承認が必要な配信", "messages": [{"text": "直した本文"}], "target": {"all": true}}}),
        )
        .await;
    let r = author.gql(SEND, json!({"id": id})).await;
    assert_eq!(error_code(&r).as_deref(), Some("CONFLICT"), "{r}");
    approver
        .gql(
            "mutation($id: Int!) { approveDelivery(id: $id) { approvedAt } }",
            json!({"id": id}),
        )
        .await;
    let r = author.gql(SEND, json!({"id": id})).await;
    assert!(r.get("errors").is_none(), "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_messages_are_refused_before_anything_is_queued() {
    let t = TestApp::spawn().await;
    let s = sender(&t, "checker").await;
    let before = t.count("deliveries").await;
    let cases = [
        (
            json!([{"text": "あ".repeat(5001)}]),
            "input.messages[0].text",
        ),
        (
            json!([{"text": "👨‍👩‍👧".repeat(626)}]),
            "input.messages[0].text",
        ),
        (json!([{"text": ""}]), "input.messages[0].text"),
        (
            json!(
                (0..6)
                    .map(|i| json!({"text": i.to_string()}))
                    .collect::<Vec<_>>()
            ),
            "input.messages",
        ),
        (json!([]), "input.messages"),
        (
            json!([{"image": "00000000-0000-0000-0000-000000000000"}]),
            "input.messages[0].mediaId",
        ),
    ];
    for (messages, field) in cases {
        let r = s
            .gql(
                "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id } }",
                json!({"i": {"title": "x", "messages": messages, "target": {"all": true}}}),
            )
            .await;
        assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
        assert_eq!(r["errors"][0]["extensions"]["field"], field, "{r}");
    }
    // 5,000 UTF-16 units exactly is fine (an emoji counts two).
    let ok = s
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id } }",
            json!({"i": {"title": "x", "messages": [{"text": "😀".repeat(2500)}], "target": {"all": true}}}),
        )
        .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    assert_eq!(t.count("deliveries").await, before + 1);
    assert_eq!(t.count("delivery_batches").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn recipients_line_refuses_are_dropped_and_counted_while_the_rest_receive_it() {
    use diesel_async::RunQueryDsl;
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    // Three friends LINE no longer knows (accounts deleted), among 600 it does.
    {
        let mut c = t.db().await;
        diesel::sql_query(
            "INSERT INTO friends (line_user_id, status, first_followed_at, followed_at, status_event_at) \
             SELECT 'U' || lpad(to_hex(g), 32, 'f'), 'following', now(), now(), now() FROM generate_series(1, 3) g",
        )
        .execute(&mut c)
        .await
        .unwrap();
    }
    t.bulk_friends(600).await;
    let s = sender(&t, "sokatsu").await;
    let id = compose(&s, "宛先の一部が無効", "本文").await;
    s.gql(SEND, json!({"id": id})).await;
    let done = wait_completed(&t, &s, id, 30).await;
    assert_eq!(done["recipients"], 603);
    assert_eq!(done["accepted"], 600, "{done}");
    assert_eq!(done["failed"], 3, "{done}");
    assert_eq!(histogram(&t).await, json!({"1": 600}));
}

/// A PNG of `side`×`side` noise (incompressible, so it is large).
fn noisy_png(side: u32) -> Vec<u8> {
    let mut seed: u32 = 12345;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        image::Rgb([(seed >> 16) as u8, (seed >> 8) as u8, seed as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(t: &TestApp, s: Option<&Session>, bytes: Vec<u8>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/media", t.base))
        .header("x-file-name", "%E9%81%BF%E9%9B%A3%E6%89%80.png")
        .header("content-type", "application/octet-stream")
        .body(bytes);
    if let Some(s) = s {
        req = req.header(
            "cookie",
            format!("tenohira_session={}", s.cookie().unwrap()),
        );
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn images_are_checked_given_a_preview_under_1_mb_served_for_a_year_and_delivered_over_https()
{
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        env: vec![(
            "TENOHIRA_MEDIA_PUBLIC_URL",
            "https://media.tenohira.example".into(),
        )],
    })
    .await;
    let s = sender(&t, "gazo").await;
    let big = noisy_png(800);
    assert!(
        big.len() > 1024 * 1024,
        "the original needs a separate preview"
    );
    let (status, body) = upload(&t, Some(&s), big.clone()).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let http = reqwest::Client::new();
    let original = http
        .get(format!("{}/media/{id}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(original.headers()["content-type"], "image/png");
    assert_eq!(
        original.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(original.bytes().await.unwrap().len(), big.len());
    let preview = http
        .get(format!("{}/media/{id}/preview", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(preview.headers()["content-type"], "image/jpeg");
    let p = preview.bytes().await.unwrap();
    assert!(
        p.len() <= 1024 * 1024 && p.len() > 1000,
        "preview {} bytes",
        p.len()
    );

    // Refusals: no session, no permission, not an image, too large. Who may
    // upload is decided before the body is read, so those two send a small
    // one (the server answers and closes while a large body is still being
    // written, which the client reports as a broken pipe).
    let small = b"\x89PNG\r\n\x1a\n".to_vec();
    assert_eq!(upload(&t, None, small.clone()).await.0, 401);
    let reader = t.signed_in("reader", &[FriendsRead]).await;
    assert_eq!(upload(&t, Some(&reader), small).await.0, 403);
    let (status, body) = upload(&t, Some(&s), b"%PDF-1.7 not an image at all".to_vec()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (415, Some("UNSUPPORTED_MEDIA"))
    );
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    huge.resize(10 * 1024 * 1024 + 1, 0);
    let (status, body) = upload(&t, Some(&s), huge).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("TOO_LARGE"))
    );
    let (status, _) = upload(&t, Some(&s), b"\x89PNG\r\n\x1a\n broken".to_vec()).await;
    assert_eq!(status, 422, "a file that only starts like a PNG");
    assert_eq!(t.count("media").await, 1);

    // A delivery with text and the image reaches LINE with HTTPS URLs.
    let users = t.bulk_friends(3).await;
    let r = s
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id messages { type mediaId } } }",
            json!({"i": {"title": "避難所の地図", "messages": [{"text": "最寄りの避難所です"}, {"image": id}], "target": {"all": true}}}),
        )
        .await;
    assert_eq!(
        r["data"]["createDelivery"]["messages"][1]["type"], "image",
        "{r}"
    );
    let delivery = r["data"]["createDelivery"]["id"].as_i64().unwrap();
    s.gql(SEND, json!({"id": delivery})).await;
    wait_completed(&t, &s, delivery, 20).await;
    let got = &t.fake.inbox(&users[0]).await[0]["messages"][1];
    assert_eq!(
        got["originalContentUrl"],
        format!("https://media.tenohira.example/media/{id}")
    );
    assert_eq!(
        got["previewImageUrl"],
        format!("https://media.tenohira.example/media/{id}/preview")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_cannot_be_sent_when_line_would_fetch_it_over_plain_http() {
    let t = TestApp::spawn_with(Options {
        env: vec![(
            "TENOHIRA_MEDIA_PUBLIC_URL",
            "http://insecure.example".into(),
        )],
        ..Default::default()
    })
    .await;
    let s = sender(&t, "http-check").await;
    let (status, body) = upload(&t, Some(&s), noisy_png(16)).await;
    assert_eq!(status, 201, "{body}");
    let r = s
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id } }",
            json!({"i": {"title": "x", "messages": [{"image": body["id"]}], "target": {"all": true}}}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
    assert_eq!(
        r["errors"][0]["extensions"]["field"],
        "input.messages[0].mediaId"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn another_prefecture_system_creates_sends_and_reads_statistics_with_a_service_token() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    t.bulk_friends(25).await;
    let (_, token) = tenohira::staff::service_accounts::create(
        &t.app,
        &tenohira::auth::Caller::system(),
        tenohira::staff::service_accounts::CreateInput {
            name: "防災情報システム".into(),
            description: "気象警報の自動配信".into(),
            permissions: vec!["delivery.create".into(), "delivery.send".into()],
        },
    )
    .await
    .unwrap();
    let system = Session::with_bearer(&t.base, &token);
    let id = compose(&system, "大雨警報", "大雨警報が発表されました。").await;
    let r = system.gql(SEND, json!({"id": id})).await;
    assert!(r.get("errors").is_none(), "{r}");
    let done = wait_completed(&t, &system, id, 20).await;
    assert_eq!(done["accepted"], 25);
    let r = system
        .gql(
            "query($id: Int!) { delivery(id: $id) { createdBy } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["data"]["delivery"]["createdBy"], "防災情報システム");
    // Its token reaches nothing else.
    let r = system
        .gql("{ staffAccounts { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_video_goes_out_with_its_preview_image() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        env: vec![(
            "TENOHIRA_MEDIA_PUBLIC_URL",
            "https://media.tenohira.example".into(),
        )],
    })
    .await;
    let users = t.bulk_friends(2).await;
    let s = sender(&t, "douga").await;
    let mut mp4 = vec![0, 0, 0, 0x18];
    mp4.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    mp4.resize(64 * 1024, 0);
    let (status, video) = upload(&t, Some(&s), mp4).await;
    assert_eq!(
        (status, video["kind"].as_str()),
        (201, Some("video")),
        "{video}"
    );
    let (_, still) = upload(&t, Some(&s), noisy_png(32)).await;
    // A video's preview must be an image.
    let r = s
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id } }",
            json!({"i": {"title": "x", "messages": [{"video": {"mediaId": video["id"], "previewMediaId": video["id"]}}], "target": {"all": true}}}),
        )
        .await;
    assert_eq!(
        r["errors"][0]["extensions"]["field"], "input.messages[0].previewMediaId",
        "{r}"
    );
    let r = s
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id } }",
            json!({"i": {"title": "防災訓練の動画", "messages": [{"video": {"mediaId": video["id"], "previewMediaId": still["id"]}}], "target": {"all": true}}}),
        )
        .await;
    let id = r["data"]["createDelivery"]["id"].as_i64().expect("created");
    s.gql(SEND, json!({"id": id})).await;
    wait_completed(&t, &s, id, 20).await;
    let got = &t.fake.inbox(&users[1]).await[0]["messages"][0];
    assert_eq!(got["type"], "video");
    assert_eq!(
        got["originalContentUrl"],
        format!(
            "https://media.tenohira.example/media/{}",
            video["id"].as_str().unwrap()
        )
    );
    assert_eq!(
        got["previewImageUrl"],
        format!(
            "https://media.tenohira.example/media/{}/preview",
            still["id"].as_str().unwrap()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn media_can_live_in_an_s3_compatible_bucket() {
    let s3 = MotoServer::start().await;
    let t = TestApp::spawn_with(Options {
        env: vec![
            ("TENOHIRA_MEDIA_STORE", "s3".into()),
            ("TENOHIRA_S3_ENDPOINT", s3.endpoint.clone()),
            ("TENOHIRA_S3_BUCKET", "tenohira-media".into()),
            ("TENOHIRA_S3_ACCESS_KEY_ID", "test-key".into()),
            ("TENOHIRA_S3_SECRET_ACCESS_KEY", "test-secret".into()),
        ],
        ..Default::default()
    })
    .await;
    t.app.media.s3().unwrap().create_bucket().await.unwrap();
    let s = sender(&t, "s3-user").await;
    let big = noisy_png(800);
    let (status, body) = upload(&t, Some(&s), big.clone()).await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap();
    // The objects are in the bucket, read straight from the S3 server.
    let listing = reqwest::get(format!("{}/tenohira-media", s3.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listing.contains(&format!("<Key>{id}</Key>")), "{listing}");
    assert!(
        listing.contains(&format!("<Key>{id}.preview</Key>")),
        "{listing}"
    );
    // And served to LINE through tenohira as before.
    let original = reqwest::get(format!("{}/media/{id}", t.base))
        .await
        .unwrap();
    assert_eq!(original.status(), 200);
    assert_eq!(original.bytes().await.unwrap().len(), big.len());
    let preview = reqwest::get(format!("{}/media/{id}/preview", t.base))
        .await
        .unwrap();
    assert_eq!(preview.headers()["content-type"], "image/jpeg");
    assert!(preview.bytes().await.unwrap().len() <= 1024 * 1024);
    assert_eq!(
        reqwest::get(format!("{}/media/{}", t.base, uuid::Uuid::new_v4()))
            .await
            .unwrap()
            .status(),
        404
    );
}

const UPDATE: &str = "mutation($id: Int!, $i: DeliveryInput!) { updateDelivery(id: $id, input: $i) { id status approvedAt } }";

fn draft(text: &str, target: Value) -> Value {
    json!({"title": "承認が必要な配信", "messages": [{"text": text}], "target": target})
}

/// A team requiring approval, with a member "member" holding `permissions`;
/// returns (admin, team id, member).
async fn approval_team(
    t: &TestApp,
    permissions: &[tenohira::auth::Permission],
) -> (Session, String, Session) {
    let admin = t.signed_in("admin", &[StaffManage]).await;
    let team = admin
        .gql(
            "mutation { createTeam(input: {name: \"広報課\"}) { id } }",
            json!({}),
        )
        .await["data"]["createTeam"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    admin
        .gql(
            "mutation($t: UUID!) { setTeamDeliveryApproval(teamId: $t, required: true) }",
            json!({"t": team}),
        )
        .await;
    let member = join_team(t, &admin, &team, "member", permissions).await;
    (admin, team, member)
}

async fn join_team(
    t: &TestApp,
    admin: &Session,
    team: &str,
    login: &str,
    permissions: &[tenohira::auth::Permission],
) -> Session {
    let id = t.create_staff(login, permissions).await;
    admin
        .gql(
            "mutation($id: UUID!, $t: UUID) { updateStaffAccount(id: $id, input: {teamId: $t}) { id } }",
            json!({"id": id, "t": team}),
        )
        .await;
    let mut s = t.session();
    s.login(login, tenohira_tests::PASSWORD).await;
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approved_scheduled_delivery_that_is_edited_is_a_draft_again_and_needs_a_new_approval() {
    let t = TestApp::spawn().await;
    let users = t.bulk_friends(3).await;
    let (_admin, _team, author) = approval_team(&t, &[DeliveryCreate, DeliverySend]).await;
    let approver = t.signed_in("approver", &[DeliveryApprove]).await;
    let r = author
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id } }",
            json!({"i": draft("承認された本文", json!({"all": true}))}),
        )
        .await;
    let id = r["data"]["createDelivery"]["id"].as_i64().unwrap();
    approver
        .gql(
            "mutation($id: Int!) { approveDelivery(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let r = author.gql(SEND, json!({"id": id, "at": later})).await;
    assert_eq!(r["data"]["scheduleDelivery"]["status"], "SCHEDULED", "{r}");

    // The author changes the approved, scheduled text.
    let r = author
        .gql(
            UPDATE,
            json!({"id": id, "i": draft("承認されていない本文", json!({"all": true}))}),
        )
        .await;
    assert_eq!(r["data"]["updateDelivery"]["status"], "DRAFT", "{r}");
    assert_eq!(r["data"]["updateDelivery"]["approvedAt"], Value::Null);
    let r = author.gql(SEND, json!({"id": id})).await;
    assert_eq!(error_code(&r).as_deref(), Some("CONFLICT"), "{r}");

    // Even content changed behind the service's back (or a start racing an
    // edit) is checked by the start itself, in its own transaction.
    approver
        .gql(
            "mutation($id: Int!) { approveDelivery(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    let r = author.gql(SEND, json!({"id": id, "at": later})).await;
    assert_eq!(r["data"]["scheduleDelivery"]["status"], "SCHEDULED", "{r}");
    {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(
            "UPDATE deliveries SET messages = '[{\"type\": \"text\", \"text\": \"すり替えた本文\"}]', \
             scheduled_at = now() - interval '1 second' WHERE id = $1",
        )
        .bind::<diesel::sql_types::BigInt, _>(id)
        .execute(&mut t.db().await)
        .await
        .unwrap();
    }
    let started = tenohira::delivery::dispatch::start(&t.app, id)
        .await
        .unwrap();
    assert!(!started, "content that was not approved does not start");
    assert_eq!(status(&author, id).await["status"], "DRAFT");
    assert!(
        t.audit_actions()
            .await
            .contains(&("delivery.start_refused".into(), "failure".into())),
        "the refusal is audited"
    );
    for u in &users {
        assert!(t.fake.inbox(u).await.is_empty(), "nothing went out");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_author_their_team_or_an_approver_may_change_a_delivery() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let friends = t.bulk_friends(2).await;
    let first_friend: i64 = {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("SELECT min(id) AS n FROM friends")
            .get_result::<tenohira_tests::Count>(&mut t.db().await)
            .await
            .unwrap()
            .n
    };
    let (admin, team, author) = approval_team(&t, &[DeliveryCreate, DeliverySend]).await;
    let approver = t
        .signed_in("approver", &[DeliveryApprove, DeliveryCreate])
        .await;
    let r = author
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id } }",
            json!({"i": draft("一人だけに", json!({"friendIds": [first_friend.to_string()]}))}),
        )
        .await;
    let id = r["data"]["createDelivery"]["id"].as_i64().unwrap();
    approver
        .gql(
            "mutation($id: Int!) { approveDelivery(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;

    // Someone with delivery.create in no team (or another) cannot touch it.
    let outsider = t
        .signed_in("outsider", &[DeliveryCreate, DeliverySend])
        .await;
    let to_all = json!({"id": id, "i": draft("全員に別の本文", json!({"all": true}))});
    let r = outsider.gql(UPDATE, to_all.clone()).await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let r = outsider
        .gql(
            "mutation($id: Int!) { deleteDelivery(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let creator_only = t.signed_in("creator-only", &[DeliveryCreate]).await;
    let r = creator_only
        .gql(
            "mutation($id: Int!) { cancelDelivery(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let r = author.gql(SEND, json!({"id": id})).await;
    assert!(r.get("errors").is_none(), "still approved as it was: {r}");
    t.eventually(20, "the one-recipient delivery to go out", || async {
        status(&author, id).await["status"] == "COMPLETED"
    })
    .await;
    assert_eq!(t.fake.inbox(&friends[0]).await.len(), 1);
    assert!(
        t.fake.inbox(&friends[1]).await.is_empty(),
        "the target did not change"
    );

    // A colleague in the author's team may edit (and the change is audited as such).
    let r = author
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id } }",
            json!({"i": draft("下書き", json!({"all": true}))}),
        )
        .await;
    let second = r["data"]["createDelivery"]["id"].as_i64().unwrap();
    let colleague = join_team(&t, &admin, &team, "colleague", &[DeliveryCreate]).await;
    let r = colleague
        .gql(
            UPDATE,
            json!({"id": second, "i": draft("同僚が直した", json!({"all": true}))}),
        )
        .await;
    assert_eq!(r["data"]["updateDelivery"]["status"], "DRAFT", "{r}");
    let r = approver
        .gql(
            UPDATE,
            json!({"id": second, "i": draft("承認者が直した", json!({"all": true}))}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct S {
            #[diesel(sql_type = diesel::sql_types::Text)]
            s: String,
        }
        let rows: Vec<S> = diesel::sql_query(
            "SELECT summary::text AS s FROM audit_log WHERE action = 'delivery.update' ORDER BY id",
        )
        .load(&mut t.db().await)
        .await
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert!(
            rows.iter()
                .all(|r| r.s.contains("\"byOtherThanAuthor\": true")),
            "{}",
            rows[0].s
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_say_what_they_are_and_a_picture_too_large_to_decode_is_refused_from_its_header() {
    let t = TestApp::spawn().await;
    let s = sender(&t, "uploader").await;
    let post = |content_type: Option<&'static str>, body: Vec<u8>| {
        let cookie = s.cookie().unwrap();
        let url = format!("{}/media", t.base);
        async move {
            let mut req = reqwest::Client::new()
                .post(url)
                .header("cookie", format!("tenohira_session={cookie}"))
                .body(body);
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            let r = req.send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let png = noisy_png(64);
    // What a cross-site form could send, or nothing at all: refused.
    for ct in [
        None,
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let (status, body) = post(ct, png.clone()).await;
        assert_eq!(status, 415, "{ct:?}: {body}");
    }
    // A declared type that the bytes contradict.
    let (status, _) = post(Some("image/jpeg"), png.clone()).await;
    assert_eq!(status, 415);
    let (status, body) = post(Some("image/png"), png.clone()).await;
    assert_eq!(status, 201, "{body}");

    // 11,000 × 11,000 claimed by a file of a few hundred bytes: refused
    // from the header, at once, without the 363 MB a decode would take.
    // So are a side over 10,000 px and an area over 40 MP.
    for (w, h) in [(11_000, 11_000), (10_001, 10), (8_000, 6_000)] {
        let started = std::time::Instant::now();
        let (status, body) = post(Some("image/png"), tenohira_tests::png_claiming(w, h)).await;
        assert_eq!(status, 422, "{w}×{h}: {body}");
        assert_eq!(body["error"]["code"], "IMAGE_TOO_LARGE", "{body}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_line_account_guessing_tester_codes_gets_five_tries_an_hour() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let s = sender(&t, "tester-owner").await;
    let code = s
        .gql("mutation { createTesterLinkCode { code } }", json!({}))
        .await["data"]["createTesterLinkCode"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    let guesser = t.fake.user(true).await;
    let say = |text: String| {
        let path = format!("/_fake/users/{guesser}/message");
        let fake = &t.fake;
        async move { fake.post(&path, json!({ "text": text })).await }
    };
    for n in 0..5 {
        say(format!("TEST-{:06}", (n * 7919) % 1_000_000)).await;
    }
    t.eventually(10, "five refusals", || async {
        t.fake.inbox(&guesser).await.len() == 5
    })
    .await;
    // The sixth try is the right code, and still refused: the tries are used up.
    say(code.clone()).await;
    t.eventually(10, "the notice that tries are used up", || async {
        t.fake.inbox(&guesser).await.len() == 6
    })
    .await;
    let last = t.fake.inbox(&guesser).await[5]["messages"][0]["text"].clone();
    assert!(
        last.as_str().unwrap().contains("しばらく受け付けません"),
        "{last}"
    );
    assert!(
        s.gql("{ myTesterLinkedAt }", json!({})).await["data"]["myTesterLinkedAt"].is_null(),
        "not linked"
    );
    // Another LINE account (the staff member's own phone) is unaffected.
    let phone = t.fake.user(true).await;
    t.fake
        .post(
            &format!("/_fake/users/{phone}/message"),
            json!({"text": code}),
        )
        .await;
    t.eventually(10, "the tester to be linked", || async {
        !s.gql("{ myTesterLinkedAt }", json!({})).await["data"]["myTesterLinkedAt"].is_null()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_redis_outage_costs_about_its_length_and_new_work_starts_at_once() {
    let mut redis = PrivateRedis::start().await;
    let t = TestApp::spawn_with(Options {
        with_workers: false,
        env: vec![
            ("REDIS_URL", redis.url.clone()),
            // 40 batches at 10 a second: about 4 s of sending.
            ("TENOHIRA_LINE_MULTICAST_PER_SECOND", "10".into()),
            ("TENOHIRA_DELIVERY_CONCURRENCY", "8".into()),
        ],
    })
    .await;
    t.bulk_friends(20_000).await;
    let s = sender(&t, "outage").await;
    let _worker = t.spawn_worker(&[]);
    let id = compose(&s, "停電中のお知らせ", "停電の復旧見込みをお知らせします。").await;
    s.gql(SEND, json!({"id": id})).await;
    t.eventually(30, "some batches sent", || async {
        status(&s, id).await["batchesDone"].as_i64().unwrap_or(0) >= 5
    })
    .await;
    // Redis away for 3 s, then back empty: every queue entry and lease gone.
    let outage = Duration::from_secs(3);
    let stopped = std::time::Instant::now();
    redis.stop().await;
    tokio::time::sleep(outage).await;
    redis.restart_empty().await;
    let done = wait_completed(&t, &s, id, 60).await;
    let took = stopped.elapsed();
    assert_eq!(done["accepted"], 20000, "{done}");
    assert_eq!(
        histogram(&t).await,
        json!({"1": 20000}),
        "nobody missed, nobody twice"
    );
    // At most the outage, the ~3.5 s of sending left, and a few seconds more
    // (before: the reconciler's 30 s).
    eprintln!("completed {took:?} after a {outage:?} outage began");
    assert!(
        took < outage + Duration::from_secs(10),
        "completed {took:?} after the outage began"
    );

    // Work pushed after the return is taken at once.
    let second = compose(&s, "復旧のお知らせ", "電気が復旧しました。").await;
    let asked = std::time::Instant::now();
    s.gql(SEND, json!({"id": second})).await;
    t.eventually(5, "the second delivery's first batch", || async {
        status(&s, second).await["batchesDone"]
            .as_i64()
            .unwrap_or(0)
            >= 1
    })
    .await;
    eprintln!(
        "the next delivery's first batch after {:?}",
        asked.elapsed()
    );
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "started after {:?}",
        asked.elapsed()
    );
}
