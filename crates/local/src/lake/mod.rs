//! The data lake on one machine: what Firehose, S3, Glue and Athena do on AWS.
//!
//! - [`writer`]: the `lake` route's target. Every event lands as one line of JSON under
//!   `<data dir>/lake/events/detail_type=X/dt=YYYY-MM-DD/hour=HH/`, the S3 layout the CDK
//!   Analytics stack gives Firehose, framed and partitioned by the same core function as the
//!   firehose-transform Lambda (`starling_core::lake::transform_record`).
//! - [`tables`]: the Glue table definitions (`athena/tables/*.json`, shared with CDK) as DuckDB
//!   views over the lake files.
//! - [`engine`]: `starling query` — the SQL in `athena/` (Athena/Trino) run unchanged by DuckDB.

pub mod engine;
pub mod tables;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use starling_contracts::Envelope;

pub use engine::{Format, LakeEngine, QueryError, QueryResult};
pub use tables::{TableDefinition, embedded_tables};
pub use writer::{Appended, LakeConfig, LakeError, LakeWriter};

use crate::bus::{DeliveryError, Target};

/// The lake's directory under the data directory.
pub const LAKE_DIR: &str = "lake";

/// The lake's root for a data directory.
pub fn lake_root(data_dir: &Path) -> PathBuf {
    data_dir.join(LAKE_DIR)
}

/// The `lake` route's target (kind `firehose`): each delivered event appended to the lake and on
/// disk before the delivery is acknowledged. Expired parts are finalised by a background tick;
/// the rest when the last clone of the target is dropped (after the bus shut down).
pub struct LakeTarget {
    writer: Arc<LakeWriter>,
}

impl LakeTarget {
    /// Opens the lake under `data_dir` (finalising what a crashed run left in progress) and, inside
    /// a Tokio runtime, starts the tick that finalises parts older than the buffer interval.
    pub fn open(data_dir: &Path, config: LakeConfig) -> Result<Self, LakeError> {
        let (writer, _recovered) = LakeWriter::open(lake_root(data_dir), config)?;
        let writer = Arc::new(writer);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let every =
                (config.max_part_age / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
            handle.spawn(tick(Arc::downgrade(&writer), every));
        }
        Ok(Self { writer })
    }

    /// The writer behind the target.
    pub fn writer(&self) -> &Arc<LakeWriter> {
        &self.writer
    }
}

async fn tick(writer: Weak<LakeWriter>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(writer) = writer.upgrade() else {
            return;
        };
        let flushed = tokio::task::spawn_blocking(move || writer.flush_expired()).await;
        if let Ok(Err(e)) = flushed {
            tracing::warn!(error = %e, "lake: finalising expired parts failed (retried next tick)");
        }
    }
}

#[async_trait]
impl Target for LakeTarget {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        let json =
            serde_json::to_vec(event).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let writer = self.writer.clone();
        match tokio::task::spawn_blocking(move || writer.append(&json)).await {
            Ok(Ok(Appended::Event(_))) => Ok(()),
            Ok(Ok(Appended::Failed(reason))) => {
                tracing::warn!(id = %event.id, %reason, "lake: event written to the error prefix");
                Ok(())
            }
            Ok(Err(e)) => Err(DeliveryError::Retryable(e.to_string())),
            Err(e) => Err(DeliveryError::Retryable(format!("lake writer task: {e}"))),
        }
    }
}

/// The `lake` route's target for `local_targets`, with the default buffering.
pub fn local_lake_target(data_dir: &Path) -> Result<Arc<dyn Target>, LakeError> {
    Ok(Arc::new(LakeTarget::open(data_dir, LakeConfig::default())?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn in_progress(root: &Path) -> usize {
        writer::files_under(root)
            .unwrap()
            .iter()
            .filter(|p| p.to_string_lossy().ends_with(writer::IN_PROGRESS_SUFFIX))
            .count()
    }

    #[tokio::test]
    async fn deliveries_are_appended_expired_parts_finalised_by_the_tick_and_the_rest_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let config = LakeConfig {
            max_part_age: Duration::from_millis(100),
            ..LakeConfig::default()
        };
        let target = LakeTarget::open(dir.path(), config).unwrap();
        let event: Envelope = serde_json::from_value(serde_json::json!({
            "version": "0", "id": "e1", "detail-type": "TWEET_SENT", "source": "starling.egress",
            "account": "000000000000", "time": "2026-11-23T10:00:00Z", "region": "local",
            "resources": [], "detail": {"ReplyToTweetId": "1"}
        }))
        .unwrap();
        target.deliver(&event).await.unwrap();
        let root = lake_root(dir.path());
        assert_eq!(in_progress(&root), 1);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(in_progress(&root), 0, "the tick finalised the expired part");

        target.deliver(&event).await.unwrap();
        assert_eq!(in_progress(&root), 1);
        drop(target);
        // The tick may hold the writer for a moment; the part is younger than the interval, so
        // only the drop can finalise it.
        for _ in 0..8 {
            if in_progress(&root) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            in_progress(&root),
            0,
            "dropping the target flushed the lake"
        );
        let lines: usize = writer::files_under(&root.join("events/detail_type=TWEET_SENT"))
            .unwrap()
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap().lines().count())
            .sum();
        assert_eq!(
            lines, 2,
            "at least once: the same event delivered twice is there twice"
        );
    }
}
