//! Every operation of the staff schema, called with no session, with a
//! session lacking its permission and with one holding it; every mutation
//! with bad input. The list must cover the whole schema: a new field that is
//! not added here fails `the_matrix_covers_the_whole_schema`.

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

struct Fixture {
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
}

struct Op {
    field: &'static str,
    permission: Permission,
    query: &'static str,
    vars: fn(&Fixture) -> Value,
    /// Audit action a successful mutation writes.
    audit: Option<&'static str>,
    /// Other permissions that grant the same (kept from the "lacking" session too).
    also: &'static [Permission],
}

fn ops() -> Vec<Op> {
    vec![
        Op {
            field: "staffAccounts",
            permission: StaffManage,
            query: "{ staffAccounts { totalCount } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "staffAccount",
            permission: StaffManage,
            query: "query($id: UUID!) { staffAccount(id: $id) { id } }",
            vars: |f| json!({"id": f.account}),
            audit: None,
            also: &[],
        },
        Op {
            field: "teams",
            permission: StaffManage,
            query: "{ teams { id } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "serviceAccounts",
            permission: StaffManage,
            query: "{ serviceAccounts { id } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "auditLog",
            permission: AuditRead,
            query: "{ auditLog { totalCount } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "createTeam",
            permission: StaffManage,
            query: "mutation { createTeam(input: {name: \"防災課\"}) { id } }",
            vars: |_| json!({}),
            audit: Some("staff.team.create"),
            also: &[],
        },
        Op {
            field: "updateTeam",
            permission: StaffManage,
            query: "mutation($id: UUID!) { updateTeam(id: $id, input: {name: \"広報課\"}) { id } }",
            vars: |f| json!({"id": f.team}),
            audit: Some("staff.team.update"),
            also: &[],
        },
        Op {
            field: "createStaffAccount",
            permission: StaffManage,
            query: "mutation { createStaffAccount(input: {loginId: \"yamada\", displayName: \"山田\"}) { account { id } } }",
            vars: |_| json!({}),
            audit: Some("staff.account.create"),
            also: &[],
        },
        Op {
            field: "updateStaffAccount",
            permission: StaffManage,
            query: "mutation($id: UUID!) { updateStaffAccount(id: $id, input: {displayName: \"改名\"}) { id } }",
            vars: |f| json!({"id": f.account}),
            audit: Some("staff.account.update"),
            also: &[],
        },
        Op {
            field: "setStaffAccountEnabled",
            permission: StaffManage,
            query: "mutation($id: UUID!) { setStaffAccountEnabled(id: $id, enabled: false) { id } }",
            vars: |f| json!({"id": f.account}),
            audit: Some("staff.account.disable"),
            also: &[],
        },
        Op {
            field: "resetStaffPassword",
            permission: StaffManage,
            query: "mutation($id: UUID!) { resetStaffPassword(id: $id) { temporaryPassword } }",
            vars: |f| json!({"id": f.account}),
            audit: Some("staff.account.reset_password"),
            also: &[],
        },
        Op {
            field: "resetStaffTotp",
            permission: StaffManage,
            query: "mutation($id: UUID!) { resetStaffTotp(id: $id) { id } }",
            vars: |f| json!({"id": f.account}),
            audit: Some("staff.account.reset_totp"),
            also: &[],
        },
        Op {
            field: "importStaffAccounts",
            permission: StaffManage,
            query: "mutation { importStaffAccounts(csv: \"login_id,display_name,team\\nkato,加藤,総務課\\n\") { applied } }",
            vars: |_| json!({}),
            audit: Some("staff.account.import"),
            also: &[],
        },
        Op {
            field: "createServiceAccount",
            permission: StaffManage,
            query: "mutation { createServiceAccount(input: {name: \"連携\", permissions: [\"audit.read\"]}) { token } }",
            vars: |_| json!({}),
            audit: Some("staff.service_account.create"),
            also: &[],
        },
        Op {
            field: "revokeServiceAccount",
            permission: StaffManage,
            query: "mutation($id: UUID!) { revokeServiceAccount(id: $id) { id } }",
            vars: |f| json!({"id": f.service}),
            audit: Some("staff.service_account.revoke"),
            also: &[],
        },
        Op {
            field: "friendCounts",
            permission: FriendsRead,
            query: "{ friendCounts { following blockRate } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "friendDailyCounts",
            permission: FriendsRead,
            query: "{ friendDailyCounts(from: \"2026-11-01\", to: \"2026-11-07\") { date following } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "friends",
            permission: FriendsRead,
            query: "{ friends { totalCount } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "welcomeMessage",
            permission: SegmentManage,
            query: "{ welcomeMessage }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "setWelcomeMessage",
            permission: SegmentManage,
            query: "mutation { setWelcomeMessage(text: \"ようこそ\") }",
            vars: |_| json!({}),
            audit: Some("friends.welcome_message.update"),
            also: &[],
        },
        Op {
            field: "attributes",
            permission: SegmentManage,
            query: "{ attributes { id options { id } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "categoryTree",
            permission: SegmentManage,
            query: "{ categoryTree { id level } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "segments",
            permission: SegmentManage,
            query: "{ segments { id count needsReview } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "segment",
            permission: SegmentManage,
            query: "query($id: Int!) { segment(id: $id) { name count } }",
            vars: |f| json!({"id": f.segment}),
            audit: None,
            also: &[],
        },
        Op {
            field: "audienceCount",
            permission: SegmentManage,
            query: "query($o: Int!) { audienceCount(expression: {anyOf: [$o]}) }",
            vars: |f| json!({"o": f.options[0]}),
            audit: None,
            also: &[],
        },
        Op {
            field: "createAttribute",
            permission: SegmentManage,
            query: "mutation { createAttribute(input: {name: \"性別\", kind: GENDER}) { id options { label } } }",
            vars: |_| json!({}),
            audit: Some("audience.attribute.create"),
            also: &[],
        },
        Op {
            field: "updateAttribute",
            permission: SegmentManage,
            query: "mutation($id: Int!) { updateAttribute(id: $id, input: {name: \"関心\"}) }",
            vars: |f| json!({"id": f.attribute}),
            audit: Some("audience.attribute.update"),
            also: &[],
        },
        Op {
            field: "reorderAttributes",
            permission: SegmentManage,
            query: "mutation($id: Int!) { reorderAttributes(ids: [$id]) }",
            vars: |f| json!({"id": f.attribute}),
            audit: Some("audience.attribute.reorder"),
            also: &[],
        },
        Op {
            field: "addAttributeOption",
            permission: SegmentManage,
            query: "mutation($id: Int!) { addAttributeOption(attributeId: $id, label: \"スポーツ\") { id } }",
            vars: |f| json!({"id": f.attribute}),
            audit: Some("audience.option.create"),
            also: &[],
        },
        Op {
            field: "updateAttributeOption",
            permission: SegmentManage,
            query: "mutation($id: Int!) { updateAttributeOption(id: $id, input: {label: \"子育て・教育\"}) { id } }",
            vars: |f| json!({"id": f.options[1]}),
            audit: Some("audience.option.update"),
            also: &[],
        },
        Op {
            field: "reorderAttributeOptions",
            permission: SegmentManage,
            query: "mutation($a: Int!, $ids: [Int!]!) { reorderAttributeOptions(attributeId: $a, ids: $ids) }",
            vars: |f| json!({"a": f.attribute, "ids": [f.options[2], f.options[1], f.options[0]]}),
            audit: Some("audience.option.reorder"),
            also: &[],
        },
        Op {
            field: "deleteAttributeOption",
            permission: SegmentManage,
            query: "mutation($id: Int!) { deleteAttributeOption(id: $id) }",
            vars: |f| json!({"id": f.options[2]}),
            audit: Some("audience.option.delete"),
            also: &[],
        },
        Op {
            field: "createCategoryNode",
            permission: SegmentManage,
            query: "mutation($p: Int) { createCategoryNode(parentId: $p, name: \"雨量\") { id level } }",
            vars: |f| json!({"p": f.nodes[0]}),
            audit: Some("audience.category.create"),
            also: &[],
        },
        Op {
            field: "renameCategoryNode",
            permission: SegmentManage,
            query: "mutation($id: Int!) { renameCategoryNode(id: $id, name: \"避難情報（更新）\") { id } }",
            vars: |f| json!({"id": f.nodes[1]}),
            audit: Some("audience.category.update"),
            also: &[],
        },
        Op {
            field: "saveSegment",
            permission: SegmentManage,
            query: "mutation($o: Int!) { saveSegment(input: {name: \"子育て世帯\", expression: {anyOf: [$o]}}) { id } }",
            vars: |f| json!({"o": f.options[1]}),
            audit: Some("audience.segment.create"),
            also: &[],
        },
        Op {
            field: "deleteSegment",
            permission: SegmentManage,
            query: "mutation($id: Int!) { deleteSegment(id: $id) }",
            vars: |f| json!({"id": f.segment}),
            audit: Some("audience.segment.delete"),
            also: &[],
        },
        Op {
            field: "deleteCategoryNode",
            permission: SegmentManage,
            query: "mutation($id: Int!) { deleteCategoryNode(id: $id) }",
            vars: |f| json!({"id": f.nodes[1]}),
            audit: Some("audience.category.delete"),
            also: &[],
        },
        Op {
            field: "registrationForms",
            permission: SegmentManage,
            query: "{ registrationForms { version items { attributeId required } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "publishRegistrationForm",
            permission: SegmentManage,
            query: "mutation($a: Int!) { publishRegistrationForm(input: {items: [{attributeId: $a, required: true}]}) { version } }",
            vars: |f| json!({"a": f.attribute}),
            audit: Some("audience.form.publish"),
            also: &[],
        },
        Op {
            field: "deleteAttribute",
            permission: SegmentManage,
            query: "mutation($id: Int!) { deleteAttribute(id: $id) }",
            vars: |f| json!({"id": f.attribute}),
            audit: Some("audience.attribute.delete"),
            also: &[],
        },
        Op {
            field: "deliveries",
            permission: DeliveryCreate,
            query: "{ deliveries { totalCount items { id status recipients } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[DeliverySend, DeliveryApprove],
        },
        Op {
            field: "delivery",
            permission: DeliveryCreate,
            query: "query($id: Int!) { delivery(id: $id) { id title } }",
            vars: |f| json!({"id": f.delivery}),
            audit: None,
            also: &[DeliverySend, DeliveryApprove],
        },
        Op {
            field: "maitamaPassVersions",
            permission: PassManage,
            query: "{ maitamaPassVersions { id } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "publishMaitamaPass",
            permission: PassManage,
            query: "mutation($img: UUID!) { publishMaitamaPass(input: {imageIds: [$img], body: \"提示してください\"}) { id } }",
            vars: |f| json!({"img": f.image}),
            audit: Some("pass.publish"),
            also: &[],
        },
        Op {
            field: "cardSettings",
            permission: CardSettings,
            query: "{ cardSettings { id notice } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "updateCardSettings",
            permission: CardSettings,
            query: "mutation($img: UUID!) { updateCardSettings(input: {cardImageId: $img, notice: \"協賛店で提示\", barcodeValue: \"1234567890\", pregnancyGraceDays: 365}) { id } }",
            vars: |f| json!({"img": f.image}),
            audit: Some("card.settings.update"),
            also: &[],
        },
        Op {
            field: "cardHolders",
            permission: CardPiiRead,
            query: "{ cardHolders(name: \"花子\") { total items { holderName } } }",
            vars: |_| json!({}),
            audit: Some("card.pii.search"),
            also: &[],
        },
        Op {
            field: "cardHolder",
            permission: CardPiiRead,
            query: "query($id: UUID!) { cardHolder(id: $id) { holderName } }",
            vars: |f| json!({"id": f.holder}),
            audit: Some("card.pii.view"),
            also: &[],
        },
        Op {
            field: "pushToCardHolders",
            permission: CardPush,
            query: "mutation($id: UUID!) { pushToCardHolders(holderIds: [$id], title: \"お知らせ\", text: \"カードの更新\") }",
            vars: |f| json!({"id": f.holder}),
            audit: Some("card.push"),
            also: &[],
        },
        Op {
            field: "deliveryTotals",
            permission: DeliveryCreate,
            query: "{ deliveryTotals { deliveries accepted } }",
            vars: |_| json!({}),
            audit: None,
            also: &[DeliverySend, DeliveryApprove],
        },
        Op {
            field: "myTesterLinkedAt",
            permission: DeliveryCreate,
            query: "{ myTesterLinkedAt }",
            vars: |_| json!({}),
            audit: None,
            also: &[DeliverySend, DeliveryApprove],
        },
        Op {
            field: "deliveryTargetCount",
            permission: DeliveryCreate,
            query: "{ deliveryTargetCount(target: {all: true}) }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "createDelivery",
            permission: DeliveryCreate,
            query: "mutation { createDelivery(input: {title: \"お知らせ\", messages: [{text: \"こんにちは\"}], target: {all: true}}) { id } }",
            vars: |_| json!({}),
            audit: Some("delivery.create"),
            also: &[],
        },
        Op {
            field: "updateDelivery",
            permission: DeliveryCreate,
            query: "mutation($id: Int!) { updateDelivery(id: $id, input: {title: \"変更\", messages: [{text: \"本文\"}], target: {all: true}}) { id } }",
            vars: |f| json!({"id": f.delivery}),
            audit: Some("delivery.update"),
            also: &[],
        },
        Op {
            field: "duplicateDelivery",
            permission: DeliveryCreate,
            query: "mutation($id: Int!) { duplicateDelivery(id: $id) { id } }",
            vars: |f| json!({"id": f.delivery}),
            audit: Some("delivery.create"),
            also: &[],
        },
        Op {
            field: "approveDelivery",
            permission: DeliveryApprove,
            query: "mutation($id: Int!) { approveDelivery(id: $id) { id } }",
            vars: |f| json!({"id": f.delivery}),
            audit: Some("delivery.approve"),
            also: &[],
        },
        Op {
            field: "testSendDelivery",
            permission: DeliveryCreate,
            query: "mutation($id: Int!) { testSendDelivery(id: $id) }",
            vars: |f| json!({"id": f.delivery}),
            audit: Some("delivery.test_send"),
            also: &[],
        },
        Op {
            field: "createTesterLinkCode",
            permission: DeliveryCreate,
            query: "mutation { createTesterLinkCode { code expiresAt } }",
            vars: |_| json!({}),
            audit: Some("delivery.tester.code"),
            also: &[DeliverySend, DeliveryApprove],
        },
        Op {
            field: "unlinkTester",
            permission: DeliveryCreate,
            query: "mutation { unlinkTester }",
            vars: |_| json!({}),
            audit: Some("delivery.tester.unlink"),
            also: &[DeliverySend, DeliveryApprove],
        },
        Op {
            field: "scheduleDelivery",
            permission: DeliverySend,
            query: "mutation($id: Int!, $at: DateTime) { scheduleDelivery(id: $id, at: $at) { status } }",
            vars: |f| json!({"id": f.delivery, "at": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339()}),
            audit: Some("delivery.schedule"),
            also: &[],
        },
        Op {
            field: "cancelDelivery",
            permission: DeliverySend,
            query: "mutation($id: Int!) { cancelDelivery(id: $id) { status } }",
            vars: |f| json!({"id": f.delivery}),
            audit: Some("delivery.cancel"),
            also: &[DeliveryCreate],
        },
        Op {
            field: "deleteDelivery",
            permission: DeliveryCreate,
            query: "mutation($id: Int!) { deleteDelivery(id: $id) }",
            vars: |f| json!({"id": f.delivery}),
            audit: Some("delivery.delete"),
            also: &[],
        },
        Op {
            field: "setTeamDeliveryApproval",
            permission: StaffManage,
            query: "mutation($t: UUID!) { setTeamDeliveryApproval(teamId: $t, required: true) }",
            vars: |f| json!({"t": f.team}),
            audit: Some("delivery.team_approval"),
            also: &[],
        },
        Op {
            field: "deleteTeam",
            permission: StaffManage,
            query: "mutation($id: UUID!) { deleteTeam(id: $id) }",
            vars: |f| json!({"id": f.team}),
            audit: Some("staff.team.delete"),
            also: &[],
        },
    ]
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
            line_user_id: holder_user,
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
    Fixture {
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
    }
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
    let t = TestApp::spawn().await;
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
            ],
        )
        .await;
    // card.push needs a second factor, which would change the admin's TOTP cases.
    let pusher = t.signed_in("pusher", &[CardPush]).await;
    let me = tenohira_tests_account_id(&admin, "admin").await;
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "createTeam",
            "mutation { createTeam(input: {name: \"  \"}) { id } }",
            json!({}),
            "input.name",
        ),
        (
            "createTeam",
            "mutation { createTeam(input: {name: 5}) { id } }",
            json!({}),
            "input.name",
        ),
        (
            "updateTeam",
            "mutation($id: UUID!) { updateTeam(id: $id, input: {name: \"\"}) { id } }",
            json!({"id": f.team}),
            "input.name",
        ),
        (
            "createStaffAccount",
            "mutation { createStaffAccount(input: {loginId: \"a b\", displayName: \"x\"}) { account { id } } }",
            json!({}),
            "input.loginId",
        ),
        (
            "createStaffAccount",
            "mutation { createStaffAccount(input: {loginId: \"okay\", displayName: \"\"}) { account { id } } }",
            json!({}),
            "input.displayName",
        ),
        (
            "createStaffAccount",
            "mutation { createStaffAccount(input: {loginId: \"okay\", displayName: \"x\", permissions: [\"root\"]}) { account { id } } }",
            json!({}),
            "input.permissions[0]",
        ),
        (
            "createStaffAccount",
            "mutation { createStaffAccount(input: {loginId: \"okay\", displayName: \"x\", password: \"weak\"}) { account { id } } }",
            json!({}),
            "input.password",
        ),
        (
            "createStaffAccount",
            "mutation($t: UUID) { createStaffAccount(input: {loginId: \"okay\", displayName: \"x\", teamId: $t}) { account { id } } }",
            json!({"t": uuid_nil()}),
            "input.teamId",
        ),
        (
            "updateStaffAccount",
            "mutation($id: UUID!) { updateStaffAccount(id: $id, input: {permissions: [\"nope\"]}) { id } }",
            json!({"id": f.account}),
            "input.permissions[0]",
        ),
        (
            "updateStaffAccount",
            "mutation($id: UUID!) { updateStaffAccount(id: $id, input: {displayName: \"\"}) { id } }",
            json!({"id": f.account}),
            "input.displayName",
        ),
        (
            "updateStaffAccount",
            "mutation($id: UUID!) { updateStaffAccount(id: $id, input: {permissions: []}) { id } }",
            json!({"id": me}),
            "input.permissions",
        ),
        (
            "setStaffAccountEnabled",
            "mutation($id: UUID!) { setStaffAccountEnabled(id: $id, enabled: false) { id } }",
            json!({"id": me}),
            "enabled",
        ),
        (
            "resetStaffPassword",
            "mutation($id: UUID!) { resetStaffPassword(id: $id) { temporaryPassword } }",
            json!({"id": "not-a-uuid"}),
            "",
        ),
        (
            "resetStaffTotp",
            "mutation($id: UUID!) { resetStaffTotp(id: $id) { id } }",
            json!({"id": "not-a-uuid"}),
            "",
        ),
        (
            "deleteTeam",
            "mutation($id: UUID!) { deleteTeam(id: $id) }",
            json!({"id": "not-a-uuid"}),
            "",
        ),
        (
            "revokeServiceAccount",
            "mutation($id: UUID!) { revokeServiceAccount(id: $id) { id } }",
            json!({"id": "not-a-uuid"}),
            "",
        ),
        (
            "importStaffAccounts",
            "mutation { importStaffAccounts(csv: \"who,what\\n1,2\\n\") { applied } }",
            json!({}),
            "header[0]",
        ),
        (
            "importStaffAccounts",
            "mutation { importStaffAccounts(csv: \"login_id,display_name\\nok1,一\\nb a d,二\\n\") { applied } }",
            json!({}),
            "rows[3].loginId",
        ),
        (
            "createServiceAccount",
            "mutation { createServiceAccount(input: {name: \"\", permissions: [\"audit.read\"]}) { token } }",
            json!({}),
            "input.name",
        ),
        (
            "createServiceAccount",
            "mutation { createServiceAccount(input: {name: \"x\", permissions: []}) { token } }",
            json!({}),
            "input.permissions",
        ),
        (
            "changePassword",
            "mutation { changePassword(input: {currentPassword: \"Kawaguchi-River-77\", newPassword: \"abc\"}) }",
            json!({}),
            "input.newPassword",
        ),
        (
            "changePassword",
            "mutation { changePassword(input: {currentPassword: \"wrong-Password-99\", newPassword: \"Omiya-Bonsai-2026\"}) }",
            json!({}),
            "input.currentPassword",
        ),
        (
            "createAttribute",
            "mutation { createAttribute(input: {name: \"\", kind: SINGLE, options: [\"a\"]}) { id } }",
            json!({}),
            "input.name",
        ),
        (
            "createAttribute",
            "mutation { createAttribute(input: {name: \"x\", kind: SINGLE}) { id } }",
            json!({}),
            "input.options",
        ),
        (
            "updateAttribute",
            "mutation($id: Int!) { updateAttribute(id: $id, input: {name: \"\"}) }",
            json!({"id": f.attribute}),
            "input.name",
        ),
        (
            "reorderAttributes",
            "mutation($id: Int!) { reorderAttributes(ids: [$id, $id]) }",
            json!({"id": f.attribute}),
            "ids",
        ),
        (
            "addAttributeOption",
            "mutation($id: Int!) { addAttributeOption(attributeId: $id, label: \"\") { id } }",
            json!({"id": f.attribute}),
            "label",
        ),
        (
            "updateAttributeOption",
            "mutation($id: Int!) { updateAttributeOption(id: $id, input: {label: \"\"}) { id } }",
            json!({"id": f.options[0]}),
            "input.label",
        ),
        (
            "reorderAttributeOptions",
            "mutation($a: Int!) { reorderAttributeOptions(attributeId: $a, ids: [999999]) }",
            json!({"a": f.attribute}),
            "ids[0]",
        ),
        (
            "deleteAttributeOption",
            "mutation { deleteAttributeOption(id: \"x\") }",
            json!({}),
            "",
        ),
        (
            "deleteAttribute",
            "mutation { deleteAttribute(id: \"x\") }",
            json!({}),
            "",
        ),
        (
            "createCategoryNode",
            "mutation { createCategoryNode(name: \" \") { id } }",
            json!({}),
            "name",
        ),
        (
            "renameCategoryNode",
            "mutation($id: Int!) { renameCategoryNode(id: $id, name: \"\") { id } }",
            json!({"id": f.nodes[0]}),
            "name",
        ),
        (
            "deleteCategoryNode",
            "mutation { deleteCategoryNode(id: \"x\") }",
            json!({}),
            "",
        ),
        (
            "saveSegment",
            "mutation { saveSegment(input: {name: \"x\", expression: {and: [{anyOf: [424242]}]}}) { id } }",
            json!({}),
            "input.expression.and[0].anyOf[0]",
        ),
        (
            "saveSegment",
            "mutation { saveSegment(input: {name: \"\", expression: {registered: true}}) { id } }",
            json!({}),
            "input.name",
        ),
        (
            "deleteSegment",
            "mutation { deleteSegment(id: \"x\") }",
            json!({}),
            "",
        ),
        (
            "publishRegistrationForm",
            "mutation { publishRegistrationForm(input: {items: [{attributeId: 987654}]}) { version } }",
            json!({}),
            "input.items[0].attributeId",
        ),
        (
            "publishRegistrationForm",
            "mutation { publishRegistrationForm(input: {items: []}) { version } }",
            json!({}),
            "input.items",
        ),
        (
            "publishMaitamaPass",
            "mutation { publishMaitamaPass(input: {imageIds: []}) { id } }",
            json!({}),
            "input.imageIds",
        ),
        (
            "publishMaitamaPass",
            "mutation { publishMaitamaPass(input: {imageIds: [\"00000000-0000-0000-0000-000000000001\"]}) { id } }",
            json!({}),
            "input.imageIds[0]",
        ),
        (
            "updateCardSettings",
            "mutation { updateCardSettings(input: {barcodeValue: \"番号\", pregnancyGraceDays: 30}) { id } }",
            json!({}),
            "input.barcodeValue",
        ),
        (
            "updateCardSettings",
            "mutation { updateCardSettings(input: {pregnancyGraceDays: -1}) { id } }",
            json!({}),
            "input.pregnancyGraceDays",
        ),
        (
            "pushToCardHolders",
            "mutation { pushToCardHolders(holderIds: [], title: \"x\", text: \"y\") }",
            json!({}),
            "holderIds",
        ),
        (
            "pushToCardHolders",
            "mutation { pushToCardHolders(holderIds: [\"00000000-0000-0000-0000-000000000001\"], title: \"x\", text: \"\") }",
            json!({}),
            "text",
        ),
        (
            "createDelivery",
            "mutation($t: String!) { createDelivery(input: {title: \"x\", messages: [{text: $t}], target: {all: true}}) { id } }",
            json!({"t": "😀".repeat(2501)}),
            "input.messages[0].text",
        ),
        (
            "createDelivery",
            "mutation { createDelivery(input: {title: \"x\", messages: [{text: \"1\"}, {text: \"2\"}, {text: \"3\"}, {text: \"4\"}, {text: \"5\"}, {text: \"6\"}], target: {all: true}}) { id } }",
            json!({}),
            "input.messages",
        ),
        (
            "createDelivery",
            "mutation { createDelivery(input: {title: \" \", messages: [{text: \"a\"}], target: {all: true}}) { id } }",
            json!({}),
            "input.title",
        ),
        (
            "createDelivery",
            "mutation { createDelivery(input: {title: \"x\", messages: [{text: \"a\"}], target: {segmentId: 999999}}) { id } }",
            json!({}),
            "input.target.segmentId",
        ),
        (
            "createDelivery",
            "mutation { createDelivery(input: {title: \"x\", messages: [{text: \"a\"}], target: {friendIds: [\"x\"]}}) { id } }",
            json!({}),
            "input.target.friendIds[0]",
        ),
        (
            "createDelivery",
            "mutation { createDelivery(input: {title: \"x\", messages: [{image: \"00000000-0000-0000-0000-000000000000\"}], target: {all: true}}) { id } }",
            json!({}),
            "input.messages[0].mediaId",
        ),
        (
            "updateDelivery",
            "mutation($id: Int!) { updateDelivery(id: $id, input: {title: \"\", messages: [{text: \"a\"}], target: {all: true}}) { id } }",
            json!({"id": f.delivery}),
            "input.title",
        ),
        (
            "scheduleDelivery",
            "mutation($id: Int!) { scheduleDelivery(id: $id, at: \"2199-01-01T00:00:00Z\") { id } }",
            json!({"id": f.delivery}),
            "at",
        ),
        (
            "duplicateDelivery",
            "mutation { duplicateDelivery(id: \"x\") { id } }",
            json!({}),
            "",
        ),
        (
            "deleteDelivery",
            "mutation { deleteDelivery(id: \"x\") }",
            json!({}),
            "",
        ),
        (
            "approveDelivery",
            "mutation { approveDelivery(id: \"x\") { id } }",
            json!({}),
            "",
        ),
        (
            "cancelDelivery",
            "mutation { cancelDelivery(id: \"x\") { id } }",
            json!({}),
            "",
        ),
        (
            "testSendDelivery",
            "mutation { testSendDelivery(id: \"x\") }",
            json!({}),
            "",
        ),
        (
            "setTeamDeliveryApproval",
            "mutation { setTeamDeliveryApproval(teamId: \"x\", required: true) }",
            json!({}),
            "",
        ),
        (
            "setWelcomeMessage",
            "mutation { setWelcomeMessage(text: \" \") }",
            json!({}),
            "text",
        ),
        (
            "confirmTotpEnrolment",
            "mutation { confirmTotpEnrolment(code: \"12\") { stage } }",
            json!({}),
            "code",
        ),
    ];
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

fn uuid_nil() -> String {
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
