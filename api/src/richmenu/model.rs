//! A rich menu as staff draw it: one page, or a tab set of 2–4 pages whose
//! areas switch between them. The same types are stored (JSONB), taken as
//! GraphQL input and given back, and every LINE rule is checked here, with
//! the field path, before anything reaches LINE.

use async_graphql::{Enum, InputObject, SimpleObject};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::Problems;

/// LINE's limits (LINE-PLATFORM.md, "Rich menus").
pub const MAX_AREAS: usize = 20;
pub const MAX_CHAT_BAR: usize = 14;
pub const MAX_PAGES: usize = 4;
pub const MAX_NAME: usize = 300;
const MAX_TEXT: usize = 300;
const MAX_DATA: usize = 300;
const MAX_URI: usize = 1000;
const MIN_WIDTH: u32 = 800;
const MAX_WIDTH: u32 = 2500;
const MIN_HEIGHT: u32 = 250;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "RichMenuDefinition", input_name = "RichMenuDefinitionInput")]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    /// One page (a plain menu) or 2–4 (tabs, switched by `SWITCH` areas).
    pub pages: Vec<Page>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "RichMenuPage", input_name = "RichMenuPageInput")]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// The tab's name in the console (LINE's menu name).
    pub name: String,
    /// 800–2500 px wide, at least 250 high, width/height ≥ 1.45 (2500×1686 or 2500×843 as a rule).
    pub width: i32,
    pub height: i32,
    /// The text on the chat bar that opens the menu (≤ 14 characters).
    pub chat_bar_text: String,
    /// The uploaded image (`POST /media`): JPEG or PNG of exactly this size, ≤ 1 MB.
    pub image: Option<Uuid>,
    pub areas: Vec<Area>,
    /// The template the image was drawn from (its texts can be edited and
    /// the image drawn again: `drawRichMenuImage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<super::template::Template>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "RichMenuArea", input_name = "RichMenuAreaInput")]
#[serde(rename_all = "camelCase")]
pub struct Area {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
    pub action: Action,
}

/// What a tap does. Only the fields of its kind are used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "RichMenuAction", input_name = "RichMenuActionInput")]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub kind: ActionKind,
    /// LIFF: which of our pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liff: Option<LiffPage>,
    /// URI: an https address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// MESSAGE: the text the resident sends (the chatbot answers it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// POSTBACK: the data the webhook carries (a chatbot scenario: `scenario:start:<id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// SWITCH: the page (0-based) of this tab set to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab: Option<i32>,
    /// The area's label for screen readers and the statistics (LINE's action label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[graphql(name = "RichMenuActionKind")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionKind {
    Liff,
    Uri,
    Message,
    Postback,
    Switch,
}

/// The residents' pages of ours a menu can open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[graphql(name = "RichMenuLiffPage")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LiffPage {
    /// 受信設定
    Settings,
    /// パパ・ママ応援ショップ優待カード
    Card,
    /// デジタルパス
    Pass,
}

impl LiffPage {
    /// The page's address under the LIFF app's base URL.
    pub fn url(self, liff_base: &str) -> String {
        let base = liff_base.trim_end_matches('/');
        match self {
            Self::Settings => format!("{base}/"),
            Self::Card => format!("{base}/card"),
            Self::Pass => format!("{base}/pass"),
        }
    }
}

/// What is wrong with a menu size LINE would refuse.
pub fn size_problem(w: i32, h: i32) -> Option<&'static str> {
    let ok = (MIN_WIDTH as i32..=MAX_WIDTH as i32).contains(&w)
        && h >= MIN_HEIGHT as i32
        && f64::from(w) / f64::from(h) >= 1.45;
    (!ok).then_some(
        "大きさは幅800〜2500px・高さ250px以上、幅÷高さ1.45以上にしてください（通常は2500×1686か2500×843）",
    )
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

impl Definition {
    /// Every problem, each with its path under `field` (e.g.
    /// `input.definition.pages[0].areas[3].action.uri`). Images are checked
    /// against the store separately (`image::check`).
    pub fn problems(&self, field: &str, p: &mut Problems) {
        let pages = self.pages.len();
        if pages == 0 || pages > MAX_PAGES {
            p.add(
                format!("{field}.pages"),
                format!("ページは1〜{MAX_PAGES}枚にしてください（2枚以上でタブ切り替え）"),
            );
        }
        for (i, page) in self.pages.iter().enumerate() {
            page.problems(&format!("{field}.pages[{i}]"), pages, p);
        }
    }

    /// Whether the pages are tabs (linked by aliases and switch actions).
    pub fn tabbed(&self) -> bool {
        self.pages.len() > 1
    }

    /// The uploaded images every page names.
    pub fn images(&self) -> Vec<Uuid> {
        self.pages.iter().filter_map(|p| p.image).collect()
    }
}

impl Page {
    fn problems(&self, field: &str, pages: usize, p: &mut Problems) {
        if let Some(t) = &self.template {
            t.problems(&format!("{field}.template"), p);
        }
        let name = self.name.trim();
        p.check(
            !name.is_empty() && chars(name) <= MAX_NAME,
            &format!("{field}.name"),
            &format!("名前を1〜{MAX_NAME}文字で入力してください"),
        );
        let bar = self.chat_bar_text.trim();
        p.check(
            !bar.is_empty() && chars(bar) <= MAX_CHAT_BAR,
            &format!("{field}.chatBarText"),
            &format!("メニューバーのテキストは1〜{MAX_CHAT_BAR}文字にしてください"),
        );
        let (w, h) = (self.width, self.height);
        let size_problem = size_problem(w, h);
        let size_ok = size_problem.is_none();
        if let Some(m) = size_problem {
            p.add(format!("{field}.width"), m);
        }
        p.check(
            self.image.is_some(),
            &format!("{field}.image"),
            "画像をアップロードしてください",
        );
        if self.areas.is_empty() || self.areas.len() > MAX_AREAS {
            p.add(
                format!("{field}.areas"),
                format!("タップ領域は1〜{MAX_AREAS}個にしてください"),
            );
        }
        for (i, a) in self.areas.iter().enumerate() {
            let at = format!("{field}.areas[{i}]");
            if size_ok && !a.inside(w, h) {
                p.add(
                    format!("{at}.x"),
                    format!("領域{}が画像（{w}×{h}）からはみ出しています", i + 1),
                );
            }
            if let Some(j) = self.areas[..i].iter().position(|b| a.overlaps(b)) {
                p.add(
                    format!("{at}.x"),
                    format!("領域{}が領域{}と重なっています", i + 1, j + 1),
                );
            }
            a.action.problems(&format!("{at}.action"), pages, p);
        }
    }
}

impl Area {
    fn inside(&self, w: i32, h: i32) -> bool {
        self.x >= 0
            && self.y >= 0
            && self.width > 0
            && self.height > 0
            && self.x.checked_add(self.width).is_some_and(|r| r <= w)
            && self.y.checked_add(self.height).is_some_and(|b| b <= h)
    }

    fn overlaps(&self, o: &Area) -> bool {
        let (r1, b1) = (
            self.x.saturating_add(self.width),
            self.y.saturating_add(self.height),
        );
        let (r2, b2) = (o.x.saturating_add(o.width), o.y.saturating_add(o.height));
        self.x < r2 && o.x < r1 && self.y < b2 && o.y < b1
    }
}

impl Action {
    fn problems(&self, field: &str, pages: usize, p: &mut Problems) {
        let filled = |v: &Option<String>, max: usize| {
            v.as_deref()
                .map(str::trim)
                .is_some_and(|s| !s.is_empty() && chars(s) <= max)
        };
        match self.kind {
            ActionKind::Liff => p.check(
                self.liff.is_some(),
                &format!("{field}.liff"),
                "開くページを選んでください",
            ),
            ActionKind::Uri => {
                let uri = self.uri.as_deref().unwrap_or("").trim();
                let ok = chars(uri) <= MAX_URI
                    && reqwest::Url::parse(uri)
                        .is_ok_and(|u| u.scheme() == "https" && u.host().is_some());
                p.check(
                    ok,
                    &format!("{field}.uri"),
                    "https:// で始まるURLを入力してください",
                );
            }
            ActionKind::Message => p.check(
                filled(&self.text, MAX_TEXT),
                &format!("{field}.text"),
                &format!("送信するテキストを1〜{MAX_TEXT}文字で入力してください"),
            ),
            ActionKind::Postback => p.check(
                filled(&self.data, MAX_DATA),
                &format!("{field}.data"),
                &format!("ポストバックのデータを1〜{MAX_DATA}文字で入力してください"),
            ),
            ActionKind::Switch => {
                let ok = pages > 1 && self.tab.is_some_and(|t| t >= 0 && (t as usize) < pages);
                p.check(
                    ok,
                    &format!("{field}.tab"),
                    "切り替え先は、このタブセットのページを選んでください",
                );
            }
        }
        if let Some(l) = &self.label {
            p.check(
                chars(l) <= 20,
                &format!("{field}.label"),
                "ラベルは20文字以内にしてください",
            );
        }
    }
}

/// What LINE needs to build one page: its rich-menu object. `alias(i)` names
/// page `i`'s alias (tabs switch through aliases); `liff_base` is the LIFF
/// app's address; `tap_url(page, area)` the counting redirect a link goes
/// through; `tap_data(page, area)` the postback data a tab switch carries
/// (counted by the webhook).
pub struct LineContext<'a> {
    pub liff_base: &'a str,
    pub alias: &'a dyn Fn(usize) -> String,
    pub tap_url: &'a dyn Fn(usize, usize) -> String,
    pub tap_data: &'a dyn Fn(usize, usize) -> String,
}

impl Page {
    pub fn to_line(&self, index: usize, selected: bool, cx: &LineContext<'_>) -> Value {
        let areas: Vec<Value> = self
            .areas
            .iter()
            .enumerate()
            .map(|(i, a)| {
                json!({
                    "bounds": { "x": a.x, "y": a.y, "width": a.width, "height": a.height },
                    "action": a.action.to_line(index, i, cx),
                })
            })
            .collect();
        json!({
            "size": { "width": self.width, "height": self.height },
            "selected": selected,
            "name": self.name.trim(),
            "chatBarText": self.chat_bar_text.trim(),
            "areas": areas,
        })
    }
}

impl Action {
    /// Where a link action leads (the counting redirect sends the resident there).
    pub fn link(&self, liff_base: &str) -> Option<String> {
        match self.kind {
            ActionKind::Liff => Some(self.liff.unwrap_or(LiffPage::Settings).url(liff_base)),
            ActionKind::Uri => Some(self.uri.as_deref().unwrap_or("").trim().to_string()),
            _ => None,
        }
    }

    /// What the area does, in a few words (statistics, CSV).
    pub fn describe(&self, pages: &[Page]) -> String {
        if let Some(l) = self
            .label
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            return l.to_string();
        }
        let text = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
        match self.kind {
            ActionKind::Liff => match self.liff.unwrap_or(LiffPage::Settings) {
                LiffPage::Settings => "受信設定".into(),
                LiffPage::Card => "優待カード".into(),
                LiffPage::Pass => "デジタルパス".into(),
            },
            ActionKind::Uri => text(&self.uri),
            ActionKind::Message => format!("メッセージ「{}」", text(&self.text)),
            ActionKind::Postback => format!("ポストバック {}", text(&self.data)),
            ActionKind::Switch => {
                let tab = self.tab.unwrap_or(0).max(0) as usize;
                let name = pages.get(tab).map(|p| p.name.trim()).unwrap_or("");
                format!("タブ「{name}」")
            }
        }
    }

    fn to_line(&self, page: usize, area: usize, cx: &LineContext<'_>) -> Value {
        let mut v = match self.kind {
            ActionKind::Liff | ActionKind::Uri => {
                json!({ "type": "uri", "uri": (cx.tap_url)(page, area) })
            }
            ActionKind::Message => {
                json!({ "type": "message", "text": self.text.as_deref().unwrap_or("").trim() })
            }
            ActionKind::Postback => json!({
                "type": "postback",
                "data": self.data.as_deref().unwrap_or("").trim(),
            }),
            ActionKind::Switch => {
                let tab = self.tab.unwrap_or(0).max(0) as usize;
                json!({
                    "type": "richmenuswitch",
                    "richMenuAliasId": (cx.alias)(tab),
                    // Counted by the webhook like a postback.
                    "data": (cx.tap_data)(page, area),
                })
            }
        };
        if let Some(l) = self
            .label
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            v["label"] = json!(l);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(x: i32, y: i32, w: i32, h: i32, action: Action) -> Area {
        Area {
            x,
            y,
            width: w,
            height: h,
            action,
        }
    }

    fn act(kind: ActionKind) -> Action {
        Action {
            kind,
            liff: None,
            uri: None,
            text: None,
            data: None,
            tab: None,
            label: None,
        }
    }

    fn page(areas: Vec<Area>) -> Page {
        Page {
            name: "くらし".into(),
            width: 2500,
            height: 1686,
            chat_bar_text: "メニュー".into(),
            image: Some(Uuid::nil()),
            areas,
            template: None,
        }
    }

    fn fields(d: &Definition) -> Vec<String> {
        let mut p = Problems::new();
        d.problems("input.definition", &mut p);
        match p.into_result() {
            Ok(()) => vec![],
            Err(crate::error::AppError::BadInput(errs)) => {
                errs.into_iter().map(|e| e.field).collect()
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_good_tab_set_passes_and_switches_through_aliases() {
        let mut to_second = act(ActionKind::Switch);
        to_second.tab = Some(1);
        let mut liff = act(ActionKind::Liff);
        liff.liff = Some(LiffPage::Card);
        let d = Definition {
            pages: vec![
                page(vec![
                    area(0, 0, 1250, 1686, to_second),
                    area(1250, 0, 1250, 1686, liff),
                ]),
                page(vec![area(0, 0, 2500, 843, act(ActionKind::Switch))]),
            ],
        };
        // The second page's switch has no tab yet.
        assert_eq!(
            fields(&d),
            ["input.definition.pages[1].areas[0].action.tab"]
        );
        let alias = |i: usize| format!("m1-p{i}");
        let tap = |p: usize, a: usize| format!("https://x/r/{p}/{a}");
        let data = |p: usize, a: usize| format!("richmenu:7:1:{p}:{a}");
        let cx = LineContext {
            liff_base: "https://liff.line.me/123-abc",
            alias: &alias,
            tap_url: &tap,
            tap_data: &data,
        };
        let line = d.pages[0].to_line(0, true, &cx);
        assert_eq!(line["areas"][0]["action"]["richMenuAliasId"], "m1-p1");
        assert_eq!(line["areas"][0]["action"]["type"], "richmenuswitch");
        assert_eq!(line["areas"][0]["action"]["data"], "richmenu:7:1:0:0");
        // Links go through the counting redirect, which knows where they lead.
        assert_eq!(line["areas"][1]["action"]["uri"], "https://x/r/0/1");
        assert_eq!(
            d.pages[0].areas[1]
                .action
                .link("https://liff.line.me/123-abc")
                .as_deref(),
            Some("https://liff.line.me/123-abc/card")
        );
        assert_eq!(line["chatBarText"], "メニュー");
    }

    #[test]
    fn every_line_rule_is_checked_with_its_path() {
        let mut uri = act(ActionKind::Uri);
        uri.uri = Some("http://example.jp".into());
        let mut p = page(vec![
            area(2000, 0, 600, 100, act(ActionKind::Message)),
            area(2100, 50, 100, 100, uri),
        ]);
        p.chat_bar_text = "十五文字を超えるメニューバーのテキスト".into();
        let d = Definition { pages: vec![p] };
        assert_eq!(
            fields(&d),
            [
                "input.definition.pages[0].chatBarText",
                "input.definition.pages[0].areas[0].x",
                "input.definition.pages[0].areas[0].action.text",
                "input.definition.pages[0].areas[1].x",
                "input.definition.pages[0].areas[1].action.uri",
            ]
        );
        let many = Definition {
            pages: vec![page(
                (0..21)
                    .map(|i| area(i * 100, 0, 100, 100, act(ActionKind::Postback)))
                    .collect(),
            )],
        };
        assert!(fields(&many).contains(&"input.definition.pages[0].areas".to_string()));
        let mut odd = page(vec![area(0, 0, 10, 10, act(ActionKind::Switch))]);
        odd.width = 1000;
        odd.height = 1000;
        let d = Definition { pages: vec![odd] };
        assert_eq!(
            fields(&d),
            [
                "input.definition.pages[0].width",
                "input.definition.pages[0].areas[0].action.tab"
            ],
            "a switch needs a tab set"
        );
        assert_eq!(
            fields(&Definition { pages: vec![] }),
            ["input.definition.pages"]
        );
    }
}
