//! The release menus of `make demo` (seed §2.4(1)ア, 提案事項9): proposal
//! A with tabs (くらし・防災 / 子育て / 手続き) as the default menu, proposal
//! B without tabs as a spare, and a disaster menu; every image drawn from
//! its template, so staff can change the texts and draw it again.

use std::sync::Arc;

use super::model::{Action, ActionKind, Area, Definition, LiffPage, Page};
use super::store::{self, Draft};
use super::template::{self, Template, Tile};
use crate::app::App;
use crate::auth::Caller;

const SITE: &str = "https://www.pref.tenohira.example";

/// What a tile does.
enum Does {
    Liff(LiffPage),
    Link(&'static str),
    Say(&'static str),
    Tab(i32),
}

fn action(d: &Does, label: &str) -> Action {
    let mut a = Action {
        kind: ActionKind::Message,
        liff: None,
        uri: None,
        text: None,
        data: None,
        tab: None,
        label: Some(label.replace('\n', "")),
    };
    match d {
        Does::Liff(p) => {
            a.kind = ActionKind::Liff;
            a.liff = Some(*p);
        }
        Does::Link(path) => {
            a.kind = ActionKind::Uri;
            a.uri = Some(format!("{SITE}{path}"));
        }
        Does::Say(t) => a.text = Some((*t).into()),
        Does::Tab(t) => {
            a.kind = ActionKind::Switch;
            a.tab = Some(*t);
        }
    }
    a
}

/// One page: its template drawn and stored, an area on every tab and tile.
async fn page(
    app: &App,
    name: &str,
    (width, height): (i32, i32),
    tabs: &[&str],
    active: i32,
    (columns, rows): (i32, i32),
    tiles: &[(&str, &str, Does)],
) -> anyhow::Result<Page> {
    let t = Template {
        tabs: tabs.iter().map(|s| (*s).to_string()).collect(),
        active_tab: active,
        columns,
        rows,
        tiles: tiles
            .iter()
            .map(|(label, icon, _)| Tile {
                label: (*label).into(),
                icon: (*icon).into(),
            })
            .collect(),
    };
    let mut areas = Vec::new();
    for (i, r) in t.tab_rects(width, height).iter().enumerate() {
        areas.push(Area {
            x: r.x,
            y: r.y,
            width: r.width,
            height: r.height,
            action: action(&Does::Tab(i as i32), tabs[i]),
        });
    }
    for (r, (label, _, does)) in t.tile_rects(width, height).iter().zip(tiles) {
        areas.push(Area {
            x: r.x,
            y: r.y,
            width: r.width,
            height: r.height,
            action: action(does, label),
        });
    }
    let image = template::render_stored(app, Arc::new(t.clone()), width, height).await?;
    Ok(Page {
        name: name.into(),
        width,
        height,
        chat_bar_text: "メニュー".into(),
        image: Some(image),
        areas,
        template: Some(t),
    })
}

const TALL: (i32, i32) = (2500, 1686);
const TABS: &[&str] = &["くらし・防災", "子育て", "手続き"];

async fn proposal_a(app: &App) -> anyhow::Result<Definition> {
    use Does::*;
    Ok(Definition {
        pages: vec![
            page(
                app,
                "くらし・防災",
                TALL,
                TABS,
                0,
                (3, 2),
                &[
                    ("防災情報", "防", Say("防災情報")),
                    ("避難所", "避", Say("避難所")),
                    ("受信設定", "設", Liff(LiffPage::Settings)),
                    ("ごみの出し方", "ご", Say("ごみの出し方")),
                    ("よくある質問", "？", Say("よくある質問")),
                    ("県の\nホームページ", "県", Link("/")),
                ],
            )
            .await?,
            page(
                app,
                "子育て",
                TALL,
                TABS,
                1,
                (3, 2),
                &[
                    ("パパ・ママ\n応援カード", "券", Liff(LiffPage::Card)),
                    ("子育て支援", "子", Say("子育て支援の案内")),
                    ("相談窓口", "話", Say("子育ての相談窓口")),
                    ("予防接種", "医", Say("予防接種")),
                    ("一時保育", "保", Say("一時保育")),
                    ("受信設定", "設", Liff(LiffPage::Settings)),
                ],
            )
            .await?,
            page(
                app,
                "手続き",
                TALL,
                TABS,
                2,
                (3, 2),
                &[
                    ("デジタル\nパス", "証", Liff(LiffPage::Pass)),
                    ("電子申請", "申", Link("/shinsei/")),
                    ("証明書の\n取り方", "書", Say("証明書の取り方")),
                    ("窓口の\n受付時間", "時", Say("窓口の受付時間")),
                    ("よくある質問", "？", Say("よくある質問")),
                    ("受信設定", "設", Liff(LiffPage::Settings)),
                ],
            )
            .await?,
        ],
    })
}

async fn proposal_b(app: &App) -> anyhow::Result<Definition> {
    use Does::*;
    Ok(Definition {
        pages: vec![
            page(
                app,
                "県のメニュー",
                TALL,
                &[],
                0,
                (3, 2),
                &[
                    ("防災情報", "防", Say("防災情報")),
                    ("パパ・ママ\n応援カード", "券", Liff(LiffPage::Card)),
                    ("デジタル\nパス", "証", Liff(LiffPage::Pass)),
                    ("よくある質問", "？", Say("よくある質問")),
                    ("電子申請", "申", Link("/shinsei/")),
                    ("受信設定", "設", Liff(LiffPage::Settings)),
                ],
            )
            .await?,
        ],
    })
}

async fn disaster(app: &App) -> anyhow::Result<Definition> {
    use Does::*;
    Ok(Definition {
        pages: vec![
            page(
                app,
                "災害時",
                (2500, 843),
                &[],
                0,
                (3, 1),
                &[
                    ("避難所", "避", Say("避難所")),
                    ("災害情報", "災", Say("防災情報")),
                    ("安否・\n相談窓口", "話", Link("/bousai/")),
                ],
            )
            .await?,
        ],
    })
}

/// A new menu to start from, drawn from the release proposals' templates:
/// with tabs (proposal A) or without (proposal B).
pub async fn starter(app: &App, with_tabs: bool) -> anyhow::Result<Definition> {
    if with_tabs {
        proposal_a(app).await
    } else {
        proposal_b(app).await
    }
}

/// Seeds the menus once, into an account without any; proposal A and the
/// disaster menu are published. Answers whether it seeded.
pub async fn seed(app: &App) -> anyhow::Result<bool> {
    let system = Caller::system();
    if !store::list(app, &system)
        .await
        .map_err(anyhow_of)?
        .is_empty()
    {
        return Ok(false);
    }
    let menus = [
        ("提案A（タブあり）", "default", proposal_a(app).await?, true),
        ("提案B（タブなし）", "none", proposal_b(app).await?, false),
        ("災害時メニュー", "disaster", disaster(app).await?, true),
    ];
    for (name, audience, definition, publish) in menus {
        let draft = Draft {
            name: name.into(),
            audience: audience.into(),
            segment_id: None,
            definition,
        };
        let (menu, _) = store::create(app, &system, draft)
            .await
            .map_err(anyhow_of)?;
        if publish {
            super::publish::start(app, &system, menu.id, 1)
                .await
                .map_err(anyhow_of)?;
        }
    }
    Ok(true)
}

/// The live menus LINE no longer has (the sandbox starts empty each time
/// `make demo` runs) are published again. Answers how many.
pub async fn republish_missing(app: &App) -> anyhow::Result<usize> {
    let system = Caller::system();
    let mut queued = 0;
    for menu in store::list(app, &system).await.map_err(anyhow_of)? {
        let Some(live) = menu.live_version else {
            continue;
        };
        let mut conn = app.db.get().await?;
        let Some(v) = store::version(&mut conn, menu.id, live).await? else {
            continue;
        };
        drop(conn);
        let ids: Vec<String> = v
            .line_menu_ids
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect();
        let mut missing = ids.is_empty();
        for id in &ids {
            missing |= !app.line.richmenu_exists(id).await?;
        }
        if missing {
            super::publish::start(app, &system, menu.id, live)
                .await
                .map_err(anyhow_of)?;
            queued += 1;
        }
    }
    Ok(queued)
}

fn anyhow_of(e: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}
