//! `GET /exports/friend-settings.csv`: residents' settings with their
//! identifiers (internal id and LINE user id), seed 2.4(4)ク. Needs
//! `friend.export` (which needs a second factor); every export is audited;
//! rows stream page by page, so 2,000,000 never sit in memory.
//! `?segmentId=` narrows the export to a saved segment's audience.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::json;

use super::service;
use crate::app::App;
use crate::audit::Target;
use crate::audit::download::Export;
use crate::auth::{Caller, Permission};
use crate::csv::{Cell, jst};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    segment_id: Option<i32>,
    /// Why the export is made (kept in the audit log).
    reason: Option<String>,
}

const PAGE: i64 = 2000;

/// One exported resident: their settings and (from friends) who they are.
struct Row {
    id: i64,
    line_user_id: String,
    status: String,
    followed_at: DateTime<Utc>,
    registered_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    birth_year: Option<i32>,
    option_ids: Vec<i32>,
    node_ids: Vec<i32>,
    free_text: serde_json::Value,
}

/// A resident's settings as stored.
#[derive(Queryable)]
struct Stored {
    friend_id: i64,
    registered_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    birth_year: Option<i32>,
    option_ids: Vec<i32>,
    node_ids: Vec<i32>,
    free_text: serde_json::Value,
}

/// Settings of the friends after `after`, by friend id, with who they are.
async fn rows_after(
    conn: &mut diesel_async::AsyncPgConnection,
    after: i64,
) -> anyhow::Result<(Vec<Row>, Option<i64>)> {
    use crate::db::schema::friend_settings as s;
    let settings: Vec<Stored> = s::table
        .filter(s::friend_id.gt(after))
        .order(s::friend_id)
        .limit(PAGE)
        .select((
            s::friend_id,
            s::registered_at,
            s::updated_at,
            s::birth_year,
            s::option_ids,
            s::node_ids,
            s::free_text,
        ))
        .load(conn)
        .await?;
    let next = (settings.len() as i64 == PAGE)
        .then(|| settings.last().map(|r| r.friend_id))
        .flatten();
    let ids: Vec<i64> = settings.iter().map(|r| r.friend_id).collect();
    let mut who: HashMap<i64, crate::friends::lookup::Identified> =
        crate::friends::lookup::identified(conn, &ids)
            .await?
            .into_iter()
            .map(|f| (f.id, f))
            .collect();
    let rows = settings
        .into_iter()
        .filter_map(|st| {
            let f = who.remove(&st.friend_id)?;
            Some(Row {
                id: st.friend_id,
                line_user_id: f.line_user_id,
                status: f.status,
                followed_at: f.followed_at,
                registered_at: st.registered_at,
                updated_at: st.updated_at,
                birth_year: st.birth_year,
                option_ids: st.option_ids,
                node_ids: st.node_ids,
                free_text: st.free_text,
            })
        })
        .collect();
    Ok((rows, next))
}

/// Column layout derived from the catalogue at export time.
struct Layout {
    choice_attributes: Vec<(i32, String)>,
    free_attributes: Vec<(i32, String)>,
    option_label: HashMap<i32, (i32, String)>,
    node_path: HashMap<i32, String>,
}

impl Layout {
    async fn load(app: &App) -> anyhow::Result<Self> {
        let mut conn = app.db.get().await?;
        let attrs = service::attributes_with_options(&mut conn).await?;
        let nodes = service::nodes(&mut conn).await?;
        let mut l = Layout {
            choice_attributes: vec![],
            free_attributes: vec![],
            option_label: HashMap::new(),
            node_path: HashMap::new(),
        };
        for (a, opts) in attrs {
            match a.kind.as_str() {
                "birth_year" => {}
                "free_text" => l.free_attributes.push((a.id, a.name)),
                _ => {
                    for o in opts {
                        l.option_label.insert(o.id, (a.id, o.label));
                    }
                    l.choice_attributes.push((a.id, a.name));
                }
            }
        }
        let by_id: HashMap<i32, (Option<i32>, String)> = nodes
            .into_iter()
            .map(|n| (n.id, (n.parent_id, n.name)))
            .collect();
        for id in by_id.keys() {
            let mut parts = vec![];
            let mut cur = Some(*id);
            while let Some(c) = cur {
                let Some((parent, name)) = by_id.get(&c) else {
                    break;
                };
                parts.push(name.clone());
                cur = *parent;
            }
            parts.reverse();
            l.node_path.insert(*id, parts.join("›"));
        }
        Ok(l)
    }

    fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = [
            "内部ID",
            "LINEユーザーID",
            "状態",
            "友だち追加日時(JST)",
            "登録日時(JST)",
            "更新日時(JST)",
            "生まれ年",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        h.extend(self.choice_attributes.iter().map(|(_, n)| n.clone()));
        h.push("受信項目".into());
        h.extend(self.free_attributes.iter().map(|(_, n)| n.clone()));
        h
    }

    fn row(&self, r: Row) -> Vec<Cell> {
        let mut out = crate::csv_row![
            Cell::int(r.id),
            r.line_user_id,
            if r.status == "following" {
                "友だち"
            } else {
                "ブロック"
            },
            jst(r.followed_at),
            jst(r.registered_at),
            jst(r.updated_at),
            r.birth_year.map_or(Cell::from(""), Cell::number),
        ];
        for (attr, _) in &self.choice_attributes {
            let labels: Vec<&str> = r
                .option_ids
                .iter()
                .filter_map(|o| self.option_label.get(o))
                .filter(|(a, _)| a == attr)
                .map(|(_, l)| l.as_str())
                .collect();
            out.push(labels.join("、").into());
        }
        out.push(
            r.node_ids
                .iter()
                .filter_map(|n| self.node_path.get(n).cloned())
                .collect::<Vec<_>>()
                .join("、")
                .into(),
        );
        for (attr, _) in &self.free_attributes {
            out.push(
                r.free_text
                    .get(attr.to_string())
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .into(),
            );
        }
        out
    }
}

pub async fn friend_settings_csv(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Query(p): Query<Params>,
) -> Response {
    let reason = match crate::csv::authorize_with_reason(
        &caller,
        &[Permission::FriendExport],
        p.reason.as_deref(),
    ) {
        Ok(r) => r,
        Err(refusal) => return *refusal,
    };
    let members = match p.segment_id {
        None => None,
        Some(id) => {
            let segment = match service::get_segment(&app, &Caller::system(), id).await {
                Ok(s) => s,
                Err(e) => return (StatusCode::NOT_FOUND, e.to_string()).into_response(),
            };
            let Ok(expr) = segment.expr() else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let index = super::index(&app);
            if index.ensure_loaded(&app.db).await.is_err() {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            Some(std::sync::Arc::new(index.members(&expr)))
        }
    };
    let layout = match Layout::load(&app).await {
        Ok(l) => std::sync::Arc::new(l),
        Err(e) => {
            tracing::error!(error = %e, "friend export layout");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    let total = match &members {
        Some(m) => Some(m.len()),
        None => {
            async {
                let mut conn = app.db.get().await.ok()?;
                crate::db::schema::friend_settings::table
                    .count()
                    .get_result::<i64>(&mut conn)
                    .await
                    .ok()
                    .map(|n| n as u64)
            }
            .await
        }
    };
    let export = Export {
        file_stem: "friend-settings",
        header: layout.header(),
        total,
        action: "friends.settings.export",
        target: p.segment_id.map(|s| Target::new("segment", s)),
        summary: json!({ "segmentId": p.segment_id, "reason": reason, "rows": total }),
    };
    let db = app.clone();
    export
        .audited(&app, &caller, 0i64, move |after| {
            let (app, layout, members) = (db.clone(), layout.clone(), members.clone());
            async move {
                let mut conn = app.db.get().await?;
                let (rows, next) = rows_after(&mut conn, after).await?;
                let lines = rows
                    .into_iter()
                    .filter(|r| {
                        members
                            .as_ref()
                            .is_none_or(|m| u32::try_from(r.id).is_ok_and(|i| m.contains(i)))
                    })
                    .map(|r| layout.row(r))
                    .collect();
                Ok((lines, next))
            }
        })
        .await
}
