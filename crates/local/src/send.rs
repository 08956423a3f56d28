//! `starling send`: deliver a payload to a webhook exactly as X would (signed with the consumer
//! secret), or run X's CRC check against it.

use std::time::Duration;

use starling_x::webhook;

/// Why sending failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server could not be reached.
    #[error("could not reach {url}: {source}")]
    Unreachable {
        /// The webhook URL.
        url: String,
        /// The client's error.
        source: reqwest::Error,
    },
    /// The CRC answer was wrong or missing.
    #[error("CRC check failed: {0}")]
    CrcMismatch(String),
}

/// The server's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body text.
    pub body: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}

/// POSTs `body` to `url` with X's signature header.
pub async fn send_delivery(
    url: &str,
    consumer_secret: &[u8],
    body: Vec<u8>,
) -> Result<Answer, SendError> {
    let signature = webhook::sign(consumer_secret, &body);
    let resp = client()
        .post(url)
        .header(webhook::SIGNATURE_HEADER, signature)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|source| SendError::Unreachable {
            url: url.into(),
            source,
        })?;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    Ok(Answer { status, body })
}

/// Performs X's CRC check: GET `?crc_token=…&nonce=…` and verify the `response_token`.
pub async fn crc_check(url: &str, consumer_secret: &[u8]) -> Result<Answer, SendError> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let sep = if url.contains('?') { '&' } else { '?' };
    let resp = client()
        .get(format!("{url}{sep}crc_token={token}&nonce=starling"))
        .send()
        .await
        .map_err(|source| SendError::Unreachable {
            url: url.into(),
            source,
        })?;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    let expected = webhook::sign(consumer_secret, token.as_bytes());
    let got = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("response_token")
                .and_then(|t| t.as_str())
                .map(str::to_string)
        });
    match got {
        Some(t) if status == 200 && t == expected => Ok(Answer { status, body }),
        _ => Err(SendError::CrcMismatch(format!(
            "status {status}, body {body}"
        ))),
    }
}
