//! `GET /exports/card-holders.csv?reason=…`: holders' personal data for
//! checking and analysis (seed 2.6(2)ア). Needs `card.pii.export` (second
//! factor) and a stated reason; the audit row is written before the first byte.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::json;

use super::holders::{self, SELECT_SEALED, SealedRow};
use super::{eligibility, settings, staff};
use crate::app::App;
use crate::audit::download::Export;
use crate::auth::{Caller, Permission};
use crate::csv::{Cell, jst};

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

fn row(h: staff::CardHolder) -> Vec<Cell> {
    let mut out: Vec<Cell> =
        crate::csv_row![h.id.to_string(), h.line_user_id, h.holder_name, h.relation];
    for i in 0..super::model::MAX_CHILDREN {
        match h.children.get(i) {
            Some(c) => out.extend(crate::csv_row![c.name.clone(), c.birth_date.to_string()]),
            None => out.extend(crate::csv_row!["", ""]),
        }
    }
    out.extend(crate::csv_row![
        h.expected_date.map(|d| d.to_string()).unwrap_or_default(),
        if h.grandparent { "はい" } else { "" },
        if h.eligible { "対象" } else { "対象外" },
        h.eligible_until.map(|d| d.to_string()).unwrap_or_default(),
        jst(h.registered_at),
        jst(h.updated_at),
    ]);
    out
}

/// The row of a holder whose data did not open: who it is, and that it failed.
fn unreadable(r: &SealedRow) -> Vec<Cell> {
    let mut out: Vec<Cell> = crate::csv_row![
        r.data_key_id.to_string(),
        r.line_user_id.clone(),
        UNREADABLE
    ];
    out.resize(HEADER.len(), Cell::from(""));
    out
}

/// Shown in the name column of a row that could not be decrypted.
pub const UNREADABLE: &str = "（復号できませんでした。システム管理者に連絡してください）";

pub async fn card_holders_csv(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Query(p): Query<Params>,
) -> Response {
    let reason = match crate::csv::authorize_with_reason(
        &caller,
        &[Permission::CardPiiExport],
        p.reason.as_deref(),
    ) {
        Ok(r) => r,
        Err(refusal) => return *refusal,
    };
    let setup = async {
        let mut conn = app.db.get().await?;
        let grace = settings::grace_days(settings::cache(&app).get(&app).await?.as_ref());
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
    let export = Export {
        file_stem: "card-holders",
        header: HEADER.iter().map(|h| h.to_string()).collect(),
        total: Some(total as u64),
        action: "card.pii.export",
        target: None,
        summary: json!({ "reason": reason, "rows": total }),
    };
    let today = eligibility::today_jst();
    let db = app.clone();
    export
        .audited(&app, &caller, String::new(), move |after| {
            let app = db.clone();
            async move { page(&app, &after, grace, today).await }
        })
        .await
}

/// Holders after `after` (by LINE user id), opened; a row that does not
/// open is reported in its place.
async fn page(
    app: &App,
    after: &str,
    grace: i32,
    today: chrono::NaiveDate,
) -> anyhow::Result<crate::audit::download::Page<String>> {
    let mut conn = app.db.get().await?;
    let rows: Vec<SealedRow> = diesel::sql_query(format!(
        "{SELECT_SEALED} WHERE h.line_user_id > $1 ORDER BY h.line_user_id LIMIT $2"
    ))
    .bind::<Text, _>(after)
    .bind::<BigInt, _>(PAGE)
    .load(&mut conn)
    .await?;
    drop(conn);
    let next = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.line_user_id.clone()))
        .flatten();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        match holders::open_row(app, &r).await {
            Ok(h) => out.push(row(staff::record(h, grace, today))),
            // One damaged row must not cut the file short for
            // everyone after it: say so in its place and go on.
            Err(e) => {
                tracing::error!(holder = %r.data_key_id, error = %e, "a card holder's row could not be opened for the export");
                metrics::counter!("tenohira_card_export_unreadable_total").increment(1);
                out.push(unreadable(&r));
            }
        }
    }
    Ok((out, next))
}
