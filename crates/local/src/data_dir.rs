//! The data directory's layout, in one place: every file and directory `starling` keeps, named
//! once. Nothing else in the runtime spells a path segment under the data directory.
//!
//! ```text
//! <data dir>/
//!   bus.sqlite, bus.lock   the event log (owned by starling-bus, which names its own files)
//!   consumer-secret        a generated consumer secret (0600)
//!   idempotency.sqlite     egress claims and ingress's redelivery claims
//!   sources.sqlite         how far each way in (the mentions poller) has read
//!   x-oauth2.json          the bot's OAuth 2.0 tokens from `starling x login` (0600)
//!   policy.sqlite          the reply policy's opt-outs, cooldowns and counters
//!   media/                 downloaded media and annotated copies (the media bucket)
//!   outbox/                replies written instead of posted (no X credentials)
//!   alerts.jsonl           alerts for ops
//!   lake/                  the data lake (owned by starling-lake)
//!   demo/                  `starling demo`'s own data directory
//! ```

use std::path::{Path, PathBuf};

/// A data directory: where `starling` keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data directory at `root` (nothing is created yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates the directory if needed and makes it private to its owner (0700 on Unix): it
    /// holds DMs in the lake, alerts, the outbox and the event log, which no other user should
    /// read, whatever mode the files inside get.
    pub fn create(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.root)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.root, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }

    /// Where the bus keeps its event log (`bus.sqlite`) and lock file.
    pub fn bus(&self) -> &Path {
        &self.root
    }

    /// The generated consumer secret.
    pub fn consumer_secret(&self) -> PathBuf {
        self.root.join("consumer-secret")
    }

    /// Egress's idempotency store.
    pub fn idempotency_db(&self) -> PathBuf {
        self.root.join("idempotency.sqlite")
    }

    /// The bot's OAuth 2.0 tokens (`starling x login`), 0600.
    pub fn x_tokens(&self) -> PathBuf {
        self.root.join("x-oauth2.json")
    }

    /// The sources' checkpoints (the mentions poller's `since_id`).
    pub fn sources_db(&self) -> PathBuf {
        self.root.join("sources.sqlite")
    }

    /// The reply policy's state.
    pub fn policy_db(&self) -> PathBuf {
        self.root.join("policy.sqlite")
    }

    /// The media store (download-media writes here, reply-image reads and writes here).
    pub fn media(&self) -> PathBuf {
        self.root.join("media")
    }

    /// The outbox: replies written instead of posted.
    pub fn outbox(&self) -> PathBuf {
        self.root.join("outbox")
    }

    /// The alerts file, one JSON alert per line.
    pub fn alerts(&self) -> PathBuf {
        self.root.join("alerts.jsonl")
    }

    /// The known-faces gallery `starling faces` manages (names and face embeddings).
    pub fn faces_gallery(&self) -> PathBuf {
        self.root.join("faces").join("gallery.json")
    }

    /// The lake's root.
    pub fn lake(&self) -> PathBuf {
        self.root.join("lake")
    }

    /// `starling demo`'s data directory, inside this one.
    pub fn demo(&self) -> DataDir {
        DataDir::new(self.root.join("demo"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_directory_is_created_private_and_an_open_one_is_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = DataDir::new(tmp.path().join("data"));
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .ok()
        };
        dir.create().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(dir.root()), Some(0o700));
        std::fs::set_permissions(dir.root(), std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
        dir.create().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode(dir.root()), Some(0o700));
    }

    #[test]
    fn every_place_is_under_the_root_and_no_two_coincide() {
        let dir = DataDir::new("/d");
        let places = [
            dir.consumer_secret(),
            dir.idempotency_db(),
            dir.policy_db(),
            dir.media(),
            dir.outbox(),
            dir.alerts(),
            dir.lake(),
            dir.demo().root().to_path_buf(),
        ];
        for (i, p) in places.iter().enumerate() {
            assert!(p.starts_with("/d") && p != Path::new("/d"), "{p:?}");
            assert!(!places[i + 1..].contains(p), "{p:?} named twice");
        }
    }
}
