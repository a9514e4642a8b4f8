//! Demo FAQ: 661 generic municipal Q&A (出典：子育てオープンデータ協議会
//! 「汎用FAQ」（CC BY 4.0）, `api/data/faq/`), their placeholders filled with the
//! demo prefecture's details, and a few synonym groups. Seeded once, into an
//! empty FAQ. The evaluation and the benchmark load the same entries.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;

use super::faq::{self, FaqInput};
use crate::app::App;
use crate::db::schema::{faq_entries, faq_synonyms};

pub const CREDIT: &str = "出典：子育てオープンデータ協議会「汎用FAQ」（CC BY 4.0）";

const CORPUS: &str = include_str!("../../data/faq/generic-municipal-faq.json");

#[derive(Deserialize)]
struct Item {
    faq_id: i32,
    question: String,
    answer: String,
    category1: String,
    category2: String,
    service_name: String,
}

/// The source's placeholders and what the demo says instead.
const FILL: &[(&str, &str)] = &[
    (
        "（自治体HP内関連ページのURL）",
        "https://www.pref.tenohira.example/faq",
    ),
    ("（電話番号）", "000-000-0000"),
    ("（自治体の担当課等の名称）", "子育て支援課"),
    ("（開庁時間）", "平日8時30分から17時15分"),
    ("（○時○分から○時○分）", "（8時30分から17時15分）"),
    ("○○市", "手のひら市"),
    ("●●県", "手のひら県"),
];

pub const SYNONYMS: &[&[&str]] = &[
    &["粗大ごみ", "大型ごみ", "粗大ゴミ"],
    &["母子健康手帳", "母子手帳", "親子手帳"],
    &["保育所", "保育園"],
    &["転入", "引っ越してきた", "引越してきた"],
    &["転出", "引っ越す", "引越す"],
    &["予防接種", "ワクチン"],
    &["住民票", "住民票の写し"],
];

/// Phrasings staff added to a few entries after reading the talk log, as the
/// console's 「未回答から登録」 does. The labelled set's figures are measured
/// without them (`entries(false)`), so they do not flatter the evaluation.
pub const STAFF_VARIANTS: &[(i32, &[&str])] = &[
    (
        332,
        &[
            "粗大ごみを出すにはどうすればいいですか",
            "大きな家具や家電を捨てたい",
        ],
    ),
    (375, &["資源ごみや燃えるごみの出し方"]),
];

fn fill(text: &str) -> String {
    FILL.iter()
        .fold(text.to_string(), |t, (from, to)| t.replace(from, to))
}

/// The demo entries in source order, with their source ids; with the staff's
/// added phrasings when `staff_variants`.
pub fn entries(staff_variants: bool) -> anyhow::Result<Vec<(i32, FaqInput)>> {
    let items: Vec<Item> = serde_json::from_str(CORPUS)?;
    Ok(items
        .into_iter()
        .map(|i| {
            let category = if i.category2.is_empty() || i.category2 == i.category1 {
                i.category1
            } else {
                format!("{}／{}", i.category1, i.category2)
            };
            let keywords = if i.service_name == "null" || i.service_name.is_empty() {
                vec![]
            } else {
                vec![i.service_name]
            };
            let variants = STAFF_VARIANTS
                .iter()
                .filter(|(id, _)| staff_variants && *id == i.faq_id)
                .flat_map(|(_, v)| v.iter().map(|s| s.to_string()))
                .collect();
            (
                i.faq_id,
                FaqInput {
                    question: fill(&i.question),
                    variants,
                    answer: fill(&i.answer),
                    category,
                    keywords,
                    enabled: true,
                    ..FaqInput::default()
                },
            )
        })
        .collect())
}

/// Loads the demo FAQ into an empty one; returns source id → entry id.
pub async fn load(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<(i32, i32)>> {
    let mut ids = Vec::new();
    for (source, input) in entries(true)? {
        let entry = faq::insert(conn, &input).await?;
        ids.push((source, entry.id));
    }
    for group in SYNONYMS {
        let terms: Vec<String> = group.iter().map(|s| s.to_string()).collect();
        diesel::insert_into(faq_synonyms::table)
            .values(faq_synonyms::terms.eq(terms))
            .execute(conn)
            .await?;
    }
    Ok(ids)
}

/// `make demo`: the FAQ and the template scenarios, once each.
pub async fn seed(app: &App) -> anyhow::Result<bool> {
    let mut conn = app.db.get().await?;
    let existing: i64 = faq_entries::table.count().get_result(&mut conn).await?;
    let faq = existing == 0;
    if faq {
        load(&mut conn).await?;
    }
    let scenarios = super::scenario::templates::seed(&mut conn).await?;
    Ok(faq || scenarios)
}
