//! The municipalities an alert mail names. A name counts only with its
//! 市/町/村 (川口市, not the 川口 of a river mouth); さいたま市's wards count
//! as the city — with the city's name before them, or alone where the ward's
//! name is Saitama's own (浦和区, not the 北区 that Tokyo has too). The
//! longest name at each place wins, so さいたま市浦和区 is read once.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::audience::municipalities::{SAITAMA_CITY_WARDS, SAITAMA_MUNICIPALITIES};

const CITY: &str = "さいたま市";
/// Ward names found in no other prefecture's big cities.
const OWN_WARDS: &[&str] = &["大宮区", "見沼区", "浦和区", "岩槻区", "桜区"];

/// A municipality found, and the words the mail used for it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Found {
    pub municipality: &'static str,
    pub said: String,
}

struct Names {
    /// None only if the fixed patterns could not be built (never seen):
    /// then no municipality is found and rules fall back, never widen.
    search: Option<AhoCorasick>,
    /// For each pattern, the municipality it names.
    meaning: Vec<&'static str>,
}

static NAMES: LazyLock<Names> = LazyLock::new(|| {
    let mut patterns: Vec<String> = Vec::new();
    let mut meaning = Vec::new();
    let mut add = |p: String, m: &'static str| {
        patterns.push(p);
        meaning.push(m);
    };
    for m in SAITAMA_MUNICIPALITIES {
        add(m.to_string(), m);
        // 鶴ヶ島市 is also written with ケ or a small ヶ's look-alikes.
        if m.contains('ヶ') {
            for alt in ['ケ', 'が', 'ガ'] {
                add(m.replace('ヶ', &alt.to_string()), m);
            }
        }
    }
    for w in SAITAMA_CITY_WARDS {
        add(format!("{CITY}{w}"), CITY);
    }
    for w in OWN_WARDS {
        add(w.to_string(), CITY);
    }
    let search = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&patterns)
        .inspect_err(
            |e| tracing::error!(error = %e, "the municipality names could not be compiled"),
        )
        .ok();
    Names { search, meaning }
});

/// Every municipality `text` names, in order of first mention, each once.
/// Full-width and half-width forms are read alike (NFKC).
pub fn municipalities_in(text: &str) -> Vec<Found> {
    use unicode_normalization::UnicodeNormalization;
    let text: String = text.nfkc().collect();
    let names = &*NAMES;
    let mut out: Vec<Found> = Vec::new();
    let Some(search) = &names.search else {
        return out;
    };
    for m in search.find_iter(&text) {
        let municipality = names.meaning[m.pattern().as_usize()];
        let said = text[m.start()..m.end()].to_string();
        match out.iter_mut().find(|f| f.municipality == municipality) {
            // Keep the most precise words (さいたま市浦和区 over さいたま市).
            Some(f) if said.chars().count() > f.said.chars().count() => f.said = said,
            Some(_) => {}
            None => out.push(Found { municipality, said }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::municipalities_in;

    fn names(text: &str) -> Vec<&'static str> {
        municipalities_in(text)
            .into_iter()
            .map(|f| f.municipality)
            .collect()
    }

    #[test]
    fn a_name_counts_only_with_its_suffix() {
        assert_eq!(names("川口市に避難指示"), ["川口市"]);
        assert!(names("荒川の川口付近で増水").is_empty());
        assert!(names("秩父地方").is_empty());
    }

    #[test]
    fn wards_of_saitama_city_are_the_city() {
        let found = municipalities_in("さいたま市浦和区と川口市に大雨警報");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].municipality, "さいたま市");
        assert_eq!(found[0].said, "さいたま市浦和区");
        assert_eq!(found[1].municipality, "川口市");
        assert_eq!(names("浦和区で停電"), ["さいたま市"]);
        assert!(names("北区で停電").is_empty(), "Tokyo has a 北区 too");
        assert_eq!(names("さいたま市北区で停電"), ["さいたま市"]);
    }

    #[test]
    fn two_municipalities_in_one_mail_in_order_each_once() {
        assert_eq!(
            names("熊谷市、行田市、熊谷市の一部に土砂災害警戒情報"),
            ["熊谷市", "行田市"]
        );
    }

    #[test]
    fn longest_name_wins_and_variants_are_read() {
        assert_eq!(names("東秩父村に大雨警報"), ["東秩父村"]);
        assert_eq!(names("東松山市"), ["東松山市"]);
        assert_eq!(names("鶴ケ島市と鶴ヶ島市"), ["鶴ヶ島市"]);
        assert_eq!(names("ふじみ野市と富士見市"), ["ふじみ野市", "富士見市"]);
        assert_eq!(names("ｻｲﾀﾏ".repeat(3).as_str()), Vec::<&str>::new());
    }

    #[test]
    fn every_municipality_is_found_by_its_own_name() {
        for m in crate::audience::municipalities::SAITAMA_MUNICIPALITIES {
            assert_eq!(names(&format!("【警報】{m}に発表")), [m], "{m}");
        }
    }
}
