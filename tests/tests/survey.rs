//! Surveys end to end over GraphQL and HTTP against the running app: every
//! question kind checked on the server whatever the page checked, the
//! conditions applied on the server, one answer per resident, versions,
//! the audience and the quota, results equal to what was stored, the
//! cross-tabulation's small cells hidden, the CSV for Excel, owners and
//! grants, answering in the chat through line-fake, and erasure.

use serde_json::{Value, json};
use tenohira::auth::Permission::*;
use tenohira_tests::{Session, TestApp, csv_records, data, error_code, quick_reply};

const ANSWER: &str =
    "mutation($i: AnswerSurveyInput!) { answerSurvey(input: $i) { answerId thankYou } }";
const CHANGE: &str =
    "mutation($i: AnswerSurveyInput!) { changeSurveyAnswer(input: $i) { answerId } }";
const VIEW: &str = "query($id: Int!) { survey(id: $id) { version answerable code message mine { version answers { question values } } municipalities } }";

fn q(key: &str, kind: &str, title: &str, extra: Value) -> Value {
    let mut v = json!({"key": key, "kind": kind, "title": title});
    for (k, x) in extra.as_object().cloned().unwrap_or_default() {
        v[k] = x;
    }
    v
}

fn choices(keys: &[(&str, &str)]) -> Value {
    keys.iter()
        .map(|(k, l)| json!({"key": k, "label": l}))
        .collect()
}

/// Every kind but DROPDOWN (as SINGLE on the server), with a condition and a jump.
fn full_form() -> Value {
    json!({"sections": [
        {"key": "s1", "title": "参加", "questions": [
            q("attend", "SINGLE", "参加しますか", json!({"required": true, "choices": choices(&[("yes", "参加する"), ("no", "参加しない")])})),
            q("why", "LONG_TEXT", "参加しない理由", json!({"required": true, "showIf": {"question": "attend", "anyOf": ["no"]}})),
        ], "jumps": [{"question": "attend", "anyOf": ["no"], "to": "end"}]},
        {"key": "s2", "title": "詳細", "questions": [
            q("people", "SHORT_TEXT", "人数", json!({"required": true, "format": "NUMBER", "min": 1, "max": 5})),
            q("topics", "MULTIPLE", "関心", json!({"choices": choices(&[("a", "防災"), ("b", "子育て"), ("c", "観光")]), "minPicks": 1, "maxPicks": 2})),
            q("day", "DATE", "希望日", json!({})),
            q("score", "RATING", "期待度", json!({"scale": 5, "lowLabel": "低い", "highLabel": "高い"})),
            q("town", "MUNICIPALITY", "お住まい", json!({})),
            q("kana", "SHORT_TEXT", "フリガナ", json!({"format": "KATAKANA"})),
            q("mail", "SHORT_TEXT", "メール", json!({"format": "EMAIL"})),
            q("zip", "SHORT_TEXT", "郵便番号", json!({"format": "POSTAL_CODE"})),
            q("note", "DESCRIPTION", "", json!({"help": "以下は任意です"})),
            q("ok", "CONSENT", "個人情報の取扱いに同意します", json!({"required": true})),
        ]}
    ]})
}

async fn staff(t: &TestApp, login: &str) -> Session {
    t.signed_in(login, &[SurveyManage, DeliverySend]).await
}

async fn create(s: &Session, title: &str, form: Value, settings: Value) -> i64 {
    let r = s
        .gql(
            "mutation($i: SurveyInput!) { createSurvey(input: $i) { id } }",
            json!({"i": {"title": title, "form": form, "settings": settings}}),
        )
        .await;
    data(&r)["createSurvey"]["id"].as_i64().unwrap()
}

async fn publish(s: &Session, id: i64) -> i64 {
    let r = s
        .gql(
            "mutation($id: Int!) { publishSurvey(id: $id) { liveVersion } }",
            json!({"id": id}),
        )
        .await;
    data(&r)["publishSurvey"]["liveVersion"].as_i64().unwrap()
}

fn a(question: &str, value: &str) -> Value {
    json!({"question": question, "value": value})
}

fn picks(question: &str, values: &[&str]) -> Value {
    json!({"question": question, "values": values})
}

async fn answer(t: &TestApp, token: &str, id: i64, version: i64, answers: Vec<Value>) -> Value {
    t.liff_vars(
        Some(token),
        ANSWER,
        json!({"i": {"surveyId": id, "version": version, "answers": answers}}),
    )
    .await
}

fn good() -> Vec<Value> {
    vec![
        a("attend", "yes"),
        a("people", "２"),
        picks("topics", &["b", "a"]),
        a("day", "2027-01-10"),
        a("score", "4"),
        a("town", "川越市"),
        a("kana", "ｻｲﾀﾏ ﾊﾅｺ"),
        a("mail", "hanako@example.jp"),
        a("zip", "3309301"),
        a("ok", "true"),
    ]
}

async fn token_for(t: &TestApp, user: &str) -> String {
    t.fake.id_token(json!({"userId": user})).await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_is_checked_on_the_server_and_refusals_store_nothing() {
    let t = TestApp::spawn().await;
    let s = staff(&t, "surveyor").await;
    let mut broken = full_form();
    broken["sections"][0]["questions"][0]["choices"] = json!([]);
    let id = create(&s, "県民の日イベント", broken, json!({"textLimit": 20})).await;
    let r = s
        .gql(
            "mutation($id: Int!) { publishSurvey(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
    assert_eq!(
        r["errors"][0]["extensions"]["field"],
        "form.sections[0].questions[0].choices"
    );
    let r = s
        .gql(
            "mutation($id: Int!, $i: SurveyInput!) { updateSurvey(id: $id, input: $i) { id } }",
            json!({"id": id, "i": {"title": "県民の日イベント", "form": full_form(), "settings": {"textLimit": 20}}}),
        )
        .await;
    data(&r);
    let v1 = publish(&s, id).await;
    assert_eq!(v1, 1);

    let users = t.bulk_friends(2).await;
    let token = token_for(&t, &users[0]).await;
    let view = t.liff_vars(Some(&token), VIEW, json!({"id": id})).await;
    assert_eq!(data(&view)["survey"]["answerable"], true, "{view}");
    assert!(
        data(&view)["survey"]["municipalities"]
            .as_array()
            .unwrap()
            .len()
            >= 63
    );

    let with = |i: usize, v: Value| {
        let mut g = good();
        g[i] = v;
        g
    };
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (with(1, a("people", "9")), "input.answers[1].value"),
        (with(1, a("people", "たくさん")), "input.answers[1].value"),
        (
            with(2, picks("topics", &["a", "b", "c"])),
            "input.answers[2].values",
        ),
        (with(2, a("topics", "a")), "input.answers[2].value"),
        (with(3, a("day", "2027-02-30")), "input.answers[3].value"),
        (with(4, a("score", "6")), "input.answers[4].value"),
        (with(5, a("town", "東京都")), "input.answers[5].value"),
        (with(6, a("kana", "さいたま")), "input.answers[6].value"),
        (with(7, a("mail", "hanako@")), "input.answers[7].value"),
        (with(8, a("zip", "330")), "input.answers[8].value"),
        (with(9, a("ok", "false")), "input.answers[9].value"),
        (with(9, a("note", "x")), "input.answers[9].value"),
        (with(9, a("kana", "サイタマ")), "input.answers[9].question"),
        (with(9, a("nothing", "x")), "input.answers[9].question"),
        // Hidden by its condition (attend is yes): refused, not ignored.
        (with(9, a("why", "遠い")), "input.answers[9].question"),
        // The required consent left out.
        (good()[..9].to_vec(), "input.answers.ok"),
        (
            with(6, a("kana", &"ア".repeat(21))),
            "input.answers[6].value",
        ),
    ];
    for (answers, field) in cases {
        let r = answer(&t, &token, id, v1, answers).await;
        assert_eq!(
            error_code(&r).as_deref(),
            Some("BAD_USER_INPUT"),
            "{field}: {r}"
        );
        let fields: Vec<&str> = r["errors"][0]["extensions"]["fieldErrors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{field}: {r}");
    }
    // A flood of answers is refused as a whole, before any is checked.
    let flood: Vec<Value> = (0..5000).map(|i| a("attend", &format!("v{i}"))).collect();
    let r = answer(&t, &token, id, v1, flood).await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"), "{r}");
    assert_eq!(r["errors"][0]["extensions"]["field"], "input.answers");
    assert_eq!(
        t.count("survey_answers").await,
        0,
        "nothing stored on bad input"
    );

    // Not attending: the jump ends the survey after the reason.
    let no = vec![a("attend", "no"), a("why", "仕事のため")];
    let r = answer(&t, &token, id, v1, no.clone()).await;
    assert!(data(&r)["answerSurvey"]["answerId"].is_i64(), "{r}");
    let r = answer(&t, &token, id, v1, no).await;
    insta::assert_json_snapshot!("survey_refusal", r, { ".errors[0].locations" => "[locations]" });
    assert_eq!(error_code(&r).as_deref(), Some("ALREADY_ANSWERED"), "{r}");
    assert_eq!(t.count("survey_answers").await, 1);

    // Their answer, changed while it is open.
    let r = t
        .liff_vars(
            Some(&token),
            CHANGE,
            json!({"i": {"surveyId": id, "version": v1, "answers": good()}}),
        )
        .await;
    data(&r);
    let view = t.liff_vars(Some(&token), VIEW, json!({"id": id})).await;
    let mine = &data(&view)["survey"]["mine"]["answers"];
    assert_eq!(
        mine[0],
        json!({"question": "attend", "values": ["yes"]}),
        "{view}"
    );
    assert_eq!(
        mine[1],
        json!({"question": "people", "values": ["2"]}),
        "normalised: {view}"
    );
    assert_eq!(
        mine[2],
        json!({"question": "topics", "values": ["a", "b"]}),
        "in form order: {view}"
    );
    let kana = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["question"] == "kana")
        .unwrap();
    assert_eq!(kana["values"][0], "サイタマ ハナコ");

    // A new version: answers given against the old one are refused.
    let v2 = publish(&s, id).await;
    assert_eq!(v2, 2);
    let other = token_for(&t, &users[1]).await;
    let r = answer(&t, &other, id, v1, good()).await;
    assert_eq!(error_code(&r).as_deref(), Some("WRONG_VERSION"), "{r}");
    let versions: Vec<i64> = {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use tenohira::db::schema::survey_answers;
        survey_answers::table
            .select(survey_answers::version)
            .load::<i32>(&mut t.db().await)
            .await
            .unwrap()
            .into_iter()
            .map(i64::from)
            .collect()
    };
    assert_eq!(versions, vec![1], "the kept answer keeps its version");

    // Closed: refused, and the page says so.
    data(
        &s.gql(
            "mutation($id: Int!) { closeSurvey(id: $id) { status } }",
            json!({"id": id}),
        )
        .await,
    );
    let r = answer(&t, &other, id, v2, good()).await;
    assert_eq!(error_code(&r).as_deref(), Some("SURVEY_CLOSED"), "{r}");
    let view = t.liff_vars(Some(&other), VIEW, json!({"id": id})).await;
    assert_eq!(data(&view)["survey"]["code"], "SURVEY_CLOSED");
    assert_eq!(
        data(&view)["survey"]["message"],
        "このアンケートの受付は終了しました"
    );
    assert_eq!(t.count("survey_answers").await, 1);
    // Stored sealed: no answer text in the row.
    let plain: i64 = {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(
            "SELECT count(*) AS n FROM survey_answers WHERE position('yes'::bytea in sealed) > 0",
        )
        .get_result::<tenohira_tests::Count>(&mut t.db().await)
        .await
        .unwrap()
        .n
    };
    assert_eq!(plain, 0);
}

async fn segment_of(t: &TestApp, members: &[String]) -> (i32, Vec<i32>) {
    use tenohira::audience::{expr::Expr, service as audience};
    let system = tenohira::auth::Caller::system();
    let attr = audience::create_attribute(
        &t.app,
        &system,
        audience::NewAttribute {
            name: "関心".into(),
            kind: "multiple".into(),
            help_text: String::new(),
            options: vec!["防災".into(), "子育て".into()],
        },
    )
    .await
    .unwrap();
    let opts: Vec<i32> = audience::list_attributes(&t.app, &system)
        .await
        .unwrap()
        .into_iter()
        .find(|(x, _)| x.id == attr.id)
        .unwrap()
        .1
        .iter()
        .map(|o| o.id)
        .collect();
    for m in members {
        sql(
            t,
            &format!(
                "INSERT INTO friend_settings (friend_id, option_ids) SELECT id, ARRAY[{}] FROM friends WHERE line_user_id = '{m}'",
                opts[0]
            ),
        )
        .await;
    }
    let seg = audience::save_segment(
        &t.app,
        &system,
        None,
        "防災に関心".into(),
        Expr::AnyOf(vec![opts[0]]),
    )
    .await
    .unwrap();
    // The audience index follows the change log: bring it up to date now.
    tenohira::audience::index(&t.app)
        .refresh(&t.app.db)
        .await
        .unwrap();
    (seg.id, opts)
}

async fn sql(t: &TestApp, q: &str) {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(q)
        .execute(&mut t.db().await)
        .await
        .unwrap();
}

fn short_form() -> Value {
    json!({"sections": [{"key": "s", "questions": [
        q("useful", "SINGLE", "役に立ちましたか", json!({"required": true, "choices": choices(&[("yes", "はい"), ("no", "いいえ")])})),
        q("score", "RATING", "満足度", json!({"scale": 5})),
    ]}]})
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audience_and_the_quota_are_kept() {
    let t = TestApp::spawn().await;
    let users = t.bulk_friends(2).await;
    let (segment, _) = segment_of(&t, &users[..1]).await;
    let s = staff(&t, "surveyor").await;
    let id = create(
        &s,
        "防災アンケート",
        short_form(),
        json!({"segmentId": segment, "onePerResident": false, "quota": 2}),
    )
    .await;
    let v = publish(&s, id).await;
    let inside = token_for(&t, &users[0]).await;
    let outside = token_for(&t, &users[1]).await;
    let r = answer(&t, &outside, id, v, vec![a("useful", "yes")]).await;
    assert_eq!(error_code(&r).as_deref(), Some("NOT_IN_AUDIENCE"), "{r}");
    assert_eq!(r["errors"][0]["message"], "このアンケートの対象外です");
    let view = t.liff_vars(Some(&outside), VIEW, json!({"id": id})).await;
    assert_eq!(data(&view)["survey"]["answerable"], false);
    // Several answers allowed, two in all.
    for _ in 0..2 {
        data(&answer(&t, &inside, id, v, vec![a("useful", "yes")]).await);
    }
    let r = answer(&t, &inside, id, v, vec![a("useful", "no")]).await;
    assert_eq!(
        error_code(&r).as_deref(),
        Some("SURVEY_CLOSED"),
        "the quota closed it: {r}"
    );
    assert_eq!(t.count("survey_answers").await, 2);
    let r = s
        .gql(
            "query($id: Int!) { survey(id: $id) { status answerCount } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        data(&r)["survey"],
        json!({"status": "CLOSED", "answerCount": 2})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn results_cross_tab_and_csv_match_what_was_stored() {
    let t = TestApp::spawn().await;
    let users = t.bulk_friends(12).await;
    // Six residents in their thirties, four in their forties, two unregistered.
    for (i, u) in users.iter().enumerate() {
        let year = match i {
            0..=5 => Some(1990),
            6..=9 => Some(1980),
            _ => None,
        };
        if let Some(y) = year {
            sql(&t, &format!("INSERT INTO friend_settings (friend_id, birth_year) SELECT id, {y} FROM friends WHERE line_user_id = '{u}'")).await;
        }
    }
    let s = staff(&t, "surveyor").await;
    let form = json!({"sections": [{"key": "s", "questions": [
        q("useful", "SINGLE", "役に立ちましたか", json!({"required": true, "choices": choices(&[("yes", "はい"), ("no", "いいえ")])})),
        q("topics", "MULTIPLE", "関心", json!({"choices": choices(&[("a", "防災"), ("b", "子育て")])})),
        q("score", "RATING", "満足度", json!({"scale": 5})),
        q("opinion", "LONG_TEXT", "ご意見", json!({})),
    ]}]});
    let id = create(&s, "満足度調査", form, json!({"identified": true})).await;
    let v = publish(&s, id).await;
    for (i, u) in users.iter().enumerate() {
        let token = token_for(&t, u).await;
        let mut answers = vec![
            a("useful", if i < 9 { "yes" } else { "no" }),
            a("score", &((i % 5) + 1).to_string()),
        ];
        if i % 2 == 0 {
            answers.push(picks("topics", &["a"]));
        }
        if i == 0 {
            answers.push(a("opinion", "=1+1 とても便利です"));
        }
        if i == 1 {
            answers.push(a("opinion", "ＬＩＮＥで届くのが便利"));
        }
        data(&answer(&t, &token, id, v, answers).await);
    }
    let r = s
        .gql(
            "query($id: Int!) { surveyResults(id: $id) { total liff chat questions { key answered counts { key count } mean median } } }",
            json!({"id": id}),
        )
        .await;
    let res = &data(&r)["surveyResults"];
    insta::assert_json_snapshot!("survey_results", res);
    assert_eq!(res["total"], 12);
    assert_eq!(res["liff"], 12);
    let useful = &res["questions"][0];
    assert_eq!(
        useful["counts"],
        json!([{"key": "yes", "count": 9}, {"key": "no", "count": 3}])
    );
    assert_eq!(res["questions"][1]["counts"][0]["count"], 6);
    let score = &res["questions"][2];
    // Scores 1,2,3,4,5,1,2,3,4,5,1,2: mean 33/12, median 2.5.
    assert_eq!(score["mean"], 2.75);
    assert_eq!(score["median"], 2.5);
    // Filtered by an answer.
    let r = s
        .gql(
            "query($id: Int!) { surveyResults(id: $id, filter: {question: \"useful\", anyOf: [\"no\"]}) { total } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(data(&r)["surveyResults"]["total"], 3);
    // Free texts, searched ignoring width.
    let r = s
        .gql(
            "query($id: Int!) { surveyTexts(id: $id, question: \"opinion\", search: \"line\") { total items { text } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        data(&r)["surveyTexts"]["items"][0]["text"],
        "ＬＩＮＥで届くのが便利"
    );
    // Newest first, paged: the second page of one is the older text.
    let r = s
        .gql(
            "query($id: Int!) { surveyTexts(id: $id, question: \"opinion\", offset: 1, limit: 1) { total items { text } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        data(&r)["surveyTexts"],
        json!({"total": 2, "items": [{"text": "=1+1 とても便利です"}]})
    );

    // By age band: 30代 has 6 yes; 40代 has 3 yes and 1 no; 未登録 2 no.
    let r = s
        .gql(
            "query($id: Int!) { surveyCrossTab(id: $id, question: \"useful\", by: AGE_BAND) { columns rows { group cells total } suppressed threshold } }",
            json!({"id": id}),
        )
        .await;
    let tab = &data(&r)["surveyCrossTab"];
    assert_eq!(tab["columns"], json!(["はい", "いいえ"]));
    assert_eq!(
        tab["rows"][0],
        json!({"group": "30代", "cells": [6, 0], "total": 6})
    );
    assert_eq!(
        tab["rows"][1],
        json!({"group": "40代", "cells": [null, null], "total": null}),
        "{tab}"
    );
    assert_eq!(
        tab["rows"][2],
        json!({"group": "未登録", "cells": [0, null], "total": null}),
        "{tab}"
    );
    assert_eq!(tab["suppressed"], 3);
    assert_eq!(tab["threshold"], 5);

    // CSV: a reason is required; then one row per answer, Excel-safe.
    let resp = s.get(&format!("/exports/surveys/{id}/answers.csv")).await;
    assert_eq!(resp.status().as_u16(), 400);
    let resp = s
        .get(&format!(
            "/exports/surveys/{id}/answers.csv?reason=%E9%9B%86%E8%A8%88"
        ))
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.text().await.unwrap();
    assert!(body.contains("\r\n"), "CRLF");
    let rec = csv_records(&body);
    assert_eq!(rec.len(), 13);
    assert_eq!(
        rec[0],
        vec![
            "回答ID",
            "回答日時(JST)",
            "更新日時(JST)",
            "版",
            "回答方法",
            "友だちID",
            "役に立ちましたか",
            "関心：防災",
            "関心：子育て",
            "満足度",
            "ご意見"
        ]
    );
    assert_eq!(rec[1][6], "はい");
    assert_eq!(rec[1][7], "1");
    assert_eq!(rec[1][10], "'=1+1 とても便利です", "a formula stays text");
    tenohira_tests::assert_no_formula(&rec);
    assert!(
        t.audit_actions()
            .await
            .iter()
            .any(|(a, _)| a == "survey.export")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_owners_and_grantees_see_a_survey_and_grantees_only_read() {
    let t = TestApp::spawn().await;
    let owner = staff(&t, "owner").await;
    let teammate = staff(&t, "teammate").await;
    let stranger = staff(&t, "stranger").await;
    let team = tenohira::staff::teams::create(
        &t.app,
        &tenohira::auth::Caller::system(),
        tenohira::staff::teams::TeamInput {
            name: "県民広聴課".into(),
            description: String::new(),
        },
    )
    .await
    .unwrap();
    sql(
        &t,
        &format!(
            "UPDATE staff_accounts SET team_id = '{}' WHERE login_id IN ('owner', 'teammate')",
            team.id
        ),
    )
    .await;
    let id = create(&owner, "広聴アンケート", short_form(), json!({})).await;
    publish(&owner, id).await;
    let results = "query($id: Int!) { surveyResults(id: $id) { total } }";
    data(&teammate.gql(results, json!({"id": id})).await);
    let r = stranger.gql(results, json!({"id": id})).await;
    assert_eq!(error_code(&r).as_deref(), Some("NOT_FOUND"), "{r}");
    let listed = stranger.gql("{ surveys { id } }", json!({})).await;
    assert_eq!(data(&listed)["surveys"], json!([]));
    let csv = stranger
        .get(&format!("/exports/surveys/{id}/answers.csv?reason=x"))
        .await;
    assert_eq!(
        csv.status().as_u16(),
        404,
        "a survey one may not see is not found"
    );

    let me = stranger
        .gql("{ viewer { account { id } } }", json!({}))
        .await;
    let stranger_id = data(&me)["viewer"]["account"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = owner
        .gql(
            "mutation($id: Int!, $a: UUID!) { grantSurvey(id: $id, accountId: $a) }",
            json!({"id": id, "a": stranger_id}),
        )
        .await;
    data(&r);
    data(&stranger.gql(results, json!({"id": id})).await);
    let r = stranger
        .gql(
            "mutation($id: Int!) { closeSurvey(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        error_code(&r).as_deref(),
        Some("FORBIDDEN"),
        "a grantee only reads: {r}"
    );
    let r = stranger
        .gql(
            "mutation($id: Int!, $a: UUID!) { grantSurvey(id: $id, accountId: $a) }",
            json!({"id": id, "a": stranger_id}),
        )
        .await;
    assert_eq!(
        error_code(&r).as_deref(),
        Some("FORBIDDEN"),
        "a grant never grants further: {r}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_survey_is_answered_in_the_chat_and_stored_like_liff_answers() {
    let t = TestApp::spawn_with(tenohira_tests::Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let s = staff(&t, "surveyor").await;
    let id = create(
        &s,
        "満足度",
        short_form(),
        json!({"thankYou": "ご協力ありがとうございました"}),
    )
    .await;
    publish(&s, id).await;
    let r = s
        .gql(
            "query($id: Int!) { survey(id: $id) { chatAnswerable liffUrl } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(data(&r)["survey"]["chatAnswerable"], true);
    assert!(
        data(&r)["survey"]["liffUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/survey?id={id}"))
    );

    // Sent through delivery: a buttons message with both ways to answer.
    let user = t.bulk_friends(1).await.remove(0);
    let r = s
        .gql("mutation($id: Int!) { sendSurvey(id: $id, input: {text: \"アンケートにご協力ください\"}) }", json!({"id": id}))
        .await;
    let delivery = data(&r)["sendSurvey"].as_i64().unwrap();
    t.eventually(20, "the invitation reached the resident", || async {
        !t.fake.inbox(&user).await.is_empty()
    })
    .await;
    let sent = t.fake.inbox(&user).await;
    let actions = &sent[0]["messages"][0]["template"]["actions"];
    assert_eq!(actions[0]["label"], "回答する", "{sent:?}");
    assert_eq!(actions[1]["data"], format!("survey:start:{id}"));
    assert!(delivery > 0);

    let first = t.tap(&user, &format!("survey:start:{id}")).await;
    let yes = quick_reply(&first, "はい");
    let second = t.tap(&user, &yes).await;
    assert!(
        second["messages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("満足度"),
        "{second}"
    );
    let four = quick_reply(&second, "4");
    let done = t.tap(&user, &four).await;
    assert_eq!(done["messages"][0]["text"], "ご協力ありがとうございました");
    // A replayed tap is a second answer, refused.
    let again = t.tap(&user, &four).await;
    assert!(
        again["messages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("回答済み"),
        "{again}"
    );
    let r = s
        .gql("query($id: Int!) { surveyResults(id: $id) { total chat questions { counts { key count } } } }", json!({"id": id}))
        .await;
    let res = &data(&r)["surveyResults"];
    assert_eq!(res["chat"], 1);
    assert_eq!(
        res["questions"][1]["counts"][3],
        json!({"key": "4", "count": 1})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn erasing_a_resident_deletes_their_identified_answers() {
    let t = TestApp::spawn().await;
    let users = t.bulk_friends(2).await;
    let s = staff(&t, "surveyor").await;
    let id = create(
        &s,
        "記名アンケート",
        short_form(),
        json!({"identified": true}),
    )
    .await;
    let v = publish(&s, id).await;
    for u in &users {
        let token = token_for(&t, u).await;
        data(&answer(&t, &token, id, v, vec![a("useful", "yes")]).await);
    }
    assert_eq!(t.count("survey_answers").await, 2);
    let token = token_for(&t, &users[0]).await;
    let r = t
        .liff(Some(&token), "mutation { withdrawMySettings }")
        .await;
    data(&r);
    assert_eq!(t.count("survey_answers").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_sent_at_once_are_each_judged_and_a_resident_is_counted_once() {
    let t = TestApp::spawn().await;
    let users = t.bulk_friends(20).await;
    let s = staff(&t, "surveyor").await;
    let id = create(&s, "同時回答", short_form(), json!({})).await;
    let v = publish(&s, id).await;
    let mut tokens = Vec::new();
    for u in &users {
        tokens.push(token_for(&t, u).await);
    }
    // Every resident three times at once: batched inserts must still give
    // each submission its own verdict.
    let sends = tokens
        .iter()
        .flat_map(|tk| (0..3).map(move |_| tk.clone()))
        .map(|tk| {
            let t = &t;
            async move { answer(t, &tk, id, v, vec![a("useful", "yes")]).await }
        });
    let replies = futures::future::join_all(sends).await;
    let stored = replies
        .iter()
        .filter(|r| r["data"]["answerSurvey"]["answerId"].is_i64())
        .count();
    let twice = replies
        .iter()
        .filter(|r| error_code(r).as_deref() == Some("ALREADY_ANSWERED"))
        .count();
    assert_eq!((stored, twice), (20, 40), "{replies:?}");
    assert_eq!(t.count("survey_answers").await, 20);
}
