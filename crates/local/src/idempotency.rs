//! [`IdempotencyStore`] in an SQLite file: egress's "posted at most once" memory on one machine.
//!
//! A claim is one conditional upsert — insert the key, or take it over only when its lease has
//! expired — the same shape as the DynamoDB conditional write on AWS. Several processes may share
//! the file: SQLite serialises the writes, and exactly one of two racing claims wins.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use starling_core::ports::{Claim, Completion, IdempotencyError, IdempotencyStore};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS egress_idempotency (
    key          TEXT PRIMARY KEY,
    state        TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'failed')),
    lease_until  INTEGER,
    tweet_id     TEXT,
    error        TEXT,
    updated_at   INTEGER NOT NULL
);";

/// Egress's idempotency records in an SQLite file.
pub struct SqliteIdempotency {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteIdempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteIdempotency")
    }
}

fn err(context: &str, e: impl std::fmt::Display) -> IdempotencyError {
    IdempotencyError(format!("{context}: {e}"))
}

impl SqliteIdempotency {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, IdempotencyError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| err(&dir.display().to_string(), e))?;
        }
        let conn = Connection::open(path).map_err(|e| err(&path.display().to_string(), e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| err("busy timeout", e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| err("WAL", e))?;
        conn.execute_batch(SCHEMA).map_err(|e| err("schema", e))?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, IdempotencyError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| IdempotencyError("connection lock poisoned".into()))?;
        f(&conn).map_err(|e| err("sqlite", e))
    }
}

#[async_trait]
impl IdempotencyStore for SqliteIdempotency {
    async fn claim(
        &self,
        key: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Claim, IdempotencyError> {
        self.with(|conn| {
            let changed = conn.execute(
                "INSERT INTO egress_idempotency (key, state, lease_until, updated_at)
                 VALUES (?1, 'claimed', ?2, ?3)
                 ON CONFLICT (key) DO UPDATE
                   SET lease_until = excluded.lease_until, updated_at = excluded.updated_at
                   WHERE state = 'claimed' AND lease_until <= ?3",
                params![key, lease_until.timestamp_millis(), now.timestamp_millis()],
            )?;
            if changed == 1 {
                return Ok(Claim::Claimed);
            }
            let row: Option<(String, Option<String>, Option<String>)> = conn
                .query_row(
                    "SELECT state, tweet_id, error FROM egress_idempotency WHERE key = ?1",
                    params![key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            Ok(match row {
                Some((state, tweet_id, _)) if state == "sent" => Claim::Done(Completion::Sent {
                    tweet_id: tweet_id.unwrap_or_default(),
                }),
                Some((state, _, error)) if state == "failed" => Claim::Done(Completion::Failed {
                    error: error.unwrap_or_default(),
                }),
                _ => Claim::InProgress,
            })
        })
    }

    async fn complete(&self, key: &str, completion: &Completion) -> Result<(), IdempotencyError> {
        let (state, tweet_id, error) = match completion {
            Completion::Sent { tweet_id } => ("sent", Some(tweet_id.as_str()), None),
            Completion::Failed { error } => ("failed", None, Some(error.as_str())),
        };
        let now = Utc::now().timestamp_millis();
        self.with(|conn| {
            conn.execute(
                "INSERT INTO egress_idempotency (key, state, lease_until, tweet_id, error, updated_at)
                 VALUES (?1, ?2, NULL, ?3, ?4, ?5)
                 ON CONFLICT (key) DO UPDATE
                   SET state = excluded.state, lease_until = NULL, tweet_id = excluded.tweet_id,
                       error = excluded.error, updated_at = excluded.updated_at",
                params![key, state, tweet_id, error, now],
            )
            .map(|_| ())
        })
    }

    async fn release(&self, key: &str) -> Result<(), IdempotencyError> {
        self.with(|conn| {
            conn.execute(
                "DELETE FROM egress_idempotency WHERE key = ?1 AND state = 'claimed'",
                params![key],
            )
            .map(|_| ())
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[tokio::test]
    async fn the_sqlite_claim_store_keeps_the_idempotency_store_contract() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteIdempotency::open(&dir.path().join("egress.sqlite")).unwrap();
        starling_core::memory::check_idempotency_store(&store)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn records_survive_a_reopen_and_two_connections_claim_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/egress.sqlite");
        let a = SqliteIdempotency::open(&path).unwrap();
        let b = SqliteIdempotency::open(&path).unwrap();
        let now = Utc::now();
        let until = now + TimeDelta::seconds(300);
        let (x, y) = tokio::join!(a.claim("race", now, until), b.claim("race", now, until));
        let claims = [x.unwrap(), y.unwrap()];
        assert_eq!(
            claims.iter().filter(|c| **c == Claim::Claimed).count(),
            1,
            "{claims:?}"
        );
        a.complete(
            "race",
            &Completion::Sent {
                tweet_id: "1".into(),
            },
        )
        .await
        .unwrap();
        drop((a, b));
        let reopened = SqliteIdempotency::open(&path).unwrap();
        assert!(matches!(
            reopened.claim("race", now, until).await.unwrap(),
            Claim::Done(Completion::Sent { .. })
        ));
    }
}
