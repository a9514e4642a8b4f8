//! Menu images drawn from a template (seed §2.8(4): universal design): a
//! grid of tiles, each a large icon mark and a large label in Noto Sans CJK
//! (Debian's `fonts-noto-cjk`), over an optional tab header. Colours are the
//! Okabe–Ito palette (told apart with every common colour-vision
//! deficiency); text is near-black on white or white on the dark blue, so
//! every label passes WCAG AA (4.5:1) — `tests` checks each pair. Staff edit
//! the texts and draw the image again; the grid stays, so the areas do too.

use std::sync::Arc;

use ab_glyph::{Font, FontArc, PxScale, ScaleFont};
use async_graphql::{InputObject, SimpleObject};
use image::{Rgb, RgbImage};
use serde::{Deserialize, Serialize};

use crate::error::Problems;

/// Where Debian puts the bold Japanese face (the first face of the collection is JP).
const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "RichMenuTemplate", input_name = "RichMenuTemplateInput")]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// Tab names along the top (none: a menu without tabs).
    pub tabs: Vec<String>,
    /// Which tab this page is (0-based).
    pub active_tab: i32,
    pub columns: i32,
    pub rows: i32,
    /// Row by row, `columns × rows` of them.
    pub tiles: Vec<Tile>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(name = "RichMenuTile", input_name = "RichMenuTileInput")]
#[serde(rename_all = "camelCase")]
pub struct Tile {
    /// The label (a line break with `\n`; ≤ 2 lines of ≤ 8 characters read best).
    pub label: String,
    /// One or two characters in the tile's circle (防, 子, ？ …).
    pub icon: String,
}

/// Okabe–Ito colours for the tiles' circles and bands, in turn.
pub const PALETTE: [[u8; 3]; 6] = [
    [0x00, 0x72, 0xB2], // blue
    [0xD5, 0x5E, 0x00], // vermillion
    [0x00, 0x9E, 0x73], // bluish green
    [0xCC, 0x79, 0xA7], // reddish purple
    [0xE6, 0x9F, 0x00], // orange
    [0x56, 0xB4, 0xE9], // sky blue
];
pub const INK: [u8; 3] = [0x1A, 0x1A, 0x1A];
pub const PAPER: [u8; 3] = [0xFF, 0xFF, 0xFF];
/// The active tab: white text on dark blue.
pub const ACTIVE_TAB: [u8; 3] = [0x00, 0x4B, 0x87];
pub const IDLE_TAB: [u8; 3] = [0xE6, 0xE6, 0xE6];
const GRID_LINE: [u8; 3] = [0xB0, 0xB0, 0xB0];

/// WCAG 2 contrast ratio of two sRGB colours.
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let lum = |c: [u8; 3]| {
        let ch = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2])
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The text colour (near-black or white) that reads best on `c`.
pub fn ink_on(c: [u8; 3]) -> [u8; 3] {
    if contrast(PAPER, c) >= contrast(INK, c) {
        PAPER
    } else {
        INK
    }
}

/// A rectangle of the image (a tile or a tab), in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

impl Template {
    /// The tab header's height: a fifth of a tall menu, a quarter of a short one.
    fn header(&self, height: i32) -> i32 {
        match (self.tabs.is_empty(), height >= 1200) {
            (true, _) => 0,
            (false, true) => height / 6,
            (false, false) => height / 4,
        }
    }

    /// Where each tab sits along the top.
    pub fn tab_rects(&self, width: i32, height: i32) -> Vec<Rect> {
        let n = self.tabs.len() as i32;
        let h = self.header(height);
        (0..n)
            .map(|i| Rect {
                x: width * i / n.max(1),
                y: 0,
                width: width * (i + 1) / n.max(1) - width * i / n.max(1),
                height: h,
            })
            .collect()
    }

    /// Where each tile sits, row by row (the areas are drawn on these).
    pub fn tile_rects(&self, width: i32, height: i32) -> Vec<Rect> {
        let top = self.header(height);
        let (c, r) = (self.columns.max(1), self.rows.max(1));
        let body = height - top;
        (0..r)
            .flat_map(|row| {
                (0..c).map(move |col| Rect {
                    x: width * col / c,
                    y: top + body * row / r,
                    width: width * (col + 1) / c - width * col / c,
                    height: body * (row + 1) / r - body * row / r,
                })
            })
            .collect()
    }

    pub fn problems(&self, field: &str, p: &mut Problems) {
        if !((1..=4).contains(&self.columns) && (1..=3).contains(&self.rows)) {
            p.add(
                format!("{field}.columns"),
                "タイルは横1〜4列、縦1〜3段にしてください",
            );
        } else if self.tiles.len() as i32 != self.columns * self.rows {
            p.add(
                format!("{field}.tiles"),
                format!(
                    "タイルは{}個（{}列×{}段）にしてください",
                    self.columns * self.rows,
                    self.columns,
                    self.rows
                ),
            );
        }
        if !(self.tabs.is_empty() || (2..=4).contains(&self.tabs.len())) {
            p.add(
                format!("{field}.tabs"),
                "タブは2〜4個にしてください（タブなしなら空に）",
            );
        } else if !(self.tabs.is_empty() || (0..self.tabs.len() as i32).contains(&self.active_tab))
        {
            p.add(
                format!("{field}.activeTab"),
                "選択中のタブがタブの一覧にありません",
            );
        }
        for (i, t) in self.tabs.iter().enumerate() {
            if !(1..=8).contains(&t.trim().chars().count()) {
                p.add(
                    format!("{field}.tabs[{i}]"),
                    "タブ名は1〜8文字にしてください",
                );
            }
        }
        for (i, t) in self.tiles.iter().enumerate() {
            let lines: Vec<&str> = t.label.trim().lines().collect();
            if lines.is_empty() || lines.len() > 2 || lines.iter().any(|l| l.chars().count() > 10) {
                p.add(
                    format!("{field}.tiles[{i}].label"),
                    "ラベルは1〜2行、1行10文字以内にしてください",
                );
            }
            if !(1..=2).contains(&t.icon.trim().chars().count()) {
                p.add(
                    format!("{field}.tiles[{i}].icon"),
                    "アイコンの文字は1〜2文字にしてください",
                );
            }
        }
    }
}

fn font() -> anyhow::Result<FontArc> {
    static FONT: std::sync::OnceLock<Option<FontArc>> = std::sync::OnceLock::new();
    FONT.get_or_init(|| {
        FONT_PATHS.iter().find_map(|path| {
            let bytes = std::fs::read(path).ok()?;
            ab_glyph::FontVec::try_from_vec_and_index(bytes, 0)
                .ok()
                .map(FontArc::new)
        })
    })
    .clone()
    .ok_or_else(|| {
        anyhow::anyhow!(
            "日本語フォントがありません（Debianのfonts-noto-cjkを入れてください: {}）",
            FONT_PATHS[0]
        )
    })
}

struct Canvas {
    img: RgbImage,
    font: FontArc,
}

impl Canvas {
    fn fill(&mut self, r: Rect, c: [u8; 3]) {
        for y in r.y.max(0)..(r.y + r.height).min(self.img.height() as i32) {
            for x in r.x.max(0)..(r.x + r.width).min(self.img.width() as i32) {
                self.img.put_pixel(x as u32, y as u32, Rgb(c));
            }
        }
    }

    fn circle(&mut self, cx: i32, cy: i32, radius: i32, c: [u8; 3]) {
        let r2 = f64::from(radius).powi(2);
        for y in (cy - radius - 1)..=(cy + radius + 1) {
            for x in (cx - radius - 1)..=(cx + radius + 1) {
                let d2 = f64::from(x - cx).powi(2) + f64::from(y - cy).powi(2);
                // A pixel of edge blended by how far it is inside.
                let cover = (f64::from(radius) + 0.5 - d2.sqrt()).clamp(0.0, 1.0);
                if cover > 0.0 && d2 <= r2 + 4.0 * f64::from(radius) {
                    self.blend(x, y, c, cover as f32);
                }
            }
        }
    }

    fn blend(&mut self, x: i32, y: i32, c: [u8; 3], cover: f32) {
        if x < 0 || y < 0 || x >= self.img.width() as i32 || y >= self.img.height() as i32 {
            return;
        }
        let p = self.img.get_pixel_mut(x as u32, y as u32);
        for (v, to) in p.0.iter_mut().zip(c) {
            *v = (f32::from(*v) * (1.0 - cover) + f32::from(to) * cover).round() as u8;
        }
    }

    fn width_of(&self, text: &str, px: f32) -> f32 {
        let f = self.font.as_scaled(PxScale::from(px));
        text.chars().map(|ch| f.h_advance(f.glyph_id(ch))).sum()
    }

    /// One line of text centred on (cx, cy).
    fn text(&mut self, text: &str, px: f32, cx: i32, cy: i32, c: [u8; 3]) {
        let font = self.font.clone();
        let f = font.as_scaled(PxScale::from(px));
        let mut x = cx as f32 - self.width_of(text, px) / 2.0;
        let baseline = cy as f32 + (f.ascent() + f.descent()) / 2.0;
        for ch in text.chars() {
            let id = f.glyph_id(ch);
            let glyph = id.with_scale_and_position(px, ab_glyph::point(x, baseline));
            x += f.h_advance(id);
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                let mut marks = Vec::new();
                outline.draw(|gx, gy, cover| {
                    marks.push((
                        b.min.x as i32 + gx as i32,
                        b.min.y as i32 + gy as i32,
                        cover,
                    ));
                });
                for (px_, py, cover) in marks {
                    self.blend(px_, py, c, cover);
                }
            }
        }
    }

    /// Text centred in a box, shrunk until it fits its width.
    fn fitted(&mut self, lines: &[&str], mut px: f32, r: Rect, c: [u8; 3]) {
        let room = r.width as f32 * 0.88;
        while px > 24.0 && lines.iter().any(|l| self.width_of(l, px) > room) {
            px -= 4.0;
        }
        let gap = px * 1.2;
        let first = r.y as f32 + r.height as f32 / 2.0 - gap * (lines.len() as f32 - 1.0) / 2.0;
        for (i, l) in lines.iter().enumerate() {
            self.text(l, px, r.x + r.width / 2, (first + gap * i as f32) as i32, c);
        }
    }
}

/// Draws the page's image (PNG bytes) at `width × height`.
pub fn render(t: &Template, width: i32, height: i32) -> anyhow::Result<Vec<u8>> {
    let mut cv = Canvas {
        img: RgbImage::from_pixel(width as u32, height as u32, Rgb(PAPER)),
        font: font()?,
    };
    for (i, (r, name)) in t.tab_rects(width, height).iter().zip(&t.tabs).enumerate() {
        let active = i as i32 == t.active_tab;
        cv.fill(*r, if active { ACTIVE_TAB } else { IDLE_TAB });
        let ink = if active { PAPER } else { INK };
        cv.fitted(&[name.trim()], r.height as f32 * 0.42, *r, ink);
        // A thin divider between tabs.
        cv.fill(
            Rect {
                x: r.x + r.width - 2,
                width: 4,
                ..*r
            },
            PAPER,
        );
    }
    for (i, (r, tile)) in t.tile_rects(width, height).iter().zip(&t.tiles).enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        // Grid lines, and a band of the tile's colour along its top.
        cv.fill(Rect { height: 4, ..*r }, GRID_LINE);
        cv.fill(Rect { width: 4, ..*r }, GRID_LINE);
        cv.fill(
            Rect {
                y: r.y + 4,
                height: (r.height / 28).max(8),
                ..*r
            },
            colour,
        );
        let unit = r.height.min(r.width);
        let radius = unit * 21 / 100;
        let (cx, cy) = (r.x + r.width / 2, r.y + r.height * 36 / 100);
        cv.circle(cx, cy, radius, colour);
        let icon = tile.icon.trim();
        let icon_px = radius as f32 * if icon.chars().count() > 1 { 0.85 } else { 1.2 };
        cv.text(icon, icon_px, cx, cy, ink_on(colour));
        let lines: Vec<&str> = tile.label.trim().lines().map(str::trim).collect();
        let label_box = Rect {
            x: r.x,
            y: r.y + r.height * 62 / 100,
            width: r.width,
            height: r.height * 34 / 100,
        };
        let px = (unit as f32 * if lines.len() > 1 { 0.13 } else { 0.16 }).max(40.0);
        cv.fitted(&lines, px, label_box, INK);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    cv.img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// Checks the template and the size, draws the image and stores it (staff
/// with `richmenu.manage`); answers its media id.
pub async fn draw(
    app: &crate::app::App,
    caller: &crate::auth::Caller,
    t: Template,
    width: i32,
    height: i32,
) -> crate::error::AppResult<uuid::Uuid> {
    caller.require(crate::auth::Permission::RichmenuManage)?;
    let mut p = Problems::new();
    t.problems("template", &mut p);
    if let Some(size) = super::model::size_problem(width, height) {
        p.add("width", size);
    }
    p.into_result()?;
    render_stored(app, Arc::new(t), width, height)
        .await
        .map_err(|e| {
            if e.to_string().contains("fonts-noto-cjk") {
                crate::error::AppError::bad_input("template", e.to_string())
            } else {
                crate::error::AppError::internal(e)
            }
        })
}

/// Draws and stores the image; answers its media id.
pub async fn render_stored(
    app: &crate::app::App,
    t: Arc<Template>,
    width: i32,
    height: i32,
) -> anyhow::Result<uuid::Uuid> {
    let png = tokio::task::spawn_blocking(move || render(&t, width, height)).await??;
    crate::media::store_generated(app, png, "image/png", "richmenu.png").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_passes_wcag_aa_and_icon_marks_large_text() {
        assert!(contrast(INK, PAPER) >= 4.5);
        assert!(contrast(INK, IDLE_TAB) >= 4.5);
        assert!(contrast(PAPER, ACTIVE_TAB) >= 4.5);
        // Icon marks are large text (≥ 3:1) on their circle's colour.
        for c in PALETTE {
            assert!(contrast(ink_on(c), c) >= 4.0, "{c:?}");
        }
    }

    fn grid() -> Template {
        Template {
            tabs: vec!["くらし・防災".into(), "子育て".into(), "手続き".into()],
            active_tab: 1,
            columns: 3,
            rows: 2,
            tiles: (0..6)
                .map(|i| Tile {
                    label: format!("項目{i}"),
                    icon: "防".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn tiles_cover_the_body_and_tabs_the_header_without_gaps() {
        let t = grid();
        let tabs = t.tab_rects(2500, 1686);
        assert_eq!(tabs.iter().map(|r| r.width).sum::<i32>(), 2500);
        let tiles = t.tile_rects(2500, 1686);
        assert_eq!(tiles.len(), 6);
        assert_eq!(tiles[0].y, tabs[0].height);
        assert_eq!(tiles[5].x + tiles[5].width, 2500);
        assert_eq!(tiles[5].y + tiles[5].height, 1686);
        let mut p = Problems::new();
        t.problems("t", &mut p);
        assert!(p.into_result().is_ok());
    }
}

#[cfg(test)]
mod look {
    /// Writes a sample to $TENOHIRA_TEMPLATE_SAMPLE (to look at by eye).
    #[test]
    fn sample() {
        let Ok(path) = std::env::var("TENOHIRA_TEMPLATE_SAMPLE") else {
            return;
        };
        let t = super::Template {
            tabs: vec!["くらし・防災".into(), "子育て".into(), "手続き".into()],
            active_tab: 0,
            columns: 3,
            rows: 2,
            tiles: [
                "防災情報|防",
                "避難所|避",
                "受信設定|設",
                "ごみの出し方|ご",
                "よくある質問|？",
                "県の\nホームページ|県",
            ]
            .iter()
            .map(|s| {
                let (l, i) = s.split_once('|').unwrap();
                super::Tile {
                    label: l.into(),
                    icon: i.into(),
                }
            })
            .collect(),
        };
        let started = std::time::Instant::now();
        let png = super::render(&t, 2500, 1686).unwrap();
        eprintln!("{} bytes in {:?}", png.len(), started.elapsed());
        std::fs::write(path, png).unwrap();
    }
}
