//! Where media bytes live. Uploads are first streamed to a temporary file
//! under `TENOHIRA_MEDIA_DIR/tmp` (checked and measured there); `commit`
//! then moves them into the store: a rename on the filesystem, one PUT to
//! an S3-compatible bucket. A reader never sees half a file.

use std::path::{Path, PathBuf};

use axum::body::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use uuid::Uuid;

use super::s3::S3Store;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Variant {
    Original,
    Preview,
}

fn name(id: Uuid, v: Variant) -> String {
    match v {
        Variant::Original => id.to_string(),
        Variant::Preview => format!("{id}.preview"),
    }
}

pub type ByteStream = std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

#[derive(Clone)]
pub struct MediaStore {
    /// Local directory: the store itself (filesystem) or only the staging area (S3).
    root: PathBuf,
    s3: Option<S3Store>,
}

impl MediaStore {
    pub fn new(config: &crate::config::Config) -> anyhow::Result<Self> {
        let s3 = match &config.s3 {
            None => None,
            Some(c) => {
                for (var, value) in [
                    ("TENOHIRA_S3_BUCKET", &c.bucket),
                    ("TENOHIRA_S3_ACCESS_KEY_ID", &c.access_key_id),
                ] {
                    if value.is_empty() {
                        anyhow::bail!("{var} is required when TENOHIRA_MEDIA_STORE=s3");
                    }
                }
                if c.secret_access_key.expose().is_empty() {
                    anyhow::bail!(
                        "TENOHIRA_S3_SECRET_ACCESS_KEY is required when TENOHIRA_MEDIA_STORE=s3"
                    );
                }
                Some(S3Store::new(
                    &c.endpoint,
                    &c.bucket,
                    &c.region,
                    &c.access_key_id,
                    c.secret_access_key.clone(),
                )?)
            }
        };
        Ok(Self {
            root: config.media_dir.clone(),
            s3,
        })
    }

    pub fn s3(&self) -> Option<&S3Store> {
        self.s3.as_ref()
    }

    /// A fresh temporary file in the staging directory.
    pub async fn temp(&self) -> std::io::Result<(PathBuf, tokio::fs::File)> {
        tokio::fs::create_dir_all(self.root.join("tmp")).await?;
        let path = self.root.join("tmp").join(Uuid::new_v4().to_string());
        let file = tokio::fs::File::create(&path).await?;
        Ok((path, file))
    }

    /// Moves a finished temporary file into the store.
    pub async fn commit(
        &self,
        temp: &Path,
        id: Uuid,
        v: Variant,
        content_type: &str,
    ) -> anyhow::Result<()> {
        match &self.s3 {
            None => Ok(tokio::fs::rename(temp, self.root.join(name(id, v))).await?),
            Some(s3) => {
                let file = tokio::fs::File::open(temp).await?;
                let length = file.metadata().await?.len();
                let body = reqwest::Body::wrap_stream(tokio_util_stream(file));
                s3.put(&name(id, v), body, length, content_type).await?;
                let _ = tokio::fs::remove_file(temp).await;
                Ok(())
            }
        }
    }

    pub async fn write(
        &self,
        id: Uuid,
        v: Variant,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> anyhow::Result<()> {
        match &self.s3 {
            None => {
                let (tmp, _) = self.temp().await?;
                tokio::fs::write(&tmp, &bytes).await?;
                self.commit(&tmp, id, v, content_type).await
            }
            Some(s3) => {
                let length = bytes.len() as u64;
                s3.put(
                    &name(id, v),
                    reqwest::Body::from(bytes),
                    length,
                    content_type,
                )
                .await
            }
        }
    }

    /// The stored bytes as a stream, or `None` when there is no such file.
    pub async fn read(&self, id: Uuid, v: Variant) -> anyhow::Result<Option<ByteStream>> {
        match &self.s3 {
            None => match tokio::fs::File::open(self.root.join(name(id, v))).await {
                Ok(f) => Ok(Some(Box::pin(tokio_util_stream(f)))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
            Some(s3) => Ok(s3
                .get(&name(id, v))
                .await?
                .map(|r| Box::pin(r.bytes_stream().map_err(std::io::Error::other)) as ByteStream)),
        }
    }
}

/// A file as a stream of chunks (no whole-file read for 200 MB videos).
fn tokio_util_stream(file: tokio::fs::File) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    use tokio::io::AsyncReadExt;
    futures::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
    .boxed()
}
