//! Registration forms (seed 2.4(4)オ): staff choose which attributes appear,
//! in which order, required or optional, with which help text, and which
//! parts of the receive-item tree. Publishing makes a new version; residents
//! always see the latest. Without any version the form is every live attribute.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::service;
use crate::app::App;
use crate::audit::{self, Outcome, Target};
use crate::auth::{Caller, Permission};
use crate::db::schema::registration_forms;
use crate::error::{AppError, AppResult, Problems};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FormItem {
    pub attribute_id: i32,
    pub required: bool,
    /// Replaces the attribute's own help text on this form when set.
    #[serde(default)]
    pub help_text: Option<String>,
}

#[derive(Clone, Debug)]
pub struct FormVersion {
    pub version: i32,
    pub items: Vec<FormItem>,
    pub category_root_ids: Vec<i32>,
    pub created_at: DateTime<Utc>,
}

type Row = (i32, serde_json::Value, Vec<i32>, DateTime<Utc>);

fn from_row((version, items, category_root_ids, created_at): Row) -> FormVersion {
    FormVersion {
        version,
        items: serde_json::from_value(items).unwrap_or_default(),
        category_root_ids,
        created_at,
    }
}

/// The form residents see now, if staff have published one.
pub async fn current(conn: &mut AsyncPgConnection) -> QueryResult<Option<FormVersion>> {
    Ok(registration_forms::table
        .order(registration_forms::version.desc())
        .select((
            registration_forms::version,
            registration_forms::items,
            registration_forms::category_root_ids,
            registration_forms::created_at,
        ))
        .first::<Row>(conn)
        .await
        .optional()?
        .map(from_row))
}

pub async fn versions(app: &App, caller: &Caller) -> AppResult<Vec<FormVersion>> {
    caller.require(Permission::SegmentManage)?;
    let mut conn = app.db.get().await?;
    Ok(registration_forms::table
        .order(registration_forms::version.desc())
        .select((
            registration_forms::version,
            registration_forms::items,
            registration_forms::category_root_ids,
            registration_forms::created_at,
        ))
        .load::<Row>(&mut conn)
        .await?
        .into_iter()
        .map(from_row)
        .collect())
}

pub async fn publish(
    app: &App,
    caller: &Caller,
    items: Vec<FormItem>,
    roots: Vec<i32>,
) -> AppResult<FormVersion> {
    caller.require(Permission::SegmentManage)?;
    let mut conn = app.db.get().await?;
    let attrs = service::attributes_with_options(&mut conn).await?;
    let nodes = service::nodes(&mut conn).await?;
    let mut p = Problems::new();
    p.check(
        !items.is_empty() && items.len() <= 100,
        "items",
        "項目を1〜100個選んでください",
    );
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        match attrs.iter().find(|(a, _)| a.id == item.attribute_id) {
            None => p.add(format!("items[{i}].attributeId"), "項目がありません"),
            Some((a, _)) if a.archived_at.is_some() => p.add(
                format!("items[{i}].attributeId"),
                format!("「{}」はアーカイブされています", a.name),
            ),
            Some(_) => {}
        }
        p.check(
            seen.insert(item.attribute_id),
            &format!("items[{i}].attributeId"),
            "同じ項目が2回あります",
        );
        if let Some(h) = &item.help_text {
            p.check(
                h.chars().count() <= 500,
                &format!("items[{i}].helpText"),
                "説明は500文字以内で入力してください",
            );
        }
    }
    for (i, r) in roots.iter().enumerate() {
        p.check(
            nodes.iter().any(|n| n.id == *r),
            &format!("categoryRootIds[{i}]"),
            "受信項目がありません",
        );
    }
    p.into_result()?;
    let by = caller.staff().ok().map(|s| s.account_id);
    let value = serde_json::to_value(&items).map_err(AppError::internal)?;
    let caller = caller.clone();
    let row = conn
        .transaction::<Row, AppError, _>(async move |conn| {
            let row: Row = diesel::insert_into(registration_forms::table)
                .values((
                    registration_forms::items.eq(&value),
                    registration_forms::category_root_ids.eq(&roots),
                    registration_forms::created_by.eq(by),
                ))
                .returning((
                    registration_forms::version,
                    registration_forms::items,
                    registration_forms::category_root_ids,
                    registration_forms::created_at,
                ))
                .get_result(conn)
                .await?;
            audit::record(
                conn,
                &caller,
                "audience.form.publish",
                Some(Target::new("registration_form", row.0)),
                json!({ "items": value, "categoryRootIds": roots }),
                Outcome::Success,
            )
            .await?;
            Ok(row)
        })
        .await?;
    Ok(from_row(row))
}
