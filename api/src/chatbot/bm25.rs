//! Ranking FAQ entries for a resident's question: BM25 over character
//! bigrams of folded text. Each way an entry is asked (its question, each
//! variant, its keywords) is scored on its own and the best counts, so one
//! well-matching variant is not diluted by the others; the answer adds a
//! smaller share. In memory: 2,000 entries are a few megabytes and a query
//! touches only the postings of its own terms.
//!
//! Written here rather than with a search engine crate: the corpus is small,
//! lives in PostgreSQL, and is rebuilt whole in milliseconds on a change, so
//! an on-disk index would add a build-time and operational cost for nothing.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::fold::{Synonyms, bigrams, fold, without_frames};
use super::words::Analyzer;

const K1: f32 = 1.2;
const B: f32 = 0.75;
/// A question's term that no entry holds, in the confidence's denominator.
const UNKNOWN_WEIGHT: f32 = 0.25;

/// The ranking's knobs (the defaults are what `make bench-faq` found best).
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How much the answer text counts beside the best-matching phrasing.
    pub answer_weight: f32,
    /// A bigram of two hiragana is mostly grammar (です, ください): its share of the weight.
    pub grammar_weight: f32,
    /// A word's share (its base form, from the dictionary) beside the bigrams.
    pub word_weight: f32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            answer_weight: 0.3,
            grammar_weight: 0.5,
            word_weight: 1.0,
        }
    }
}

/// An entry as the index needs it.
#[derive(Clone, Debug)]
pub struct Doc {
    pub id: i32,
    pub question: String,
    pub variants: Vec<String>,
    pub keywords: Vec<String>,
    pub answer: String,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
}

impl Doc {
    fn valid_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|f| f <= now) && self.valid_to.is_none_or(|t| now < t)
    }
}

/// One entry's score for a question.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub id: i32,
    /// BM25: comparable between the entries of one question only.
    pub score: f32,
    /// 0–1: the share of the question's weighted terms its best phrasing
    /// contains (1 when it says everything the question said).
    pub confidence: f32,
}

struct Phrasing {
    doc: usize,
    len: f32,
}

pub struct Engine {
    options: Options,
    analyzer: Option<Arc<Analyzer>>,
    docs: Vec<Doc>,
    synonyms: Synonyms,
    phrasings: Vec<Phrasing>,
    avg_phrasing_len: f32,
    avg_answer_len: f32,
    answer_len: Vec<f32>,
    /// term → (phrasing, tf)
    asked: HashMap<String, Vec<(u32, u16)>>,
    /// term → (doc, tf)
    answers: HashMap<String, Vec<(u32, u16)>>,
    /// term → number of entries holding it anywhere
    df: HashMap<String, u32>,
}

/// A text's terms: its bigrams, and with a dictionary its words (marked
/// apart, `w:` + base form), each with whether it is mostly grammar.
fn terms(
    text: &str,
    synonyms: &Synonyms,
    analyzer: Option<&Analyzer>,
) -> Vec<(String, bool, bool)> {
    let mut out: Vec<(String, bool, bool)> = bigrams(&without_frames(&synonyms.apply(&fold(text))))
        .into_iter()
        .map(|(t, grammar)| (t, grammar, false))
        .collect();
    if let Some(a) = analyzer {
        for word in a.words(text) {
            out.push((format!("w:{}", synonyms.apply(&word)), false, true));
        }
    }
    out
}

fn counts(text: &str, synonyms: &Synonyms, analyzer: Option<&Analyzer>) -> HashMap<String, u16> {
    let mut tf = HashMap::new();
    for (term, _, _) in terms(text, synonyms, analyzer) {
        *tf.entry(term).or_insert(0u16) += 1;
    }
    tf
}

impl Engine {
    pub fn new(docs: Vec<Doc>, synonyms: Synonyms, analyzer: Option<Arc<Analyzer>>) -> Self {
        Self::with_options(docs, synonyms, analyzer, Options::default())
    }

    pub fn with_options(
        docs: Vec<Doc>,
        synonyms: Synonyms,
        analyzer: Option<Arc<Analyzer>>,
        options: Options,
    ) -> Self {
        let words = analyzer.as_deref();
        let mut phrasings = Vec::new();
        let mut asked: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
        let mut answers: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
        let mut df: HashMap<String, u32> = HashMap::new();
        let mut answer_len = Vec::with_capacity(docs.len());
        for (d, doc) in docs.iter().enumerate() {
            let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
            let keywords = doc.keywords.join(" ");
            let texts = std::iter::once(doc.question.as_str())
                .chain(doc.variants.iter().map(String::as_str))
                .chain((!keywords.is_empty()).then_some(keywords.as_str()));
            for text in texts {
                let tf = counts(text, &synonyms, words);
                let p = phrasings.len() as u32;
                phrasings.push(Phrasing {
                    doc: d,
                    len: tf.values().map(|&n| f32::from(n)).sum(),
                });
                for (term, n) in tf {
                    seen.insert(term.clone());
                    asked.entry(term).or_default().push((p, n));
                }
            }
            let tf = counts(&doc.answer, &synonyms, words);
            answer_len.push(tf.values().map(|&n| f32::from(n)).sum());
            for (term, n) in tf {
                seen.insert(term.clone());
                answers.entry(term).or_default().push((d as u32, n));
            }
            for term in seen {
                *df.entry(term).or_insert(0) += 1;
            }
        }
        let mean = |xs: &mut dyn Iterator<Item = f32>, n: usize| {
            if n == 0 {
                1.0
            } else {
                (xs.sum::<f32>() / n as f32).max(1.0)
            }
        };
        let avg_phrasing_len = mean(&mut phrasings.iter().map(|p| p.len), phrasings.len());
        let avg_answer_len = mean(&mut answer_len.iter().copied(), answer_len.len());
        Self {
            options,
            analyzer,
            docs,
            synonyms,
            phrasings,
            avg_phrasing_len,
            avg_answer_len,
            answer_len,
            asked,
            answers,
            df,
        }
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    fn idf(&self, term: &str) -> f32 {
        let n = self.docs.len() as f32;
        let df = self.df.get(term).copied().unwrap_or(0) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The entries valid at `now` that share anything with `text`, best first.
    pub fn search(&self, text: &str, limit: usize, now: DateTime<Utc>) -> Vec<Hit> {
        // The question's distinct terms with their weights (idf, grammar weighed down).
        let mut weights: HashMap<String, f32> = HashMap::new();
        // What the confidence divides by: a term no entry holds counts at a
        // fraction (a typo or a word the FAQ never uses should not by itself
        // turn a fitting answer into 「見つかりませんでした」).
        let mut total = 0f32;
        for (term, grammar, word) in terms(text, &self.synonyms, self.analyzer.as_deref()) {
            let share = if word {
                self.options.word_weight
            } else if grammar {
                self.options.grammar_weight
            } else {
                1.0
            };
            let w = self.idf(&term) * share;
            if weights.insert(term.clone(), w).is_none() {
                total += if self.df.contains_key(&term) {
                    w
                } else {
                    w * UNKNOWN_WEIGHT
                };
            }
        }
        if weights.is_empty() || total <= 0.0 || limit == 0 {
            return Vec::new();
        }
        let mut phrasing_score = vec![0f32; self.phrasings.len()];
        let mut phrasing_cover = vec![0f32; self.phrasings.len()];
        let mut answer_score = vec![0f32; self.docs.len()];
        for (term, &w) in &weights {
            for &(p, tf) in self.asked.get(term).map_or(&[][..], Vec::as_slice) {
                let len = self.phrasings[p as usize].len;
                phrasing_score[p as usize] += w * saturate(tf, len, self.avg_phrasing_len);
                phrasing_cover[p as usize] += w;
            }
            for &(d, tf) in self.answers.get(term).map_or(&[][..], Vec::as_slice) {
                let len = self.answer_len[d as usize];
                answer_score[d as usize] += w * saturate(tf, len, self.avg_answer_len);
            }
        }
        // Per entry: its best phrasing (and that phrasing's coverage), plus the answer's share.
        let mut best = vec![(0f32, 0f32); self.docs.len()];
        for (p, phrasing) in self.phrasings.iter().enumerate() {
            let slot = &mut best[phrasing.doc];
            if phrasing_score[p] > slot.0 {
                *slot = (phrasing_score[p], phrasing_cover[p]);
            }
        }
        let mut hits: Vec<Hit> = best
            .iter()
            .enumerate()
            .filter(|&(d, &(s, _))| {
                (s > 0.0 || answer_score[d] > 0.0) && self.docs[d].valid_at(now)
            })
            .map(|(d, &(s, cover))| Hit {
                id: self.docs[d].id,
                score: s + self.options.answer_weight * answer_score[d],
                confidence: (cover / total).clamp(0.0, 1.0),
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(limit);
        hits
    }
}

fn saturate(tf: u16, len: f32, avg: f32) -> f32 {
    let tf = f32::from(tf);
    tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: i32, question: &str, answer: &str) -> Doc {
        Doc {
            id,
            question: question.into(),
            variants: vec![],
            keywords: vec![],
            answer: answer.into(),
            valid_from: None,
            valid_to: None,
        }
    }

    fn engine(docs: Vec<Doc>, synonyms: &[&[&str]]) -> Engine {
        let groups: Vec<Vec<String>> = synonyms
            .iter()
            .map(|g| g.iter().map(|s| s.to_string()).collect())
            .collect();
        Engine::new(docs, Synonyms::new(&groups), None)
    }

    #[test]
    fn the_entry_asked_about_comes_first() {
        let e = engine(
            vec![
                doc(
                    1,
                    "粗大ごみの出し方を教えてください",
                    "粗大ごみ受付センターに電話で申し込んでください。",
                ),
                doc(2, "燃えるごみの収集日はいつですか", "地区ごとに週2回です。"),
                doc(
                    3,
                    "母子手帳はどこで受け取れますか",
                    "市役所の窓口で受け取れます。",
                ),
            ],
            &[&["粗大ごみ", "大型ごみ"]],
        );
        let hits = e.search("大型ゴミってどうやって出すの？", 3, Utc::now());
        assert_eq!(hits[0].id, 1);
        assert!(hits[0].confidence > 0.3, "{hits:?}");
        let mama = e.search("母子手帳をもらう場所", 3, Utc::now());
        assert_eq!(mama[0].id, 3);
    }

    #[test]
    fn a_variant_matches_like_the_question_and_expired_entries_are_left_out() {
        let mut d = doc(1, "子育て支援センターについて", "……");
        d.variants = vec!["赤ちゃんと遊べる場所はありますか".into()];
        let mut old = doc(2, "赤ちゃんと遊べる場所", "閉館しました");
        old.valid_to = Some(Utc::now() - chrono::Duration::days(1));
        let e = engine(vec![d, old], &[]);
        let hits = e.search("赤ちゃんと遊べる場所", 5, Utc::now());
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, 1);
        assert!(hits[0].confidence > 0.9);
    }

    #[test]
    fn nothing_shared_is_no_hit_and_odd_input_is_no_panic() {
        let e = engine(vec![doc(1, "粗大ごみの出し方", "……")], &[]);
        assert!(e.search("天気", 3, Utc::now()).is_empty());
        assert!(e.search("", 3, Utc::now()).is_empty());
        assert!(e.search("🙂🙂🙂", 3, Utc::now()).is_empty());
        let long = "あ".repeat(5000);
        assert!(e.search(&long, 3, Utc::now()).len() <= 1);
        assert!(engine(vec![], &[]).search("ごみ", 3, Utc::now()).is_empty());
    }
}
