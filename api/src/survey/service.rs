//! Staff's work on surveys: drafting, publishing a version, settings,
//! closing, granting results to other accounts, deleting. Every change is
//! audited in its own transaction.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use uuid::Uuid;

use super::access::{self, Access};
use super::form::Form;
use super::model::{self, Settings, SurveyRow};
use crate::app::App;
use crate::audit::{Target, audited};
use crate::auth::Caller;
use crate::db::schema::{survey_answers, survey_grants, survey_versions, surveys};
use crate::error::{AppError, AppResult, FieldError};

/// The largest form a draft may hold, as JSON.
const MAX_FORM_BYTES: usize = 512 * 1024;

pub struct Draft {
    pub title: String,
    pub form: Form,
    pub settings: Settings,
}

fn check_draft(d: &Draft) -> AppResult<()> {
    let mut e = Vec::new();
    let t = d.title.trim();
    if t.is_empty() || t.chars().count() > model::MAX_TITLE {
        e.push(FieldError::new("title", "タイトルは1〜100文字です"));
    }
    // A draft may be incomplete; only its size is bounded here (publishing
    // checks all): what a builder saves, every results view reads again.
    let size = serde_json::to_vec(&d.form).map_or(usize::MAX, |v| v.len());
    if d.form.sections.len() > super::form::MAX_SECTIONS
        || d.form.questions().count() > super::form::MAX_QUESTIONS
        || d.form
            .questions()
            .any(|q| q.choices.len() > super::form::MAX_CHOICES)
        || size > MAX_FORM_BYTES
    {
        e.push(FieldError::new(
            "form",
            "セクションは20個、質問は100問、選択肢は1問100個まで（全体で512KB以内）です",
        ));
    }
    e.extend(
        d.settings
            .check()
            .into_iter()
            .map(|f| FieldError::new(format!("settings.{}", f.field), f.message)),
    );
    if e.is_empty() {
        Ok(())
    } else {
        Err(AppError::BadInput(e))
    }
}

async fn check_segment(conn: &mut diesel_async::AsyncPgConnection, s: &Settings) -> AppResult<()> {
    if let Some(id) = s.segment_id
        && !crate::audience::service::segment_exists(conn, id).await?
    {
        return Err(AppError::bad_input(
            "settings.segmentId",
            "そのセグメントはありません",
        ));
    }
    Ok(())
}

fn settings_json(s: &Settings) -> AppResult<serde_json::Value> {
    serde_json::to_value(s).map_err(AppError::internal)
}

pub async fn create(app: &App, caller: &Caller, d: Draft) -> AppResult<SurveyRow> {
    let mut conn = app.db.get().await?;
    let viewer = access::viewer(&mut conn, caller).await?;
    check_draft(&d).map_err(|e| e.under("input"))?;
    check_segment(&mut conn, &d.settings)
        .await
        .map_err(|e| e.under("input"))?;
    drop(conn);
    let (_, by, label) = caller.actor();
    let team = viewer.team;
    let form = serde_json::to_value(&d.form).map_err(AppError::internal)?;
    let settings = settings_json(&d.settings)?;
    let app2 = app.clone();
    audited(app, caller, "survey.create", move |conn| {
        Box::pin(async move {
            // The id first: the survey's key is owned by its name (`survey:<id>`).
            let id: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "nextval('surveys_id_seq')",
            ))
            .get_result(conn)
            .await?;
            let id = i32::try_from(id).map_err(AppError::internal)?;
            let (key_id, _) = app2.keyring.create(conn, &model::owner(id)).await?;
            let row: SurveyRow = diesel::insert_into(surveys::table)
                .values((
                    surveys::id.eq(id),
                    surveys::title.eq(d.title.trim()),
                    surveys::form.eq(&form),
                    surveys::settings.eq(&settings),
                    surveys::segment_id.eq(d.settings.segment_id),
                    surveys::team_id.eq(team),
                    surveys::created_by.eq(by),
                    surveys::created_by_label.eq(&label),
                    surveys::data_key_id.eq(key_id),
                ))
                .returning(SurveyRow::as_returning())
                .get_result(conn)
                .await?;
            let summary = json!({ "title": row.title });
            Ok((row.clone(), Target::new("survey", row.id), summary))
        })
    })
    .await
}

pub async fn update(app: &App, caller: &Caller, id: i32, d: Draft) -> AppResult<SurveyRow> {
    let mut conn = app.db.get().await?;
    let (row, _) = access::load(&mut conn, caller, id, Access::Own).await?;
    check_draft(&d).map_err(|e| e.under("input"))?;
    check_segment(&mut conn, &d.settings)
        .await
        .map_err(|e| e.under("input"))?;
    drop(conn);
    if row.live_version.is_some() && row.settings().identified != d.settings.identified {
        return Err(AppError::bad_input(
            "input.settings.identified",
            "公開後は記名・無記名を変更できません（回答者への説明が変わるため）。新しいアンケートを作成してください",
        ));
    }
    let form = serde_json::to_value(&d.form).map_err(AppError::internal)?;
    let settings = settings_json(&d.settings)?;
    audited(app, caller, "survey.update", move |conn| {
        Box::pin(async move {
            let row: SurveyRow = diesel::update(surveys::table.find(id))
                .set((
                    surveys::title.eq(d.title.trim()),
                    surveys::form.eq(&form),
                    surveys::settings.eq(&settings),
                    surveys::segment_id.eq(d.settings.segment_id),
                    surveys::updated_at.eq(Utc::now()),
                ))
                .returning(SurveyRow::as_returning())
                .get_result(conn)
                .await?;
            let summary = json!({ "title": row.title });
            Ok((row, Target::new("survey", id), summary))
        })
    })
    .await
}

/// Freezes the draft as the next version and makes it the one residents answer.
pub async fn publish(app: &App, caller: &Caller, id: i32) -> AppResult<SurveyRow> {
    let mut conn = app.db.get().await?;
    let (row, _) = access::load(&mut conn, caller, id, Access::Own).await?;
    drop(conn);
    let form = row.form();
    let problems = form.check();
    if !problems.is_empty() {
        return Err(AppError::BadInput(
            problems
                .into_iter()
                .map(|f| FieldError::new(format!("form.{}", f.field), f.message))
                .collect(),
        ));
    }
    let (_, _, label) = caller.actor();
    audited(app, caller, "survey.publish", move |conn| {
        Box::pin(async move {
            let current: Option<i32> = surveys::table
                .find(id)
                .select(surveys::live_version)
                .for_update()
                .first(conn)
                .await?;
            let version = current.unwrap_or(0) + 1;
            diesel::insert_into(survey_versions::table)
                .values((
                    survey_versions::survey_id.eq(id),
                    survey_versions::version.eq(version),
                    survey_versions::form.eq(&row.form),
                    survey_versions::published_by.eq(&label),
                ))
                .execute(conn)
                .await?;
            let row: SurveyRow = diesel::update(surveys::table.find(id))
                .set((
                    surveys::live_version.eq(version),
                    surveys::updated_at.eq(Utc::now()),
                ))
                .returning(SurveyRow::as_returning())
                .get_result(conn)
                .await?;
            Ok((
                row,
                Target::new("survey", id),
                json!({ "version": version }),
            ))
        })
    })
    .await
}

/// Stops (or, `open`, resumes) taking answers now.
pub async fn set_closed(app: &App, caller: &Caller, id: i32, closed: bool) -> AppResult<SurveyRow> {
    let mut conn = app.db.get().await?;
    let (row, _) = access::load(&mut conn, caller, id, Access::Own).await?;
    drop(conn);
    if row.live_version.is_none() {
        return Err(AppError::Conflict("公開していないアンケートです".into()));
    }
    let action = if closed {
        "survey.close"
    } else {
        "survey.reopen"
    };
    audited(app, caller, action, move |conn| {
        Box::pin(async move {
            let row: SurveyRow = diesel::update(surveys::table.find(id))
                .set((
                    surveys::closed_at.eq(closed.then(Utc::now)),
                    surveys::updated_at.eq(Utc::now()),
                ))
                .returning(SurveyRow::as_returning())
                .get_result(conn)
                .await?;
            Ok((row, Target::new("survey", id), json!({})))
        })
    })
    .await
}

/// Deletes the survey with every answer; its data key is destroyed, so
/// nothing of the answers survives in backups either.
pub async fn delete(app: &App, caller: &Caller, id: i32) -> AppResult<bool> {
    let mut conn = app.db.get().await?;
    let (row, _) = access::load(&mut conn, caller, id, Access::Own).await?;
    drop(conn);
    let app2 = app.clone();
    audited(app, caller, "survey.delete", move |conn| {
        Box::pin(async move {
            let answers =
                diesel::delete(survey_answers::table.filter(survey_answers::survey_id.eq(id)))
                    .execute(conn)
                    .await?;
            diesel::delete(surveys::table.find(id))
                .execute(conn)
                .await?;
            app2.keyring.destroy(conn, row.data_key_id).await?;
            Ok((
                true,
                Target::new("survey", id),
                json!({ "title": row.title, "answers": answers }),
            ))
        })
    })
    .await
}

/// Lets another account read the results (`granted: false` takes it back).
/// Only owners grant, and a grant never lets its holder grant further.
pub async fn grant(
    app: &App,
    caller: &Caller,
    id: i32,
    account: Uuid,
    granted: bool,
) -> AppResult<Vec<Uuid>> {
    let mut conn = app.db.get().await?;
    access::load(&mut conn, caller, id, Access::Own).await?;
    if granted && !account_exists(&mut conn, account).await? {
        return Err(AppError::bad_input(
            "accountId",
            "その職員・サービスアカウントはありません",
        ));
    }
    drop(conn);
    let action = if granted {
        "survey.grant"
    } else {
        "survey.revoke"
    };
    audited(app, caller, action, move |conn| {
        Box::pin(async move {
            if granted {
                diesel::insert_into(survey_grants::table)
                    .values((
                        survey_grants::survey_id.eq(id),
                        survey_grants::account_id.eq(account),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)
                    .await?;
            } else {
                diesel::delete(
                    survey_grants::table
                        .filter(survey_grants::survey_id.eq(id))
                        .filter(survey_grants::account_id.eq(account)),
                )
                .execute(conn)
                .await?;
            }
            let all = grants_of(conn, id).await?;
            Ok((
                all,
                Target::new("survey", id),
                json!({ "account": account.to_string() }),
            ))
        })
    })
    .await
}

async fn account_exists(conn: &mut diesel_async::AsyncPgConnection, id: Uuid) -> AppResult<bool> {
    use crate::db::schema::{service_accounts, staff_accounts};
    let staff: bool = diesel::select(diesel::dsl::exists(staff_accounts::table.find(id)))
        .get_result(conn)
        .await?;
    if staff {
        return Ok(true);
    }
    Ok(
        diesel::select(diesel::dsl::exists(service_accounts::table.find(id)))
            .get_result(conn)
            .await?,
    )
}

pub async fn grants_of(
    conn: &mut diesel_async::AsyncPgConnection,
    id: i32,
) -> QueryResult<Vec<Uuid>> {
    survey_grants::table
        .filter(survey_grants::survey_id.eq(id))
        .order(survey_grants::granted_at)
        .select(survey_grants::account_id)
        .load(conn)
        .await
}

pub async fn get(app: &App, caller: &Caller, id: i32) -> AppResult<(SurveyRow, Access)> {
    let mut conn = app.db.get().await?;
    access::load(&mut conn, caller, id, Access::Read).await
}

/// The surveys the caller may see, each with the caller's access (a
/// visible survey the caller does not own is one granted to them).
pub async fn list(app: &App, caller: &Caller) -> AppResult<Vec<(SurveyRow, Access)>> {
    let mut conn = app.db.get().await?;
    let viewer = access::viewer(&mut conn, caller).await?;
    let mut q = surveys::table
        .select(SurveyRow::as_select())
        .order(surveys::id.desc())
        .into_boxed();
    if let Some(ids) = viewer.visible_ids(&mut conn).await? {
        q = q.filter(surveys::id.eq_any(ids));
    }
    let rows: Vec<SurveyRow> = q.load(&mut conn).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let a = if viewer.owns(&r) {
                Access::Own
            } else {
                Access::Read
            };
            (r, a)
        })
        .collect())
}

/// Answers so far, per survey.
pub async fn counts(app: &App, ids: &[i32]) -> AppResult<std::collections::HashMap<i32, i64>> {
    let mut conn = app.db.get().await?;
    let rows: Vec<(i32, i64)> = survey_answers::table
        .filter(survey_answers::survey_id.eq_any(ids))
        .group_by(survey_answers::survey_id)
        .select((survey_answers::survey_id, diesel::dsl::count_star()))
        .load(&mut conn)
        .await?;
    Ok(rows.into_iter().collect())
}
