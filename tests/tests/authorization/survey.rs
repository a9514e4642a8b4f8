//! Surveys: every field needs survey.manage, and the survey's results only
//! its owners (the creator, their team) and the accounts granted them; the
//! fixture survey is the survey.manage holder's own.

use serde_json::{Value, json};
use tenohira::auth::Permission::*;

use super::{Fixture, Op};

/// A small identified form: one choice question and one free text.
pub fn form() -> Value {
    json!({"sections": [{"key": "s1", "title": "", "description": "", "jumps": [], "questions": [
        {"key": "q", "kind": "SINGLE", "title": "参加しますか", "required": true,
         "choices": [{"key": "yes", "label": "はい"}, {"key": "no", "label": "いいえ"}]},
        {"key": "t", "kind": "SHORT_TEXT", "title": "ご意見"}
    ]}]})
}

/// The same form as stored (serde's names, for the service layer).
pub fn stored_form() -> Value {
    json!({"sections": [{"key": "s1", "questions": [
        {"key": "q", "kind": "single", "title": "参加しますか", "required": true,
         "choices": [{"key": "yes", "label": "はい"}, {"key": "no", "label": "いいえ"}]},
        {"key": "t", "kind": "short_text", "title": "ご意見"}
    ]}]})
}

pub fn input(title: &str) -> Value {
    json!({"title": title, "form": form(), "settings": {"identified": true}})
}

pub fn ops() -> Vec<Op> {
    vec![
        Op {
            field: "surveys",
            permission: SurveyManage,
            query: "{ surveys { id title status answerCount } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "survey",
            permission: SurveyManage,
            query: "query($id: Int!) { survey(id: $id) { id title liveUrl: liffUrl chatAnswerable hasUnpublishedChanges liveForm { sections { key } } } }",
            vars: |f| json!({"id": f.survey}),
            audit: None,
            also: &[],
        },
        Op {
            field: "surveySegments",
            permission: SurveyManage,
            query: "{ surveySegments { id name } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "surveyTemplates",
            permission: SurveyManage,
            query: "{ surveyTemplates { key title form { sections { key } } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "surveyResults",
            permission: SurveyManage,
            query: "query($id: Int!) { surveyResults(id: $id) { total questions { key counts { label count } mean } } }",
            vars: |f| json!({"id": f.survey}),
            audit: None,
            also: &[],
        },
        Op {
            field: "surveyCrossTab",
            permission: SurveyManage,
            query: "query($id: Int!) { surveyCrossTab(id: $id, question: \"q\", by: AGE_BAND) { columns rows { group cells } } }",
            vars: |f| json!({"id": f.survey}),
            audit: None,
            also: &[],
        },
        Op {
            field: "surveyTexts",
            permission: SurveyManage,
            query: "query($id: Int!) { surveyTexts(id: $id, question: \"t\") { total items { text } } }",
            vars: |f| json!({"id": f.survey}),
            audit: Some("survey.texts_read"),
            also: &[],
        },
        Op {
            field: "surveyAnswers",
            permission: SurveyManage,
            query: "query($id: Int!) { surveyAnswers(id: $id) { items { id answers { question values } } next } }",
            vars: |f| json!({"id": f.survey}),
            audit: Some("survey.answers_read"),
            also: &[],
        },
        Op {
            field: "createSurvey",
            permission: SurveyManage,
            query: "mutation($i: SurveyInput!) { createSurvey(input: $i) { id } }",
            vars: |_| json!({"i": input("権限確認の新規")}),
            audit: Some("survey.create"),
            also: &[],
        },
        Op {
            field: "createSurveyFromTemplate",
            permission: SurveyManage,
            query: "mutation { createSurveyFromTemplate(key: \"satisfaction\") { id } }",
            vars: |_| json!({}),
            audit: Some("survey.create"),
            also: &[],
        },
        Op {
            field: "updateSurvey",
            permission: SurveyManage,
            query: "mutation($id: Int!, $i: SurveyInput!) { updateSurvey(id: $id, input: $i) { id } }",
            vars: |f| json!({"id": f.survey, "i": input("権限確認アンケート（改）")}),
            audit: Some("survey.update"),
            also: &[],
        },
        Op {
            field: "publishSurvey",
            permission: SurveyManage,
            query: "mutation($id: Int!) { publishSurvey(id: $id) { liveVersion } }",
            vars: |f| json!({"id": f.survey}),
            audit: Some("survey.publish"),
            also: &[],
        },
        Op {
            field: "closeSurvey",
            permission: SurveyManage,
            query: "mutation($id: Int!) { closeSurvey(id: $id) { status } }",
            vars: |f| json!({"id": f.survey}),
            audit: Some("survey.close"),
            also: &[],
        },
        Op {
            field: "reopenSurvey",
            permission: SurveyManage,
            query: "mutation($id: Int!) { reopenSurvey(id: $id) { status } }",
            vars: |f| json!({"id": f.survey}),
            audit: Some("survey.reopen"),
            also: &[],
        },
        Op {
            field: "grantSurvey",
            permission: SurveyManage,
            query: "mutation($id: Int!, $a: UUID!) { grantSurvey(id: $id, accountId: $a) }",
            vars: |f| json!({"id": f.survey, "a": f.account}),
            audit: Some("survey.grant"),
            also: &[],
        },
        Op {
            field: "sendSurvey",
            permission: SurveyManage,
            query: "mutation($id: Int!, $s: Int) { sendSurvey(id: $id, input: {text: \"アンケートにご協力ください\", segmentId: $s}) }",
            // To every friend: the fixture segment is deleted by audience's rows.
            vars: |f| json!({"id": f.survey, "s": null}),
            audit: Some("survey.send"),
            also: &[],
        },
        Op {
            field: "deleteSurvey",
            permission: SurveyManage,
            query: "mutation($id: Int!) { deleteSurvey(id: $id) }",
            vars: |f| json!({"id": f.survey}),
            audit: Some("survey.delete"),
            also: &[],
        },
    ]
}

pub fn bad_inputs(
    f: &Fixture,
    _me: &str,
) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    let create = "mutation($i: SurveyInput!) { createSurvey(input: $i) { id } }";
    let mut late = input("期間が逆");
    late["settings"]["opensAt"] = json!("2027-01-02T00:00:00Z");
    late["settings"]["closesAt"] = json!("2027-01-01T00:00:00Z");
    let mut gone = input("ないセグメント");
    gone["settings"]["segmentId"] = json!(999_999);
    vec![
        (
            "sendSurvey",
            "mutation($id: Int!) { sendSurvey(id: $id, input: {text: \"ご協力ください\", segmentId: 999999}) }",
            json!({"id": f.survey}),
            "input.segmentId",
        ),
        (
            "sendSurvey",
            "mutation($id: Int!) { sendSurvey(id: $id, input: {text: \" \"}) }",
            json!({"id": f.survey}),
            "input.text",
        ),
        (
            "createSurvey",
            create,
            json!({"i": input(" ")}),
            "input.title",
        ),
        (
            "createSurvey",
            create,
            json!({"i": late}),
            "input.settings.closesAt",
        ),
        (
            "createSurvey",
            create,
            json!({"i": gone}),
            "input.settings.segmentId",
        ),
        (
            "createSurveyFromTemplate",
            "mutation { createSurveyFromTemplate(key: \"nope\") { id } }",
            json!({}),
            "key",
        ),
    ]
}
