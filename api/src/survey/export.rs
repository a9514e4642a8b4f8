//! `GET /exports/surveys/{id}/answers.csv?reason=…`: every answer as one
//! row, one column per question (a MULTIPLE question as one column per
//! option), for Excel. Needs `survey.manage` and access to the survey, and a
//! stated reason; the audit row is written before the first byte, and the
//! rows are streamed page by page, so any number of answers takes the
//! same memory and no link expires.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::access::{self, Access};
use super::form::{Form, Kind, Question};
use super::model::SurveyRow;
use super::results::{self, Filter, Record};
use crate::app::App;
use crate::audit::Target;
use crate::audit::download::Export;
use crate::auth::{Caller, Permission};
use crate::csv::{Cell, jst};

#[derive(Deserialize, Default)]
pub struct Params {
    reason: Option<String>,
}

const CHANNEL_JA: &[(&str, &str)] = &[("liff", "LIFF"), ("chat", "トーク")];

/// The columns after the fixed ones: a question, or one option of a MULTIPLE question.
enum Column<'f> {
    Question(&'f Question),
    Pick(&'f Question, &'f str),
}

fn columns(form: &Form) -> Vec<Column<'_>> {
    let mut out = Vec::new();
    for q in form.questions() {
        match q.kind {
            Kind::Description => {}
            Kind::Multiple => out.extend(q.choices.iter().map(|c| Column::Pick(q, &c.key))),
            _ => out.push(Column::Question(q)),
        }
    }
    out
}

fn header(form: &Form, identified: bool) -> Vec<String> {
    let mut h: Vec<String> = ["回答ID", "回答日時(JST)", "更新日時(JST)", "版", "回答方法"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if identified {
        h.push("友だちID".into());
    }
    for c in columns(form) {
        h.push(match c {
            Column::Question(q) => q.title.clone(),
            Column::Pick(q, key) => format!("{}：{}", q.title, q.label_of(key)),
        });
    }
    h
}

fn row(form: &Form, r: &Record, identified: bool) -> Vec<Cell> {
    let channel = CHANNEL_JA
        .iter()
        .find(|(k, _)| *k == r.channel)
        .map_or(r.channel.as_str(), |(_, v)| v);
    let mut out = vec![
        Cell::int(r.id),
        jst(r.submitted_at).into(),
        jst(r.updated_at).into(),
        Cell::int(i64::from(r.version)),
        channel.into(),
    ];
    if identified {
        out.push(r.friend_id.map(Cell::int).unwrap_or_else(|| "".into()));
    }
    for c in columns(form) {
        out.push(match c {
            Column::Question(q) => {
                let v = r.answers.get(&q.key).and_then(|v| v.first());
                match (q.kind, v) {
                    (_, None) => "".into(),
                    (Kind::Single | Kind::Dropdown, Some(v)) => q.label_of(v).into(),
                    (Kind::Consent, Some(_)) => "同意する".into(),
                    // Residents' text: the writer neutralises what Excel would run.
                    (_, Some(v)) => v.clone().into(),
                }
            }
            Column::Pick(q, key) => {
                let picked = r
                    .answers
                    .get(&q.key)
                    .is_some_and(|v| v.iter().any(|x| x == key));
                if picked { Cell::int(1) } else { "".into() }
            }
        });
    }
    out
}

pub async fn answers_csv(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i32>,
    Query(p): Query<Params>,
) -> Response {
    let reason = match crate::csv::authorize_with_reason(
        &caller,
        &[Permission::SurveyManage],
        p.reason.as_deref(),
    ) {
        Ok(r) => r,
        Err(refusal) => return *refusal,
    };
    let setup = async {
        let mut conn = app.db.get().await?;
        let (survey, _) = access::load(&mut conn, &caller, id, Access::Read).await?;
        let form = results::form_of(&app, &survey).await?;
        let total = super::service::counts(&app, &[id])
            .await?
            .get(&id)
            .copied()
            .unwrap_or(0);
        crate::error::AppResult::Ok((survey, form, total))
    };
    let (survey, form, total): (SurveyRow, Form, i64) = match setup.await {
        Ok(v) => v,
        Err(e) => return crate::csv::refused(e),
    };
    let identified = survey.settings().identified;
    let export = Export {
        file_stem: "survey-answers",
        header: header(&form, identified),
        total: Some(total as u64),
        action: "survey.export",
        target: Some(Target::new("survey", id)),
        summary: json!({ "reason": reason, "rows": total, "title": survey.title }),
    };
    let shared = std::sync::Arc::new((app.clone(), survey, form));
    export
        .audited(&app, &caller, 0i64, move |after| {
            let shared = shared.clone();
            async move {
                let (app, survey, form) = &*shared;
                let (records, next) = results::page(app, survey, &Filter::default(), after)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let rows = records.iter().map(|r| row(form, r, identified)).collect();
                Ok((rows, next))
            }
        })
        .await
}
