//! Mail-triggered delivery: every field needs mailin.manage (the crisis
//! management division), including the figures of a delivery a mail made.

use serde_json::{Value, json};
use tenohira::auth::Permission::*;

use super::{Fixture, Op};

/// A rule reaching the residents of the municipalities a mail names under
/// the fixture's receive item.
pub fn rule(f: &Fixture, name: &str) -> Value {
    json!({
        "name": name,
        "matchMode": "ALL",
        "conditions": [{"field": "SUBJECT", "kind": "KEYWORDS", "words": ["避難指示"], "mode": "ANY"}],
        "receiveNodeId": f.nodes[0],
        "template": "{件名}\n{本文}",
    })
}

pub fn ops() -> Vec<Op> {
    vec![
        Op {
            field: "mailSenders",
            permission: MailinManage,
            query: "{ mailSenders { id kind pattern note } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "mailRules",
            permission: MailinManage,
            query: "{ mailRules { id name conditions { field words } rewrites { kind } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "mailRule",
            permission: MailinManage,
            query: "query($id: Int!) { mailRule(id: $id) { id name } }",
            vars: |f| json!({"id": f.mail_rule}),
            audit: None,
            also: &[],
        },
        Op {
            field: "inboundMails",
            permission: MailinManage,
            query: "{ inboundMails { id subject body headers outcome delivery { id recipients } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "inboundMail",
            permission: MailinManage,
            query: "query($id: Int!) { inboundMail(id: $id) { id subject rules { name } } }",
            vars: |f| json!({"id": f.mail}),
            audit: None,
            also: &[],
        },
        Op {
            field: "testMailRule",
            permission: MailinManage,
            query: "query($r: MailRuleInput!, $id: Int) { testMailRule(rule: $r, mailId: $id) { matched text } }",
            vars: |f| json!({"r": rule(f, "試し"), "id": f.mail}),
            audit: None,
            also: &[],
        },
        Op {
            field: "mailRuleChoices",
            permission: MailinManage,
            query: "{ mailRuleChoices { segments { id name } receiveItems { id name } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "mailRetentionDays",
            permission: MailinManage,
            query: "{ mailRetentionDays }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "setMailRetentionDays",
            permission: MailinManage,
            query: "mutation { setMailRetentionDays(days: 90) }",
            vars: |_| json!({}),
            audit: Some("mailin.retention"),
            also: &[],
        },
        Op {
            field: "addMailSender",
            permission: MailinManage,
            query: "mutation { addMailSender(pattern: \"jma.example.jp\") { id } }",
            vars: |_| json!({}),
            audit: Some("mailin.sender_add"),
            also: &[],
        },
        Op {
            field: "createMailRule",
            permission: MailinManage,
            query: "mutation($i: MailRuleInput!) { createMailRule(input: $i) { id } }",
            vars: |f| json!({"i": rule(f, "新しいルール")}),
            audit: Some("mailin.rule_create"),
            also: &[],
        },
        Op {
            field: "updateMailRule",
            permission: MailinManage,
            query: "mutation($id: Int!, $i: MailRuleInput!) { updateMailRule(id: $id, input: $i) { id } }",
            vars: |f| json!({"id": f.mail_rule, "i": rule(f, "変えたルール")}),
            audit: Some("mailin.rule_update"),
            also: &[],
        },
        Op {
            field: "deleteMailRule",
            permission: MailinManage,
            query: "mutation($id: Int!) { deleteMailRule(id: $id) }",
            vars: |f| json!({"id": f.mail_rule}),
            audit: Some("mailin.rule_delete"),
            also: &[],
        },
        Op {
            field: "removeMailSender",
            permission: MailinManage,
            query: "mutation($id: Int!) { removeMailSender(id: $id) }",
            vars: |f| json!({"id": f.mail_sender}),
            audit: Some("mailin.sender_remove"),
            also: &[],
        },
    ]
}

pub fn bad_inputs(
    f: &Fixture,
    _me: &str,
) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    let create = "mutation($i: MailRuleInput!) { createMailRule(input: $i) { id } }";
    let mut regex = rule(f, "だめ");
    regex["conditions"][0] = json!({"field": "BODY", "kind": "REGEX", "pattern": "(a)\\1"});
    let mut everyone = rule(f, "だめ");
    everyone["receiveNodeId"] = Value::Null;
    everyone["extractMunicipalities"] = json!(false);
    let mut placeholder = rule(f, "だめ");
    placeholder["template"] = json!("{宛名}様");
    let mut no_words = rule(f, "だめ");
    no_words["conditions"][0]["words"] = json!([" "]);
    let mut gone = rule(f, "だめ");
    gone["receiveNodeId"] = json!(999_999);
    vec![
        (
            "createMailRule",
            create,
            json!({"i": regex}),
            "conditions[0].pattern",
        ),
        (
            "createMailRule",
            create,
            json!({"i": everyone}),
            "baseSegmentId",
        ),
        (
            "createMailRule",
            create,
            json!({"i": placeholder}),
            "template",
        ),
        (
            "createMailRule",
            create,
            json!({"i": no_words}),
            "conditions[0].words",
        ),
        (
            "createMailRule",
            create,
            json!({"i": gone}),
            "receiveNodeId",
        ),
        (
            "updateMailRule",
            "mutation($id: Int!, $i: MailRuleInput!) { updateMailRule(id: $id, input: $i) { id } }",
            json!({"id": f.mail_rule, "i": {"name": "", "matchMode": "ANY", "conditions": [], "template": "x"}}),
            "name",
        ),
        (
            "addMailSender",
            "mutation { addMailSender(pattern: \"not an address\") { id } }",
            json!({}),
            "pattern",
        ),
        (
            "addMailSender",
            "mutation { addMailSender(pattern: \"pref.example.jp\") { id } }",
            json!({}),
            "pattern",
        ),
        (
            "setMailRetentionDays",
            "mutation { setMailRetentionDays(days: 1) }",
            json!({}),
            "days",
        ),
    ]
}
