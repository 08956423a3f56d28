//! [`Notifier`] on one machine: every alert is appended to `<data dir>/alerts.jsonl` and, when a
//! webhook URL is set (`STARLING_ALERT_WEBHOOK_URL`), POSTed as a Slack-compatible `{"text": …}`.
//! Delivery is at least once, like SNS: a retried event may append or post the same alert again.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use starling_core::ports::{Alert, Notifier, NotifyError};
use tokio::io::AsyncWriteExt;

/// Environment variable: a Slack-compatible incoming-webhook URL for alerts.
pub const ALERT_WEBHOOK_URL: &str = "STARLING_ALERT_WEBHOOK_URL";

/// Alerts to a file, and optionally to a webhook.
#[derive(Debug, Clone)]
pub struct FileNotifier {
    path: PathBuf,
    webhook: Option<String>,
    client: reqwest::Client,
}

impl FileNotifier {
    /// Appends to `path`; also POSTs to `webhook` when given.
    pub fn new(path: impl Into<PathBuf>, webhook: Option<String>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            path: path.into(),
            webhook,
            client,
        }
    }
}

#[async_trait]
impl Notifier for FileNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), NotifyError> {
        let attributes: serde_json::Map<String, serde_json::Value> = alert
            .attributes
            .iter()
            .map(|(k, v, _)| (k.clone(), json!(v)))
            .collect();
        let line = json!({
            "Time": chrono::Utc::now().to_rfc3339(),
            "Subject": alert.subject,
            "Message": alert.message,
            "Attributes": attributes,
        });
        if let Some(dir) = self.path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| NotifyError(format!("{}: {e}", dir.display())))?;
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(|e| NotifyError(format!("{}: {e}", self.path.display())))?;
        file.write_all(format!("{line}\n").as_bytes())
            .await
            .map_err(|e| NotifyError(format!("{}: {e}", self.path.display())))?;
        if let Some(url) = &self.webhook {
            let text = format!("*{}*\n{}", alert.subject, alert.message);
            let resp = self
                .client
                .post(url)
                .json(&json!({ "text": text }))
                .send()
                .await
                .map_err(|e| NotifyError(format!("alert webhook unreachable: {e}")))?;
            if !resp.status().is_success() {
                return Err(NotifyError(format!(
                    "alert webhook answered {}",
                    resp.status()
                )));
            }
        }
        Ok(())
    }
}
