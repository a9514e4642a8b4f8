//! CSV bulk import of staff accounts: all rows or none.

use serde_json::json;
use tenohira::auth::Permission;
use tenohira_tests::{TestApp, data, error_code};

const IMPORT: &str = "mutation($csv: String!, $dry: Boolean!) { importStaffAccounts(csv: $csv, dryRun: $dry) { applied errorCount newTeams rows { line loginId team permissions errors { field message } } created { loginId temporaryPassword } } }";

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_row_rejects_the_whole_file() {
    let t = TestApp::spawn().await;
    let admin = t.signed_in("admin", &[Permission::StaffManage]).await;
    t.create_staff("existing", &[]).await;
    // Excel's CSV: BOM, CRLF, Japanese headers.
    let csv = "\u{feff}ログインID,氏名,所属チーム,権限,ロール\r\n\
               kobayashi,小林 一郎,防災課,delivery.create delivery.send,\r\n\
               watanabe,渡辺 花子,広報課,,pr\r\n\
               existing,既存,広報課,,\r\n\
               ito,伊藤,防災課,fly.to.moon,\r\n\
               kobayashi,重複,防災課,,\r\n";
    let accounts_before = t.count("staff_accounts").await;

    let r = admin.gql(IMPORT, json!({"csv": csv, "dry": true})).await;
    let preview = &data(&r)["importStaffAccounts"];
    assert_eq!(preview["applied"], false);
    assert_eq!(preview["errorCount"], 3);
    assert_eq!(preview["newTeams"], json!(["広報課", "防災課"]));
    let rows = preview["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[0]["permissions"],
        json!(["delivery.create", "delivery.send"])
    );
    assert!(
        rows[1]["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("richmenu.manage")),
        "role preset expanded"
    );
    assert_eq!(rows[2]["errors"][0]["field"], "rows[4].loginId");
    assert_eq!(rows[3]["errors"][0]["field"], "rows[5].permissions[0]");
    assert_eq!(rows[4]["errors"][0]["message"], "2行目と同じログインIDです");

    let r = admin.gql(IMPORT, json!({"csv": csv, "dry": false})).await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(
        r["errors"][0]["extensions"]["fieldErrors"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        t.count("staff_accounts").await,
        accounts_before,
        "nothing imported"
    );
    assert_eq!(t.count("teams").await, 0, "no team created");

    // Fixed file: everything goes in, teams are created, passwords shown once.
    let good = "login_id,display_name,team,permissions\nkobayashi,小林 一郎,防災課,delivery.create\nwatanabe,渡辺 花子,広報課,audit.read\n";
    let r = admin.gql(IMPORT, json!({"csv": good, "dry": false})).await;
    let done = &data(&r)["importStaffAccounts"];
    assert_eq!(done["applied"], true);
    assert_eq!(done["created"].as_array().unwrap().len(), 2);
    assert_eq!(t.count("staff_accounts").await, accounts_before + 2);
    assert_eq!(t.count("teams").await, 2);
    let pw = done["created"][1]["temporaryPassword"].as_str().unwrap();
    let mut s = t.session();
    assert_eq!(
        data(&s.login("watanabe", pw).await)["login"]["stage"],
        "SIGNED_IN"
    );
    assert!(
        t.audit_actions()
            .await
            .contains(&("staff.account.import".into(), "success".into()))
    );
}
