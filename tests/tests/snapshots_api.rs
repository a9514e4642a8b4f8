//! Snapshots of API shapes a client depends on.

use serde_json::json;
use tenohira::auth::Permission;
use tenohira_tests::{TestApp, data};

#[tokio::test(flavor = "multi_thread")]
async fn permission_catalogue_and_viewer_shapes() {
    let t = TestApp::spawn().await;
    let s = t
        .signed_in("shape", &[Permission::StaffManage, Permission::AuditRead])
        .await;
    let r = s
        .gql("{ permissionCatalogue { name group description requiresSecondFactor } rolePresets { key label permissions } }", json!({}))
        .await;
    insta::assert_json_snapshot!("permission_catalogue", data(&r));

    let r = s
        .gql("{ viewer { stage secondFactor account { loginId displayName permissions enabled mustChangePassword totpEnrolled team { name } } } }", json!({}))
        .await;
    insta::assert_json_snapshot!("viewer", data(&r));

    let r = s
        .gql(
            "mutation { createTeam(input: {name: \"\"}) { id } }",
            json!({}),
        )
        .await;
    insta::assert_json_snapshot!("bad_user_input_error", r, { ".errors[0].locations" => "[locations]" });
}
