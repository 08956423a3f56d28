//! [`PolicyStore`] in an SQLite file: the reply policy's opt-outs, cooldowns and counters on one
//! machine. A batch of writes is one `BEGIN IMMEDIATE` transaction that checks every expected
//! version before writing — the same all-or-nothing compare-and-set as DynamoDB's
//! `TransactWriteItems` on AWS. Expired records are pruned as writes go by.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use starling_core::ports::{PolicyRecord, PolicyStore, PolicyStoreError, PolicyWrite};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reply_policy (
    key         TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    value       TEXT NOT NULL,
    expires_at  INTEGER
);";

/// The reply policy's state in an SQLite file.
pub struct SqlitePolicyStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqlitePolicyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqlitePolicyStore")
    }
}

fn err(context: &str, e: impl std::fmt::Display) -> PolicyStoreError {
    PolicyStoreError(format!("{context}: {e}"))
}

impl SqlitePolicyStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, PolicyStoreError> {
        let conn = Connection::open(path).map_err(|e| err(&path.display().to_string(), e))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| err("busy timeout", e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| err("WAL", e))?;
        // WAL with synchronous=NORMAL: a commit survives the process crashing (the bus retries
        // the delivery anyway); only a power loss may forget the last counters, which errs by a
        // reply or two, never by posting twice (egress's idempotency store is fully synced).
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| err("synchronous", e))?;
        conn.execute_batch(SCHEMA).map_err(|e| err("schema", e))?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, PolicyStoreError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| PolicyStoreError("connection lock poisoned".into()))?;
        f(&mut conn).map_err(|e| err("sqlite", e))
    }
}

#[async_trait]
impl PolicyStore for SqlitePolicyStore {
    async fn read(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<PolicyRecord>, PolicyStoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT version, value, expires_at FROM reply_policy WHERE key = ?1",
            )?;
            keys.iter()
                .map(|key| {
                    let row: Option<(i64, String, Option<i64>)> = stmt
                        .query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                        .optional()?;
                    Ok(match row {
                        None => PolicyRecord::default(),
                        Some((version, value, expires)) => PolicyRecord {
                            value: expires
                                .is_none_or(|e| e > now.timestamp_millis())
                                .then(|| serde_json::from_str(&value).ok())
                                .flatten(),
                            version: u64::try_from(version).unwrap_or(0),
                        },
                    })
                })
                .collect()
        })
    }

    async fn write_all(&self, writes: &[PolicyWrite]) -> Result<bool, PolicyStoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for w in writes {
                let current: i64 = tx
                    .query_row(
                        "SELECT version FROM reply_policy WHERE key = ?1",
                        params![w.key],
                        |r| r.get(0),
                    )
                    .optional()?
                    .unwrap_or(0);
                if u64::try_from(current).ok() != Some(w.expected_version) {
                    return Ok(false); // dropping `tx` rolls back
                }
            }
            for w in writes {
                tx.execute(
                    "INSERT INTO reply_policy (key, version, value, expires_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (key) DO UPDATE SET
                       version = excluded.version, value = excluded.value,
                       expires_at = excluded.expires_at",
                    params![
                        w.key,
                        i64::try_from(w.expected_version + 1).unwrap_or(i64::MAX),
                        w.value.to_string(),
                        w.expires_at.map(|t| t.timestamp_millis()),
                    ],
                )?;
            }
            // Forget what expired a day ago: a record is read as empty once expired, and a day's
            // grace keeps its version for a decision still in flight.
            let horizon = Utc::now().timestamp_millis() - 86_400_000;
            tx.execute(
                "DELETE FROM reply_policy WHERE expires_at IS NOT NULL AND expires_at < ?1",
                params![horizon],
            )?;
            tx.commit()?;
            Ok(true)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(key: &str, expected_version: u64, value: serde_json::Value) -> PolicyWrite {
        PolicyWrite {
            key: key.into(),
            expected_version,
            value,
            expires_at: None,
        }
    }

    #[tokio::test]
    async fn the_sqlite_store_keeps_the_policy_store_contract() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlitePolicyStore::open(&dir.path().join("p.sqlite")).unwrap();
        starling_core::memory::check_policy_store(&store)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_state_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.sqlite");
        {
            let store = SqlitePolicyStore::open(&path).unwrap();
            assert!(
                store
                    .write_all(&[write("author:7", 0, json!({"OptedOut": true}))])
                    .await
                    .unwrap()
            );
        }
        let store = SqlitePolicyStore::open(&path).unwrap();
        let read = store
            .read(&["author:7".to_string()], Utc::now())
            .await
            .unwrap();
        assert_eq!(read[0].value, Some(json!({"OptedOut": true})));
    }
}
