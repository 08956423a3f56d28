//! The durable local event bus: what EventBridge does on AWS, on one machine.
//!
//! Must not import: `starling-local` (the runtime that wires targets to it), the lake, the offline
//! providers, any AWS SDK or `lambda_*` crate. A [`Target`] is whatever a route delivers to; the
//! runtime decides what that is.
//!
//! Every put event is appended to an SQLite event log in the data directory (`bus.sqlite`), which
//! is also the archive. The routing table (`schemas/routes.json`) decides which routes an event
//! goes to; each route has a dispatcher task with its own persisted cursor (the last log sequence
//! it has finished with), retries with exponential backoff and a dead-letter table.
//!
//! Guarantees:
//!
//! - **Durable puts.** [`SqliteBus::put`] returns only after the events are committed and fsynced;
//!   an acknowledged event survives `kill -9` and a power cut.
//! - **At-least-once, in order, per route.** A route's cursor moves past an event only after its
//!   target took it or it was dead-lettered, so a crash at any point loses nothing; an event may
//!   be delivered again after a crash (targets dedupe on the envelope's `id` where it matters).
//!   A failing event holds up its own route only, never the others.
//! - **New routes start at the head**, as a new EventBridge rule does; `replay` sends them older
//!   events.
//!
//! Replays and redrives are queued in the database, so `starling replay` and `starling dlq
//! redrive` work whether or not a `starling up` is running: a running bus picks the work up
//! within its poll interval, a stopped one when it next starts.

mod archive;
mod config;
mod dispatch;
mod error;
pub mod group_commit;
mod routes;
mod stats;
mod store;
mod target;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use starling_contracts::envelope::{MAX_PUT_EVENTS_BYTES, MAX_PUT_EVENTS_ENTRIES};
use starling_contracts::{Envelope, OutgoingEvent};
use starling_core::ports::{EventPublisher, FailedEntry, PublishError, PutOutcome};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use archive::{DeadLetter, ReplayReport, StoredEvent};
pub use config::{BusConfig, RetryPolicy};
pub use error::BusError;
pub use routes::{CompiledRoute, EMBEDDED_ROUTES, Route, RoutesError, RoutingTable, TargetRef};
pub use stats::{LogProgress, MinuteCount, RouteProgress, SentimentCount, TypeCount};
pub use store::DB_FILE;
pub use target::{DeliveryError, FnTarget, Target, TargetRegistry, target_fn};

use group_commit::GroupCommit;
use store::{NewEvent, Store};

/// The account id in locally assigned envelopes.
pub const LOCAL_ACCOUNT: &str = "000000000000";
/// The region in locally assigned envelopes.
pub const LOCAL_REGION: &str = "local";
/// The lock file a delivering bus holds in the data directory.
pub const LOCK_FILE: &str = "bus.lock";

/// The event bus on SQLite. Cloning is cheap; clones share one bus.
#[derive(Clone)]
pub struct SqliteBus {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteBus")
            .field("bus", &self.inner.bus_name)
            .field("db", &self.inner.store.path())
            .finish_non_exhaustive()
    }
}

struct Inner {
    store: Arc<Store>,
    data_dir: PathBuf,
    bus_name: String,
    routes: Vec<CompiledRoute>,
    config: BusConfig,
    /// Bumped when there is new work (events put, replays or redrives queued).
    wake: watch::Sender<u64>,
    /// Bumped when a dispatcher finishes with an event.
    progress: watch::Sender<u64>,
    /// `true` while the dispatchers are asked to stop.
    shutdown: watch::Sender<bool>,
    running: Mutex<Option<Running>>,
    /// Puts waiting for the next group commit of the log: each put's rows, answered with their
    /// sequence numbers (or the commit's error).
    commits: Arc<LogCommits>,
}

/// The log's group commit: each put's rows in, their sequence numbers (or the error) out.
type LogCommits = GroupCommit<Vec<NewEvent>, Result<Vec<i64>, String>>;

struct Running {
    tasks: Vec<JoinHandle<()>>,
    routes: Vec<String>,
    _lock: File,
}

/// An entry the bus accepted: its assigned id and its place in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedEntry {
    /// The envelope id the bus assigned.
    pub id: String,
    /// The event's log sequence.
    pub seq: i64,
}

/// What [`SqliteBus::start`] did with each route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartReport {
    /// Routes now delivering.
    pub delivering: Vec<String>,
    /// Routes with no registered target: their events wait in the log.
    pub waiting: Vec<String>,
}

impl SqliteBus {
    /// Opens the bus in `data_dir` (creating the directory and the log as needed) with the given
    /// routes. Nothing is delivered until [`start`](Self::start); opening is enough to put,
    /// replay, list and redrive.
    pub fn open(
        data_dir: impl AsRef<Path>,
        table: &RoutingTable,
        config: BusConfig,
    ) -> Result<Self, BusError> {
        let data_dir = data_dir.as_ref().to_path_buf();
        let routes = table.compile()?;
        let store = Arc::new(Store::open(&data_dir)?);
        let commits = {
            let store = store.clone();
            GroupCommit::new(move |puts| commit_puts(&store, puts))
        };
        store.ensure_cursors(routes.iter().map(CompiledRoute::name))?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                data_dir,
                bus_name: table.bus.clone(),
                routes,
                config,
                wake: watch::Sender::new(0),
                progress: watch::Sender::new(0),
                shutdown: watch::Sender::new(false),
                running: Mutex::new(None),
                commits,
            }),
        })
    }

    /// The bus's name from the routing table.
    pub fn name(&self) -> &str {
        &self.inner.bus_name
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// The SQLite file.
    pub fn db_path(&self) -> &Path {
        self.inner.store.path()
    }

    /// The compiled routes, in table order.
    pub fn routes(&self) -> &[CompiledRoute] {
        &self.inner.routes
    }

    /// Puts entries like EventBridge's PutEvents: each is validated on its own, the accepted ones
    /// are appended in one durable transaction, and the result lists, per entry, its assigned id
    /// or why it was refused. More than 10 entries refuse the whole request.
    pub async fn put_entries(
        &self,
        entries: &[OutgoingEvent],
    ) -> Result<Vec<Result<AcceptedEntry, FailedEntry>>, PublishError> {
        if entries.len() > MAX_PUT_EVENTS_ENTRIES {
            return Err(PublishError::Rejected(format!(
                "{} entries in one put; the limit is {MAX_PUT_EVENTS_ENTRIES} (split the batch)",
                entries.len()
            )));
        }
        let now = Utc::now();
        let put_ms = now.timestamp_millis();
        let mut results = Vec::with_capacity(entries.len());
        let mut rows = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            if let Err(refused) = validate(index, entry) {
                results.push(Err(refused));
                continue;
            }
            let id = uuid::Uuid::new_v4().to_string();
            let envelope =
                Envelope::from_entry(entry, id.clone(), LOCAL_ACCOUNT, LOCAL_REGION, now);
            match serde_json::to_string(&envelope) {
                Ok(json) => {
                    rows.push(NewEvent {
                        id: id.clone(),
                        source: envelope.source,
                        detail_type: envelope.detail_type,
                        time_ms: envelope.time.timestamp_millis(),
                        put_ms,
                        envelope: json,
                    });
                    results.push(Ok(AcceptedEntry { id, seq: 0 }));
                }
                Err(e) => results.push(Err(FailedEntry {
                    index,
                    code: "InternalException".into(),
                    message: format!("the envelope could not be serialised: {e}"),
                })),
            }
        }
        if rows.is_empty() {
            return Ok(results);
        }
        // Group commit: puts that arrive while a commit is being synced wait for the next one,
        // which takes them all in one transaction (one fsync); each put still returns only once
        // its own events are durable.
        let seqs = self
            .inner
            .commits
            .submit(rows)
            .await
            .map_err(|e| PublishError::Unavailable(format!("the event log's {e}")))?
            .map_err(PublishError::Unavailable)?;
        for (accepted, seq) in results.iter_mut().flatten().zip(seqs) {
            accepted.seq = seq;
        }
        self.inner.wake.send_modify(bump);
        Ok(results)
    }

    /// Starts a dispatcher for every route whose target is registered. A route without one is
    /// logged and left waiting: its cursor stays put and its events wait in the log. Takes the
    /// data directory's lock file, so two processes never deliver from one log. Call it inside a
    /// Tokio runtime; stop with [`shutdown`](Self::shutdown).
    pub async fn start(&self, targets: &TargetRegistry) -> Result<StartReport, BusError> {
        let mut running = self
            .inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if running.is_some() {
            return Err(BusError::AlreadyStarted);
        }
        let lock = self.lock_data_dir()?;
        self.inner.shutdown.send_replace(false);
        let mut report = StartReport::default();
        let mut tasks = Vec::new();
        for (index, route) in self.inner.routes.iter().enumerate() {
            let Some(target) = targets.resolve(&route.route) else {
                tracing::warn!(
                    route = route.name(),
                    target_kind = route.route.target.kind,
                    target_name = route.route.target.name,
                    "no target registered for this route; its events wait in the log until one is"
                );
                report.waiting.push(route.name().to_string());
                continue;
            };
            let dispatcher = dispatch::Dispatcher::new(self.inner.clone(), index, target);
            tasks.push(tokio::spawn(dispatcher.run()));
            report.delivering.push(route.name().to_string());
        }
        tracing::info!(
            bus = self.inner.bus_name,
            db = %self.inner.store.path().display(),
            delivering = ?report.delivering,
            waiting = ?report.waiting,
            "event bus started"
        );
        *running = Some(Running {
            tasks,
            routes: report.delivering.clone(),
            _lock: lock,
        });
        Ok(report)
    }

    fn lock_data_dir(&self) -> Result<File, BusError> {
        let path = self.inner.data_dir.join(LOCK_FILE);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|error| BusError::DataDir {
                path: path.display().to_string(),
                error,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(BusError::Locked {
                path: path.display().to_string(),
            }),
            Err(std::fs::TryLockError::Error(error)) => Err(BusError::DataDir {
                path: path.display().to_string(),
                error,
            }),
        }
    }

    /// Waits until every delivering route's cursor is at the log's head and no replay, redrive
    /// or retry is pending for it. Routes without a target are not waited for. Returns at once
    /// when the bus is not started.
    pub async fn wait_idle(&self, timeout: Duration) -> Result<(), BusError> {
        let routes = match &*self
            .inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
        {
            Some(running) => running.routes.clone(),
            None => return Ok(()),
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let mut progress = self.inner.progress.subscribe();
        loop {
            progress.borrow_and_update();
            let state = self.blocking(Store::progress).await?;
            let lagging: Vec<String> = routes
                .iter()
                .filter_map(|route| {
                    let behind = state.head - state.cursors.get(route).copied().unwrap_or(0);
                    let queued = state.queued.get(route).copied().unwrap_or(0);
                    (behind > 0 || queued > 0).then(|| {
                        format!("{route} is {behind} event(s) behind with {queued} redelivery(ies) queued")
                    })
                })
                .collect();
            if lagging.is_empty() {
                return Ok(());
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(BusError::NotIdle {
                    waited: timeout,
                    lagging: lagging.join("; "),
                });
            }
            // Woken by progress; the short cap also notices work finished by another process.
            let nap = (deadline - now).min(Duration::from_millis(100));
            let _ = tokio::time::timeout(nap, progress.changed()).await;
        }
    }

    /// Stops the dispatchers: an attempt in flight gets `shutdown_grace` to finish, retries
    /// waiting for their backoff are abandoned (they resume on the next start), then the lock
    /// file is released. Idempotent.
    pub async fn shutdown(&self) -> Result<(), BusError> {
        let running = self
            .inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(running) = running else {
            return Ok(());
        };
        self.inner.shutdown.send_replace(true);
        let mut failure = None;
        for task in running.tasks {
            if let Err(e) = task.await {
                failure.get_or_insert(BusError::Task(e.to_string()));
            }
        }
        tracing::info!(bus = self.inner.bus_name, "event bus stopped");
        failure.map_or(Ok(()), Err)
    }

    /// Runs a store operation off the async threads (commits wait for fsync).
    async fn blocking<T, F>(&self, f: F) -> Result<T, BusError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, BusError> + Send + 'static,
    {
        blocking(&self.inner, f).await
    }
}

/// Appends the puts waiting together in one transaction (one fsync) and splits the sequence
/// numbers back per put.
fn commit_puts(store: &Store, puts: Vec<Vec<NewEvent>>) -> Vec<Result<Vec<i64>, String>> {
    let sizes: Vec<usize> = puts.iter().map(Vec::len).collect();
    let rows: Vec<NewEvent> = puts.into_iter().flatten().collect();
    match store.append(&rows) {
        Ok(seqs) => {
            let mut seqs = seqs.into_iter();
            sizes
                .into_iter()
                .map(|n| Ok(seqs.by_ref().take(n).collect()))
                .collect()
        }
        Err(e) => vec![Err(e.to_string()); sizes.len()],
    }
}

async fn blocking<T, F>(inner: &Arc<Inner>, f: F) -> Result<T, BusError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, BusError> + Send + 'static,
{
    let inner = inner.clone();
    tokio::task::spawn_blocking(move || f(&inner.store))
        .await
        .map_err(|e| BusError::Task(e.to_string()))?
}

fn bump(n: &mut u64) {
    *n = n.wrapping_add(1);
}

/// EventBridge's per-entry checks, with its error codes.
fn validate(index: usize, entry: &OutgoingEvent) -> Result<(), FailedEntry> {
    let refuse = |code: &str, message: String| FailedEntry {
        index,
        code: code.into(),
        message,
    };
    if entry.source.trim().is_empty() {
        return Err(refuse(
            "InvalidArgument",
            "Parameter Source is not valid. Reason: Source is a required argument.".into(),
        ));
    }
    if entry.detail_type.trim().is_empty() {
        return Err(refuse(
            "InvalidArgument",
            "Parameter DetailType is not valid. Reason: DetailType is a required argument.".into(),
        ));
    }
    if !entry.detail.is_object() {
        return Err(refuse(
            "MalformedDetail",
            "Detail is malformed: it must be a JSON object.".into(),
        ));
    }
    let size = entry.entry_size();
    if size > MAX_PUT_EVENTS_BYTES {
        return Err(refuse(
            "InvalidArgument",
            format!(
                "the entry is {size} bytes; the limit is {MAX_PUT_EVENTS_BYTES} bytes (256 KB) \
                 — put large payloads in the blob store and send their key"
            ),
        ));
    }
    Ok(())
}

#[async_trait]
impl EventPublisher for SqliteBus {
    async fn put(&self, events: &[OutgoingEvent]) -> Result<PutOutcome, PublishError> {
        let results = self.put_entries(events).await?;
        Ok(PutOutcome {
            failed: results.into_iter().filter_map(Result::err).collect(),
        })
    }
}

#[cfg(test)]
mod tests;
