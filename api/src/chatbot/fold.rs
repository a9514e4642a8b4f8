//! Japanese text made comparable: residents write ｺﾞﾐ, ゴミ and ごみ, 粗大ゴミ
//! and 大型ごみ, full-width digits, long vowels or none. Both the FAQ and
//! the question go through the same folding before they are cut into terms.

use unicode_normalization::UnicodeNormalization;

/// NFKC (width, compatibility forms), lower case, katakana as hiragana,
/// long-vowel marks and wave dashes dropped.
pub fn fold(text: &str) -> String {
    text.nfkc()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            // ー and the wave dashes carry no meaning a search can use.
            'ー' | '〜' | '～' => None,
            // Katakana ァ..ヶ sit 0x60 above their hiragana.
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60),
            _ => Some(c),
        })
        .collect()
}

/// How residents frame a question, not what they ask about (folded forms):
/// cut before the text is split into terms, longest first.
const QUESTION_FRAMES: &[&str] = &[
    "おしえてください",
    "どうしたらいい",
    "教えてください",
    "どうやって",
    "どうすれば",
    "どうしたら",
    "でしょうか",
    "なんですか",
    "おしえて",
    "知りたい",
    "ください",
    "について",
    "教えて",
    "ですか",
    "ますか",
    "って",
];

/// Folded text with the question frames cut out (each leaves a word break).
pub fn without_frames(folded: &str) -> String {
    let mut text = folded.to_string();
    for frame in QUESTION_FRAMES {
        if text.contains(frame) {
            text = text.replace(frame, " ");
        }
    }
    text
}

/// Characters that belong to words (letters, digits, kana, kanji); the rest
/// (spaces, punctuation, symbols, emoji) separate words.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '々'
}

fn is_hiragana(c: char) -> bool {
    ('ぁ'..='ゖ').contains(&c)
}

/// The runs of word characters in folded text.
pub fn runs(folded: &str) -> impl Iterator<Item = Vec<char>> + '_ {
    folded
        .split(|c: char| !is_word_char(c))
        .filter(|r| !r.is_empty())
        .map(|r| r.chars().collect())
}

/// Character bigrams of each run (a run of one character is itself a term).
/// A bigram of two hiragana is mostly grammar (です, ます, のか): it is kept,
/// but marked so the index can weigh it down.
pub fn bigrams(folded: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for run in runs(folded) {
        if run.len() == 1 {
            out.push((run[0].to_string(), is_hiragana(run[0])));
            continue;
        }
        for pair in run.windows(2) {
            let grammar = is_hiragana(pair[0]) && is_hiragana(pair[1]);
            out.push((pair.iter().collect(), grammar));
        }
    }
    out
}

/// Synonym groups as staff keep them: every term of a group is read as the
/// group's first, in the FAQ and in questions alike.
#[derive(Clone, Debug, Default)]
pub struct Synonyms {
    /// (folded term, folded canonical), longest term first so 粗大ゴミ wins over ゴミ.
    pairs: Vec<(String, String)>,
}

impl Synonyms {
    pub fn new(groups: &[Vec<String>]) -> Self {
        let mut pairs = Vec::new();
        for group in groups {
            let mut terms = group.iter().map(|t| fold(t)).filter(|t| !t.is_empty());
            let Some(canonical) = terms.next() else {
                continue;
            };
            for term in terms {
                if term != canonical {
                    pairs.push((term, canonical.clone()));
                }
            }
        }
        pairs.sort_by_key(|(t, _)| std::cmp::Reverse(t.chars().count()));
        Self { pairs }
    }

    /// Folded text with every synonym replaced by its canonical term.
    pub fn apply(&self, folded: &str) -> String {
        let mut text = folded.to_string();
        for (term, canonical) in &self.pairs {
            if text.contains(term.as_str()) {
                text = text.replace(term.as_str(), canonical);
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_kana_and_long_vowels_fold_together() {
        assert_eq!(fold("ｺﾞﾐ"), fold("ごみ"));
        assert_eq!(fold("ゴミ"), "ごみ");
        assert_eq!(fold("ＡＢＣ１２３"), "abc123");
        assert_eq!(fold("コーヒー"), fold("コヒ"));
        assert_eq!(fold("9時〜17時"), "9時17時");
    }

    #[test]
    fn bigrams_stop_at_punctuation_and_mark_grammar() {
        let b = bigrams(&fold("粗大ごみ、出す？"));
        let terms: Vec<&str> = b.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(terms, ["粗大", "大ご", "ごみ", "出す"]);
        assert!(b[2].1, "ごみ is two hiragana");
        assert!(!b[0].1);
        assert!(bigrams("").is_empty());
        assert!(
            bigrams(&fold("🙂🙂 !!")).is_empty(),
            "emoji alone has no terms"
        );
    }

    #[test]
    fn question_frames_are_cut_and_leave_the_subject() {
        assert_eq!(
            without_frames(&fold("粗大ゴミってどうやって出すの？"))
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["粗大ごみ", "出すの?"]
        );
        assert_eq!(without_frames("どうしたらいいですか"), "  ");
    }

    #[test]
    fn synonyms_read_as_their_first_term_longest_first() {
        let s = Synonyms::new(&[
            vec!["粗大ごみ".into(), "大型ごみ".into(), "粗大ゴミ".into()],
            vec!["ごみ".into(), "ゴミ".into()],
        ]);
        assert_eq!(s.apply(&fold("大型ゴミの出し方")), "粗大ごみの出し方");
        assert_eq!(s.apply(&fold("粗大ゴミ")), "粗大ごみ");
    }
}
