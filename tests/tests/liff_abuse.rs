//! The residents' API under abuse: a document that repeats one field under
//! hundreds of aliases is refused before it costs the database anything;
//! one resident, or one address, asking too often is answered RATE_LIMITED
//! without slowing anyone else.

use serde_json::{Value, json};
use tenohira_tests::{Options, TestApp, error_code};

async fn liff_status(t: &TestApp, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/liff/graphql", t.base))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query }));
    if let Some(tk) = token {
        req = req.bearer_auth(tk);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn aliases_and_repeated_root_fields_are_refused_before_execution() {
    let t = TestApp::spawn().await;
    let user = t.bulk_friends(1).await.remove(0);
    let token = t.fake.id_token(json!({"userId": user})).await;
    let many: String = (0..60)
        .map(|i| format!("a{i}: mySettings {{ registered }} "))
        .collect();
    for query in [
        format!("{{ {many} }}"),
        "{ a: mySettings { registered } b: mySettings { registered } }".to_string(),
        "query { ...F ...F } fragment F on LiffQueryRoot { mySettings { registered } me { lineUserId } x: mySettings { registered } }".to_string(),
        "{ me { lineUserId } mySettings { registered } registrationForm { attributes { id } } papaMamaCard { registered } maitamaPass { text } x1: me { lineUserId } }".to_string(),
    ] {
        let (status, body) = liff_status(&t, Some(&token), &query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(error_code(&body).as_deref(), Some("GRAPHQL_VALIDATION_FAILED"), "{body}");
        assert!(body.get("data").is_none());
    }
    // What the LIFF pages really ask still works.
    let (status, body) = liff_status(
        &t,
        Some(&token),
        "{ registrationForm { attributes { id } } mySettings { registered } }",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_resident_asking_too_often_is_limited_and_others_are_not() {
    let t = TestApp::spawn_with(Options {
        env: vec![("TENOHIRA_LIFF_REQUESTS_PER_RESIDENT", "2".into())],
        ..Default::default()
    })
    .await;
    let users = t.bulk_friends(2).await;
    let greedy = t.fake.id_token(json!({"userId": users[0]})).await;
    let other = t.fake.id_token(json!({"userId": users[1]})).await;
    let mut limited = 0;
    for _ in 0..20 {
        let (status, body) = liff_status(&t, Some(&greedy), "{ me { lineUserId } }").await;
        if status == 429 {
            assert_eq!(error_code(&body).as_deref(), Some("RATE_LIMITED"), "{body}");
            limited += 1;
        }
    }
    assert!(
        limited >= 10,
        "burst of 6, then about 2 a second: {limited} limited"
    );
    let (status, body) = liff_status(&t, Some(&other), "{ me { lineUserId } }").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_address_sending_a_flood_is_limited_before_tokens_are_checked() {
    let t = TestApp::spawn_with(Options {
        env: vec![("TENOHIRA_LIFF_REQUESTS_PER_IP", "5".into())],
        ..Default::default()
    })
    .await;
    let mut codes = vec![];
    for i in 0..40 {
        let (status, body) = liff_status(
            &t,
            Some(&format!("forged.{i}.token")),
            "{ me { lineUserId } }",
        )
        .await;
        codes.push((status, error_code(&body)));
    }
    let limited = codes.iter().filter(|(s, _)| *s == 429).count();
    assert!(limited >= 20, "{codes:?}");
    assert!(
        codes
            .iter()
            .filter(|(s, _)| *s == 429)
            .all(|(_, c)| c.as_deref() == Some("RATE_LIMITED"))
    );
}
