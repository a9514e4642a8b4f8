//! Results for staff: counts, per-question figures, free texts, the
//! cross-tabulation by residents' attributes. Answers are sealed, so each
//! view reads them in pages of a few thousand, opens them with the survey's
//! key and folds them into the figures: memory stays bounded by the page,
//! not the survey.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, Bytea, Int4, Int8, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use unicode_normalization::UnicodeNormalization;

use super::answer::open_answers;
use super::form::{Answers, Form, Kind, Question};
use super::model::SurveyRow;
use crate::app::App;
use crate::error::{AppError, AppResult};

/// Which answers a view covers.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only answers where `question` was answered with one of `any_of`.
    pub question: Option<String>,
    pub any_of: Vec<String>,
}

impl Filter {
    fn keeps(&self, a: &Answers) -> bool {
        match &self.question {
            None => true,
            Some(q) => a
                .get(q)
                .is_some_and(|vs| vs.iter().any(|v| self.any_of.contains(v))),
        }
    }
}

/// One stored answer, opened, with the answering friend's attributes
/// (identified surveys only).
pub struct Record {
    pub id: i64,
    pub version: i32,
    pub channel: String,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub answers: Answers,
    /// The answering friend (identified surveys only).
    pub friend_id: Option<i64>,
    pub birth_year: Option<i32>,
    pub option_ids: Vec<i32>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Int4)]
    version: i32,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Timestamptz)]
    submitted_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Bytea)]
    sealed: Vec<u8>,
    #[diesel(sql_type = Nullable<Int8>)]
    friend_id: Option<i64>,
    #[diesel(sql_type = Nullable<Int4>)]
    birth_year: Option<i32>,
    #[diesel(sql_type = Nullable<Array<Int4>>)]
    option_ids: Option<Vec<i32>>,
}

pub const PAGE: i64 = 2000;

/// The form results and exports are read against: the live version's
/// (question keys are stable across versions), else the draft.
pub async fn form_of(app: &App, survey: &SurveyRow) -> AppResult<Form> {
    Ok(match super::answer::live(app, survey.id, false).await? {
        Some(l) => l.form.clone(),
        None => survey.form(),
    })
}

/// One page of a survey's answers after `after` (by id), opened and
/// filtered; the cursor of the next page, `None` after the last.
pub async fn page(
    app: &App,
    survey: &SurveyRow,
    filter: &Filter,
    after: i64,
) -> AppResult<(Vec<Record>, Option<i64>)> {
    let mut conn = app.db.get().await?;
    let key = app.keyring.fetch(&mut conn, survey.data_key_id).await?;
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT a.id, a.version, a.channel, a.submitted_at, a.updated_at, a.sealed, a.friend_id, \
                fs.birth_year, fs.option_ids \
         FROM survey_answers a LEFT JOIN friend_settings fs ON fs.friend_id = a.friend_id \
         WHERE a.survey_id = $1 AND a.id > $2 \
           AND ($3::timestamptz IS NULL OR a.submitted_at >= $3) \
           AND ($4::timestamptz IS NULL OR a.submitted_at < $4) \
         ORDER BY a.id LIMIT $5",
    )
    .bind::<Int4, _>(survey.id)
    .bind::<Int8, _>(after)
    .bind::<Nullable<Timestamptz>, _>(filter.from)
    .bind::<Nullable<Timestamptz>, _>(filter.to)
    .bind::<Int8, _>(PAGE)
    .load(&mut conn)
    .await?;
    drop(conn);
    let next = (rows.len() as i64 == PAGE).then(|| rows.last().map_or(after, |r| r.id));
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(answers) = open_answers(&key, survey.id, &r.sealed) else {
            tracing::error!(
                survey = survey.id,
                answer = r.id,
                "a survey answer does not open"
            );
            continue;
        };
        if !filter.keeps(&answers) {
            continue;
        }
        out.push(Record {
            id: r.id,
            version: r.version,
            channel: r.channel,
            submitted_at: r.submitted_at,
            updated_at: r.updated_at,
            answers,
            friend_id: r.friend_id,
            birth_year: r.birth_year,
            option_ids: r.option_ids.unwrap_or_default(),
        });
    }
    Ok((out, next))
}

/// Calls `each` with every answer the filter keeps, page by page.
pub async fn each(
    app: &App,
    survey: &SurveyRow,
    filter: &Filter,
    mut each: impl FnMut(Record),
) -> AppResult<()> {
    let mut after = 0;
    loop {
        let (records, next) = page(app, survey, filter, after).await?;
        records.into_iter().for_each(&mut each);
        match next {
            Some(n) => after = n,
            None => return Ok(()),
        }
    }
}

pub struct ChoiceCount {
    pub key: String,
    pub label: String,
    pub count: i64,
}

pub struct QuestionFigures {
    pub key: String,
    pub title: String,
    pub kind: Kind,
    /// Answers that answered this question.
    pub answered: i64,
    /// Choices (with MULTIPLE, each pick counts), ratings 1…N, or municipalities.
    pub counts: Vec<ChoiceCount>,
    pub mean: Option<f64>,
    pub median: Option<f64>,
}

pub struct Figures {
    pub total: i64,
    pub by_channel: Vec<(String, i64)>,
    pub questions: Vec<QuestionFigures>,
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// A number question's answers in ten equal bins over their range.
fn histogram(values: &[f64]) -> Vec<ChoiceCount> {
    let (Some(lo), Some(hi)) = (
        values.iter().copied().reduce(f64::min),
        values.iter().copied().reduce(f64::max),
    ) else {
        return vec![];
    };
    let bins = if hi > lo { 10 } else { 1 };
    let width = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0i64; bins];
    for v in values {
        let i = (((v - lo) / width) as usize).min(bins - 1);
        counts[i] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| {
            let from = lo + width * i as f64;
            let to = if bins == 1 { hi } else { from + width };
            ChoiceCount {
                key: i.to_string(),
                label: format!("{}〜{}", trim_num(from), trim_num(to)),
                count,
            }
        })
        .collect()
}

fn trim_num(n: f64) -> String {
    let s = format!("{n:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn is_numeric(q: &Question) -> bool {
    q.kind == Kind::Rating
        || (q.format == super::form::TextFormat::Number && matches!(q.kind, Kind::ShortText))
}

/// Per-question figures over the answers the filter keeps, against the
/// live form (question keys are stable across versions).
pub async fn figures(
    app: &App,
    survey: &SurveyRow,
    form: &Form,
    filter: &Filter,
) -> AppResult<Figures> {
    let mut total = 0i64;
    let mut channels: HashMap<String, i64> = HashMap::new();
    let mut answered: HashMap<&str, i64> = HashMap::new();
    let mut picks: HashMap<(&str, String), i64> = HashMap::new();
    let mut numbers: HashMap<&str, Vec<f64>> = HashMap::new();
    let questions: Vec<&Question> = form
        .questions()
        .filter(|q| q.kind != Kind::Description)
        .collect();
    each(app, survey, filter, |r| {
        total += 1;
        *channels.entry(r.channel).or_default() += 1;
        for q in &questions {
            let Some(values) = r.answers.get(&q.key) else {
                continue;
            };
            *answered.entry(q.key.as_str()).or_default() += 1;
            if q.kind.is_closed() {
                for v in values {
                    *picks.entry((q.key.as_str(), v.clone())).or_default() += 1;
                }
            }
            if is_numeric(q)
                && let Some(n) = values
                    .as_slice()
                    .first()
                    .and_then(|v| v.parse::<f64>().ok())
            {
                numbers.entry(q.key.as_str()).or_default().push(n);
            }
        }
    })
    .await?;
    let questions = questions
        .into_iter()
        .map(|q| {
            let mut nums = numbers.remove(q.key.as_str()).unwrap_or_default();
            let count = |v: &str| {
                picks
                    .get(&(q.key.as_str(), v.to_string()))
                    .copied()
                    .unwrap_or(0)
            };
            let counts = match q.kind {
                k if k.has_choices() => q
                    .choices
                    .iter()
                    .map(|c| ChoiceCount {
                        key: c.key.clone(),
                        label: c.label.clone(),
                        count: count(&c.key),
                    })
                    .collect(),
                Kind::Rating => (1..=q.scale.unwrap_or(5))
                    .map(|n| {
                        let key = n.to_string();
                        let label = match n {
                            1 if !q.low_label.is_empty() => format!("1（{}）", q.low_label),
                            n if n == q.scale.unwrap_or(5) && !q.high_label.is_empty() => {
                                format!("{n}（{}）", q.high_label)
                            }
                            _ => key.clone(),
                        };
                        ChoiceCount {
                            count: count(&key),
                            key,
                            label,
                        }
                    })
                    .collect(),
                Kind::Consent => vec![ChoiceCount {
                    key: "true".into(),
                    label: "同意する".into(),
                    count: count("true"),
                }],
                Kind::Municipality => {
                    let mut named: Vec<ChoiceCount> = picks
                        .iter()
                        .filter(|((k, _), _)| *k == q.key)
                        .map(|((_, v), n)| ChoiceCount {
                            key: v.clone(),
                            label: v.clone(),
                            count: *n,
                        })
                        .collect();
                    named.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
                    named
                }
                _ if is_numeric(q) => histogram(&nums),
                _ => vec![],
            };
            let mean = (!nums.is_empty()).then(|| nums.iter().sum::<f64>() / nums.len() as f64);
            QuestionFigures {
                key: q.key.clone(),
                title: q.title.clone(),
                kind: q.kind,
                answered: answered.get(q.key.as_str()).copied().unwrap_or(0),
                counts,
                mean,
                median: median(&mut nums),
            }
        })
        .collect();
    let mut by_channel: Vec<(String, i64)> = channels.into_iter().collect();
    by_channel.sort();
    Ok(Figures {
        total,
        by_channel,
        questions,
    })
}

pub struct FreeText {
    pub answer_id: i64,
    pub text: String,
    pub submitted_at: DateTime<Utc>,
}

fn fold(s: &str) -> String {
    s.nfkc().flat_map(char::to_lowercase).collect()
}

/// A free-text question's answers containing `search` (ignoring width and
/// case), newest first: one page and how many there are in all.
pub async fn texts(
    app: &App,
    survey: &SurveyRow,
    question: &str,
    search: &str,
    filter: &Filter,
    offset: usize,
    limit: usize,
) -> AppResult<(Vec<FreeText>, usize)> {
    let needle = fold(search.trim());
    // Answers come oldest first; only the newest `offset + limit` matches
    // are kept, so a survey of any size is searched in bounded memory.
    let keep = offset + limit;
    let mut newest = std::collections::VecDeque::with_capacity(keep.min(1024));
    let mut total = 0usize;
    each(app, survey, filter, |r| {
        if let Some(t) = r.answers.get(question).and_then(|v| v.as_slice().first())
            && (needle.is_empty() || fold(t).contains(&needle))
        {
            total += 1;
            if newest.len() == keep {
                newest.pop_front();
            }
            if keep > 0 {
                newest.push_back(FreeText {
                    answer_id: r.id,
                    text: t.clone(),
                    submitted_at: r.submitted_at,
                });
            }
        }
    })
    .await?;
    Ok((
        newest.into_iter().rev().skip(offset).take(limit).collect(),
        total,
    ))
}

/// What the answers are broken down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "SurveyCrossBy")]
pub enum CrossBy {
    /// 年代（生まれ年から）
    AgeBand,
    Gender,
    /// お住まいの市町村
    Residence,
}

/// Cells under this many answers are not shown, so no one is singled out.
pub const SUPPRESS_UNDER: i64 = 5;

pub struct CrossTab {
    pub columns: Vec<String>,
    /// (group, cells, row total); a suppressed cell or total is `None`.
    pub rows: Vec<(String, Vec<Option<i64>>, Option<i64>)>,
    pub suppressed: usize,
}

fn age_band(birth_year: Option<i32>, this_year: i32) -> &'static str {
    match birth_year.map(|y| this_year - y) {
        None => "未登録",
        Some(a) if a < 20 => "19歳以下",
        Some(a) if a < 30 => "20代",
        Some(a) if a < 40 => "30代",
        Some(a) if a < 50 => "40代",
        Some(a) if a < 60 => "50代",
        Some(a) if a < 70 => "60代",
        Some(_) => "70歳以上",
    }
}

const AGE_BANDS: [&str; 8] = [
    "19歳以下",
    "20代",
    "30代",
    "40代",
    "50代",
    "60代",
    "70歳以上",
    "未登録",
];

fn shown(n: i64) -> Option<i64> {
    // Zero singles out no one; 1–4 might.
    (n == 0 || n >= SUPPRESS_UNDER).then_some(n)
}

/// A closed question's answers by age band, gender or residence
/// (identified surveys only: an anonymous one has no one to look up).
pub async fn cross_tab(
    app: &App,
    survey: &SurveyRow,
    form: &Form,
    question: &str,
    by: CrossBy,
    filter: &Filter,
) -> AppResult<CrossTab> {
    if !survey.settings().identified {
        return Err(AppError::Refused(
            "NOT_IDENTIFIED",
            "無記名のアンケートは属性でクロス集計できません".into(),
        ));
    }
    let q = form
        .question(question)
        .filter(|q| q.kind.is_closed())
        .ok_or_else(|| AppError::bad_input("question", "選択式の質問を選んでください"))?;
    let kind = match by {
        CrossBy::AgeBand => None,
        CrossBy::Gender => Some("gender"),
        CrossBy::Residence => Some("municipality"),
    };
    let options = match kind {
        Some(k) => attribute_options(app, k).await?,
        None => vec![],
    };
    let mut groups: Vec<String> = match by {
        CrossBy::AgeBand => AGE_BANDS.iter().map(|s| s.to_string()).collect(),
        _ => options
            .iter()
            .map(|(_, l)| l.clone())
            .chain(["未登録".to_string()])
            .collect(),
    };
    let columns: Vec<(String, String)> = match q.kind {
        k if k.has_choices() => q
            .choices
            .iter()
            .map(|c| (c.key.clone(), c.label.clone()))
            .collect(),
        Kind::Rating => (1..=q.scale.unwrap_or(5))
            .map(|n| (n.to_string(), n.to_string()))
            .collect(),
        Kind::Consent => vec![("true".into(), "同意する".into())],
        _ => answer_values(app, survey, question, filter).await?,
    };
    let this_year = crate::jst::today().year();
    let mut cells: HashMap<(String, String), i64> = HashMap::new();
    let mut totals: HashMap<String, i64> = HashMap::new();
    each(app, survey, filter, |r| {
        let Some(values) = r.answers.get(question) else {
            return;
        };
        let group = match by {
            CrossBy::AgeBand => age_band(r.birth_year, this_year).to_string(),
            _ => options
                .iter()
                .find(|(id, _)| r.option_ids.contains(id))
                .map_or("未登録".to_string(), |(_, l)| l.clone()),
        };
        *totals.entry(group.clone()).or_default() += 1;
        for v in values {
            *cells.entry((group.clone(), v.clone())).or_default() += 1;
        }
    })
    .await?;
    // Groups with no answers at all stay out of the table.
    groups.retain(|g| totals.contains_key(g));
    let mut suppressed = 0;
    let rows = groups
        .into_iter()
        .map(|g| {
            let row: Vec<Option<i64>> = columns
                .iter()
                .map(|(k, _)| {
                    let n = cells.get(&(g.clone(), k.clone())).copied().unwrap_or(0);
                    let s = shown(n);
                    suppressed += usize::from(s.is_none());
                    s
                })
                .collect();
            let total = shown(totals.get(&g).copied().unwrap_or(0));
            (g, row, total)
        })
        .collect();
    Ok(CrossTab {
        columns: columns.into_iter().map(|(_, l)| l).collect(),
        rows,
        suppressed,
    })
}

async fn answer_values(
    app: &App,
    survey: &SurveyRow,
    question: &str,
    filter: &Filter,
) -> AppResult<Vec<(String, String)>> {
    let mut seen = std::collections::BTreeSet::new();
    each(app, survey, filter, |r| {
        if let Some(v) = r.answers.get(question) {
            seen.extend(v.iter().cloned());
        }
    })
    .await?;
    Ok(seen.into_iter().map(|v| (v.clone(), v)).collect())
}

#[derive(QueryableByName)]
struct OptionRow {
    #[diesel(sql_type = Int4)]
    id: i32,
    #[diesel(sql_type = Text)]
    label: String,
}

/// The options of the first live attribute of `kind` (gender, municipality).
async fn attribute_options(app: &App, kind: &str) -> AppResult<Vec<(i32, String)>> {
    let mut conn = app.db.get().await?;
    let rows: Vec<OptionRow> = diesel::sql_query(
        "SELECT o.id, o.label FROM attribute_options o JOIN attributes a ON a.id = o.attribute_id \
         WHERE a.kind = $1 AND a.deleted_at IS NULL AND o.deleted_at IS NULL \
         ORDER BY a.position, o.position, o.id",
    )
    .bind::<Text, _>(kind)
    .load(&mut conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.label)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_cells_are_suppressed_but_zero_is_shown() {
        assert_eq!(shown(0), Some(0));
        assert_eq!(shown(4), None);
        assert_eq!(shown(5), Some(5));
    }

    #[test]
    fn median_and_bands() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(age_band(Some(1990), 2026), "30代");
        assert_eq!(age_band(None, 2026), "未登録");
        let h = histogram(&[1.0, 1.0, 10.0]);
        assert_eq!(h.len(), 10);
        assert_eq!(h[0].count, 2);
        assert_eq!(h[9].count, 1);
    }
}
