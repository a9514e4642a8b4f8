//! Delivery statistics (seed 2.4(4)コ): totals over a period, the live count
//! of a target, and the CSV for Excel.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::json;

use super::model::Target;
use super::service::{self, ListFilter, READERS};
use crate::app::App;
use crate::audit::download::Export;
use crate::auth::{Caller, Permission};
use crate::csv::{Cell, jst};
use crate::db::schema::{deliveries, delivery_runs};
use crate::error::{AppError, AppResult, Problems};

pub struct Totals {
    pub deliveries: i64,
    pub recipients: i64,
    pub accepted: i64,
    pub failed: i64,
}

pub async fn totals(app: &App, caller: &Caller, f: ListFilter) -> AppResult<Totals> {
    caller.require_any(READERS)?;
    service::check_filter(&f)?;
    let mut conn = app.db.get().await?;
    let q = super::service::apply_filter!(
        deliveries::table
            .left_join(delivery_runs::table)
            .into_boxed(),
        &f
    );
    use diesel::dsl::{count_star, sum};
    let (n, r, a, x): (i64, Option<i64>, Option<i64>, Option<i64>) = q
        .select((
            count_star(),
            sum(delivery_runs::recipients.nullable()),
            sum(delivery_runs::accepted.nullable()),
            sum(delivery_runs::failed.nullable()),
        ))
        .first(&mut conn)
        .await?;
    Ok(Totals {
        deliveries: n,
        recipients: r.unwrap_or(0),
        accepted: a.unwrap_or(0),
        failed: x.unwrap_or(0),
    })
}

/// Following friends the target reaches now (the live count beside the composer).
pub async fn target_count(app: &App, caller: &Caller, target: &Target) -> AppResult<u64> {
    caller.require(Permission::DeliveryCreate)?;
    crate::audience::index(app)
        .ensure_loaded(&app.db)
        .await
        .map_err(AppError::internal)?;
    let mut conn = app.db.get().await?;
    let mut p = Problems::new();
    service::check_target(app, &mut conn, target, &mut p).await?;
    p.into_result()?;
    Ok(super::dispatch::resolve(app, &mut conn, target)
        .await?
        .len())
}

#[derive(Deserialize, Default)]
pub struct Params {
    status: Option<String>,
    title: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

const STATUS_JA: &[(&str, &str)] = &[
    ("draft", "下書き"),
    ("scheduled", "配信予約"),
    ("sending", "配信中"),
    ("completed", "配信完了"),
    ("cancelled", "取り消し"),
];

/// `GET /exports/deliveries.csv`: one row per delivery with its statistics.
pub async fn deliveries_csv(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Query(p): Query<Params>,
) -> Response {
    if let Err(refusal) = crate::csv::authorize(&caller, READERS) {
        return *refusal;
    }
    let filter = ListFilter {
        status: p.status,
        title: p.title,
        from: p.from,
        to: p.to,
    };
    // The first page tells the total (and a bad filter, before anything is audited).
    let total = match service::list(&app, &caller, filter.clone(), 0, 0).await {
        Ok((_, total)) => total,
        Err(e) => return (axum::http::StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let export = Export {
        file_stem: "deliveries",
        header: HEADER.iter().map(|h| h.to_string()).collect(),
        total: Some(total as u64),
        action: "delivery.export",
        target: None,
        summary: json!({ "rows": total }),
    };
    let (db, reader) = (app.clone(), caller.clone());
    export
        .audited(&app, &caller, 0i64, move |offset| {
            let (app, caller, filter) = (db.clone(), reader.clone(), filter.clone());
            async move {
                let (rows, total) = service::list(&app, &caller, filter, offset, PAGE)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let next = offset + rows.len() as i64;
                let more = (next < total && !rows.is_empty()).then_some(next);
                Ok((rows.into_iter().map(|(d, r)| row(d, r)).collect(), more))
            }
        })
        .await
}

const PAGE: i64 = 500;

const HEADER: &[&str] = &[
    "配信ID",
    "タイトル",
    "種類",
    "状態",
    "作成者",
    "作成日時(JST)",
    "予約日時(JST)",
    "開始日時(JST)",
    "完了日時(JST)",
    "対象者数",
    "送信成功数",
    "送信失敗数",
    "所要時間(秒)",
    "集計単位",
];

fn row(d: super::model::Delivery, r: Option<super::model::Run>) -> Vec<Cell> {
    let opt = |t: Option<DateTime<Utc>>| t.map(jst).unwrap_or_default();
    let kinds: Vec<&str> = d
        .message_list()
        .iter()
        .map(|m| match m {
            super::model::Message::Text { .. } => "テキスト",
            super::model::Message::Image { .. } => "画像",
            super::model::Message::Video { .. } => "動画",
            super::model::Message::Buttons { .. } => "ボタン",
        })
        .collect();
    let status = STATUS_JA
        .iter()
        .find(|(k, _)| *k == d.status)
        .map_or(d.status.as_str(), |(_, v)| v);
    let duration = r
        .as_ref()
        .and_then(|r| Some((r.finished_at? - r.started_at).num_milliseconds() as f64 / 1000.0))
        .map_or(Cell::from(""), |s| Cell::Number(format!("{s:.1}")));
    let figure = |f: fn(&super::model::Run) -> i32| Cell::number(r.as_ref().map_or(0, f));
    crate::csv_row![
        Cell::int(d.id),
        d.title.clone(),
        kinds.join("・"),
        status,
        d.created_by_label.clone(),
        jst(d.created_at),
        opt(d.scheduled_at),
        opt(r.as_ref().map(|r| r.started_at)),
        opt(r.as_ref().and_then(|r| r.finished_at)),
        figure(|r| r.recipients),
        figure(|r| r.accepted),
        figure(|r| r.failed),
        duration,
        d.aggregation_unit.clone(),
    ]
}
