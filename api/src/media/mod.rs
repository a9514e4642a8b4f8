//! Images and videos staff upload for deliveries. The bytes go to a media
//! store (the filesystem here; the store is one small type so an
//! S3-compatible one can take its place), the index to the `media` table.
//! LINE fetches them over HTTPS at `/media/{id}` and `/media/{id}/preview`,
//! cached for a year: a file never changes under its id.

pub mod http;
mod preview;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::media;

/// LINE's limits: image original ≤ 10 MB (preview ≤ 1 MB), video ≤ 200 MB.
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;
pub const MAX_PREVIEW_BYTES: u64 = 1024 * 1024;
pub const MAX_VIDEO_BYTES: u64 = 200 * 1024 * 1024;

/// Whether a stored file of this kind exists (a delivery may only name those).
pub async fn exists(conn: &mut AsyncPgConnection, id: Uuid, kind: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        media::table
            .filter(media::id.eq(id))
            .filter(media::kind.eq(kind)),
    ))
    .get_result(conn)
    .await
}

/// What the bytes are, from their first bytes (never from the name or header alone).
pub fn sniff(head: &[u8]) -> Option<(&'static str, &'static str)> {
    if head.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(("image", "image/jpeg"))
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image", "image/png"))
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
        Some(("video", "video/mp4"))
    } else {
        None
    }
}

/// Stores a file this program made (demo images), as an upload would be.
pub async fn store_generated(
    app: &crate::app::App,
    bytes: Vec<u8>,
    content_type: &str,
    file_name: &str,
) -> anyhow::Result<Uuid> {
    let id = Uuid::new_v4();
    let size = bytes.len() as i64;
    app.media
        .write(id, crate::storage::Variant::Original, bytes, content_type)
        .await?;
    let mut conn = app.db.get().await?;
    diesel::insert_into(media::table)
        .values((
            media::id.eq(id),
            media::kind.eq("image"),
            media::content_type.eq(content_type),
            media::size.eq(size),
            media::file_name.eq(file_name),
        ))
        .execute(&mut conn)
        .await?;
    Ok(id)
}
