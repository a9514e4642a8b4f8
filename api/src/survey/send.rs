//! Sending a survey to residents: a message with 回答する (the LIFF page)
//! and, when the survey fits the chat, トークで回答 — through delivery's
//! public entry point, so it is checked, counted and reported as any
//! delivery is. Staff who may not send deliveries themselves leave it as a
//! draft for a sender's approval.

use serde_json::json;

use super::access::{self, Access};
use super::answer;
use crate::app::App;
use crate::auth::{Caller, Permission};
use crate::delivery::model::{Button, Message, Target};
use crate::delivery::service::{OnBehalf, send_on_behalf};
use crate::error::{AppError, AppResult};

pub const MAX_TEXT: usize = 160;

pub async fn send(
    app: &App,
    caller: &Caller,
    id: i32,
    text: String,
    segment: Option<i32>,
) -> AppResult<i64> {
    let mut conn = app.db.get().await?;
    let (row, _) = access::load(&mut conn, caller, id, Access::Own).await?;
    if let Some(s) = segment
        && !crate::audience::service::segment_exists(&mut conn, s).await?
    {
        return Err(AppError::bad_input(
            "input.segmentId",
            "そのセグメントはありません",
        ));
    }
    drop(conn);
    // Reaching residents is a delivery: without delivery.send the message is
    // kept as a draft a sender must approve in 配信, as a mail rule's draft is.
    let awaiting_approval = !caller.has(Permission::DeliverySend);
    let text = text.trim().to_string();
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return Err(AppError::bad_input(
            "input.text",
            format!("メッセージは1〜{MAX_TEXT}文字です"),
        ));
    }
    let live = answer::live(app, id, true)
        .await?
        .filter(|l| l.row.status(chrono::Utc::now()) == super::model::Status::Open)
        .ok_or_else(|| {
            AppError::Conflict(
                "受付中のアンケートだけを配信できます（公開して、受付期間内にしてください）".into(),
            )
        })?;
    let mut buttons = vec![Button {
        label: "回答する".into(),
        uri: Some(super::liff_url(app, id)),
        data: None,
    }];
    if super::chat::questions(&live.form).is_some() {
        buttons.push(Button {
            label: "トークで回答".into(),
            uri: None,
            data: Some(format!("survey:start:{id}")),
        });
    }
    let target = match segment.or(live.settings.segment_id) {
        Some(s) => Target::Segment(s),
        None => Target::All,
    };
    send_on_behalf(
        app,
        caller,
        OnBehalf {
            title: format!("【アンケート】{}", row.title)
                .chars()
                .take(100)
                .collect(),
            messages: vec![Message::Buttons { text, buttons }],
            target,
            audit_action: "survey.send",
            audit_summary: json!({ "survey": id, "segment": segment.or(live.settings.segment_id) }),
            awaiting_approval,
        },
    )
    .await
    .map_err(|e| e.under("input"))
}
