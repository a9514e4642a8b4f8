//! Scenarios end to end: staff draw one over GraphQL, publishing refuses an
//! unfinished graph with the node's path, a resident walks it in the LINE
//! chat by quick replies (through line-fake's signed webhooks), answers are
//! kept and used in branches, drafts reach testers only, rollback restores
//! an earlier version, and the routing order (scenario → trigger → FAQ →
//! external AI → fallback) holds, the AI bot's timeouts included.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenohira::auth::Permission;
use tenohira_tests::{Options, Session, TestApp, error_code};

fn graph(bulky_text: &str) -> Value {
    json!({ "start": "ask", "nodes": [
        { "id": "ask", "type": "question", "key": "種類", "text": "どのごみですか？",
          "choices": [{ "label": "燃やすごみ" }, { "label": "粗大ごみ" }], "next": "by" },
        { "id": "by", "type": "branch", "key": "種類",
          "cases": [{ "equals": "粗大ごみ", "next": "bulky" }], "otherwise": "burn" },
        { "id": "burn", "type": "message", "text": "{{種類}}は月・木に出してください。" },
        { "id": "bulky", "type": "message", "text": bulky_text },
    ]})
}

async fn app(env: Vec<(&'static str, String)>) -> (TestApp, Session) {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        env,
    })
    .await;
    let s = t
        .signed_in("scenario-editor", &[Permission::ChatbotManage])
        .await;
    (t, s)
}

async fn create(s: &Session, name: &str, triggers: &[&str], graph: Value) -> i64 {
    let r = s
        .gql(
            "mutation($i: ScenarioInput!) { createScenario(input: $i) { id liveVersion } }",
            json!({"i": {"name": name, "triggers": triggers, "graph": graph}}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    assert!(r["data"]["createScenario"]["liveVersion"].is_null());
    r["data"]["createScenario"]["id"].as_i64().unwrap()
}

async fn publish(s: &Session, id: i64, version: i64) -> Value {
    s.gql(
        "mutation($id: Int!, $v: Int!) { publishScenario(id: $id, version: $v) { liveVersion } }",
        json!({"id": id, "v": version}),
    )
    .await
}

fn quick(reply: &Value, label: &str) -> String {
    tenohira_tests::quick_reply(reply, label)
}

fn texts(reply: &Value) -> Vec<String> {
    reply["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str().map(String::from))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resident_walks_a_published_scenario_and_drafts_reach_only_testers() {
    let (t, s) = app(vec![]).await;
    // Unfinished: the bulky branch points nowhere. Saved as a draft, refused at publish.
    let mut g = graph("粗大ごみは申し込み制です。");
    g["nodes"][1]["cases"][0]["next"] = json!("nowhere");
    let id = create(&s, "ごみの出し方", &["ごみの出し方"], g).await;
    let r = publish(&s, id, 1).await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
    let fields = r["errors"][0]["extensions"]["fieldErrors"].to_string();
    assert!(fields.contains("graph.nodes[1].cases[0].next"), "{r}");
    assert!(fields.contains("nowhere"), "{r}");

    let save = |g: Value| {
        let s = &s;
        async move {
            s.gql(
                "mutation($id: Int!, $i: ScenarioInput!) { saveScenarioDraft(id: $id, input: $i) { version scenario { liveVersion } } }",
                json!({"id": id, "i": {"name": "ごみの出し方", "triggers": ["ごみの出し方"], "graph": g}}),
            )
            .await
        }
    };
    let r = save(graph("粗大ごみは申し込み制です。")).await;
    assert_eq!(r["data"]["saveScenarioDraft"]["version"], 1, "{r}");
    let r = publish(&s, id, 1).await;
    assert_eq!(r["data"]["publishScenario"]["liveVersion"], 1, "{r}");

    // A resident types the trigger (another width and kana), taps, and the branch uses the answer.
    let resident = t.fake.user(true).await;
    let first = t.say(&resident, "ゴミの出し方").await;
    assert_eq!(texts(&first), ["どのごみですか？"], "{first}");
    let burn = t.tap(&resident, &quick(&first, "燃やすごみ")).await;
    assert_eq!(texts(&burn), ["燃やすごみは月・木に出してください。"]);
    let again = t.say(&resident, "ごみの出し方").await;
    // Typing a choice's label is the same as tapping it.
    let bulky = t.say(&resident, "粗大ゴミ").await;
    assert_eq!(
        texts(&bulky),
        ["粗大ごみは申し込み制です。"],
        "{again} {bulky}"
    );

    // Editing a live version makes version 2, a draft: residents still get 1, testers get 2.
    let r = save(graph(
        "粗大ごみは電話かインターネットで申し込んでください。",
    ))
    .await;
    assert_eq!(r["data"]["saveScenarioDraft"]["version"], 2, "{r}");
    assert_eq!(r["data"]["saveScenarioDraft"]["scenario"]["liveVersion"], 1);
    // A resident forging a tap into the draft gets nothing from it.
    t.fake
        .post(
            &format!("/_fake/users/{resident}/postback"),
            json!({"data": format!("scn:{id}:2:ask:1")}),
        )
        .await;
    let tester = t.fake.user(true).await;
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use tenohira::db::schema::delivery_testers as dt;
        let staff = t.create_staff("tester-owner", &[]).await;
        let mut db = t.db().await;
        diesel::insert_into(dt::table)
            .values((dt::staff_account_id.eq(staff), dt::line_user_id.eq(&tester)))
            .execute(&mut db)
            .await
            .unwrap();
    }
    for (who, expect) in [
        (&resident, "粗大ごみは申し込み制です。"),
        (
            &tester,
            "粗大ごみは電話かインターネットで申し込んでください。",
        ),
    ] {
        let ask = t.say(who, "ごみの出し方").await;
        let answer = t.tap(who, &quick(&ask, "粗大ごみ")).await;
        assert_eq!(texts(&answer), [expect], "{who}");
    }

    let seen = t.fake.inbox(&resident).await;
    assert!(
        !serde_json::to_string(&seen)
            .unwrap()
            .contains("電話かインターネット"),
        "a draft never reaches a resident: {seen:?}"
    );
    // Publish 2, then roll back to 1; a never-published version cannot be "rolled back" to.
    assert_eq!(
        publish(&s, id, 2).await["data"]["publishScenario"]["liveVersion"],
        2
    );
    let r = s
        .gql(
            "mutation($id: Int!) { rollbackScenario(id: $id, version: 1) { liveVersion } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["data"]["rollbackScenario"]["liveVersion"], 1, "{r}");
    save(graph("三番目")).await;
    let r = s
        .gql(
            "mutation($id: Int!) { rollbackScenario(id: $id, version: 3) { liveVersion } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
    let versions = s
        .gql(
            "query($id: Int!) { chatbotScenario(id: $id) { liveVersion draftVersion versions { version live publishedAt } } }",
            json!({"id": id}),
        )
        .await;
    let v = &versions["data"]["chatbotScenario"];
    assert_eq!(v["liveVersion"], 1);
    assert_eq!(v["draftVersion"], 3);
    assert_eq!(v["versions"].as_array().unwrap().len(), 3);

    // The talk log has each turn at its node, by route.
    let mut db = t.db().await;
    let rows: Vec<(String, String, Option<String>)> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use tenohira::db::schema::chatbot_talk_log as l;
        l::table
            .filter(l::line_user_id.eq(&resident))
            .order(l::id.asc())
            .select((l::route, l::decision, l::node_id))
            .load(&mut db)
            .await
            .unwrap()
    };
    let row = |r: &str, d: &str, n: &str| (r.to_string(), d.to_string(), Some(n.to_string()));
    assert_eq!(
        rows,
        [
            row("keyword", "step", "ask"),
            row("scenario", "ended", "burn"),
            row("keyword", "step", "ask"),
            row("scenario", "ended", "bulky"),
            row("keyword", "step", "ask"),
            row("scenario", "ended", "bulky"),
        ]
    );
    let actions: Vec<String> = t
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    for a in [
        "chatbot.scenario.create",
        "chatbot.scenario.save",
        "chatbot.scenario.publish",
        "chatbot.scenario.rollback",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_that_arrive_together_are_answered_in_the_order_each_resident_wrote_them() {
    let (t, s) = app(vec![]).await;
    let id = create(
        &s,
        "ごみの出し方",
        &["ごみの出し方"],
        graph("粗大ごみは申し込み制です。"),
    )
    .await;
    assert!(publish(&s, id, 1).await["errors"].is_null());
    // Ten residents each start the scenario and answer it, all in one
    // webhook: everyone's first message, then everyone's second (20 events,
    // more than one job's worth). The answer only means something after the start.
    let mut residents = Vec::new();
    for _ in 0..10 {
        residents.push(t.fake.user(true).await);
    }
    let said: Vec<Value> = ["ごみの出し方", "粗大ごみ"]
        .iter()
        .flat_map(|text| {
            residents
                .iter()
                .map(move |r| json!({"userId": r, "text": text}))
        })
        .collect();
    let r = t
        .fake
        .post("/_fake/messages", json!({"messages": said}))
        .await;
    assert_eq!(r["webhookStatus"], 200, "{r}");
    for r in &residents {
        t.eventually(10, "both replies", || async {
            t.fake.inbox(r).await.len() >= 2
        })
        .await;
        let inbox = t.fake.inbox(r).await;
        let got: Vec<Vec<String>> = inbox.iter().map(texts).collect();
        assert_eq!(
            got,
            [
                vec!["どのごみですか？".to_string()],
                vec!["粗大ごみは申し込み制です。".to_string()]
            ],
            "{r}"
        );
    }
    assert_eq!(
        t.count("line_webhook_events WHERE status = 'processed'")
            .await,
        20
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_simulator_walks_a_draft_without_sending_anything() {
    let (t, s) = app(vec![]).await;
    let id = create(&s, "試し", &[], graph("粗大ごみは申し込み制です。")).await;
    let step = "query($id: Int!, $p: JSON, $st: SimulationStep) { simulateScenario(id: $id, version: 1, position: $p, step: $st) { messages position visited leftScenario } }";
    let r = s.gql(step, json!({"id": id})).await;
    let sim = &r["data"]["simulateScenario"];
    assert_eq!(sim["visited"], json!(["ask"]), "{r}");
    let position = sim["position"].clone();
    let r = s
        .gql(
            step,
            json!({"id": id, "p": position, "st": {"choiceNode": "ask", "choiceIndex": 0}}),
        )
        .await;
    let sim = &r["data"]["simulateScenario"];
    assert_eq!(
        sim["messages"][0]["text"], "燃やすごみは月・木に出してください。",
        "{r}"
    );
    assert!(sim["position"].is_null());
    let r = s
        .gql(
            step,
            json!({"id": id, "p": position, "st": {"text": "住民票がほしい"}}),
        )
        .await;
    assert_eq!(r["data"]["simulateScenario"]["leftScenario"], true, "{r}");
    let r = s
        .gql(step, json!({"id": id, "p": position, "st": {"text": "x", "choiceNode": "ask", "choiceIndex": 0}}))
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
    assert_eq!(t.count("chatbot_talk_log").await, 0, "nothing is logged");
    assert_eq!(t.count("chatbot_sessions").await, 0);
    // The check the editor shows: a loop with no way out, named by its nodes.
    let trapped = json!({ "start": "a", "nodes": [
        { "id": "a", "type": "message", "text": "はじめ", "next": "b" },
        { "id": "b", "type": "message", "text": "どちら？", "choices": [{ "label": "戻る", "next": "a" }] },
    ]});
    let r = s
        .gql(
            "query($g: JSON!) { checkScenarioGraph(graph: $g) { problems { field message } unreachable } }",
            json!({"g": trapped}),
        )
        .await;
    let problems = r["data"]["checkScenarioGraph"]["problems"].to_string();
    assert!(problems.contains("抜け出せない循環"), "{r}");
    // Without chatbot.manage: nothing.
    let other = t.signed_in("no-chatbot", &[Permission::FriendsRead]).await;
    let r = other.gql(step, json!({"id": id})).await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"));
}

/// A stand-in for the prefecture's AI bot: answers, or is slow, by the question.
async fn ai_bot(calls: Arc<AtomicUsize>) -> String {
    use axum::{Json, Router, routing::post};
    let app = Router::new().route(
        "/ask",
        post(move |Json(body): Json<Value>| {
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let q = body["question"].as_str().unwrap_or_default().to_string();
                assert!(body["context"]["resident"].as_str().unwrap().len() == 24);
                if q.contains("遅い") {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
                if q.contains("自信なし") {
                    return Json(json!({"answer": "たぶん", "confidence": 0.1}));
                }
                Json(json!({"answer": format!("AIの回答：{q}"), "confidence": 0.9}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/ask")
}

#[tokio::test(flavor = "multi_thread")]
async fn routing_goes_scenario_trigger_faq_ai_fallback_and_a_slow_ai_falls_back_in_time() {
    let calls = Arc::new(AtomicUsize::new(0));
    let url = ai_bot(calls.clone()).await;
    let (t, s) = app(vec![
        ("TENOHIRA_CHATBOT_AI_URL", url),
        ("TENOHIRA_CHATBOT_AI_TIMEOUT_MS", "300".into()),
    ])
    .await;
    let r = s
        .gql(
            "mutation { createFaqEntry(input: {question: \"住民票の写しはどこで取れますか\", answer: \"市役所の窓口かコンビニで取れます。\"}) { id } }",
            json!({}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let id = create(
        &s,
        "ごみ",
        &["ごみの出し方"],
        graph("粗大ごみは申し込み制です。"),
    )
    .await;
    assert!(publish(&s, id, 1).await["errors"].is_null());
    let resident = t.fake.user(true).await;

    // In a scenario, a question of another kind leaves it and the FAQ answers.
    t.say(&resident, "ごみの出し方").await;
    let faq = t.say(&resident, "住民票の写しはどこで取れますか").await;
    assert_eq!(
        texts(&faq)[0],
        "市役所の窓口かコンビニで取れます。",
        "{faq}"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "the AI bot is asked only when the FAQ has nothing"
    );
    // Nothing in the FAQ: the AI bot answers.
    let ai = t.say(&resident, "ペットの登録について").await;
    assert_eq!(texts(&ai), ["AIの回答：ペットの登録について"], "{ai}");
    // Unsure, then too slow (retried once): the fallback, well within the reply token's minute.
    let unsure = t.say(&resident, "自信なしの質問").await;
    assert!(
        texts(&unsure)[0].contains("見つかりませんでした"),
        "{unsure}"
    );
    let started = Instant::now();
    let slow = t.say(&resident, "遅い質問").await;
    assert!(texts(&slow)[0].contains("見つかりませんでした"), "{slow}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 4, "1 + 1 + 2 (one retry)");

    let mut db = t.db().await;
    let routes: Vec<(String, String)> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use tenohira::db::schema::chatbot_talk_log as l;
        l::table
            .order(l::id.asc())
            .select((l::route, l::decision))
            .load(&mut db)
            .await
            .unwrap()
    };
    let r = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        routes,
        [
            r("keyword", "step"),
            r("scenario", "dropped"),
            r("faq", "answered"),
            r("ai", "answered"),
            r("fallback", "unanswered"),
            r("fallback", "unanswered"),
        ]
    );

    // The statistics are the logged events, counted.
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
        .date_naive()
        .to_string();
    let r = s
        .gql(
            "query($d: NaiveDate!) { chatbotStatistics(from: $d, to: $d) { questions answered unanswered answeredRate days { date questions } nodes { nodeId visits dropped } faq { question hits } unansweredGroups { example count } } }",
            json!({"d": today}),
        )
        .await;
    let st = &r["data"]["chatbotStatistics"];
    assert_eq!(st["questions"], 5, "{r}");
    assert_eq!(st["answered"], 3);
    assert_eq!(st["unanswered"], 2);
    assert_eq!(st["days"][0]["questions"], 5);
    assert_eq!(
        st["nodes"],
        json!([{"nodeId": "ask", "visits": 1, "dropped": 1}])
    );
    assert_eq!(st["faq"][0]["hits"], 1);
    let examples = st["unansweredGroups"].to_string();
    assert!(
        examples.contains("遅い質問") && examples.contains("自信なしの質問"),
        "{r}"
    );
    let csv = s
        .get(&format!(
            "/exports/chatbot-daily.csv?from={today}&to={today}"
        ))
        .await;
    assert_eq!(csv.status(), 200);
    let body = csv.text().await.unwrap();
    assert!(body.starts_with('\u{feff}'), "UTF-8 with BOM for Excel");
    assert!(body.contains("\r\n"));
    let records = tenohira_tests::csv_records(&body);
    assert_eq!(records[1][1], "5", "{body}");
    let bad = s
        .gql(
            "{ chatbotStatistics(from: \"2026-12-02\", to: \"2026-01-01\") { questions } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad).as_deref(), Some("BAD_USER_INPUT"));
}

#[tokio::test(flavor = "multi_thread")]
async fn in_the_demo_a_resident_asks_about_bulky_waste_and_walks_the_waste_template() {
    let (t, s) = app(vec![]).await;
    assert!(tenohira::chatbot::demo::seed(&t.app).await.unwrap());
    assert!(
        !tenohira::chatbot::demo::seed(&t.app).await.unwrap(),
        "once"
    );
    let resident = t.fake.user(true).await;
    let answer = t.say(&resident, "粗大ゴミってどうやって出すの？").await;
    assert!(
        texts(&answer)[0].contains("粗大ごみ受付センター"),
        "{answer}"
    );
    let menu = t.say(&resident, "ごみの出し方").await;
    assert!(
        texts(&menu)[0].contains("ごみの種類を選んでください"),
        "{menu}"
    );
    let burn = t.tap(&resident, &quick(&menu, "燃やすごみ")).await;
    assert!(texts(&burn)[0].starts_with("燃やすごみは"), "{burn}");
    let again = t.tap(&resident, &quick(&burn, "ほかの種類も調べる")).await;
    // 粗大ごみ jumps to the FAQ's answer, with its feedback buttons.
    let bulky = t.tap(&resident, &quick(&again, "粗大ごみ")).await;
    let said = texts(&bulky);
    assert!(said[0].contains("粗大ごみ受付センター"), "{bulky}");
    assert_eq!(said[1], "解決しましたか？");
    let r = s
        .gql("{ chatbotScenarios { name liveVersion } }", json!({}))
        .await;
    let names: Vec<&str> = r["data"]["chatbotScenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ごみの出し方", "子育て支援の案内", "災害時の情報"]);
}
