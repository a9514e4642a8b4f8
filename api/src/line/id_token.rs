//! LIFF ID tokens, verified locally: ES256 only, a key from LINE's JWKS
//! (cached, fetched again periodically and when an unknown `kid` appears), `iss`, `aud` (the LINE
//! Login channel) and `exp` with a small leeway. The verified `sub` is the
//! only identity a resident has.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::sync::Lock;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

pub const ISSUER: &str = "https://access.line.me";
const LEEWAY_SECONDS: u64 = 30;
/// An unknown kid triggers at most one JWKS fetch per this interval.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub exp: i64,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdTokenError {
    #[error("no ID token")]
    Missing,
    #[error("malformed token")]
    Malformed,
    #[error("algorithm not allowed")]
    Algorithm,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("token expired")]
    Expired,
    #[error("wrong audience")]
    Audience,
    #[error("wrong issuer")]
    Issuer,
    #[error("bad signature")]
    Signature,
    #[error("key set unavailable")]
    KeysUnavailable,
}

impl IdTokenError {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Algorithm => "algorithm",
            Self::UnknownKey => "unknown_kid",
            Self::Expired => "expired",
            Self::Audience => "audience",
            Self::Issuer => "issuer",
            Self::Signature => "signature",
            Self::KeysUnavailable => "jwks_unavailable",
        }
    }
}

pub struct IdTokenVerifier {
    http: reqwest::Client,
    jwks_url: String,
    audience: String,
    /// How often the key set is fetched again, whatever tokens arrive: a key
    /// LINE withdrew stops working within this time.
    refresh_every: Duration,
    keys: RwLock<HashMap<String, DecodingKey>>,
    last_fetch: Mutex<Option<Instant>>,
    /// Tokens already verified (by SHA-256), until their `exp` or until their
    /// signing key leaves the key set: a LIFF page sends the same token with
    /// every call for up to an hour, and the ES256 check is the costliest
    /// step of a card view.
    verified: std::sync::Mutex<HashMap<[u8; 32], Verified>>,
}

#[derive(Clone)]
struct Verified {
    claims: IdClaims,
    kid: String,
}

/// Verified tokens kept at most; beyond it expired ones are swept, then all.
const VERIFIED_MAX: usize = 200_000;

impl IdTokenVerifier {
    pub fn new(jwks_url: &str, audience: &str, refresh_every: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()?,
            jwks_url: jwks_url.to_string(),
            audience: audience.to_string(),
            refresh_every,
            keys: RwLock::new(HashMap::new()),
            last_fetch: Mutex::new(None),
            verified: std::sync::Mutex::default(),
        })
    }

    /// Fetches the JWKS unless another fetch happened very recently.
    async fn refresh(&self) -> Result<(), IdTokenError> {
        let mut last = self.last_fetch.lock().await;
        if last.is_some_and(|t| t.elapsed() < MIN_REFRESH_INTERVAL.min(self.refresh_every)) {
            return Ok(());
        }
        self.fetch(&mut last).await
    }

    /// The periodic fetch, when due; one caller does it while the others go
    /// on with the keys they have.
    async fn refresh_if_due(&self) {
        let Ok(mut last) = self.last_fetch.try_lock() else {
            return;
        };
        if last.is_none_or(|t| t.elapsed() >= self.refresh_every) {
            let _ = self.fetch(&mut last).await;
        }
    }

    async fn fetch(&self, last: &mut Option<Instant>) -> Result<(), IdTokenError> {
        *last = Some(Instant::now());
        let set: JwkSet = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| {
                tracing::warn!(error = %e, "fetching LINE's JWKS failed");
                IdTokenError::KeysUnavailable
            })?
            .json()
            .await
            .map_err(|_| IdTokenError::KeysUnavailable)?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            if let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)) {
                keys.insert(kid, key);
            }
        }
        // Tokens signed by a key that is gone are verified afresh (and refused).
        self.verified
            .locked()
            .retain(|_, v| keys.contains_key(&v.kid));
        *self.keys.write().await = keys;
        Ok(())
    }

    pub async fn verify(&self, token: &str) -> Result<IdClaims, IdTokenError> {
        use sha2::{Digest, Sha256};
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = chrono::Utc::now().timestamp();
        self.refresh_if_due().await;
        if let Some(v) = self.verified.locked().get(&digest)
            && v.claims.exp + LEEWAY_SECONDS as i64 >= now
        {
            return Ok(v.claims.clone());
        }
        let (claims, kid) = self.verify_signed(token).await?;
        let mut cache = self.verified.locked();
        if cache.len() >= VERIFIED_MAX {
            cache.retain(|_, v| v.claims.exp + LEEWAY_SECONDS as i64 >= now);
            if cache.len() >= VERIFIED_MAX {
                cache.clear();
            }
        }
        cache.insert(
            digest,
            Verified {
                claims: claims.clone(),
                kid,
            },
        );
        Ok(claims)
    }

    /// The claims and the id of the key that signed them.
    async fn verify_signed(&self, token: &str) -> Result<(IdClaims, String), IdTokenError> {
        // alg `none` and unknown algorithms fail to parse here.
        let header = jsonwebtoken::decode_header(token).map_err(|_| IdTokenError::Malformed)?;
        // Only ES256: an HS256 token "signed" with a public value must never pass.
        if header.alg != Algorithm::ES256 {
            return Err(IdTokenError::Algorithm);
        }
        let kid = header.kid.ok_or(IdTokenError::UnknownKey)?;
        if !self.keys.read().await.contains_key(&kid) {
            self.refresh().await?;
        }
        let keys = self.keys.read().await;
        let key = keys.get(&kid).ok_or(IdTokenError::UnknownKey)?;
        let mut v = Validation::new(Algorithm::ES256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.leeway = LEEWAY_SECONDS;
        use jsonwebtoken::errors::ErrorKind;
        jsonwebtoken::decode::<IdClaims>(token, key, &v)
            .map(|d| (d.claims, kid.clone()))
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => IdTokenError::Expired,
                ErrorKind::InvalidAudience => IdTokenError::Audience,
                ErrorKind::InvalidIssuer => IdTokenError::Issuer,
                ErrorKind::InvalidSignature => IdTokenError::Signature,
                ErrorKind::InvalidAlgorithm => IdTokenError::Algorithm,
                _ => IdTokenError::Malformed,
            })
    }
}
