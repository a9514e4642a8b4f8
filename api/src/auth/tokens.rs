//! Session JWTs (HS256, carrying a revocable session id) and service-account
//! API tokens (random, stored only as a SHA-256 hash).

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "tenohira_session";
pub const SERVICE_TOKEN_PREFIX: &str = "thr_";

#[derive(Debug, Serialize, Deserialize)]
pub struct SessionClaims {
    /// Session id: the server-side row that can be revoked.
    pub sid: Uuid,
    /// Staff account id.
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
}

pub fn sign_session(secret: &str, claims: &SessionClaims) -> anyhow::Result<String> {
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}

/// Checks signature, algorithm and expiry; the caller still checks the session row.
pub fn verify_session(secret: &str, token: &str) -> Option<SessionClaims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    jsonwebtoken::decode::<SessionClaims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .ok()
    .map(|d| d.claims)
}

/// The `Set-Cookie` value for a session: httpOnly, Secure, SameSite=Strict.
pub fn session_cookie(token: &str, max_age_secs: u64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age_secs}"
    )
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// A new service token (`thr_` + 256 random bits) and the hash to store.
pub fn new_service_token() -> (String, Vec<u8>) {
    let bytes: [u8; 32] = rand::rng().random();
    let token = format!(
        "{SERVICE_TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_service_token(&token);
    (token, hash)
}

pub fn hash_service_token(token: &str) -> Vec<u8> {
    sha2::Sha256::digest(token.as_bytes()).to_vec()
}

/// Finds one cookie's value in a `Cookie` header.
pub fn cookie_value<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_round_trip_and_tamper() {
        let secret = "0123456789abcdef0123456789abcdef";
        let claims = SessionClaims {
            sid: Uuid::new_v4(),
            sub: Uuid::new_v4(),
            iat: chrono::Utc::now().timestamp(),
            exp: chrono::Utc::now().timestamp() + 60,
        };
        let token = sign_session(secret, &claims).unwrap();
        assert_eq!(verify_session(secret, &token).unwrap().sid, claims.sid);
        assert!(verify_session("another secret that is long enough!!", &token).is_none());
        let expired = SessionClaims {
            exp: chrono::Utc::now().timestamp() - 1,
            ..claims
        };
        assert!(verify_session(secret, &sign_session(secret, &expired).unwrap()).is_none());
    }

    #[test]
    fn cookies() {
        assert_eq!(
            cookie_value("a=1; tenohira_session=xyz; b=2", SESSION_COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie_value("a=1", SESSION_COOKIE), None);
    }

    #[test]
    fn service_tokens_hash() {
        let (t, h) = new_service_token();
        assert!(t.starts_with("thr_") && t.len() > 40);
        assert_eq!(hash_service_token(&t), h);
    }
}
