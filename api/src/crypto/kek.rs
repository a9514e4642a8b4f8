//! Key-encryption keys (KEKs): what wraps every resident's data key.
//!
//! Providers sit behind one trait so the prefecture can keep its KEK in a
//! cloud KMS and move it to another provider later (seed 2.3(10)): a local
//! key file for development, and AWS KMS (or any KMS speaking its API).
//! A [`KekRing`] wraps with the current KEK and unwraps with whichever KEK a
//! data key names, so a rotation can run while the service keeps serving.

use std::sync::Arc;

use futures::future::BoxFuture;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::seal::{self, DataKey};

pub trait KekProvider: Send + Sync {
    /// Stable name stored beside every key it wraps, e.g. `local:3f2a…`.
    fn id(&self) -> &str;
    /// Wraps a data key; `context` (the data key's id) is bound to the result.
    fn wrap<'a>(
        &'a self,
        key: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Vec<u8>>>;
    /// The data key in the clear: wiped when the caller drops it.
    fn unwrap<'a>(
        &'a self,
        wrapped: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Zeroizing<Vec<u8>>>>;
    /// Destroys the KEK itself (erasure of everything it wraps); says what was done.
    fn destroy(&self) -> BoxFuture<'_, anyhow::Result<String>>;
}

/// A 64-byte key in a file (hex), for development and tests. Created on
/// first use when missing, readable by the owner only.
pub struct LocalKek {
    id: String,
    path: std::path::PathBuf,
    key: DataKey,
}

impl LocalKek {
    /// Writes a new key file (owner-only); refuses to replace an existing one.
    pub fn create(path: &std::path::Path) -> anyhow::Result<Self> {
        let key = DataKey::generate();
        let hex = Zeroizing::new(data_encoding::HEXLOWER.encode(key.expose()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        write_private(path, &hex).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the key-encryption key file {}: {e}",
                path.display()
            )
        })?;
        Self::open(path, false)
    }

    /// Opens the key file; `create` (development only) makes it when missing.
    pub fn open(path: &std::path::Path, create: bool) -> anyhow::Result<Self> {
        let text = Zeroizing::new(match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                tracing::warn!(path = %path.display(), "creating a new local key-encryption key (development only)");
                return Self::create(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
                "the key-encryption key file {} does not exist. Without it no resident's data opens: \
                 restore it from its backup, or (a new installation only) create it with `tenohira kek create-local`",
                path.display()
            ),
            Err(e) => anyhow::bail!(
                "cannot read the key-encryption key file {}: {e}",
                path.display()
            ),
        });
        let bytes = Zeroizing::new(
            data_encoding::HEXLOWER_PERMISSIVE
                .decode(text.trim().as_bytes())
                .map_err(|_| anyhow::anyhow!("{} does not hold a hex key", path.display()))?,
        );
        let key = DataKey::from_slice(&bytes).ok_or_else(|| {
            anyhow::anyhow!("{} must hold 64 bytes (128 hex digits)", path.display())
        })?;
        let fingerprint = Sha256::digest(key.expose());
        Ok(Self {
            id: format!(
                "local:{}",
                data_encoding::HEXLOWER.encode(&fingerprint[..8])
            ),
            path: path.to_path_buf(),
            key,
        })
    }
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

impl KekProvider for LocalKek {
    fn id(&self) -> &str {
        &self.id
    }
    fn wrap<'a>(
        &'a self,
        key: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Vec<u8>>> {
        Box::pin(async move { Ok(seal::seal(&self.key, "kek", context, key)) })
    }
    fn unwrap<'a>(
        &'a self,
        wrapped: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Zeroizing<Vec<u8>>>> {
        Box::pin(async move {
            Ok(Zeroizing::new(seal::open(
                &self.key, "kek", context, wrapped,
            )?))
        })
    }
    fn destroy(&self) -> BoxFuture<'_, anyhow::Result<String>> {
        Box::pin(async move {
            // Overwrite before unlinking so the bytes do not linger in the file's blocks.
            let len = std::fs::metadata(&self.path)?.len() as usize;
            std::fs::write(&self.path, vec![0u8; len])?;
            std::fs::File::open(&self.path)?.sync_all()?;
            std::fs::remove_file(&self.path)?;
            Ok(format!(
                "local key file {} overwritten and deleted",
                self.path.display()
            ))
        })
    }
}

/// The current KEK and older ones still needed to unwrap keys not yet re-wrapped.
#[derive(Clone)]
pub struct KekRing {
    current: Arc<dyn KekProvider>,
    previous: Vec<Arc<dyn KekProvider>>,
}

impl KekRing {
    pub fn new(current: Arc<dyn KekProvider>, previous: Vec<Arc<dyn KekProvider>>) -> Self {
        Self { current, previous }
    }

    pub fn current(&self) -> &Arc<dyn KekProvider> {
        &self.current
    }

    pub fn find(&self, id: &str) -> Option<&Arc<dyn KekProvider>> {
        std::iter::once(&self.current)
            .chain(self.previous.iter())
            .find(|k| k.id() == id)
    }

    /// Builds the ring from `TENOHIRA_KEK` and `TENOHIRA_KEK_PREVIOUS`.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        // Only development creates a missing key file on its own.
        let current = provider(&config.kek, config, config.is_development())?;
        let previous = config
            .kek_previous
            .iter()
            .map(|spec| provider(spec, config, false))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self::new(current, previous))
    }
}

/// `local:<path>` or `aws-kms:<key id or ARN>`.
fn provider(
    spec: &str,
    config: &crate::config::Config,
    create: bool,
) -> anyhow::Result<Arc<dyn KekProvider>> {
    if let Some(path) = spec.strip_prefix("local:") {
        return Ok(Arc::new(LocalKek::open(
            std::path::Path::new(path),
            create,
        )?));
    }
    if let Some(key_id) = spec.strip_prefix("aws-kms:") {
        let kms = config.kms.as_ref().ok_or_else(|| {
            anyhow::anyhow!(
                "aws-kms KEK needs TENOHIRA_KMS_ACCESS_KEY_ID and TENOHIRA_KMS_SECRET_ACCESS_KEY"
            )
        })?;
        return Ok(Arc::new(super::kms::AwsKms::new(kms, key_id)?));
    }
    anyhow::bail!("a KEK is `local:<path>` or `aws-kms:<key id>`")
}
