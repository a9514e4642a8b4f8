//! Residents answering: in LIFF (`/liff/graphql`, whoever the ID token
//! names) or in the chat (quick replies, `chat`), stored the same way. The
//! server decides everything: whether the survey is open, whether this
//! resident is in its audience, whether they answered already, and whether
//! the answers fit the version they were given against.
//!
//! The hot path is one friend lookup and one insert: the live version is
//! cached per process for a moment, and the insert itself re-checks that the
//! survey is still open with that version, so a cached copy can never let
//! an answer in after staff closed it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Bytea, Int4, Int8, Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use roaring::RoaringBitmap;

use super::form::{self, Answers, Form, GivenAnswer, Kind, Limits};
use super::model::{self, Settings, Status, SurveyRow};
use crate::app::App;
use crate::crypto::seal;
use crate::db::schema::{survey_answers, survey_versions, surveys};
use crate::error::{AppError, AppResult};
use crate::sync::Lock;

/// How long a process trusts its copy of a live survey and of a segment's members.
const LIVE_FOR: Duration = Duration::from_secs(2);
const AUDIENCE_FOR: Duration = Duration::from_secs(10);
/// The keyring's owner of the key that hashes (survey, resident) pairs.
const RESPONDENT_KEY: &str = "system:survey-respondent";

/// A published survey as residents answer it.
pub struct Live {
    pub row: SurveyRow,
    pub settings: Settings,
    /// The live version's questions.
    pub form: Form,
    pub version: i32,
    /// The survey's data key, opened (answers are sealed with it).
    key: Arc<seal::DataKey>,
    /// What a MUNICIPALITY question offers (empty when the form has none).
    pub municipalities: Vec<String>,
}

#[derive(Default)]
struct Caches {
    live: Mutex<HashMap<i32, (Instant, Arc<Live>)>>,
    audience: Mutex<HashMap<i32, (Instant, Arc<RoaringBitmap>)>>,
    /// The key hashing (survey, resident) pairs: one for the installation, never rotated away.
    respondent_key: Mutex<Option<Arc<seal::DataKey>>>,
}

fn caches(app: &App) -> Arc<Caches> {
    app.state(|_| Caches::default())
}

/// Forgets this process's copy (after staff changed the survey here).
pub fn forget(app: &App, id: i32) {
    caches(app).live.locked().remove(&id);
}

/// The live survey, fresh from the database when `fresh`.
pub async fn live(app: &App, id: i32, fresh: bool) -> AppResult<Option<Arc<Live>>> {
    if !fresh
        && let Some((at, l)) = caches(app).live.locked().get(&id)
        && at.elapsed() < LIVE_FOR
    {
        return Ok(Some(l.clone()));
    }
    let mut conn = app.db.get().await?;
    let found: Option<(SurveyRow, Option<serde_json::Value>)> = surveys::table
        .left_join(
            survey_versions::table.on(survey_versions::survey_id.eq(surveys::id).and(
                survey_versions::version
                    .nullable()
                    .eq(surveys::live_version),
            )),
        )
        .filter(surveys::id.eq(id))
        .select((SurveyRow::as_select(), survey_versions::form.nullable()))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((row, Some(form))) = found else {
        caches(app).live.locked().remove(&id);
        return Ok(None);
    };
    let key = app.keyring.fetch(&mut conn, row.data_key_id).await?;
    drop(conn);
    let form: Form = serde_json::from_value(form).unwrap_or_default();
    let municipalities = municipalities(app, &form).await?;
    let live = Arc::new(Live {
        key,
        municipalities,
        settings: row.settings(),
        form,
        version: row.live_version.unwrap_or(0),
        row,
    });
    caches(app)
        .live
        .locked()
        .insert(id, (Instant::now(), live.clone()));
    Ok(Some(live))
}

/// Who is answering.
pub struct Respondent {
    pub line_user_id: String,
    /// The friend row, and whether they follow the account now.
    pub friend: Option<(i64, bool)>,
}

/// Who is answering `live`: the friend row is read only when the survey
/// needs it (identified, or open to a segment).
pub async fn respondent_for(app: &App, live: &Live, line_user_id: &str) -> AppResult<Respondent> {
    if live.settings.identified || live.settings.segment_id.is_some() {
        respondent(app, line_user_id).await
    } else {
        Ok(Respondent {
            line_user_id: line_user_id.to_string(),
            friend: None,
        })
    }
}

async fn respondent(app: &App, line_user_id: &str) -> AppResult<Respondent> {
    let mut conn = app.db.get().await?;
    let friend = crate::friends::lookup::standing_of(&mut conn, line_user_id).await?;
    Ok(Respondent {
        line_user_id: line_user_id.to_string(),
        friend,
    })
}

/// Why this resident may not answer now, if they may not.
pub async fn refusal(app: &App, live: &Live, who: &Respondent) -> AppResult<Option<AppError>> {
    let refused = |code, text: &str| Ok(Some(AppError::Refused(code, text.into())));
    match live.row.status(Utc::now()) {
        Status::Open => {}
        Status::Scheduled => {
            return refused(
                "SURVEY_NOT_OPEN",
                "このアンケートはまだ受付を始めていません",
            );
        }
        Status::Draft => return Ok(Some(AppError::NotFound("survey".into()))),
        Status::Closed => return refused("SURVEY_CLOSED", "このアンケートの受付は終了しました"),
    }
    if live.settings.identified && who.friend.is_none() {
        return refused(
            "NOT_A_FRIEND",
            "このアンケートに回答するには、LINE公式アカウントを友だち追加してください",
        );
    }
    if let Some(segment) = live.settings.segment_id {
        let inside = match who.friend {
            Some((id, true)) => match u32::try_from(id) {
                Ok(id) => members(app, segment).await?.contains(id),
                Err(_) => false,
            },
            _ => false,
        };
        if !inside {
            return refused("NOT_IN_AUDIENCE", "このアンケートの対象外です");
        }
    }
    Ok(None)
}

/// A saved segment's members, cached briefly (a popular survey is answered
/// thousands of times a second; the segment changes far more slowly).
async fn members(app: &App, segment: i32) -> AppResult<Arc<RoaringBitmap>> {
    if let Some((at, m)) = caches(app).audience.locked().get(&segment)
        && at.elapsed() < AUDIENCE_FOR
    {
        return Ok(m.clone());
    }
    let m = Arc::new(crate::audience::service::segment_members(app, segment).await?);
    caches(app)
        .audience
        .locked()
        .insert(segment, (Instant::now(), m.clone()));
    Ok(m)
}

/// The keyed hash that stands for (survey, resident) in `survey_answers`.
async fn respondent_hash(app: &App, survey: i32, line_user_id: &str) -> AppResult<Vec<u8>> {
    let cached = caches(app).respondent_key.locked().clone();
    let key = match cached {
        Some(k) => k,
        None => {
            let mut conn = app.db.get().await?;
            let k = app
                .keyring
                .load_or_create(&mut conn, RESPONDENT_KEY)
                .await?;
            *caches(app).respondent_key.locked() = Some(k.clone());
            k
        }
    };
    Ok(crate::crypto::blind::token(
        &key,
        &format!("{survey}:{line_user_id}"),
    ))
}

/// The municipality list a MUNICIPALITY question offers (the attribute catalogue's).
async fn municipalities(app: &App, form: &Form) -> AppResult<Vec<String>> {
    if !form.questions().any(|q| q.kind == Kind::Municipality) {
        return Ok(vec![]);
    }
    let mut conn = app.db.get().await?;
    let names = crate::audience::service::municipality_names(&mut conn).await?;
    Ok(if names.is_empty() {
        crate::audience::municipalities::SAITAMA_MUNICIPALITIES
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        names
    })
}

/// What a resident sends.
pub struct Submission {
    pub survey: i32,
    pub version: i32,
    pub answers: Vec<GivenAnswer>,
    pub channel: &'static str,
}

/// A stored answer as its owner sees it.
pub struct Mine {
    pub id: i64,
    pub version: i32,
    pub answers: Answers,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn seal_answers(key: &seal::DataKey, survey: i32, answers: &Answers) -> Vec<u8> {
    seal::seal_json(key, &model::owner(survey), "answers", answers)
}

pub fn open_answers(key: &seal::DataKey, survey: i32, sealed: &[u8]) -> Option<Answers> {
    seal::open_json(key, &model::owner(survey), "answers", sealed).ok()
}

/// Checks a submission against the live version (or refuses it), returning
/// the normalised answers.
async fn checked(app: &App, live: &Live, who: &Respondent, s: &Submission) -> AppResult<Answers> {
    if let Some(refused) = refusal(app, live, who).await? {
        return Err(refused);
    }
    if s.version != live.version {
        return Err(AppError::Refused(
            "WRONG_VERSION",
            "アンケートの内容が更新されました。ページを開き直して、もう一度回答してください".into(),
        ));
    }
    let limits = Limits {
        text_limit: live.settings.text_limit.max(1) as usize,
        municipalities: &live.municipalities,
    };
    form::check_answers(&live.form, &s.answers, &limits)
        .map_err(|e| AppError::BadInput(e).under("input"))
}

/// Stores a new answer; returns its id.
pub async fn submit(app: &App, line_user_id: &str, s: Submission) -> AppResult<i64> {
    let live = live(app, s.survey, false)
        .await?
        .ok_or_else(|| AppError::NotFound("survey".into()))?;
    let who = respondent_for(app, &live, line_user_id).await?;
    let answers = checked(app, &live, &who, &s).await?;
    let respondent = respondent_hash(app, s.survey, line_user_id).await?;
    let row = NewAnswer {
        survey: s.survey,
        version: s.version,
        friend: if live.settings.identified {
            who.friend.map(|f| f.0)
        } else {
            None
        },
        respondent,
        only_one: live.settings.one_per_resident,
        sealed: seal_answers(&live.key, s.survey, &answers),
        channel: s.channel,
    };
    let stored = match live.settings.quota {
        None => super::batch::insert(app, row).await,
        Some(quota) => {
            let mut conn = app.db.get().await?;
            insert_within_quota(&mut conn, &row, quota).await
        }
    };
    match stored {
        Ok(Some(id)) => {
            metrics::counter!("tenohira_survey_answers_total", "channel" => s.channel).increment(1);
            Ok(id)
        }
        Ok(None) => {
            // Closed, or republished, since our copy was read: say which.
            let fresh = live_fresh(app, s.survey).await?;
            Err(match refusal(app, &fresh, &who).await? {
                Some(refused) => refused,
                None => AppError::Refused(
                    "WRONG_VERSION",
                    "アンケートの内容が更新されました。ページを開き直して、もう一度回答してください".into(),
                ),
            })
        }
        Err(AppError::Conflict(_)) => Err(already_answered()),
        Err(e) => Err(e),
    }
}

async fn live_fresh(app: &App, id: i32) -> AppResult<Arc<Live>> {
    live(app, id, true)
        .await?
        .ok_or_else(|| AppError::NotFound("survey".into()))
}

pub fn already_answered() -> AppError {
    AppError::Refused(
        "ALREADY_ANSWERED",
        "このアンケートには回答済みです。回答の変更は「回答を変更する」から行ってください".into(),
    )
}

pub(super) struct NewAnswer {
    pub survey: i32,
    pub version: i32,
    pub friend: Option<i64>,
    pub respondent: Vec<u8>,
    pub only_one: bool,
    pub sealed: Vec<u8>,
    pub channel: &'static str,
}

#[derive(QueryableByName)]
struct Inserted {
    #[diesel(sql_type = Int8)]
    id: i64,
}

/// Inserts the answer only while the survey is open with that version (the
/// check and the insert are one statement). `None`: it was not.
pub(super) async fn insert_if_open(
    conn: &mut AsyncPgConnection,
    a: &NewAnswer,
) -> AppResult<Option<i64>> {
    let rows: Vec<Inserted> = diesel::sql_query(
        "INSERT INTO survey_answers (survey_id, version, friend_id, respondent, only_one, sealed, channel) \
         SELECT $1, $2, $3, $4, $5, $6, $7 FROM surveys s \
         WHERE s.id = $1 AND s.live_version = $2 AND s.closed_at IS NULL \
           AND (s.settings->>'opensAt' IS NULL OR (s.settings->>'opensAt')::timestamptz <= now()) \
           AND (s.settings->>'closesAt' IS NULL OR (s.settings->>'closesAt')::timestamptz > now()) \
         RETURNING id",
    )
    .bind::<Int4, _>(a.survey)
    .bind::<Int4, _>(a.version)
    .bind::<Nullable<Int8>, _>(a.friend)
    .bind::<Bytea, _>(&a.respondent)
    .bind::<Bool, _>(a.only_one)
    .bind::<Bytea, _>(&a.sealed)
    .bind::<Text, _>(a.channel)
    .load(conn)
    .await?;
    Ok(rows.into_iter().next().map(|r| r.id))
}

/// As [`insert_if_open`], counting against the quota under the survey's
/// row lock; the answer that fills it closes the survey.
async fn insert_within_quota(
    conn: &mut AsyncPgConnection,
    a: &NewAnswer,
    quota: i32,
) -> AppResult<Option<i64>> {
    conn.transaction::<_, AppError, _>(async |conn| {
        surveys::table
            .find(a.survey)
            .select(surveys::id)
            .for_update()
            .first::<i32>(conn)
            .await?;
        let given: i64 = survey_answers::table
            .filter(survey_answers::survey_id.eq(a.survey))
            .count()
            .get_result(conn)
            .await?;
        if given >= i64::from(quota) {
            close_now(conn, a.survey).await?;
            return Ok(None);
        }
        let id = insert_if_open(conn, a).await?;
        if id.is_some() && given + 1 >= i64::from(quota) {
            close_now(conn, a.survey).await?;
        }
        Ok(id)
    })
    .await
}

async fn close_now(conn: &mut AsyncPgConnection, id: i32) -> QueryResult<usize> {
    diesel::update(surveys::table.find(id).filter(surveys::closed_at.is_null()))
        .set(surveys::closed_at.eq(Utc::now()))
        .execute(conn)
        .await
}

/// The resident's own answer (one-per-resident surveys), opened.
pub async fn mine(app: &App, live: &Live, line_user_id: &str) -> AppResult<Option<Mine>> {
    if !live.settings.one_per_resident {
        return Ok(None);
    }
    let respondent = respondent_hash(app, live.row.id, line_user_id).await?;
    let mut conn = app.db.get().await?;
    type Stored = (i64, i32, Vec<u8>, DateTime<Utc>, DateTime<Utc>);
    let row: Option<Stored> = survey_answers::table
        .filter(survey_answers::survey_id.eq(live.row.id))
        .filter(survey_answers::respondent.eq(&respondent))
        .filter(survey_answers::only_one)
        .select((
            survey_answers::id,
            survey_answers::version,
            survey_answers::sealed,
            survey_answers::submitted_at,
            survey_answers::updated_at,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    drop(conn);
    let Some((id, version, sealed, submitted_at, updated_at)) = row else {
        return Ok(None);
    };
    let answers = open_answers(&live.key, live.row.id, &sealed)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("survey answer {id} does not open")))?;
    Ok(Some(Mine {
        id,
        version,
        answers,
        submitted_at,
        updated_at,
    }))
}

/// Replaces the resident's one answer while the survey is open; the
/// answer takes the live version.
pub async fn change(app: &App, line_user_id: &str, s: Submission) -> AppResult<i64> {
    let live = live(app, s.survey, false)
        .await?
        .ok_or_else(|| AppError::NotFound("survey".into()))?;
    if !live.settings.one_per_resident {
        return Err(AppError::Refused(
            "NOT_CHANGEABLE",
            "このアンケートは回答ごとに受け付けるため、変更できません。もう一度回答してください"
                .into(),
        ));
    }
    let who = respondent_for(app, &live, line_user_id).await?;
    let answers = checked(app, &live, &who, &s).await?;
    let respondent = respondent_hash(app, s.survey, line_user_id).await?;
    let sealed = seal_answers(&live.key, s.survey, &answers);
    let mut conn = app.db.get().await?;
    let ids: Vec<Inserted> = diesel::sql_query(
        "UPDATE survey_answers a SET sealed = $3, version = $4, updated_at = now() \
         FROM surveys s \
         WHERE a.survey_id = $1 AND a.respondent = $2 AND a.only_one AND s.id = a.survey_id \
           AND s.live_version = $4 AND s.closed_at IS NULL \
           AND (s.settings->>'closesAt' IS NULL OR (s.settings->>'closesAt')::timestamptz > now()) \
         RETURNING a.id",
    )
    .bind::<Int4, _>(s.survey)
    .bind::<Bytea, _>(&respondent)
    .bind::<Bytea, _>(&sealed)
    .bind::<Int4, _>(s.version)
    .load(&mut conn)
    .await?;
    drop(conn);
    match ids.into_iter().next() {
        Some(r) => Ok(r.id),
        None => {
            let fresh = live_fresh(app, s.survey).await?;
            Err(match refusal(app, &fresh, &who).await? {
                Some(refused) => refused,
                None => AppError::Refused("NOT_ANSWERED", "まだ回答していません".into()),
            })
        }
    }
}
