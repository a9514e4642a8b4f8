//! FAQ import and export in the prefecture's Excel layout (seed カ's Q&A
//! list) and as JSON. A file is UTF-8 (with or without BOM) or Shift_JIS
//! (Excel's 「CSV」, CP932); every row is checked, problems are reported
//! with the line number and column, and nothing is imported unless every
//! row is good. A row with an ID updates that entry; without, it is new.

use std::collections::HashMap;

use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::faq::{self, FaqEntry, FaqInput};
use crate::app::App;
use crate::audit::{self, Outcome};
use crate::auth::{Caller, Permission};
use crate::csv::Cell;
use crate::db::schema::faq_entries;
use crate::error::{AppError, AppResult, FieldError, Problems};

pub const MAX_ROWS: usize = 5000;
/// The columns, in the order the export writes them.
pub const HEADER: &[&str] = &[
    "ID",
    "質問",
    "言い換え",
    "回答",
    "カテゴリ",
    "キーワード",
    "公開",
    "掲載開始",
    "掲載終了",
];

/// Bytes as text: a BOM or valid UTF-8 is UTF-8, anything else is read as
/// Shift_JIS (CP932, Excel's Japanese CSV); bytes neither can read are refused.
pub fn decode(bytes: &[u8]) -> AppResult<String> {
    if let Some(rest) = bytes.strip_prefix("\u{feff}".as_bytes()) {
        return std::str::from_utf8(rest)
            .map(str::to_string)
            .map_err(|_| AppError::bad_input("file", "UTF-8として読めない文字があります"));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(bytes);
    if bad {
        return Err(AppError::bad_input(
            "file",
            "文字コードを判別できません（UTF-8かShift_JISで保存してください）",
        ));
    }
    Ok(text.into_owned())
}

fn column(h: &str) -> Option<&'static str> {
    match h
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .as_str()
    {
        "id" => Some("ID"),
        "質問" | "question" => Some("質問"),
        "言い換え" | "variants" => Some("言い換え"),
        "回答" | "answer" => Some("回答"),
        "カテゴリ" | "カテゴリー" | "category" => Some("カテゴリ"),
        "キーワード" | "keywords" => Some("キーワード"),
        "公開" | "enabled" => Some("公開"),
        "掲載開始" | "valid_from" => Some("掲載開始"),
        "掲載終了" | "valid_to" => Some("掲載終了"),
        _ => None,
    }
}

/// One row of the file as read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    #[serde(default)]
    pub id: Option<i32>,
    pub question: String,
    #[serde(default)]
    pub variants: Vec<String>,
    pub answer: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub valid_to: Option<DateTime<Utc>>,
}

fn yes() -> bool {
    true
}

impl Item {
    fn input(&self) -> FaqInput {
        FaqInput {
            question: self.question.clone(),
            variants: self.variants.clone(),
            answer: self.answer.clone(),
            category: self.category.clone(),
            keywords: self.keywords.clone(),
            enabled: self.enabled,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        }
    }
}

pub struct Report {
    /// Line (CSV, the header is 1) or position (JSON, from 1) and the row's problems.
    pub problems: Vec<(usize, FieldError)>,
    pub created: usize,
    pub updated: usize,
    pub applied: bool,
    pub rows: usize,
}

fn jst_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    ["%Y/%m/%d", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .map(crate::jst::start_of_day)
}

/// Items and problems, each at its line.
pub type Parsed = (Vec<(usize, Item)>, Vec<(usize, FieldError)>);

/// Reads CSV text into items; rows that cannot be read are problems at their line.
pub fn parse_csv(text: &str) -> AppResult<Parsed> {
    let text = text.trim_start_matches('\u{feff}');
    // A record's line, counted here: the reader's offset can sit on the
    // previous line's end, so skip line ends to the record's first byte.
    let line_at = |byte: u64| {
        let bytes = text.as_bytes();
        let mut at = (byte as usize).min(bytes.len());
        while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        1 + bytes[..at].iter().filter(|&&b| b == b'\n').count()
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| AppError::bad_input("file", "CSVの見出し行を読めません"))?
        .clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut p = Problems::new();
    for (i, h) in headers.iter().enumerate() {
        match column(h) {
            Some(c) => {
                index.insert(c, i);
            }
            None if h.trim().is_empty() => {}
            None => p.add(format!("header[{i}]"), format!("不明な列です：{h}")),
        }
    }
    for required in ["質問", "回答"] {
        if !index.contains_key(required) {
            p.add("header", format!("必須の列がありません：{required}"));
        }
    }
    p.into_result()?;
    let mut items = Vec::new();
    let mut problems = Vec::new();
    for (n, record) in reader.records().enumerate() {
        // The record's own first line (a quoted cell may hold line breaks).
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(n + 2, |p| line_at(p.byte()));
        if items.len() + problems.len() >= MAX_ROWS {
            return Err(AppError::bad_input(
                "file",
                format!("一度に取り込めるのは{MAX_ROWS}行までです"),
            ));
        }
        let Ok(record) = record else {
            problems.push((line, FieldError::new("row", "この行を読めません")));
            continue;
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |c: &str| {
            index
                .get(c)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let split = |s: String, seps: &[char]| -> Vec<String> {
            s.split(|c: char| seps.contains(&c))
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        };
        let mut row_problems = Vec::new();
        let id = match get("ID") {
            s if s.is_empty() => None,
            s => match s.parse::<i32>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    row_problems.push(FieldError::new("ID", "IDは数字で入力してください"));
                    None
                }
            },
        };
        let enabled = match get("公開").as_str() {
            "" | "する" | "公開" | "1" | "true" | "TRUE" | "○" => true,
            "しない" | "非公開" | "0" | "false" | "FALSE" | "×" => false,
            other => {
                row_problems.push(FieldError::new(
                    "公開",
                    format!("「する」か「しない」で入力してください（{other}）"),
                ));
                true
            }
        };
        let mut date = |c: &str| {
            let s = get(c);
            if s.is_empty() {
                return None;
            }
            let d = jst_date(&s);
            if d.is_none() {
                row_problems.push(FieldError::new(c, "日付は2026/04/01の形で入力してください"));
            }
            d
        };
        let (valid_from, valid_to) = (date("掲載開始"), date("掲載終了"));
        let item = Item {
            id,
            question: get("質問"),
            variants: split(get("言い換え"), &['\n', '／']),
            answer: get("回答"),
            category: get("カテゴリ"),
            keywords: split(get("キーワード"), &['、', ',', '，']),
            enabled,
            valid_from,
            valid_to,
        };
        for e in row_problems {
            problems.push((line, e));
        }
        items.push((line, item));
    }
    Ok((items, problems))
}

/// Checks every row (and that the IDs exist), then imports all of them in
/// one transaction — or, with any problem or `dry_run`, none.
pub async fn import(app: &App, caller: &Caller, bytes: &[u8], dry_run: bool) -> AppResult<Report> {
    caller.require(Permission::ChatbotManage)?;
    let text = decode(bytes)?;
    let (items, mut problems) = if text.trim_start().starts_with('[') {
        let items: Vec<Item> = serde_json::from_str(text.trim_start_matches('\u{feff}'))
            .map_err(|e| AppError::bad_input("file", format!("JSONを読めません（{e}）")))?;
        if items.len() > MAX_ROWS {
            return Err(AppError::bad_input(
                "file",
                format!("一度に取り込めるのは{MAX_ROWS}件までです"),
            ));
        }
        (
            items
                .into_iter()
                .enumerate()
                .map(|(i, x)| (i + 1, x))
                .collect(),
            vec![],
        )
    } else {
        parse_csv(&text)?
    };
    let mut conn = app.db.get().await?;
    let ids: Vec<i32> = items.iter().filter_map(|(_, i)| i.id).collect();
    let known: Vec<i32> = faq_entries::table
        .filter(faq_entries::id.eq_any(&ids))
        .select(faq_entries::id)
        .load(&mut conn)
        .await?;
    for (line, item) in &items {
        let mut p = Problems::new();
        item.input().problems("row", &mut p);
        if let Err(AppError::BadInput(errors)) = p.into_result() {
            for e in errors {
                let field = match e.field.trim_start_matches("row.") {
                    "question" => "質問",
                    "answer" => "回答",
                    "category" => "カテゴリ",
                    "validTo" => "掲載終了",
                    f if f.starts_with("variants") => "言い換え",
                    f if f.starts_with("keywords") => "キーワード",
                    _ => "row",
                };
                problems.push((*line, FieldError::new(field, e.message)));
            }
        }
        if let Some(id) = item.id
            && !known.contains(&id)
        {
            problems.push((
                *line,
                FieldError::new("ID", format!("ID {id} のFAQはありません")),
            ));
        }
    }
    problems.sort_by_key(|(line, _)| *line);
    let rows = items.len();
    let updates = items.iter().filter(|(_, i)| i.id.is_some()).count();
    let mut report = Report {
        problems,
        created: rows - updates,
        updated: updates,
        applied: false,
        rows,
    };
    if dry_run || !report.problems.is_empty() {
        return Ok(report);
    }
    let caller = caller.clone();
    let (created, updated) = (report.created, report.updated);
    conn.transaction::<_, AppError, _>(async move |conn| {
        for (_, item) in &items {
            let input = item.input();
            match item.id {
                Some(id) => {
                    faq::update_in(conn, id, &input).await?;
                }
                None => {
                    faq::insert(conn, &input).await?;
                }
            }
        }
        audit::record(
            conn,
            &caller,
            "chatbot.faq.import",
            None,
            json!({ "created": created, "updated": updated }),
            Outcome::Success,
        )
        .await?;
        Ok(())
    })
    .await?;
    report.applied = true;
    Ok(report)
}

fn row(e: &FaqEntry) -> Vec<Cell> {
    let date = |d: Option<DateTime<Utc>>| {
        d.map(|d| crate::jst::date(d).format("%Y/%m/%d").to_string())
            .unwrap_or_default()
    };
    vec![
        Cell::int(i64::from(e.id)),
        Cell::from(e.question.as_str()),
        Cell::from(e.variants.join("\n")),
        Cell::from(e.answer.as_str()),
        Cell::from(e.category.as_str()),
        Cell::from(e.keywords.join("、")),
        Cell::from(if e.enabled { "する" } else { "しない" }),
        Cell::from(date(e.valid_from)),
        Cell::from(date(e.valid_to)),
    ]
}

async fn all_entries(app: &App) -> anyhow::Result<Vec<FaqEntry>> {
    let mut conn = app.db.get().await?;
    Ok(faq_entries::table
        .order(faq_entries::id.asc())
        .select(FaqEntry::as_select())
        .load(&mut conn)
        .await?)
}

/// `/exports/faq.csv`: every entry in the import's layout (formula-safe).
pub async fn faq_csv(State(app): State<App>, Extension(caller): Extension<Caller>) -> Response {
    if let Err(refusal) = crate::csv::authorize(&caller, &[Permission::ChatbotManage]) {
        return *refusal;
    }
    let entries = match all_entries(&app).await {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "FAQ export failed");
            return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let rows: Vec<Vec<Cell>> = entries.iter().map(row).collect();
    let total = rows.len() as u64;
    crate::csv::download(
        "faq",
        HEADER,
        futures::stream::once(async move { Ok(rows) }),
        Some(total),
    )
}

/// `/exports/faq.json`: the same as JSON (what the import reads back).
pub async fn faq_json(State(app): State<App>, Extension(caller): Extension<Caller>) -> Response {
    if let Err(refusal) = crate::csv::authorize(&caller, &[Permission::ChatbotManage]) {
        return *refusal;
    }
    match all_entries(&app).await {
        Ok(entries) => {
            let items: Vec<Item> = entries
                .into_iter()
                .map(|e| Item {
                    id: Some(e.id),
                    question: e.question,
                    variants: e.variants,
                    answer: e.answer,
                    category: e.category,
                    keywords: e.keywords,
                    enabled: e.enabled,
                    valid_from: e.valid_from,
                    valid_to: e.valid_to,
                })
                .collect();
            (
                [
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        "attachment; filename=\"faq.json\"",
                    ),
                    (axum::http::header::CACHE_CONTROL, "no-store"),
                ],
                axum::Json(items),
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "FAQ export failed");
            axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_jis_and_utf8_with_bom_read_alike() {
        let text = "質問,回答\r\n粗大ごみの出し方,受付センターへ\r\n";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        assert_eq!(decode(&sjis).unwrap(), text);
        let bom = [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat();
        assert_eq!(decode(&bom).unwrap(), text);
        assert!(decode(&[0x82, 0xff, 0xff]).is_err());
    }

    #[test]
    fn rows_are_read_with_their_lines_and_bad_cells_reported() {
        let text = "ID,質問,言い換え,回答,公開,掲載開始\n,粗大ごみ,\"大型ごみ\n粗大ゴミ\",センターへ,する,2026/04/01\nx,q,,a,たぶん,4月\n";
        let (items, problems) = parse_csv(text).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].1.variants, ["大型ごみ", "粗大ゴミ"]);
        assert!(items[0].1.valid_from.is_some());
        let at: Vec<(usize, &str)> = problems
            .iter()
            .map(|(l, e)| (*l, e.field.as_str()))
            .collect();
        assert_eq!(at, [(4, "ID"), (4, "公開"), (4, "掲載開始")]);
        assert!(
            parse_csv("question,答え\n").is_err(),
            "an unknown column is refused"
        );
    }
}

#[cfg(test)]
mod crlf {
    #[test]
    fn lines_count_quoted_breaks_with_crlf_line_ends() {
        let text =
            "質問,言い換え,回答\r\n粗大ごみ,\"大型ごみ\n粗大ゴミ\",受付へ\r\n燃えるごみ,,\r\n";
        let (items, _) = super::parse_csv(text).unwrap();
        let lines: Vec<usize> = items.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 4]);
    }
}
