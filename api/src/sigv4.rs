//! AWS Signature Version 4, shared by the S3-compatible media store and the
//! KMS client (checked against AWS's published example).

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
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
