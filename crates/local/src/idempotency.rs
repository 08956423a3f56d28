//! [`IdempotencyStore`] in an SQLite file: egress's "posted at most once" memory on one machine.
//!
//! A claim is one conditional upsert — insert the key, or take it over only when its lease has
//! expired or its holder gave it back — the same shape as the DynamoDB conditional write on AWS.
//! Marks, completions and releases apply only while the caller's owner token holds the claim.
//! Several processes may share the file: SQLite serialises the writes, and exactly one of two
//! racing claims wins.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use starling_bus::group_commit::GroupCommit;
use starling_core::ports::{Claim, Completion, IdempotencyError, IdempotencyStore, Release};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS egress_idempotency (
    key          TEXT PRIMARY KEY,
    state        TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'failed')),
    lease_until  INTEGER,
    tweet_id     TEXT,
    error        TEXT,
    updated_at   INTEGER NOT NULL
);";

/// Columns added after the first release, for files made by it.
const ADDED_COLUMNS: [(&str, &str); 2] = [("owner", "TEXT"), ("uncertain_since", "INTEGER")];

/// Egress's idempotency records in an SQLite file.
pub struct SqliteIdempotency {
    conn: Arc<Mutex<Connection>>,
    /// Egress's store: the uncertain marks, fsynced before they return, waiting for the next
    /// group commit — (key, owner, time), answered with the rows each changed (or the commit's
    /// error). `None`: marks are written like every other write (the ways in's store).
    durable_marks: Option<Arc<MarkCommits>>,
}

/// The marks' group commit: (key, owner, time in ms) in, rows changed (or the error) out.
type MarkCommits = GroupCommit<(String, String, i64), Result<usize, String>>;

const MARK_UNCERTAIN: &str = "UPDATE egress_idempotency SET uncertain_since = ?3, updated_at = ?3
     WHERE key = ?1 AND owner = ?2 AND state = 'claimed'";

impl std::fmt::Debug for SqliteIdempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteIdempotency")
    }
}

fn err(context: &str, e: impl std::fmt::Display) -> IdempotencyError {
    IdempotencyError::Unavailable(format!("{context}: {e}"))
}

impl SqliteIdempotency {
    /// Opens (creating or upgrading if needed) the store at `path` for egress: the uncertain
    /// mark, written just before a reply is posted, is fsynced before it returns, so a reply is
    /// never posted twice even across a power cut — after one, the mark sends the next attempt to
    /// look for the reply first. The other writes survive a killed process but are not fsynced
    /// one by one (SQLite WAL, `synchronous=NORMAL`): a claim lost to a power cut was not yet
    /// posting (the mark's fsync also makes every earlier write durable), and a completion lost
    /// to one leaves the mark, so the redelivered reply is looked for and found. Marks made
    /// while one is being synced share the next fsync (group commit). Three fsyncs per reply
    /// had been the end-to-end drain's ceiling in `scripts/load.sh`.
    pub fn open(path: &Path) -> Result<Self, IdempotencyError> {
        Self::open_with(path, true)
    }

    /// Opens the store for the ways in's redelivery claims: writes survive a killed process but
    /// are not fsynced one by one (SQLite WAL, `synchronous=NORMAL`), so a power cut may forget
    /// the last few claims and a redelivery after it is published again — at least once, which
    /// the bus promises anyway; the reply is still posted once (egress's own store, its marks
    /// fsynced).
    /// Two fsyncs per delivery were the webhook's ceiling (`scripts/load.sh`).
    pub fn open_for_redeliveries(path: &Path) -> Result<Self, IdempotencyError> {
        Self::open_with(path, false)
    }

    fn open_with(path: &Path, durable_marks: bool) -> Result<Self, IdempotencyError> {
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
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| err("synchronous", e))?;
        conn.execute_batch(SCHEMA).map_err(|e| err("schema", e))?;
        let existing: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('egress_idempotency')")
            .and_then(|mut st| {
                st.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| err("schema", e))?;
        for (column, kind) in ADDED_COLUMNS {
            if !existing.iter().any(|c| c == column) {
                conn.execute_batch(&format!(
                    "ALTER TABLE egress_idempotency ADD COLUMN {column} {kind}"
                ))
                .map_err(|e| err("schema upgrade", e))?;
            }
        }
        let conn = Arc::new(Mutex::new(conn));
        let durable_marks = durable_marks.then(|| {
            let conn = conn.clone();
            GroupCommit::new(move |marks| commit_marks(&conn, marks))
        });
        Ok(Self {
            conn,
            durable_marks,
        })
    }

    /// Frees every claim a previous run left held (it crashed, or was killed, mid-attempt),
    /// keeping their uncertain marks: the next delivery takes the key over at once — looking on
    /// X first where an attempt had begun posting — instead of waiting out the lease. Call it
    /// only from the process that owns the data directory (`starling up` holds the bus's lock),
    /// before it delivers anything. Returns how many claims it freed.
    pub fn release_abandoned(&self) -> Result<usize, IdempotencyError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE egress_idempotency SET owner = NULL, lease_until = 0
                 WHERE state = 'claimed' AND owner IS NOT NULL",
                [],
            )
        })
    }

    /// How many durable commits the uncertain marks have taken since the store was opened
    /// (marks made together share one).
    pub fn mark_commits(&self) -> u64 {
        self.durable_marks
            .as_ref()
            .map_or(0, |marks| marks.commits())
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, IdempotencyError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| IdempotencyError::Unavailable("connection lock poisoned".into()))?;
        f(&conn).map_err(|e| err("sqlite", e))
    }

    /// Runs `sql` (with `?1` the key and `?2` the owner first) and says NotOwner when it changed
    /// no row: the claim is not the caller's.
    fn held(
        &self,
        key: &str,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<(), IdempotencyError> {
        let changed = self.with(|conn| conn.prepare_cached(sql)?.execute(params))?;
        owned(key, changed)
    }
}

/// The uncertain mark, fsynced before it returns: queued, then committed with the marks
/// queued beside it in one transaction with `synchronous=FULL` (in WAL mode that fsyncs the
/// log, making these writes and every one before them durable), off the async workers.
async fn mark_durably(
    marks: &Arc<MarkCommits>,
    key: &str,
    owner: &str,
    at_ms: i64,
) -> Result<(), IdempotencyError> {
    let changed = marks
        .submit((key.to_string(), owner.to_string(), at_ms))
        .await
        .map_err(|e| err("mark", e))?
        .map_err(|e| IdempotencyError::Unavailable(format!("sqlite: {e}")))?;
    owned(key, changed)
}

/// NotOwner when a conditional write changed no row.
fn owned(key: &str, changed: usize) -> Result<(), IdempotencyError> {
    match changed {
        0 => Err(IdempotencyError::NotOwner(key.to_string())),
        _ => Ok(()),
    }
}

/// Commits the marks waiting together in one durable transaction: each answered with the rows
/// it changed, or all with the commit's error.
fn commit_marks(
    conn: &Mutex<Connection>,
    marks: Vec<(String, String, i64)>,
) -> Vec<Result<usize, String>> {
    let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
    let outcome = (|| -> rusqlite::Result<Vec<usize>> {
        conn.pragma_update(None, "synchronous", "FULL")?;
        let tx = conn.unchecked_transaction()?;
        let mut changed = Vec::with_capacity(marks.len());
        {
            let mut stmt = tx.prepare_cached(MARK_UNCERTAIN)?;
            for (key, owner, at_ms) in &marks {
                changed.push(stmt.execute(params![key, owner, at_ms])?);
            }
        }
        tx.commit()?;
        Ok(changed)
    })();
    if let Err(e) = conn.pragma_update(None, "synchronous", "NORMAL") {
        tracing::warn!(error = %e, "could not set the idempotency store back to synchronous=NORMAL");
    }
    match outcome {
        Ok(changed) => changed.into_iter().map(Ok).collect(),
        Err(e) => vec![Err(e.to_string()); marks.len()],
    }
}

#[async_trait]
impl IdempotencyStore for SqliteIdempotency {
    async fn claim(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Claim, IdempotencyError> {
        self.with(|conn| {
            let changed = conn
                .prepare_cached(
                    "INSERT INTO egress_idempotency (key, state, lease_until, owner, updated_at)
                 VALUES (?1, 'claimed', ?2, ?4, ?3)
                 ON CONFLICT (key) DO UPDATE
                   SET lease_until = excluded.lease_until, owner = excluded.owner,
                       updated_at = excluded.updated_at
                   WHERE state = 'claimed' AND (lease_until <= ?3 OR owner IS NULL)",
                )?
                .execute(params![
                    key,
                    lease_until.timestamp_millis(),
                    now.timestamp_millis(),
                    owner
                ])?;
            let row: Option<(String, Option<String>, Option<String>, Option<i64>)> = conn
                .prepare_cached(
                    "SELECT state, tweet_id, error, uncertain_since FROM egress_idempotency
                     WHERE key = ?1",
                )?
                .query_row(params![key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            Ok(match row {
                Some((state, tweet_id, _, _)) if state == "sent" => Claim::Done(Completion::Sent {
                    tweet_id: tweet_id.unwrap_or_default(),
                }),
                Some((state, _, error, _)) if state == "failed" => {
                    Claim::Done(Completion::Failed {
                        error: error.unwrap_or_default(),
                    })
                }
                _ if changed != 1 => Claim::InProgress,
                Some((_, _, _, Some(since))) => match DateTime::from_timestamp_millis(since) {
                    Some(since) => Claim::ClaimedUncertain { since },
                    None => Claim::ClaimedUncertain {
                        since: DateTime::<Utc>::MIN_UTC,
                    },
                },
                _ => Claim::Claimed,
            })
        })
    }

    async fn mark_uncertain(
        &self,
        key: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<(), IdempotencyError> {
        if let Some(marks) = &self.durable_marks {
            return mark_durably(marks, key, owner, at.timestamp_millis()).await;
        }
        self.held(key, MARK_UNCERTAIN, &[&key, &owner, &at.timestamp_millis()])
    }

    async fn complete(
        &self,
        key: &str,
        owner: &str,
        completion: &Completion,
    ) -> Result<(), IdempotencyError> {
        let (state, tweet_id, error) = match completion {
            Completion::Sent { tweet_id } => ("sent", Some(tweet_id.as_str()), None),
            Completion::Failed { error } => ("failed", None, Some(error.as_str())),
        };
        let now = Utc::now().timestamp_millis();
        self.held(
            key,
            "UPDATE egress_idempotency
             SET state = ?3, lease_until = NULL, owner = NULL, uncertain_since = NULL,
                 tweet_id = ?4, error = ?5, updated_at = ?6
             WHERE key = ?1 AND owner = ?2 AND state = 'claimed'",
            &[&key, &owner, &state, &tweet_id, &error, &now],
        )
    }

    async fn release(&self, key: &str, owner: &str, how: Release) -> Result<(), IdempotencyError> {
        match how {
            // Keep the mark when there is one; a claim without one is simply gone.
            Release::MaybePosted => self.held(
                key,
                "UPDATE egress_idempotency SET owner = NULL, lease_until = 0
                 WHERE key = ?1 AND owner = ?2 AND state = 'claimed'",
                &[&key, &owner],
            ),
            Release::NothingPosted => self.held(
                key,
                "DELETE FROM egress_idempotency
                 WHERE key = ?1 AND owner = ?2 AND state = 'claimed'",
                &[&key, &owner],
            ),
        }
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
        let (x, y) = tokio::join!(
            a.claim("race", "a", now, until),
            b.claim("race", "b", now, until)
        );
        let claims = [x.unwrap(), y.unwrap()];
        assert_eq!(
            claims.iter().filter(|c| **c == Claim::Claimed).count(),
            1,
            "{claims:?}"
        );
        let winner = if claims[0] == Claim::Claimed {
            "a"
        } else {
            "b"
        };
        a.complete(
            "race",
            winner,
            &Completion::Sent {
                tweet_id: "1".into(),
            },
        )
        .await
        .unwrap();
        drop((a, b));
        let reopened = SqliteIdempotency::open(&path).unwrap();
        assert!(matches!(
            reopened.claim("race", "c", now, until).await.unwrap(),
            Claim::Done(Completion::Sent { .. })
        ));
    }

    #[tokio::test]
    async fn a_file_from_before_owner_tokens_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("egress.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.execute(
                "INSERT INTO egress_idempotency (key, state, tweet_id, updated_at)
                 VALUES ('old', 'sent', '7', 0)",
                [],
            )
            .unwrap();
        }
        let store = SqliteIdempotency::open(&path).unwrap();
        let now = Utc::now();
        assert_eq!(
            store
                .claim("old", "a", now, now + TimeDelta::seconds(60))
                .await
                .unwrap(),
            Claim::Done(Completion::Sent {
                tweet_id: "7".into()
            })
        );
        starling_core::memory::check_idempotency_store(&store)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn claims_a_crashed_run_left_are_freed_at_start_with_their_marks() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteIdempotency::open(&dir.path().join("e.sqlite")).unwrap();
        let now = Utc::now();
        let until = now + TimeDelta::seconds(180);
        store.claim("posting", "dead", now, until).await.unwrap();
        store.mark_uncertain("posting", "dead", now).await.unwrap();
        store.claim("reading", "dead", now, until).await.unwrap();
        store.claim("done", "dead", now, until).await.unwrap();
        store
            .complete(
                "done",
                "dead",
                &Completion::Sent {
                    tweet_id: "1".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(store.release_abandoned().unwrap(), 2);
        // Within the old lease, yet taken over at once; the posting one must look on X first.
        let later = now + TimeDelta::seconds(1);
        assert!(matches!(
            store.claim("posting", "new", later, until).await.unwrap(),
            Claim::ClaimedUncertain { .. }
        ));
        assert_eq!(
            store.claim("reading", "new", later, until).await.unwrap(),
            Claim::Claimed
        );
        assert!(matches!(
            store.claim("done", "new", later, until).await.unwrap(),
            Claim::Done(_)
        ));
    }

    #[tokio::test]
    async fn only_the_mark_before_posting_is_written_with_a_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteIdempotency::open(&dir.path().join("i.sqlite")).unwrap();
        let synchronous = |store: &SqliteIdempotency| -> i64 {
            store
                .with(|conn| conn.query_row("PRAGMA synchronous", [], |r| r.get(0)))
                .unwrap()
        };
        assert_eq!(synchronous(&store), 1, "NORMAL between marks");
        let now = Utc::now();
        let lease = now + chrono::Duration::minutes(5);
        assert_eq!(
            store.claim("k", "me", now, lease).await.unwrap(),
            Claim::Claimed
        );
        store.mark_uncertain("k", "me", now).await.unwrap();
        assert_eq!(synchronous(&store), 1, "back to NORMAL after the mark");
        assert!(matches!(
            store.mark_uncertain("k", "someone-else", now).await,
            Err(IdempotencyError::NotOwner(_))
        ));
        assert_eq!(
            synchronous(&store),
            1,
            "back to NORMAL after a refused mark too"
        );
        drop(store);
        let again = SqliteIdempotency::open(&dir.path().join("i.sqlite")).unwrap();
        again.release_abandoned().unwrap();
        assert!(matches!(
            again.claim("k", "next", now, lease).await.unwrap(),
            Claim::ClaimedUncertain { .. }
        ));
    }

    // Holding the connection's lock across the wait is the point: it stands for a commit in
    // progress (the marks run on other threads).
    #[allow(clippy::await_holding_lock)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn marks_made_together_share_one_commit_and_each_gets_its_own_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("i.sqlite");
        let store = Arc::new(SqliteIdempotency::open(&path).unwrap());
        let now = Utc::now();
        let lease = now + chrono::Duration::minutes(5);
        for i in 0..20 {
            let claim = store
                .claim(&format!("k{i}"), "me", now, lease)
                .await
                .unwrap();
            assert_eq!(claim, Claim::Claimed);
        }
        // The connection busy (as during a commit's fsync): the first mark's commit waits for
        // it, and the marks made meanwhile wait for the next commit, together.
        let busy = store.conn.lock().unwrap();
        let marks: Vec<_> = (0..24)
            .map(|i| {
                let store = store.clone();
                // k0..k19 by their owner; k20..k23 were never claimed.
                tokio::spawn(async move { store.mark_uncertain(&format!("k{i}"), "me", now).await })
            })
            .collect();
        // Time for every mark to queue: the committer takes those queued when it starts and
        // waits for the connection with them; the rest queue behind it.
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(busy);
        for (i, mark) in marks.into_iter().enumerate() {
            let result = mark.await.unwrap();
            if i < 20 {
                assert!(result.is_ok(), "k{i}: {result:?}");
            } else {
                assert!(
                    matches!(result, Err(IdempotencyError::NotOwner(_))),
                    "k{i}: {result:?}"
                );
            }
        }
        let commits = store.mark_commits();
        assert!(
            (1..=2).contains(&commits),
            "24 marks in {commits} commits: those the committer took when it started, then the rest"
        );
        drop(store);
        let again = SqliteIdempotency::open(&path).unwrap();
        again.release_abandoned().unwrap();
        for i in 0..20 {
            assert!(
                matches!(
                    again
                        .claim(&format!("k{i}"), "next", now, lease)
                        .await
                        .unwrap(),
                    Claim::ClaimedUncertain { .. }
                ),
                "k{i}'s mark was committed"
            );
        }
    }
}
