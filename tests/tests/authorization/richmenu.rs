//! Rich menus: every field needs richmenu.manage (the PR division).

use serde_json::{Value, json};
use tenohira::auth::Permission::*;

use super::{Fixture, Op};

/// A one-page menu over the fixture's menu image, with `areas` areas.
pub fn definition(f: &Fixture, areas: usize) -> Value {
    let areas: Vec<Value> = (0..areas)
        .map(|i| {
            json!({"x": i * 100, "y": 0, "width": 100, "height": 100,
                   "action": {"kind": "MESSAGE", "text": "ごみの出し方"}})
        })
        .collect();
    json!({"pages": [{"name": "くらし", "width": 2500, "height": 843,
        "chatBarText": "メニュー", "image": f.menu_image, "areas": areas}]})
}

/// A one-row template of `columns` tiles.
fn template(columns: usize) -> Value {
    let tiles: Vec<Value> = (0..columns)
        .map(|_| json!({"label": "防災情報", "icon": "防"}))
        .collect();
    json!({"tabs": [], "activeTab": 0, "columns": columns, "rows": 1, "tiles": tiles})
}

pub fn ops() -> Vec<Op> {
    vec![
        Op {
            field: "richMenus",
            permission: RichmenuManage,
            query: "{ richMenus { id name audience liveVersion versions { version live definition { pages { name areas { action { kind } } } } } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "richMenu",
            permission: RichmenuManage,
            query: "query($id: Int!) { richMenu(id: $id) { id name } }",
            vars: |f| json!({"id": f.rich_menu}),
            audit: None,
            also: &[],
        },
        Op {
            field: "createRichMenu",
            permission: RichmenuManage,
            query: "mutation($d: RichMenuDefinitionInput!) { createRichMenu(input: {name: \"新しいメニュー\", definition: $d}) { menu { id } } }",
            vars: |f| json!({"d": definition(f, 2)}),
            audit: Some("richmenu.create"),
            also: &[],
        },
        Op {
            field: "saveRichMenuDraft",
            permission: RichmenuManage,
            query: "mutation($id: Int!, $d: RichMenuDefinitionInput!) { saveRichMenuDraft(id: $id, input: {name: \"権限確認\", definition: $d}) { version } }",
            vars: |f| json!({"id": f.rich_menu, "d": definition(f, 3)}),
            audit: Some("richmenu.save"),
            also: &[],
        },
        Op {
            field: "publishRichMenu",
            permission: RichmenuManage,
            query: "mutation($id: Int!) { publishRichMenu(id: $id, version: 1) { id state } }",
            vars: |f| json!({"id": f.rich_menu}),
            audit: Some("richmenu.publish"),
            also: &[],
        },
        Op {
            field: "createRichMenuFromTemplate",
            permission: RichmenuManage,
            query: "mutation { createRichMenuFromTemplate(name: \"テンプレートから\", withTabs: false) { menu { id } } }",
            vars: |_| json!({}),
            audit: Some("richmenu.create"),
            also: &[],
        },
        Op {
            field: "drawRichMenuImage",
            permission: RichmenuManage,
            query: "mutation($t: RichMenuTemplateInput!) { drawRichMenuImage(template: $t, width: 2500, height: 843) { image url } }",
            vars: |_| json!({"t": template(1)}),
            audit: None,
            also: &[],
        },
        Op {
            field: "richMenuDisasterMode",
            permission: RichmenuManage,
            query: "{ richMenuDisasterMode { on lastSwitch { state residentsMoved } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "setRichMenuDisasterMode",
            permission: RichmenuManage,
            query: "mutation { setRichMenuDisasterMode(on: false) { id state } }",
            vars: |_| json!({}),
            audit: Some("richmenu.disaster"),
            also: &[],
        },
        Op {
            field: "richMenuTaps",
            permission: RichmenuManage,
            query: "query($id: Int!) { richMenuTaps(menuId: $id, from: \"2026-12-01\", to: \"2026-12-31\") { version page area label day taps } }",
            vars: |f| json!({"id": f.rich_menu}),
            audit: None,
            also: &[],
        },
        Op {
            field: "richMenuPublish",
            permission: RichmenuManage,
            query: "{ richMenuPublish(id: 1) { id state step problems { field message } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
    ]
}

pub fn bad_inputs(
    f: &Fixture,
    _me: &str,
) -> Vec<(&'static str, &'static str, Value, &'static str)> {
    let mut outside = definition(f, 1);
    outside["pages"][0]["areas"][0]["x"] = json!(2450);
    let mut long_bar = definition(f, 1);
    long_bar["pages"][0]["chatBarText"] = json!("十五文字を超えるメニューバーのテキスト");
    let mut no_image = definition(f, 1);
    no_image["pages"][0]["image"] = json!("00000000-0000-0000-0000-000000000001");
    let mut switch_out = definition(f, 1);
    switch_out["pages"][0]["areas"][0]["action"] = json!({"kind": "SWITCH", "tab": 3});
    let create = "mutation($d: RichMenuDefinitionInput!) { createRichMenu(input: {name: \"だめ\", definition: $d}) { menu { id } } }";
    vec![
        (
            "createRichMenu",
            create,
            json!({"d": definition(f, 21)}),
            "input.definition.pages[0].areas",
        ),
        (
            "createRichMenu",
            create,
            json!({"d": outside}),
            "input.definition.pages[0].areas[0].x",
        ),
        (
            "createRichMenu",
            create,
            json!({"d": long_bar}),
            "input.definition.pages[0].chatBarText",
        ),
        (
            "createRichMenu",
            create,
            json!({"d": no_image}),
            "input.definition.pages[0].image",
        ),
        (
            "createRichMenu",
            create,
            json!({"d": switch_out}),
            "input.definition.pages[0].areas[0].action.tab",
        ),
        (
            "saveRichMenuDraft",
            "mutation($id: Int!, $d: RichMenuDefinitionInput!) { saveRichMenuDraft(id: $id, input: {name: \"既定\", audience: SEGMENT, definition: $d}) { version } }",
            json!({"id": f.rich_menu, "d": definition(f, 1)}),
            "input.segmentId",
        ),
        (
            "createRichMenuFromTemplate",
            "mutation { createRichMenuFromTemplate(name: \" \", withTabs: true) { menu { id } } }",
            json!({}),
            "name",
        ),
        (
            "drawRichMenuImage",
            "mutation($t: RichMenuTemplateInput!) { drawRichMenuImage(template: $t, width: 700, height: 843) { image } }",
            json!({"t": template(1)}),
            "width",
        ),
        (
            "setRichMenuDisasterMode",
            "mutation { setRichMenuDisasterMode(on: true) { id } }",
            json!({}),
            "on",
        ),
        (
            "richMenuTaps",
            "query($id: Int!) { richMenuTaps(menuId: $id, from: \"2026-12-31\", to: \"2026-12-01\") { taps } }",
            json!({"id": f.rich_menu}),
            "to",
        ),
        (
            "publishRichMenu",
            "mutation($id: Int!) { publishRichMenu(id: $id, version: 99) { id } }",
            json!({"id": f.rich_menu}),
            "version",
        ),
    ]
}
