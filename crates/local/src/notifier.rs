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
            let text = format!(
                "*{}*\n{}",
                slack_escape(&alert.subject),
                slack_escape(&alert.message)
            );
            // The webhook URL is a credential (anyone holding it can post to the channel): it is
            // never put in an error, which reaches logs and dead letters.
            let resp = self
                .client
                .post(url)
                .json(&json!({ "text": text }))
                .send()
                .await
                .map_err(|e| {
                    NotifyError(format!("alert webhook unreachable: {}", e.without_url()))
                })?;
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

/// A post's text made inert for Slack's `text`: `&`, `<` and `>` escaped as Slack documents, so a
/// post cannot ping `<!channel>` or disguise a link as `<https://evil|your bank>`.
pub fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mentions_and_disguised_links_in_a_post_are_inert() {
        assert_eq!(
            slack_escape("hey <!channel> see <https://evil.example|your bank> & more"),
            "hey &lt;!channel&gt; see &lt;https://evil.example|your bank&gt; &amp; more"
        );
    }

    #[tokio::test]
    async fn an_unreachable_webhook_is_reported_without_its_url() {
        let dir = tempfile::tempdir().unwrap();
        let secret_path = "/services/T000/B000/s3cr3t-token";
        let notifier = FileNotifier::new(
            dir.path().join("alerts.jsonl"),
            Some(format!("http://127.0.0.1:9{secret_path}")),
        );
        let alert = Alert {
            subject: "s".into(),
            message: "m".into(),
            attributes: vec![],
        };
        let err = notifier.notify(&alert).await.unwrap_err();
        assert!(err.0.contains("alert webhook unreachable"), "{err}");
        assert!(!err.0.contains("s3cr3t"), "{err}");
        assert!(!err.0.contains("127.0.0.1:9"), "{err}");
    }
}
