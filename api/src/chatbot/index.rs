//! This process's copy of the FAQ index. Every search first reads the one
//! revision number the FAQ tables' triggers bump (a primary-key read), and
//! rebuilds the copy when it moved: a change in the console reaches the bot
//! with the next question, in every API and worker process.

use std::sync::{Arc, RwLock};

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::bm25::{Doc, Engine, Hit};
use super::fold::Synonyms;
use super::words::Analyzer;
use crate::db::DbPool;
use crate::db::schema::{faq_entries, faq_revision, faq_synonyms};
use crate::sync::ReadWrite;

#[derive(Default)]
pub struct FaqIndex {
    current: RwLock<Option<(i64, Arc<Engine>)>>,
    /// The dictionary, compiled once per process (None: bigrams alone).
    analyzer: tokio::sync::OnceCell<Option<Arc<Analyzer>>>,
    /// One rebuild at a time; the others wait for it and use its result.
    rebuilding: tokio::sync::Mutex<()>,
}

impl FaqIndex {
    /// The index as of the FAQ's current revision.
    /// The dictionary `setting` names, compiled on first use (a few seconds, off the async threads).
    pub async fn analyzer(&self, setting: &str) -> Option<Arc<Analyzer>> {
        let setting = setting.to_string();
        self.analyzer
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || Analyzer::configured(&setting).map(Arc::new))
                    .await
                    .ok()
                    .flatten()
            })
            .await
            .clone()
    }

    pub async fn engine(&self, db: &DbPool, dictionary: &str) -> anyhow::Result<Arc<Engine>> {
        let mut conn = db.get().await?;
        let revision: i64 = faq_revision::table
            .select(faq_revision::revision)
            .first(&mut conn)
            .await?;
        if let Some(engine) = self.at(revision) {
            return Ok(engine);
        }
        let _one = self.rebuilding.lock().await;
        if let Some(engine) = self.at(revision) {
            return Ok(engine);
        }
        let started = std::time::Instant::now();
        // Read after the revision: a change in between leaves the copy newer
        // than its number says, and the next search simply builds again.
        type Row = (
            i32,
            String,
            Vec<String>,
            Vec<String>,
            String,
            Option<chrono::DateTime<Utc>>,
            Option<chrono::DateTime<Utc>>,
        );
        let rows: Vec<Row> = faq_entries::table
            .filter(faq_entries::enabled.eq(true))
            .order(faq_entries::id.asc())
            .select((
                faq_entries::id,
                faq_entries::question,
                faq_entries::variants,
                faq_entries::keywords,
                faq_entries::answer,
                faq_entries::valid_from,
                faq_entries::valid_to,
            ))
            .load(&mut conn)
            .await?;
        let groups: Vec<Vec<String>> = faq_synonyms::table
            .order(faq_synonyms::id.asc())
            .select(faq_synonyms::terms)
            .load(&mut conn)
            .await?;
        drop(conn);
        // No FAQ, no dictionary: most processes (and tests) never pay for compiling it.
        let analyzer = if rows.is_empty() {
            None
        } else {
            self.analyzer(dictionary).await
        };
        let docs = rows
            .into_iter()
            .map(
                |(id, question, variants, keywords, answer, valid_from, valid_to)| Doc {
                    id,
                    question,
                    variants,
                    keywords,
                    answer,
                    valid_from,
                    valid_to,
                },
            )
            .collect();
        let engine = Arc::new(
            tokio::task::spawn_blocking(move || {
                Engine::new(docs, Synonyms::new(&groups), analyzer)
            })
            .await?,
        );
        tracing::info!(
            revision,
            entries = engine.len(),
            ms = started.elapsed().as_millis() as u64,
            "FAQ index built"
        );
        *self.current.writing() = Some((revision, engine.clone()));
        Ok(engine)
    }

    fn at(&self, revision: i64) -> Option<Arc<Engine>> {
        match self.current.reading().as_ref() {
            Some((r, engine)) if *r == revision => Some(engine.clone()),
            _ => None,
        }
    }

    /// The best entries for a resident's or a staff member's question.
    pub async fn search(
        &self,
        app: &crate::app::App,
        text: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<Hit>> {
        let engine = self.engine(&app.db, &app.config.faq_dictionary).await?;
        Ok(engine.search(text, limit, Utc::now()))
    }
}
