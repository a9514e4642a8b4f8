//! A keyed blind index for names: HMAC-SHA-256 under a system key kept in
//! the keyring, over a normalised form (NFKC, no spaces, lower case), so
//! staff can find a holder by exact name or name part without decrypting
//! every row, and the database alone reveals nothing searchable.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;

use super::seal::DataKey;

pub const OWNER: &str = "system:blind-index";

pub fn normalise(name: &str) -> String {
    name.nfkc()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

pub fn token(key: &DataKey, text: &str) -> Vec<u8> {
    #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose()).expect("HMAC takes any key length");
    mac.update(normalise(text).as_bytes());
    // 16 bytes: collisions among a few million names stay negligible.
    mac.finalize().into_bytes()[..16].to_vec()
}

/// The tokens a name is found by: the whole name and each space-separated part.
pub fn tokens(key: &DataKey, name: &str) -> Vec<Vec<u8>> {
    let spaced: String = name.nfkc().collect();
    let mut out = vec![token(key, &spaced)];
    let parts: Vec<&str> = spaced.split_whitespace().collect();
    if parts.len() > 1 {
        out.extend(parts.iter().map(|p| token(key, p)));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_space_and_width_variants_match() {
        let key = DataKey::generate();
        assert_eq!(token(&key, "埼玉　花子"), token(&key, "埼玉花子"));
        assert_eq!(token(&key, "ＳＡＩＴＡＭＡ"), token(&key, "saitama"));
        let t = tokens(&key, "埼玉　花子");
        assert!(t.contains(&token(&key, "埼玉")));
        assert!(t.contains(&token(&key, "花子")));
        assert_ne!(
            token(&key, "埼玉"),
            token(&DataKey::generate(), "埼玉"),
            "keyed"
        );
    }
}
