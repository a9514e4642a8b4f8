//! TLS in process (seed 2.3(6)): rustls with TLS 1.2 and 1.3 only, the
//! certificate and key read from PEM files and read again when either file
//! changes, so a renewed certificate is served without a restart. Used by
//! the SMTP listener's STARTTLS.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The certificate files a listener serves.
#[derive(Clone, Debug)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A server configuration whose certificate follows its files.
pub fn server_config(files: CertFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let resolver = Reloading::new(files, provider.clone())?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    Ok(Arc::new(config))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn load(
    files: &CertFiles,
    provider: &rustls::crypto::CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let fail = |path: &Path, reason: String| TlsError::File {
        path: path.display().to_string(),
        reason,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| fail(&files.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| fail(&files.cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(fail(&files.cert, "no certificate in the file".into()));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| fail(&files.key, e.to_string()))?;
    let certified = CertifiedKey::from_der(chain, key, provider)?;
    Ok(Arc::new(certified))
}

/// Serves the loaded certificate; when a file's modification time moves it
/// loads the pair again, keeping the old one if the new pair is unusable
/// (half-written during a renewal, say) so clients are never refused for it.
#[derive(Debug)]
struct Reloading {
    files: CertFiles,
    provider: Arc<rustls::crypto::CryptoProvider>,
    current: Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    key: Arc<CertifiedKey>,
    stamps: (Option<SystemTime>, Option<SystemTime>),
}

impl Reloading {
    fn new(
        files: CertFiles,
        provider: Arc<rustls::crypto::CryptoProvider>,
    ) -> Result<Self, TlsError> {
        let stamps = (modified(&files.cert), modified(&files.key));
        let key = load(&files, &provider)?;
        Ok(Self {
            files,
            provider,
            current: Mutex::new(Loaded { key, stamps }),
        })
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let stamps = (modified(&self.files.cert), modified(&self.files.key));
        let mut current = self.current.lock().ok()?;
        if stamps != current.stamps {
            current.stamps = stamps;
            match load(&self.files, &self.provider) {
                Ok(key) => {
                    tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                    current.key = key;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "TLS certificate not reloaded; the old one is served")
                }
            }
        }
        Some(current.key.clone())
    }
}
