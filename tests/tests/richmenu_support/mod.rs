//! What the rich-menu suites share: images, a tab set, LINE's side of
//! things through its own API, publishing and waiting for the job.

#![allow(dead_code)] // each suite uses its own part

use serde_json::{Value, json};
use tenohira::auth::Permission;
use tenohira_tests::{CHANNEL_TOKEN, Options, Session, TestApp};

/// A flat PNG of the given size (LINE checks the size, not the picture).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([0x00, 0x5a, 0xb5]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

pub async fn stored(t: &TestApp, bytes: Vec<u8>) -> String {
    tenohira::media::store_generated(&t.app, bytes, "image/png", "menu.png")
        .await
        .unwrap()
        .to_string()
}

/// Two tabs, each switching to the other; the first also opens the card.
pub fn tabs(image: &str, first_text: &str) -> Value {
    let switch = |tab: u32| json!({"kind": "SWITCH", "tab": tab});
    json!({"pages": [
        {"name": "くらし", "width": 2500, "height": 843, "chatBarText": "メニュー", "image": image,
         "areas": [
            {"x": 0, "y": 0, "width": 1250, "height": 200, "action": switch(0)},
            {"x": 1250, "y": 0, "width": 1250, "height": 200, "action": switch(1)},
            {"x": 0, "y": 200, "width": 1250, "height": 643, "action": {"kind": "MESSAGE", "text": first_text}},
            {"x": 1250, "y": 200, "width": 1250, "height": 643, "action": {"kind": "LIFF", "liff": "CARD"}},
         ]},
        {"name": "子育て", "width": 2500, "height": 843, "chatBarText": "メニュー", "image": image,
         "areas": [
            {"x": 0, "y": 0, "width": 1250, "height": 200, "action": switch(0)},
            {"x": 1250, "y": 0, "width": 1250, "height": 200, "action": switch(1)},
         ]},
    ]})
}

/// What LINE (line-fake) has, through its own API.
pub async fn line(t: &TestApp, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", t.fake.base))
        .bearer_auth(CHANNEL_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(Value::Null)
}

pub async fn aliases(t: &TestApp) -> Vec<(String, String)> {
    let list = line(t, "/v2/bot/richmenu/alias/list").await;
    let mut out: Vec<(String, String)> = list["aliases"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            (
                a["richMenuAliasId"].as_str().unwrap_or("").to_string(),
                a["richMenuId"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

pub async fn menus_on_line(t: &TestApp) -> Vec<String> {
    let mut ids: Vec<String> = line(t, "/v2/bot/richmenu/list").await["richmenus"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| m["richMenuId"].as_str().unwrap_or("").to_string())
        .collect();
    ids.sort();
    ids
}

/// Publishes and waits for the job; returns the publish's final state.
pub async fn publish(t: &TestApp, s: &Session, id: i64, version: i64) -> Value {
    let r = s
        .gql(
            "mutation($id: Int!, $v: Int!) { publishRichMenu(id: $id, version: $v) { id state } }",
            json!({"id": id, "v": version}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let pid = r["data"]["publishRichMenu"]["id"].as_i64().unwrap();
    // A second delivery of the same job does nothing (one worker takes it).
    tenohira::richmenu::publish::run(&t.app, pid).await.unwrap();
    let q =
        "query($id: Int!) { richMenuPublish(id: $id) { state step problems { field message } } }";
    t.eventually(20, "the publish to finish", || async {
        let r = s.gql(q, json!({"id": pid})).await;
        matches!(
            r["data"]["richMenuPublish"]["state"].as_str(),
            Some("DONE" | "FAILED")
        )
    })
    .await;
    s.gql(q, json!({"id": pid})).await["data"]["richMenuPublish"].clone()
}

pub async fn save(s: &Session, id: i64, def: Value) -> i64 {
    let r = s
        .gql(
            "mutation($id: Int!, $d: RichMenuDefinitionInput!) { saveRichMenuDraft(id: $id, input: {name: \"県のメニュー\", audience: DEFAULT, definition: $d}) { version } }",
            json!({"id": id, "d": def}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["saveRichMenuDraft"]["version"].as_i64().unwrap()
}

/// The app with its workers, and a PR staff member with richmenu.manage.
pub async fn app() -> (TestApp, Session) {
    let t = TestApp::spawn_with(Options {
        with_workers: true,
        ..Default::default()
    })
    .await;
    let s = t.signed_in("pr-staff", &[Permission::RichmenuManage]).await;
    (t, s)
}

/// Creates the default menu; returns its id and what staff were told.
pub async fn create(s: &Session, def: Value) -> (i64, Value) {
    let r = s
        .gql(
            "mutation($d: RichMenuDefinitionInput!) { createRichMenu(input: {name: \"県のメニュー\", audience: DEFAULT, definition: $d}) { menu { id liveVersion } notices } }",
            json!({"d": def}),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    assert!(r["data"]["createRichMenu"]["menu"]["liveVersion"].is_null());
    let saved = &r["data"]["createRichMenu"];
    (
        saved["menu"]["id"].as_i64().unwrap(),
        saved["notices"].clone(),
    )
}
