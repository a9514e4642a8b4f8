//! Surveys over GraphQL: the builder, settings, publishing, results and
//! answers for staff and integrations (`survey.manage`, and access to the
//! survey: its creator, their team, or a grant), and answering for
//! residents (`/liff/graphql`).

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::access::Access;
use super::answer::{self, Submission};
use super::form::{Form, GivenAnswer};
use super::model::{Settings, Status, SurveyRow};
use super::results::{self, CrossBy, Filter};
use super::service::{self, Draft};
use crate::audit::{Outcome, Target};
use crate::auth::Permission;
use crate::error::AppError;
use crate::gql::ContextExt;

pub struct Survey {
    row: SurveyRow,
    access: Access,
    answers: Option<i64>,
}

#[Object]
impl Survey {
    async fn id(&self) -> i32 {
        self.row.id
    }
    async fn title(&self) -> &str {
        &self.row.title
    }
    async fn status(&self) -> Status {
        self.row.status(Utc::now())
    }
    /// The questions being edited (published as the next version).
    async fn form(&self) -> Form {
        self.row.form()
    }
    async fn settings(&self) -> Settings {
        self.row.settings()
    }
    /// The version residents answer now (none: never published).
    async fn live_version(&self) -> Option<i32> {
        self.row.live_version
    }
    /// The live version's questions.
    async fn live_form(&self, ctx: &Context<'_>) -> Result<Option<Form>> {
        Ok(answer::live(ctx.app(), self.row.id, false)
            .await?
            .map(|l| l.form.clone()))
    }
    /// Whether the questions being edited differ from the live version.
    async fn has_unpublished_changes(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(match answer::live(ctx.app(), self.row.id, false).await? {
            Some(l) => l.form != self.row.form(),
            None => true,
        })
    }
    async fn answer_count(&self, ctx: &Context<'_>) -> Result<i64> {
        if let Some(n) = self.answers {
            return Ok(n);
        }
        let counts = service::counts(ctx.app(), &[self.row.id]).await?;
        Ok(counts.get(&self.row.id).copied().unwrap_or(0))
    }
    /// The LIFF page residents answer on (for a rich menu, a scenario or a message).
    async fn liff_url(&self, ctx: &Context<'_>) -> String {
        super::liff_url(ctx.app(), self.row.id)
    }
    /// Whether the live version can also be answered in the chat (≤ 5 choice questions).
    async fn chat_answerable(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(answer::live(ctx.app(), self.row.id, false)
            .await?
            .is_some_and(|l| super::chat::questions(&l.form).is_some()))
    }
    /// OWN: may edit and grant; READ: results only (granted).
    async fn may_edit(&self) -> bool {
        self.access == Access::Own
    }
    /// Accounts outside the team who may read the results (owners only see this).
    async fn granted_to(&self, ctx: &Context<'_>) -> Result<Vec<Uuid>> {
        if self.access != Access::Own {
            return Ok(vec![]);
        }
        let mut conn = ctx.app().db.get().await.map_err(AppError::from)?;
        Ok(service::grants_of(&mut conn, self.row.id)
            .await
            .map_err(AppError::from)?)
    }
    async fn created_by_label(&self) -> &str {
        &self.row.created_by_label
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.updated_at
    }
}

#[derive(SimpleObject)]
pub struct SurveySegment {
    pub id: i32,
    pub name: String,
}

#[derive(SimpleObject)]
pub struct SurveyTemplate {
    pub key: String,
    pub title: String,
    pub description: String,
    pub form: Form,
    pub settings: Settings,
}

#[derive(InputObject)]
pub struct SurveyInput {
    pub title: String,
    pub form: Form,
    #[graphql(default)]
    pub settings: Settings,
}

impl From<SurveyInput> for Draft {
    fn from(i: SurveyInput) -> Self {
        Self {
            title: i.title,
            form: i.form,
            settings: i.settings,
        }
    }
}

#[derive(InputObject, Default)]
pub struct SurveyFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only answers where this question was answered with one of `anyOf`.
    pub question: Option<String>,
    #[graphql(default)]
    pub any_of: Vec<String>,
}

impl From<Option<SurveyFilter>> for Filter {
    fn from(f: Option<SurveyFilter>) -> Self {
        let f = f.unwrap_or_default();
        Self {
            from: f.from,
            to: f.to,
            question: f.question,
            any_of: f.any_of,
        }
    }
}

#[derive(SimpleObject)]
pub struct SurveyCount {
    pub key: String,
    pub label: String,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct SurveyQuestionResult {
    pub key: String,
    pub title: String,
    pub kind: super::form::Kind,
    pub answered: i64,
    /// Bars: choices, ratings, municipalities, or a number question's histogram bins.
    pub counts: Vec<SurveyCount>,
    pub mean: Option<f64>,
    pub median: Option<f64>,
}

#[derive(SimpleObject)]
pub struct SurveyResults {
    pub total: i64,
    pub liff: i64,
    pub chat: i64,
    pub questions: Vec<SurveyQuestionResult>,
}

#[derive(SimpleObject)]
pub struct SurveyText {
    pub answer_id: i64,
    pub text: String,
    pub submitted_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct SurveyTextPage {
    pub total: i32,
    pub items: Vec<SurveyText>,
}

#[derive(SimpleObject)]
pub struct SurveyCrossRow {
    pub group: String,
    /// One per column; empty where fewer than 5 answers would single someone out.
    pub cells: Vec<Option<i64>>,
    pub total: Option<i64>,
}

#[derive(SimpleObject)]
pub struct SurveyCrossTab {
    pub columns: Vec<String>,
    pub rows: Vec<SurveyCrossRow>,
    /// How many cells were hidden (fewer than `threshold` answers).
    pub suppressed: i32,
    pub threshold: i32,
}

#[derive(SimpleObject)]
pub struct SurveyAnswerValue {
    pub question: String,
    pub values: Vec<String>,
}

#[derive(SimpleObject)]
pub struct SurveyAnswerRecord {
    pub id: i64,
    pub version: i32,
    /// LIFF or CHAT, lower case.
    pub channel: String,
    /// The answering friend (identified surveys only).
    pub friend_id: Option<i64>,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub answers: Vec<SurveyAnswerValue>,
}

#[derive(SimpleObject)]
pub struct SurveyAnswerPage {
    pub items: Vec<SurveyAnswerRecord>,
    /// Pass as `after` for the next page (none: that was the last).
    pub next: Option<i64>,
}

fn values_of(answers: super::form::Answers, form: &Form) -> Vec<SurveyAnswerValue> {
    // In the form's order; keys of questions since removed come last.
    let mut rest = answers;
    let mut out: Vec<SurveyAnswerValue> = form
        .questions()
        .filter_map(|q| {
            rest.remove(&q.key).map(|values| SurveyAnswerValue {
                question: q.key.clone(),
                values,
            })
        })
        .collect();
    let mut left: Vec<(String, Vec<String>)> = rest.into_iter().collect();
    left.sort();
    out.extend(
        left.into_iter()
            .map(|(question, values)| SurveyAnswerValue { question, values }),
    );
    out
}

async fn results_form(ctx: &Context<'_>, row: &SurveyRow) -> Result<Form> {
    Ok(results::form_of(ctx.app(), row).await?)
}

#[derive(Default)]
pub struct SurveyQuery;

#[Object]
impl SurveyQuery {
    /// Surveys the caller may see (`survey.manage`).
    async fn surveys(&self, ctx: &Context<'_>) -> Result<Vec<Survey>> {
        let rows = service::list(ctx.app(), ctx.caller()).await?;
        let ids: Vec<i32> = rows.iter().map(|(r, _)| r.id).collect();
        let counts = service::counts(ctx.app(), &ids).await?;
        Ok(rows
            .into_iter()
            .map(|(row, access)| Survey {
                answers: Some(counts.get(&row.id).copied().unwrap_or(0)),
                row,
                access,
            })
            .collect())
    }

    async fn survey(&self, ctx: &Context<'_>, id: i32) -> Result<Survey> {
        let (row, access) = service::get(ctx.app(), ctx.caller(), id).await?;
        Ok(Survey {
            row,
            access,
            answers: None,
        })
    }

    /// Saved segments a survey's audience or invitation may name (names only).
    async fn survey_segments(&self, ctx: &Context<'_>) -> Result<Vec<SurveySegment>> {
        ctx.caller().require(Permission::SurveyManage)?;
        let mut conn = ctx.app().db.get().await.map_err(AppError::from)?;
        let names = crate::audience::service::segment_names(&mut conn)
            .await
            .map_err(AppError::from)?;
        Ok(names
            .into_iter()
            .map(|(id, name)| SurveySegment { id, name })
            .collect())
    }

    /// Templates to start from (イベント参加申込, 満足度調査, 防災意識調査).
    async fn survey_templates(&self, ctx: &Context<'_>) -> Result<Vec<SurveyTemplate>> {
        ctx.caller().require(Permission::SurveyManage)?;
        Ok(super::templates::all()
            .into_iter()
            .map(|t| SurveyTemplate {
                key: t.key.into(),
                title: t.title.into(),
                description: t.description.into(),
                form: t.form,
                settings: t.settings,
            })
            .collect())
    }

    /// Counts per question (bars, histograms, mean and median).
    async fn survey_results(
        &self,
        ctx: &Context<'_>,
        id: i32,
        filter: Option<SurveyFilter>,
    ) -> Result<SurveyResults> {
        let (row, _) = service::get(ctx.app(), ctx.caller(), id).await?;
        let form = results_form(ctx, &row).await?;
        let f = results::figures(ctx.app(), &row, &form, &filter.into()).await?;
        let channel = |c: &str| {
            f.by_channel
                .iter()
                .find(|(k, _)| k == c)
                .map_or(0, |(_, n)| *n)
        };
        Ok(SurveyResults {
            total: f.total,
            liff: channel("liff"),
            chat: channel("chat"),
            questions: f
                .questions
                .into_iter()
                .map(|q| SurveyQuestionResult {
                    key: q.key,
                    title: q.title,
                    kind: q.kind,
                    answered: q.answered,
                    counts: q
                        .counts
                        .into_iter()
                        .map(|c| SurveyCount {
                            key: c.key,
                            label: c.label,
                            count: c.count,
                        })
                        .collect(),
                    mean: q.mean,
                    median: q.median,
                })
                .collect(),
        })
    }

    /// A free-text question's answers, searched (residents' own words: audited).
    #[allow(clippy::too_many_arguments)]
    async fn survey_texts(
        &self,
        ctx: &Context<'_>,
        id: i32,
        question: String,
        #[graphql(default)] search: String,
        filter: Option<SurveyFilter>,
        #[graphql(default)] offset: i32,
        #[graphql(default = 50)] limit: i32,
    ) -> Result<SurveyTextPage> {
        let (row, _) = service::get(ctx.app(), ctx.caller(), id).await?;
        if !(1..=200).contains(&limit) || offset < 0 {
            return Err(AppError::bad_input("limit", "1〜200件で指定してください").into());
        }
        let (items, total) = results::texts(
            ctx.app(),
            &row,
            &question,
            &search,
            &filter.into(),
            offset as usize,
            limit as usize,
        )
        .await?;
        crate::audit::record_now(
            &ctx.app().db,
            ctx.caller(),
            "survey.texts_read",
            Some(Target::new("survey", id)),
            json!({ "question": question, "shown": items.len() }),
            Outcome::Success,
        )
        .await?;
        Ok(SurveyTextPage {
            total: total as i32,
            items: items
                .into_iter()
                .map(|t| SurveyText {
                    answer_id: t.answer_id,
                    text: t.text,
                    submitted_at: t.submitted_at,
                })
                .collect(),
        })
    }

    /// A choice question by age band, gender or residence (identified surveys;
    /// cells under 5 answers are hidden).
    async fn survey_cross_tab(
        &self,
        ctx: &Context<'_>,
        id: i32,
        question: String,
        by: CrossBy,
        filter: Option<SurveyFilter>,
    ) -> Result<SurveyCrossTab> {
        let (row, _) = service::get(ctx.app(), ctx.caller(), id).await?;
        let form = results_form(ctx, &row).await?;
        let t = results::cross_tab(ctx.app(), &row, &form, &question, by, &filter.into()).await?;
        Ok(SurveyCrossTab {
            columns: t.columns,
            rows: t
                .rows
                .into_iter()
                .map(|(group, cells, total)| SurveyCrossRow {
                    group,
                    cells,
                    total,
                })
                .collect(),
            suppressed: t.suppressed as i32,
            threshold: results::SUPPRESS_UNDER as i32,
        })
    }

    /// The answers themselves, a page at a time, for integrations (audited).
    async fn survey_answers(
        &self,
        ctx: &Context<'_>,
        id: i32,
        #[graphql(default)] after: i64,
        filter: Option<SurveyFilter>,
    ) -> Result<SurveyAnswerPage> {
        let (row, _) = service::get(ctx.app(), ctx.caller(), id).await?;
        let form = results_form(ctx, &row).await?;
        let (records, next) = results::page(ctx.app(), &row, &filter.into(), after).await?;
        crate::audit::record_now(
            &ctx.app().db,
            ctx.caller(),
            "survey.answers_read",
            Some(Target::new("survey", id)),
            json!({ "after": after, "rows": records.len() }),
            Outcome::Success,
        )
        .await?;
        Ok(SurveyAnswerPage {
            items: records
                .into_iter()
                .map(|r| SurveyAnswerRecord {
                    id: r.id,
                    version: r.version,
                    channel: r.channel,
                    friend_id: r.friend_id,
                    submitted_at: r.submitted_at,
                    updated_at: r.updated_at,
                    answers: values_of(r.answers, &form),
                })
                .collect(),
            next,
        })
    }
}

#[derive(InputObject)]
pub struct SendSurveyInput {
    /// The message above the buttons (up to 160 characters).
    pub text: String,
    /// Whom to send it to (empty: the survey's audience, or every friend).
    pub segment_id: Option<i32>,
}

#[derive(Default)]
pub struct SurveyMutation;

#[Object]
impl SurveyMutation {
    async fn create_survey(&self, ctx: &Context<'_>, input: SurveyInput) -> Result<Survey> {
        let row = service::create(ctx.app(), ctx.caller(), input.into()).await?;
        Ok(Survey {
            row,
            access: Access::Own,
            answers: Some(0),
        })
    }

    /// A new survey from a template (its title, questions and settings).
    async fn create_survey_from_template(&self, ctx: &Context<'_>, key: String) -> Result<Survey> {
        ctx.caller().require(Permission::SurveyManage)?;
        let t = super::templates::find(&key)
            .ok_or_else(|| AppError::bad_input("key", "そのテンプレートはありません"))?;
        let row = service::create(
            ctx.app(),
            ctx.caller(),
            Draft {
                title: t.title.into(),
                form: t.form,
                settings: t.settings,
            },
        )
        .await?;
        Ok(Survey {
            row,
            access: Access::Own,
            answers: Some(0),
        })
    }

    /// Saves the draft questions and the settings (the live version is untouched until published).
    async fn update_survey(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: SurveyInput,
    ) -> Result<Survey> {
        let row = service::update(ctx.app(), ctx.caller(), id, input.into()).await?;
        answer::forget(ctx.app(), id);
        Ok(Survey {
            row,
            access: Access::Own,
            answers: None,
        })
    }

    /// Freezes the draft as the next version; residents answer it from now on.
    async fn publish_survey(&self, ctx: &Context<'_>, id: i32) -> Result<Survey> {
        let row = service::publish(ctx.app(), ctx.caller(), id).await?;
        answer::forget(ctx.app(), id);
        Ok(Survey {
            row,
            access: Access::Own,
            answers: None,
        })
    }

    async fn close_survey(&self, ctx: &Context<'_>, id: i32) -> Result<Survey> {
        let row = service::set_closed(ctx.app(), ctx.caller(), id, true).await?;
        answer::forget(ctx.app(), id);
        Ok(Survey {
            row,
            access: Access::Own,
            answers: None,
        })
    }

    async fn reopen_survey(&self, ctx: &Context<'_>, id: i32) -> Result<Survey> {
        let row = service::set_closed(ctx.app(), ctx.caller(), id, false).await?;
        answer::forget(ctx.app(), id);
        Ok(Survey {
            row,
            access: Access::Own,
            answers: None,
        })
    }

    /// Deletes the survey and every answer (its key is destroyed).
    async fn delete_survey(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        let done = service::delete(ctx.app(), ctx.caller(), id).await?;
        answer::forget(ctx.app(), id);
        Ok(done)
    }

    /// Lets another staff or service account read the results (`granted: false` takes it back).
    async fn grant_survey(
        &self,
        ctx: &Context<'_>,
        id: i32,
        account_id: Uuid,
        #[graphql(default = true)] granted: bool,
    ) -> Result<Vec<Uuid>> {
        Ok(service::grant(ctx.app(), ctx.caller(), id, account_id, granted).await?)
    }

    /// Sends the survey as a message with 回答する (LIFF) and, for short
    /// surveys, トークで回答 buttons, through delivery; returns the delivery's
    /// id, whose statistics are delivery's. Without `delivery.send` it is
    /// kept as a draft awaiting a sender's approval.
    async fn send_survey(&self, ctx: &Context<'_>, id: i32, input: SendSurveyInput) -> Result<i64> {
        Ok(super::send::send(ctx.app(), ctx.caller(), id, input.text, input.segment_id).await?)
    }
}

// ---- residents (`/liff/graphql`) ----

#[derive(SimpleObject)]
pub struct MySurveyAnswer {
    pub version: i32,
    pub answers: Vec<SurveyAnswerValue>,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A survey as the resident sees it.
#[derive(SimpleObject)]
pub struct ResidentSurvey {
    pub id: i32,
    pub title: String,
    pub version: i32,
    pub form: Form,
    /// Whether they may answer (or change their answer) now.
    pub answerable: bool,
    /// Why not, in Japanese (受付終了, 対象外です…).
    pub message: Option<String>,
    /// The refusal's code (SURVEY_CLOSED, NOT_IN_AUDIENCE…).
    pub code: Option<String>,
    pub identified: bool,
    pub one_per_resident: bool,
    pub closes_at: Option<DateTime<Utc>>,
    pub text_limit: i32,
    pub municipalities: Vec<String>,
    pub thank_you: String,
    pub mine: Option<MySurveyAnswer>,
}

#[derive(InputObject)]
pub struct AnswerSurveyInput {
    pub survey_id: i32,
    /// The version the questions were shown from.
    pub version: i32,
    pub answers: Vec<GivenAnswer>,
}

#[derive(SimpleObject)]
pub struct SurveyReceipt {
    pub answer_id: i64,
    pub thank_you: String,
}

fn thanks(s: &Settings) -> String {
    match s.thank_you.trim() {
        "" => "ご回答ありがとうございました。".into(),
        t => t.into(),
    }
}

#[derive(Default)]
pub struct ResidentSurveyQuery;

#[Object]
impl ResidentSurveyQuery {
    /// A published survey and the caller's own answer (one-per-resident surveys).
    async fn survey(&self, ctx: &Context<'_>, id: i32) -> Result<ResidentSurvey> {
        let user = ctx.caller().resident()?.line_user_id.clone();
        let app = ctx.app();
        let live = answer::live(app, id, false)
            .await?
            .ok_or_else(|| AppError::NotFound("survey".into()))?;
        let who = answer::respondent_for(app, &live, &user).await?;
        let refusal = answer::refusal(app, &live, &who).await?;
        if let Some(AppError::NotFound(_)) = refusal {
            return Err(AppError::NotFound("survey".into()).into());
        }
        let mine = answer::mine(app, &live, &user).await?;
        let s = &live.settings;
        Ok(ResidentSurvey {
            id,
            title: live.row.title.clone(),
            version: live.version,
            form: live.form.clone(),
            answerable: refusal.is_none(),
            code: refusal.as_ref().map(|e| e.code().to_string()),
            message: refusal.map(|e| e.to_string()),
            identified: s.identified,
            one_per_resident: s.one_per_resident,
            closes_at: s.closes_at,
            text_limit: s.text_limit,
            municipalities: live.municipalities.clone(),
            thank_you: thanks(s),
            mine: mine.map(|m| MySurveyAnswer {
                version: m.version,
                answers: values_of(m.answers, &live.form),
                submitted_at: m.submitted_at,
                updated_at: m.updated_at,
            }),
        })
    }
}

#[derive(Default)]
pub struct ResidentSurveyMutation;

/// A new answer, or the caller's one answer replaced.
#[derive(Clone, Copy)]
enum Giving {
    New,
    Change,
}

async fn give(ctx: &Context<'_>, input: AnswerSurveyInput, how: Giving) -> Result<SurveyReceipt> {
    let user = ctx.caller().resident()?.line_user_id.clone();
    let app = ctx.app();
    let id = input.survey_id;
    let submission = Submission {
        survey: id,
        version: input.version,
        answers: input.answers,
        channel: "liff",
    };
    let answer_id = match how {
        Giving::New => answer::submit(app, &user, submission).await?,
        Giving::Change => answer::change(app, &user, submission).await?,
    };
    let thank_you = answer::live(app, id, false)
        .await?
        .map(|l| thanks(&l.settings))
        .unwrap_or_default();
    Ok(SurveyReceipt {
        answer_id,
        thank_you,
    })
}

#[Object]
impl ResidentSurveyMutation {
    /// Answers a survey. Refused with SURVEY_CLOSED, SURVEY_NOT_OPEN,
    /// NOT_IN_AUDIENCE, NOT_A_FRIEND, WRONG_VERSION or ALREADY_ANSWERED,
    /// or BAD_USER_INPUT at `input.answers[i].value`; nothing is stored then.
    async fn answer_survey(
        &self,
        ctx: &Context<'_>,
        input: AnswerSurveyInput,
    ) -> Result<SurveyReceipt> {
        give(ctx, input, Giving::New).await
    }

    /// Replaces the caller's answer while the survey is open (one-per-resident surveys).
    async fn change_survey_answer(
        &self,
        ctx: &Context<'_>,
        input: AnswerSurveyInput,
    ) -> Result<SurveyReceipt> {
        give(ctx, input, Giving::Change).await
    }
}
