//! Staff accounts, teams and service accounts (`staff.manage`), and the self-service sign-in steps.

use serde_json::{Value, json};
use tenohira::auth::Permission::*;

use super::{Fixture, Op, uuid_nil};

/// Each operation with the permission that guards it.
pub fn ops() -> Vec<Op> {
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
            field: "deleteTeam",
            permission: StaffManage,
            query: "mutation($id: UUID!) { deleteTeam(id: $id) }",
            vars: |f| json!({"id": f.team}),
            audit: Some("staff.team.delete"),
            also: &[],
        },
    ]
}

/// Mutations given bad input: (field, query, variables, the input path named).
pub fn bad_inputs(f: &Fixture, me: &str) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    vec![
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
            "confirmTotpEnrolment",
            "mutation { confirmTotpEnrolment(code: \"12\") { stage } }",
            json!({}),
            "code",
        ),
    ]
}
