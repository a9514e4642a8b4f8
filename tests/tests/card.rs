//! The Maitama pass and the Papa-Mama card against the running app: the
//! resident's own card through `/liff/graphql`, owner-only access, staff
//! access with permission and audit, crypto-shredding against a database
//! dump, KEK rotation and providers, and availability with Redis stopped.

use std::time::Duration;

use serde_json::{Value, json};
use tenohira::auth::Permission::*;
use tenohira_tests::services::{MotoServer, PrivateRedis};
use tenohira_tests::{Options, Session, TestApp, error_code};

const CARD: &str = "{ papaMamaCard { registered eligible hiddenReason imageUrl barcodeValue notice holderName relation \
    eligibleUntil expectedDate grandparent serverTime children { name birthDate eligibleUntil eligible } } }";

const SAVE: &str = "mutation($input: CardInput!) { saveCardResult: savePapaMamaCard(input: $input) { registered eligible holderName children { name } } }";

fn two_children() -> Value {
    json!({
        "holderName": "埼玉 花子",
        "relation": "母",
        "children": [
            {"name": "埼玉 一郎", "birthDate": "2018-04-02"},
            {"name": "埼玉 二葉", "birthDate": "2021-02-28"}
        ]
    })
}

async fn resident(t: &TestApp) -> (String, String) {
    let user = t.bulk_friends(1).await.remove(0);
    let token = t.fake.id_token(json!({"userId": user})).await;
    (user, token)
}

async fn register(t: &TestApp, token: &str, input: Value) -> Value {
    let r = t
        .liff_vars(Some(token), SAVE, json!({"input": input}))
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    r["data"]["saveCardResult"].clone()
}

async fn upload_image(t: &TestApp, s: &Session) -> String {
    let mut png = Vec::new();
    image::RgbImage::from_pixel(64, 40, image::Rgb([240, 120, 60]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/media", t.base))
        .header(
            "cookie",
            format!("tenohira_session={}", s.cookie().unwrap_or_default()),
        )
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parent_registers_two_children_and_sees_them_on_the_card() {
    let t = TestApp::spawn().await;
    let staff = t.signed_in("card-admin", &[CardSettings, PassManage]).await;
    let image = upload_image(&t, &staff).await;
    let r = staff
        .gql(
            "mutation($img: UUID!) { updateCardSettings(input: {cardImageId: $img, notice: \"協賛店のレジで提示してください\", barcodeValue: \"4912345678904\", pregnancyGraceDays: 365}) { id } }",
            json!({"img": image}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    let (_, token) = resident(&t).await;

    let before = t.liff(Some(&token), CARD).await;
    assert_eq!(before["data"]["papaMamaCard"]["registered"], false);
    assert_eq!(before["data"]["papaMamaCard"]["imageUrl"], Value::Null);

    let saved = register(&t, &token, two_children()).await;
    assert_eq!(saved["eligible"], true);
    let card = &t.liff(Some(&token), CARD).await["data"]["papaMamaCard"];
    assert_eq!(card["holderName"], "埼玉 花子");
    assert_eq!(card["relation"], "母");
    assert_eq!(card["imageUrl"], format!("/media/{image}"));
    assert_eq!(card["barcodeValue"], "4912345678904");
    assert_eq!(card["notice"], "協賛店のレジで提示してください");
    assert_eq!(card["children"][0]["name"], "埼玉 一郎");
    assert_eq!(card["children"][0]["eligibleUntil"], "2037-03-31");
    assert_eq!(card["children"][1]["birthDate"], "2021-02-28");
    assert_eq!(card["eligibleUntil"], "2039-03-31");
    assert!(card["serverTime"].is_string());

    // Nothing personal is in the database in clear.
    {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Dump {
            #[diesel(sql_type = diesel::sql_types::Text)]
            dump: String,
        }
        let d: Dump = diesel::sql_query(
            "SELECT encode(holder_name || relation || children || household, 'escape') AS dump FROM card_holders",
        )
        .get_result(&mut t.db().await)
        .await
        .unwrap();
        // The whole date: escaped ciphertext bytes such as \201 followed by
        // an '8' would make a bare "2018" appear by chance.
        assert!(
            !d.dump.contains("花子") && !d.dump.contains("一郎") && !d.dump.contains("2018-04-02")
        );
    }

    // Editing keeps the card and changes what it shows.
    let mut edited = two_children();
    edited["children"][1]["name"] = json!("埼玉 ふたば");
    register(&t, &token, edited).await;
    let card = &t.liff(Some(&token), CARD).await["data"]["papaMamaCard"];
    assert_eq!(card["children"][1]["name"], "埼玉 ふたば");

    // Clear Japanese messages, each at its field, and nothing changes.
    let r = t
        .liff_vars(
            Some(&token),
            SAVE,
            json!({"input": {"holderName": " ", "relation": "", "children": [{"name": "", "birthDate": "2099-01-01"}]}}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
    let fields: Vec<&str> = r["errors"][0]["extensions"]["fieldErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "input.holderName",
            "input.relation",
            "input.children[0].name",
            "input.children[0].birthDate"
        ]
    );
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("氏名"));
    let r = t
        .liff_vars(
            Some(&token),
            SAVE,
            json!({"input": {"holderName": "a", "relation": "母", "children": []}}),
        )
        .await;
    assert_eq!(
        r["errors"][0]["extensions"]["field"], "input.children[0].name",
        "first child required: {r}"
    );
    let card = &t.liff(Some(&token), CARD).await["data"]["papaMamaCard"];
    assert_eq!(card["children"][1]["name"], "埼玉 ふたば", "unchanged");

    // A pregnancy alone is enough.
    let (_, expecting) = resident(&t).await;
    let due = (chrono::Utc::now() + chrono::Duration::days(100)).date_naive();
    let r = register(
        &t,
        &expecting,
        json!({"holderName": "浦和 さくら", "relation": "本人", "children": [], "expectedDate": due.to_string()}),
    )
    .await;
    assert_eq!(r["eligible"], true);

    // Views are counted for the operators.
    let metrics = t.metrics().await;
    assert!(
        metrics.contains("tenohira_card_views_total{result=\"shown\"}"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ineligible_household_sees_no_card_image_and_is_told_why() {
    let t = TestApp::spawn().await;
    let staff = t.signed_in("card-admin", &[CardSettings]).await;
    let image = upload_image(&t, &staff).await;
    staff
        .gql(
            "mutation($img: UUID!) { updateCardSettings(input: {cardImageId: $img, barcodeValue: \"12345\", pregnancyGraceDays: 30, lapseNotice: \"パパママカードの対象期間が終了しました\"}) { id } }",
            json!({"img": image}),
        )
        .await;
    let (user, token) = resident(&t).await;
    // Born 1 April 2007: reached 18 on 31 March 2025, eligible until that day.
    register(
        &t,
        &token,
        json!({"holderName": "大宮 太郎", "relation": "父", "children": [{"name": "大宮 一子", "birthDate": "2007-04-01"}]}),
    )
    .await;
    let card = &t.liff(Some(&token), CARD).await["data"]["papaMamaCard"];
    assert_eq!(card["registered"], true);
    assert_eq!(card["eligible"], false);
    assert_eq!(card["imageUrl"], Value::Null);
    assert_eq!(card["barcodeValue"], Value::Null);
    assert_eq!(card["eligibleUntil"], "2025-03-31");
    assert!(
        card["hiddenReason"].as_str().unwrap().contains("3月31日"),
        "{card}"
    );
    assert_eq!(
        card["holderName"], "大宮 太郎",
        "the data stays visible to edit"
    );

    // The daily job tells the household once.
    let mut check = t.spawn_role(&["check-card-lapses"], &[]);
    assert!(check.wait().await.unwrap().success());
    let inbox = t.fake.inbox(&user).await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert!(inbox[0].to_string().contains("対象期間が終了"));
    let mut again = t.spawn_role(&["check-card-lapses"], &[]);
    assert!(again.wait().await.unwrap().success());
    assert_eq!(t.fake.inbox(&user).await.len(), 1, "told once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resident_reaches_only_their_own_card() {
    let t = TestApp::spawn().await;
    let (_, a) = resident(&t).await;
    let (_, b) = resident(&t).await;
    register(&t, &a, two_children()).await;

    // B sees B's (empty) card, never A's.
    let card = &t.liff(Some(&b), CARD).await["data"]["papaMamaCard"];
    assert_eq!(card["registered"], false);
    assert_eq!(card["holderName"], Value::Null);

    // There is no argument by which to name another resident.
    let r = t
        .liff(
            Some(&b),
            "{ papaMamaCard(lineUserId: \"U0\") { holderName } }",
        )
        .await;
    assert!(r.get("errors").is_some(), "{r}");
    let sdl = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../liff/schema.graphql"),
    )
    .unwrap();
    let card_field = sdl
        .lines()
        .find(|l| l.trim_start().starts_with("papaMamaCard"))
        .unwrap();
    assert!(
        !card_field.contains('('),
        "the card query takes no arguments: {card_field}"
    );
    for line in sdl.lines().filter(|l| l.contains('(')) {
        assert!(
            !line.to_lowercase().contains("userid"),
            "no operation takes a user id: {line}"
        );
    }
    let card_input = sdl
        .split("input CardInput")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap();
    assert!(!card_input.to_lowercase().contains("user"), "{card_input}");

    // No token, a token for another channel, an expired or forged token: nothing.
    for token in [
        None,
        Some(
            t.fake
                .id_token(json!({"userId": "Uaaaa", "aud": "999"}))
                .await,
        ),
        Some(
            t.fake
                .id_token(json!({"userId": "Uaaaa", "expiresIn": -3600}))
                .await,
        ),
        Some(format!("{}x", &a[..a.len() - 1])),
    ] {
        let r = t.liff(token.as_deref(), CARD).await;
        assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"), "{r}");
        assert!(!r.to_string().contains("花子"));
    }
    // A staff session is not a resident either.
    let staff = t.signed_in("reader", &[CardPiiRead]).await;
    let r = reqwest::Client::new()
        .post(format!("{}/liff/graphql", t.base))
        .header(
            "cookie",
            format!("tenohira_session={}", staff.cookie().unwrap()),
        )
        .json(&json!({"query": CARD}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"), "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_see_holders_only_with_permission_and_every_access_is_audited() {
    let t = TestApp::spawn().await;
    let (_, a) = resident(&t).await;
    let (_, b) = resident(&t).await;
    register(&t, &a, two_children()).await;
    register(
        &t,
        &b,
        json!({"holderName": "川越 次郎", "relation": "祖父", "grandparent": true, "children": [{"name": "川越 花", "birthDate": "2019-07-07"}]}),
    )
    .await;

    // Without the permission: nothing, not even a count.
    let other = t
        .signed_in("no-pii", &[FriendsRead, CardSettings, DeliveryCreate])
        .await;
    let r = other.gql("{ cardHolders { total } }", json!({})).await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    assert_eq!(r["data"], Value::Null);

    let reader = t.signed_in("pii-reader", &[CardPiiRead]).await;
    let audit_before = t.count("audit_log").await;
    // Search by a name part, full-width space or not.
    for name in ["花子", "埼玉　花子", "埼玉花子", "一郎"] {
        let r = reader
            .gql(
                "query($n: String) { cardHolders(name: $n) { total items { id holderName relation children { name } } } }",
                json!({"n": name}),
            )
            .await;
        assert_eq!(r["data"]["cardHolders"]["total"], 1, "{name}: {r}");
        assert_eq!(
            r["data"]["cardHolders"]["items"][0]["holderName"],
            "埼玉 花子"
        );
    }
    let r = reader
        .gql(
            "{ cardHolders(name: \"川越\") { items { id grandparent relation } } }",
            json!({}),
        )
        .await;
    let jiro = r["data"]["cardHolders"]["items"][0].clone();
    assert_eq!(jiro["grandparent"], true);
    let r = reader
        .gql(
            "query($id: UUID!) { cardHolder(id: $id) { holderName children { name birthDate } } }",
            json!({"id": jiro["id"]}),
        )
        .await;
    assert_eq!(r["data"]["cardHolder"]["holderName"], "川越 次郎");
    assert_eq!(
        t.count("audit_log").await,
        audit_before + 6,
        "one row per access"
    );
    let actions = t.audit_actions().await;
    assert_eq!(actions.last().unwrap().0, "card.pii.view");

    // CSV export: its own permission, a stated reason, audited, Excel-ready.
    let csv = |s: &Session, reason: &str| {
        let url = format!(
            "{}/exports/card-holders.csv?reason={}",
            t.base,
            urlencode(reason)
        );
        let cookie = s.cookie().unwrap_or_default();
        async move {
            reqwest::Client::new()
                .get(url)
                .header("cookie", format!("tenohira_session={cookie}"))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(csv(&reader, "確認").await.status(), 403);
    let exporter = t.signed_in("pii-exporter", &[CardPiiExport]).await;
    assert_eq!(
        csv(&exporter, "").await.status(),
        400,
        "a reason is required"
    );
    let res = csv(&exporter, "協賛店からの問い合わせ確認").await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.starts_with('\u{feff}'));
    assert!(body.contains("\r\n"));
    assert!(body.contains("埼玉 花子") && body.contains("2018-04-02") && body.contains("川越 花"));
    let (action, _) = t.audit_actions().await.last().unwrap().clone();
    assert_eq!(action, "card.pii.export");
    {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct S {
            #[diesel(sql_type = diesel::sql_types::Text)]
            s: String,
        }
        let s: S = diesel::sql_query(
            "SELECT summary::text AS s FROM audit_log WHERE action = 'card.pii.export'",
        )
        .get_result(&mut t.db().await)
        .await
        .unwrap();
        assert!(
            s.s.contains("協賛店からの問い合わせ確認"),
            "the reason is kept"
        );
    }
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn chosen_holders_get_a_push_through_the_delivery_pipeline() {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let (a_user, a) = resident(&t).await;
    let (b_user, b) = resident(&t).await;
    register(&t, &a, two_children()).await;
    register(
        &t,
        &b,
        json!({"holderName": "所沢 みどり", "relation": "母", "children": [{"name": "所沢 空", "birthDate": "2022-10-10"}]}),
    )
    .await;
    let reader = t.signed_in("pusher", &[CardPiiRead, CardPush]).await;
    let r = reader
        .gql(
            "{ cardHolders(name: \"みどり\") { items { id } } }",
            json!({}),
        )
        .await;
    let id = r["data"]["cardHolders"]["items"][0]["id"].clone();
    let r = reader
        .gql(
            "mutation($ids: [UUID!]!) { pushToCardHolders(holderIds: $ids, title: \"更新のお願い\", text: \"カード情報をご確認ください\") }",
            json!({"ids": [id]}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    t.eventually(20, "the holder's push", || async {
        !t.fake.inbox(&b_user).await.is_empty()
    })
    .await;
    assert!(
        t.fake.inbox(&b_user).await[0]
            .to_string()
            .contains("カード情報をご確認ください")
    );
    assert!(
        t.fake.inbox(&a_user).await.is_empty(),
        "only the chosen holder"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_registration_is_unreadable_even_from_a_dump_taken_before() {
    let t = TestApp::spawn().await;
    let (a_user, a) = resident(&t).await;
    let (_, b) = resident(&t).await;
    register(&t, &a, two_children()).await;
    register(
        &t,
        &b,
        json!({"holderName": "春日部 陽子", "relation": "母", "children": [{"name": "春日部 光", "birthDate": "2020-01-01"}]}),
    )
    .await;
    // What A once asked the chatbot goes with the rest.
    tenohira::chatbot::talk::log(
        &t.app,
        tenohira::chatbot::talk::Talk {
            user: &a_user,
            occurred_at: chrono::Utc::now(),
            question: "児童手当の申請はどこですか",
            route: "fallback",
            decision: "unanswered",
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(t.count("chatbot_talk_log").await, 1);
    // The documented backup of the application data (the keyring is kept apart).
    let dump = std::env::temp_dir().join(format!("{}-before.sql", t.db_name));
    let url = t.env["DATABASE_URL"].clone();
    let ok = std::process::Command::new("pg_dump")
        .args(["--no-owner", "--exclude-schema=keyring", "-f"])
        .arg(&dump)
        .arg(&url)
        .status()
        .unwrap();
    assert!(ok.success());

    // The resident deletes everything.
    let r = t
        .liff(
            Some(&a),
            "mutation { deletePapaMamaCard { certificateId erasedAt } }",
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    let card = &t.liff(Some(&a), CARD).await["data"]["papaMamaCard"];
    assert_eq!(card["registered"], false);
    assert_eq!(
        t.count("chatbot_talk_log").await,
        0,
        "the talk log is erased too"
    );
    {
        use diesel_async::RunQueryDsl;
        let n: Vec<tenohira_tests::Count> = diesel::sql_query(
            "SELECT count(*) AS n FROM erasure_certificates WHERE kind = 'resident'",
        )
        .load(&mut t.db().await)
        .await
        .unwrap();
        assert_eq!(n[0].n, 1);
    }

    // Restore the old dump next to today's keyring, as an attacker with the
    // backup and the live system would: B still opens, A never does.
    let restored = format!("{}_restored", t.db_name);
    let admin = format!("{}/postgres", tenohira_tests::pg_base());
    psql(&admin, &format!("CREATE DATABASE {restored}"));
    let restored_url = format!("{}/{restored}", tenohira_tests::pg_base());
    let ok = std::process::Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&dump)
        .arg(&restored_url)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success());
    let keyring = std::process::Command::new("pg_dump")
        .args(["--no-owner", "--schema=keyring"])
        .arg(&url)
        .output()
        .unwrap();
    let mut load = std::process::Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1"])
        .arg(&restored_url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        load.stdin
            .take()
            .unwrap()
            .write_all(&keyring.stdout)
            .unwrap();
    }
    assert!(load.wait().unwrap().success());
    let mut env = t.env.clone();
    env.insert("DATABASE_URL".into(), restored_url);
    let old = tenohira::app::App::connect(tenohira::config::Config::from_map(&env).unwrap())
        .await
        .unwrap();
    let view = |user: String| {
        let old = old.clone();
        async move {
            let caller = tenohira::auth::Caller::with(tenohira::auth::Principal::Resident(
                tenohira::auth::ResidentPrincipal { line_user_id: user },
            ));
            tenohira::card::resident::view(&old, &caller).await
        }
    };
    let b_user = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use tenohira::db::schema::card_holders;
        card_holders::table
            .select(card_holders::line_user_id)
            .first::<String>(&mut t.db().await)
            .await
            .unwrap()
    };
    let b_card = view(b_user).await.unwrap();
    assert_eq!(b_card.holder_name.as_deref(), Some("春日部 陽子"));
    let a_card = view(a_user).await;
    assert!(
        a_card.is_err(),
        "the shredded resident's rows are in the dump but do not open"
    );
    let text = std::fs::read_to_string(&dump).unwrap();
    assert!(!text.contains("花子") && !text.contains("陽子"));
    drop(old);
    let _ = std::fs::remove_file(&dump);
    psql(&admin, &format!("DROP DATABASE {restored} WITH (FORCE)"));
}

fn psql(url: &str, sql: &str) {
    let ok = std::process::Command::new("psql")
        .args(["-q", "-c", sql, url])
        .status()
        .unwrap();
    assert!(ok.success(), "{sql}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kek_rotation_keeps_everything_readable_and_the_erasure_command_certifies() {
    let t = TestApp::spawn().await;
    let mut tokens = vec![];
    for i in 0..3 {
        let (u, tok) = resident(&t).await;
        register(
            &t,
            &tok,
            json!({"holderName": format!("保護者 {i}"), "relation": "母", "children": [{"name": "子", "birthDate": "2020-01-01"}]}),
        )
        .await;
        tokens.push((u, tok));
    }
    let old_kek = t.env["TENOHIRA_KEK"].clone();
    let new_kek = format!(
        "local:{}",
        std::env::temp_dir()
            .join(format!("{}-kek2.key", t.db_name))
            .display()
    );
    // Production never makes a key file on its own: the rotation refuses a
    // missing one, and the operator creates it first.
    let mut refused = t.spawn_role(
        &["kek", "rotate"],
        &[
            ("TENOHIRA_KEK", &new_kek),
            ("TENOHIRA_KEK_PREVIOUS", &old_kek),
        ],
    );
    assert!(!refused.wait().await.unwrap().success());
    assert!(!std::path::Path::new(new_kek.strip_prefix("local:").unwrap()).exists());
    let mut create = t.spawn_role(&["kek", "create-local"], &[("TENOHIRA_KEK", &new_kek)]);
    assert!(create.wait().await.unwrap().success());
    let mut twice = t.spawn_role(&["kek", "create-local"], &[("TENOHIRA_KEK", &new_kek)]);
    assert!(
        !twice.wait().await.unwrap().success(),
        "an existing key file is never replaced"
    );
    // Rotation with the new KEK current and the old one still known.
    let mut rotate = t.spawn_role(
        &["kek", "rotate"],
        &[
            ("TENOHIRA_KEK", &new_kek),
            ("TENOHIRA_KEK_PREVIOUS", &old_kek),
        ],
    );
    assert!(rotate.wait().await.unwrap().success());
    // A server knowing only the new KEK reads every card.
    let mut env = t.env.clone();
    env.insert("TENOHIRA_KEK".into(), new_kek.clone());
    let only_new = tenohira::app::App::connect(tenohira::config::Config::from_map(&env).unwrap())
        .await
        .unwrap();
    for (i, (u, _)) in tokens.iter().enumerate() {
        let caller = tenohira::auth::Caller::with(tenohira::auth::Principal::Resident(
            tenohira::auth::ResidentPrincipal {
                line_user_id: u.clone(),
            },
        ));
        let card = tenohira::card::resident::view(&only_new, &caller)
            .await
            .unwrap();
        assert_eq!(
            card.holder_name.as_deref(),
            Some(format!("保護者 {i}").as_str())
        );
    }
    {
        use diesel_async::RunQueryDsl;
        let n: Vec<tenohira_tests::Count> = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM keyring.data_keys WHERE kek_id <> '{}' AND wrapped IS NOT NULL",
            only_new.keyring.kek().current().id()
        ))
        .load(&mut t.db().await)
        .await
        .unwrap();
        assert_eq!(n[0].n, 0, "every data key re-wrapped");
    }
    // Running it again is a no-op that finishes at once (resumable).
    let mut again = t.spawn_role(
        &["kek", "rotate"],
        &[
            ("TENOHIRA_KEK", &new_kek),
            ("TENOHIRA_KEK_PREVIOUS", &old_kek),
        ],
    );
    assert!(again.wait().await.unwrap().success());

    // Erasure command: certificate files, key destroyed, card gone.
    let out = std::env::temp_dir().join(format!("{}-certs", t.db_name));
    let mut erase = t.spawn_role(
        &[
            "erase",
            "resident",
            "--line-user-id",
            &tokens[0].0,
            "--operator",
            "子育て支援課 主査 山田",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("TENOHIRA_KEK", &new_kek)],
    );
    assert!(erase.wait().await.unwrap().success());
    let files: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let json_file = files
        .iter()
        .find(|p| p.extension().unwrap() == "json")
        .unwrap();
    let cert: Value = serde_json::from_slice(&std::fs::read(json_file).unwrap()).unwrap();
    assert_eq!(cert["kind"], "resident");
    assert_eq!(cert["operator"], "子育て支援課 主査 山田");
    assert_eq!(cert["keyIds"].as_array().unwrap().len(), 1);
    let html_file = files
        .iter()
        .find(|p| p.extension().unwrap() == "html")
        .unwrap();
    assert!(
        std::fs::read_to_string(html_file)
            .unwrap()
            .contains("データ消去証明書")
    );
    let caller = tenohira::auth::Caller::with(tenohira::auth::Principal::Resident(
        tenohira::auth::ResidentPrincipal {
            line_user_id: tokens[0].0.clone(),
        },
    ));
    assert!(
        !tenohira::card::resident::view(&only_new, &caller)
            .await
            .unwrap()
            .registered
    );

    // Destroying the KEK: nothing it protected opens any more.
    let mut erase_kek = t.spawn_role(
        &[
            "erase",
            "kek",
            "--operator",
            "情報政策課",
            "--out",
            out.to_str().unwrap(),
            "--yes-destroy-everything",
        ],
        &[("TENOHIRA_KEK", &new_kek)],
    );
    assert!(erase_kek.wait().await.unwrap().success());
    let kek_file = new_kek.strip_prefix("local:").unwrap();
    assert!(!std::path::Path::new(kek_file).exists());
    let _ = std::fs::remove_dir_all(&out);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kek_can_live_in_a_kms() {
    let kms = MotoServer::start().await;
    let kms_env = |key: &str| {
        vec![
            ("TENOHIRA_KMS_ENDPOINT", kms.endpoint.clone()),
            ("TENOHIRA_KMS_ACCESS_KEY_ID", "test-key".to_string()),
            ("TENOHIRA_KMS_SECRET_ACCESS_KEY", "test-secret".to_string()),
            ("TENOHIRA_KMS_REGION", "ap-northeast-1".to_string()),
            ("TENOHIRA_KEK", format!("aws-kms:{key}")),
        ]
    };
    let client = tenohira::crypto::kms::KmsClient::new(&tenohira::config::KmsConfig {
        endpoint: kms.endpoint.clone(),
        region: "ap-northeast-1".into(),
        access_key_id: "test-key".into(),
        secret_access_key: tenohira::config::Secret::new("test-secret"),
    })
    .unwrap();
    let key = client.create_key("tenohira test").await.unwrap();
    let t = TestApp::spawn_with(Options {
        env: kms_env(&key),
        ..Default::default()
    })
    .await;
    let (user, token) = resident(&t).await;
    register(&t, &token, two_children()).await;
    let card = &t.liff(Some(&token), CARD).await["data"]["papaMamaCard"];
    assert_eq!(card["holderName"], "埼玉 花子");
    {
        use diesel_async::RunQueryDsl;
        let n: Vec<tenohira_tests::Count> = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM keyring.data_keys WHERE kek_id = 'aws-kms:{key}'"
        ))
        .load(&mut t.db().await)
        .await
        .unwrap();
        assert_eq!(n[0].n, 2, "the resident's key and the blind-index key");
    }
    // Another process (cold cache) unwraps through KMS.
    let fresh = tenohira::app::App::connect(tenohira::config::Config::from_map(&t.env).unwrap())
        .await
        .unwrap();
    let caller = tenohira::auth::Caller::with(tenohira::auth::Principal::Resident(
        tenohira::auth::ResidentPrincipal {
            line_user_id: user.clone(),
        },
    ));
    let c = tenohira::card::resident::view(&fresh, &caller)
        .await
        .unwrap();
    assert_eq!(c.holder_name.as_deref(), Some("埼玉 花子"));

    // Moving the KEK to a second KMS key (another provider works the same way).
    let second = client.create_key("tenohira test 2").await.unwrap();
    let mut rotate = t.spawn_role(
        &["kek", "rotate"],
        &[
            ("TENOHIRA_KEK", &format!("aws-kms:{second}")),
            ("TENOHIRA_KEK_PREVIOUS", &format!("aws-kms:{key}")),
        ],
    );
    assert!(rotate.wait().await.unwrap().success());
    let mut env = t.env.clone();
    env.insert("TENOHIRA_KEK".into(), format!("aws-kms:{second}"));
    let moved = tenohira::app::App::connect(tenohira::config::Config::from_map(&env).unwrap())
        .await
        .unwrap();
    let c = tenohira::card::resident::view(&moved, &caller)
        .await
        .unwrap();
    assert_eq!(c.holder_name.as_deref(), Some("埼玉 花子"));
    // A wrapped key under KMS does not open with another context (bound to its id).
    let wrapped = moved
        .keyring
        .kek()
        .current()
        .wrap(&[7u8; 64], "key-a")
        .await
        .unwrap();
    assert!(
        moved
            .keyring
            .kek()
            .current()
            .unwrap(&wrapped, "key-b")
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_card_opens_with_redis_stopped_and_no_workers() {
    let mut redis = PrivateRedis::start().await;
    let t = TestApp::spawn_with(Options {
        env: vec![("REDIS_URL", redis.url.clone())],
        ..Default::default()
    })
    .await;
    let (_, token) = resident(&t).await;
    register(&t, &token, two_children()).await;
    redis.stop().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..3 {
        let r = t.liff(Some(&token), CARD).await;
        assert_eq!(r["data"]["papaMamaCard"]["holderName"], "埼玉 花子", "{r}");
    }
    // A fresh token (new JWKS lookup is cached) works too.
    let (_, other) = resident(&t).await;
    let r = t.liff(Some(&other), CARD).await;
    assert_eq!(r["data"]["papaMamaCard"]["registered"], false, "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn residents_see_the_current_maitama_pass() {
    let t = TestApp::spawn().await;
    let staff = t.signed_in("pass-admin", &[PassManage]).await;
    let (_, token) = resident(&t).await;
    let r = t.liff(Some(&token), "{ maitamaPass { version } }").await;
    assert_eq!(r["data"]["maitamaPass"], Value::Null);
    let first = upload_image(&t, &staff).await;
    let second = upload_image(&t, &staff).await;
    for (img, body) in [
        (&first, "まいたまパス（初版）"),
        (&second, "まいたまパス（差し替え）"),
    ] {
        let r = staff
            .gql(
                "mutation($img: UUID!, $b: String!) { publishMaitamaPass(input: {imageIds: [$img], body: $b, linkUrl: \"https://www.pref.saitama.lg.jp/\"}) { id } }",
                json!({"img": img, "b": body}),
            )
            .await;
        assert!(r.get("errors").is_none(), "{r}");
    }
    let r = t
        .liff(Some(&token), "{ maitamaPass { imageUrls body linkUrl } }")
        .await;
    assert_eq!(
        r["data"]["maitamaPass"]["imageUrls"][0],
        format!("/media/{second}")
    );
    assert_eq!(r["data"]["maitamaPass"]["body"], "まいたまパス（差し替え）");
    let versions = staff
        .gql("{ maitamaPassVersions { body } }", json!({}))
        .await;
    assert_eq!(
        versions["data"]["maitamaPassVersions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The image itself is served.
    let res = reqwest::get(format!("{}/media/{second}", t.base))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn liff_at(base: &str, token: &str, query: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/liff/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_through_one_api_process_shows_at_once_on_another() {
    let t = TestApp::spawn().await;
    let (_second, other) = t.spawn_api(&[]).await;
    let (_, token) = resident(&t).await;
    // Unregistered, as the other process sees (and remembers) it.
    let r = liff_at(&other, &token, CARD).await;
    assert_eq!(r["data"]["papaMamaCard"]["registered"], false, "{r}");
    register(&t, &token, two_children()).await;
    let seen = || async { liff_at(&other, &token, CARD).await["data"]["papaMamaCard"].clone() };
    t.eventually(2, "registration seen on the other process", || async {
        seen().await["holderName"] == "埼玉 花子"
    })
    .await;
    // Views there now come from its memory; a change through this one still shows at once.
    let mut edited = two_children();
    edited["holderName"] = json!("埼玉 はなこ");
    register(&t, &token, edited).await;
    let changed = std::time::Instant::now();
    t.eventually(2, "the change on the other process", || async {
        seen().await["holderName"] == "埼玉 はなこ"
    })
    .await;
    assert!(
        changed.elapsed() < Duration::from_secs(2),
        "not the cache lifetime"
    );
    let r = t
        .liff(
            Some(&token),
            "mutation { deletePapaMamaCard { certificateId } }",
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    t.eventually(2, "the deletion on the other process", || async {
        seen().await["registered"] == false
    })
    .await;
}
