//! TOTP second factor (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), the
//! parameters every authenticator app understands.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;

/// A new random 160-bit secret, Base32 (no padding) as authenticator apps expect.
pub fn generate_secret() -> String {
    let bytes: [u8; 20] = rand::rng().random();
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// The `otpauth://` URI an authenticator app reads from a QR code.
pub fn provisioning_uri(secret: &str, issuer: &str, account: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}",
        enc(issuer),
        enc(account),
        secret,
        enc(issuer),
        DIGITS,
        STEP_SECONDS
    )
}

/// The code for one time step (HOTP of the step counter).
pub fn code_at_step(secret: &str, step: i64) -> Option<String> {
    let key = data_encoding::BASE32_NOPAD.decode(secret.as_bytes()).ok()?;
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).ok()?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    Some(format!(
        "{:0width$}",
        bin % 10u32.pow(DIGITS),
        width = DIGITS as usize
    ))
}

pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The current code (tests and the demo use it to act as an authenticator).
pub fn current_code(secret: &str) -> Option<String> {
    code_at_step(secret, step_of(chrono::Utc::now().timestamp()))
}

/// Checks a code against the current step and one step either side (clock
/// drift). Returns the matched step, which the caller stores so that the same
/// code cannot be used twice; steps at or before `last_used` are refused.
pub fn verify(secret: &str, code: &str, unix_seconds: i64, last_used: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix_seconds);
    (now - 1..=now + 1)
        .filter(|s| last_used.is_none_or(|l| *s > l))
        .find(|s| {
            code_at_step(secret, *s).is_some_and(|expected| {
                subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into()
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 key "12345678901234567890", truncated to 6 digits.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn rfc6238_vectors() {
        for (t, expected) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1234567890, "005924"),
            (2000000000, "279037"),
        ] {
            assert_eq!(
                code_at_step(RFC_SECRET, step_of(t)).unwrap(),
                expected,
                "t={t}"
            );
        }
    }

    #[test]
    fn verify_window_and_replay() {
        let t = 1_234_567_890;
        let code = code_at_step(RFC_SECRET, step_of(t)).unwrap();
        let step = verify(RFC_SECRET, &code, t, None).unwrap();
        assert_eq!(step, step_of(t));
        assert!(
            verify(RFC_SECRET, &code, t + 30, None).is_some(),
            "one step of drift is fine"
        );
        assert!(
            verify(RFC_SECRET, &code, t + 90, None).is_none(),
            "old code refused"
        );
        assert!(
            verify(RFC_SECRET, &code, t, Some(step)).is_none(),
            "replay refused"
        );
        assert!(verify(RFC_SECRET, "12345", t, None).is_none());
        assert!(verify(RFC_SECRET, "abcdef", t, None).is_none());
    }

    #[test]
    fn uri_is_well_formed() {
        let u = provisioning_uri("ABC", "手のひら県庁", "tanaka");
        assert!(u.starts_with("otpauth://totp/%E6"));
        assert!(u.contains("secret=ABC&issuer=%E6"));
    }
}
