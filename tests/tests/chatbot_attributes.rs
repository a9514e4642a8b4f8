//! Scenarios and residents' attributes, end to end through line-fake: a
//! question saves the chosen answer into 受信設定 only under the consent line
//! (「保存せずに進む」 saves nothing), a branch reads the resident's attribute,
//! publishing refuses an attribute or label the catalogue lacks, carousels
//! pass LINE's template rules, hand-over flags are listed and closed, and a
//! resident's withdrawal of 受信設定 deletes their talk log.

use serde_json::{Value, json};
use tenohira::auth::Permission;
use tenohira_tests::{Options, Session, TestApp, error_code};

async fn app() -> (TestApp, Session) {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        env: vec![],
    })
    .await;
    tenohira::audience::demo::seed(&t.app)
        .await
        .expect("attribute catalogue");
    let s = t
        .signed_in("attribute-editor", &[Permission::ChatbotManage])
        .await;
    (t, s)
}

fn area_graph(town: &str, other: &str) -> Value {
    json!({ "start": "ask", "nodes": [
        { "id": "ask", "type": "question", "key": "地域", "attribute": "居住地域",
          "text": "お住まいの市町村はどちらですか？",
          "choices": [{ "label": town }, { "label": other }], "next": "by" },
        { "id": "by", "type": "branch", "attribute": "居住地域",
          "cases": [{ "equals": town, "next": "near" }], "otherwise": "far" },
        { "id": "near", "type": "message", "text": "近くの窓口をご案内します。",
          "cards": [
            { "title": "本庁舎", "text": "平日8時30分から", "links": [{ "label": "地図", "uri": "https://example.jp/a" }] },
            { "title": "支所", "text": "土曜も開いています", "links": [{ "label": "地図", "uri": "https://example.jp/b" }] }
          ] },
        { "id": "far", "type": "handover", "text": "担当者からご連絡します。" },
    ]})
}

async fn publish_new(s: &Session, name: &str, trigger: &str, graph: Value) -> Value {
    let r = s
        .gql(
            "mutation($i: ScenarioInput!) { createScenario(input: $i) { id } }",
            json!({"i": {"name": name, "triggers": [trigger], "graph": graph}}),
        )
        .await;
    let id = r["data"]["createScenario"]["id"].clone();
    if !id.is_i64() {
        // Refused already at saving (the draft's shape).
        return r;
    }
    s.gql(
        "mutation($id: Int!) { publishScenario(id: $id, version: 1) { liveVersion } }",
        json!({"id": id}),
    )
    .await
}

fn quick(reply: &Value, label: &str) -> String {
    tenohira_tests::quick_reply(reply, label)
}

/// The resident's option labels as stored, through the audience's own entry point.
async fn attributes(t: &TestApp, user: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut conn = t.db().await;
    tenohira::audience::chat::values_of(&mut conn, user)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chosen_answer_is_saved_as_an_attribute_only_with_consent_and_branches_use_it() {
    let (t, s) = app().await;
    let towns = tenohira::audience::municipalities::SAITAMA_MUNICIPALITIES;
    let (town, other) = (towns[0], towns[1]);

    // Publishing refuses an attribute the catalogue lacks and a label it has no option for.
    let mut bad = area_graph(town, "どこでもない町");
    bad["nodes"][1]["attribute"] = json!("好きな色");
    let r = publish_new(&s, "窓口案内（誤り）", "誤り", bad).await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
    let fields = r["errors"][0]["extensions"]["fieldErrors"].to_string();
    assert!(fields.contains("graph.nodes[0].choices[1].label"), "{r}");
    assert!(fields.contains("graph.nodes[1].attribute"), "{r}");
    // A carousel breaking LINE's rules is refused with the card's path.
    let mut uneven = area_graph(town, other);
    uneven["nodes"][2]["cards"][1]["links"] = json!([]);
    let r = publish_new(&s, "窓口案内（カード）", "カード", uneven).await;
    assert!(
        r["errors"][0]["extensions"]["fieldErrors"]
            .to_string()
            .contains("graph.nodes[2].cards[1].links"),
        "{r}"
    );

    let r = publish_new(&s, "窓口案内", "窓口", area_graph(town, other)).await;
    assert_eq!(r["data"]["publishScenario"]["liveVersion"], 1, "{r}");
    let resident = t.bulk_friends(1).await.remove(0);

    // Skipping saves nothing; with no attribute stored the branch takes `otherwise`.
    let first = t.say(&resident, "窓口").await;
    let text = first["messages"][0]["text"].as_str().unwrap();
    assert!(text.contains("受信設定の「居住地域」として保存"), "{first}");
    let skipped = t.tap(&resident, &quick(&first, "保存せずに進む")).await;
    assert_eq!(
        skipped["messages"][0]["text"], "担当者からご連絡します。",
        "{skipped}"
    );
    assert!(attributes(&t, &resident).await.is_empty());

    // Choosing saves it (audited as the resident's own act), and the branch sees it at once.
    let again = t.say(&resident, "窓口").await;
    let chosen = t.tap(&resident, &quick(&again, town)).await;
    let messages = chosen["messages"].as_array().unwrap();
    assert_eq!(
        messages[0]["text"], "近くの窓口をご案内します。",
        "{chosen}"
    );
    assert_eq!(messages[1]["template"]["type"], "carousel", "{chosen}");
    assert_eq!(messages[1]["template"]["columns"][1]["title"], "支所");
    assert_eq!(attributes(&t, &resident).await["居住地域"], [town]);
    assert!(
        t.audit_actions()
            .await
            .iter()
            .any(|(a, _)| a == "audience.settings.chat")
    );

    // Another choice replaces a one-option attribute; a later visit branches on the stored value.
    let third = t.say(&resident, "窓口").await;
    let far = t.tap(&resident, &quick(&third, other)).await;
    assert_eq!(
        far["messages"][0]["text"], "担当者からご連絡します。",
        "{far}"
    );
    assert_eq!(attributes(&t, &resident).await["居住地域"], [other]);

    // The hand-overs reached are listed for staff, without the LINE user id, and closed once.
    let r = s
        .gql(
            "{ chatbotHandovers { id friendId scenario nodeId } }",
            json!({}),
        )
        .await;
    let flags = r["data"]["chatbotHandovers"].as_array().unwrap().clone();
    assert_eq!(flags.len(), 1, "one open flag per resident: {r}");
    assert_eq!(flags[0]["scenario"], "窓口案内");
    assert_eq!(flags[0]["nodeId"], "far");
    assert!(flags[0]["friendId"].is_i64());
    assert!(!r.to_string().contains(&resident));
    let close = "mutation($id: Int!) { closeChatbotHandover(id: $id) }";
    let r = s.gql(close, json!({"id": flags[0]["id"]})).await;
    assert_eq!(r["data"]["closeChatbotHandover"], true, "{r}");
    let r = s.gql(close, json!({"id": flags[0]["id"]})).await;
    assert_eq!(error_code(&r).as_deref(), Some("CONFLICT"), "{r}");
    let r = s.gql("{ chatbotHandovers { id } }", json!({})).await;
    assert_eq!(r["data"]["chatbotHandovers"], json!([]), "{r}");
    let r = s
        .gql("{ chatbotHandovers(closed: true) { id } }", json!({}))
        .await;
    assert_eq!(r["data"]["chatbotHandovers"].as_array().unwrap().len(), 1);

    // Withdrawing 受信設定 in LIFF deletes what the chatbot kept of the resident.
    assert!(
        t.count(&format!(
            "chatbot_talk_log WHERE line_user_id = '{resident}'"
        ))
        .await
            > 0
    );
    let token = t.fake.id_token(json!({"userId": resident})).await;
    let r = t
        .liff(Some(&token), "mutation { withdrawMySettings }")
        .await;
    assert_eq!(r["data"]["withdrawMySettings"], true, "{r}");
    assert_eq!(
        t.count(&format!(
            "chatbot_talk_log WHERE line_user_id = '{resident}'"
        ))
        .await,
        0
    );
    assert_eq!(
        t.count(&format!(
            "chatbot_handovers WHERE line_user_id = '{resident}'"
        ))
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tester_trying_a_draft_never_writes_their_settings() {
    let (t, s) = app().await;
    let towns = tenohira::audience::municipalities::SAITAMA_MUNICIPALITIES;
    let r = s
        .gql(
            "mutation($i: ScenarioInput!) { createScenario(input: $i) { id } }",
            json!({"i": {"name": "下書き", "triggers": ["下書き"], "graph": area_graph(towns[0], towns[1])}}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let tester = t.bulk_friends(1).await.remove(0);
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use tenohira::db::schema::delivery_testers as dt;
        let staff = t.create_staff("draft-tester", &[]).await;
        diesel::insert_into(dt::table)
            .values((dt::staff_account_id.eq(staff), dt::line_user_id.eq(&tester)))
            .execute(&mut t.db().await)
            .await
            .unwrap();
    }
    let first = t.say(&tester, "下書き").await;
    let reply = t.tap(&tester, &quick(&first, towns[0])).await;
    assert_eq!(
        reply["messages"][0]["text"], "近くの窓口をご案内します。",
        "{reply}"
    );
    assert!(attributes(&t, &tester).await.is_empty());
}
