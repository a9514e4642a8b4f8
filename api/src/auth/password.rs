//! Staff passwords: Argon2id hashes and the password policy.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngExt;

use crate::error::{AppError, AppResult};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

/// Hashes on a blocking thread: Argon2id is deliberately slow.
pub async fn hash(password: &str) -> AppResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

pub async fn verify(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that the
/// answer takes as long as for a real account.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"decoy password that nobody has")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

const COMMON: &[&str] = &[
    "password", "passw0rd", "123456", "qwerty", "letmein", "welcome", "admin", "saitama",
    "tenohira", "abc123", "iloveyou", "monkey", "dragon",
];

/// The policy: 12–128 characters, at least three of lower case, upper case,
/// digits and symbols, not built on the login id or a well-known password.
pub fn check_policy(password: &str, login_id: &str, field: &str) -> AppResult<()> {
    let len = password.chars().count();
    let fail = |m: &str| Err(AppError::bad_input(field, m));
    if len < MIN_LENGTH {
        return fail("パスワードは12文字以上にしてください");
    }
    if len > MAX_LENGTH {
        return fail("パスワードは128文字以内にしてください");
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if classes < 3 {
        return fail("英小文字・英大文字・数字・記号のうち3種類以上を含めてください");
    }
    let lower = password.to_lowercase();
    if !login_id.is_empty() && lower.contains(&login_id.to_lowercase()) {
        return fail("ログインIDを含むパスワードは使えません");
    }
    if COMMON.iter().any(|c| lower.contains(c)) {
        return fail("推測されやすい語を含むパスワードは使えません");
    }
    Ok(())
}

/// A temporary password that meets the policy (shown once, to be changed at first sign-in).
pub fn generate_temporary() -> String {
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"-_.!#%";
    let mut rng = rand::rng();
    let mut pick = |set: &[u8]| set[rng.random_range(0..set.len())] as char;
    let mut s: String = (0..4).map(|_| pick(LOWER)).collect();
    s.extend((0..4).map(|_| pick(UPPER)));
    s.extend((0..4).map(|_| pick(DIGIT)));
    s.extend((0..2).map(|_| pick(SYMBOL)));
    s.extend((0..2).map(|_| pick(LOWER)));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(check_policy("short1A!", "x", "p").is_err());
        assert!(check_policy("alllowercaseletters", "x", "p").is_err());
        assert!(check_policy("Tanaka-2026-winter", "tanaka", "p").is_err());
        assert!(check_policy("MyPassword-2026", "x", "p").is_err());
        assert!(check_policy("Kawaguchi-River-77", "tanaka", "p").is_ok());
        for _ in 0..50 {
            let t = generate_temporary();
            assert!(check_policy(&t, "someone", "p").is_ok(), "{t}");
        }
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("Kawaguchi-River-77").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("Kawaguchi-River-77", &h).await);
        assert!(!verify("Kawaguchi-River-78", &h).await);
    }
}
