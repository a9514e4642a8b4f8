//! Sign-in, second factor, lockout, sessions and service tokens.

use serde_json::json;
use tenohira::auth::Permission;
use tenohira_tests::{PASSWORD, Session, TestApp, data, error_code};

const VIEWER: &str = "{ viewer { stage secondFactor account { loginId permissions } } }";

#[tokio::test(flavor = "multi_thread")]
async fn login_success_and_wrong_password() {
    let t = TestApp::spawn().await;
    t.create_staff("tanaka", &[Permission::AuditRead]).await;

    let mut s = t.session();
    let r = s.login("tanaka", "Wrong-Password-123").await;
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"), "{r}");
    assert!(s.cookie().is_none());
    // Unknown login ids get the very same answer.
    let r = s.login("nobody", PASSWORD).await;
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"));
    assert_eq!(
        r["errors"][0]["message"],
        "ログインIDまたはパスワードが違います"
    );

    let r = s.login("TANAKA", PASSWORD).await; // login ids are case-insensitive
    assert_eq!(data(&r)["login"]["stage"], "SIGNED_IN");
    let raw = s.post_raw(VIEWER, json!({})).await;
    assert_eq!(raw.status(), 200);
    let v: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(v["data"]["viewer"]["account"]["loginId"], "tanaka");

    // The cookie is httpOnly, Secure and SameSite=Strict.
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/graphql", t.base))
        .json(&json!({"query": "mutation { login(input: {loginId: \"tanaka\", password: \"Kawaguchi-River-77\"}) { stage } }"}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }

    // Logout ends the session server-side: the old token no longer works.
    let old = s.cookie().unwrap();
    data(&s.gql("mutation { logout }", json!({})).await);
    assert!(s.cookie().is_none(), "cookie cleared");
    let replay = Session::new(&t.base);
    *replay.cookie.lock().unwrap() = Some(old);
    let v = replay.gql(VIEWER, json!({})).await;
    assert_eq!(v["data"]["viewer"], serde_json::Value::Null);

    let audit = t.audit_actions().await;
    assert!(audit.contains(&("staff.login".into(), "failure".into())));
    assert!(audit.contains(&("staff.login".into(), "success".into())));
    assert!(audit.contains(&("staff.logout".into(), "success".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_failures_lock_the_account() {
    let t = TestApp::spawn().await;
    t.create_staff("suzuki", &[]).await;
    let mut s = t.session();
    for _ in 0..4 {
        assert_eq!(
            error_code(&s.login("suzuki", "Wrong-Password-123").await).as_deref(),
            Some("UNAUTHENTICATED")
        );
    }
    // The fifth failure locks the account...
    assert_eq!(
        error_code(&s.login("suzuki", "Wrong-Password-123").await).as_deref(),
        Some("RATE_LIMITED")
    );
    // ...and then even the right password is refused until the lock expires.
    let r = s.login("suzuki", PASSWORD).await;
    assert_eq!(error_code(&r).as_deref(), Some("RATE_LIMITED"), "{r}");
    assert!(s.cookie().is_none());

    // An administrator's password reset lifts the lock.
    let admin = t.signed_in("admin", &[Permission::StaffManage]).await;
    let id = account_id(&admin, "suzuki").await;
    let r = admin
        .gql(
            "mutation($id: UUID!) { resetStaffPassword(id: $id) { temporaryPassword } }",
            json!({"id": id}),
        )
        .await;
    let temp = data(&r)["resetStaffPassword"]["temporaryPassword"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s.login("suzuki", &temp).await;
    assert_eq!(data(&r)["login"]["stage"], "SIGNED_IN");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_attempts_are_throttled_per_ip() {
    let t = TestApp::spawn_with(tenohira_tests::Options {
        env: vec![("TENOHIRA_LOGIN_ATTEMPTS_PER_IP", "3".into())],
        ..Default::default()
    })
    .await;
    let mut s = t.session();
    for _ in 0..3 {
        assert_eq!(
            error_code(&s.login("x", "y").await).as_deref(),
            Some("UNAUTHENTICATED")
        );
    }
    assert_eq!(
        error_code(&s.login("x", "y").await).as_deref(),
        Some("RATE_LIMITED")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn totp_is_required_for_personal_data_permissions_and_verified() {
    let t = TestApp::spawn().await;
    t.create_staff("card-officer", &[Permission::CardPiiRead])
        .await;
    let mut s = t.session();
    let r = s.login("card-officer", PASSWORD).await;
    assert_eq!(data(&r)["login"]["stage"], "TOTP_ENROLMENT_REQUIRED");
    // Half signed in: nothing but enrolment works.
    let r = s.gql("{ teams { name } }", json!({})).await;
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"));

    let r = s
        .gql(
            "mutation { beginTotpEnrolment { secret otpauthUri } }",
            json!({}),
        )
        .await;
    let secret = data(&r)["beginTotpEnrolment"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        r["data"]["beginTotpEnrolment"]["otpauthUri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let r = s
        .gql(
            "mutation { confirmTotpEnrolment(code: \"000000\") { stage } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
    let code = tenohira::auth::totp::current_code(&secret).unwrap();
    let r = s.gql("mutation($c: String!) { confirmTotpEnrolment(code: $c) { stage viewer { secondFactor } } }", json!({"c": code})).await;
    assert_eq!(data(&r)["confirmTotpEnrolment"]["stage"], "SIGNED_IN");
    assert_eq!(
        r["data"]["confirmTotpEnrolment"]["viewer"]["secondFactor"],
        true
    );

    // Next sign-in asks for the code, which cannot be replayed.
    let mut s2 = t.session();
    let r = s2.login("card-officer", PASSWORD).await;
    assert_eq!(data(&r)["login"]["stage"], "TOTP_REQUIRED");
    let r = s2
        .gql(
            "mutation($c: String!) { verifyTotp(code: $c) { stage } }",
            json!({"c": code}),
        )
        .await;
    assert_eq!(
        error_code(&r).as_deref(),
        Some("BAD_USER_INPUT"),
        "a used code is refused: {r}"
    );
    // Wait for the next 30-second step for a fresh code.
    let next = loop {
        let c = tenohira::auth::totp::current_code(&secret).unwrap();
        if c != code {
            break c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    let r = s2
        .gql(
            "mutation($c: String!) { verifyTotp(code: $c) { stage } }",
            json!({"c": next}),
        )
        .await;
    assert_eq!(data(&r)["verifyTotp"]["stage"], "SIGNED_IN");
    let v = s2.gql(VIEWER, json!({})).await;
    assert_eq!(v["data"]["viewer"]["secondFactor"], true);
    let audit = t.audit_actions().await;
    assert!(audit.contains(&("staff.totp.enrol".into(), "success".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn personal_data_permissions_need_a_second_factor_in_the_session() {
    let t = TestApp::spawn().await;
    // Signed in without TOTP, then granted a personal-data permission:
    let s = t.signed_in("late", &[Permission::AuditRead]).await;
    // Only someone holding card.pii.read (with a second factor) may grant it.
    let admin = t
        .signed_in("admin", &[Permission::StaffManage, Permission::CardPiiRead])
        .await;
    let id = account_id(&admin, "late").await;
    data(&admin
        .gql(
            "mutation($id: UUID!) { updateStaffAccount(id: $id, input: {permissions: [\"audit.read\", \"card.pii.read\"]}) { permissions } }",
            json!({"id": id}),
        )
        .await);
    let caller = caller_for(&t, &s).await;
    let err = caller.require(Permission::CardPiiRead).unwrap_err();
    assert_eq!(err.code(), "FORBIDDEN");
    assert!(caller.require(Permission::AuditRead).is_ok());
}

async fn caller_for(t: &TestApp, s: &Session) -> tenohira::auth::Caller {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(
        "cookie",
        format!("tenohira_session={}", s.cookie().unwrap())
            .parse()
            .unwrap(),
    );
    tenohira::staff::sessions::resolve_caller(&t.app, &headers, "127.0.0.1:1".parse().unwrap())
        .await
        .unwrap()
}

pub async fn account_id(admin: &Session, login_id: &str) -> String {
    let r = admin
        .gql(
            "query($s: String) { staffAccounts(filter: {search: $s}) { items { id loginId } } }",
            json!({"s": login_id}),
        )
        .await;
    data(&r)["staffAccounts"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["loginId"] == login_id)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn disabling_an_account_ends_its_sessions_at_once() {
    let t = TestApp::spawn().await;
    let user = t.signed_in("sato", &[Permission::AuditRead]).await;
    let admin = t.signed_in("admin", &[Permission::StaffManage]).await;
    assert!(
        user.gql("{ auditLog { totalCount } }", json!({}))
            .await
            .get("errors")
            .is_none()
    );
    let id = account_id(&admin, "sato").await;
    let r = admin
        .gql(
            "mutation($id: UUID!) { setStaffAccountEnabled(id: $id, enabled: false) { enabled } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(data(&r)["setStaffAccountEnabled"]["enabled"], false);
    let r = user.gql("{ auditLog { totalCount } }", json!({})).await;
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"));
    // A disabled account cannot sign in again either.
    let mut again = t.session();
    assert_eq!(
        error_code(&again.login("sato", PASSWORD).await).as_deref(),
        Some("UNAUTHENTICATED")
    );
    // Re-enabled, it can.
    admin
        .gql(
            "mutation($id: UUID!) { setStaffAccountEnabled(id: $id, enabled: true) { enabled } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        data(&again.login("sato", PASSWORD).await)["login"]["stage"],
        "SIGNED_IN"
    );
    // Nobody disables themselves by accident.
    let me = account_id(&admin, "admin").await;
    let r = admin
        .gql(
            "mutation($id: UUID!) { setStaffAccountEnabled(id: $id, enabled: false) { enabled } }",
            json!({"id": me}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_sessions_expire() {
    let t = TestApp::spawn().await;
    let s = t.signed_in("idle", &[Permission::AuditRead]).await;
    assert!(
        s.gql("{ auditLog { totalCount } }", json!({}))
            .await
            .get("errors")
            .is_none()
    );
    let mut c = t.db().await;
    use diesel_async::RunQueryDsl;
    diesel::sql_query("UPDATE staff_sessions SET last_seen_at = now() - interval '31 minutes'")
        .execute(&mut c)
        .await
        .unwrap();
    let r = s.gql("{ auditLog { totalCount } }", json!({})).await;
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"));
}

#[tokio::test(flavor = "multi_thread")]
async fn temporary_passwords_must_be_changed_first() {
    let t = TestApp::spawn().await;
    let admin = t.signed_in("admin", &[Permission::StaffManage]).await;
    let r = admin
        .gql(
            "mutation { createStaffAccount(input: {loginId: \"newbie\", displayName: \"新人\", permissions: [\"audit.read\"]}) { temporaryPassword account { mustChangePassword } } }",
            json!({}),
        )
        .await;
    let temp = data(&r)["createStaffAccount"]["temporaryPassword"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        r["data"]["createStaffAccount"]["account"]["mustChangePassword"],
        true
    );
    let mut s = t.session();
    data(&s.login("newbie", &temp).await);
    let r = s.gql("{ auditLog { totalCount } }", json!({})).await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"));
    let r = s
        .gql(
            "mutation($i: ChangePasswordInput!) { changePassword(input: $i) }",
            json!({"i": {"currentPassword": temp, "newPassword": "short"}}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(r["errors"][0]["extensions"]["field"], "input.newPassword");
    let r = s
        .gql(
            "mutation($i: ChangePasswordInput!) { changePassword(input: $i) }",
            json!({"i": {"currentPassword": temp, "newPassword": "Omiya-Bonsai-2026"}}),
        )
        .await;
    assert_eq!(data(&r)["changePassword"], true);
    assert!(
        s.gql("{ auditLog { totalCount } }", json!({}))
            .await
            .get("errors")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn service_tokens_are_scoped_and_revocable() {
    let t = TestApp::spawn().await;
    let admin = t.signed_in("admin", &[Permission::StaffManage]).await;
    // Personal-data permissions cannot go to a token.
    let r = admin
        .gql(
            "mutation { createServiceAccount(input: {name: \"x\", permissions: [\"card.pii.read\"]}) { token } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(
        r["errors"][0]["extensions"]["field"],
        "input.permissions[0]"
    );

    let r = admin
        .gql(
            "mutation { createServiceAccount(input: {name: \"統計連携\", permissions: [\"audit.read\"]}) { token serviceAccount { id tokenHint } } }",
            json!({}),
        )
        .await;
    let token = data(&r)["createServiceAccount"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let id = r["data"]["createServiceAccount"]["serviceAccount"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        token.starts_with(
            r["data"]["createServiceAccount"]["serviceAccount"]["tokenHint"]
                .as_str()
                .unwrap()
        )
    );

    let svc = Session::with_bearer(&t.base, &token);
    // In scope: the audit log.
    assert!(
        svc.gql("{ auditLog { totalCount } }", json!({}))
            .await
            .get("errors")
            .is_none()
    );
    // Out of scope: staff management.
    let r = svc.gql("{ teams { name } }", json!({})).await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"));
    // A wrong token is nobody.
    let r = Session::with_bearer(&t.base, "thr_not-a-real-token")
        .gql("{ auditLog { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"));
    // The list never shows the token.
    let r = admin
        .gql("{ serviceAccounts { tokenHint lastUsedAt } }", json!({}))
        .await;
    assert!(!r.to_string().contains(&token));
    assert!(r["data"]["serviceAccounts"][0]["lastUsedAt"].is_string());

    data(
        &admin
            .gql(
                "mutation($id: UUID!) { revokeServiceAccount(id: $id) { revokedAt } }",
                json!({"id": id}),
            )
            .await,
    );
    let r = svc.gql("{ auditLog { totalCount } }", json!({})).await;
    assert_eq!(error_code(&r).as_deref(), Some("UNAUTHENTICATED"));
}

const CREATE: &str = "mutation($i: CreateStaffAccountInput!) { createStaffAccount(input: $i) { temporaryPassword account { id } } }";

#[tokio::test(flavor = "multi_thread")]
async fn only_a_holder_who_passed_the_second_factor_grants_personal_data_access() {
    let t = TestApp::spawn().await;
    let pii = json!({"i": {"loginId": "pii-reader", "displayName": "閲覧 担当", "permissions": ["card.pii.read", "card.pii.export"]}});

    // staff.manage alone hands out nothing that opens personal data.
    let admin = t.signed_in("admin", &[Permission::StaffManage]).await;
    assert_eq!(
        data(&admin.gql(VIEWER, json!({})).await)["viewer"]["secondFactor"],
        true,
        "staff.manage itself needs the second factor"
    );
    let r = admin.gql(CREATE, pii.clone()).await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let plain = data(
        &admin
            .gql(CREATE, json!({"i": {"loginId": "viewer1", "displayName": "閲覧", "permissions": ["friends.read"]}}))
            .await,
    )["createStaffAccount"]["account"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = admin
        .gql(
            "mutation($id: UUID!) { updateStaffAccount(id: $id, input: {permissions: [\"friends.read\", \"card.pii.read\"]}) { id } }",
            json!({"id": plain}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let r = admin
        .gql(
            "mutation($c: String!, $d: Boolean!) { importStaffAccounts(csv: $c, dryRun: $d) { rows { errors { field message } } } }",
            json!({"c": "login_id,display_name,team,permissions,role\nbulk1,一括,,card.pii.read,\n", "d": true}),
        )
        .await;
    assert_eq!(
        data(&r)["importStaffAccounts"]["rows"][0]["errors"][0]["field"],
        "rows[2].permissions",
        "{r}"
    );

    // Taking over a personal-data account's credentials is granting too.
    let holder = t.create_staff("holder", &[Permission::CardPiiRead]).await;
    for m in ["resetStaffPassword", "resetStaffTotp"] {
        let r = admin
            .gql(
                &format!("mutation($id: UUID!) {{ {m}(id: $id) {{ __typename }} }}"),
                json!({"id": holder}),
            )
            .await;
        assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{m}: {r}");
    }

    // Someone who holds the permissions and passed the second factor may,
    // with a generated password only; the grant has its own audit row.
    let lead = t
        .signed_in(
            "lead",
            &[
                Permission::StaffManage,
                Permission::CardPiiRead,
                Permission::CardPiiExport,
            ],
        )
        .await;
    let mut chosen = pii.clone();
    chosen["i"]["password"] = json!("Chosen-By-Admin-2026");
    let r = lead.gql(CREATE, chosen).await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
    assert_eq!(r["errors"][0]["extensions"]["field"], "input.password");
    let r = lead.gql(CREATE, pii).await;
    assert!(data(&r)["createStaffAccount"]["temporaryPassword"].is_string());
    assert!(t.audit_actions().await.contains(&(
        "staff.permission.grant_personal_data".into(),
        "success".into()
    )));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_token_never_uses_or_grants_second_factor_permissions() {
    let t = TestApp::spawn().await;
    let admin = t.signed_in("admin", &[Permission::StaffManage]).await;
    let r = admin
        .gql(
            "mutation { createServiceAccount(input: {name: \"人事連携\", permissions: [\"staff.manage\"]}) { token } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
    // A token whose stored scope says staff.manage (written before this rule).
    let r = admin
        .gql(
            "mutation { createServiceAccount(input: {name: \"人事連携\", permissions: [\"audit.read\"]}) { token } }",
            json!({}),
        )
        .await;
    let token = data(&r)["createServiceAccount"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(
            "UPDATE service_accounts SET permissions = '{staff.manage,card.pii.read,audit.read}'",
        )
        .execute(&mut t.db().await)
        .await
        .unwrap();
    }
    let service = Session::with_bearer(&t.base, &token);
    let r = service
        .gql(CREATE, json!({"i": {"loginId": "backdoor", "displayName": "x", "permissions": ["card.pii.read"], "password": "Chosen-By-Token-2026"}}))
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    let r = service.gql("{ cardHolders { total } }", json!({})).await;
    assert_eq!(error_code(&r).as_deref(), Some("FORBIDDEN"), "{r}");
    assert!(
        service
            .gql("{ auditLog { totalCount } }", json!({}))
            .await
            .get("errors")
            .is_none()
    );
    assert_eq!(
        t.count("staff_accounts WHERE login_id = 'backdoor'").await,
        0
    );
}

/// An enrolled personal-data account and its TOTP secret.
async fn enrolled(t: &TestApp, login: &str) -> String {
    t.create_staff(login, &[Permission::CardPiiRead]).await;
    let mut s = t.session();
    s.login(login, PASSWORD).await;
    s.enrol_totp().await
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_codes_after_a_right_password_lock_the_account() {
    let t = TestApp::spawn().await;
    enrolled(&t, "suzuki").await;
    // Five sign-ins, each with the right password and a wrong code.
    let mut last = serde_json::Value::Null;
    for _ in 0..5 {
        let mut s = t.session();
        let r = s.login("suzuki", PASSWORD).await;
        assert_eq!(data(&r)["login"]["stage"], "TOTP_REQUIRED", "{r}");
        last = s
            .gql(
                "mutation { verifyTotp(code: \"000000\") { stage } }",
                json!({}),
            )
            .await;
    }
    assert_eq!(error_code(&last).as_deref(), Some("RATE_LIMITED"), "{last}");
    let r = t.session().login("suzuki", PASSWORD).await;
    assert_eq!(
        error_code(&r).as_deref(),
        Some("RATE_LIMITED"),
        "locked: {r}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_code_signs_in_one_session_and_secrets_are_sealed_at_rest() {
    let t = TestApp::spawn().await;
    let secret = enrolled(&t, "sato").await;
    #[derive(diesel::QueryableByName)]
    struct Stored {
        #[diesel(sql_type = diesel::sql_types::Text)]
        s: String,
    }
    let stored: Stored = {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("SELECT totp_secret AS s FROM staff_accounts WHERE login_id = 'sato'")
            .get_result(&mut t.db().await)
            .await
            .unwrap()
    };
    assert!(
        stored.s.starts_with("sealed:v1:") && !stored.s.contains(&secret),
        "{}",
        stored.s
    );

    // Two sessions at the code step present the same fresh code at once.
    let mut sessions = vec![];
    for _ in 0..6 {
        let mut s = t.session();
        s.login("sato", PASSWORD).await;
        sessions.push(s);
    }
    let step = tenohira::auth::totp::step_of(chrono::Utc::now().timestamp()) + 1;
    let code = tenohira::auth::totp::code_at_step(&secret, step).unwrap();
    let results = futures::future::join_all(sessions.iter().map(|s| {
        s.gql(
            "mutation($c: String!) { verifyTotp(code: $c) { stage } }",
            json!({"c": code}),
        )
    }))
    .await;
    let signed_in = results
        .iter()
        .filter(|r| r["data"]["verifyTotp"]["stage"] == "SIGNED_IN")
        .count();
    assert_eq!(signed_in, 1, "{results:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_proxy_the_address_it_appended_counts_not_what_the_client_wrote() {
    let t = TestApp::spawn_with(tenohira_tests::Options {
        env: vec![("TENOHIRA_TRUST_PROXY", "true".into())],
        ..Default::default()
    })
    .await;
    t.create_staff("target", &[Permission::AuditRead]).await;
    // 40 wrong passwords, each claiming another origin to the left of what
    // the proxy appended (the attacker's real address, 203.0.113.9).
    let mut last = serde_json::Value::Null;
    for i in 0..40 {
        last = reqwest::Client::new()
            .post(format!("{}/graphql", t.base))
            .header("content-type", "application/json")
            .header("x-forwarded-for", format!("10.0.{}.{}, 203.0.113.9", i / 250, i % 250))
            .json(&json!({"query": "mutation { login(input: {loginId: \"nobody\", password: \"Wrong-Password-1\"}) { stage } }"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    }
    assert_eq!(
        error_code(&last).as_deref(),
        Some("RATE_LIMITED"),
        "throttled: {last}"
    );
    #[derive(diesel::QueryableByName)]
    struct Ip {
        #[diesel(sql_type = diesel::sql_types::Text)]
        ip: String,
    }
    let ips: Vec<Ip> = {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("SELECT DISTINCT ip FROM audit_log WHERE action = 'staff.login'")
            .load(&mut t.db().await)
            .await
            .unwrap()
    };
    assert_eq!(
        ips.iter().map(|i| i.ip.as_str()).collect::<Vec<_>>(),
        ["203.0.113.9"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_request_id_is_kept_only_when_it_is_a_short_token() {
    let t = TestApp::spawn().await;
    let ask = |id: String| {
        let url = format!("{}/graphql", t.base);
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .header("x-request-id", id)
                .json(&json!({"query": "mutation { login(input: {loginId: \"nobody\", password: \"Wrong-Password-1\"}) { stage } }"}))
                .send()
                .await
                .unwrap();
            r.headers()["x-request-id"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(ask("req-42.abc".into()).await, "req-42.abc");
    for bad in [
        "x".repeat(10_000),
        "<script>alert(1)</script>".into(),
        "=cmd|' /C calc'!A0".into(),
    ] {
        let echoed = ask(bad.clone()).await;
        assert_eq!(echoed.len(), 36, "replaced by a UUID of ours: {echoed}");
    }
    #[derive(diesel::QueryableByName)]
    struct L {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        n: i32,
    }
    let longest: L = {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("SELECT coalesce(max(length(request_id)), 0) AS n FROM audit_log")
            .get_result(&mut t.db().await)
            .await
            .unwrap()
    };
    assert!(longest.n <= 64, "{}", longest.n);
}
