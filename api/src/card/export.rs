//! `GET /exports/card-holders.csv?reason=…`: holders' personal data for
//! checking and analysis (seed 2.6(2)ア). Needs `card.pii.export` (second
//! factor) and a stated reason; the audit row is written before the first byte.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::json;

use super::holders::{self, SELECT_SEALED, SealedRow};
use super::{eligibility, settings, staff};
use crate::app::AppState;
use crate::audit::{Outcome, record_now};
use crate::auth::Permission;
use crate::csv::jst;

#[derive(Deserialize, Default)]
pub struct Params {
    reason: Option<String>,
}

const PAGE: i64 = 500;
const HEADER: &[&str] = &[
    "利用者ID",
    "LINEユーザーID",
    "カード対象者氏名",
    "続柄",
    "第1子 氏名",
    "第1子 生年月日",
    "第2子 氏名",
    "第2子 生年月日",
    "第3子 氏名",
    "第3子 生年月日",
    "第4子 氏名",
    "第4子 生年月日",
    "第5子 氏名",
    "第5子 生年月日",
    "出産予定日",
    "祖父母",
    "対象",
    "対象期限",
    "登録日時(JST)",
    "更新日時(JST)",
];

fn row(h: staff::CardHolder) -> Vec<String> {
    let mut out = vec![h.id.to_string(), h.line_user_id, h.holder_name, h.relation];
    for i in 0..super::model::MAX_CHILDREN {
        match h.children.get(i) {
            Some(c) => out.extend([c.name.clone(), c.birth_date.to_string()]),
            None => out.extend([String::new(), String::new()]),
        }
    }
    out.push(h.expected_date.map(|d| d.to_string()).unwrap_or_default());
    out.push(if h.grandparent { "はい" } else { "" }.into());
    out.push(if h.eligible { "対象" } else { "対象外" }.into());
    out.push(h.eligible_until.map(|d| d.to_string()).unwrap_or_default());
    out.push(jst(h.registered_at));
    out.push(jst(h.updated_at));
    out
}

pub async fn card_holders_csv(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let app = state.app.clone();
    let caller =
        match crate::csv::authorize(&app, &headers, peer, &[Permission::CardPiiExport]).await {
            Ok(c) => c,
            Err(res) => return res,
        };
    let reason = p.reason.as_deref().map(str::trim).unwrap_or("").to_string();
    if reason.is_empty() || reason.chars().count() > 200 {
        return (
            StatusCode::BAD_REQUEST,
            "出力の理由（200文字以内）を入力してください",
        )
            .into_response();
    }
    let setup = async {
        let mut conn = app.db.get().await?;
        let grace = settings::grace_days(app.card_settings.get(&app).await?.as_ref());
        let total: i64 = {
            use diesel::QueryDsl;
            crate::db::schema::card_holders::table
                .count()
                .get_result(&mut conn)
                .await?
        };
        crate::error::AppResult::Ok((grace, total))
    };
    let (grace, total) = match setup.await {
        Ok(v) => v,
        Err(e) => {
            let _ = e.to_graphql();
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    if let Err(e) = record_now(
        &app.db,
        &caller,
        "card.pii.export",
        None,
        json!({ "reason": reason, "rows": total }),
        Outcome::Success,
    )
    .await
    {
        let _ = e.to_graphql();
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let today = eligibility::today_jst();
    let pages = futures::stream::unfold(Some(String::new()), move |cursor| {
        let app = app.clone();
        async move {
            let after = cursor?;
            let page = async {
                let mut conn = app.db.get().await?;
                let rows: Vec<SealedRow> = diesel::sql_query(format!(
                    "{SELECT_SEALED} WHERE h.line_user_id > $1 ORDER BY h.line_user_id LIMIT $2"
                ))
                .bind::<Text, _>(&after)
                .bind::<BigInt, _>(PAGE)
                .load(&mut conn)
                .await?;
                drop(conn);
                let last = rows.last().map(|r| r.line_user_id.clone());
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let h = holders::open_row(&app, &r)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    out.push(row(staff::record(h, grace, today)));
                }
                anyhow::Ok((out, last))
            }
            .await;
            match page {
                Ok((rows, _)) if rows.is_empty() => None,
                Ok((rows, last)) => Some((Ok(rows), last)),
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    crate::csv::download("card-holders", HEADER, pages, Some(total as u64))
}
