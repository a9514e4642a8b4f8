//! The audit log: filterable, paginated, append-only.

use serde_json::json;
use tenohira::auth::Permission;
use tenohira_tests::{TestApp, data, error_code};

#[tokio::test(flavor = "multi_thread")]
async fn audit_log_filters_pages_and_cannot_be_changed() {
    let t = TestApp::spawn().await;
    let admin = t
        .signed_in("admin", &[Permission::StaffManage, Permission::AuditRead])
        .await;
    for name in ["総務課", "防災課", "広報課"] {
        data(
            &admin
                .gql(
                    "mutation($n: String!) { createTeam(input: {name: $n}) { id } }",
                    json!({"n": name}),
                )
                .await,
        );
    }
    let q = "query($f: AuditLogFilter, $o: Int!, $l: Int!) { auditLog(filter: $f, offset: $o, limit: $l) { totalCount items { action actorLabel actorKind targetKind summary result ip requestId } } }";
    let r = admin
        .gql(
            q,
            json!({"f": {"action": "staff.team.create"}, "o": 0, "l": 2}),
        )
        .await;
    let page = &data(&r)["auditLog"];
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let newest = &page["items"][0];
    assert_eq!(newest["summary"]["name"], "広報課", "newest first");
    assert_eq!(newest["actorLabel"], "admin");
    assert_eq!(newest["actorKind"], "staff");
    assert_eq!(newest["ip"], "127.0.0.1");
    assert!(newest["requestId"].as_str().is_some_and(|s| s.len() == 36));

    let r = admin
        .gql(
            q,
            json!({"f": {"action": "staff.", "actor": "adm"}, "o": 2, "l": 50}),
        )
        .await;
    assert!(
        data(&r)["auditLog"]["totalCount"].as_i64().unwrap() >= 4,
        "prefix match includes the login"
    );
    let r = admin
        .gql(
            q,
            json!({"f": {"from": "2999-01-01T00:00:00Z"}, "o": 0, "l": 50}),
        )
        .await;
    assert_eq!(data(&r)["auditLog"]["totalCount"], 0);
    let r = admin.gql(q, json!({"o": 0, "l": 100000})).await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));

    // Not even a database superuser's UPDATE, DELETE or TRUNCATE goes through.
    use diesel_async::RunQueryDsl;
    let mut c = t.db().await;
    for sql in [
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let e = diesel::sql_query(sql).execute(&mut c).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
}
