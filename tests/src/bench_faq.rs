//! `make bench-faq`: retrieval quality of each ranking variant on the
//! labelled set (hit@1, hit@3, MRR), the bot's answer threshold against
//! precision, and the retrieval time over 2,000 entries with a bare
//! reference (a substring scan of every question) measured in the same run.

use std::time::Instant;

use tenohira::chatbot::bm25::{Doc, Engine, Options};
use tenohira::chatbot::fold::Synonyms;
use tenohira::chatbot::{bot, eval};

fn median_and_p95(mut xs: Vec<f64>) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

pub fn run() {
    let set = eval::parse(include_str!("../data/faq-eval.tsv"));
    println!("labelled questions: {}", set.len());
    let row = |name: &str, engine: &Engine| {
        let f = eval::measure(engine, &set, Some, bot::ANSWER_AT, bot::MARGIN);
        println!(
            "  {name:<58} hit@1 {:.3}  hit@3 {:.3}  MRR {:.3}",
            f.hit1, f.hit3, f.mrr
        );
    };
    // The reference the issue names: bigram BM25 over question and answer as one text.
    let plain: Vec<Doc> = tenohira::chatbot::demo::entries(false)
        .unwrap()
        .into_iter()
        .map(|(id, e)| Doc {
            id,
            question: format!("{}\n{}", e.question, e.answer),
            variants: vec![],
            keywords: vec![],
            answer: String::new(),
            valid_from: None,
            valid_to: None,
        })
        .collect();
    let o = |answer_weight, grammar_weight, word_weight| Options {
        answer_weight,
        grammar_weight,
        word_weight,
    };
    row(
        "bigram BM25, question+answer as one text (reference)",
        &Engine::with_options(plain, Synonyms::default(), None, o(0.0, 1.0, 0.0)),
    );
    let started = Instant::now();
    let dictionary = std::env::var("TENOHIRA_FAQ_DICTIONARY")
        .unwrap_or_else(|_| "/usr/share/mecab/dic/ipadic".into());
    let words = tenohira::chatbot::words::Analyzer::load(std::path::Path::new(&dictionary))
        .ok()
        .map(std::sync::Arc::new);
    println!(
        "dictionary {dictionary}: {} in {:.1} s",
        if words.is_some() {
            "compiled"
        } else {
            "MISSING"
        },
        started.elapsed().as_secs_f64()
    );
    let variants = [
        ("question and keywords only", o(0.0, 1.0, 0.0), false, false),
        (
            "+ hiragana-only bigrams at 0.2",
            o(0.0, 0.2, 0.0),
            false,
            false,
        ),
        ("+ answer at 0.3", o(0.3, 0.2, 0.0), false, false),
        ("+ synonyms", o(0.3, 0.2, 0.0), true, false),
        (
            "hiragana-only bigrams at 0.5, answer 0.3, synonyms",
            o(0.3, 0.5, 0.0),
            true,
            false,
        ),
        (
            "+ words (IPADIC base forms) at 1.0 (default)",
            Options::default(),
            true,
            true,
        ),
        ("words at 0.5", o(0.3, 0.5, 0.5), true, true),
        ("words at 2.0", o(0.3, 0.5, 2.0), true, true),
        ("words at 1.0, answer at 0.1", o(0.1, 0.5, 1.0), true, true),
    ];
    for (name, options, synonyms, with_words) in variants {
        if with_words && words.is_none() {
            continue;
        }
        let analyzer = if with_words { words.clone() } else { None };
        row(
            name,
            &eval::demo_engine(options, synonyms, analyzer, false).unwrap(),
        );
    }

    row(
        "default, as seeded (with the staff's added phrasings)",
        &eval::demo_engine(Options::default(), true, words.clone(), true).unwrap(),
    );

    let engine = eval::demo_engine(Options::default(), true, words.clone(), false).unwrap();
    println!(
        "answer threshold (confidence) and margin (runner-up below this share of the best) → share answered outright, right among those:"
    );
    for t in [0.4f32, 0.5, 0.6, 0.7] {
        for m in [1.0f32, 0.95, 0.9, 0.8] {
            let f = eval::measure(&engine, &set, Some, t, m);
            println!(
                "  {t:.1} / {m:.2}  answered {:.3}  right {:.3}",
                f.answered, f.answered_right
            );
        }
    }

    // Time over 2,000 entries: the demo FAQ three times (ids kept apart).
    let mut docs = Vec::new();
    for copy in 0..3 {
        for (id, e) in tenohira::chatbot::demo::entries(false).unwrap() {
            docs.push(Doc {
                id: id + copy * 100_000,
                question: e.question,
                variants: e.variants,
                keywords: e.keywords,
                answer: e.answer,
                valid_from: None,
                valid_to: None,
            });
        }
    }
    let questions: Vec<String> = docs.iter().map(|d| d.question.clone()).collect();
    let started = Instant::now();
    let big = Engine::new(docs, Synonyms::default(), words.clone());
    println!(
        "index of {} entries built in {:.1} ms",
        big.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let queries: Vec<String> = set.iter().map(|q| q.question.clone()).collect();
    let ((p50, p95), (b50, b95)) = time_retrieval(&big, &questions, &queries);
    println!(
        "retrieval over {} entries: p50 {p50:.3} ms, p95 {p95:.3} ms; bare substring scan p50 {b50:.3} ms, p95 {b95:.3} ms; ratio p95 {:.1}",
        big.len(),
        p95 / b95
    );
}

/// Median and p95 (ms) of searching `queries` five times over, and of the
/// bare reference: a substring scan of every question in `corpus`.
pub fn time_retrieval(
    engine: &Engine,
    corpus: &[String],
    queries: &[String],
) -> ((f64, f64), (f64, f64)) {
    let now = chrono::Utc::now();
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    let mut found = 0usize;
    for _ in 0..5 {
        for q in queries {
            let t = Instant::now();
            found += engine.search(q, 5, now).len();
            ours.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let folded = q.to_lowercase();
            found += corpus
                .iter()
                .filter(|x| x.contains(folded.as_str()))
                .count();
            bare.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    // Keeps the searches from being optimised away.
    std::hint::black_box(found);
    (median_and_p95(ours), median_and_p95(bare))
}
