//! Who sees which rich menu, against line-fake: a segment menu linked to
//! its 1,500 residents in three bulk calls and kept in step as they leave
//! and come back; disaster mode shown to everyone through LINE's batch
//! operation and each resident's own menu given back; taps counted from the
//! webhook and through the redirect; an alias swap no tapping resident
//! falls through.

mod richmenu_support;

use richmenu_support::*;
use serde_json::{Value, json};
use tenohira_tests::{Session, TestApp};

async fn sql(t: &TestApp, q: &str) {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(q)
        .execute(&mut t.db().await)
        .await
        .unwrap();
}

/// A one-page menu with one text area.
fn single(image: &str, name: &str, text: &str) -> Value {
    json!({"pages": [{"name": name, "width": 2500, "height": 843, "chatBarText": "メニュー", "image": image,
        "areas": [{"x": 0, "y": 0, "width": 2500, "height": 843, "action": {"kind": "MESSAGE", "text": text}}]}]})
}

async fn create_for(
    s: &Session,
    name: &str,
    audience: &str,
    segment: Option<i64>,
    def: Value,
) -> i64 {
    let r = s
        .gql(
            "mutation($n: String!, $a: RichMenuAudience!, $s: Int, $d: RichMenuDefinitionInput!) { createRichMenu(input: {name: $n, audience: $a, segmentId: $s, definition: $d}) { menu { id } } }",
            json!({"n": name, "a": audience, "s": segment, "d": def}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["createRichMenu"]["menu"]["id"].as_i64().unwrap()
}

/// The menu each of `users` has on LINE (per user; none: the default applies).
async fn linked(
    t: &TestApp,
    users: &[String],
) -> std::collections::BTreeMap<Option<String>, usize> {
    let mut out = std::collections::BTreeMap::new();
    for u in users {
        let m = t.fake.get(&format!("/_fake/users/{u}/inbox")).await["richMenuId"]
            .as_str()
            .map(str::to_string);
        *out.entry(m).or_default() += 1;
    }
    out
}

async fn accepted(t: &TestApp, endpoint: &str) -> u64 {
    t.fake.get("/_fake/stats").await["accepted"][endpoint]
        .as_u64()
        .unwrap_or(0)
}

async fn live_ids(t: &TestApp, id: i64) -> Vec<String> {
    let mut out = Vec::new();
    for a in aliases(t).await {
        if a.0.starts_with(&format!("tenohira-{id}-")) {
            out.push(a.1);
        }
    }
    out
}

/// Switches disaster mode and waits for the job; answers the switch.
async fn disaster(t: &TestApp, s: &Session, on: bool) -> Value {
    let r = s
        .gql(
            "mutation($on: Boolean!) { setRichMenuDisasterMode(on: $on) { id state } }",
            json!({"on": on}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let q = "{ richMenuDisasterMode { on lastSwitch { on state step residentsMoved residentsTotal problem } } }";
    t.eventually(30, "the disaster switch to finish", || async {
        let r = s.gql(q, json!({})).await;
        matches!(
            r["data"]["richMenuDisasterMode"]["lastSwitch"]["state"].as_str(),
            Some("DONE" | "FAILED")
        )
    })
    .await;
    s.gql(q, json!({})).await["data"]["richMenuDisasterMode"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn segment_menus_follow_their_residents_and_disaster_mode_covers_everyone_then_gives_each_their_own_back()
 {
    let (t, s) = app().await;
    let residents = t.bulk_friends(1500).await;
    let image = stored(&t, png(2500, 843)).await;
    let default_menu = create_for(
        &s,
        "県のメニュー",
        "DEFAULT",
        None,
        single(&image, "県のメニュー", "ごみ"),
    )
    .await;
    assert_eq!(publish(&t, &s, default_menu, 1).await["state"], "DONE");
    sql(
        &t,
        "INSERT INTO segments (name, expression) VALUES ('未登録の友だち', '{\"registered\": false}')",
    )
    .await;
    let segment: i64 = {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("SELECT id FROM segments WHERE name = '未登録の友だち'")
            .get_result::<Id>(&mut t.db().await)
            .await
            .unwrap()
            .id as i64
    };
    let segment_menu = create_for(
        &s,
        "登録のお願い",
        "SEGMENT",
        Some(segment),
        tabs(&image, "登録"),
    )
    .await;

    // Publishing links all 1,500 residents to the set's first tab: three bulk calls.
    assert_eq!(publish(&t, &s, segment_menu, 1).await["state"], "DONE");
    let first_tab = live_ids(&t, segment_menu).await[0].clone();
    assert_eq!(
        linked(&t, &residents).await,
        [(Some(first_tab.clone()), 1500)].into()
    );
    assert_eq!(accepted(&t, "richmenu.bulk.link").await, 3);
    // A resident's own menu wins over the default on their screen.
    let screen = t
        .fake
        .get(&format!("/_fake/users/{}/richmenu", residents[0]))
        .await;
    assert_eq!(
        (screen["richMenuId"].clone(), screen["source"].clone()),
        (json!(first_tab), json!("user"))
    );
    assert_eq!(t.count("rich_menu_links").await, 1500);
    let listed = s
        .gql("{ richMenus { id linkedResidents } }", json!({}))
        .await;
    assert!(
        listed["data"]["richMenus"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == segment_menu && m["linkedResidents"] == 1500),
        "{listed}"
    );

    // They leave the segment (its condition changes): unlinked, three calls; and come back.
    sql(
        &t,
        "UPDATE segments SET expression = '{\"registered\": true}'",
    )
    .await;
    tenohira::richmenu::sync_links(&t.app).await.unwrap();
    assert_eq!(linked(&t, &residents).await, [(None, 1500)].into());
    assert_eq!(accepted(&t, "richmenu.bulk.unlink").await, 3);
    assert_eq!(t.count("rich_menu_links").await, 0);
    sql(
        &t,
        "UPDATE segments SET expression = '{\"registered\": false}'",
    )
    .await;
    tenohira::richmenu::sync_links(&t.app).await.unwrap();
    assert_eq!(
        linked(&t, &residents).await,
        [(Some(first_tab.clone()), 1500)].into()
    );
    // In step: a run with nothing to do calls LINE for nothing.
    let calls = accepted(&t, "richmenu.bulk.link").await;
    tenohira::richmenu::sync_links(&t.app).await.unwrap();
    assert_eq!(accepted(&t, "richmenu.bulk.link").await, calls);

    // Disaster mode needs a live disaster menu first.
    let r = s
        .gql(
            "mutation { setRichMenuDisasterMode(on: true) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(r["errors"][0]["extensions"]["field"], "on", "{r}");
    let disaster_menu = create_for(
        &s,
        "災害時",
        "DISASTER",
        None,
        single(&image, "災害時", "避難所"),
    )
    .await;
    assert_eq!(publish(&t, &s, disaster_menu, 1).await["state"], "DONE");
    let default_id = line(&t, "/v2/bot/user/all/richmenu").await["richMenuId"].clone();
    assert_ne!(default_id, Value::Null);
    let disaster_id = line(&t, "/v2/bot/richmenu/list").await["richmenus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "災害時")
        .map(|m| m["richMenuId"].as_str().unwrap().to_string())
        .unwrap();
    assert_ne!(
        json!(disaster_id),
        default_id,
        "not shown before the switch"
    );
    let stranger = t.fake.user(true).await;

    // On: every resident, linked or not, sees the disaster menu; LINE's batch did the links.
    let on = disaster(&t, &s, true).await;
    assert_eq!(on["on"], true, "{on}");
    assert_eq!(on["lastSwitch"]["state"], "DONE", "{on}");
    assert_eq!(on["lastSwitch"]["residentsMoved"], 1500, "{on}");
    assert_eq!(accepted(&t, "richmenu.batch").await, 1);
    let shown = |u: String| {
        let t = &t;
        async move { t.fake.get(&format!("/_fake/users/{u}/richmenu")).await["richMenuId"].clone() }
    };
    assert_eq!(
        linked(&t, &residents).await,
        [(Some(disaster_id.clone()), 1500)].into()
    );
    assert_eq!(shown(stranger.clone()).await, json!(disaster_id));
    // The sync leaves them there while the mode is on.
    tenohira::richmenu::sync_links(&t.app).await.unwrap();
    assert_eq!(
        linked(&t, &residents).await,
        [(Some(disaster_id.clone()), 1500)].into()
    );
    // Who switched it is in the audit log.
    assert_eq!(
        t.count(
            "audit_log WHERE action = 'richmenu.disaster' AND actor_id = \
             (SELECT id FROM staff_accounts WHERE login_id = 'pr-staff')"
        )
        .await,
        1
    );

    // Off: each resident has their own menu again, the stranger the default.
    let off = disaster(&t, &s, false).await;
    assert_eq!(off["on"], false, "{off}");
    assert_eq!(off["lastSwitch"]["residentsMoved"], 1500, "{off}");
    assert_eq!(
        linked(&t, &residents).await,
        [(Some(first_tab), 1500)].into()
    );
    assert_eq!(shown(stranger).await, default_id);
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
}

#[tokio::test(flavor = "multi_thread")]
async fn taps_are_counted_from_the_webhook_and_through_the_redirect_with_no_resident_in_them() {
    let (t, s) = app().await;
    let user = t.bulk_friends(1).await.remove(0);
    let image = stored(&t, png(2500, 843)).await;
    let (id, _) = create(&s, tabs(&image, "ごみの出し方")).await;
    assert_eq!(publish(&t, &s, id, 1).await["state"], "DONE");
    let ids = live_ids(&t, id).await;
    let tap = |area: u32| {
        let (t, user) = (&t, user.clone());
        async move {
            t.fake
                .post(
                    &format!("/_fake/users/{user}/richmenu/tap"),
                    json!({"area": area}),
                )
                .await
        }
    };
    let shown = || async { t.fake.get(&format!("/_fake/users/{user}/richmenu")).await };
    assert_eq!(shown().await["richMenuId"], json!(ids[0]));

    // A tab switch: the resident sees the second tab, the webhook counts it.
    let r = tap(1).await;
    assert_eq!(r["webhookStatus"], 200, "{r}");
    assert_eq!(shown().await["richMenuId"], json!(ids[1]));
    assert_eq!(shown().await["source"], "switched");
    // Back to the first tab (area 0 of the second page), then a text the chatbot answers.
    assert_eq!(tap(0).await["webhookStatus"], 200);
    assert_eq!(shown().await["richMenuId"], json!(ids[0]));
    assert_eq!(tap(2).await["webhookStatus"], 200);
    // A link: opened through our redirect, which counts and sends the resident on.
    let opened = tap(3).await["opened"].as_str().unwrap().to_string();
    assert!(opened.contains("/r/m/"), "{opened}");
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let path = &opened[opened.find("/r/m/").unwrap()..];
    let r = no_follow
        .get(format!("{}{path}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().ends_with("/card"));
    // The redirect leads only where a published version says.
    for bad in [
        format!("/r/m/{id}/1/0/9"),
        format!("/r/m/{id}/1/0/0"),
        format!("/r/m/{id}/7/0/3"),
        format!("/r/m/{id}/1/0/-1"),
        "/r/m/x/1/0/3".to_string(),
    ] {
        let r = no_follow
            .get(format!("{}{bad}", t.base))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{bad}: {}", r.status());
    }

    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
        .date_naive()
        .to_string();
    let q = "query($id: Int!, $d: NaiveDate!) { richMenuTaps(menuId: $id, from: $d, to: $d) { version page area label day taps } }";
    t.eventually(20, "four taps counted", || async {
        let r = s.gql(q, json!({"id": id, "d": today})).await;
        r["data"]["richMenuTaps"].as_array().is_some_and(|rows| {
            rows.iter()
                .map(|r| r["taps"].as_i64().unwrap())
                .sum::<i64>()
                == 4
        })
    })
    .await;
    let rows = s.gql(q, json!({"id": id, "d": today})).await["data"]["richMenuTaps"].clone();
    let got: Vec<(i64, i64, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["page"].as_i64().unwrap(),
                r["area"].as_i64().unwrap(),
                r["label"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (0, 1, "タブ「子育て」".to_string()),
            (0, 2, "メッセージ「ごみの出し方」".to_string()),
            (0, 3, "優待カード".to_string()),
            (1, 0, "タブ「くらし」".to_string()),
        ]
    );

    // The CSV says the same, for Excel.
    let r = s
        .get(&format!(
            "/exports/rich-menu-taps.csv?menu={id}&from={today}&to={today}"
        ))
        .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.starts_with('\u{feff}'), "BOM");
    assert!(body.contains("\r\n"));
    let records = tenohira_tests::csv_records(&body);
    assert_eq!(
        records[0],
        ["日付", "版", "タブ", "エリア", "内容", "タップ数"]
    );
    assert_eq!(records.len(), 5, "{records:?}");

    // Counts only: the table has no column that could name a resident.
    let columns: Vec<String> = {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Col {
            #[diesel(sql_type = diesel::sql_types::Text)]
            column_name: String,
        }
        diesel::sql_query(
            "SELECT column_name::text AS column_name FROM information_schema.columns WHERE table_name = 'rich_menu_taps' ORDER BY ordinal_position",
        )
        .load::<Col>(&mut t.db().await)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.column_name)
        .collect()
    };
    assert_eq!(
        columns,
        ["menu_id", "version", "page", "area", "day", "taps"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resident_tapping_tabs_while_a_new_version_goes_live_always_lands_on_a_menu() {
    let (t, s) = app().await;
    let user = t.bulk_friends(1).await.remove(0);
    let image = stored(&t, png(2500, 843)).await;
    let (id, _) = create(&s, tabs(&image, "v1")).await;
    assert_eq!(publish(&t, &s, id, 1).await["state"], "DONE");
    for (version, text) in [(2, "v2"), (3, "v3")] {
        assert_eq!(save(&s, id, tabs(&image, text)).await, version);
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tapper = {
            let (fake, user, done) = (t.fake.base.clone(), user.clone(), done.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut taps = 0;
                let mut area = 1;
                while !done.load(std::sync::atomic::Ordering::Acquire) || taps < 10 {
                    let r = http
                        .post(format!("{fake}/_fake/users/{user}/richmenu/tap"))
                        .json(&json!({"area": area}))
                        .send()
                        .await
                        .unwrap();
                    let status = r.status();
                    let body: Value = r.json().await.unwrap();
                    assert!(
                        status.is_success(),
                        "tap {taps} on area {area}: {status} {body}"
                    );
                    area = 1 - area;
                    taps += 1;
                }
                taps
            })
        };
        assert_eq!(publish(&t, &s, id, version).await["state"], "DONE");
        done.store(true, std::sync::atomic::Ordering::Release);
        let taps = tapper.await.expect("every tap landed on a menu");
        assert!(taps >= 10);
    }
}
