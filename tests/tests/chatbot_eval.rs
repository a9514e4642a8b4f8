//! Retrieval quality floor: the default ranking on the labelled set
//! (tests/data/faq-eval.tsv over the demo FAQ). `make bench-faq` prints the
//! full figures for every variant; this only keeps them from sliding back.

use tenohira::chatbot::bm25::Options;
use tenohira::chatbot::{bot, eval};

#[test]
fn the_default_ranking_stays_above_its_floor_on_the_labelled_set() {
    let set = eval::parse(include_str!("../data/faq-eval.tsv"));
    assert!(set.len() >= 200, "at least 200 labelled questions");
    let engine = eval::demo_engine(Options::default(), true).unwrap();
    let f = eval::measure(&engine, &set, Some, bot::ANSWER_AT, bot::MARGIN);
    println!("{f:?}");
    assert!(f.hit1 >= FLOOR_HIT1, "hit@1 {:.3}", f.hit1);
    assert!(f.hit3 >= FLOOR_HIT3, "hit@3 {:.3}", f.hit3);
}

// Set a little under the figures measured when the floor was last raised.
const FLOOR_HIT1: f64 = 0.68;
const FLOOR_HIT3: f64 = 0.80;
