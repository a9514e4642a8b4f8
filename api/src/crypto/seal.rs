//! Sealing personal values with AES-SIV (RFC 5297, AES-256 in CMAC and CTR).
//!
//! A sealed value is `version (1) ‖ nonce (16) ‖ SIV tag and ciphertext`.
//! Every seal takes a fresh random nonce, so equal values never look equal
//! in the database. The associated data names the owner and the field, so a
//! value copied into another resident's row, or into another column, fails
//! to open instead of showing the wrong person's data.

use aes_siv::aead::KeyInit;
use aes_siv::siv::Aes256Siv;
use rand::RngExt;
use zeroize::Zeroize;

/// AES-SIV with AES-256 takes two 256-bit keys (one for CMAC, one for CTR).
pub const KEY_LEN: usize = 64;
const VERSION: u8 = 1;
const NONCE_LEN: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value does not open with this key, owner and field")]
    Forged,
}

/// A data key in memory; wiped when dropped, never printed.
#[derive(Clone)]
pub struct DataKey(Box<[u8; KEY_LEN]>);

impl DataKey {
    pub fn generate() -> Self {
        let mut bytes = Box::new([0u8; KEY_LEN]);
        rand::rng().fill(&mut bytes[..]);
        Self(bytes)
    }

    /// Copies the key straight into its own wiped-on-drop box (no stack copy left behind).
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != KEY_LEN {
            return None;
        }
        let mut key = Box::new([0u8; KEY_LEN]);
        key.copy_from_slice(bytes);
        Some(Self(key))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0[..]
    }

    /// The SIV construction itself (RFC 5297) with the headers (associated
    /// data, nonce), exactly what the AEAD interface builds, but owned here:
    /// unlike the AEAD wrapper, which keeps a plain copy of the key, it wipes
    /// its keys and CMAC state when dropped (the `zeroize` features of
    /// aes-siv, aes, cmac and ctr).
    #[allow(clippy::expect_used, reason = "the key is 64 bytes by construction")]
    fn cipher(&self) -> Aes256Siv {
        Aes256Siv::new_from_slice(&self.0[..]).expect("64-byte key")
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

fn associated_data(owner: &str, field: &str) -> Vec<u8> {
    // Length-prefixed so ("ab", "c") and ("a", "bc") differ.
    let mut ad = Vec::with_capacity(16 + owner.len() + field.len());
    ad.extend_from_slice(b"tenohira/v1/");
    ad.extend_from_slice(&(owner.len() as u32).to_be_bytes());
    ad.extend_from_slice(owner.as_bytes());
    ad.extend_from_slice(&(field.len() as u32).to_be_bytes());
    ad.extend_from_slice(field.as_bytes());
    ad
}

#[allow(
    clippy::expect_used,
    reason = "SIV encryption fails only beyond 126 headers; we pass two"
)]
pub fn seal(key: &DataKey, owner: &str, field: &str, plaintext: &[u8]) -> Vec<u8> {
    let nonce: [u8; NONCE_LEN] = rand::rng().random();
    let ad = associated_data(owner, field);
    let body = key
        .cipher()
        .encrypt([ad.as_slice(), nonce.as_slice()], plaintext)
        .expect("AES-SIV encryption cannot fail for in-memory values");
    let mut out = Vec::with_capacity(1 + NONCE_LEN + body.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    out
}

pub fn open(key: &DataKey, owner: &str, field: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
        return Err(SealError::Malformed);
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&sealed[1..1 + NONCE_LEN]);
    let ad = associated_data(owner, field);
    key.cipher()
        .decrypt([ad.as_slice(), nonce.as_slice()], &sealed[1 + NONCE_LEN..])
        .map_err(|_| SealError::Forged)
}

/// Seals a serialisable value as JSON.
#[allow(
    clippy::expect_used,
    reason = "the values sealed are plain structs with string keys, which always serialise"
)]
pub fn seal_json<T: serde::Serialize>(
    key: &DataKey,
    owner: &str,
    field: &str,
    value: &T,
) -> Vec<u8> {
    let json = serde_json::to_vec(value).expect("plain data serialises");
    seal(key, owner, field, &json)
}

pub fn open_json<T: serde::de::DeserializeOwned>(
    key: &DataKey,
    owner: &str,
    field: &str,
    sealed: &[u8],
) -> Result<T, SealError> {
    let bytes = open(key, owner, field, sealed)?;
    serde_json::from_slice(&bytes).map_err(|_| SealError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every copy of an opened key wipes itself: the cipher built from it
    /// (with its AES key schedules and CMAC state), and what a KEK hands back.
    #[test]
    fn key_copies_are_wiped_when_dropped() {
        fn wipes_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wipes_on_drop::<Aes256Siv>();
        wipes_on_drop::<aes::Aes256>();
        fn unwrapped_is_wiped<F>(_: F)
        where
            F: for<'a> Fn(
                &'a dyn crate::crypto::kek::KekProvider,
            ) -> futures::future::BoxFuture<
                'a,
                anyhow::Result<zeroize::Zeroizing<Vec<u8>>>,
            >,
        {
        }
        unwrapped_is_wiped(|k| k.unwrap(&[], ""));
        assert!(DataKey::from_slice(&[7u8; KEY_LEN - 1]).is_none());
        assert_eq!(
            DataKey::from_slice(&[7u8; KEY_LEN]).unwrap().expose(),
            &[7u8; KEY_LEN]
        );
    }

    /// Values sealed through the AEAD interface (before the cipher was
    /// owned here) open, and the other way round: the bytes are the same.
    #[test]
    fn sealed_values_match_the_aead_interface() {
        use aes_siv::aead::{Aead, Payload};
        let key = DataKey::generate();
        let aead = aes_siv::Aes256SivAead::new_from_slice(key.expose()).unwrap();
        let nonce = [9u8; NONCE_LEN];
        let ad = associated_data("U1", "holder_name");
        let body = aead
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: "埼玉 花子".as_bytes(),
                    aad: &ad,
                },
            )
            .unwrap();
        let sealed = [&[VERSION][..], &nonce, &body].concat();
        assert_eq!(
            open(&key, "U1", "holder_name", &sealed).unwrap(),
            "埼玉 花子".as_bytes()
        );
        let ours = seal(&key, "U1", "holder_name", b"x");
        let n: [u8; NONCE_LEN] = ours[1..1 + NONCE_LEN].try_into().unwrap();
        let plain = aead
            .decrypt(
                &n.into(),
                Payload {
                    msg: &ours[1 + NONCE_LEN..],
                    aad: &ad,
                },
            )
            .unwrap();
        assert_eq!(plain, b"x");
    }

    #[test]
    fn round_trip_and_fresh_nonce() {
        let key = DataKey::generate();
        let a = seal(&key, "resident:U1", "holder_name", "埼玉 花子".as_bytes());
        let b = seal(&key, "resident:U1", "holder_name", "埼玉 花子".as_bytes());
        assert_ne!(a, b, "a fresh nonce per seal");
        assert_eq!(
            open(&key, "resident:U1", "holder_name", &a).unwrap(),
            "埼玉 花子".as_bytes()
        );
    }

    #[test]
    fn wrong_owner_field_key_or_flipped_byte_is_an_error_never_garbage() {
        let key = DataKey::generate();
        let sealed = seal(&key, "resident:U1", "holder_name", b"Hanako");
        assert_eq!(
            open(&key, "resident:U2", "holder_name", &sealed),
            Err(SealError::Forged)
        );
        assert_eq!(
            open(&key, "resident:U1", "relation", &sealed),
            Err(SealError::Forged)
        );
        assert_eq!(
            open(&DataKey::generate(), "resident:U1", "holder_name", &sealed),
            Err(SealError::Forged)
        );
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                open(&key, "resident:U1", "holder_name", &bad).is_err(),
                "byte {i}"
            );
        }
        assert_eq!(
            open(&key, "resident:U1", "holder_name", &sealed[..20]),
            Err(SealError::Malformed)
        );
        // Owner and field boundaries cannot be shifted.
        let s = seal(&key, "ab", "c", b"x");
        assert!(open(&key, "a", "bc", &s).is_err());
    }

    #[test]
    fn rfc5297_vector() {
        // RFC 5297 A.1 uses AES-SIV-CMAC-256 with one AD and no nonce; the AEAD
        // form here adds the nonce as the last AD, so check the primitive
        // through the same crate's deterministic API instead.
        use aes_siv::siv::Aes128Siv;
        let key: [u8; 32] = hex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        let ad = hex::<24>("101112131415161718191a1b1c1d1e1f2021222324252627");
        let pt = hex::<14>("112233445566778899aabbccddee");
        let mut siv = Aes128Siv::new_from_slice(&key).unwrap();
        let ct = siv.encrypt([&ad[..]], &pt).unwrap();
        assert_eq!(
            ct,
            hex::<30>("85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c").to_vec()
        );
    }

    fn hex<const N: usize>(s: &str) -> [u8; N] {
        let v: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect();
        v.try_into().unwrap()
    }
}
