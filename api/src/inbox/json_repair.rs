//! Making a signed webhook storable whatever its text holds. PostgreSQL's
//! `jsonb` refuses U+0000 and JSON parsers refuse lone UTF-16 surrogates
//! (`\ud800` without its pair); both are valid in what a client can send.
//! Such characters become U+FFFD; the caller keeps the original bytes.

use serde_json::Value;

/// `text` with every `\uXXXX` escape of a lone surrogate replaced by
/// `\ufffd`; `None` when there was none. Escapes are read as JSON reads
/// them (a backslash escapes the next character), so `\\ud800` is left alone.
pub fn replace_lone_surrogates(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    let hex = |at: usize| -> Option<u16> {
        let s = std::str::from_utf8(text.get(at..at + 4)?).ok()?;
        u16::from_str_radix(s, 16).ok()
    };
    while i < text.len() {
        if text[i] == b'\\' && text.get(i + 1) == Some(&b'u') {
            if let Some(unit) = hex(i + 2) {
                let high = (0xD800..0xDC00).contains(&unit);
                let low = (0xDC00..0xE000).contains(&unit);
                let paired_low = high
                    && text.get(i + 6) == Some(&b'\\')
                    && text.get(i + 7) == Some(&b'u')
                    && hex(i + 8).is_some_and(|u| (0xDC00..0xE000).contains(&u));
                if paired_low {
                    out.extend_from_slice(&text[i..i + 12]);
                    i += 12;
                    continue;
                }
                if high || low {
                    out.extend_from_slice(b"\\ufffd");
                    changed = true;
                    i += 6;
                    continue;
                }
            }
            out.extend_from_slice(&text[i..i + 2]);
            i += 2;
            continue;
        }
        if text[i] == b'\\' {
            // Any other escape: copy it whole so its second byte is not read as a start.
            out.extend_from_slice(&text[i..(i + 2).min(text.len())]);
            i += 2;
            continue;
        }
        out.push(text[i]);
        i += 1;
    }
    changed.then_some(out)
}

/// Replaces U+0000 in every string and key of `v`; says whether it did.
pub fn replace_nul(v: &mut Value) -> bool {
    const NUL: char = '\u{0}';
    match v {
        Value::String(s) if s.contains(NUL) => {
            *s = s.replace(NUL, "\u{fffd}");
            true
        }
        Value::Array(items) => {
            // Every item, not only up to the first change.
            let mut changed = false;
            for x in items {
                changed |= replace_nul(x);
            }
            changed
        }
        Value::Object(map) => {
            let mut changed = false;
            if map.keys().any(|k| k.contains(NUL)) {
                let entries = std::mem::take(map);
                for (k, v) in entries {
                    map.insert(k.replace(NUL, "\u{fffd}"), v);
                }
                changed = true;
            }
            for x in map.values_mut() {
                changed |= replace_nul(x);
            }
            changed
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters_pairs_stay() {
        let body = br#"{"a":"x\ud800y","b":"\udc00","c":"\ud83d\ude00","d":"\\ud800"}"#;
        let fixed = replace_lone_surrogates(body).unwrap();
        let v: Value = serde_json::from_slice(&fixed).unwrap();
        assert_eq!(v["a"], "x\u{fffd}y");
        assert_eq!(v["b"], "\u{fffd}");
        assert_eq!(v["c"], "😀");
        assert_eq!(v["d"], "\\ud800");
        assert!(replace_lone_surrogates(br#"{"a":"\ud83d\ude00 \\u0041"}"#).is_none());
    }

    #[test]
    fn nul_is_replaced_in_strings_and_keys() {
        let mut v: Value =
            serde_json::from_str(r#"{"t":"a\u0000b","k\u0000":[1,"\u0000"]}"#).unwrap();
        assert!(replace_nul(&mut v));
        assert_eq!(v["t"], "a\u{fffd}b");
        assert_eq!(v["k\u{fffd}"][1], "\u{fffd}");
        assert!(!replace_nul(&mut v));
    }
}
