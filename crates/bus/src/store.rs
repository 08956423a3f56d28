//! The SQLite file behind the bus: the event log (also the archive), one delivery cursor per
//! route, the dead-letter table and the queue of replays and redrives.
//!
//! Two connections share the file, one per durability need:
//!
//! - `log` commits with `synchronous=FULL`: in WAL mode each commit fsyncs the WAL, so a put
//!   acknowledged to a publisher survives a process kill *and* a power cut. Anything a user is
//!   told has happened (an event accepted, a replay or redrive queued) is written here.
//! - `state` commits with `synchronous=NORMAL`: in WAL mode a commit reaches the OS (so it
//!   survives `kill -9`) but is not fsynced, so a power cut may undo the last few. It only
//!   records delivery progress (cursors, dead letters, finished redeliveries); undoing one
//!   means an event is delivered again, which at-least-once delivery allows. Skipping the
//!   fsync per delivered event is what keeps delivery fast.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::BusError;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "bus.sqlite";

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    source      TEXT NOT NULL,
    detail_type TEXT NOT NULL,
    time_ms     INTEGER NOT NULL,
    put_ms      INTEGER NOT NULL,
    envelope    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_time ON events(time_ms);
CREATE INDEX IF NOT EXISTS events_by_detail_type ON events(detail_type, seq);
CREATE TABLE IF NOT EXISTS cursors (
    route TEXT PRIMARY KEY,
    seq   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letters (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    route     TEXT NOT NULL,
    event_seq INTEGER NOT NULL REFERENCES events(seq),
    attempts  INTEGER NOT NULL,
    error     TEXT NOT NULL,
    failed_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_route ON dead_letters(route, id);
CREATE TABLE IF NOT EXISTS redeliveries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    route          TEXT NOT NULL,
    event_seq      INTEGER NOT NULL REFERENCES events(seq),
    dead_letter_id INTEGER,
    reason         TEXT NOT NULL,
    enqueued_ms    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS redeliveries_by_route ON redeliveries(route, id);
CREATE TABLE IF NOT EXISTS in_flight (
    route     TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    item      INTEGER NOT NULL,
    attempts  INTEGER NOT NULL
) WITHOUT ROWID;
";

/// An accepted entry, ready to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub source: String,
    pub detail_type: String,
    pub time_ms: i64,
    pub put_ms: i64,
    pub envelope: String,
}

/// A logged event as stored.
#[derive(Debug, Clone)]
pub struct LoggedEvent {
    pub seq: i64,
    pub put_ms: i64,
    pub envelope: String,
    /// The envelope's `detail-type`, as stored beside it.
    pub detail_type: String,
}

/// A queued replay or redrive of one event to one route.
#[derive(Debug, Clone)]
pub struct PendingRedelivery {
    pub id: i64,
    pub event_seq: i64,
    pub dead_letter_id: Option<i64>,
    pub envelope: String,
}

/// A dead letter as stored, with its event.
#[derive(Debug, Clone)]
pub struct DeadLetterRow {
    pub id: i64,
    pub route: String,
    pub event_seq: i64,
    pub attempts: i64,
    pub error: String,
    pub failed_ms: i64,
    pub envelope: String,
    pub redrive_queued: bool,
}

/// Where every route stands.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub head: i64,
    pub cursors: HashMap<String, i64>,
    pub queued: HashMap<String, i64>,
}

/// The bus's database.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    log: Mutex<Connection>,
    state: Mutex<Connection>,
    /// Read-only, for the dashboard's aggregates: in WAL mode a reader never blocks the
    /// writers, so a slow aggregate cannot hold up a delivery.
    read: Mutex<Connection>,
}

fn connect(path: &Path, synchronous: &str) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // Another connection (or process) may hold the write lock for a commit; wait for it.
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    Ok(conn)
}

impl Store {
    /// Opens (creating if needed) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, BusError> {
        std::fs::create_dir_all(dir).map_err(|error| BusError::DataDir {
            path: dir.display().to_string(),
            error,
        })?;
        let path = dir.join(DB_FILE);
        let sqlite = |error| BusError::Sqlite {
            path: path.display().to_string(),
            error,
        };
        let log = connect(&path, "FULL").map_err(sqlite)?;
        let found: i64 = log
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sqlite)?;
        if found > SCHEMA_VERSION {
            return Err(BusError::NewerSchema {
                path: path.display().to_string(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        log.execute_batch(SCHEMA).map_err(sqlite)?;
        log.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(sqlite)?;
        let state = connect(&path, "NORMAL").map_err(sqlite)?;
        let read = connect(&path, "NORMAL").map_err(sqlite)?;
        read.pragma_update(None, "query_only", true)
            .map_err(sqlite)?;
        Ok(Self {
            path,
            log: Mutex::new(log),
            state: Mutex::new(state),
            read: Mutex::new(read),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn run<T>(
        &self,
        conn: &Mutex<Connection>,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, BusError> {
        // A panic while holding the lock leaves SQLite consistent (an open transaction is
        // rolled back when its guard drops), so a poisoned lock is safe to reuse.
        let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut conn).map_err(|error| BusError::Sqlite {
            path: self.path.display().to_string(),
            error,
        })
    }

    fn log<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, BusError> {
        self.run(&self.log, f)
    }

    /// Runs `f` on the read-only connection (the dashboard's aggregates).
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, BusError> {
        self.run(&self.read, f)
    }

    fn state<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, BusError> {
        self.run(&self.state, f)
    }

    /// Appends events in one durable transaction; returns their sequence numbers.
    pub fn append(&self, events: &[NewEvent]) -> Result<Vec<i64>, BusError> {
        self.log(|conn| {
            let tx = conn.transaction()?;
            let mut seqs = Vec::with_capacity(events.len());
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO events (id, source, detail_type, time_ms, put_ms, envelope)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for e in events {
                    insert.execute(params![
                        e.id,
                        e.source,
                        e.detail_type,
                        e.time_ms,
                        e.put_ms,
                        e.envelope
                    ])?;
                    seqs.push(tx.last_insert_rowid());
                }
            }
            tx.commit()?;
            Ok(seqs)
        })
    }

    /// Gives each route without a cursor one at the log's head: like a new EventBridge rule, a
    /// new route sees events put from now on (`starling replay` sends it older ones).
    pub fn ensure_cursors<'a>(
        &self,
        routes: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), BusError> {
        self.log(|conn| {
            let tx = conn.transaction()?;
            {
                let mut insert = tx.prepare(
                    "INSERT OR IGNORE INTO cursors (route, seq)
                     SELECT ?1, COALESCE(MAX(seq), 0) FROM events",
                )?;
                for route in routes {
                    insert.execute([route])?;
                }
            }
            tx.commit()
        })
    }

    /// A route's cursor: the last log sequence it has finished with.
    pub fn cursor(&self, route: &str) -> Result<i64, BusError> {
        self.state(|conn| {
            conn.query_row("SELECT seq FROM cursors WHERE route = ?1", [route], |r| {
                r.get(0)
            })
            .optional()
            .map(Option::unwrap_or_default)
        })
    }

    /// Up to `limit` events after sequence `after`, in order.
    pub fn events_after(&self, after: i64, limit: usize) -> Result<Vec<LoggedEvent>, BusError> {
        self.state(|conn| {
            let mut q = conn.prepare_cached(
                "SELECT seq, put_ms, envelope, detail_type FROM events
                 WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = q.query_map(params![after, limit_param(limit)], logged_event)?;
            rows.collect()
        })
    }

    /// Moves a route's cursor forward to `seq`.
    pub fn advance(&self, route: &str, seq: i64) -> Result<(), BusError> {
        self.state(|conn| {
            conn.prepare_cached("UPDATE cursors SET seq = ?2 WHERE route = ?1 AND seq < ?2")?
                .execute(params![route, seq])
                .map(drop)
        })
    }

    /// Records a dead letter and moves the route's cursor past it, atomically.
    pub fn dead_letter(
        &self,
        route: &str,
        seq: i64,
        attempts: u32,
        error: &str,
        now_ms: i64,
    ) -> Result<(), BusError> {
        self.state(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO dead_letters (route, event_seq, attempts, error, failed_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![route, seq, attempts, error, now_ms],
            )?;
            tx.execute(
                "UPDATE cursors SET seq = ?2 WHERE route = ?1 AND seq < ?2",
                params![route, seq],
            )?;
            tx.commit()
        })
    }

    /// Up to `limit` queued replays and redrives for a route, oldest first.
    pub fn redeliveries(
        &self,
        route: &str,
        limit: usize,
    ) -> Result<Vec<PendingRedelivery>, BusError> {
        self.state(|conn| {
            let mut q = conn.prepare_cached(
                "SELECT r.id, r.event_seq, r.dead_letter_id, e.envelope
                 FROM redeliveries r JOIN events e ON e.seq = r.event_seq
                 WHERE r.route = ?1 ORDER BY r.id LIMIT ?2",
            )?;
            let rows = q.query_map(params![route, limit_param(limit)], |r| {
                Ok(PendingRedelivery {
                    id: r.get(0)?,
                    event_seq: r.get(1)?,
                    dead_letter_id: r.get(2)?,
                    envelope: r.get(3)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Notes that `route` starts delivering `item` (of `kind`: a log event's seq or a
    /// redelivery's id) and returns how many starts in a row it has had without
    /// [`Store::end_delivery`] — more than one means the process stopped mid-delivery before.
    pub fn begin_delivery(&self, route: &str, kind: &str, item: i64) -> Result<u32, BusError> {
        self.state(|conn| {
            conn.query_row(
                "INSERT INTO in_flight (route, kind, item, attempts) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (route) DO UPDATE SET
                   attempts = CASE WHEN kind = excluded.kind AND item = excluded.item
                                   THEN attempts + 1 ELSE 1 END,
                   kind = excluded.kind, item = excluded.item
                 RETURNING attempts",
                params![route, kind, item],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        })
    }

    /// The delivery `begin_delivery` noted ended (delivered, dead-lettered or stopped cleanly).
    pub fn end_delivery(&self, route: &str) -> Result<(), BusError> {
        self.state(|conn| {
            conn.execute("DELETE FROM in_flight WHERE route = ?1", [route])
                .map(drop)
        })
    }

    /// A redelivery succeeded: drop it, and the dead letter it redrove.
    pub fn redelivered(&self, pending: &PendingRedelivery) -> Result<(), BusError> {
        self.state(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM redeliveries WHERE id = ?1", [pending.id])?;
            if let Some(dl) = pending.dead_letter_id {
                tx.execute("DELETE FROM dead_letters WHERE id = ?1", [dl])?;
            }
            tx.commit()
        })
    }

    /// A redelivery exhausted its retries: drop it and (re)write its dead letter.
    pub fn redelivery_failed(
        &self,
        route: &str,
        pending: &PendingRedelivery,
        attempts: u32,
        error: &str,
        now_ms: i64,
    ) -> Result<(), BusError> {
        self.state(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM redeliveries WHERE id = ?1", [pending.id])?;
            let updated = match pending.dead_letter_id {
                Some(dl) => tx.execute(
                    "UPDATE dead_letters SET attempts = ?2, error = ?3, failed_ms = ?4
                     WHERE id = ?1",
                    params![dl, attempts, error, now_ms],
                )?,
                None => 0,
            };
            if updated == 0 {
                tx.execute(
                    "INSERT INTO dead_letters (route, event_seq, attempts, error, failed_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![route, pending.event_seq, attempts, error, now_ms],
                )?;
            }
            tx.commit()
        })
    }

    /// Events whose time is in `[from_ms, to_ms]`, in log order.
    pub fn events_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<LoggedEvent>, BusError> {
        self.state(|conn| {
            let mut q = conn.prepare(
                "SELECT seq, put_ms, envelope, detail_type FROM events
                 WHERE time_ms BETWEEN ?1 AND ?2 ORDER BY seq",
            )?;
            let rows = q.query_map(params![from_ms, to_ms], logged_event)?;
            rows.collect()
        })
    }

    /// Queues `(route, event_seq)` redeliveries durably.
    pub fn enqueue_replay(&self, items: &[(String, i64)], now_ms: i64) -> Result<(), BusError> {
        self.log(|conn| {
            let tx = conn.transaction()?;
            {
                let mut insert = tx.prepare(
                    "INSERT INTO redeliveries (route, event_seq, reason, enqueued_ms)
                     VALUES (?1, ?2, 'replay', ?3)",
                )?;
                for (route, seq) in items {
                    insert.execute(params![route, seq, now_ms])?;
                }
            }
            tx.commit()
        })
    }

    /// Queues every dead letter of the given routes not already queued; returns how many.
    pub fn enqueue_redrive(&self, routes: &[&str], now_ms: i64) -> Result<usize, BusError> {
        self.log(|conn| {
            let tx = conn.transaction()?;
            let mut queued = 0;
            {
                let mut insert = tx.prepare(
                    "INSERT INTO redeliveries (route, event_seq, dead_letter_id, reason, enqueued_ms)
                     SELECT d.route, d.event_seq, d.id, 'redrive', ?2 FROM dead_letters d
                     WHERE d.route = ?1
                       AND NOT EXISTS (SELECT 1 FROM redeliveries r WHERE r.dead_letter_id = d.id)
                     ORDER BY d.id",
                )?;
                for route in routes {
                    queued += insert.execute(params![route, now_ms])?;
                }
            }
            tx.commit()?;
            Ok(queued)
        })
    }

    /// Dead letters, oldest first, optionally of one route.
    pub fn dead_letters(&self, route: Option<&str>) -> Result<Vec<DeadLetterRow>, BusError> {
        self.state(|conn| {
            let mut q = conn.prepare(
                "SELECT d.id, d.route, d.event_seq, d.attempts, d.error, d.failed_ms, e.envelope,
                        EXISTS (SELECT 1 FROM redeliveries r WHERE r.dead_letter_id = d.id)
                 FROM dead_letters d JOIN events e ON e.seq = d.event_seq
                 WHERE ?1 IS NULL OR d.route = ?1 ORDER BY d.id",
            )?;
            let rows = q.query_map([route], |r| {
                Ok(DeadLetterRow {
                    id: r.get(0)?,
                    route: r.get(1)?,
                    event_seq: r.get(2)?,
                    attempts: r.get(3)?,
                    error: r.get(4)?,
                    failed_ms: r.get(5)?,
                    envelope: r.get(6)?,
                    redrive_queued: r.get(7)?,
                })
            })?;
            rows.collect()
        })
    }

    /// The latest `limit` events (optionally of one detail-type), in log order.
    pub fn latest_events(
        &self,
        detail_type: Option<&str>,
        limit: usize,
    ) -> Result<Vec<LoggedEvent>, BusError> {
        self.state(|conn| {
            let mut q = conn.prepare(
                "SELECT seq, put_ms, envelope, detail_type FROM (
                     SELECT seq, put_ms, envelope, detail_type FROM events
                     WHERE ?1 IS NULL OR detail_type = ?1 ORDER BY seq DESC LIMIT ?2
                 ) ORDER BY seq",
            )?;
            let rows = q.query_map(params![detail_type, limit_param(limit)], logged_event)?;
            rows.collect()
        })
    }

    /// The log's head, every cursor, and the queued redeliveries per route.
    pub fn progress(&self) -> Result<Progress, BusError> {
        self.state(|conn| {
            let tx = conn.transaction()?;
            let head =
                tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
            let cursors = tx
                .prepare("SELECT route, seq FROM cursors")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let queued = tx
                .prepare("SELECT route, COUNT(*) FROM redeliveries GROUP BY route")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            tx.commit()?;
            Ok(Progress {
                head,
                cursors,
                queued,
            })
        })
    }
}

pub(crate) fn logged_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<LoggedEvent> {
    Ok(LoggedEvent {
        seq: r.get(0)?,
        put_ms: r.get(1)?,
        envelope: r.get(2)?,
        detail_type: r.get(3)?,
    })
}

/// SQLite takes LIMIT as a signed 64-bit integer.
pub(crate) fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
