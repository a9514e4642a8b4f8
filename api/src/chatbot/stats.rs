//! Answer statistics (seed §2.4(3)ウ), computed from the talk log over a
//! JST date range: questions per day and how they were met, feedback, hits
//! per FAQ entry and per scenario node, drop-off per node, and the
//! unanswered questions grouped by likeness so staff can turn one into an
//! FAQ entry or a phrasing of an existing one. Daily figures as CSV.

use std::collections::{BTreeMap, HashSet};

use axum::extract::{Extension, Query, State};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use serde::Deserialize;

use crate::app::App;
use crate::auth::{Caller, Permission};
use crate::csv::Cell;
use crate::error::{AppError, AppResult};

/// At most this many unanswered questions (newest first) are grouped.
const GROUPED: i64 = 2000;
/// Bigram overlap (Jaccard) at which two questions are one group.
const ALIKE: f64 = 0.5;
const MAX_DAYS: i64 = 366;

#[derive(Clone, Debug, Default)]
pub struct Day {
    pub date: NaiveDate,
    pub questions: i64,
    pub answered: i64,
    pub suggested: i64,
    pub unanswered: i64,
    pub resolved_yes: i64,
    pub resolved_no: i64,
}

#[derive(Clone, Debug)]
pub struct FaqHits {
    pub faq_entry_id: i32,
    pub question: String,
    pub hits: i64,
    pub resolved_yes: i64,
    pub resolved_no: i64,
}

#[derive(Clone, Debug)]
pub struct NodeFigures {
    pub scenario_id: i32,
    pub node_id: String,
    pub visits: i64,
    pub dropped: i64,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub example: String,
    pub count: usize,
    pub questions: Vec<String>,
    pub last_asked: DateTime<Utc>,
}

#[derive(Clone, Debug, Default)]
pub struct Statistics {
    pub days: Vec<Day>,
    pub faq: Vec<FaqHits>,
    pub nodes: Vec<NodeFigures>,
    pub unanswered: Vec<Group>,
}

/// The UTC instants of a JST date range (inclusive), checked.
fn window(from: NaiveDate, to: NaiveDate) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    if to < from {
        return Err(AppError::bad_input(
            "to",
            "終了日は開始日以降にしてください",
        ));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::bad_input(
            "to",
            "期間は366日以内で指定してください",
        ));
    }
    let start = crate::jst::start_of_day(from);
    let end = crate::jst::start_of_day(to + chrono::Duration::days(1));
    Ok((start, end))
}

#[derive(QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Text)]
    decision: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Bool>)]
    resolved: Option<bool>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct FaqRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    question: String,
    #[diesel(sql_type = BigInt)]
    hits: i64,
    #[diesel(sql_type = BigInt)]
    yes: i64,
    #[diesel(sql_type = BigInt)]
    no: i64,
}

#[derive(QueryableByName)]
struct NodeRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    scenario_id: i32,
    #[diesel(sql_type = Text)]
    node_id: String,
    #[diesel(sql_type = BigInt)]
    visits: i64,
    #[diesel(sql_type = BigInt)]
    dropped: i64,
}

/// Decisions that count as a resident's question (drop-offs and notices do not).
const QUESTION_DECISIONS: &str =
    "('answered','suggested','chosen','unanswered','step','ended','handover')";

pub async fn compute(
    app: &App,
    caller: &Caller,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Statistics> {
    caller.require(Permission::ChatbotManage)?;
    let (start, end) = window(from, to)?;
    let mut conn = app.db.get().await?;
    let rows: Vec<DayRow> = diesel::sql_query(format!(
        "SELECT (occurred_at AT TIME ZONE 'Asia/Tokyo')::date AS day, decision, resolved, count(*) AS n
           FROM chatbot_talk_log
          WHERE occurred_at >= $1 AND occurred_at < $2 AND decision IN {QUESTION_DECISIONS}
          GROUP BY 1, 2, 3 ORDER BY 1"
    ))
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .load(&mut conn)
    .await?;
    // Every day of the range, the quiet ones as zeros.
    let mut days: BTreeMap<NaiveDate, Day> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            (
                date,
                Day {
                    date,
                    ..Day::default()
                },
            )
        })
        .collect();
    for r in rows {
        let Some(d) = days.get_mut(&r.day) else {
            continue;
        };
        d.questions += r.n;
        match r.decision.as_str() {
            "unanswered" => d.unanswered += r.n,
            "suggested" => d.suggested += r.n,
            _ => d.answered += r.n,
        }
        match r.resolved {
            Some(true) => d.resolved_yes += r.n,
            Some(false) => d.resolved_no += r.n,
            None => {}
        }
    }
    let faq: Vec<FaqRow> = diesel::sql_query(
        "SELECT e.id, e.question, count(*) AS hits,
                count(*) FILTER (WHERE l.resolved) AS yes,
                count(*) FILTER (WHERE NOT l.resolved) AS no
           FROM chatbot_talk_log l JOIN faq_entries e ON e.id = l.faq_entry_id
          WHERE l.occurred_at >= $1 AND l.occurred_at < $2 AND l.decision IN ('answered', 'chosen')
          GROUP BY e.id, e.question ORDER BY hits DESC, e.id LIMIT 50",
    )
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .load(&mut conn)
    .await?;
    let nodes: Vec<NodeRow> = diesel::sql_query(
        "SELECT scenario_id, node_id,
                count(*) FILTER (WHERE decision <> 'dropped') AS visits,
                count(*) FILTER (WHERE decision = 'dropped') AS dropped
           FROM chatbot_talk_log
          WHERE occurred_at >= $1 AND occurred_at < $2 AND scenario_id IS NOT NULL AND node_id IS NOT NULL
          GROUP BY scenario_id, node_id ORDER BY scenario_id, node_id",
    )
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .load(&mut conn)
    .await?;
    let unanswered = unanswered_groups(app, &mut conn, start, end).await?;
    Ok(Statistics {
        days: days.into_values().collect(),
        faq: faq
            .into_iter()
            .map(|r| FaqHits {
                faq_entry_id: r.id,
                question: r.question,
                hits: r.hits,
                resolved_yes: r.yes,
                resolved_no: r.no,
            })
            .collect(),
        nodes: nodes
            .into_iter()
            .map(|r| NodeFigures {
                scenario_id: r.scenario_id,
                node_id: r.node_id,
                visits: r.visits,
                dropped: r.dropped,
            })
            .collect(),
        unanswered,
    })
}

#[derive(QueryableByName)]
struct Unanswered {
    #[diesel(sql_type = Text)]
    line_user_id: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Bytea>)]
    question_sealed: Option<Vec<u8>>,
    #[diesel(sql_type = Timestamptz)]
    occurred_at: DateTime<Utc>,
}

async fn unanswered_groups(
    app: &App,
    conn: &mut diesel_async::AsyncPgConnection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> AppResult<Vec<Group>> {
    let rows: Vec<Unanswered> = diesel::sql_query(
        "SELECT line_user_id, question_sealed, occurred_at FROM chatbot_talk_log
          WHERE occurred_at >= $1 AND occurred_at < $2 AND decision = 'unanswered'
          ORDER BY occurred_at DESC LIMIT $3",
    )
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .bind::<BigInt, _>(GROUPED)
    .load(conn)
    .await?;
    let sealed: Vec<(String, Option<Vec<u8>>)> = rows
        .iter()
        .map(|r| (r.line_user_id.clone(), r.question_sealed.clone()))
        .collect();
    let questions = super::talk::open_questions(app, conn, &sealed).await?;
    let asked: Vec<(String, DateTime<Utc>)> = questions
        .into_iter()
        .zip(rows.iter().map(|r| r.occurred_at))
        .filter(|(q, _)| !q.trim().is_empty())
        .collect();
    Ok(group(&asked))
}

fn bigrams(text: &str) -> HashSet<(char, char)> {
    let folded: Vec<char> = super::fold::fold(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    if folded.len() == 1 {
        return HashSet::from([(folded[0], ' ')]);
    }
    folded.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Greedy grouping, newest first: a question joins the first group whose
/// first question shares enough of its bigrams. Largest groups first.
pub fn group(asked: &[(String, DateTime<Utc>)]) -> Vec<Group> {
    let mut groups: Vec<(HashSet<(char, char)>, Group)> = Vec::new();
    for (q, at) in asked {
        let grams = bigrams(q);
        let home = groups.iter_mut().find(|(g, _)| {
            let inter = g.intersection(&grams).count() as f64;
            let union = g.union(&grams).count() as f64;
            union > 0.0 && inter / union >= ALIKE
        });
        match home {
            Some((_, g)) => {
                g.count += 1;
                if g.questions.len() < 5 && !g.questions.contains(q) {
                    g.questions.push(q.clone());
                }
            }
            None => groups.push((
                grams,
                Group {
                    example: q.clone(),
                    count: 1,
                    questions: vec![q.clone()],
                    last_asked: *at,
                },
            )),
        }
    }
    let mut out: Vec<Group> = groups.into_iter().map(|(_, g)| g).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_asked.cmp(&a.last_asked)));
    out.truncate(50);
    out
}

#[derive(Deserialize)]
pub struct Params {
    from: NaiveDate,
    to: NaiveDate,
}

/// `/exports/chatbot-daily.csv?from=…&to=…`: the daily figures for Excel.
pub async fn daily_csv(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Query(p): Query<Params>,
) -> Response {
    if let Err(refusal) = crate::csv::authorize(&caller, &[Permission::ChatbotManage]) {
        return *refusal;
    }
    let stats = match compute(&app, &caller, p.from, p.to).await {
        Ok(s) => s,
        Err(e) => return crate::csv::refused(e),
    };
    let rows: Vec<Vec<Cell>> = stats
        .days
        .iter()
        .map(|d| {
            vec![
                Cell::from(d.date.format("%Y/%m/%d").to_string()),
                Cell::int(d.questions),
                Cell::int(d.answered),
                Cell::int(d.suggested),
                Cell::int(d.unanswered),
                Cell::Number(rate(d.answered, d.questions)),
                Cell::int(d.resolved_yes),
                Cell::int(d.resolved_no),
            ]
        })
        .collect();
    let total = rows.len() as u64;
    crate::csv::download(
        "chatbot-daily",
        HEADER,
        futures::stream::once(async move { Ok(rows) }),
        Some(total),
    )
}

const HEADER: &[&str] = &[
    "日付",
    "質問数",
    "回答数",
    "候補提示数",
    "未回答数",
    "回答率(%)",
    "解決した",
    "解決しなかった",
];

/// A share as a percentage with one decimal ("" when there is nothing to share).
pub fn rate(part: i64, whole: i64) -> String {
    if whole == 0 {
        return String::new();
    }
    format!("{:.1}", part as f64 * 100.0 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alike_questions_group_and_the_largest_group_comes_first() {
        let at = Utc::now();
        let asked: Vec<(String, DateTime<Utc>)> = [
            "ペットの登録はどこでしますか",
            "ペットの登録はどこ？",
            "犬の登録",
            "ペットの登録はどこでしますか？",
            "パスポートの申請",
        ]
        .iter()
        .map(|q| (q.to_string(), at))
        .collect();
        let groups = group(&asked);
        assert_eq!(groups[0].count, 3, "{groups:?}");
        assert_eq!(groups[0].example, "ペットの登録はどこでしますか");
        assert_eq!(groups.len(), 3);
        assert_eq!(rate(1, 3), "33.3");
        assert_eq!(rate(0, 0), "");
    }
}
