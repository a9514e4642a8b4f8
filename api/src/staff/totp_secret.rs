//! TOTP secrets at rest: sealed with AES-SIV under a system data key (held in
//! the keyring, wrapped by the KEK), bound to the account they belong to, so
//! a copy of the database alone does not yield anyone's second factor.
//! Stored as text `sealed:v1:<base64>`; a secret written before sealing
//! (plain Base32) still opens and is sealed at the next successful use.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use uuid::Uuid;

use crate::app::App;
use crate::crypto::seal;
use crate::error::{AppError, AppResult};

const PREFIX: &str = "sealed:v1:";
/// The keyring owner of the key sealing every staff TOTP secret.
const KEY_OWNER: &str = "system:staff-totp";
const FIELD: &str = "totp_secret";

fn owner(account: Uuid) -> String {
    format!("staff:{account}")
}

/// Whether a stored value predates sealing (it is re-sealed when next used).
pub fn is_plain(stored: &str) -> bool {
    !stored.starts_with(PREFIX)
}

pub async fn seal(app: &App, account: Uuid, secret: &str) -> AppResult<String> {
    let mut conn = app.db.get().await?;
    let key = app.keyring.load_or_create(&mut conn, KEY_OWNER).await?;
    let sealed = seal::seal(&key, &owner(account), FIELD, secret.as_bytes());
    Ok(format!("{PREFIX}{}", B64.encode(sealed)))
}

pub async fn open(app: &App, account: Uuid, stored: &str) -> AppResult<zeroize::Zeroizing<String>> {
    let Some(encoded) = stored.strip_prefix(PREFIX) else {
        return Ok(zeroize::Zeroizing::new(stored.to_string()));
    };
    let sealed = B64.decode(encoded).map_err(|_| {
        AppError::internal(anyhow::anyhow!(
            "stored TOTP secret of {account} is not base64"
        ))
    })?;
    let mut conn = app.db.get().await?;
    let key = app.keyring.load_or_create(&mut conn, KEY_OWNER).await?;
    let bytes = seal::open(&key, &owner(account), FIELD, &sealed)
        .map_err(|e| AppError::internal(anyhow::anyhow!("TOTP secret of {account}: {e}")))?;
    String::from_utf8(bytes)
        .map(zeroize::Zeroizing::new)
        .map_err(|_| AppError::internal(anyhow::anyhow!("TOTP secret of {account} is not text")))
}
