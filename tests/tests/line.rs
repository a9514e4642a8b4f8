//! The LINE boundary against line-fake: webhook signatures and intake,
//! friends, the welcome message, the client's retry behaviour, ID tokens and
//! the shared rate limiter. Real processes, real HTTP.

use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tenohira::auth::Permission;
use tenohira_tests::{CHANNEL_SECRET, Options, TestApp, data, error_code};
use uuid::Uuid;

fn sign(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn event(id: &str, kind: &str, user: &str) -> Value {
    json!({
        "type": kind, "mode": "active", "timestamp": 1_790_000_000_000u64,
        "source": {"type": "user", "userId": user}, "webhookEventId": id,
        "deliveryContext": {"isRedelivery": false}
    })
}

async fn post_webhook(t: &TestApp, body: &str, signature: Option<(&str, String)>) -> u16 {
    let mut req = reqwest::Client::new()
        .post(format!("{}/line/webhook", t.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some((name, value)) = signature {
        req = req.header(name, value);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_signatures_are_checked_before_anything_is_stored() {
    let t = TestApp::spawn().await;
    let user = format!("U{}", "a".repeat(32));
    let body = json!({"destination": "Uxxx", "events": [event("01JAAAAAAAAAAAAAAAAAAAAAAA", "follow", &user)]}).to_string();
    let good = sign(CHANNEL_SECRET, &body);

    assert_eq!(post_webhook(&t, &body, None).await, 401, "missing");
    assert_eq!(
        post_webhook(&t, &body, Some(("x-line-signature", "bm90IGl0".into()))).await,
        401,
        "bad"
    );
    assert_eq!(
        post_webhook(
            &t,
            &body,
            Some(("x-line-signature", sign("another-secret", &body)))
        )
        .await,
        401,
        "other secret"
    );
    let tampered = body.replace("follow", "unfollow");
    assert_eq!(
        post_webhook(&t, &tampered, Some(("x-line-signature", good.clone()))).await,
        401,
        "tampered"
    );
    assert_eq!(t.count("line_webhook_events").await, 0, "nothing stored");

    // Header names are case-insensitive.
    assert_eq!(
        post_webhook(&t, &body, Some(("X-Line-Signature", good.clone()))).await,
        200
    );
    assert_eq!(t.count("line_webhook_events").await, 1);

    // The same event again (redelivery or duplicate) is stored once.
    assert_eq!(
        post_webhook(&t, &body, Some(("x-line-signature", good))).await,
        200
    );
    assert_eq!(t.count("line_webhook_events").await, 1);

    // An empty event list is LINE's connectivity check.
    let empty = json!({"destination": "Uxxx", "events": []}).to_string();
    assert_eq!(
        post_webhook(
            &t,
            &empty,
            Some(("x-line-signature", sign(CHANNEL_SECRET, &empty)))
        )
        .await,
        200
    );

    // Several events, one of them a duplicate of a stored one.
    let two = json!({"destination": "U", "events": [
        event("01JAAAAAAAAAAAAAAAAAAAAAAA", "follow", &user),
        event("01JBBBBBBBBBBBBBBBBBBBBBBB", "unfollow", &user),
    ]})
    .to_string();
    let started = Instant::now();
    assert_eq!(
        post_webhook(
            &t,
            &two,
            Some(("x-line-signature", sign(CHANNEL_SECRET, &two)))
        )
        .await,
        200
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered well within LINE's 2 s"
    );
    assert_eq!(t.count("line_webhook_events").await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_welcome_unfollow_refollow() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let staff = t
        .signed_in(
            "pr-staff",
            &[Permission::FriendsRead, Permission::SegmentManage],
        )
        .await;
    let user = t.fake.user(false).await;

    let r = t
        .fake
        .post(&format!("/_fake/users/{user}/follow"), json!({}))
        .await;
    assert_eq!(r["webhookStatus"], 200, "{r}");
    t.eventually(10, "the welcome message", || async {
        !t.fake.inbox(&user).await.is_empty()
    })
    .await;
    let inbox = t.fake.inbox(&user).await;
    assert_eq!(inbox[0]["via"], "reply");
    assert_eq!(
        inbox[0]["messages"][0]["text"],
        "友だち追加ありがとうございます。県からのお知らせをお届けします。"
    );

    let counts = "{ friendCounts { following blocked newLast7Days blockedLast7Days blockRate } }";
    let r = staff.gql(counts, json!({})).await;
    assert_eq!(
        data(&r)["friendCounts"],
        json!({"following": 1, "blocked": 0, "newLast7Days": 1, "blockedLast7Days": 0, "blockRate": 0.0})
    );

    t.fake
        .post(&format!("/_fake/users/{user}/unfollow"), json!({}))
        .await;
    t.eventually(10, "the block", || async {
        staff.gql(counts, json!({})).await["data"]["friendCounts"]["blocked"] == 1
    })
    .await;
    let r = staff
        .gql(
            "{ friends(status: BLOCKED) { totalCount items { status blockedAt } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&r)["friends"]["totalCount"], 1);
    assert!(
        r["data"]["friends"]["items"][0]["blockedAt"].is_string(),
        "blocked with time, data kept"
    );
    assert!(
        !r.to_string().contains(&user),
        "the staff list carries no LINE user id"
    );

    // Staff change the welcome message; the re-follow gets the new one.
    data(
        &staff
            .gql(
                "mutation { setWelcomeMessage(text: \"おかえりなさい\") }",
                json!({}),
            )
            .await,
    );
    t.fake
        .post(&format!("/_fake/users/{user}/follow"), json!({}))
        .await;
    t.eventually(10, "the second welcome", || async {
        t.fake.inbox(&user).await.len() == 2
    })
    .await;
    assert_eq!(
        t.fake.inbox(&user).await[1]["messages"][0]["text"],
        "おかえりなさい"
    );
    let r = staff.gql(counts, json!({})).await;
    assert_eq!(data(&r)["friendCounts"]["following"], 1);
    assert_eq!(r["data"]["friendCounts"]["newLast7Days"], 2);

    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz_jst())
        .date_naive();
    let r = staff
        .gql(
            "query($d: NaiveDate!) { friendDailyCounts(from: $d, to: $d) { date follows unfollows following } }",
            json!({"d": today.to_string()}),
        )
        .await;
    assert_eq!(
        data(&r)["friendDailyCounts"][0],
        json!({"date": today.to_string(), "follows": 2, "unfollows": 1, "following": 1})
    );
}

fn chrono_tz_jst() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(9 * 3600).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn standby_events_are_never_answered() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let user = t.fake.user(false).await;
    t.fake
        .post(
            &format!("/_fake/users/{user}/follow"),
            json!({"mode": "standby"}),
        )
        .await;
    t.eventually(10, "the event processed", || async {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut c = t.db().await;
        let r: N = diesel::sql_query(
            "SELECT count(*) AS n FROM line_webhook_events WHERE status = 'processed'",
        )
        .get_result(&mut c)
        .await
        .unwrap();
        r.n == 1
    })
    .await;
    assert_eq!(t.count("friends").await, 1, "the friend is recorded");
    assert!(
        t.fake.inbox(&user).await.is_empty(),
        "but nothing is replied in standby"
    );
}

fn text(s: &str) -> Vec<Value> {
    vec![json!({"type": "text", "text": s})]
}

#[tokio::test(flavor = "multi_thread")]
async fn client_retries_only_what_is_safe_to_retry() {
    let t = TestApp::spawn().await;
    let line = t
        .app
        .line
        .clone()
        .with_base_backoff(Duration::from_millis(5));
    let a = t.fake.user(true).await;
    let b = t.fake.user(true).await;
    let to = vec![a.clone(), b.clone()];

    // 200.
    let key = Uuid::new_v4();
    let r = line
        .multicast(&to, &text("1"), key, Some("test_unit"))
        .await
        .unwrap();
    assert!(!r.duplicate && r.request_id.is_some());
    // 409: the same key again is success, not a second message.
    let again = line
        .multicast(&to, &text("1"), key, Some("test_unit"))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.accepted_request_id, r.request_id);
    assert_eq!(t.fake.inbox(&a).await.len(), 1);
    assert_eq!(
        t.fake.inbox(&a).await[0]["customAggregationUnits"],
        json!(["test_unit"])
    );

    // 500 then success: retried with the same key, delivered once.
    t.fake
        .post("/_fake/faults", json!({"errorRate": 1.0}))
        .await;
    let fut = tokio::spawn({
        let line = line.clone();
        let to = to.clone();
        async move { line.multicast(&to, &text("2"), Uuid::new_v4(), None).await }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    t.fake.post("/_fake/faults", json!({})).await;
    let r = fut.await.unwrap().unwrap();
    assert!(r.attempts > 1, "it was retried");
    let inbox = t.fake.inbox(&b).await;
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[1]["messages"][0]["text"], "2");

    // Accepted, then the answer never came (timeout): the retry gets 409, one message.
    let short = {
        let mut cfg = t.app.config.line.clone();
        cfg.timeout = Duration::from_millis(300);
        tenohira::line::LineClient::new(&cfg, t.app.redis.clone())
            .unwrap()
            .with_base_backoff(Duration::from_millis(5))
    };
    t.fake
        .post(
            "/_fake/faults",
            json!({"timeoutRate": 1.0, "timeoutMs": 2000}),
        )
        .await;
    let fut = tokio::spawn({
        let to = to.clone();
        async move { short.multicast(&to, &text("3"), Uuid::new_v4(), None).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    t.fake.post("/_fake/faults", json!({})).await;
    let r = fut.await.unwrap().unwrap();
    assert!(r.duplicate, "the retry found the key accepted");
    assert_eq!(t.fake.inbox(&a).await.len(), 3, "exactly one message 3");

    // 429 bursts are waited out.
    t.fake.post("/_fake/faults", json!({"burst429": 2})).await;
    let r = line.push(&a, &text("4"), Uuid::new_v4()).await.unwrap();
    assert_eq!(r.attempts, 3);
    assert!(r.body["sentMessages"][0]["id"].is_string());

    // 400 is not retried.
    let stats_before = t.fake.get("/_fake/stats").await;
    let unknown = format!("U{}", "0".repeat(32));
    let e = line
        .multicast(&[a.clone(), unknown], &text("5"), Uuid::new_v4(), None)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("to[1]"), "{e}");
    let stats_after = t.fake.get("/_fake/stats").await;
    assert_eq!(stats_after["accepted"], stats_before["accepted"]);

    // Our own checks refuse bad messages before anything is sent.
    let long = "😀".repeat(2501);
    let e = line
        .multicast(&to, &text(&long), Uuid::new_v4(), None)
        .await
        .unwrap_err();
    assert!(matches!(e, tenohira::line::LineError::Invalid(_)), "{e}");
    let http = vec![
        json!({"type": "image", "originalContentUrl": "http://x/a.jpg", "previewImageUrl": "https://x/b.jpg"}),
    ];
    assert!(matches!(
        line.multicast(&to, &http, Uuid::new_v4(), None).await,
        Err(tenohira::line::LineError::Invalid(_))
    ));
    let six: Vec<Value> = (0..6)
        .map(|i| json!({"type": "text", "text": format!("{i}")}))
        .collect();
    assert!(matches!(
        line.multicast(&to, &six, Uuid::new_v4(), None).await,
        Err(tenohira::line::LineError::Invalid(_))
    ));
    let many: Vec<String> = (0..501).map(|_| a.clone()).collect();
    assert!(matches!(
        line.multicast(&many, &text("x"), Uuid::new_v4(), None)
            .await,
        Err(tenohira::line::LineError::Invalid(_))
    ));
    assert_eq!(
        t.fake.get("/_fake/stats").await["accepted"],
        stats_before["accepted"]
    );

    // Reading calls.
    assert_eq!(line.quota().await.unwrap()["type"], "none");
    assert_eq!(line.profile(&a).await.unwrap()["userId"], a);
    let (ids, next) = line.follower_ids(None, 1).await.unwrap();
    assert_eq!(ids.len(), 1);
    let (ids2, _) = line.follower_ids(next.as_deref(), 1).await.unwrap();
    assert_ne!(ids, ids2);
}

#[tokio::test(flavor = "multi_thread")]
async fn rich_menu_calls_follow_lines_rules() {
    let t = TestApp::spawn().await;
    let line = &t.app.line;
    let user = t.fake.user(true).await;
    let menu = json!({
        "size": {"width": 2500, "height": 843}, "selected": true, "name": "メイン", "chatBarText": "メニュー",
        "areas": [{"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843}, "action": {"type": "uri", "uri": "https://example.jp/liff"}}]
    });
    line.richmenu_validate(&menu).await.unwrap();
    let mut bad = menu.clone();
    bad["size"]["height"] = json!(2000);
    assert_eq!(
        line.richmenu_validate(&bad).await.unwrap_err().status(),
        Some(400)
    );
    let id = line.richmenu_create(&menu).await.unwrap();
    // Not before the image is there.
    assert_eq!(
        line.richmenu_set_default(&id).await.unwrap_err().status(),
        Some(400)
    );
    let png = png_of(2500, 843);
    line.richmenu_upload_image(&id, "image/png", png.clone())
        .await
        .unwrap();
    let again = line
        .richmenu_upload_image(&id, "image/png", png)
        .await
        .unwrap_err();
    assert!(
        again.to_string().contains("already been uploaded"),
        "{again}"
    );
    line.richmenu_set_default(&id).await.unwrap();
    line.richmenu_alias_create("main-tab", &id).await.unwrap();
    line.richmenu_alias_update("main-tab", &id).await.unwrap();
    line.richmenu_link_user(&user, &id).await.unwrap();
    line.richmenu_bulk_link(&id, std::slice::from_ref(&user))
        .await
        .unwrap();
    assert_eq!(
        t.fake.get(&format!("/_fake/users/{user}/inbox")).await["richMenuId"],
        id
    );
    line.richmenu_unlink_user(&user).await.unwrap();
    line.richmenu_alias_delete("main-tab").await.unwrap();
    line.richmenu_clear_default().await.unwrap();
    line.richmenu_delete(&id).await.unwrap();
}

/// A minimal PNG header with the given size (line-fake reads only the IHDR).
fn png_of(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend(w.to_be_bytes());
    v.extend(h.to_be_bytes());
    v.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn liff_id_tokens_are_verified_locally() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        env: vec![("TENOHIRA_LINE_JWKS_REFRESH_SECONDS", "1".into())],
    })
    .await;
    let user = t.fake.user(false).await;
    t.fake
        .post(&format!("/_fake/users/{user}/follow"), json!({}))
        .await;
    t.eventually(10, "the friend", || async { t.count("friends").await == 1 })
        .await;
    let me = "{ me { lineUserId friendStatus displayName } }";

    let valid = t.fake.id_token(json!({"userId": user})).await;
    let r = t.liff(Some(&valid), me).await;
    assert_eq!(
        data(&r)["me"],
        json!({"lineUserId": user, "friendStatus": "FOLLOWING", "displayName": "県民 テスト"})
    );

    let rejected = [
        ("expired", json!({"userId": user, "expiresIn": -120})),
        (
            "wrong audience",
            json!({"userId": user, "aud": "1234567890"}),
        ),
        (
            "wrong issuer",
            json!({"userId": user, "iss": "https://evil.example"}),
        ),
        (
            "unknown kid",
            json!({"userId": user, "unpublishedKid": true}),
        ),
        ("alg none", json!({"userId": user, "alg": "none"})),
        (
            "HS256 with the channel secret",
            json!({"userId": user, "alg": "HS256"}),
        ),
        (
            "HS256 with the public key",
            json!({"userId": user, "alg": "HS256", "hsKey": "publicKey"}),
        ),
    ];
    for (what, req) in rejected {
        let token = t.fake.id_token(req).await;
        let r = t.liff(Some(&token), me).await;
        assert_eq!(
            error_code(&r).as_deref(),
            Some("UNAUTHENTICATED"),
            "{what}: {r}"
        );
    }
    let r = t.liff(None, me).await;
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"));
    let r = t.liff(Some("garbage"), me).await;
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"));

    // LINE publishes a new key: the unknown kid makes tenohira fetch the JWKS
    // again (once the fetch throttle, here 1 s, allows).
    t.fake.post("/_fake/keys/rotate", json!({})).await;
    let rotated = t.fake.id_token(json!({"userId": user})).await;
    t.eventually(5, "the new key to be fetched", || async {
        t.liff(Some(&rotated), me).await["data"]["me"]["lineUserId"] == user.as_str()
    })
    .await;

    // LINE withdraws the first key: a token it signed stops working, even
    // one verified (and cached) before.
    let r = t.liff(Some(&valid), me).await;
    assert_eq!(data(&r)["me"]["lineUserId"], user.as_str());
    t.fake.post("/_fake/keys/retire", json!({})).await;
    t.eventually(5, "the withdrawn key's token to be refused", || async {
        error_code(&t.liff(Some(&valid), me).await).as_deref() == Some("UNAUTHENTICATED")
    })
    .await;
    let r = t.liff(Some(&rotated), me).await;
    assert_eq!(
        data(&r)["me"]["lineUserId"],
        user.as_str(),
        "the current key still works"
    );

    let m = t.metrics().await;
    assert!(
        m.contains("tenohira_liff_id_token_failures_total{reason=\"expired\"}"),
        "{m}"
    );

    // Staff endpoints do not accept a resident's token, and residents hold no permission.
    let staff = tenohira_tests::Session::with_bearer(&t.base, &valid);
    assert_eq!(
        error_code(&staff.gql("{ friendCounts { following } }", json!({})).await).as_deref(),
        Some("UNAUTHENTICATED")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_share_one_rate_limit() {
    // Two independent apps (separate pools, Redis connections and HTTP
    // clients, as two worker processes have) sharing one Redis prefix.
    let t = TestApp::spawn_with(Options {
        env: vec![("TENOHIRA_LINE_MULTICAST_PER_SECOND", "50".into())],
        ..Default::default()
    })
    .await;
    let second = tenohira::app::App::connect(t.app.config.clone())
        .await
        .unwrap();
    t.fake
        .post("/_fake/rate-limits", json!({"multicast": 50}))
        .await;
    let user = t.fake.user(true).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, line) in [t.app.line.clone(), second.line.clone()]
        .into_iter()
        .enumerate()
    {
        let user = user.clone();
        tasks.push(tokio::spawn(async move {
            let mut attempts = 0;
            for n in 0..50 {
                let r = line
                    .multicast(
                        std::slice::from_ref(&user),
                        &text(&format!("{i}-{n}")),
                        Uuid::new_v4(),
                        None,
                    )
                    .await
                    .unwrap();
                attempts += r.attempts;
            }
            attempts
        }));
    }
    let mut attempts = 0;
    for task in tasks {
        attempts += task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let stats = t.fake.get("/_fake/stats").await;
    assert_eq!(stats["accepted"]["multicast"], 100);
    assert_eq!(attempts, 100, "no request needed a retry");
    assert!(
        stats["rejected"].get("multicast:429").is_none(),
        "LINE never said 429: {stats}"
    );
    // 100 requests at 50/s with no burst take at least 99 intervals.
    assert!(elapsed >= Duration::from_millis(1950), "{elapsed:?}");
}
