//! Composing, approving, sending and reading deliveries; testers; team approval.

use serde_json::{Value, json};
use tenohira::auth::Permission::*;

use super::{Fixture, Op};

/// Each operation with the permission that guards it.
pub fn ops() -> Vec<Op> {
    vec![
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
    ]
}

/// Mutations given bad input: (field, query, variables, the input path named).
pub fn bad_inputs(
    f: &Fixture,
    _me: &str,
) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    vec![
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
    ]
}
