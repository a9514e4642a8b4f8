//! Japanese alert mail, decoded (seed §2.4(4)シ): ISO-2022-JP (with the
//! CP50220 extensions such as ①), Shift_JIS/CP932, EUC-JP and UTF-8;
//! base64 and quoted-printable; encoded-word subjects; multipart, preferring
//! text/plain and taking the text of HTML otherwise. Attachments are never
//! read into what is kept. mail-parser does the work; this module fills its
//! gaps (the `CP932` label it does not know, the wave dash it turns into a
//! full-width tilde) and gives every mail a digest for de-duplication.

use mail_parser::MessageParser;
use sha2::{Digest, Sha256};

/// What tenohira keeps of a mail: text only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: String,
    pub body: String,
    /// Attachments seen (counted, never stored).
    pub attachments: usize,
    /// SHA-256 of sender, subject and body: the same alert resent under a
    /// new Message-ID is still one mail.
    pub digest: String,
    /// The header block as it came (shown to staff), at most `MAX_HEADER_BYTES`.
    pub headers: String,
    /// SPF and DKIM verdicts a relay recorded (`pass`, `fail`, …), when present.
    pub spf: Option<String>,
    pub dkim: Option<String>,
}

pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The header block: everything before the first empty line.
fn header_block(raw: &[u8]) -> String {
    let end = find(raw, b"\r\n\r\n")
        .or_else(|| find(raw, b"\n\n"))
        .unwrap_or(raw.len())
        .min(MAX_HEADER_BYTES);
    tidy(&String::from_utf8_lossy(&raw[..end]))
}

/// A verdict such as `spf=pass` in an Authentication-Results header, or the
/// first word of Received-SPF.
fn verdict(headers: &str, method: &str) -> Option<String> {
    let lower = headers.to_ascii_lowercase();
    let key = format!("{method}=");
    let found = lower.match_indices(&key).find_map(|(at, _)| {
        let before = lower[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.') {
            return None;
        }
        let word: String = lower[at + key.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        (!word.is_empty()).then_some(word)
    });
    found.or_else(|| {
        (method == "spf").then(|| {
            lower.lines().find_map(|l| {
                l.strip_prefix("received-spf:")
                    .and_then(|v| v.split_whitespace().next())
                    .map(str::to_string)
            })
        })?
    })
}

/// The longest text kept from a mail's body (an alert is a few KB).
pub const MAX_BODY_CHARS: usize = 20_000;

/// Charset labels senders use that mail-parser does not know, and what it
/// knows them as (same length, so they are rewritten in place).
const LABELS: &[(&[u8], &[u8])] = &[(b"cp932", b"ms932")];

/// Rewrites `charset=cp932`, `charset="cp932"` and `=?cp932?` (any case).
fn known_labels(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let lower = raw.to_ascii_lowercase();
    let mut out: Option<Vec<u8>> = None;
    for (from, to) in LABELS {
        let mut at = 0;
        while let Some(pos) = find(&lower[at..], from) {
            let start = at + pos;
            let before = &lower[..start];
            let in_label = before.ends_with(b"charset=")
                || before.ends_with(b"charset=\"")
                || before.ends_with(b"=?");
            if in_label {
                out.get_or_insert_with(|| raw.to_vec())[start..start + from.len()]
                    .copy_from_slice(to);
            }
            at = start + from.len();
        }
    }
    match out {
        Some(v) => v.into(),
        None => raw.into(),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Text as staff wrote it: the wave dash back, line ends as `\n`, no NULs.
fn tidy(s: &str) -> String {
    s.replace('\u{FF5E}', "\u{301C}")
        .replace("\r\n", "\n")
        .replace(['\r', '\0'], "")
}

/// Decodes a raw RFC 5322 mail. Never panics; whatever cannot be read is
/// left out (an unreadable mail decodes to empty text, and no rule matches it).
pub fn decode(raw: &[u8]) -> Decoded {
    let raw = known_labels(raw);
    let parsed = MessageParser::default().parse(raw.as_ref());
    let (message_id, from, subject, body, attachments) = match &parsed {
        Some(m) => {
            let from = m
                .from()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .map(str::to_lowercase);
            let body = m
                .body_text(0)
                .map(|b| tidy(&b))
                .unwrap_or_default()
                .chars()
                .take(MAX_BODY_CHARS)
                .collect::<String>();
            (
                m.message_id().map(str::to_string),
                from,
                tidy(m.subject().unwrap_or("")).trim().to_string(),
                body,
                m.attachment_count(),
            )
        }
        None => (None, None, String::new(), String::new(), 0),
    };
    let mut h = Sha256::new();
    for part in [from.as_deref().unwrap_or(""), &subject, body.trim()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let headers = header_block(raw.as_ref());
    Decoded {
        message_id,
        from,
        subject,
        body,
        attachments,
        digest: h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        spf: verdict(&headers, "spf"),
        dkim: verdict(&headers, "dkim"),
        headers,
    }
}

#[cfg(test)]
mod tests {
    use super::decode;
    use base64::Engine;

    const SUBJECT: &str = "【避難指示】川口市に避難指示を発令";
    const BODY: &str = "川口市は①芝地区②安行地区に避難指示を発令しました。\n受付は9時〜17時です。";

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// The text in `charset`; 〜 goes out as the code Japanese mailers use
    /// for it (0x2141, which decoders read as ～).
    fn encoded(charset: &str, text: &str) -> Vec<u8> {
        let enc = encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap();
        let text = text.replace('〜', "～");
        let (bytes, _, unmappable) = enc.encode(&text);
        assert!(!unmappable, "{charset} holds {text}");
        bytes.into_owned()
    }

    /// A mail as a Japanese mailer writes it: subject as an encoded word,
    /// body in the charset with the transfer encoding given.
    fn mail(charset: &str, transfer: &str) -> Vec<u8> {
        let label = if charset == "shift_jis" {
            "CP932"
        } else {
            charset
        };
        let subject = format!("=?{label}?B?{}?=", b64(&encoded(charset, SUBJECT)));
        let body = encoded(charset, BODY);
        let body = match transfer {
            "base64" => b64(&body).into_bytes(),
            "7bit" | "8bit" => body,
            _ => unreachable!(),
        };
        let mut m = format!(
            "From: 防災課 <Bousai@Pref.Example.jp>\r\nTo: alerts@tenohira.example\r\nSubject: {subject}\r\nMessage-ID: <a1@pref.example.jp>\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"{label}\"\r\nContent-Transfer-Encoding: {transfer}\r\n\r\n"
        )
        .into_bytes();
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn japanese_mail_reads_the_same_in_every_charset_and_transfer_encoding() {
        for (charset, transfer) in [
            ("iso-2022-jp", "7bit"),
            ("shift_jis", "8bit"),
            ("shift_jis", "base64"),
            ("euc-jp", "8bit"),
            ("utf-8", "base64"),
            ("utf-8", "8bit"),
        ] {
            let d = decode(&mail(charset, transfer));
            assert_eq!(d.subject, SUBJECT, "{charset} {transfer}");
            assert_eq!(d.body.trim(), BODY, "{charset} {transfer}");
            assert_eq!(d.from.as_deref(), Some("bousai@pref.example.jp"));
            assert_eq!(d.message_id.as_deref(), Some("a1@pref.example.jp"));
        }
    }

    #[test]
    fn quoted_printable_and_html_only_mail_give_their_text_and_attachments_are_only_counted() {
        let qp = "Subject: =?UTF-8?Q?=E9=81=BF=E9=9B=A3=E6=89=80?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
                  Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                  <p>=E5=B7=9D=E5=8F=A3=E5=B8=82=E3=81=AE<b>=E9=81=BF=E9=9B=A3=E6=89=80</b></p>\r\n--b\r\n\
                  Content-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
        let d = decode(qp.as_bytes());
        assert_eq!(d.subject, "避難所");
        assert!(d.body.contains("川口市の避難所"), "{:?}", d.body);
        assert!(!d.body.contains("JVBER"));
        assert_eq!(d.attachments, 1);
    }

    #[test]
    fn the_same_alert_under_a_new_message_id_has_the_same_digest() {
        let a = decode(&mail("iso-2022-jp", "7bit"));
        let again = String::from_utf8_lossy(&mail("iso-2022-jp", "7bit")).replace("a1@", "b2@");
        let b = decode(again.as_bytes());
        assert_ne!(a.message_id, b.message_id);
        assert_eq!(a.digest, b.digest);
        let other = decode(&mail("utf-8", "8bit"));
        assert_eq!(a.digest, other.digest, "the text, not its encoding");
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let base = mail("iso-2022-jp", "7bit");
        for round in 0..2_000 {
            let mut m = base.clone();
            for _ in 0..(round % 40 + 1) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed as usize) % m.len();
                m[at] = (seed >> 32) as u8;
            }
            if round % 7 == 0 {
                m.truncate((seed as usize) % m.len());
            }
            let _ = decode(&m);
        }
        let _ = decode(&[]);
        let _ = decode(&vec![b'a'; 2_000_000]);
    }
}
