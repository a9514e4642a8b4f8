//! Webhook signatures: LINE signs each webhook body with the channel secret.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Base64(HMAC-SHA256(channel secret, raw body)), compared in constant time.
pub fn signature_valid(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let body = br#"{"events":[]}"#;
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(body);
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert!(signature_valid("secret", body, &sig));
        assert!(!signature_valid("other", body, &sig));
        assert!(!signature_valid("secret", br#"{"events":[1]}"#, &sig));
        assert!(!signature_valid("secret", body, ""));
        assert!(!signature_valid("secret", body, "not base64!"));
    }
}
