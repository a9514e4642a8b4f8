//! An S3-compatible media store (AWS S3, MinIO, Ceph RGW and the like):
//! path-style object URLs, AWS Signature Version 4 on every request. Payloads
//! go `UNSIGNED-PAYLOAD` (the transport is TLS), so a 200 MB video is
//! streamed from its temporary file without being hashed first.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::config::Secret;

#[derive(Clone)]
pub struct S3Store {
    http: reqwest::Client,
    endpoint: String,
    host: String,
    bucket: String,
    region: String,
    access_key: String,
    secret: Secret,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// What one request needs signed.
pub struct Signing<'a> {
    pub method: &'a str,
    /// Already URI-encoded, e.g. `/bucket/key`.
    pub path: &'a str,
    /// Lowercase names with their values; `host`, `x-amz-content-sha256` and `x-amz-date` included.
    pub headers: &'a [(&'a str, String)],
    pub payload_hash: &'a str,
    pub at: DateTime<Utc>,
    pub region: &'a str,
    pub access_key: &'a str,
    pub secret: &'a str,
    /// `s3`, `kms`, …
    pub service: &'a str,
}

/// The `Authorization` header value (AWS Signature Version 4).
pub fn authorization(s: &Signing<'_>) -> String {
    let mut headers: Vec<(&str, &str)> = s.headers.iter().map(|(k, v)| (*k, v.trim())).collect();
    headers.sort_by(|a, b| a.0.cmp(b.0));
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    let signed = signed.join(";");
    let canonical = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed}\n{}",
        s.method, s.path, s.payload_hash
    );
    let date = s.at.format("%Y%m%d").to_string();
    let scope = format!("{date}/{}/{}/aws4_request", s.region, s.service);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        s.at.format("%Y%m%dT%H%M%SZ"),
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = [s.service, "aws4_request"].iter().fold(
        hmac(
            &hmac(format!("AWS4{}", s.secret).as_bytes(), &date),
            s.region,
        ),
        |k, part| hmac(&k, part),
    );
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope},SignedHeaders={signed},Signature={}",
        s.access_key,
        hex(&hmac(&key, &to_sign))
    )
}

impl S3Store {
    pub fn new(
        endpoint: &str,
        bucket: &str,
        region: &str,
        access_key: &str,
        secret: Secret,
    ) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(endpoint)?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => anyhow::bail!("S3 endpoint has no host"),
        };
        Ok(Self {
            http: reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .build()?,
            endpoint: endpoint.trim_end_matches('/').to_string(),
            host,
            bucket: bucket.to_string(),
            region: region.to_string(),
            access_key: access_key.to_string(),
            secret,
        })
    }

    fn signed(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let at = Utc::now();
        let amz_date = at.format("%Y%m%dT%H%M%SZ").to_string();
        let headers = [
            ("host", self.host.clone()),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD".to_string()),
            ("x-amz-date", amz_date.clone()),
        ];
        let auth = authorization(&Signing {
            method: method.as_str(),
            path,
            headers: &headers,
            payload_hash: "UNSIGNED-PAYLOAD",
            at,
            region: &self.region,
            access_key: &self.access_key,
            secret: self.secret.expose(),
            service: "s3",
        });
        self.http
            .request(method, format!("{}{path}", self.endpoint))
            .header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
            .header("x-amz-date", amz_date)
            .header("authorization", auth)
    }

    fn path(&self, key: &str) -> String {
        format!("/{}/{key}", self.bucket)
    }

    /// Creates the bucket (set-up and tests; an existing bucket is fine).
    pub async fn create_bucket(&self) -> anyhow::Result<()> {
        let path = format!("/{}", self.bucket);
        let mut req = self.signed(reqwest::Method::PUT, &path);
        // Outside us-east-1 S3 wants the bucket's region named in the body.
        if self.region != "us-east-1" {
            req = req.body(format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.region
            ));
        }
        let r = req.send().await?;
        if !(r.status().is_success() || r.status().as_u16() == 409) {
            anyhow::bail!("creating bucket: S3 answered {}", r.status());
        }
        Ok(())
    }

    pub async fn put(
        &self,
        key: &str,
        body: reqwest::Body,
        length: u64,
        content_type: &str,
    ) -> anyhow::Result<()> {
        let r = self
            .signed(reqwest::Method::PUT, &self.path(key))
            .header("content-type", content_type)
            .header("content-length", length)
            .body(body)
            .send()
            .await?;
        if !r.status().is_success() {
            anyhow::bail!("storing {key}: S3 answered {}", r.status());
        }
        Ok(())
    }

    /// The object's body as a stream, or `None` when it does not exist.
    pub async fn get(&self, key: &str) -> anyhow::Result<Option<reqwest::Response>> {
        let r = self
            .signed(reqwest::Method::GET, &self.path(key))
            .send()
            .await?;
        match r.status().as_u16() {
            200 => Ok(Some(r)),
            404 => Ok(None),
            s => anyhow::bail!("reading {key}: S3 answered {s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's own worked example (S3 "GET Object", Signature Version 4 docs).
    #[test]
    fn signs_as_aws_documents() {
        let at = DateTime::parse_from_rfc3339("2013-05-24T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let headers = [
            ("host", "examplebucket.s3.amazonaws.com".to_string()),
            ("range", "bytes=0-9".to_string()),
            ("x-amz-content-sha256", empty.to_string()),
            ("x-amz-date", "20130524T000000Z".to_string()),
        ];
        let auth = authorization(&Signing {
            method: "GET",
            path: "/test.txt",
            headers: &headers,
            payload_hash: empty,
            at,
            region: "us-east-1",
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            service: "s3",
        });
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }
}
