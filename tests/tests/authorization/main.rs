//! Every operation of the staff schema, called with no session, with a
//! session lacking its permission and with one holding it; every mutation
//! with bad input. The list must cover the whole schema: a new field that is
//! not added here fails `the_matrix_covers_the_whole_schema`.

mod audience;
mod audit;
mod card;
mod chatbot;
mod delivery;
mod friends;
mod mailin;
mod richmenu;
mod staff;
mod survey;

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};
use tenohira::auth::Permission::{self, *};
use tenohira_tests::{Session, TestApp, error_code};

/// Fields any caller may reach, each with its own guard inside (sign-in steps
/// work on the caller's own session only; viewer answers null to strangers).
const SELF_SERVICE: &[&str] = &[
    "viewer",
    "permissionCatalogue",
    "rolePresets",
    "login",
    "verifyTotp",
    "beginTotpEnrolment",
    "confirmTotpEnrolment",
    "logout",
    "changePassword",
];

pub struct Fixture {
    team: String,
    account: String,
    service: String,
    attribute: i32,
    options: [i32; 3],
    nodes: [i32; 2],
    segment: i32,
    delivery: i64,
    holder: String,
    image: String,
    faq: i32,
    synonyms: i32,
    scenario: i32,
    handover: i64,
    rich_menu: i32,
    menu_image: String,
    mail_rule: i32,
    mail_sender: i32,
    mail: i64,
    survey: i32,
}

pub struct Op {
    field: &'static str,
    permission: Permission,
    query: &'static str,
    vars: fn(&Fixture) -> Value,
    /// Audit action a successful mutation writes.
    audit: Option<&'static str>,
    /// Other permissions that grant the same (kept from the "lacking" session too).
    also: &'static [Permission],
}

/// Every domain's operations; staff's last (it deletes the fixture's team).
fn ops() -> Vec<Op> {
    [
        audit::ops(),
        friends::ops(),
        audience::ops(),
        card::ops(),
        chatbot::ops(),
        richmenu::ops(),
        mailin::ops(),
        survey::ops(),
        delivery::ops(),
        staff::ops(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

async fn fixture(t: &TestApp) -> Fixture {
    use tenohira::auth::Caller;
    let system = Caller::system();
    let team = tenohira::staff::teams::create(
        &t.app,
        &system,
        tenohira::staff::teams::TeamInput {
            name: "企画課".into(),
            description: String::new(),
        },
    )
    .await
    .unwrap();
    let account = t.create_staff("target", &[]).await;
    let (service, _) = tenohira::staff::service_accounts::create(
        &t.app,
        &system,
        tenohira::staff::service_accounts::CreateInput {
            name: "svc".into(),
            description: String::new(),
            permissions: vec!["audit.read".into()],
        },
    )
    .await
    .unwrap();
    use tenohira::audience::{expr::Expr, service as audience};
    let attr = audience::create_attribute(
        &t.app,
        &system,
        audience::NewAttribute {
            name: "関心のある分野".into(),
            kind: "multiple".into(),
            help_text: String::new(),
            options: vec!["防災".into(), "子育て".into(), "観光".into()],
        },
    )
    .await
    .unwrap();
    let opts: Vec<i32> = audience::list_attributes(&t.app, &system)
        .await
        .unwrap()
        .into_iter()
        .find(|(a, _)| a.id == attr.id)
        .unwrap()
        .1
        .iter()
        .map(|o| o.id)
        .collect();
    let n1 = audience::create_node(&t.app, &system, None, "防災".into())
        .await
        .unwrap();
    let n2 = audience::create_node(&t.app, &system, Some(n1.id), "避難情報".into())
        .await
        .unwrap();
    let seg = audience::save_segment(
        &t.app,
        &system,
        None,
        "防災に関心".into(),
        Expr::AnyOf(vec![opts[0]]),
    )
    .await
    .unwrap();
    let delivery = tenohira::delivery::service::create(
        &t.app,
        &system,
        tenohira::delivery::service::Draft {
            title: "防災のお知らせ".into(),
            messages: vec![tenohira::delivery::model::Message::Text {
                text: "避難訓練を行います".into(),
            }],
            target: tenohira::delivery::model::Target::Segment(seg.id),
        },
    )
    .await
    .unwrap();
    // A Papa-Mama card holder who follows the account, and an uploaded image.
    let holder_user = t.bulk_friends(1).await.remove(0);
    let resident = tenohira::auth::Caller::with(tenohira::auth::Principal::Resident(
        tenohira::auth::ResidentPrincipal {
            line_user_id: holder_user.clone(),
        },
    ));
    tenohira::card::resident::save(
        &t.app,
        &resident,
        tenohira::card::model::CardInput {
            holder_name: "埼玉 花子".into(),
            relation: "母".into(),
            children: vec![tenohira::card::model::ChildInput {
                name: "埼玉 一郎".into(),
                birth_date: chrono::NaiveDate::from_ymd_opt(2020, 5, 5).unwrap(),
            }],
            expected_date: None,
            grandparent: false,
        },
    )
    .await
    .unwrap();
    let holder: uuid::Uuid = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use tenohira::db::schema::card_holders;
        card_holders::table
            .select(card_holders::data_key_id)
            .first(&mut t.db().await)
            .await
            .unwrap()
    };
    let image = uuid::Uuid::new_v4();
    {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(format!(
            "INSERT INTO media (id, kind, content_type, size) VALUES ('{image}', 'image', 'image/png', 10)"
        ))
        .execute(&mut t.db().await)
        .await
        .unwrap();
    }
    let faq = tenohira::chatbot::faq::create(
        &t.app,
        &system,
        tenohira::chatbot::faq::FaqInput {
            question: "粗大ごみの出し方".into(),
            answer: "受付センターに申し込んでください".into(),
            enabled: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let synonyms = tenohira::chatbot::faq::save_synonyms(
        &t.app,
        &system,
        None,
        vec!["ごみ".into(), "ゴミ袋".into()],
    )
    .await
    .unwrap();
    let scenario = tenohira::chatbot::scenario::store::create(
        &t.app,
        &system,
        tenohira::chatbot::scenario::store::Header {
            name: "権限確認".into(),
            ..Default::default()
        },
        serde_json::json!({"start": "a", "nodes": [{"id": "a", "type": "end", "text": "おわり"}]}),
    )
    .await
    .unwrap();
    let handover: i64 = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        diesel::insert_into(tenohira::db::schema::chatbot_handovers::table)
            .values((
                tenohira::db::schema::chatbot_handovers::line_user_id.eq(&holder_user),
                tenohira::db::schema::chatbot_handovers::scenario_id.eq(scenario.id),
                tenohira::db::schema::chatbot_handovers::node_id.eq("a"),
            ))
            .returning(tenohira::db::schema::chatbot_handovers::id)
            .get_result(&mut t.db().await)
            .await
            .unwrap()
    };
    let menu_image = {
        let img = image::RgbImage::from_pixel(2500, 843, image::Rgb([0, 90, 181]));
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        tenohira::media::store_generated(&t.app, png.into_inner(), "image/png", "menu.png")
            .await
            .unwrap()
            .to_string()
    };
    let mut fixture = Fixture {
        survey: 0,
        rich_menu: 0,
        mail_rule: 0,
        mail_sender: 0,
        mail: 0,
        menu_image,
        handover,
        scenario: scenario.id,
        faq: faq.id,
        synonyms: synonyms.id,
        holder: holder.to_string(),
        image: image.to_string(),
        team: team.id.to_string(),
        account: account.to_string(),
        service: service.id.to_string(),
        attribute: attr.id,
        options: [opts[0], opts[1], opts[2]],
        nodes: [n1.id, n2.id],
        segment: seg.id,
        delivery: delivery.id,
    };
    fixture.rich_menu = tenohira::richmenu::store::create(
        &t.app,
        &system,
        tenohira::richmenu::store::Draft {
            name: "権限確認メニュー".into(),
            audience: "none".into(),
            segment_id: None,
            definition: serde_json::from_value(richmenu::definition(&fixture, 1)).unwrap(),
        },
    )
    .await
    .unwrap()
    .0
    .id;
    fixture.mail_sender =
        tenohira::mailin::rulebook::add_sender(&t.app, &system, "pref.example.jp", "")
            .await
            .unwrap()
            .id;
    let rule = tenohira::mailin::rulebook::RuleDraft {
        name: "権限確認ルール".into(),
        enabled: true,
        position: 0,
        match_mode: "all".into(),
        conditions: vec![tenohira::mailin::rules::Condition {
            field: "subject".into(),
            kind: "keywords".into(),
            words: vec!["避難指示".into()],
            mode: "any".into(),
            pattern: String::new(),
        }],
        rewrites: vec![],
        extract_municipalities: true,
        fallback: "skip".into(),
        base_segment_id: None,
        combine: "and".into(),
        receive_node_id: Some(fixture.nodes[0]),
        template: "{件名}".into(),
        mode: "send".into(),
        disaster_mode: false,
    };
    fixture.mail_rule = tenohira::mailin::rulebook::save(&t.app, &system, None, rule)
        .await
        .unwrap()
        .id;
    let survey = tenohira::survey::service::create(
        &t.app,
        &system,
        tenohira::survey::service::Draft {
            title: "権限確認アンケート".into(),
            form: serde_json::from_value(survey::stored_form()).unwrap(),
            settings: tenohira::survey::model::Settings {
                identified: true,
                ..Default::default()
            },
        },
    )
    .await
    .unwrap();
    tenohira::survey::service::publish(&t.app, &system, survey.id)
        .await
        .unwrap();
    fixture.survey = survey.id;
    let mut conn = t.db().await;
    fixture.mail = tenohira::mailin::store::keep(
        &mut conn,
        tenohira::mailin::store::Received {
            via: "http",
            envelope_from: "bousai@pref.example.jp",
            recipients: &[],
            size: 100,
            decoded: tenohira::mailin::decode::decode(
                "From: bousai@pref.example.jp\r\nSubject: =?UTF-8?B?6YG/6Zuj5oyH56S6?=\r\n\r\n川口市に避難指示\r\n".as_bytes(),
            ),
        },
    )
    .await
    .unwrap()
    .id;
    fixture
}

/// Row counts of every table but the audit log: "nothing changed" means these stay equal.
async fn fingerprint(t: &TestApp) -> Vec<(String, i64, String)> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let mut c = t.db().await;
    let tables: Vec<T> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
         AND table_name NOT IN ('audit_log', '__diesel_schema_migrations') ORDER BY 1",
    )
    .load(&mut c)
    .await
    .unwrap();
    let mut out = Vec::new();
    for tb in tables {
        #[derive(diesel::QueryableByName)]
        struct D {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
            #[diesel(sql_type = diesel::sql_types::Text)]
            digest: String,
        }
        // Content digest, not just counts: an update is a change too.
        let d: D = diesel::sql_query(format!(
            "SELECT count(*) AS n, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS digest FROM {} t",
            tb.name
        ))
        .get_result(&mut c)
        .await
        .unwrap();
        out.push((tb.name, d.n, d.digest));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_is_guarded() {
    // Two sign-ins per permission, all from one address: more than the
    // production throttle allows in ten minutes.
    let t = TestApp::spawn_with(tenohira_tests::Options {
        env: vec![("TENOHIRA_LOGIN_ATTEMPTS_PER_IP", "500".into())],
        ..Default::default()
    })
    .await;
    let f = fixture(&t).await;
    let anonymous = t.session();
    // For each permission: a session holding exactly it, and one holding every
    // other permission that needs no second factor.
    let mut holders: HashMap<Permission, Session> = HashMap::new();
    let mut lackers: HashMap<(Permission, &[Permission]), Session> = HashMap::new();
    for op in ops() {
        let p = op.permission;
        let name = p.name().replace('.', "-");
        if let std::collections::hash_map::Entry::Vacant(slot) = holders.entry(p) {
            slot.insert(t.signed_in(&format!("has-{name}"), &[p]).await);
        }
        if !lackers.contains_key(&(p, op.also)) {
            let others: Vec<Permission> = Permission::all()
                .filter(|o| *o != p && !op.also.contains(o) && !o.requires_second_factor())
                .collect();
            let login = format!("lacks-{name}-{}", lackers.len());
            lackers.insert((p, op.also), t.signed_in(&login, &others).await);
        }
    }
    // The fixture delivery is written by the delivery.create holder: another
    // person's delivery may be changed only by its team or an approver.
    {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(
            "UPDATE deliveries SET created_by = (SELECT id FROM staff_accounts WHERE login_id = 'has-delivery-create')",
        )
        .execute(&mut t.db().await)
        .await
        .unwrap();
        // The fixture survey is the survey.manage holder's own (results are owners' only).
        diesel::sql_query(
            "UPDATE surveys SET created_by = (SELECT id FROM staff_accounts WHERE login_id = 'has-survey-manage')",
        )
        .execute(&mut t.db().await)
        .await
        .unwrap();
    }
    // Every account has a tester LINE account linked, so test sends can succeed.
    {
        use diesel_async::RunQueryDsl;
        let tester = t.fake.user(true).await;
        diesel::sql_query(format!(
            "INSERT INTO delivery_testers (staff_account_id, line_user_id) SELECT id, '{tester}' FROM staff_accounts"
        ))
        .execute(&mut t.db().await)
        .await
        .unwrap();
    }
    let lacking = |op: &Op| -> &Session { &lackers[&(op.permission, op.also)] };
    let holding = |p: Permission| -> &Session { &holders[&p] };

    for op in ops() {
        let vars = (op.vars)(&f);
        // No session: UNAUTHENTICATED and nothing changes.
        let before = fingerprint(&t).await;
        let r = anonymous.gql(op.query, vars.clone()).await;
        assert_eq!(
            error_code(&r).as_deref(),
            Some("UNAUTHENTICATED"),
            "{}: {r}",
            op.field
        );
        assert_eq!(
            fingerprint(&t).await,
            before,
            "{} changed data without a session",
            op.field
        );

        // A session without the permission: FORBIDDEN and nothing changes.
        let r = lacking(&op).gql(op.query, vars.clone()).await;
        assert_eq!(
            error_code(&r).as_deref(),
            Some("FORBIDDEN"),
            "{}: {r}",
            op.field
        );
        assert_eq!(
            fingerprint(&t).await,
            before,
            "{} changed data without the permission",
            op.field
        );

        // With the permission: it works, and a mutation leaves its audit row.
        let audit_before = t.count("audit_log").await;
        let r = holding(op.permission).gql(op.query, vars).await;
        assert!(
            r.get("errors").is_none(),
            "{} with {}: {r}",
            op.field,
            op.permission.name()
        );
        if let Some(action) = op.audit {
            let actions = t.audit_actions().await;
            assert_eq!(
                actions.len() as i64,
                audit_before + 1,
                "{}: one audit row",
                op.field
            );
            assert_eq!(
                actions.last().unwrap(),
                &(action.to_string(), "success".to_string()),
                "{}",
                op.field
            );
        } else {
            assert_eq!(
                t.count("audit_log").await,
                audit_before,
                "{}: reads of staff data are not audited",
                op.field
            );
        }
    }
}

#[test]
fn the_matrix_covers_the_whole_schema() {
    let sdl = tenohira::graphql::sdl();
    let mut fields = BTreeSet::new();
    for root in ["type QueryRoot {", "type MutationRoot {"] {
        let body = sdl.split(root).nth(1).unwrap().split("\n}").next().unwrap();
        // Field names start lines outside descriptions and outside argument lists.
        let (mut in_doc, mut parens) = (false, 0i32);
        for line in body.lines() {
            let l = line.trim();
            if !in_doc && parens == 0 && !l.is_empty() && !l.starts_with('"') {
                let name: String = l.chars().take_while(|c| c.is_alphanumeric()).collect();
                if !name.is_empty() {
                    fields.insert(name);
                }
            }
            if l.matches("\"\"\"").count() % 2 == 1 {
                in_doc = !in_doc;
            }
            if !in_doc && !l.starts_with('"') {
                parens += l.matches('(').count() as i32 - l.matches(')').count() as i32;
            }
        }
    }
    assert!(
        fields.contains("login") && fields.contains("auditLog") && fields.len() >= 20,
        "{fields:?}"
    );
    let covered: BTreeSet<String> = ops()
        .iter()
        .map(|o| o.field.to_string())
        .chain(SELF_SERVICE.iter().map(|s| s.to_string()))
        .collect();
    let missing: Vec<_> = fields.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "operations without an authorisation test: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_on_every_mutation_changes_nothing() {
    let t = TestApp::spawn().await;
    let f = fixture(&t).await;
    let admin = t
        .signed_in(
            "admin",
            &[
                StaffManage,
                SegmentManage,
                DeliveryCreate,
                DeliverySend,
                DeliveryApprove,
                PassManage,
                CardSettings,
                RichmenuManage,
                MailinManage,
                SurveyManage,
            ],
        )
        .await;
    // card.push needs a second factor, which would change the admin's TOTP cases.
    let pusher = t.signed_in("pusher", &[CardPush]).await;
    let me = tenohira_tests_account_id(&admin, "admin").await;
    {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(format!("UPDATE surveys SET created_by = '{me}'"))
            .execute(&mut t.db().await)
            .await
            .unwrap();
    }
    let cases: Vec<(&str, &str, Value, &str)> = [
        audit::bad_inputs(&f, &me),
        friends::bad_inputs(&f, &me),
        audience::bad_inputs(&f, &me),
        card::bad_inputs(&f, &me),
        richmenu::bad_inputs(&f, &me),
        mailin::bad_inputs(&f, &me),
        survey::bad_inputs(&f, &me),
        delivery::bad_inputs(&f, &me),
        staff::bad_inputs(&f, &me),
    ]
    .into_iter()
    .flatten()
    .collect();
    // An account not yet enrolled (the administrator is: staff.manage needs it).
    let enrolling = t.signed_in("enrolling", &[FriendsRead]).await;
    for (name, query, vars, field) in cases {
        let before = fingerprint(&t).await;
        if name == "confirmTotpEnrolment" {
            enrolling
                .gql("mutation { beginTotpEnrolment { secret } }", json!({}))
                .await;
        }
        let session = match name {
            "pushToCardHolders" => &pusher,
            "confirmTotpEnrolment" => &enrolling,
            _ => &admin,
        };
        let r = session.gql(query, vars).await;
        assert_eq!(
            error_code(&r).as_deref(),
            Some("BAD_USER_INPUT"),
            "{name}: {r}"
        );
        if !field.is_empty() {
            assert_eq!(r["errors"][0]["extensions"]["field"], field, "{name}: {r}");
        }
        if name != "confirmTotpEnrolment" && name != "changePassword" {
            assert_eq!(
                fingerprint(&t).await,
                before,
                "{name} changed data on bad input"
            );
        }
    }
    // verifyTotp: bad code in a session waiting for one.
    t.create_staff("two-factor", &[Permission::CardPiiRead])
        .await;
    let mut s = t.session();
    s.login("two-factor", tenohira_tests::PASSWORD).await;
    s.enrol_totp().await;
    let mut s2 = t.session();
    s2.login("two-factor", tenohira_tests::PASSWORD).await;
    let before = fingerprint(&t).await;
    let r = s2
        .gql(
            "mutation { verifyTotp(code: \"abcdef\") { stage } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
    let after = fingerprint(&t).await;
    // Only the failure counter on the account moved.
    assert_eq!(
        before
            .iter()
            .filter(|x| x.0 != "staff_accounts")
            .collect::<Vec<_>>(),
        after
            .iter()
            .filter(|x| x.0 != "staff_accounts")
            .collect::<Vec<_>>()
    );
}

pub fn uuid_nil() -> String {
    "00000000-0000-0000-0000-000000000000".into()
}

async fn tenohira_tests_account_id(admin: &Session, login: &str) -> String {
    let r = admin
        .gql(
            "query($s: String) { staffAccounts(filter: {search: $s}) { items { id loginId } } }",
            json!({"s": login}),
        )
        .await;
    r["data"]["staffAccounts"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["loginId"] == login)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}
