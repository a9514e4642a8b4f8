//! Images and videos staff upload for deliveries, stored by a media store
//! and served to LINE at `/media/{id}` (and `/media/{id}/preview`).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::media;

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
