//! CSV for Excel: UTF-8 with a BOM, CRLF line ends, JST times, streamed so
//! millions of rows never sit in memory.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use futures::{Stream, StreamExt};

pub const BOM: &str = "\u{feff}";

pub fn jst(t: DateTime<Utc>) -> String {
    t.with_timezone(&FixedOffset::east_opt(9 * 3600).expect("JST offset"))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Records as CSV bytes, CRLF-terminated as Excel expects.
pub fn lines(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

/// A streamed download: BOM and header row first, then each page of rows.
/// `total` (when known) goes out as `X-Total-Count` so a client can show progress.
pub fn download<S>(file_stem: &str, header_row: &[&str], pages: S, total: Option<u64>) -> Response
where
    S: Stream<Item = anyhow::Result<Vec<Vec<String>>>> + Send + 'static,
{
    let head = Bytes::from(
        [
            BOM.as_bytes(),
            &lines(&[header_row.iter().map(|s| s.to_string()).collect()]),
        ]
        .concat(),
    );
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
    let name = format!("{file_stem}-{}.csv", Utc::now().format("%Y%m%d%H%M%S"));
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

/// The caller of a request outside GraphQL (downloads, uploads), if it holds
/// one of `permissions`; otherwise the response to send (401 without a
/// session, 403 without the permission).
pub async fn authorize(
    app: &crate::app::App,
    headers: &axum::http::HeaderMap,
    peer: std::net::SocketAddr,
    permissions: &[crate::auth::Permission],
) -> Result<crate::auth::Caller, Response> {
    use axum::http::StatusCode;
    let caller = crate::staff::sessions::resolve_caller(app, headers, peer)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
    if let Err(e) = caller.require_any(permissions) {
        let status = if e.code() == "UNAUTHENTICATED" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::FORBIDDEN
        };
        return Err((status, e.to_string()).into_response());
    }
    Ok(caller)
}
