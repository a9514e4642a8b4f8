//! Audience end to end: staff define attributes and receive items, residents
//! register through /liff/graphql with their ID token, segment counts follow
//! within a second on every API replica; deleting an option flags segments.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenohira::auth::Permission;
use tenohira_tests::{Options, Session, TestApp, data, error_code};

/// Creates an attribute through the API and returns its option ids.
async fn attribute(staff: &Session, name: &str, kind: &str, options: &[&str]) -> Vec<i64> {
    let r = staff
        .gql(
            "mutation($i: AttributeInput!) { createAttribute(input: $i) { options { id } } }",
            json!({"i": {"name": name, "kind": kind, "options": options}}),
        )
        .await;
    data(&r)["createAttribute"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

async fn setup(staff: &Session) -> (Vec<i64>, Vec<i64>, i64) {
    let municipalities = attribute(
        staff,
        "居住地域",
        "MUNICIPALITY",
        &["さいたま市", "川口市", "川越市"],
    )
    .await;
    let interests = attribute(
        staff,
        "関心のある分野",
        "MULTIPLE",
        &["防災", "子育て", "観光"],
    )
    .await;
    let r = staff
        .gql(
            "mutation { createCategoryNode(name: \"防災\") { id } }",
            json!({}),
        )
        .await;
    let field = data(&r)["createCategoryNode"]["id"].as_i64().unwrap();
    (municipalities, interests, field)
}

async fn resident(t: &TestApp) -> (String, String) {
    let user = t.fake.user(false).await;
    t.fake
        .post(&format!("/_fake/users/{user}/follow"), json!({}))
        .await;
    let token = t.fake.id_token(json!({"userId": user})).await;
    (user, token)
}

async fn count(staff: &Session, expr: Value) -> i64 {
    let r = staff
        .gql(
            "query($e: SegmentExpr!) { audienceCount(expression: $e) }",
            json!({"e": expr}),
        )
        .await;
    data(&r)["audienceCount"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn residents_register_and_staff_see_counts_change() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let staff = t.signed_in("segmenter", &[Permission::SegmentManage]).await;
    let (municipalities, interests, field) = setup(&staff).await;
    let (_a, token_a) = resident(&t).await;
    let (_b, token_b) = resident(&t).await;
    t.eventually(10, "two friends", || async {
        t.count("friends").await == 2
    })
    .await;

    // The registration form the LIFF page shows.
    let r = t.liff(Some(&token_a), "{ registrationForm { attributes { name kind options { label } } categories { name level } } }").await;
    let form = &data(&r)["registrationForm"];
    assert_eq!(form["attributes"][0]["kind"], "MUNICIPALITY");
    assert_eq!(form["attributes"][0]["options"][1]["label"], "川口市");
    assert_eq!(form["categories"][0]["name"], "防災");

    let kawaguchi = json!({"residenceIn": [municipalities[1]]});
    // The index follows the change log: new friends show within a second.
    t.eventually(2, "both friends in the index", || async {
        count(&staff, json!({"registered": false})).await == 2
    })
    .await;
    assert_eq!(count(&staff, kawaguchi.clone()).await, 0);

    // A second API replica (its own index) over the same database.
    let replica = tenohira::app::App::connect(t.app.config.clone())
        .await
        .unwrap();
    let replica_count = |e: tenohira::audience::expr::Expr| {
        let replica = replica.clone();
        async move {
            tenohira::audience::index(&replica)
                .ensure_loaded(&replica.db)
                .await
                .unwrap();
            tenohira::audience::index(&replica).count(&e)
        }
    };
    assert_eq!(
        replica_count(tenohira::audience::expr::Expr::ResidenceIn(vec![
            municipalities[1] as i32
        ]))
        .await,
        0
    );

    let save = "mutation($i: MySettingsInput!) { saveMySettings(input: $i) { registered optionIds nodeIds birthYear } }";
    let r = t.liff_vars(Some(&token_a), save, json!({"i": {"optionIds": [municipalities[1], interests[0], interests[1]], "nodeIds": [field], "birthYear": 1985}}))
        .await;
    assert_eq!(data(&r)["saveMySettings"]["registered"], true);
    let saved_at = Instant::now();

    // Visible in counts on both replicas within a second.
    loop {
        let here = count(&staff, kawaguchi.clone()).await;
        let there = replica_count(tenohira::audience::expr::Expr::ResidenceIn(vec![
            municipalities[1] as i32,
        ]))
        .await;
        if here == 1 && there == 1 {
            break;
        }
        assert!(
            saved_at.elapsed() < Duration::from_secs(1),
            "change not visible within 1 s (here {here}, replica {there})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let six_clauses = json!({"and": [
        {"or": [{"residenceIn": [municipalities[1]]}, {"residenceIn": [municipalities[0]]}]},
        {"anyOf": [interests[0]]},
        {"not": {"anyOf": [interests[2]]}},
        {"birthYear": {"from": 1980, "to": 1990}},
        {"subscribedTo": field},
        {"registered": true}
    ]});
    assert_eq!(count(&staff, six_clauses).await, 1);
    assert_eq!(
        count(&staff, json!({"allOf": [interests[0], interests[1]]})).await,
        1
    );
    assert_eq!(count(&staff, json!({"registered": false})).await, 1);
    // The dashboard's numbers: one of the two friends has registered, this week.
    let dashboard = t
        .signed_in("dashboard", &[tenohira::auth::Permission::FriendsRead])
        .await;
    let r = dashboard
        .gql(
            "{ registrationCounts { registered registeredLast7Days } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"]["registrationCounts"],
        json!({"registered": 1, "registeredLast7Days": 1})
    );

    // Recipient resolution streams the LINE ids the segment selects.
    {
        use futures::StreamExt;
        let e: tenohira::audience::expr::Expr = serde_json::from_value(kawaguchi.clone()).unwrap();
        let batches: Vec<Vec<String>> = tenohira::audience::service::recipients(&t.app, &e, 1)
            .await
            .unwrap()
            .map(|b| b.unwrap())
            .collect()
            .await;
        assert_eq!(batches, vec![vec![_a.clone()]]);
        let everyone = tenohira::audience::expr::Expr::Or(vec![
            tenohira::audience::expr::Expr::Registered(true),
            tenohira::audience::expr::Expr::Registered(false),
        ]);
        let all: Vec<String> = tenohira::audience::service::recipients(&t.app, &everyone, 1)
            .await
            .unwrap()
            .map(|b| b.unwrap())
            .concat()
            .await;
        assert_eq!(all.len(), 2);
    }

    // Each resident sees only their own settings; nothing takes another's id.
    let mine = "{ mySettings { registered optionIds birthYear } }";
    assert_eq!(
        data(&t.liff(Some(&token_a), mine).await)["mySettings"]["birthYear"],
        1985
    );
    assert_eq!(
        data(&t.liff(Some(&token_b), mine).await)["mySettings"],
        json!({"registered": false, "optionIds": [], "birthYear": null})
    );
    assert_eq!(
        error_code(&t.liff(None, mine).await).as_deref(),
        Some("UNAUTHENTICATED")
    );

    // Bad settings are refused with the field path and change nothing.
    let r = t
        .liff_vars(
            Some(&token_b),
            save,
            json!({"i": {"optionIds": [municipalities[0], municipalities[1]]}}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(r["errors"][0]["extensions"]["field"], "input.optionIds[1]");
    let r = t
        .liff_vars(Some(&token_b), save, json!({"i": {"birthYear": 85}}))
        .await;
    assert_eq!(r["errors"][0]["extensions"]["field"], "input.birthYear");
    assert_eq!(t.count("friend_settings").await, 1);

    // Staff delete an option a saved segment uses: the segment is flagged.
    let r = staff
        .gql("mutation($e: SegmentExpr!) { saveSegment(input: {name: \"川口市の防災\", expression: $e}) { id count needsReview } }", json!({"e": {"and": [kawaguchi, {"anyOf": [interests[0]]}]}}))
        .await;
    let seg = &data(&r)["saveSegment"];
    assert_eq!(seg["count"], 1);
    assert_eq!(seg["needsReview"], false);
    // The friend list narrowed to the segment: friends.read is not enough
    // (it would tell who matches any condition), segment.manage is, but an
    // audience under 5 is shown only to accounts that may export anyway.
    let narrowed = "query($s: Int) { friends(segmentId: $s) { totalCount items { status } } }";
    let reader = t.signed_in("reader", &[Permission::FriendsRead]).await;
    let r = reader.gql(narrowed, json!({"s": seg["id"]})).await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let manager = t
        .signed_in(
            "manager",
            &[Permission::FriendsRead, Permission::SegmentManage],
        )
        .await;
    let r = manager.gql(narrowed, json!({"s": seg["id"]})).await;
    assert_eq!(
        error_code(&r).as_deref(),
        Some("FORBIDDEN"),
        "one person: {r}"
    );
    assert_eq!(r["data"], Value::Null, "not even the count");
    let exporter = t
        .signed_in(
            "export-manager",
            &[
                Permission::FriendsRead,
                Permission::SegmentManage,
                Permission::FriendExport,
            ],
        )
        .await;
    let r = exporter.gql(narrowed, json!({"s": seg["id"]})).await;
    assert_eq!(data(&r)["friends"]["totalCount"], 1);
    assert!(
        t.audit_actions()
            .await
            .contains(&("friends.segment.list".into(), "success".into())),
        "the narrowed list is audited"
    );
    let r = manager
        .gql("{ friends(segmentId: 999999) { totalCount } }", json!({}))
        .await;
    assert_eq!(r["errors"][0]["extensions"]["field"], "segmentId");
    let r = staff
        .gql(
            "mutation($id: Int!) { deleteAttributeOption(id: $id) }",
            json!({"id": interests[0]}),
        )
        .await;
    assert_eq!(data(&r)["deleteAttributeOption"], json!([seg["id"]]));
    let r = staff
        .gql("{ segments { name needsReview reviewReason } }", json!({}))
        .await;
    assert_eq!(data(&r)["segments"][0]["needsReview"], true);
    assert!(
        r["data"]["segments"][0]["reviewReason"]
            .as_str()
            .unwrap()
            .contains("防災")
    );
    // The option is gone from the resident's settings too.
    let r = t.liff(Some(&token_a), mine).await;
    assert!(
        !data(&r)["mySettings"]["optionIds"]
            .as_array()
            .unwrap()
            .contains(&json!(interests[0]))
    );

    // Withdrawal deletes everything the resident registered.
    assert_eq!(
        data(
            &t.liff(Some(&token_a), "mutation { withdrawMySettings }")
                .await
        )["withdrawMySettings"],
        true
    );
    assert_eq!(t.count("friend_settings").await, 0);
    t.eventually(2, "the withdrawal in counts", || async {
        count(&staff, json!({"registered": true})).await == 0
    })
    .await;
    let actions = t.audit_actions().await;
    assert!(actions.contains(&("audience.settings.save".into(), "success".into())));
    assert!(actions.contains(&("audience.settings.withdraw".into(), "success".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn welcome_leads_to_registration_and_a_single_reminder_follows() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let (unregistered, _) = resident(&t).await;
    let (registered, token) = resident(&t).await;
    t.eventually(10, "two welcomes", || async {
        t.fake.inbox(&unregistered).await.len() == 1 && t.fake.inbox(&registered).await.len() == 1
    })
    .await;
    let welcome = &t.fake.inbox(&unregistered).await[0]["messages"][0];
    let button = &welcome["quickReply"]["items"][0]["action"];
    assert_eq!(button["label"], "受信設定をする");
    assert_eq!(button["uri"], format!("{}/liff/", t.app.config.public_url));

    let r = t
        .liff_vars(
            Some(&token),
            "mutation($i: MySettingsInput!) { saveMySettings(input: $i) { registered } }",
            json!({"i": {}}),
        )
        .await;
    assert_eq!(data(&r)["saveMySettings"]["registered"], true);

    // Both followed four days ago; only the unregistered one is reminded, once.
    {
        use diesel_async::RunQueryDsl;
        let mut c = t.db().await;
        diesel::sql_query("UPDATE friends SET followed_at = now() - interval '4 days'")
            .execute(&mut c)
            .await
            .unwrap();
    }
    assert_eq!(
        tenohira::friends::service::send_registration_reminders(&t.app, 5)
            .await
            .unwrap(),
        0,
        "not yet due"
    );
    assert_eq!(
        tenohira::friends::service::send_registration_reminders(&t.app, 3)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        tenohira::friends::service::send_registration_reminders(&t.app, 3)
            .await
            .unwrap(),
        0,
        "never twice"
    );
    let inbox = t.fake.inbox(&unregistered).await;
    assert_eq!(inbox.len(), 2);
    assert_eq!(
        inbox[1]["messages"][0]["text"],
        tenohira::friends::service::REMINDER_TEXT
    );
    assert_eq!(
        inbox[1]["customAggregationUnits"],
        json!(["registration_reminder"])
    );
    assert_eq!(t.fake.inbox(&registered).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_export_is_restricted_audited_and_excel_ready() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let staff = t.signed_in("segmenter", &[Permission::SegmentManage]).await;
    let (municipalities, interests, _field) = setup(&staff).await;
    let (user, token) = resident(&t).await;
    t.eventually(10, "the friend", || async { t.count("friends").await == 1 })
        .await;
    let r = t
        .liff_vars(
            Some(&token),
            "mutation($i: MySettingsInput!) { saveMySettings(input: $i) { registered } }",
            json!({"i": {"optionIds": [municipalities[1], interests[0], interests[2]], "birthYear": 1990}}),
        )
        .await;
    data(&r);

    let get = |s: &Session| {
        let cookie = s.cookie().unwrap_or_default();
        let url = format!(
            "{}/exports/friend-settings.csv?reason=%E9%9B%86%E8%A8%88",
            t.base
        );
        async move {
            reqwest::Client::new()
                .get(url)
                .header("cookie", format!("tenohira_session={cookie}"))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        get(&staff).await.status(),
        403,
        "segment.manage is not enough"
    );
    assert_eq!(get(&t.session()).await.status(), 401);

    // friend.export needs the second factor: signed_in enrols TOTP for it.
    let exporter = t.signed_in("exporter", &[Permission::FriendExport]).await;
    let res = get(&exporter).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-total-count"], "1");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("friend-settings-")
    );
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xef\xbb\xbf", "BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("内部ID,LINEユーザーID,状態,友だち追加日時(JST),登録日時(JST),更新日時(JST),生まれ年,居住地域,関心のある分野,受信項目"));
    assert!(
        lines[1].contains(&user)
            && lines[1].contains(",友だち,")
            && lines[1].contains(",1990,川口市,防災、観光,"),
        "{}",
        lines[1]
    );

    let r = staff
        .gql(
            "{ auditLog { items { action actorLabel summary } } }",
            json!({}),
        )
        .await;
    let _ = r; // segment.manage cannot read the audit log; check the table directly.
    let actions = t.audit_actions().await;
    assert!(actions.contains(&("friends.settings.export".into(), "success".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn published_forms_decide_what_residents_see_and_must_answer() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let staff = t.signed_in("segmenter", &[Permission::SegmentManage]).await;
    let (municipalities, interests, field) = setup(&staff).await;
    let other_field = data(
        &staff
            .gql(
                "mutation { createCategoryNode(name: \"観光\") { id } }",
                json!({}),
            )
            .await,
    )["createCategoryNode"]["id"]
        .as_i64()
        .unwrap();
    let attrs = staff.gql("{ attributes { id name } }", json!({})).await;
    let id_of = |name: &str| {
        data(&attrs)["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (residence, interest) = (id_of("居住地域"), id_of("関心のある分野"));
    let (_, token) = resident(&t).await;
    t.eventually(10, "the friend", || async { t.count("friends").await == 1 })
        .await;

    // Version 1: interests first and optional, residence required with its own help, only the 防災 subtree.
    let r = staff
        .gql(
            "mutation($i: RegistrationFormInput!) { publishRegistrationForm(input: $i) { version } }",
            json!({"i": {"items": [
                {"attributeId": interest},
                {"attributeId": residence, "required": true, "helpText": "お住まいの市町村を1つ選んでください"}
            ], "categoryRootIds": [field]}}),
        )
        .await;
    assert_eq!(data(&r)["publishRegistrationForm"]["version"], 1);
    let form = t.liff(Some(&token), "{ registrationForm { version attributes { name required helpText } categories { id } } }").await;
    let f = &data(&form)["registrationForm"];
    assert_eq!(f["version"], 1);
    assert_eq!(f["attributes"][0]["name"], "関心のある分野");
    assert_eq!(
        f["attributes"][1],
        json!({"name": "居住地域", "required": true, "helpText": "お住まいの市町村を1つ選んでください"})
    );
    assert_eq!(
        f["categories"],
        json!([{"id": field}]),
        "only the chosen subtree"
    );

    let save = "mutation($i: MySettingsInput!) { saveMySettings(input: $i) { registered } }";
    let r = t
        .liff_vars(
            Some(&token),
            save,
            json!({"i": {"optionIds": [interests[0]]}}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(
        r["errors"][0]["extensions"]["field"],
        format!("input.attributes.{residence}")
    );
    assert_eq!(
        r["errors"][0]["extensions"]["fieldErrors"][0]["message"],
        "「居住地域」は必須です"
    );
    let r = t
        .liff_vars(
            Some(&token),
            save,
            json!({"i": {"nodeIds": [other_field], "optionIds": [municipalities[0]]}}),
        )
        .await;
    assert_eq!(
        r["errors"][0]["extensions"]["field"], "input.nodeIds[0]",
        "receive items outside the form are refused"
    );
    let r = t
        .liff_vars(
            Some(&token),
            save,
            json!({"i": {"optionIds": [municipalities[0], interests[0]], "nodeIds": [field]}}),
        )
        .await;
    assert_eq!(data(&r)["saveMySettings"]["registered"], true);

    // Version 2 replaces it; versions are kept.
    staff
        .gql("mutation($a: Int!) { publishRegistrationForm(input: {items: [{attributeId: $a}]}) { version } }", json!({"a": residence}))
        .await;
    let r = staff
        .gql(
            "{ registrationForms { version items { attributeId required } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&r)["registrationForms"].as_array().unwrap().len(), 2);
    let form = t
        .liff(
            Some(&token),
            "{ registrationForm { version attributes { name required } categories { id } } }",
        )
        .await;
    assert_eq!(
        data(&form)["registrationForm"],
        json!({"version": 2, "attributes": [{"name": "居住地域", "required": false}], "categories": []})
    );
}
