//! AWS KMS as the KEK provider (also any service speaking the KMS JSON API,
//! such as moto's in tests). Data keys are encrypted with `Encrypt` under a
//! symmetric KMS key, the data key's id bound as encryption context; every
//! request is signed with Signature Version 4.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::kek::KekProvider;
use crate::config::KmsConfig;
use crate::sigv4::{Signing, authorization};

pub struct AwsKms {
    id: String,
    key_id: String,
    client: KmsClient,
}

/// The signed JSON API, without a key (also used to create keys in set-up and tests).
#[derive(Clone)]
pub struct KmsClient {
    http: reqwest::Client,
    endpoint: String,
    host: String,
    config: KmsConfig,
}

impl KmsClient {
    pub fn new(config: &KmsConfig) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(&config.endpoint)?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => anyhow::bail!("KMS endpoint has no host"),
        };
        Ok(Self {
            http: reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .timeout(std::time::Duration::from_secs(10))
                .build()?,
            endpoint: config.endpoint.trim_end_matches('/').to_string(),
            host,
            config: config.clone(),
        })
    }

    pub async fn call(&self, action: &str, body: Value) -> anyhow::Result<Value> {
        let payload = serde_json::to_vec(&body)?;
        let at = Utc::now();
        let amz_date = at.format("%Y%m%dT%H%M%SZ").to_string();
        let target = format!("TrentService.{action}");
        let headers = [
            ("content-type", "application/x-amz-json-1.1".to_string()),
            ("host", self.host.clone()),
            ("x-amz-date", amz_date.clone()),
            ("x-amz-target", target.clone()),
        ];
        let payload_hash = data_encoding::HEXLOWER.encode(&Sha256::digest(&payload));
        let auth = authorization(&Signing {
            method: "POST",
            path: "/",
            headers: &headers,
            payload_hash: &payload_hash,
            at,
            region: &self.config.region,
            access_key: &self.config.access_key_id,
            secret: self.config.secret_access_key.expose(),
            service: "kms",
        });
        let res = self
            .http
            .post(format!("{}/", self.endpoint))
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-date", amz_date)
            .header("x-amz-target", target)
            .header("authorization", auth)
            .body(payload)
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            // KMS errors name a type and a message, never key material.
            anyhow::bail!(
                "KMS {action} failed ({status}): {} {}",
                body["__type"].as_str().unwrap_or(""),
                body["message"]
                    .as_str()
                    .or(body["Message"].as_str())
                    .unwrap_or("")
            );
        }
        Ok(body)
    }

    /// Creates a symmetric key and returns its id.
    pub async fn create_key(&self, description: &str) -> anyhow::Result<String> {
        let r = self
            .call(
                "CreateKey",
                json!({ "Description": description, "KeyUsage": "ENCRYPT_DECRYPT", "KeySpec": "SYMMETRIC_DEFAULT" }),
            )
            .await?;
        r["KeyMetadata"]["KeyId"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("CreateKey answered without a key id"))
    }
}

impl AwsKms {
    pub fn new(config: &KmsConfig, key_id: &str) -> anyhow::Result<Self> {
        if key_id.is_empty() {
            anyhow::bail!("aws-kms KEK needs a key id");
        }
        Ok(Self {
            id: format!("aws-kms:{key_id}"),
            key_id: key_id.to_string(),
            client: KmsClient::new(config)?,
        })
    }
}

fn context(context: &str) -> Value {
    json!({ "tenohira-data-key": context })
}

impl KekProvider for AwsKms {
    fn id(&self) -> &str {
        &self.id
    }

    fn wrap<'a>(&'a self, key: &'a [u8], ctx: &'a str) -> BoxFuture<'a, anyhow::Result<Vec<u8>>> {
        Box::pin(async move {
            let r = self
                .client
                .call(
                    "Encrypt",
                    json!({ "KeyId": self.key_id, "Plaintext": B64.encode(key), "EncryptionContext": context(ctx) }),
                )
                .await?;
            let blob = r["CiphertextBlob"]
                .as_str()
                .ok_or_else(|| anyhow::anyhow!("Encrypt answered without a ciphertext"))?;
            Ok(B64.decode(blob)?)
        })
    }

    fn unwrap<'a>(
        &'a self,
        wrapped: &'a [u8],
        ctx: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Zeroizing<Vec<u8>>>> {
        Box::pin(async move {
            let mut r = self
                .client
                .call(
                    "Decrypt",
                    json!({ "KeyId": self.key_id, "CiphertextBlob": B64.encode(wrapped), "EncryptionContext": context(ctx) }),
                )
                .await?;
            let Some(Value::String(plain)) = r.get_mut("Plaintext") else {
                anyhow::bail!("Decrypt answered without a plaintext");
            };
            // The key in Base64 is the key too: wiped once decoded.
            let plain = Zeroizing::new(std::mem::take(plain));
            Ok(Zeroizing::new(B64.decode(plain.as_bytes())?))
        })
    }

    fn destroy(&self) -> BoxFuture<'_, anyhow::Result<String>> {
        Box::pin(async move {
            // KMS never deletes at once: the key is disabled now and deleted
            // after the shortest waiting period KMS allows.
            let r = self
                .client
                .call(
                    "ScheduleKeyDeletion",
                    json!({ "KeyId": self.key_id, "PendingWindowInDays": 7 }),
                )
                .await?;
            Ok(format!(
                "KMS key {} scheduled for deletion (disabled now; deleted on {})",
                self.key_id, r["DeletionDate"]
            ))
        })
    }
}
