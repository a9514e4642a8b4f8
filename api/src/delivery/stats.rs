//! Delivery statistics (seed 2.4(4)コ): totals over a period, the live count
//! of a target, and the CSV for Excel.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use serde_json::json;

use super::model::Target;
use super::service::{self, ListFilter, READERS};
use crate::app::{App, AppState};
use crate::audit::{Outcome, record_now};
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
    app.audience
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
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(p): Query<Params>,
) -> Response {
    let app = state.app.clone();
    let caller = match crate::csv::authorize(&app, &headers, peer, READERS).await {
        Ok(c) => c,
        Err(refusal) => return refusal,
    };
    let filter = ListFilter {
        status: p.status,
        title: p.title,
        from: p.from,
        to: p.to,
    };
    // Statistics of one prefecture's deliveries fit in memory many times over.
    let (rows, total) = match service::list(&app, &caller, filter.clone(), 0, 500).await {
        Ok(r) => r,
        Err(e) => return (axum::http::StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let mut all = rows;
    let mut offset = 500;
    while (all.len() as i64) < total {
        match service::list(&app, &caller, filter.clone(), offset, 500).await {
            Ok((more, _)) if !more.is_empty() => all.extend(more),
            _ => break,
        }
        offset += 500;
    }
    if record_now(
        &app.db,
        &caller,
        "delivery.export",
        None,
        json!({ "rows": all.len() }),
        Outcome::Success,
    )
    .await
    .is_err()
    {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let opt = |t: Option<DateTime<Utc>>| t.map(jst).unwrap_or_default();
    let lines: Vec<Vec<Cell>> = all
        .into_iter()
        .map(|(d, r)| {
            let kinds: Vec<&str> = d
                .message_list()
                .iter()
                .map(|m| match m {
                    super::model::Message::Text { .. } => "テキスト",
                    super::model::Message::Image { .. } => "画像",
                    super::model::Message::Video { .. } => "動画",
                })
                .collect();
            let status = STATUS_JA
                .iter()
                .find(|(k, _)| *k == d.status)
                .map_or(d.status.as_str(), |(_, v)| v);
            let duration = r
                .as_ref()
                .and_then(|r| {
                    Some((r.finished_at? - r.started_at).num_milliseconds() as f64 / 1000.0)
                })
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
        })
        .collect();
    let n = lines.len() as u64;
    crate::csv::download(
        "deliveries",
        &[
            "配信ID",
            "件名",
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
        ],
        futures::stream::once(async move { Ok(lines) }),
        Some(n),
    )
}
