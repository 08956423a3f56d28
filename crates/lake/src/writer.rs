//! The lake writer: Firehose's buffering and S3 layout on a local disk, without its window of loss.
//!
//! Each event is appended to an in-progress part of its partition
//! (`events/detail_type=X/dt=YYYY-MM-DD/hour=HH/.<part>.json.inprogress`) and synced before
//! [`LakeWriter::append`] returns, so what the bus acknowledges (it moves the route's cursor only
//! after the target returned `Ok`) survives `kill -9` and a power cut. A part is *finalised* —
//! renamed to `starling-lake-1-<YYYY-MM-DD-HH-MM-SS>-<id>.json`, as Firehose names its objects —
//! when it reaches the size limit, when it is older than the buffer interval, and on close.
//! Opening the writer finalises what a crashed run left in progress, cutting a torn last line
//! (a write the crash interrupted, so never acknowledged: the bus delivers it again).
//!
//! Delivery is at least once, as with Firehose: an event appended just before a crash, whose
//! cursor had not moved yet, is appended again after the restart. Count `DISTINCT id` where
//! duplicates matter.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use starling_contracts::Envelope;
use starling_core::lake::{LakeRecord, RecordError, transform_envelope, transform_record};

/// The prefix every event lands under, as on S3 (`LAKE_PREFIX` in the CDK Analytics stack).
pub const EVENTS_PREFIX: &str = "events";
/// Where records the transform refused land (Firehose's error prefix).
pub const ERRORS_PREFIX: &str = "errors";
/// The suffix of parts still being written.
pub const IN_PROGRESS_SUFFIX: &str = ".json.inprogress";
/// The lock file that keeps a second writer out of the lake.
pub const LOCK_FILE: &str = "writer.lock";

/// When parts are finalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LakeConfig {
    /// A part is finalised once it holds this many bytes (Firehose's `SizeInMBs`).
    pub max_part_bytes: u64,
    /// A part is finalised once it is this old (Firehose's `IntervalInSeconds`).
    pub max_part_age: Duration,
    /// Sync each append to disk before acknowledging it (survives a power cut, not only a crash).
    pub sync: bool,
}

impl Default for LakeConfig {
    fn default() -> Self {
        Self {
            max_part_bytes: 8 * 1024 * 1024,
            max_part_age: Duration::from_secs(60),
            sync: true,
        }
    }
}

/// Why the lake could not take an event.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// Disk I/O failed (the bus retries the delivery).
    #[error("lake {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Another process writes this lake.
    #[error(
        "another starling process is writing the lake in {0} (one `starling up` per data directory)"
    )]
    Locked(PathBuf),
    /// The writer was closed.
    #[error("the lake writer is closed")]
    Closed,
    /// The event could not be serialised (never happens for an `Envelope`).
    #[error("event not serialisable: {0}")]
    Serialise(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LakeError + '_ {
    move |source| LakeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where an appended event went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// Into its partition, below `events/`.
    Event(String),
    /// Refused by the transform (the reason), into `errors/processing-failed/`.
    Failed(String),
}

struct OpenPart {
    path: PathBuf,
    file: File,
    bytes: u64,
    opened: Instant,
}

#[derive(Default)]
struct State {
    /// In-progress parts by directory below the lake root.
    open: HashMap<String, OpenPart>,
    closed: bool,
}

/// Appends events to the lake under a data directory (see the module docs).
pub struct LakeWriter {
    root: PathBuf,
    config: LakeConfig,
    state: Mutex<State>,
    _lock: File,
}

impl std::fmt::Debug for LakeWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LakeWriter")
            .field("root", &self.root)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LakeWriter {
    /// Opens the lake rooted at `root` (`<data dir>/lake`), creating it, taking its writer lock,
    /// and finalising parts a crashed run left in progress. Returns how many it finalised.
    pub fn open(root: impl Into<PathBuf>, config: LakeConfig) -> Result<(Self, usize), LakeError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(io(&root))?;
        let lock_path = root.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(LakeError::Locked(root)),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
        }
        let recovered = recover(&root, config.sync)?;
        Ok((
            Self {
                root,
                config,
                state: Mutex::default(),
                _lock: lock,
            },
            recovered,
        ))
    }

    /// The lake's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Appends one event (its JSON as EventBridge delivers it); returns once it is on disk.
    /// A record the transform refuses goes to the error prefix instead, as with Firehose.
    pub fn append(&self, event_json: &[u8]) -> Result<Appended, LakeError> {
        let (dir, line, outcome) = match transform_record(event_json) {
            Ok(record) => placed(record),
            Err(e) => {
                let (dir, line) = error_record(event_json, &e, Utc::now())?;
                (dir, line, Appended::Failed(e.to_string()))
            }
        };
        self.write(dir, line, outcome)
    }

    /// [`LakeWriter::append`] for an event in memory (what the local bus delivers): serialised once.
    pub fn append_event(&self, event: &Envelope) -> Result<Appended, LakeError> {
        self.append_framed(Framed::event(event)?)
    }

    /// Appends an event framed beforehand (off the writer's thread); returns once it is on disk.
    pub fn append_framed(&self, framed: Framed) -> Result<Appended, LakeError> {
        self.write(framed.dir, framed.line, framed.outcome)
    }

    /// Appends events framed beforehand, in order, with one `fdatasync` per part they went to
    /// (group commit): returns once every one is on disk. On an error none is acknowledged (the
    /// bus delivers them again one by one), so a line written before the failure may be written
    /// twice — the lake is at least once, as Firehose is.
    pub fn append_framed_all(&self, framed: Vec<Framed>) -> Result<Vec<Appended>, LakeError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.closed {
            return Err(LakeError::Closed);
        }
        let mut touched: Vec<String> = Vec::new();
        let mut outcomes = Vec::with_capacity(framed.len());
        for Framed { dir, line, outcome } in framed {
            let part = match state.open.get_mut(&dir) {
                Some(part) => part,
                None => {
                    let part = self.new_part(&dir)?;
                    state.open.entry(dir.clone()).or_insert(part)
                }
            };
            if let Err(source) = write_line(part, &line) {
                let path = part.path.clone();
                self.abandon(&mut state, &dir);
                return Err(LakeError::Io { path, source });
            }
            if !touched.contains(&dir) {
                touched.push(dir);
            }
            outcomes.push(outcome);
        }
        for dir in &touched {
            let Some(part) = state.open.get_mut(dir) else {
                continue;
            };
            if self.config.sync
                && let Err(source) = part.file.sync_data()
            {
                let path = part.path.clone();
                self.abandon(&mut state, dir);
                return Err(LakeError::Io { path, source });
            }
            if part.bytes >= self.config.max_part_bytes
                && let Some(part) = state.open.remove(dir)
            {
                finalise(&self.root, part.path, self.config.sync)?;
            }
        }
        Ok(outcomes)
    }

    /// Finalises a part a failed write may have left ending in a torn line (the tear is cut), so
    /// the retry starts a clean part.
    fn abandon(&self, state: &mut State, dir: &str) {
        if let Some(part) = state.open.remove(dir) {
            let _ = finalise(&self.root, part.path, self.config.sync);
        }
    }

    /// One framed line: a group commit of one.
    fn write(&self, dir: String, line: Vec<u8>, outcome: Appended) -> Result<Appended, LakeError> {
        let mut outcomes = self.append_framed_all(vec![Framed { dir, line, outcome }])?;
        outcomes
            .pop()
            .ok_or_else(|| LakeError::Serialise("the group commit returned no outcome".into()))
    }

    /// Finalises the parts older than the buffer interval; returns how many.
    pub fn flush_expired(&self) -> Result<usize, LakeError> {
        self.flush_where(|part| part.opened.elapsed() >= self.config.max_part_age)
    }

    /// Finalises every open part (the buffer flushed); the writer stays usable.
    pub fn flush(&self) -> Result<usize, LakeError> {
        self.flush_where(|_| true)
    }

    /// Flushes and refuses further appends.
    pub fn close(&self) -> Result<usize, LakeError> {
        let n = self.flush()?;
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .closed = true;
        Ok(n)
    }

    fn flush_where(&self, due: impl Fn(&OpenPart) -> bool) -> Result<usize, LakeError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let dirs: Vec<String> = state
            .open
            .iter()
            .filter(|(_, p)| due(p))
            .map(|(d, _)| d.clone())
            .collect();
        let mut n = 0;
        for dir in dirs {
            if let Some(part) = state.open.remove(&dir) {
                drop(part.file);
                finalise(&self.root, part.path, self.config.sync)?;
                n += 1;
            }
        }
        Ok(n)
    }

    fn new_part(&self, dir: &str) -> Result<OpenPart, LakeError> {
        let dir_path = self.root.join(dir);
        std::fs::create_dir_all(&dir_path).map_err(io(&dir_path))?;
        let path = dir_path.join(format!(".{}{IN_PROGRESS_SUFFIX}", part_name(Utc::now())));
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        if self.config.sync {
            sync_dir(&dir_path)?;
        }
        Ok(OpenPart {
            path,
            file,
            bytes: 0,
            opened: Instant::now(),
        })
    }
}

impl Drop for LakeWriter {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::warn!(error = %e, "lake: parts left in progress (finalised at the next start)");
        }
    }
}

/// `starling-lake-1-<YYYY-MM-DD-HH-MM-SS>-<random>`: Firehose's object name pattern.
fn part_name(now: DateTime<Utc>) -> String {
    format!(
        "starling-lake-1-{}-{}",
        now.format("%Y-%m-%d-%H-%M-%S"),
        uuid::Uuid::new_v4().simple()
    )
}

fn write_line(part: &mut OpenPart, line: &[u8]) -> std::io::Result<()> {
    // One write of the whole line (the file is in append mode); the caller syncs the group.
    part.file.write_all(line)?;
    part.bytes += line.len() as u64;
    Ok(())
}

/// An event framed for the lake (its partition and line, or its error-prefix record), ready for
/// [`LakeWriter::append_framed`]: the CPU work done before the blocking write.
#[derive(Debug)]
pub struct Framed {
    dir: String,
    line: Vec<u8>,
    outcome: Appended,
}

impl Framed {
    /// Frames `event` by the lake's one rule (`starling_core::lake`).
    pub fn event(event: &Envelope) -> Result<Self, LakeError> {
        let (dir, line, outcome) = match transform_envelope(event) {
            Ok(record) => placed(record),
            Err(e) => {
                let raw =
                    serde_json::to_vec(event).map_err(|e| LakeError::Serialise(e.to_string()))?;
                let (dir, line) = error_record(&raw, &e, Utc::now())?;
                (dir, line, Appended::Failed(e.to_string()))
            }
        };
        Ok(Self { dir, line, outcome })
    }
}

/// Where an accepted record goes: its partition directory, its line, and what to report.
fn placed(LakeRecord { data, keys }: LakeRecord) -> (String, Vec<u8>, Appended) {
    let dir = format!("{EVENTS_PREFIX}/{}", keys.prefix());
    (dir.clone(), data, Appended::Event(dir))
}

/// The error-prefix line for a refused record, shaped like Firehose's (`rawData` is base64).
fn error_record(
    raw: &[u8],
    error: &RecordError,
    now: DateTime<Utc>,
) -> Result<(String, Vec<u8>), LakeError> {
    use base64::Engine;
    let record = serde_json::json!({
        "attemptsMade": 1,
        "arrivalTimestamp": now.timestamp_millis(),
        "errorCode": "Lambda.ProcessingFailed",
        "errorMessage": error.to_string(),
        "attemptEndingTimestamp": now.timestamp_millis(),
        "rawData": base64::engine::general_purpose::STANDARD.encode(raw),
    });
    let mut line = serde_json::to_vec(&record).map_err(|e| LakeError::Serialise(e.to_string()))?;
    line.push(b'\n');
    Ok((
        format!(
            "{ERRORS_PREFIX}/processing-failed/dt={}/",
            now.format("%Y-%m-%d")
        ),
        line,
    ))
}

/// Renames an in-progress part to its final name, first cutting a torn last line; an empty part
/// is removed.
fn finalise(root: &Path, path: PathBuf, sync: bool) -> Result<(), LakeError> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    let len = file.metadata().map_err(io(&path))?.len();
    let keep = complete_lines_len(&mut file, len).map_err(io(&path))?;
    if keep < len {
        file.set_len(keep).map_err(io(&path))?;
        if sync {
            file.sync_data().map_err(io(&path))?;
        }
    }
    drop(file);
    let dir = path.parent().unwrap_or(root).to_path_buf();
    if keep == 0 {
        std::fs::remove_file(&path).map_err(io(&path))?;
    } else {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix('.'))
            .and_then(|n| n.strip_suffix(IN_PROGRESS_SUFFIX))
            .map(|n| format!("{n}.json"))
            .unwrap_or_else(|| format!("{}.json", part_name(Utc::now())));
        let target = dir.join(name);
        std::fs::rename(&path, &target).map_err(io(&target))?;
    }
    if sync {
        sync_dir(&dir)?;
    }
    Ok(())
}

/// The length of the file up to and including its last `\n`.
fn complete_lines_len(file: &mut File, len: u64) -> std::io::Result<u64> {
    let mut end = len;
    let mut buf = [0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

fn sync_dir(dir: &Path) -> Result<(), LakeError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// Every in-progress part under `root`, finalised.
fn recover(root: &Path, sync: bool) -> Result<usize, LakeError> {
    let mut n = 0;
    for path in files_under(root)? {
        let in_progress = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.') && n.ends_with(IN_PROGRESS_SUFFIX));
        if in_progress {
            finalise(root, path, sync)?;
            n += 1;
        }
    }
    if n > 0 {
        tracing::info!(
            parts = n,
            "lake: finalised parts left in progress by the last run"
        );
    }
    Ok(n)
}

/// Every file below `dir`, recursively, sorted (none when `dir` does not exist).
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>, LakeError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&d)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io(&d))?;
            let kind = entry.file_type().map_err(io(&d))?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn event(id: &str, detail_type: &str, time: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "version": "0", "id": id, "detail-type": detail_type, "source": "starling.test",
            "account": "000000000000", "time": time, "region": "local", "resources": [],
            "detail": {"N": id}
        }))
        .unwrap()
    }

    fn lines_in(root: &Path, pattern: &str) -> Vec<String> {
        files_under(root)
            .unwrap()
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(pattern))
            .flat_map(|p| {
                std::fs::read_to_string(p)
                    .unwrap()
                    .lines()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn names(root: &Path) -> Vec<String> {
        files_under(root)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .filter(|n| n != LOCK_FILE)
            .collect()
    }

    #[test]
    fn events_land_in_their_partition_in_progress_then_finalised_on_close() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, _) = LakeWriter::open(dir.path(), LakeConfig::default()).unwrap();
        assert_eq!(
            writer
                .append(&event("a", "MESSAGE_RECEIVED", "2026-11-23T07:05:09Z"))
                .unwrap(),
            Appended::Event("events/detail_type=MESSAGE_RECEIVED/dt=2026-11-23/hour=07/".into())
        );
        writer
            .append(&event("b", "MESSAGE_RECEIVED", "2026-11-23T07:59:59Z"))
            .unwrap();
        writer
            .append(&event("c", "TWEET_SENT", "2026-11-23T08:00:00Z"))
            .unwrap();
        let before = names(dir.path());
        assert_eq!(before.len(), 2, "{before:?}");
        assert!(
            before.iter().all(|n| n.ends_with(IN_PROGRESS_SUFFIX)),
            "{before:?}"
        );
        assert_eq!(
            lines_in(dir.path(), "hour=07").len(),
            2,
            "appended before close"
        );

        assert_eq!(writer.close().unwrap(), 2);
        let after = names(dir.path());
        assert_eq!(after.len(), 2, "{after:?}");
        for name in &after {
            let file = name.rsplit('/').next().unwrap();
            assert!(
                file.starts_with("starling-lake-1-") && file.ends_with(".json"),
                "{name}"
            );
        }
        let hour7 = lines_in(dir.path(), "hour=07");
        assert_eq!(hour7.len(), 2);
        assert!(hour7[0].contains(r#""id":"a""#) && hour7[1].contains(r#""id":"b""#));
        assert!(matches!(
            writer.append(&event("d", "X", "2026-11-23T08:00:00Z")),
            Err(LakeError::Closed)
        ));
    }

    fn framed(id: &str, detail_type: &str, time: &str) -> Framed {
        let envelope: Envelope = serde_json::from_slice(&event(id, detail_type, time)).unwrap();
        Framed::event(&envelope).unwrap()
    }

    #[test]
    fn a_group_commit_lands_every_event_in_order_in_its_partition_and_rotates_full_parts() {
        let dir = tempfile::tempdir().unwrap();
        let config = LakeConfig {
            max_part_bytes: 4_000,
            ..LakeConfig::default()
        };
        let (writer, _) = LakeWriter::open(dir.path(), config).unwrap();
        let batch: Vec<Framed> = (0..60)
            .map(|i| {
                let kind = if i % 3 == 0 {
                    "TWEET_SENT"
                } else {
                    "MESSAGE_RECEIVED"
                };
                framed(&format!("e{i:02}"), kind, "2026-11-23T07:05:09Z")
            })
            .collect();
        let outcomes = writer.append_framed_all(batch).unwrap();
        assert_eq!(outcomes.len(), 60);
        assert!(outcomes.iter().all(|o| matches!(o, Appended::Event(_))));
        let received = lines_in(dir.path(), "MESSAGE_RECEIVED");
        let sent = lines_in(dir.path(), "TWEET_SENT");
        assert_eq!((received.len(), sent.len()), (40, 20));
        // In order within the partition, each exactly once.
        let ids: Vec<String> = sent
            .iter()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        // 40 events of ~250 bytes passed the 4,000-byte limit: that part was finalised after the
        // commit, the smaller one is still in progress.
        let finals: Vec<String> = names(dir.path())
            .into_iter()
            .filter(|n| n.ends_with(".json"))
            .collect();
        assert_eq!(finals.len(), 1, "{finals:?}");
        assert!(finals[0].contains("MESSAGE_RECEIVED"), "{finals:?}");
        writer.close().unwrap();
        assert!(matches!(
            writer.append_framed_all(vec![framed("z", "X", "2026-11-23T08:00:00Z")]),
            Err(LakeError::Closed)
        ));
    }

    #[test]
    fn a_part_is_finalised_at_the_size_limit_and_after_the_buffer_interval() {
        let dir = tempfile::tempdir().unwrap();
        let config = LakeConfig {
            max_part_bytes: 500,
            max_part_age: Duration::from_millis(50),
            sync: false,
        };
        let (writer, _) = LakeWriter::open(dir.path(), config).unwrap();
        for i in 0..5 {
            writer
                .append(&event(&i.to_string(), "BURST", "2026-11-23T07:00:00Z"))
                .unwrap();
        }
        let finals = names(dir.path())
            .into_iter()
            .filter(|n| n.ends_with(".json"))
            .count();
        assert!(finals >= 1, "the size limit finalised a part");
        assert_eq!(writer.flush_expired().unwrap(), 0, "the open part is young");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(writer.flush_expired().unwrap(), 1);
        assert!(names(dir.path()).iter().all(|n| n.ends_with(".json")));
        assert_eq!(lines_in(dir.path(), "BURST").len(), 5);
    }

    #[test]
    fn reopening_finalises_what_a_crash_left_and_cuts_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, _) = LakeWriter::open(dir.path(), LakeConfig::default()).unwrap();
        writer
            .append(&event("a", "BURST", "2026-11-23T07:00:00Z"))
            .unwrap();
        // A crash: the writer's state is lost (no close), and a write was cut mid-line.
        let part = files_under(dir.path())
            .unwrap()
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(IN_PROGRESS_SUFFIX))
            .unwrap();
        std::mem::forget(writer);
        OpenOptions::new()
            .append(true)
            .open(&part)
            .unwrap()
            .write_all(br#"{"version":"0","id":"torn"#)
            .unwrap();
        // The forgotten writer still holds the lock in this process, as a crashed process would
        // not: release it by removing the lock file's inode from under it.
        std::fs::remove_file(dir.path().join(LOCK_FILE)).unwrap();

        let (writer, recovered) = LakeWriter::open(dir.path(), LakeConfig::default()).unwrap();
        assert_eq!(recovered, 1);
        let lines = lines_in(dir.path(), "BURST");
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains(r#""id":"a""#));
        assert!(names(dir.path()).iter().all(|n| n.ends_with(".json")));
        drop(writer);
    }

    #[test]
    fn a_second_writer_on_the_same_lake_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_writer, _) = LakeWriter::open(dir.path(), LakeConfig::default()).unwrap();
        assert!(matches!(
            LakeWriter::open(dir.path(), LakeConfig::default()),
            Err(LakeError::Locked(_))
        ));
    }

    #[test]
    fn a_record_the_transform_refuses_goes_to_the_error_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, _) = LakeWriter::open(dir.path(), LakeConfig::default()).unwrap();
        let bad = event("x", "NOT/A/PARTITION", "2026-11-23T07:00:00Z");
        let Appended::Failed(reason) = writer.append(&bad).unwrap() else {
            panic!("expected a failure")
        };
        assert!(reason.contains("detail-type"), "{reason}");
        writer.close().unwrap();
        let lines = lines_in(dir.path(), "errors/processing-failed/dt=");
        assert_eq!(lines.len(), 1);
        let record: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(record["errorCode"], "Lambda.ProcessingFailed");
        use base64::Engine;
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(record["rawData"].as_str().unwrap())
                .unwrap(),
            bad
        );
        assert!(lines_in(dir.path(), "events/").is_empty());
    }
}
