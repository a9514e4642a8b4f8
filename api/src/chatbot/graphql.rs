//! The FAQ in the staff API (`chatbot.manage` for every field).

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::faq::{self, FaqEntry as Row, FaqFilter, FaqInput as Input, SynonymGroup as GroupRow};
use crate::auth::Permission;
use crate::error::AppError;
use crate::gql::ContextExt;

/// One FAQ entry.
#[derive(SimpleObject)]
pub struct FaqEntry {
    pub id: i32,
    pub question: String,
    /// Other ways residents ask the same thing.
    pub variants: Vec<String>,
    pub answer: String,
    pub category: String,
    pub keywords: Vec<String>,
    pub enabled: bool,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<Row> for FaqEntry {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            question: r.question,
            variants: r.variants,
            answer: r.answer,
            category: r.category,
            keywords: r.keywords,
            enabled: r.enabled,
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            updated_at: r.updated_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct FaqPage {
    pub total_count: i64,
    pub items: Vec<FaqEntry>,
}

#[derive(InputObject)]
pub struct FaqEntryInput {
    pub question: String,
    #[graphql(default)]
    pub variants: Vec<String>,
    pub answer: String,
    #[graphql(default)]
    pub category: String,
    #[graphql(default)]
    pub keywords: Vec<String>,
    #[graphql(default = true)]
    pub enabled: bool,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
}

impl From<FaqEntryInput> for Input {
    fn from(i: FaqEntryInput) -> Self {
        Self {
            question: i.question,
            variants: i.variants,
            answer: i.answer,
            category: i.category,
            keywords: i.keywords,
            enabled: i.enabled,
            valid_from: i.valid_from,
            valid_to: i.valid_to,
        }
    }
}

/// An entry the search found for a question, with how well it fits.
#[derive(SimpleObject)]
pub struct FaqMatch {
    pub entry: FaqEntry,
    /// BM25 score: comparable between the matches of one question only.
    pub score: f64,
    /// 0–1: how much of the question the entry's wording covers; the bot
    /// answers at 0.5 (with no close runner-up) and offers choices from 0.25.
    pub confidence: f64,
}

#[derive(SimpleObject)]
pub struct SynonymGroup {
    pub id: i32,
    /// The first term is how the others are read.
    pub terms: Vec<String>,
}

impl From<GroupRow> for SynonymGroup {
    fn from(g: GroupRow) -> Self {
        Self {
            id: g.id,
            terms: g.terms,
        }
    }
}

#[derive(Default)]
pub struct ChatbotQuery;

#[Object]
impl ChatbotQuery {
    /// FAQ entries, by a word in the question or answer and by category (`chatbot.manage`).
    async fn faq_entries(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        category: Option<String>,
        #[graphql(default = 0)] offset: i64,
        #[graphql(default = 50)] limit: i64,
    ) -> Result<FaqPage> {
        let (rows, total) = faq::list(
            ctx.app(),
            ctx.caller(),
            FaqFilter { search, category },
            offset,
            limit,
        )
        .await?;
        Ok(FaqPage {
            total_count: total,
            items: rows.into_iter().map(Into::into).collect(),
        })
    }

    async fn faq_entry(&self, ctx: &Context<'_>, id: i32) -> Result<Option<FaqEntry>> {
        Ok(faq::get(ctx.app(), ctx.caller(), id).await?.map(Into::into))
    }

    /// What the bot would find for a question, best first (`chatbot.manage`):
    /// the console's test panel, and integrations.
    async fn faq_search(
        &self,
        ctx: &Context<'_>,
        text: String,
        #[graphql(default = 5)] limit: i32,
    ) -> Result<Vec<FaqMatch>> {
        let app = ctx.app();
        ctx.caller().require(Permission::ChatbotManage)?;
        if text.chars().count() > 1000 {
            return Err(
                AppError::bad_input("text", "質問は1,000文字以内で入力してください").into(),
            );
        }
        if !(1..=20).contains(&limit) {
            return Err(AppError::bad_input("limit", "件数は1〜20で指定してください").into());
        }
        let hits = super::index(app)
            .search(app, &text, limit as usize)
            .await
            .map_err(AppError::internal)?;
        let ids: Vec<i32> = hits.iter().map(|h| h.id).collect();
        let mut conn = app.db.get().await.map_err(AppError::from)?;
        let rows = faq::by_ids(&mut conn, &ids).await?;
        Ok(hits
            .into_iter()
            .filter_map(|h| {
                let row = rows.iter().find(|r| r.id == h.id)?.clone();
                Some(FaqMatch {
                    entry: row.into(),
                    score: f64::from(h.score),
                    confidence: f64::from(h.confidence),
                })
            })
            .collect())
    }

    /// Synonym groups for 表記ゆれ (`chatbot.manage`).
    async fn faq_synonyms(&self, ctx: &Context<'_>) -> Result<Vec<SynonymGroup>> {
        Ok(faq::synonyms(ctx.app(), ctx.caller())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct ChatbotMutation;

#[Object]
impl ChatbotMutation {
    async fn create_faq_entry(&self, ctx: &Context<'_>, input: FaqEntryInput) -> Result<FaqEntry> {
        Ok(faq::create(ctx.app(), ctx.caller(), input.into())
            .await?
            .into())
    }

    async fn update_faq_entry(
        &self,
        ctx: &Context<'_>,
        id: i32,
        input: FaqEntryInput,
    ) -> Result<FaqEntry> {
        Ok(faq::update(ctx.app(), ctx.caller(), id, input.into())
            .await?
            .into())
    }

    async fn delete_faq_entry(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        Ok(faq::delete(ctx.app(), ctx.caller(), id).await?)
    }

    /// Saves a synonym group (a new one without `id`).
    async fn save_faq_synonyms(
        &self,
        ctx: &Context<'_>,
        id: Option<i32>,
        terms: Vec<String>,
    ) -> Result<SynonymGroup> {
        Ok(faq::save_synonyms(ctx.app(), ctx.caller(), id, terms)
            .await?
            .into())
    }

    async fn delete_faq_synonyms(&self, ctx: &Context<'_>, id: i32) -> Result<bool> {
        Ok(faq::delete_synonyms(ctx.app(), ctx.caller(), id).await?)
    }
}

#[derive(SimpleObject)]
pub struct ChatbotDay {
    pub date: chrono::NaiveDate,
    /// Residents' messages the bot handled (taps in scenarios included).
    pub questions: i64,
    pub answered: i64,
    /// Met with 「もしかして」 choices.
    pub suggested: i64,
    pub unanswered: i64,
    pub resolved_yes: i64,
    pub resolved_no: i64,
}

#[derive(SimpleObject)]
pub struct FaqHitCount {
    pub faq_entry_id: i32,
    pub question: String,
    pub hits: i64,
    pub resolved_yes: i64,
    pub resolved_no: i64,
}

#[derive(SimpleObject)]
pub struct ScenarioNodeCount {
    pub scenario_id: i32,
    pub node_id: String,
    /// Turns that stopped at the node (waiting or ending there).
    pub visits: i64,
    /// Residents who left while it waited for them.
    pub dropped: i64,
}

#[derive(SimpleObject)]
pub struct UnansweredGroup {
    /// The newest question of the group (what staff answer).
    pub example: String,
    pub count: i32,
    /// Up to five of its questions as residents wrote them.
    pub questions: Vec<String>,
    pub last_asked: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct ChatbotStatistics {
    pub days: Vec<ChatbotDay>,
    pub questions: i64,
    pub answered: i64,
    pub unanswered: i64,
    /// Answered (or chosen, or walked in a scenario) among all questions, 0–1.
    pub answered_rate: Option<f64>,
    pub resolved_yes: i64,
    pub resolved_no: i64,
    pub faq: Vec<FaqHitCount>,
    pub nodes: Vec<ScenarioNodeCount>,
    pub unanswered_groups: Vec<UnansweredGroup>,
}

#[derive(Default)]
pub struct ChatbotStatsQuery;

#[Object]
impl ChatbotStatsQuery {
    /// Answer statistics over a JST date range (`chatbot.manage`; at most 366 days).
    async fn chatbot_statistics(
        &self,
        ctx: &Context<'_>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<ChatbotStatistics> {
        let s = super::stats::compute(ctx.app(), ctx.caller(), from, to).await?;
        let sum = |f: fn(&super::stats::Day) -> i64| s.days.iter().map(f).sum::<i64>();
        let questions = sum(|d| d.questions);
        let answered = sum(|d| d.answered);
        Ok(ChatbotStatistics {
            questions,
            answered,
            unanswered: sum(|d| d.unanswered),
            answered_rate: (questions > 0).then(|| answered as f64 / questions as f64),
            resolved_yes: sum(|d| d.resolved_yes),
            resolved_no: sum(|d| d.resolved_no),
            days: s
                .days
                .iter()
                .map(|d| ChatbotDay {
                    date: d.date,
                    questions: d.questions,
                    answered: d.answered,
                    suggested: d.suggested,
                    unanswered: d.unanswered,
                    resolved_yes: d.resolved_yes,
                    resolved_no: d.resolved_no,
                })
                .collect(),
            faq: s
                .faq
                .into_iter()
                .map(|f| FaqHitCount {
                    faq_entry_id: f.faq_entry_id,
                    question: f.question,
                    hits: f.hits,
                    resolved_yes: f.resolved_yes,
                    resolved_no: f.resolved_no,
                })
                .collect(),
            nodes: s
                .nodes
                .into_iter()
                .map(|n| ScenarioNodeCount {
                    scenario_id: n.scenario_id,
                    node_id: n.node_id,
                    visits: n.visits,
                    dropped: n.dropped,
                })
                .collect(),
            unanswered_groups: s
                .unanswered
                .into_iter()
                .map(|g| UnansweredGroup {
                    example: g.example,
                    count: g.count as i32,
                    questions: g.questions,
                    last_asked: g.last_asked,
                })
                .collect(),
        })
    }
}

#[derive(SimpleObject)]
pub struct FaqImportProblem {
    /// The line in the CSV (the header is 1), or the position in a JSON list.
    pub line: i32,
    /// The column (質問, 回答, …), or `row` for the whole row.
    pub column: String,
    pub message: String,
}

#[derive(SimpleObject)]
pub struct FaqImportResult {
    /// Whether the entries were saved (never with a problem, nor in a dry run).
    pub applied: bool,
    pub rows: i32,
    pub created: i32,
    pub updated: i32,
    pub problems: Vec<FaqImportProblem>,
}

#[derive(Default)]
pub struct FaqImportMutation;

#[Object]
impl FaqImportMutation {
    /// Imports FAQ entries from a file: CSV in the export's layout (UTF-8,
    /// with or without BOM, or Shift_JIS) or the JSON export, as Base64.
    /// Every row is checked; nothing is saved unless all are good
    /// (`chatbot.manage`; at most 5,000 rows).
    async fn import_faq_entries(
        &self,
        ctx: &Context<'_>,
        file_base64: String,
        #[graphql(default = false)] dry_run: bool,
    ) -> Result<FaqImportResult> {
        use base64::Engine as _;
        ctx.caller().require(Permission::ChatbotManage)?;
        // 5,000 rows of 5,000-character answers fit in 40 MB; the request limit applies first.
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(file_base64.trim())
            .map_err(|_| AppError::bad_input("fileBase64", "ファイルを読めません（Base64）"))?;
        let r = super::transfer::import(ctx.app(), ctx.caller(), &bytes, dry_run).await?;
        Ok(FaqImportResult {
            applied: r.applied,
            rows: r.rows as i32,
            created: r.created as i32,
            updated: r.updated as i32,
            problems: r
                .problems
                .into_iter()
                .map(|(line, e)| FaqImportProblem {
                    line: line as i32,
                    column: e.field,
                    message: e.message,
                })
                .collect(),
        })
    }
}
