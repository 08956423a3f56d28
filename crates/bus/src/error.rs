//! What can go wrong with the bus, one variant per thing a caller can act on.

use std::time::Duration;

use super::routes::RoutesError;

/// Why a bus operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The data directory could not be created.
    #[error(
        "data directory {path}: {error} (set --data-dir or STARLING_DATA_DIR to a writable directory)"
    )]
    DataDir {
        /// The directory.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// SQLite failed on the event log.
    #[error("event log {path}: {error}")]
    Sqlite {
        /// The database file.
        path: String,
        /// SQLite's error.
        error: rusqlite::Error,
    },
    /// The event log was created by a newer Starling with a schema this build does not know.
    #[error(
        "event log {path} has schema version {found}, newer than this build's {known}; \
         upgrade starling or use another --data-dir"
    )]
    NewerSchema {
        /// The database file.
        path: String,
        /// The file's version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// The routing table is unusable.
    #[error(transparent)]
    Routes(#[from] RoutesError),
    /// A command named a route the routing table does not have.
    #[error("no route named {name:?} (routes: {known})")]
    UnknownRoute {
        /// The name given.
        name: String,
        /// The routes there are, comma-separated.
        known: String,
    },
    /// Another process is already delivering from this data directory.
    #[error(
        "another starling process is delivering events from {path}; \
         stop it or use another --data-dir"
    )]
    Locked {
        /// The lock file.
        path: String,
    },
    /// `start` was called twice.
    #[error("the bus is already started")]
    AlreadyStarted,
    /// `wait_idle` gave up.
    #[error("the bus was not idle after {waited:?}: {lagging}")]
    NotIdle {
        /// How long it waited.
        waited: Duration,
        /// Which routes still had work, and how much.
        lagging: String,
    },
    /// A stored row is not what the bus wrote (the file was edited or damaged).
    #[error("event log row {seq} is damaged: {reason}")]
    Corrupt {
        /// The event's log sequence.
        seq: i64,
        /// What is wrong.
        reason: String,
    },
    /// A background task of the bus failed.
    #[error("bus task failed: {0}")]
    Task(String),
}
