//! The FAQ bot end to end: staff keep FAQ entries over GraphQL, a resident's
//! message through line-fake's signed webhook gets the answer, choices or the
//! fallback in their inbox, and every decision is in the talk log.

use serde_json::json;
use tenohira::auth::Permission;
use tenohira_tests::{Options, TestApp, error_code};

async fn with_faq() -> (TestApp, tenohira_tests::Session) {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    // The demo FAQ (661 entries, as in `make demo`) and one entry of our own.
    let mut db = t.db().await;
    tenohira::chatbot::demo::load(&mut db).await.unwrap();
    drop(db);
    let s = t
        .signed_in("faq-editor", &[Permission::ChatbotManage])
        .await;
    let r = s
        .gql(
            "mutation($i: FaqEntryInput!) { createFaqEntry(input: $i) { id } }",
            json!({"i": {"question": "ドローンの飛行許可はどこで取れますか", "answer": "国の許可が必要です。国土交通省の窓口に申請してください。", "variants": ["ドローンを飛ばしたい"], "category": "くらし"}}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    (t, s)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resident_asking_in_their_own_words_gets_the_answer_and_can_say_it_helped() {
    let (t, _s) = with_faq().await;
    let resident = t.fake.user(true).await;
    // As in `make demo`: answered outright.
    let reply = t.say(&resident, "粗大ゴミってどうやって出すの？").await;
    assert_eq!(reply["via"], "reply");
    assert!(
        reply["messages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("粗大ごみ受付センター"),
        "{reply}"
    );
    assert_eq!(reply["messages"][1]["text"], "解決しましたか？");
    // A clear question is answered outright.
    let direct = t.say(&resident, "ドローンを飛ばしたいんですが").await;
    assert_eq!(
        direct["messages"][0]["text"], "国の許可が必要です。国土交通省の窓口に申請してください。",
        "{direct}"
    );
    let yes = reply["messages"][1]["quickReply"]["items"][0]["action"]["data"]
        .as_str()
        .unwrap()
        .to_string();
    // Another resident cannot answer for this one.
    let other = t.fake.user(true).await;
    t.fake
        .post(
            &format!("/_fake/users/{other}/postback"),
            json!({"data": yes}),
        )
        .await;
    let thanks = t.tap(&resident, &yes).await;
    assert!(
        thanks["messages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("ありがとうございます")
    );
    let mut db = t.db().await;
    let rows: Vec<(String, Option<bool>, String)> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use tenohira::db::schema::chatbot_talk_log as l;
        l::table
            .order(l::id.asc())
            .select((l::decision, l::resolved, l::line_user_id))
            .load(&mut db)
            .await
            .unwrap()
    };
    let r = |d: &str, ok: Option<bool>| (d.to_string(), ok, resident.clone());
    assert_eq!(rows, vec![r("answered", Some(true)), r("answered", None)]);
    // What residents wrote is sealed, never in plain text.
    let plain: Vec<(String, Option<Vec<u8>>)> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use tenohira::db::schema::chatbot_talk_log as l;
        l::table
            .select((l::question, l::question_sealed))
            .load(&mut db)
            .await
            .unwrap()
    };
    for (question, sealed) in plain {
        assert_eq!(question, "");
        let sealed = sealed.expect("sealed question");
        assert!(!String::from_utf8_lossy(&sealed).contains("粗大"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vague_question_offers_choices_a_far_one_falls_back_and_media_gets_a_notice() {
    let (t, _s) = with_faq().await;
    let resident = t.fake.user(true).await;
    // 母子手帳 alone fits two entries: both are offered.
    let reply = t.say(&resident, "母子手帳").await;
    let items = reply["messages"][0]["quickReply"]["items"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        reply["messages"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("もしかして"),
        "{reply}"
    );
    assert!(items.len() >= 2, "{reply}");
    let chosen = items
        .iter()
        .find(|i| {
            i["action"]["displayText"]
                .as_str()
                .is_some_and(|q| q.contains("母子手帳"))
        })
        .unwrap()["action"]["data"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = t.tap(&resident, &chosen).await;
    assert_eq!(
        answer["messages"][1]["text"], "解決しましたか？",
        "{answer}"
    );

    let fallback = t.say(&resident, "ビットコインの相場").await;
    assert!(
        fallback["messages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("見つかりませんでした")
    );
    for odd in ["🙂🙂🙂", &"あ".repeat(5000)] {
        let r = t.say(&resident, odd).await;
        assert_eq!(r["via"], "reply", "answered without a crash");
    }
    let before = t.fake.inbox(&resident).await.len();
    t.fake
        .post(
            &format!("/_fake/users/{resident}/media"),
            json!({"kind": "image"}),
        )
        .await;
    t.eventually(10, "the media notice", || async {
        t.fake.inbox(&resident).await.len() > before
    })
    .await;
    let notice = t.fake.inbox(&resident).await.pop().unwrap();
    assert!(
        notice["messages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("画像・動画・音声・ファイル")
    );

    // In standby another bot answers: nothing is sent.
    let quiet = t.fake.user(true).await;
    t.fake
        .post(
            &format!("/_fake/users/{quiet}/message"),
            json!({"text": "ドローンを飛ばしたい", "mode": "standby"}),
        )
        .await;
    let answered = t.fake.user(true).await;
    t.say(&answered, "ドローンを飛ばしたい").await;
    assert!(
        t.fake.inbox(&quiet).await.is_empty(),
        "standby events are never answered"
    );
    assert_eq!(
        t.count("chatbot_talk_log").await,
        7,
        "every handled message is logged, the standby one not"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_search_edit_and_the_bot_sees_changes_at_once() {
    let (t, s) = with_faq().await;
    let r = s
        .gql(
            "{ faqSearch(text: \"大型ごみを捨てたい\", limit: 3) { entry { question } confidence } }",
            json!({}),
        )
        .await;
    assert!(
        r["data"]["faqSearch"][0]["entry"]["question"]
            .as_str()
            .unwrap()
            .contains("粗大ごみ"),
        "{r}"
    );
    // Bad input: field paths and codes.
    let bad = s
        .gql(
            "mutation { createFaqEntry(input: {question: \"\", answer: \"\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad).as_deref(), Some("BAD_USER_INPUT"), "{bad}");
    let fields: Vec<&str> = bad["errors"][0]["extensions"]["fieldErrors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        fields.contains(&"input.question") && fields.contains(&"input.answer"),
        "{bad}"
    );
    let long = "あ".repeat(5001);
    let bad = s
        .gql(
            "mutation($a: String!) { createFaqEntry(input: {question: \"q\", answer: $a}) { id } }",
            json!({"a": long}),
        )
        .await;
    assert_eq!(error_code(&bad).as_deref(), Some("BAD_USER_INPUT"));
    let r = s
        .gql(
            "{ faqSearch(text: \"x\", limit: 100) { score } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
    // Disabling an entry takes it out of the bot's answers with the next question.
    let list = s
        .gql(
            "{ faqEntries(search: \"ドローン\") { totalCount items { id question answer } } }",
            json!({}),
        )
        .await;
    assert_eq!(list["data"]["faqEntries"]["totalCount"], 1, "{list}");
    let id = list["data"]["faqEntries"]["items"][0]["id"].clone();
    let r = s
        .gql(
            "mutation($id: Int!) { updateFaqEntry(id: $id, input: {question: \"ドローンの飛行許可はどこで取れますか\", answer: \"国の許可が必要です。\", enabled: false}) { enabled } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["data"]["updateFaqEntry"]["enabled"], false, "{r}");
    let resident = t.fake.user(true).await;
    let reply = t
        .say(&resident, "ドローンの飛行許可はどこで取れますか")
        .await;
    assert!(!reply.to_string().contains("国の許可"), "{reply}");
    // Nor can a postback naming its id bring it back.
    let tapped = t.tap(&resident, &format!("faq:answer:{id}")).await;
    assert!(!tapped.to_string().contains("国の許可"), "{tapped}");
    let actions: Vec<String> = t
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert!(
        actions.iter().any(|a| a == "chatbot.faq.update"),
        "{actions:?}"
    );
    // Without chatbot.manage nothing of it is readable.
    let other = t.signed_in("no-faq", &[Permission::FriendsRead]).await;
    let r = other
        .gql("{ faqSearch(text: \"ごみ\") { score } }", json!({}))
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"));
}

#[tokio::test(flavor = "multi_thread")]
async fn serving_starts_with_no_faq_only_the_demo_loads_one() {
    // `tenohira serve` (production's command, a process of its own) must never seed demo data.
    let t = TestApp::spawn().await;
    let (mut api, _base) = t.spawn_api(&[]).await;
    assert_eq!(t.count("faq_entries").await, 0);
    assert_eq!(t.count("faq_synonyms").await, 0);
    api.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn faq_import_is_all_or_nothing_reads_shift_jis_and_the_export_stays_text() {
    use base64::Engine as _;
    let t = TestApp::spawn().await;
    let s = t
        .signed_in("faq-importer", &[Permission::ChatbotManage])
        .await;
    let import = |bytes: Vec<u8>, dry: bool| {
        let s = &s;
        async move {
            s.gql(
                "mutation($f: String!, $d: Boolean!) { importFaqEntries(fileBase64: $f, dryRun: $d) { applied rows created updated problems { line column message } } }",
                json!({"f": base64::engine::general_purpose::STANDARD.encode(bytes), "d": dry}),
            )
            .await
        }
    };
    // A broken row (no answer) and a bad date: reported at their lines, nothing saved.
    let broken = "質問,言い換え,回答,カテゴリ,公開,掲載開始\r\n粗大ごみの出し方,\"大型ごみ\n粗大ゴミ\",受付センターへ,ごみ,する,2026/04/01\r\n燃えるごみの日,,,ごみ,する,\r\nペット,,登録は窓口で,くらし,する,4月1日\r\n";
    let r = import(broken.as_bytes().to_vec(), false).await;
    let res = &r["data"]["importFaqEntries"];
    assert_eq!(res["applied"], false, "{r}");
    let at: Vec<(i64, String)> = res["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_i64().unwrap(),
                p["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        at,
        [(4, "回答".to_string()), (5, "掲載開始".to_string())],
        "{r}"
    );
    assert_eq!(t.count("faq_entries").await, 0, "all or nothing");
    // Fixed and saved from Excel as Shift_JIS, with a cell Excel would run.
    let good = "質問,回答,カテゴリ,キーワード\r\n粗大ごみの出し方,受付センターへ,ごみ,粗大ごみ、大型ごみ\r\n=HYPERLINK(\"http://x\"),市役所へ,くらし,\r\n";
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(good);
    let dry = import(sjis.to_vec(), true).await;
    assert_eq!(dry["data"]["importFaqEntries"]["applied"], false, "{dry}");
    assert_eq!(t.count("faq_entries").await, 0);
    let r = import(sjis.to_vec(), false).await;
    assert_eq!(r["data"]["importFaqEntries"]["created"], 2, "{r}");
    assert_eq!(r["data"]["importFaqEntries"]["applied"], true);
    let csv = s.get("/exports/faq.csv").await.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    let records = tenohira_tests::csv_records(&csv);
    assert_eq!(records[1][1], "粗大ごみの出し方");
    assert_eq!(records[1][5], "粗大ごみ、大型ごみ");
    tenohira_tests::assert_no_formula(&records);
    // The JSON export reads back: a round trip updates the same entries.
    let json_export = s.get("/exports/faq.json").await.bytes().await.unwrap();
    let r = import(json_export.to_vec(), false).await;
    assert_eq!(r["data"]["importFaqEntries"]["updated"], 2, "{r}");
    assert_eq!(t.count("faq_entries").await, 2);
    let actions: Vec<String> = t
        .audit_actions()
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert!(
        actions.iter().any(|a| a == "chatbot.faq.import"),
        "{actions:?}"
    );
}
