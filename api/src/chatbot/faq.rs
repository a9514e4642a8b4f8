//! FAQ entries and synonym groups as staff maintain them (`chatbot.manage`):
//! checked at the edge, audited, and seen by every process's index through
//! the revision the tables' triggers bump.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use crate::app::App;
use crate::audit::{self, Target};
use crate::auth::{Caller, Permission};
use crate::db::schema::{faq_entries, faq_synonyms};
use crate::error::{AppError, AppResult, Problems};

/// LINE's limit on a text message (UTF-16 code units).
pub const MAX_ANSWER_UTF16: usize = 5000;
const MAX_QUESTION: usize = 300;
const MAX_VARIANTS: usize = 30;
const MAX_KEYWORDS: usize = 30;
const MAX_CATEGORY: usize = 100;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = faq_entries)]
pub struct FaqEntry {
    pub id: i32,
    pub question: String,
    pub variants: Vec<String>,
    pub answer: String,
    pub category: String,
    pub keywords: Vec<String>,
    pub enabled: bool,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FaqEntry {
    /// Published and inside its validity window: what residents may be shown.
    pub fn live_at(&self, now: DateTime<Utc>) -> bool {
        self.enabled
            && self.valid_from.is_none_or(|f| f <= now)
            && self.valid_to.is_none_or(|t| now < t)
    }
}

/// What staff write; also the row's columns (insert and update alike).
#[derive(Clone, Debug, Default, Insertable, AsChangeset)]
#[diesel(table_name = faq_entries, treat_none_as_null = true)]
pub struct FaqInput {
    pub question: String,
    pub variants: Vec<String>,
    pub answer: String,
    pub category: String,
    pub keywords: Vec<String>,
    pub enabled: bool,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
}

/// Trimmed lists without blanks or repeats.
fn tidy(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    out
}

impl FaqInput {
    fn tidied(&self) -> Self {
        Self {
            question: self.question.trim().to_string(),
            variants: tidy(&self.variants),
            answer: self.answer.trim().to_string(),
            category: self.category.trim().to_string(),
            keywords: tidy(&self.keywords),
            ..self.clone()
        }
    }

    /// Every problem at once, addressed under `prefix` (`input`, `rows[3]`).
    pub fn problems(&self, prefix: &str, p: &mut Problems) {
        let f = |name: &str| format!("{prefix}.{name}");
        let q = self.question.trim().chars().count();
        p.check(q > 0, &f("question"), "質問を入力してください");
        p.check(
            q <= MAX_QUESTION,
            &f("question"),
            "質問は300文字以内で入力してください",
        );
        let a = self.answer.trim().encode_utf16().count();
        p.check(a > 0, &f("answer"), "回答を入力してください");
        p.check(
            a <= MAX_ANSWER_UTF16,
            &f("answer"),
            "回答は5,000文字以内で入力してください（絵文字は2文字と数えます）",
        );
        p.check(
            self.category.trim().chars().count() <= MAX_CATEGORY,
            &f("category"),
            "カテゴリは100文字以内で入力してください",
        );
        p.check(
            self.variants.len() <= MAX_VARIANTS,
            &f("variants"),
            "言い換えは30件までです",
        );
        for (i, v) in self.variants.iter().enumerate() {
            p.check(
                v.trim().chars().count() <= MAX_QUESTION,
                &f(&format!("variants[{i}]")),
                "言い換えは1件300文字以内で入力してください",
            );
        }
        p.check(
            self.keywords.len() <= MAX_KEYWORDS,
            &f("keywords"),
            "キーワードは30件までです",
        );
        for (i, k) in self.keywords.iter().enumerate() {
            p.check(
                k.trim().chars().count() <= 50,
                &f(&format!("keywords[{i}]")),
                "キーワードは1件50文字以内で入力してください",
            );
        }
        if let (Some(from), Some(to)) = (self.valid_from, self.valid_to) {
            p.check(
                from < to,
                &f("validTo"),
                "掲載終了は掲載開始より後にしてください",
            );
        }
    }
}

fn check(input: &FaqInput) -> AppResult<()> {
    let mut p = Problems::new();
    input.problems("input", &mut p);
    p.into_result()
}

pub struct FaqFilter {
    pub search: Option<String>,
    pub category: Option<String>,
}

pub async fn list(
    app: &App,
    caller: &Caller,
    filter: FaqFilter,
    offset: i64,
    limit: i64,
) -> AppResult<(Vec<FaqEntry>, i64)> {
    caller.require(Permission::ChatbotManage)?;
    let mut conn = app.db.get().await?;
    let query = || {
        let mut q = faq_entries::table.into_boxed();
        if let Some(s) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            // A literal substring: % and _ typed by staff mean themselves.
            let pattern = format!(
                "%{}%",
                s.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            q = q.filter(
                faq_entries::question
                    .ilike(pattern.clone())
                    .or(faq_entries::answer.ilike(pattern)),
            );
        }
        if let Some(c) = filter.category.as_deref().filter(|c| !c.is_empty()) {
            q = q.filter(faq_entries::category.eq(c.to_string()));
        }
        q
    };
    let total: i64 = query().count().get_result(&mut conn).await?;
    let rows = query()
        .order(faq_entries::id.asc())
        .offset(offset.max(0))
        .limit(limit.clamp(1, 200))
        .select(FaqEntry::as_select())
        .load(&mut conn)
        .await?;
    Ok((rows, total))
}

pub async fn get(app: &App, caller: &Caller, id: i32) -> AppResult<Option<FaqEntry>> {
    caller.require(Permission::ChatbotManage)?;
    let mut conn = app.db.get().await?;
    Ok(faq_entries::table
        .find(id)
        .select(FaqEntry::as_select())
        .first(&mut conn)
        .await
        .optional()?)
}

/// Entries by id for the bot and the search (no permission: the caller decides what to show).
pub async fn by_ids(conn: &mut AsyncPgConnection, ids: &[i32]) -> AppResult<Vec<FaqEntry>> {
    Ok(faq_entries::table
        .filter(faq_entries::id.eq_any(ids))
        .select(FaqEntry::as_select())
        .load(conn)
        .await?)
}

fn summary(e: &FaqEntry) -> serde_json::Value {
    json!({ "question": e.question, "category": e.category, "enabled": e.enabled })
}

/// The audit row's target and summary for a changed entry.
fn audited_entry(e: FaqEntry) -> (FaqEntry, Target, serde_json::Value) {
    let summary = summary(&e);
    let target = Target::new("faq_entry", e.id);
    (e, target, summary)
}

pub async fn create(app: &App, caller: &Caller, input: FaqInput) -> AppResult<FaqEntry> {
    caller.require(Permission::ChatbotManage)?;
    check(&input)?;
    audit::audited(app, caller, "chatbot.faq.create", move |conn| {
        Box::pin(async move { Ok(audited_entry(insert(conn, &input).await?)) })
    })
    .await
}

/// Inserts one checked entry (also for imports and the demo, inside their transaction).
pub async fn insert(conn: &mut AsyncPgConnection, input: &FaqInput) -> AppResult<FaqEntry> {
    Ok(diesel::insert_into(faq_entries::table)
        .values(&input.tidied())
        .returning(FaqEntry::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(app: &App, caller: &Caller, id: i32, input: FaqInput) -> AppResult<FaqEntry> {
    caller.require(Permission::ChatbotManage)?;
    check(&input)?;
    audit::audited(app, caller, "chatbot.faq.update", move |conn| {
        Box::pin(async move { Ok(audited_entry(update_in(conn, id, &input).await?)) })
    })
    .await
}

/// Updates one checked entry (also for imports, inside their transaction).
pub async fn update_in(
    conn: &mut AsyncPgConnection,
    id: i32,
    input: &FaqInput,
) -> AppResult<FaqEntry> {
    diesel::update(faq_entries::table.find(id))
        .set((
            &input.tidied(),
            faq_entries::updated_at.eq(diesel::dsl::now),
        ))
        .returning(FaqEntry::as_returning())
        .get_result(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::NotFound("faq entry".into()))
}

pub async fn delete(app: &App, caller: &Caller, id: i32) -> AppResult<bool> {
    caller.require(Permission::ChatbotManage)?;
    audit::audited(app, caller, "chatbot.faq.delete", move |conn| {
        Box::pin(async move {
            let entry: FaqEntry = diesel::delete(faq_entries::table.find(id))
                .returning(FaqEntry::as_returning())
                .get_result(conn)
                .await
                .optional()?
                .ok_or_else(|| AppError::NotFound("faq entry".into()))?;
            let (_, target, summary) = audited_entry(entry);
            Ok((true, target, summary))
        })
    })
    .await
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = faq_synonyms)]
pub struct SynonymGroup {
    pub id: i32,
    pub terms: Vec<String>,
}

pub async fn synonyms(app: &App, caller: &Caller) -> AppResult<Vec<SynonymGroup>> {
    caller.require(Permission::ChatbotManage)?;
    let mut conn = app.db.get().await?;
    Ok(faq_synonyms::table
        .order(faq_synonyms::id.asc())
        .select(SynonymGroup::as_select())
        .load(&mut conn)
        .await?)
}

/// Saves a synonym group (a new one without `id`); the first term is how the others are read.
pub async fn save_synonyms(
    app: &App,
    caller: &Caller,
    id: Option<i32>,
    terms: Vec<String>,
) -> AppResult<SynonymGroup> {
    caller.require(Permission::ChatbotManage)?;
    let terms = tidy(&terms);
    let mut p = Problems::new();
    p.check(
        terms.len() >= 2,
        "terms",
        "同じ意味の言葉を2つ以上入力してください",
    );
    p.check(terms.len() <= 20, "terms", "1つのグループは20語までです");
    for (i, t) in terms.iter().enumerate() {
        p.check(
            t.chars().count() <= 30,
            &format!("terms[{i}]"),
            "1語30文字以内で入力してください",
        );
    }
    p.into_result()?;
    audit::audited(app, caller, "chatbot.synonyms.save", move |conn| {
        Box::pin(async move {
            let group: SynonymGroup = match id {
                None => {
                    diesel::insert_into(faq_synonyms::table)
                        .values(faq_synonyms::terms.eq(&terms))
                        .returning(SynonymGroup::as_returning())
                        .get_result(conn)
                        .await?
                }
                Some(id) => diesel::update(faq_synonyms::table.find(id))
                    .set(faq_synonyms::terms.eq(&terms))
                    .returning(SynonymGroup::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?
                    .ok_or_else(|| AppError::NotFound("synonym group".into()))?,
            };
            let summary = json!({ "terms": group.terms });
            let target = Target::new("faq_synonyms", group.id);
            Ok((group, target, summary))
        })
    })
    .await
}

pub async fn delete_synonyms(app: &App, caller: &Caller, id: i32) -> AppResult<bool> {
    caller.require(Permission::ChatbotManage)?;
    audit::audited(app, caller, "chatbot.synonyms.delete", move |conn| {
        Box::pin(async move {
            let n = diesel::delete(faq_synonyms::table.find(id))
                .execute(conn)
                .await?;
            if n == 0 {
                return Err(AppError::NotFound("synonym group".into()));
            }
            Ok((true, Target::new("faq_synonyms", id), json!({})))
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::FaqEntry;

    #[test]
    fn only_published_entries_inside_their_window_are_live() {
        let now = Utc::now();
        let entry = |enabled, from: Option<i64>, to: Option<i64>| FaqEntry {
            id: 1,
            question: "q".into(),
            variants: vec![],
            answer: "a".into(),
            category: String::new(),
            keywords: vec![],
            enabled,
            valid_from: from.map(|d| now + Duration::days(d)),
            valid_to: to.map(|d| now + Duration::days(d)),
            created_at: now,
            updated_at: now,
        };
        assert!(entry(true, None, None).live_at(now));
        assert!(!entry(false, None, None).live_at(now));
        assert!(!entry(true, None, Some(-1)).live_at(now), "expired");
        assert!(!entry(true, Some(1), None).live_at(now), "not yet");
        assert!(entry(true, Some(-1), Some(1)).live_at(now));
    }
}
