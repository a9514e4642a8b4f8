//! Where media bytes live. `FsStore` keeps them under one directory, written
//! to a temporary name first and renamed into place, so a reader never sees
//! half a file.

use std::path::{Path, PathBuf};

use uuid::Uuid;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Variant {
    Original,
    Preview,
}

#[derive(Clone, Debug)]
pub struct FsStore {
    root: PathBuf,
}

impl FsStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn path(&self, id: Uuid, v: Variant) -> PathBuf {
        let name = match v {
            Variant::Original => id.to_string(),
            Variant::Preview => format!("{id}.preview"),
        };
        self.root.join(name)
    }

    /// A fresh temporary file in the store's directory (same filesystem, so renames are atomic).
    pub async fn temp(&self) -> std::io::Result<(PathBuf, tokio::fs::File)> {
        tokio::fs::create_dir_all(self.root.join("tmp")).await?;
        let path = self.root.join("tmp").join(Uuid::new_v4().to_string());
        let file = tokio::fs::File::create(&path).await?;
        Ok((path, file))
    }

    pub async fn commit(&self, temp: &Path, id: Uuid, v: Variant) -> std::io::Result<()> {
        tokio::fs::rename(temp, self.path(id, v)).await
    }

    pub async fn write(&self, id: Uuid, v: Variant, bytes: &[u8]) -> std::io::Result<()> {
        let (tmp, _) = self.temp().await?;
        tokio::fs::write(&tmp, bytes).await?;
        self.commit(&tmp, id, v).await
    }

    pub async fn open(&self, id: Uuid, v: Variant) -> std::io::Result<tokio::fs::File> {
        tokio::fs::File::open(self.path(id, v)).await
    }
}
