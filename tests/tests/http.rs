//! GraphQL over HTTP, health, readiness, metrics and the schema contract.

use serde_json::json;
use tenohira_tests::{Options, TestApp, error_code};

const VIEWER: &str = "{ viewer { account { loginId } } }";

#[tokio::test(flavor = "multi_thread")]
async fn graphql_over_http_follows_the_spec() {
    let t = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let url = format!("{}/graphql", t.base);

    // POST application/json, response type follows Accept.
    let r = http
        .post(&url)
        .header("accept", "application/json")
        .json(&json!({"query": VIEWER}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let r = http
        .post(&url)
        .header("accept", "application/graphql-response+json")
        .json(&json!({"query": VIEWER}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/graphql-response+json"
    );
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        json!({"data": {"viewer": null}})
    );

    // Unacceptable Accept → 406.
    let r = http
        .post(&url)
        .header("accept", "text/csv")
        .json(&json!({"query": VIEWER}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 406);

    // A wildcard or no Accept at all: application/json (legacy clients).
    for accept in [Some("*/*"), None] {
        let mut req = http.post(&url).json(&json!({"query": VIEWER}));
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(
            r.headers()["content-type"],
            "application/json",
            "{accept:?}"
        );
    }

    // Parse errors carry a code: 400 for graphql-response+json, 200 for
    // clients that accept only application/json.
    for (accept, status) in [
        ("application/graphql-response+json", 400),
        ("application/json", 200),
    ] {
        let r = http
            .post(&url)
            .header("accept", accept)
            .json(&json!({"query": "{ viewer { "}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{accept}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(error_code(&body).as_deref(), Some("GRAPHQL_PARSE_FAILED"));
    }

    // `extensions` that is not a map is a bad request, POST and GET alike.
    for bad in [json!("x"), json!(1), json!(true), json!([])] {
        let r = http
            .post(&url)
            .header("accept", "application/graphql-response+json")
            .json(&json!({"query": VIEWER, "extensions": bad}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let r = http
            .get(&url)
            .query(&[("query", VIEWER), ("extensions", &bad.to_string())])
            .header("accept", "application/graphql-response+json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "GET {bad}");
    }
    let r = http
        .post(&url)
        .json(&json!({"query": VIEWER, "extensions": {"persistedQuery": null}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Validation errors: 400 for graphql-response+json, 200 for legacy application/json.
    let bad_field = json!({"query": "{ noSuchField }"});
    let r = http
        .post(&url)
        .header("accept", "application/graphql-response+json")
        .json(&bad_field)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        error_code(&body).as_deref(),
        Some("GRAPHQL_VALIDATION_FAILED")
    );
    let r = http
        .post(&url)
        .header("accept", "application/json")
        .json(&bad_field)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Body that is not JSON → 400.
    let r = http
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // CSRF-prone content types are refused before anything runs.
    for ct in [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
    ] {
        let r = http
            .post(&url)
            .header("content-type", ct)
            .body(json!({"query": VIEWER}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415, "{ct}");
    }

    // GET runs queries...
    let r = http
        .get(&url)
        .query(&[("query", VIEWER)])
        .header("accept", "application/graphql-response+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // ...but never mutations.
    let r = http
        .get(&url)
        .query(&[("query", "mutation { logout }")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");

    // Other methods → 405.
    let r = http
        .put(&url)
        .json(&json!({"query": VIEWER}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);

    // Document size limit.
    let huge = format!(
        "{{ viewer {{ account {{ loginId }} }} }} #{}",
        "x".repeat(40_000)
    );
    let r = http
        .post(&url)
        .json(&json!({"query": huge}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    // Depth limit (a tight one for this check; the default is 12).
    let shallow = TestApp::spawn_with(Options {
        env: vec![("TENOHIRA_GRAPHQL_MAX_DEPTH", "3".into())],
        ..Default::default()
    })
    .await;
    let r = http
        .post(format!("{}/graphql", shallow.base))
        .header("accept", "application/graphql-response+json")
        .json(&json!({"query": "{ viewer { account { team { name } } } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .post(format!("{}/graphql", shallow.base))
        .header("accept", "application/graphql-response+json")
        .json(&json!({"query": "{ viewer { account { loginId } } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Every response carries a request id.
    assert!(r.headers().contains_key("x-request-id"));
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_only_in_development() {
    let prod = TestApp::spawn().await;
    let r = prod
        .session()
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(
        r["data"]["__schema"],
        serde_json::Value::Null,
        "no schema in production: {r}"
    );
    let http = reqwest::Client::new();
    let g = http
        .get(format!("{}/graphql", prod.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(g.status(), 404);
    drop(prod);

    let dev = TestApp::spawn_with(Options {
        env: vec![("TENOHIRA_ENV", "development".into())],
        ..Default::default()
    })
    .await;
    let r = dev
        .session()
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(r["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    let g = http
        .get(format!("{}/graphql", dev.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(g.status(), 200);
    assert!(g.text().await.unwrap().contains("graphiql"));
}

#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_and_metrics() {
    let t = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/healthz", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http.get(format!("{}/readyz", t.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "ready", "postgres": "ok", "redis": "ok"})
    );

    t.session().gql(VIEWER, json!({})).await;
    // Not for strangers: without the token it is not there at all.
    for auth in [None, Some("Bearer wrong-token")] {
        let mut req = http.get(format!("{}/metrics", t.base));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        assert_eq!(req.send().await.unwrap().status(), 404, "{auth:?}");
    }
    let m = t.metrics().await;
    assert!(m.contains("tenohira_http_requests_total"), "{m}");
    assert!(m.contains("route=\"/graphql\""));
    assert!(m.contains("tenohira_http_request_duration_seconds_bucket"));
    assert!(m.contains("tenohira_db_pool_max"));
    assert!(
        m.contains("tenohira_queue_depth{queue=\"maintenance\",state=\"ready\"}"),
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn start_up_names_a_missing_store() {
    // Redis on a port where nothing listens: start-up fails fast and says which store.
    let env = [
        (
            "DATABASE_URL",
            format!("{}/postgres", tenohira_tests::pg_base()),
        ),
        ("REDIS_URL", "redis://127.0.0.1:1".to_string()),
        ("TENOHIRA_SESSION_SECRET", "x".repeat(40)),
        ("TENOHIRA_LINE_CHANNEL_ACCESS_TOKEN", "t".into()),
        ("TENOHIRA_LINE_CHANNEL_SECRET", "s".into()),
        ("TENOHIRA_LINE_LOGIN_CHANNEL_ID", "1".into()),
        ("TENOHIRA_KEK", "aws-kms:alias/tenohira".into()),
        ("TENOHIRA_KMS_ACCESS_KEY_ID", "AKIDEXAMPLE".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let config = tenohira::config::Config::from_map(&env).unwrap();
    let err = tenohira::app::App::connect(config)
        .await
        .err()
        .expect("no Redis, no app");
    assert!(
        format!("{err:#}").to_lowercase().contains("redis"),
        "{err:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_on_their_own_listener_hints_off_and_transport_headers() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = TestApp::spawn_with(Options {
        env: vec![
            ("TENOHIRA_METRICS_LISTEN", format!("127.0.0.1:{port}")),
            ("TENOHIRA_PUBLIC_URL", "https://line.pref.example.jp".into()),
        ],
        ..Default::default()
    })
    .await;
    let m = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(m.status(), 200);
    assert!(m.text().await.unwrap().contains("tenohira_db_pool_max"));

    // Validation errors name no field the caller did not write.
    let r = t.session().gql("{ viewr { stage } }", json!({})).await;
    let message = r["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");

    let res = reqwest::get(format!("{}/liff/", t.base)).await.unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains",
        "HSTS once the public URL is HTTPS"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn production_never_creates_a_key_encryption_key_of_its_own() {
    let t = TestApp::spawn().await;
    let missing = std::env::temp_dir().join(format!("{}-absent.key", t.db_name));
    let mut env = t.env.clone();
    env.insert(
        "TENOHIRA_KEK".into(),
        format!("local:{}", missing.display()),
    );
    let err = tenohira::app::App::connect(tenohira::config::Config::from_map(&env).unwrap())
        .await
        .err()
        .expect("a missing key file stops start-up");
    assert!(format!("{err:#}").contains("kek create-local"), "{err:#}");
    assert!(!missing.exists(), "nothing was created");
    // Not set at all: the configuration itself is refused in production.
    env.remove("TENOHIRA_KEK");
    assert_eq!(
        tenohira::config::Config::from_map(&env).unwrap_err().var,
        "TENOHIRA_KEK"
    );
    // Development keeps its convenience.
    env.insert("TENOHIRA_ENV".into(), "development".into());
    env.insert(
        "TENOHIRA_KEK".into(),
        format!("local:{}", missing.display()),
    );
    tenohira::app::App::connect(tenohira::config::Config::from_map(&env).unwrap())
        .await
        .expect("development creates its key");
    assert!(missing.exists());
    let _ = std::fs::remove_file(missing);
}

#[test]
fn schema_contract_is_committed() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql")).unwrap();
    assert!(
        committed == tenohira::graphql::sdl(),
        "schema.graphql is out of date: run `cargo run -p tenohira -- print-schema`"
    );
}

#[test]
fn liff_schema_contract_is_committed() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../liff/schema.graphql"
    ))
    .unwrap();
    assert!(
        committed == tenohira::graphql::liff::sdl(),
        "liff/schema.graphql is out of date: run `make schema`"
    );
}
