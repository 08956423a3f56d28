//! [`XPoster`] for a machine without X credentials: each reply is written to the data directory's
//! outbox as JSON, with its images beside it, instead of being posted.

use std::path::PathBuf;

use async_trait::async_trait;
use serde_json::json;
use starling_core::ports::{XError, XPoster};

/// Writes replies under `dir` (`<post id>.json`, images under `media/`).
#[derive(Debug, Clone)]
pub struct OutboxPoster {
    dir: PathBuf,
}

impl OutboxPoster {
    /// An outbox in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Where the uploaded images are kept.
    pub fn media_dir(&self) -> PathBuf {
        self.dir.join("media")
    }

    fn media_path(&self, id: &str) -> Option<PathBuf> {
        std::fs::read_dir(self.media_dir())
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.file_stem().is_some_and(|s| s == id))
    }
}

fn io(e: std::io::Error) -> XError {
    XError::Unavailable(format!("outbox: {e}"))
}

/// Writes `bytes` to `dir/name`, creating `dir` if needed, in one trip to the blocking pool
/// (rather than one per call, as `tokio::fs` makes them).
async fn write_file(dir: PathBuf, name: String, bytes: Vec<u8>) -> Result<(), XError> {
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)
    })
    .await
    .map_err(|e| XError::Unavailable(format!("outbox: {e}")))?
    .map_err(io)
}

#[async_trait]
impl XPoster for OutboxPoster {
    async fn upload_media(&self, bytes: Vec<u8>, mime: &str) -> Result<String, XError> {
        let id = format!("local-media-{}", uuid::Uuid::new_v4().simple());
        let ext = match mime {
            "image/png" => "png",
            "image/gif" => "gif",
            "image/webp" => "webp",
            _ => "jpg",
        };
        write_file(self.media_dir(), format!("{id}.{ext}"), bytes).await?;
        Ok(id)
    }

    async fn post_reply(
        &self,
        text: &str,
        in_reply_to: &str,
        media_ids: &[String],
    ) -> Result<String, XError> {
        let id = format!("local-{}", uuid::Uuid::new_v4().simple());
        let media: Vec<String> = media_ids
            .iter()
            .map(|m| {
                self.media_path(m)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| m.clone())
            })
            .collect();
        let reply = json!({
            "PostId": id,
            "InReplyToTweetId": in_reply_to,
            "Text": text,
            "Media": media,
            "WrittenAt": chrono::Utc::now().to_rfc3339(),
        });
        let body =
            serde_json::to_vec_pretty(&reply).map_err(|e| XError::Unavailable(e.to_string()))?;
        write_file(self.dir.clone(), format!("{id}.json"), body).await?;
        tracing::info!(post = %id, in_reply_to, "reply written to the outbox (no X credentials set)");
        Ok(id)
    }

    /// The outbox's own record: a reply to `in_reply_to` written at or after `since`.
    async fn find_reply(
        &self,
        in_reply_to: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<String>, XError> {
        let mut entries = match tokio::fs::read_dir(&self.dir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        while let Some(entry) = entries.next_entry().await.map_err(io)? {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            // A file cut short by a crash is not a reply.
            let Ok(bytes) = tokio::fs::read(&path).await else {
                continue;
            };
            let Ok(reply) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                continue;
            };
            let written = reply["WrittenAt"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            if reply["InReplyToTweetId"] == in_reply_to
                && written.is_some_and(|t| t >= since)
                && let Some(id) = reply["PostId"].as_str()
            {
                return Ok(Some(id.to_string()));
            }
        }
        Ok(None)
    }

    /// Writes `reposts/<post id>.json`: one file per post, as X keeps one repost per post, so a
    /// repeated repost answers the first one's id.
    async fn repost(&self, post_id: &str) -> Result<Option<String>, XError> {
        if post_id.is_empty() || !post_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(XError::Rejected {
                status: 400,
                title: "Invalid Request".into(),
                detail: format!("{post_id:?} is not a post id"),
            });
        }
        let dir = self.dir.join("reposts");
        let path = dir.join(format!("{post_id}.json"));
        if let Ok(bytes) = tokio::fs::read(&path).await
            && let Ok(earlier) = serde_json::from_slice::<serde_json::Value>(&bytes)
            && let Some(id) = earlier["RepostId"].as_str()
        {
            return Ok(Some(id.to_string()));
        }
        let id = format!("local-repost-{}", uuid::Uuid::new_v4().simple());
        let record = json!({
            "RepostId": id,
            "PostId": post_id,
            "WrittenAt": chrono::Utc::now().to_rfc3339(),
        });
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        let body =
            serde_json::to_vec_pretty(&record).map_err(|e| XError::Unavailable(e.to_string()))?;
        tokio::fs::write(&path, body).await.map_err(io)?;
        tracing::info!(post = post_id, repost = %id, "repost written to the outbox (no X credentials set)");
        Ok(Some(id))
    }
}
