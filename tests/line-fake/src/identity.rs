//! A sandbox LINE Login: ES256 ID tokens for simulated users, their JWKS at
//! `/oauth2/v2.1/certs`, and `/oauth2/v2.1/verify`. Tokens that should be
//! rejected (expired, wrong audience or issuer, unknown kid, `alg: none`,
//! HS256 confusion) can be minted through the control API.

use std::sync::RwLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::{Value, json};

pub const ISSUER: &str = "https://access.line.me";

pub struct SigningKey {
    pub kid: String,
    encoding: EncodingKey,
    pub x: String,
    pub y: String,
}

impl SigningKey {
    fn generate(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let der = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der.as_ref())
            .expect("own key");
        let point = pair.public_key().as_ref(); // 0x04 || x || y
        Self {
            kid: kid.to_string(),
            encoding: EncodingKey::from_ec_der(der.as_ref()),
            x: URL_SAFE_NO_PAD.encode(&point[1..33]),
            y: URL_SAFE_NO_PAD.encode(&point[33..65]),
        }
    }

    fn jwk(&self) -> Value {
        json!({ "kty": "EC", "alg": "ES256", "use": "sig", "kid": self.kid, "crv": "P-256", "x": self.x, "y": self.y })
    }
}

pub struct Keys {
    /// Published keys; the last one signs new tokens.
    published: RwLock<Vec<SigningKey>>,
    /// A key whose kid is in no JWKS.
    unpublished: SigningKey,
}

impl Default for Keys {
    fn default() -> Self {
        Self {
            published: RwLock::new(vec![SigningKey::generate("fake-es256-1")]),
            unpublished: SigningKey::generate("fake-es256-unpublished"),
        }
    }
}

impl Keys {
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.published.read().unwrap().iter().map(SigningKey::jwk).collect::<Vec<_>>() })
    }

    /// Publishes a new signing key (old ones stay published), as LINE rotates keys.
    pub fn rotate(&self) -> String {
        let mut keys = self.published.write().unwrap();
        let kid = format!("fake-es256-{}", keys.len() + 1);
        keys.push(SigningKey::generate(&kid));
        kid
    }

    /// Stops publishing the oldest key (LINE withdrawing a key); a new one
    /// takes its place first when it was the only one. Returns the withdrawn kid.
    pub fn retire(&self) -> String {
        let mut keys = self.published.write().unwrap();
        if keys.len() == 1 {
            let kid = format!("fake-es256-{}", keys.len() + 1);
            keys.push(SigningKey::generate(&kid));
        }
        keys.remove(0).kid
    }

    /// Verifies one of our own tokens (for `/oauth2/v2.1/verify`).
    pub fn verify(&self, token: &str, client_id: &str) -> Result<Value, &'static str> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| "Invalid IdToken.")?;
        if header.alg != Algorithm::ES256 {
            return Err("Invalid IdToken.");
        }
        let keys = self.published.read().unwrap();
        let key = keys
            .iter()
            .find(|k| Some(&k.kid) == header.kid.as_ref())
            .ok_or("Invalid IdToken.")?;
        let decoding =
            DecodingKey::from_ec_components(&key.x, &key.y).map_err(|_| "Invalid IdToken.")?;
        let mut v = Validation::new(Algorithm::ES256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[client_id]);
        v.leeway = 0;
        jsonwebtoken::decode::<Value>(token, &decoding, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "IdToken expired.",
                jsonwebtoken::errors::ErrorKind::InvalidAudience => "Invalid IdToken Audience.",
                jsonwebtoken::errors::ErrorKind::InvalidIssuer => "Invalid IdToken Issuer.",
                _ => "Invalid IdToken.",
            })
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MintRequest {
    pub user_id: String,
    pub aud: Option<String>,
    pub iss: Option<String>,
    /// Seconds until expiry; negative for an expired token. Default 3600 (LIFF tokens live an hour).
    pub expires_in: Option<i64>,
    /// `ES256` (default), `none` or `HS256`.
    pub alg: Option<String>,
    /// For HS256: sign with the channel secret (default) or the public key's `x` coordinate.
    pub hs_key: Option<String>,
    /// Sign with a key whose kid is not in the JWKS.
    pub unpublished_kid: bool,
    pub nonce: Option<String>,
    pub name: Option<String>,
}

pub fn mint(
    keys: &Keys,
    login_channel_id: &str,
    channel_secret: &str,
    req: &MintRequest,
) -> Result<String, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let mut claims = json!({
        "iss": req.iss.clone().unwrap_or_else(|| ISSUER.to_string()),
        "sub": req.user_id,
        "aud": req.aud.clone().unwrap_or_else(|| login_channel_id.to_string()),
        "exp": now + req.expires_in.unwrap_or(3600),
        "iat": now,
        "amr": ["linesso"],
    });
    if let Some(n) = &req.nonce {
        claims["nonce"] = json!(n);
    }
    if let Some(n) = &req.name {
        claims["name"] = json!(n);
    }
    match req.alg.as_deref().unwrap_or("ES256") {
        "ES256" => {
            let published = keys.published.read().unwrap();
            let key = if req.unpublished_kid {
                &keys.unpublished
            } else {
                published.last().expect("a published key")
            };
            let mut header = Header::new(Algorithm::ES256);
            header.kid = Some(key.kid.clone());
            jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(|e| e.to_string())
        }
        "HS256" => {
            let published = keys.published.read().unwrap();
            let key = published.last().expect("a published key");
            let secret = match req.hs_key.as_deref() {
                Some("publicKey") => key.x.clone(),
                _ => channel_secret.to_string(),
            };
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(key.kid.clone());
            jsonwebtoken::encode(
                &header,
                &claims,
                &EncodingKey::from_secret(secret.as_bytes()),
            )
            .map_err(|e| e.to_string())
        }
        "none" => {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
            Ok(format!("{header}.{payload}."))
        }
        other => Err(format!("unsupported alg {other}")),
    }
}
