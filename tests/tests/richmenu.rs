//! Rich menus against line-fake: a tab set published (LINE menus created,
//! images uploaded, aliases and the default moved), an edit published
//! without a broken moment, a rollback that reuses the earlier menus, the
//! cleanup of LINE menus no version needs, and a publish LINE refuses that
//! leaves the previous version live with nothing left behind.

mod richmenu_support;

use richmenu_support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_tab_set_is_published_edited_rolled_back_and_cleaned_up_on_line() {
    let (t, s) = app().await;
    let image = stored(&t, png(2500, 843)).await;
    let (id, _) = create(&s, tabs(&image, "ごみの出し方")).await;
    assert!(menus_on_line(&t).await.is_empty(), "a draft is not on LINE");

    // Version 1: two LINE menus, an alias per tab, the first as the default.
    let done = publish(&t, &s, id, 1).await;
    assert_eq!(done["state"], "DONE", "{done}");
    let v1 = menus_on_line(&t).await;
    assert_eq!(v1.len(), 2);
    let a1 = aliases(&t).await;
    assert_eq!(
        a1.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        [format!("tenohira-{id}-0"), format!("tenohira-{id}-1")]
    );
    let default = line(&t, "/v2/bot/user/all/richmenu").await["richMenuId"].clone();
    assert_eq!(default, json!(a1[0].1), "the first tab is the default");
    let first = line(&t, &format!("/v2/bot/richmenu/{}", a1[0].1)).await;
    assert_eq!(first["areas"][1]["action"]["type"], "richmenuswitch");
    assert_eq!(first["areas"][1]["action"]["richMenuAliasId"], a1[1].0);
    // The card's link goes through the counting redirect on our domain.
    assert!(
        first["areas"][3]["action"]["uri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/r/m/{id}/1/0/3")),
        "{first}"
    );

    // An edit is a new version; publishing it moves the aliases, v1 stays for rollback.
    assert_eq!(save(&s, id, tabs(&image, "子育て支援")).await, 2);
    assert_eq!(publish(&t, &s, id, 2).await["state"], "DONE");
    let a2 = aliases(&t).await;
    assert!(
        a2.iter().zip(&a1).all(|(n, o)| n.0 == o.0 && n.1 != o.1),
        "{a1:?} → {a2:?}"
    );
    assert_eq!(
        menus_on_line(&t).await.len(),
        4,
        "v1's menus kept for a rollback"
    );

    // Rollback to v1 reuses its menus: nothing created.
    assert_eq!(publish(&t, &s, id, 1).await["state"], "DONE");
    assert_eq!(aliases(&t).await, a1);
    assert_eq!(menus_on_line(&t).await.len(), 4);
    // Publishing the live version again (a repair) deletes nothing: v2 stays the rollback.
    assert_eq!(publish(&t, &s, id, 1).await["state"], "DONE");
    assert_eq!(menus_on_line(&t).await.len(), 4);

    // A third version: the menus of v2 (neither live nor the one before) go.
    assert_eq!(save(&s, id, tabs(&image, "防災")).await, 3);
    assert_eq!(publish(&t, &s, id, 3).await["state"], "DONE");
    let now = menus_on_line(&t).await;
    assert_eq!(now.len(), 4, "v3 and v1 (the one before): {now:?}");
    assert!(
        a2.iter().all(|(_, m)| !now.contains(m)),
        "v2's LINE menus deleted"
    );
    let r = s
        .gql(
            "query($id: Int!) { richMenu(id: $id) { liveVersion versions { version live publishedAt } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["data"]["richMenu"]["liveVersion"], 3, "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_image_is_refused_at_save_and_a_publish_line_refuses_leaves_nothing_behind() {
    let (t, s) = app().await;
    let image = stored(&t, png(2500, 843)).await;
    let (id, _) = create(&s, tabs(&image, "ごみ")).await;
    assert_eq!(publish(&t, &s, id, 1).await["state"], "DONE");
    let before = (menus_on_line(&t).await, aliases(&t).await);

    // An image of the wrong size is refused at save, with the page's path.
    let wrong = stored(&t, png(2500, 1686)).await;
    let r = s
        .gql(
            "mutation($id: Int!, $d: RichMenuDefinitionInput!) { saveRichMenuDraft(id: $id, input: {name: \"県のメニュー\", audience: DEFAULT, definition: $d}) { version } }",
            json!({"id": id, "d": tabs(&wrong, "ごみ")}),
        )
        .await;
    assert_eq!(
        r["errors"][0]["extensions"]["field"], "input.definition.pages[0].image",
        "{r}"
    );
    assert_eq!(
        (menus_on_line(&t).await, aliases(&t).await),
        before,
        "nothing reached LINE"
    );

    // LINE refuses the second page: the account is at its 1,000 menus.
    assert_eq!(save(&s, id, tabs(&image, "子育て")).await, 2);
    t.fake
        .post("/_fake/rate-limits", json!({"richmenu.create": null}))
        .await;
    let filler = json!({"size": {"width": 2500, "height": 843}, "selected": false, "name": "埋め草",
        "chatBarText": "メニュー", "areas": [{"bounds": {"x": 0, "y": 0, "width": 100, "height": 100},
        "action": {"type": "message", "text": "a"}}]});
    let have = menus_on_line(&t).await.len();
    for _ in have..999 {
        t.app.line.richmenu_create(&filler).await.unwrap();
    }
    let before = (menus_on_line(&t).await, aliases(&t).await);
    assert_eq!(before.0.len(), 999);
    let failed = publish(&t, &s, id, 2).await;
    assert_eq!(failed["state"], "FAILED", "{failed}");
    assert!(
        failed["problems"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("pages[1]"),
        "{failed}"
    );
    assert_eq!(
        (menus_on_line(&t).await, aliases(&t).await),
        before,
        "the first page's new menu deleted, the aliases where they were"
    );
    let r = s
        .gql(
            "query($id: Int!) { richMenu(id: $id) { liveVersion } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["data"]["richMenu"]["liveVersion"], 1);
}

/// A PNG over 1 MB (a gradient with fine grain: PNG compresses it badly, JPEG well).
fn heavy_png(w: u32, h: u32) -> Vec<u8> {
    let mut seed: u32 = 0x9e37_79b9;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let grain = (seed % 12) as u8;
        image::Rgb([
            ((x / 11) as u8).saturating_add(grain),
            ((y / 4) as u8).saturating_add(grain),
            120 + grain,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversize_png_is_re_encoded_to_fit_and_the_staff_member_is_told() {
    let (t, s) = app().await;
    let big = heavy_png(2500, 843);
    assert!(
        big.len() > 1024 * 1024,
        "the test image is {} bytes",
        big.len()
    );
    let image = stored(&t, big).await;
    let (id, notices) = create(&s, tabs(&image, "ごみ")).await;
    assert!(
        notices[0].as_str().unwrap().contains("JPEGに変換"),
        "{notices}"
    );
    let r = s
        .gql(
            "query($id: Int!) { richMenu(id: $id) { versions { definition { pages { image } } } } }",
            json!({"id": id}),
        )
        .await;
    let kept = r["data"]["richMenu"]["versions"][0]["definition"]["pages"][0]["image"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(kept, image, "the page names the re-encoded image");
    let bytes = tenohira::richmenu::image::bytes(&t.app, kept.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(bytes.len() <= 1024 * 1024 && bytes.starts_with(&[0xff, 0xd8]));
    // LINE takes it.
    assert_eq!(publish(&t, &s, id, 1).await["state"], "DONE");
}

#[tokio::test(flavor = "multi_thread")]
async fn publishing_stays_inside_lines_hourly_creation_limit_and_says_so() {
    let (t, s) = app().await;
    let image = stored(&t, png(2500, 843)).await;
    let (id, _) = create(&s, tabs(&image, "ごみ")).await;
    // 89 creations in the last hour already: two more pages would pass 90.
    {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(format!(
            "INSERT INTO rich_menu_publishes (menu_id, version, state, claimed_at, created_menus, finished_at) \
             VALUES ({id}, 1, 'done', now() - interval '10 minutes', 89, now())"
        ))
        .execute(&mut t.db().await)
        .await
        .unwrap();
    }
    let failed = publish(&t, &s, id, 1).await;
    assert_eq!(failed["state"], "FAILED", "{failed}");
    assert_eq!(failed["problems"][0]["field"], "pages");
    assert!(
        failed["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1時間に100件"),
        "{failed}"
    );
    assert!(menus_on_line(&t).await.is_empty(), "nothing created");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_release_proposals_are_drawn_from_templates_and_their_texts_can_be_redrawn() {
    let (t, s) = app().await;
    assert!(tenohira::richmenu::demo::seed(&t.app).await.unwrap());
    assert!(
        !tenohira::richmenu::demo::seed(&t.app).await.unwrap(),
        "once"
    );
    let r = s
        .gql(
            "{ richMenus { id name audience liveVersion versions { definition { pages { name image width height areas { action { kind } } template { tabs activeTab columns rows tiles { label icon } } } } } } }",
            json!({}),
        )
        .await;
    let menus = r["data"]["richMenus"].as_array().unwrap().clone();
    let names: Vec<&str> = menus.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["提案A（タブあり）", "提案B（タブなし）", "災害時メニュー"]
    );
    let a = &menus[0]["versions"][0]["definition"]["pages"];
    assert_eq!(a.as_array().unwrap().len(), 3, "three tabs");
    assert_eq!(
        a[1]["template"]["tabs"],
        json!(["くらし・防災", "子育て", "手続き"])
    );
    assert_eq!(a[1]["template"]["activeTab"], 1);
    assert_eq!(
        menus[1]["versions"][0]["definition"]["pages"][0]["template"]["tabs"],
        json!([]),
        "proposal B has no tabs"
    );
    // Each image is downloadable: a PNG of the page's size, under LINE's 1 MB.
    for m in &menus {
        for p in m["versions"][0]["definition"]["pages"].as_array().unwrap() {
            let r = s
                .get(&format!("/media/{}", p["image"].as_str().unwrap()))
                .await;
            assert_eq!(r.status(), 200);
            let bytes = r.bytes().await.unwrap();
            assert!(bytes.len() <= 1024 * 1024, "{} bytes", bytes.len());
            let img = image::load_from_memory(&bytes).unwrap();
            assert_eq!(
                (i64::from(img.width()), i64::from(img.height())),
                (p["width"].as_i64().unwrap(), p["height"].as_i64().unwrap())
            );
        }
    }
    // Proposal A and the disaster menu were published; A is the default.
    t.eventually(30, "the seeded menus to go live", || async {
        let r = s.gql("{ richMenus { liveVersion } }", json!({})).await;
        r["data"]["richMenus"][0]["liveVersion"] == 1
            && r["data"]["richMenus"][2]["liveVersion"] == 1
    })
    .await;
    let shown = line(&t, "/v2/bot/user/all/richmenu").await["richMenuId"].clone();
    let first_tab = aliases(&t)
        .await
        .into_iter()
        .find(|(a, _)| a.ends_with(&format!("-{}-0", menus[0]["id"])))
        .unwrap()
        .1;
    assert_eq!(shown, json!(first_tab));

    // A label edited and the image drawn again: a new picture of the same size.
    let mut template = a[0]["template"].clone();
    template["tiles"][0]["label"] = json!("防災・気象");
    let draw = "mutation($t: RichMenuTemplateInput!) { drawRichMenuImage(template: $t, width: 2500, height: 1686) { image url } }";
    let r = s.gql(draw, json!({"t": template})).await;
    assert!(r["errors"].is_null(), "{r}");
    let drawn = &r["data"]["drawRichMenuImage"];
    assert_ne!(drawn["image"], a[0]["image"]);
    let again = s
        .get(drawn["url"].as_str().unwrap())
        .await
        .bytes()
        .await
        .unwrap();
    let before = s
        .get(&format!("/media/{}", a[0]["image"].as_str().unwrap()))
        .await
        .bytes()
        .await
        .unwrap();
    assert_ne!(again, before, "the new label is in the picture");

    // Bad templates are refused with the field's path.
    for (change, field) in [
        (json!({"columns": 5}), "template.columns"),
        (json!({"tiles": []}), "template.tiles"),
        (json!({"tabs": ["ひとつ"]}), "template.tabs"),
    ] {
        let mut bad = template.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let r = s.gql(draw, json!({"t": bad})).await;
        assert_eq!(
            r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{r}"
        );
        assert_eq!(r["errors"][0]["extensions"]["field"], field, "{r}");
    }
    let mut long = template.clone();
    long["tiles"][2]["label"] = json!("とても長いラベルの文字列です");
    let r = s.gql(draw, json!({"t": long})).await;
    assert_eq!(
        r["errors"][0]["extensions"]["field"], "template.tiles[2].label",
        "{r}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_whose_line_menus_are_gone_creates_them_again() {
    let (t, s) = app().await;
    let image = stored(&t, png(2500, 843)).await;
    let (id, _) = create(&s, tabs(&image, "ごみ")).await;
    assert_eq!(publish(&t, &s, id, 1).await["state"], "DONE");
    let v1 = menus_on_line(&t).await;
    assert_eq!(save(&s, id, tabs(&image, "子育て")).await, 2);
    assert_eq!(publish(&t, &s, id, 2).await["state"], "DONE");
    // Someone deletes v1's menus in the Official Account Manager.
    for m in &v1 {
        t.app.line.richmenu_delete(m).await.unwrap();
    }
    let done = publish(&t, &s, id, 1).await;
    assert_eq!(done["state"], "DONE", "{done}");
    let now = aliases(&t).await;
    assert!(
        now.iter().all(|(_, m)| !v1.contains(m)),
        "new menus, not the deleted ones: {now:?}"
    );
    // Every alias leads to a menu LINE has.
    let on_line = menus_on_line(&t).await;
    assert!(
        now.iter().all(|(_, m)| on_line.contains(m)),
        "{now:?} {on_line:?}"
    );
}
