//! Settings staff change at run time (stored in PostgreSQL, audited by the caller).

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::app_settings;

pub async fn get(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<Option<Value>> {
    app_settings::table
        .find(key)
        .select(app_settings::value)
        .first(conn)
        .await
        .optional()
}

pub async fn set(
    conn: &mut AsyncPgConnection,
    key: &str,
    value: Value,
    by: Option<Uuid>,
) -> QueryResult<()> {
    diesel::insert_into(app_settings::table)
        .values((
            app_settings::key.eq(key),
            app_settings::value.eq(&value),
            app_settings::updated_by.eq(by),
        ))
        .on_conflict(app_settings::key)
        .do_update()
        .set((
            app_settings::value.eq(excluded(app_settings::value)),
            app_settings::updated_by.eq(excluded(app_settings::updated_by)),
            app_settings::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
