//! [`HttpFetcher`] on reqwest: one request, redirects not followed (the core checks every hop),
//! the body read in chunks and cut off past the limit.

use std::time::Duration;

use async_trait::async_trait;
use starling_core::analysis::media::{FetchError, Fetched, HttpFetcher};

/// Fetches media over HTTP(S) with a timeout.
#[derive(Debug, Clone)]
pub struct ReqwestFetcher {
    /// The client, or why it could not be built. Never a default client: that one follows
    /// redirects, which would skip the core's allow-list check on every hop.
    client: Result<reqwest::Client, String>,
}

impl ReqwestFetcher {
    /// A fetcher whose requests time out after `timeout`. Should the HTTP client fail to build
    /// (no TLS backend), every fetch fails with that reason instead.
    pub fn new(timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()
            .map_err(|e| format!("the HTTP client could not be built: {e}"));
        Self { client }
    }
}

#[async_trait]
impl HttpFetcher for ReqwestFetcher {
    async fn get(&self, url: &str, max_bytes: usize) -> Result<Fetched, FetchError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| FetchError::Transport(e.clone()))?;
        let mut resp = client
            .get(url)
            .send()
            .await
            .map_err(|e| FetchError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if resp.content_length().is_some_and(|n| n > max_bytes as u64) {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| FetchError::Transport(e.to_string()))?
        {
            if body.len() + chunk.len() > max_bytes {
                return Err(FetchError::TooLarge { limit: max_bytes });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status,
            location,
            body,
        })
    }
}
