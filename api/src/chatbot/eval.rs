//! Measuring retrieval on a labelled set: residents' questions, each with
//! the entry that answers it. The test suite keeps a floor under the
//! default ranking; `make bench-faq` prints every variant's figures.

use chrono::Utc;

use super::bm25::Engine;

/// One labelled question: the entry's source id and the question.
pub struct Labelled {
    pub source_id: i32,
    pub question: String,
}

/// `id<TAB>question` lines; `#` starts a comment.
pub fn parse(tsv: &str) -> Vec<Labelled> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (id, q) = l.split_once('\t')?;
            Some(Labelled {
                source_id: id.trim().parse().ok()?,
                question: q.trim().to_string(),
            })
        })
        .collect()
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Figures {
    pub questions: usize,
    pub hit1: f64,
    pub hit3: f64,
    pub mrr: f64,
    /// Share of questions the bot would answer outright (confidence ≥ the answer threshold) …
    pub answered: f64,
    /// … and of those, the share answered with the right entry.
    pub answered_right: f64,
}

/// Ranks every question; `id_of` maps a source id to the engine's entry id.
pub fn measure(
    engine: &Engine,
    set: &[Labelled],
    id_of: impl Fn(i32) -> Option<i32>,
    answer_at: f32,
    margin: f32,
) -> Figures {
    let now = Utc::now();
    let mut f = Figures {
        questions: set.len(),
        ..Figures::default()
    };
    let (mut answered, mut right) = (0usize, 0usize);
    for q in set {
        let want = id_of(q.source_id);
        let hits = engine.search(&q.question, 10, now);
        let rank = hits.iter().position(|h| Some(h.id) == want);
        if rank == Some(0) {
            f.hit1 += 1.0;
        }
        if rank.is_some_and(|r| r < 3) {
            f.hit3 += 1.0;
        }
        if let Some(r) = rank {
            f.mrr += 1.0 / (r as f64 + 1.0);
        }
        if matches!(
            super::bot::decide_with(&hits, answer_at, margin),
            super::bot::Decision::Answer(_)
        ) {
            answered += 1;
            if rank == Some(0) {
                right += 1;
            }
        }
    }
    let n = set.len().max(1) as f64;
    f.hit1 /= n;
    f.hit3 /= n;
    f.mrr /= n;
    f.answered = answered as f64 / n;
    f.answered_right = if answered == 0 {
        0.0
    } else {
        right as f64 / answered as f64
    };
    f
}

/// The demo FAQ as an engine whose entry ids are the source ids (no database);
/// `as_seeded` adds the staff's phrasings `make demo` seeds.
pub fn demo_engine(
    options: super::bm25::Options,
    with_synonyms: bool,
    analyzer: Option<std::sync::Arc<super::words::Analyzer>>,
    as_seeded: bool,
) -> anyhow::Result<Engine> {
    let docs = super::demo::entries(as_seeded)?
        .into_iter()
        .map(|(id, e)| super::bm25::Doc {
            id,
            question: e.question,
            variants: e.variants,
            keywords: e.keywords,
            answer: e.answer,
            valid_from: None,
            valid_to: None,
        })
        .collect();
    let groups: Vec<Vec<String>> = if with_synonyms {
        super::demo::SYNONYMS
            .iter()
            .map(|g| g.iter().map(|s| s.to_string()).collect())
            .collect()
    } else {
        vec![]
    };
    Ok(Engine::with_options(
        docs,
        super::fold::Synonyms::new(&groups),
        analyzer,
        options,
    ))
}
