//! An S3-compatible media store (AWS S3, MinIO, Ceph RGW and the like):
//! path-style object URLs, AWS Signature Version 4 on every request. Payloads
//! go `UNSIGNED-PAYLOAD` (the transport is TLS), so a 200 MB video is
//! streamed from its temporary file without being hashed first.

use chrono::Utc;

use crate::config::Secret;
use crate::sigv4::{Signing, authorization};

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
