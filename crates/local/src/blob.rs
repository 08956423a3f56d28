//! [`BlobStore`] on a directory: the local media bucket. Keys are S3-style paths under the root.

use std::path::{Component, Path, PathBuf};

use async_trait::async_trait;
use starling_core::ports::{BlobError, BlobStore};

/// A media "bucket" on disk.
#[derive(Debug, Clone)]
pub struct DiskBlobStore {
    root: PathBuf,
}

impl DiskBlobStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file an object key maps to; keys that would escape the root are refused.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, BlobError> {
        let rel = Path::new(key);
        if key.is_empty() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(BlobError::NotFound(format!("{key} (invalid key)")));
        }
        Ok(self.root.join(rel))
    }
}

#[async_trait]
impl BlobStore for DiskBlobStore {
    fn bucket(&self) -> String {
        self.root.display().to_string()
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, _content_type: &str) -> Result<(), BlobError> {
        let path = self.path_of(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| BlobError::Unavailable(format!("{}: {e}", dir.display())))?;
        }
        // Write then rename, so a reader never sees half an image.
        let tmp = path.with_extension("part");
        tokio::fs::write(&tmp, bytes)
            .await
            .map_err(|e| BlobError::Unavailable(format!("{}: {e}", tmp.display())))?;
        tokio::fs::rename(&tmp, &path)
            .await
            .map_err(|e| BlobError::Unavailable(format!("{}: {e}", path.display())))
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let path = self.path_of(key)?;
        tokio::fs::read(&path).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BlobError::NotFound(key.to_string()),
            _ => BlobError::Unavailable(format!("{}: {e}", path.display())),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn objects_round_trip_and_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let store = DiskBlobStore::new(dir.path());
        store
            .put("media/2026/11/23/1/0.jpg", b"one".to_vec(), "image/jpeg")
            .await
            .unwrap();
        store
            .put("media/2026/11/23/1/0.jpg", b"two".to_vec(), "image/jpeg")
            .await
            .unwrap();
        assert_eq!(store.get("media/2026/11/23/1/0.jpg").await.unwrap(), b"two");
        assert!(matches!(
            store.get("media/none").await,
            Err(BlobError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_root() {
        let store = DiskBlobStore::new("/tmp/x");
        for key in ["../etc/passwd", "/etc/passwd", "a/../../b", ""] {
            assert!(store.path_of(key).is_err(), "{key}");
        }
    }
}
