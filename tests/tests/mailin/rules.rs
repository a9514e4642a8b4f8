//! Mail rules end to end: an ISO-2022-JP alert naming 川口市 arrives over
//! SMTP and, within seconds, reaches exactly the residents who live in or
//! asked for 川口市's 避難情報 — once; a mail naming no municipality and one
//! no rule matches reach nobody; a draft-mode rule leaves a draft for
//! approval; the rule test shows what matched; bad rules are refused at
//! their fields.

use std::time::{Duration, Instant};

use base64::Engine;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use tenohira::auth::Permission::*;
use tenohira_tests::{Session, TestApp, data, error_code};

use super::{TOKEN, app_with, send_mail};
use tenohira_tests::smtp::Client;

struct Catalogue {
    lives: std::collections::HashMap<String, i32>,
    wants: std::collections::HashMap<String, i32>,
    nodes: std::collections::HashMap<String, i32>,
}

/// The demo catalogue's ids: residence and region options by name, nodes by path.
async fn catalogue(t: &TestApp) -> Catalogue {
    use tenohira::db::schema::{attribute_options as o, attributes as a, category_nodes as n};
    assert!(tenohira::audience::demo::seed(&t.app).await.unwrap());
    let mut conn = t.db().await;
    let options: Vec<(String, String, i32)> = o::table
        .inner_join(a::table)
        .select((a::kind, o::label, o::id))
        .load(&mut conn)
        .await
        .unwrap();
    let pick = |kind: &str| {
        options
            .iter()
            .filter(|(k, _, _)| k == kind)
            .map(|(_, l, i)| (l.clone(), *i))
            .collect()
    };
    let rows: Vec<(i32, Option<i32>, String)> = n::table
        .select((n::id, n::parent_id, n::name))
        .load(&mut conn)
        .await
        .unwrap();
    let path = |mut id: i32| {
        let mut parts = vec![];
        loop {
            let (_, parent, name) = rows.iter().find(|r| r.0 == id).unwrap();
            parts.push(name.clone());
            match parent {
                Some(p) => id = *p,
                None => break,
            }
        }
        parts.reverse();
        parts.join("/")
    };
    Catalogue {
        lives: pick("municipality"),
        wants: pick("regions"),
        nodes: rows.iter().map(|r| (path(r.0), r.0)).collect(),
    }
}

/// A following resident who saved these settings (None: never registered).
async fn resident(t: &TestApp, settings: Option<(Vec<i32>, Vec<i32>)>) -> String {
    let user = t.fake.user(false).await;
    t.fake
        .post(&format!("/_fake/users/{user}/follow"), json!({}))
        .await;
    if let Some((options, nodes)) = settings {
        let token = t.fake.id_token(json!({"userId": user})).await;
        let save = "mutation($i: MySettingsInput!) { saveMySettings(input: $i) { registered } }";
        t.eventually(10, "the friend to be known", || async {
            let r = t
                .liff_vars(
                    Some(&token),
                    save,
                    json!({"i": {"optionIds": options, "nodeIds": nodes}}),
                )
                .await;
            r["data"]["saveMySettings"]["registered"] == true
        })
        .await;
    }
    user
}

/// What deliveries brought a resident (not the welcome message).
async fn multicasts(t: &TestApp, user: &str) -> Vec<Value> {
    t.fake
        .inbox(user)
        .await
        .into_iter()
        .filter(|m| m["via"] == "multicast")
        .collect()
}

const RULE: &str = "mutation($i: MailRuleInput!) { createMailRule(input: $i) { id name } }";

fn evacuation_rule(node: i32, mode: &str) -> Value {
    json!({
        "name": format!("避難情報（{mode}）"),
        "matchMode": "ALL",
        "conditions": [
            {"field": "SUBJECT", "kind": "KEYWORDS", "words": ["避難指示", "高齢者等避難"], "mode": "ANY"},
            {"field": "SENDER", "kind": "REGEX", "pattern": r"@pref\.example\.jp"}
        ],
        "rewrites": [{"kind": "STRIP_SIGNATURE"}],
        "receiveNodeId": node,
        "template": "【{市町村}】{件名}\n{本文}",
        "mode": mode,
    })
}

/// An ISO-2022-JP alert; its signature names the prefecture office in
/// さいたま市浦和区, which the rule's rewrite cuts before municipalities are read.
fn alert(message_id: &str, subject: &str, body: &str) -> Vec<u8> {
    let (s, _, _) = encoding_rs::ISO_2022_JP.encode(subject);
    let text = format!(
        "{body}\r\n\r\n----------\r\n埼玉県危機管理防災部\r\nさいたま市浦和区高砂3-15-1\r\n"
    );
    let (b, _, _) = encoding_rs::ISO_2022_JP.encode(&text);
    let s = base64::engine::general_purpose::STANDARD.encode(s);
    let mut m = format!(
        "From: bousai@pref.example.jp\r\nTo: alerts+{TOKEN}@tenohira.example\r\nSubject: =?ISO-2022-JP?B?{s}?=\r\n\
         Message-ID: <{message_id}>\r\nAuthentication-Results: mx.pref.example.jp; spf=pass smtp.mailfrom=pref.example.jp; dkim=pass header.d=pref.example.jp\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n"
    )
    .into_bytes();
    m.extend_from_slice(&b);
    m
}

const MAILS: &str = "{ inboundMails { id subject outcome spf dkim note text rules { name matched acted reasons { detail } } municipalities { municipality said } delivery { id status recipients accepted } } }";

async fn mails(s: &Session) -> Vec<Value> {
    let r = s.gql(MAILS, json!({})).await;
    data(&r)["inboundMails"].as_array().unwrap().clone()
}

async fn wait_outcome(t: &TestApp, s: &Session, subject: &str) -> Value {
    let done = |m: &Value| {
        m["subject"] == subject && !m["outcome"].is_null() && m["outcome"] != "processing"
    };
    t.eventually(10, "the mail to be processed", || async {
        mails(s).await.iter().any(done)
    })
    .await;
    mails(s).await.into_iter().find(done).unwrap()
}

async fn staff(t: &TestApp) -> Session {
    t.signed_in("bousai", &[MailinManage, DeliveryCreate, DeliverySend])
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_naming_kawaguchi_reaches_exactly_those_living_in_or_asking_for_it_once() {
    let (t, addr) = app_with(true).await;
    let c = catalogue(&t).await;
    let s = staff(&t).await;
    let evac = c.nodes["防災/避難情報"];
    let r = s
        .gql(RULE, json!({"i": evacuation_rule(evac, "SEND")}))
        .await;
    assert!(r.get("errors").is_none(), "{r}");

    let (kawa, saitama, kuma) = (c.lives["川口市"], c.lives["さいたま市"], c.lives["熊谷市"]);
    // In: lives in 川口市 and wants 避難情報; wants 避難情報 › 川口市 from
    // elsewhere; wants news for 川口市 and all of 防災.
    let a = resident(&t, Some((vec![kawa], vec![evac]))).await;
    let b = resident(
        &t,
        Some((vec![saitama], vec![c.nodes["防災/避難情報/川口市"]])),
    )
    .await;
    let e = resident(
        &t,
        Some((vec![saitama, c.wants["川口市"]], vec![c.nodes["防災"]])),
    )
    .await;
    // Out: lives there but wants only 雨量; wants 避難情報 › さいたま市 from
    // 熊谷市; never registered.
    let cc = resident(&t, Some((vec![kawa], vec![c.nodes["防災/雨量"]]))).await;
    let d = resident(
        &t,
        Some((vec![kuma], vec![c.nodes["防災/避難情報/さいたま市"]])),
    )
    .await;
    let f = resident(&t, None).await;
    t.eventually(10, "six friends in the index", || async {
        let index = tenohira::audience::index(&t.app);
        index.ensure_loaded(&t.app.db).await.unwrap();
        index.following().len() == 6
    })
    .await;

    let mut client = Client::connect(addr).await;
    assert!(client.say("EHLO pref.example.jp").await.starts_with("250"));
    let subject = "【避難指示】川口市に避難指示を発令";
    let raw = alert(
        "e1@pref.example.jp",
        subject,
        "川口市は①芝地区に避難指示（警戒レベル４）を発令しました。",
    );
    let done = send_mail(&mut client, "bousai@pref.example.jp", &raw).await;
    assert!(done.starts_with("250"), "{done}");
    let accepted_at = Instant::now();
    // From the end of DATA to the delivery's start.
    let started = loop {
        use tenohira::db::schema::deliveries;
        let status: Option<String> = deliveries::table
            .select(deliveries::status)
            .first(&mut t.db().await)
            .await
            .optional()
            .unwrap();
        if status.is_some_and(|s| s != "draft" && s != "scheduled") {
            break accepted_at.elapsed();
        }
        assert!(
            accepted_at.elapsed() < Duration::from_secs(10),
            "no delivery started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!("end of DATA → delivery started: {} ms", started.as_millis());
    assert!(started < Duration::from_secs(2), "{started:?}");

    let m = wait_outcome(&t, &s, subject).await;
    assert_eq!(m["outcome"], "sent", "{m}");
    assert_eq!(
        (m["spf"].as_str(), m["dkim"].as_str()),
        (Some("pass"), Some("pass"))
    );
    assert_eq!(
        m["municipalities"],
        json!([{"municipality": "川口市", "said": "川口市"}]),
        "the signature's さいたま市 was cut first"
    );
    assert_eq!(m["rules"][0]["acted"], true);
    assert_eq!(
        m["rules"][0]["reasons"][0]["detail"],
        "件名に「避難指示」を含む"
    );
    t.eventually(15, "the delivery to complete", || async {
        mails(&s)
            .await
            .iter()
            .find(|x| x["subject"] == subject)
            .unwrap()["delivery"]["status"]
            == "COMPLETED"
    })
    .await;
    let m = mails(&s)
        .await
        .into_iter()
        .find(|x| x["subject"] == subject)
        .unwrap();
    assert_eq!(m["delivery"]["recipients"], 3, "{m}");
    assert_eq!(m["delivery"]["accepted"], 3);
    let text =
        format!("【川口市】{subject}\n川口市は①芝地区に避難指示（警戒レベル４）を発令しました。");
    for who in [&a, &b, &e] {
        let inbox = multicasts(&t, who).await;
        assert_eq!(inbox.len(), 1, "{who}: {inbox:?}");
        assert_eq!(inbox[0]["messages"][0]["text"], text.as_str());
    }
    for who in [&cc, &d, &f] {
        assert!(
            multicasts(&t, who).await.is_empty(),
            "{who} should get nothing"
        );
    }

    // Naming no municipality: the rule's fallback is "do not send".
    let none = "【避難指示】県内の一部地域";
    let raw = alert(
        "e2@pref.example.jp",
        none,
        "詳しくは市町村の発表をご確認ください。",
    );
    assert!(
        send_mail(&mut client, "bousai@pref.example.jp", &raw)
            .await
            .starts_with("250")
    );
    let m = wait_outcome(&t, &s, none).await;
    assert_eq!(m["outcome"], "skipped", "{m}");
    assert!(
        m["note"].as_str().unwrap().contains("市町村名がない"),
        "{m}"
    );
    // Matching no rule: nobody.
    let other = "【お知らせ】川口市で花火大会";
    let raw = alert(
        "e3@pref.example.jp",
        other,
        "川口市で花火大会を開催します。",
    );
    assert!(
        send_mail(&mut client, "bousai@pref.example.jp", &raw)
            .await
            .starts_with("250")
    );
    let m = wait_outcome(&t, &s, other).await;
    assert_eq!(m["outcome"], "no_rule", "{m}");
    assert_eq!(m["rules"][0]["matched"], false);
    assert!(m["delivery"].is_null());
    // The duplicate of the first (resent): kept, never acted on.
    let raw = alert(
        "e1@pref.example.jp",
        subject,
        "川口市は①芝地区に避難指示（警戒レベル４）を発令しました。",
    );
    assert!(
        send_mail(&mut client, "bousai@pref.example.jp", &raw)
            .await
            .starts_with("250")
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    for who in [&a, &b, &e] {
        assert_eq!(multicasts(&t, who).await.len(), 1, "exactly once");
    }
    let actions: Vec<String> = t.audit_actions().await.into_iter().map(|a| a.0).collect();
    assert!(
        actions.iter().filter(|a| *a == "mailin.decision").count() >= 3,
        "{actions:?}"
    );
    assert!(actions.contains(&"mailin.deliver".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn draft_rules_wait_for_approval_and_rules_are_tested_and_checked_at_their_fields() {
    let (t, addr) = app_with(true).await;
    let c = catalogue(&t).await;
    let s = staff(&t).await;
    // The allow-list through the API; a bad pattern is refused at its field.
    let add = "mutation($p: String!) { addMailSender(pattern: $p, note: \"危機管理防災部\") { id kind pattern } }";
    let r = s.gql(add, json!({"p": "Bousai@Pref.Example.JP"})).await;
    assert_eq!(data(&r)["addMailSender"]["kind"], "address");
    assert_eq!(
        data(&r)["addMailSender"]["pattern"],
        "bousai@pref.example.jp"
    );
    let r = s.gql(add, json!({"p": "not a sender"})).await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(r["errors"][0]["extensions"]["field"], "pattern", "{r}");

    let evac = c.nodes["防災/避難情報"];
    let r = s
        .gql(RULE, json!({"i": evacuation_rule(evac, "DRAFT")}))
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    let kawa = c.lives["川口市"];
    let a = resident(&t, Some((vec![kawa], vec![evac]))).await;
    // The draft's recipients are fixed when it is sent: wait until the
    // index has the resident's settings.
    t.eventually(10, "the resident in the index", || async {
        use tenohira::audience::expr::Expr;
        let index = tenohira::audience::index(&t.app);
        index.ensure_loaded(&t.app.db).await.unwrap();
        index
            .members(&Expr::And(vec![
                Expr::ResidenceIn(vec![kawa]),
                Expr::SubscribedTo(evac),
            ]))
            .len()
            == 1
    })
    .await;

    let mut client = Client::connect(addr).await;
    assert!(client.say("EHLO pref.example.jp").await.starts_with("250"));
    let subject = "【高齢者等避難】川口市";
    let raw = alert(
        "d1@pref.example.jp",
        subject,
        "川口市は高齢者等避難を発令しました。",
    );
    assert!(
        send_mail(&mut client, "bousai@pref.example.jp", &raw)
            .await
            .starts_with("250")
    );
    let m = wait_outcome(&t, &s, subject).await;
    assert_eq!(m["outcome"], "drafted", "{m}");
    assert_eq!(m["delivery"]["status"], "DRAFT");
    let id = m["delivery"]["id"].as_i64().unwrap();
    // Not sent, and a sender cannot send it before an approver passes it.
    let r = s
        .gql(
            "mutation($id: Int!) { scheduleDelivery(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(error_code(&r).as_deref(), Some("CONFLICT"), "{r}");
    assert!(multicasts(&t, &a).await.is_empty());
    let approver = t
        .signed_in("shonin", &[DeliveryApprove, DeliveryCreate])
        .await;
    let r = approver
        .gql(
            "mutation($id: Int!) { approveDelivery(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    let r = s
        .gql(
            "mutation($id: Int!) { scheduleDelivery(id: $id) { id } }",
            json!({"id": id}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    t.eventually(30, "the approved delivery to arrive", || async {
        multicasts(&t, &a).await.len() == 1
    })
    .await;

    // The rule test on a pasted mail: reasons, municipalities, whom it reaches.
    let test = "query($r: MailRuleInput!, $m: PastedMailInput, $id: Int) { testMailRule(rule: $r, mail: $m, mailId: $id) { matched reasons { matched detail } body municipalities { municipality said } text target recipients note } }";
    let pasted = json!({"from": "bousai@pref.example.jp", "subject": "【避難指示】さいたま市浦和区・川口市", "body": "浦和区と川口市に避難指示\n----------\n署名"});
    let r = s
        .gql(
            test,
            json!({"r": evacuation_rule(evac, "SEND"), "m": pasted}),
        )
        .await;
    let tried = &data(&r)["testMailRule"];
    assert_eq!(tried["matched"], true, "{r}");
    assert_eq!(
        tried["municipalities"],
        json!([{"municipality": "さいたま市", "said": "さいたま市浦和区"}, {"municipality": "川口市", "said": "川口市"}])
    );
    assert_eq!(tried["body"], "浦和区と川口市に避難指示");
    assert_eq!(tried["recipients"], 1, "{tried}");
    assert!(
        tried["text"]
            .as_str()
            .unwrap()
            .starts_with("【さいたま市・川口市】")
    );
    // On the stored mail.
    let stored =
        data(&s.gql("{ inboundMails { id } }", json!({})).await)["inboundMails"][0]["id"].clone();
    let r = s
        .gql(
            test,
            json!({"r": evacuation_rule(evac, "SEND"), "id": stored}),
        )
        .await;
    assert_eq!(data(&r)["testMailRule"]["matched"], true, "{r}");
    // A regex that would need backtracking is refused at its field.
    let mut bad = evacuation_rule(evac, "SEND");
    bad["conditions"][1]["pattern"] = json!(r"(\w+)\1");
    let r = s.gql(test, json!({"r": bad, "m": pasted})).await;
    assert_eq!(error_code(&r).as_deref(), Some("BAD_USER_INPUT"));
    assert_eq!(
        r["errors"][0]["extensions"]["field"], "rule.conditions[1].pattern",
        "{r}"
    );

    // Never "everyone" by accident, and a fallback needs its base segment.
    let mut wide = evacuation_rule(evac, "SEND");
    wide["name"] = json!("広すぎる");
    wide["receiveNodeId"] = Value::Null;
    wide["extractMunicipalities"] = json!(false);
    let r = s.gql(RULE, json!({"i": wide})).await;
    assert_eq!(
        r["errors"][0]["extensions"]["field"], "baseSegmentId",
        "{r}"
    );
    let mut fb = evacuation_rule(evac, "SEND");
    fb["name"] = json!("代替");
    fb["fallback"] = json!("BASE");
    let r = s.gql(RULE, json!({"i": fb})).await;
    assert_eq!(r["errors"][0]["extensions"]["field"], "fallback", "{r}");
    let mut tpl = evacuation_rule(evac, "SEND");
    tpl["name"] = json!("差し込み");
    tpl["template"] = json!("{宛名}様");
    let r = s.gql(RULE, json!({"i": tpl})).await;
    assert_eq!(r["errors"][0]["extensions"]["field"], "template", "{r}");
    assert_eq!(
        t.count("mail_rules").await,
        1,
        "nothing saved from bad input"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disaster_rule_switches_the_rich_menu_once_however_many_alerts_match() {
    let (t, addr) = app_with(true).await;
    let c = catalogue(&t).await;
    assert!(tenohira::richmenu::demo::seed(&t.app).await.unwrap());
    let s = t
        .signed_in(
            "bousai",
            &[MailinManage, DeliveryCreate, DeliverySend, RichmenuManage],
        )
        .await;
    t.eventually(30, "the demo's disaster menu to be live", || async {
        let mut conn = t.db().await;
        tenohira::richmenu::disaster::disaster_menu(&mut conn)
            .await
            .unwrap()
            .is_some()
    })
    .await;
    let mut rule = evacuation_rule(c.nodes["防災/避難情報"], "SEND");
    rule["disasterMode"] = json!(true);
    let r = s.gql(RULE, json!({"i": rule})).await;
    assert!(r.get("errors").is_none(), "{r}");
    let _ = resident(
        &t,
        Some((vec![c.lives["川口市"]], vec![c.nodes["防災/避難情報"]])),
    )
    .await;

    let mut client = Client::connect(addr).await;
    assert!(client.say("EHLO pref.example.jp").await.starts_with("250"));
    let subjects = ["【避難指示】川口市（第1報）", "【避難指示】川口市（第2報）"];
    for (n, subject) in subjects.iter().enumerate() {
        let raw = alert(
            &format!("storm{n}@pref.example.jp"),
            subject,
            "川口市は避難指示を発令しました。",
        );
        let done = send_mail(&mut client, "bousai@pref.example.jp", &raw).await;
        assert!(done.starts_with("250"), "{done}");
        let _ = wait_outcome(&t, &s, subject).await;
        // The second report comes once the menu has switched.
        t.eventually(30, "disaster mode to be on", || async {
            let mut conn = t.db().await;
            tenohira::richmenu::disaster::is_on(&mut conn)
                .await
                .unwrap()
        })
        .await;
    }
    let first = wait_outcome(&t, &s, subjects[0]).await;
    assert!(
        first["note"]
            .as_str()
            .unwrap()
            .contains("災害時メニューに切り替えました"),
        "{first}"
    );
    let second = wait_outcome(&t, &s, subjects[1]).await;
    let note = second["note"].as_str().unwrap();
    assert!(note.contains("既に災害時メニューです"), "{second}");
    let switches: i64 = {
        use tenohira::db::schema::rich_menu_disaster_switches as w;
        w::table
            .filter(w::turn_on.eq(true))
            .count()
            .get_result(&mut t.db().await)
            .await
            .unwrap()
    };
    assert_eq!(switches, 1, "one switch for the storm, not one per mail");
}
