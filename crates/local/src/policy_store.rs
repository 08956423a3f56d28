//! [`PolicyStore`] in an SQLite file: the reply policy's opt-outs, cooldowns and counters on one
//! machine. A batch of writes is one `BEGIN IMMEDIATE` transaction that checks every expected
//! version before writing — the same all-or-nothing compare-and-set as DynamoDB's
//! `TransactWriteItems` on AWS. Expired records are pruned as writes go by, at most once a
//! minute, through an index on their expiry (a sweep on every write over the whole table had
//! made each reply cost more as the table grew: the drain's largest cost in `scripts/load.sh`).

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
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
);
CREATE INDEX IF NOT EXISTS reply_policy_expiry ON reply_policy (expires_at)
    WHERE expires_at IS NOT NULL;";

/// How often expired records are swept, at most.
const SWEEP_EVERY_MS: i64 = 60_000;
/// How long after expiring a record is kept: read as empty once expired, a day's grace keeps its
/// version for a decision still in flight.
const KEEP_EXPIRED_MS: i64 = 86_400_000;

/// The reply policy's state in an SQLite file.
pub struct SqlitePolicyStore {
    conn: Mutex<Connection>,
    /// When expired records were last swept (Unix ms; 0: not yet).
    swept_at: AtomicI64,
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
            swept_at: AtomicI64::new(0),
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
            {
                let mut version =
                    tx.prepare_cached("SELECT version FROM reply_policy WHERE key = ?1")?;
                for w in writes {
                    let current: i64 = version
                        .query_row(params![w.key], |r| r.get(0))
                        .optional()?
                        .unwrap_or(0);
                    if u64::try_from(current).ok() != Some(w.expected_version) {
                        return Ok(false); // dropping `tx` rolls back
                    }
                }
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO reply_policy (key, version, value, expires_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (key) DO UPDATE SET
                       version = excluded.version, value = excluded.value,
                       expires_at = excluded.expires_at",
                )?;
                for w in writes {
                    upsert.execute(params![
                        w.key,
                        i64::try_from(w.expected_version + 1).unwrap_or(i64::MAX),
                        w.value.to_string(),
                        w.expires_at.map(|t| t.timestamp_millis()),
                    ])?;
                }
                let now = Utc::now().timestamp_millis();
                if now - self.swept_at.load(Ordering::Relaxed) >= SWEEP_EVERY_MS {
                    tx.prepare_cached(
                        "DELETE FROM reply_policy WHERE expires_at IS NOT NULL AND expires_at < ?1",
                    )?
                    .execute(params![now - KEEP_EXPIRED_MS])?;
                    self.swept_at.store(now, Ordering::Relaxed);
                }
            }
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

    #[tokio::test]
    async fn records_expired_over_a_day_ago_are_swept_through_the_expiry_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlitePolicyStore::open(&dir.path().join("p.sqlite")).unwrap();
        let now = Utc::now();
        let expiring = |key: &str, at: DateTime<Utc>| PolicyWrite {
            expires_at: Some(at),
            ..write(key, 0, json!(1))
        };
        // The first write sweeps (nothing yet); the next one, within the minute, does not.
        assert!(
            store
                .write_all(&[write("first", 0, json!(0))])
                .await
                .unwrap()
        );
        let long_gone = now - chrono::Duration::days(2);
        let just_gone = now - chrono::Duration::hours(1);
        assert!(
            store
                .write_all(&[
                    expiring("long-gone", long_gone),
                    expiring("just-gone", just_gone),
                    expiring("live", now + chrono::Duration::hours(1)),
                ])
                .await
                .unwrap()
        );
        let keys = |store: &SqlitePolicyStore| -> Vec<String> {
            store
                .with(|conn| {
                    let mut stmt = conn.prepare("SELECT key FROM reply_policy ORDER BY key")?;
                    stmt.query_map([], |r| r.get(0))?.collect()
                })
                .unwrap()
        };
        assert_eq!(keys(&store), ["first", "just-gone", "live", "long-gone"]);
        store.swept_at.store(0, Ordering::Relaxed); // a minute later
        assert!(
            store
                .write_all(&[write("next", 0, json!(0))])
                .await
                .unwrap()
        );
        assert_eq!(
            keys(&store),
            ["first", "just-gone", "live", "next"],
            "only what expired over a day ago is gone"
        );
        let plan: String = store
            .with(|conn| {
                conn.query_row(
                    "EXPLAIN QUERY PLAN DELETE FROM reply_policy \
                     WHERE expires_at IS NOT NULL AND expires_at < 0",
                    [],
                    |r| r.get(3),
                )
            })
            .unwrap();
        assert!(plan.contains("reply_policy_expiry"), "{plan}");
    }
}
