//! `POST /media` (upload, staff with `delivery.create`) and
//! `GET /media/{id}[/preview]` (public: LINE fetches these).

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures::StreamExt;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::{MAX_IMAGE_BYTES, MAX_VIDEO_BYTES, preview, sniff};
use crate::app::App;
use crate::audit::{Outcome, Target, record_now};
use crate::auth::{Caller, Permission};
use crate::db::schema::media;
use crate::storage::Variant;

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

/// Who may upload: staff composing deliveries, the pass, or the card's images.
const UPLOADERS: &[Permission] = &[
    Permission::DeliveryCreate,
    Permission::PassManage,
    Permission::CardSettings,
];

const ACCEPTED_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "video/mp4",
    "application/octet-stream",
];

/// Image decodes running at once in this process (each may take up to
/// 256 MB and a core for a second); more uploads wait their turn.
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Streams the body to a temporary file (never all in memory), refusing as
/// soon as it passes the limit for what its first bytes say it is.
pub async fn upload(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(refusal) = crate::csv::authorize(&caller, UPLOADERS) {
        return *refusal;
    }
    // Only a file's own type (or "some bytes"): the types an HTML form can
    // send cross-site without asking (text/plain, form encodings) are refused.
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if !ACCEPTED_TYPES.contains(&declared.as_str()) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Content-Type は image/jpeg・image/png・video/mp4・application/octet-stream のいずれかにしてください",
        );
    }
    let store = &app.media;
    let (tmp, mut file) = match store.temp().await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "media store unavailable");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let cleanup = |tmp: std::path::PathBuf| async move {
        let _ = tokio::fs::remove_file(tmp).await;
    };
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let mut kind: Option<(&str, &str)> = None;
    let mut size: u64 = 0;
    // Images are read back for checking and previews; videos are not.
    let mut image_bytes: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            cleanup(tmp).await;
            return refuse(
                StatusCode::BAD_REQUEST,
                "UPLOAD_INTERRUPTED",
                "アップロードが中断されました",
            );
        };
        size += chunk.len() as u64;
        if kind.is_none() {
            head.extend_from_slice(&chunk[..chunk.len().min(16 - head.len().min(16))]);
            if head.len() >= 12 || size >= 12 {
                kind = sniff(&head);
                if kind.is_none() {
                    cleanup(tmp).await;
                    return refuse(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "UNSUPPORTED_MEDIA",
                        "JPEG・PNGの画像、またはMP4の動画を選んでください",
                    );
                }
            }
        }
        let limit = match kind {
            Some(("video", _)) => MAX_VIDEO_BYTES,
            _ => MAX_IMAGE_BYTES,
        };
        if size > limit {
            cleanup(tmp).await;
            let message = if limit == MAX_VIDEO_BYTES {
                "動画は200MB以下にしてください"
            } else {
                "画像は10MB以下にしてください"
            };
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, "TOO_LARGE", message);
        }
        if !matches!(kind, Some(("video", _))) {
            image_bytes.extend_from_slice(&chunk);
        }
        if file.write_all(&chunk).await.is_err() {
            cleanup(tmp).await;
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    let _ = file.flush().await;
    let Some((kind, content_type)) = kind.or_else(|| sniff(&head)) else {
        cleanup(tmp).await;
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA",
            "ファイルが空か、対応していない形式です",
        );
    };
    if declared != "application/octet-stream" && declared != content_type {
        cleanup(tmp).await;
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA",
            "ファイルの中身が指定された種類と一致しません",
        );
    }
    let id = Uuid::new_v4();
    let mut preview_size = None;
    if kind == "image" {
        let format = if content_type == "image/png" {
            image::ImageFormat::Png
        } else {
            image::ImageFormat::Jpeg
        };
        let bytes = std::mem::take(&mut image_bytes);
        // Decoding takes memory and a core: a few at a time, the rest wait.
        let Ok(_permit) = DECODES.acquire().await else {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        };
        let made = tokio::task::spawn_blocking(move || preview::make(&bytes, format)).await;
        match made {
            Ok(Ok(Some(p))) => {
                preview_size = Some(p.len() as i64);
                if let Err(e) = store.write(id, Variant::Preview, p, "image/jpeg").await {
                    tracing::error!(error = %e, "storing a preview failed");
                    cleanup(tmp).await;
                    return StatusCode::SERVICE_UNAVAILABLE.into_response();
                }
            }
            Ok(Ok(None)) => preview_size = Some(size as i64),
            Ok(Err(refusal)) => {
                cleanup(tmp).await;
                return refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    refusal.code(),
                    &refusal.message(),
                );
            }
            Err(_) => {
                cleanup(tmp).await;
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        }
    }
    if let Err(e) = store
        .commit(&tmp, id, Variant::Original, content_type)
        .await
    {
        tracing::error!(error = %e, "storing an upload failed");
        cleanup(tmp).await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let file_name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|v| percent_decode(v).chars().take(200).collect::<String>())
        .unwrap_or_default();
    let (_, by, _) = caller.actor();
    let inserted = async {
        let mut conn = app.db.get().await?;
        diesel::insert_into(media::table)
            .values((
                media::id.eq(id),
                media::kind.eq(kind),
                media::content_type.eq(content_type),
                media::size.eq(size as i64),
                media::preview_type.eq(preview_size.map(|_| "image/jpeg")),
                media::preview_size.eq(preview_size),
                media::file_name.eq(&file_name),
                media::created_by.eq(by),
            ))
            .execute(&mut conn)
            .await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = inserted {
        tracing::error!(error = %e, "recording media failed");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let _ = record_now(
        &app.db,
        &caller,
        "media.upload",
        Some(Target::new("media", id)),
        json!({ "kind": kind, "size": size, "fileName": file_name }),
        Outcome::Success,
    )
    .await;
    (
        StatusCode::CREATED,
        axum::Json(json!({ "id": id, "kind": kind, "contentType": content_type, "size": size })),
    )
        .into_response()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub async fn original(State(app): State<App>, Path(id): Path<Uuid>) -> Response {
    serve(&app, id, Variant::Original).await
}

pub async fn preview(State(app): State<App>, Path(id): Path<Uuid>) -> Response {
    serve(&app, id, Variant::Preview).await
}

async fn serve(app: &App, id: Uuid, v: Variant) -> Response {
    let Ok(mut conn) = app.db.get().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let row: Option<(String, Option<String>, i64, Option<i64>)> = media::table
        .find(id)
        .select((
            media::content_type,
            media::preview_type,
            media::size,
            media::preview_size,
        ))
        .first(&mut conn)
        .await
        .optional()
        .unwrap_or(None);
    drop(conn);
    let Some((content_type, preview_type, size, preview_size)) = row else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // A small image is its own preview; a video's preview is a separate image.
    let (variant, ct) = match v {
        Variant::Preview if preview_size.is_some() && preview_size != Some(size) => {
            (Variant::Preview, preview_type.unwrap_or(content_type))
        }
        Variant::Preview if preview_size.is_none() => return StatusCode::NOT_FOUND.into_response(),
        _ => (Variant::Original, content_type),
    };
    let file = match app.media.read(id, variant).await {
        Ok(Some(f)) => f,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading media failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let mut res = Body::from_stream(file).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ct) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("\"{id}\"")) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}
