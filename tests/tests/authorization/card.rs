//! The Maitama pass and the Papa-Mama card.

use serde_json::{Value, json};
use tenohira::auth::Permission::*;

use super::{Fixture, Op};

/// Each operation with the permission that guards it.
pub fn ops() -> Vec<Op> {
    vec![
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
    ]
}

/// Mutations given bad input: (field, query, variables, the input path named).
pub fn bad_inputs(
    _f: &Fixture,
    _me: &str,
) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    vec![
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
    ]
}
