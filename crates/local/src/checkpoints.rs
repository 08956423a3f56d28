//! [`CheckpointStore`] in an SQLite file: how far each way in (the mentions poller) has read, so
//! a restart neither loses nor repeats posts.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use starling_core::sources::{CheckpointError, CheckpointStore};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS checkpoints (
    source      TEXT PRIMARY KEY,
    position    TEXT NOT NULL,
    updated_ms  INTEGER NOT NULL
) WITHOUT ROWID;";

/// The sources' checkpoints in an SQLite file.
pub struct SqliteCheckpoints {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteCheckpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteCheckpoints")
    }
}

fn err(context: &str, e: impl std::fmt::Display) -> CheckpointError {
    CheckpointError(format!("{context}: {e}"))
}

impl SqliteCheckpoints {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, CheckpointError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| err(&dir.display().to_string(), e))?;
        }
        let conn = Connection::open(path).map_err(|e| err(&path.display().to_string(), e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| err("busy timeout", e))?;
        // A checkpoint written is a promise that its posts are on the bus: keep it across a crash.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| err("WAL", e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| err("synchronous", e))?;
        conn.execute_batch(SCHEMA).map_err(|e| err("schema", e))?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, CheckpointError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| CheckpointError("connection lock poisoned".into()))?;
        f(&conn).map_err(|e| err("sqlite", e))
    }
}

#[async_trait]
impl CheckpointStore for SqliteCheckpoints {
    async fn load(&self, source: &str) -> Result<Option<String>, CheckpointError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT position FROM checkpoints WHERE source = ?1",
                params![source],
                |r| r.get(0),
            )
            .optional()
        })
    }

    async fn save(&self, source: &str, position: &str) -> Result<(), CheckpointError> {
        let now = chrono::Utc::now().timestamp_millis();
        self.with(|conn| {
            conn.execute(
                "INSERT INTO checkpoints (source, position, updated_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (source) DO UPDATE
                   SET position = excluded.position, updated_ms = excluded.updated_ms",
                params![source, position, now],
            )
            .map(drop)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_checkpoint_survives_a_reopen_and_is_replaced_not_added() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/sources.sqlite");
        let store = SqliteCheckpoints::open(&path).unwrap();
        assert_eq!(store.load("mentions").await.unwrap(), None);
        store.save("mentions", "10").await.unwrap();
        store.save("mentions", "12").await.unwrap();
        store.save("search", "3").await.unwrap();
        drop(store);
        let store = SqliteCheckpoints::open(&path).unwrap();
        assert_eq!(store.load("mentions").await.unwrap().as_deref(), Some("12"));
        assert_eq!(store.load("search").await.unwrap().as_deref(), Some("3"));
    }
}
