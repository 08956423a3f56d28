//! Egress: a SEND_TWEET becomes a reply on X, at most once per `IdempotencyKey`.
//!
//! ```text
//! claim key ─ Done ──────────────► the recorded outcome again (TWEET_SENT / TWEET_FAILED), X untouched
//!          ├─ InProgress ────────► retryable error (another delivery is posting)
//!          └─ Claimed ─► read images ─► upload each ─► fit text ─► post reply
//!                          │                 │                        │
//!                          │                 └─ 429, reset ≤ max wait: sleep, retry once
//!                          ├─ permanent (4xx, image missing/too big) ─► complete(Failed) ─► TWEET_FAILED
//!                          ├─ 429 later / 5xx / network ─────────────► release ─► retryable error
//!                          └─ posted ─► complete(Sent) ─► TWEET_SENT
//! ```
//!
//! A duplicate SEND_TWEET publishes its outcome again rather than nothing: if the first delivery
//! crashed between recording the post and publishing TWEET_SENT, the retry still publishes it.
//! Consumers of TWEET_SENT/TWEET_FAILED are idempotent on `IdempotencyKey`.
//!
//! The one window X gives no way to close: if X posts the reply but its answer is lost (timeout),
//! the claim is released and a retry posts again. The lease bounds a crashed attempt: a claim not
//! completed within it can be taken by a later delivery.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use starling_contracts::{
    ErrorKind, OutgoingEvent, ReplySuppressed, SendTweet, SuppressReason, TweetFailed, TweetSent,
    detail_type, source,
};
use starling_x::api::{XApi, XApiError};
use starling_x::oauth::Credentials;
use starling_x::text::fit_reply;

use crate::handler::{DetailHandler, HandlerError};
use crate::ports::{
    BlobError, BlobStore, Claim, Clock, Completion, IdempotencyStore, Secrets, XError, XPoster,
};

/// X attaches at most four images to a post.
pub const MAX_IMAGES: usize = 4;
/// X's limit on an image uploaded for a post: 5 MB.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// Egress's tunables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressConfig {
    /// The longest a 429 is waited out in-process (then retried once); longer resets are deferred
    /// to the caller's retry. Keep it well under the Lambda timeout.
    pub max_rate_limit_wait: Duration,
    /// How long a claim protects a key before another delivery may take it over.
    pub lease: Duration,
    /// Dry run: the poster given is not X (the outbox locally, [`DryRunPoster`] on AWS), and a
    /// reply it took is published as REPLY_SUPPRESSED `dry-run` with its text, not TWEET_SENT.
    pub dry_run: bool,
}

impl Default for EgressConfig {
    fn default() -> Self {
        Self {
            max_rate_limit_wait: Duration::from_secs(10),
            lease: Duration::from_secs(300),
            dry_run: false,
        }
    }
}

/// Why a SEND_TWEET was not settled now. Every variant but `BadInput` is worth retrying later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    /// X is rate limiting beyond the in-process wait; retry after `retry_after` when known.
    #[error("X rate limit: retry{}", retry_after.map(|t| format!(" after {}", t.to_rfc3339())).unwrap_or_else(|| " later".into()))]
    RateLimited {
        /// When X's window resets.
        retry_after: Option<DateTime<Utc>>,
    },
    /// X, the media store or the idempotency store is unavailable, or another delivery of the same
    /// key is in progress.
    #[error("retry later: {0}")]
    Retry(String),
    /// The SEND_TWEET itself is unusable (no idempotency key): retrying will not help.
    #[error("unusable SEND_TWEET: {0}")]
    BadInput(String),
}

impl EgressError {
    /// Whether the caller should deliver the event again later.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// The class of this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::RateLimited { .. } => ErrorKind::Throttled,
            Self::Retry(_) => ErrorKind::Unavailable,
            Self::BadInput(_) => ErrorKind::InvalidInput,
        }
    }
}

impl From<EgressError> for HandlerError {
    fn from(e: EgressError) -> Self {
        HandlerError::new(e.kind(), e)
    }
}

/// The egress route (`SEND_TWEET`): the outcome, TWEET_SENT or TWEET_FAILED, is what it publishes.
#[async_trait]
impl DetailHandler for Egress {
    type Detail = SendTweet;

    fn detail_type(&self) -> &'static str {
        detail_type::SEND_TWEET
    }

    async fn handle(&self, send: SendTweet) -> Result<Vec<OutgoingEvent>, HandlerError> {
        Ok(vec![Egress::handle(self, &send).await?])
    }
}

/// The egress handler.
pub struct Egress {
    x: Arc<dyn XPoster>,
    blobs: Arc<dyn BlobStore>,
    store: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
    config: EgressConfig,
}

/// How one attempt ended before the claim is settled.
enum Attempt {
    Posted(String),
    Refused(String),
    Later(EgressError),
}

impl Egress {
    /// Egress over its ports.
    pub fn new(
        x: Arc<dyn XPoster>,
        blobs: Arc<dyn BlobStore>,
        store: Arc<dyn IdempotencyStore>,
        clock: Arc<dyn Clock>,
        config: EgressConfig,
    ) -> Self {
        Self {
            x,
            blobs,
            store,
            clock,
            config,
        }
    }

    /// Handles one SEND_TWEET and returns the event to publish (TWEET_SENT or TWEET_FAILED).
    pub async fn handle(&self, send: &SendTweet) -> Result<OutgoingEvent, EgressError> {
        let key = send.idempotency_key.trim();
        if key.is_empty() {
            return Err(EgressError::BadInput(format!(
                "reply to {} has no IdempotencyKey",
                send.reply_to_tweet_id
            )));
        }
        if let Some(reason) = refusal_before_x(send) {
            tracing::warn!(key, reason, "SEND_TWEET refused without calling X");
            return self.event(send, &Completion::Failed { error: reason });
        }
        let now = self.clock.now();
        let lease_until = TimeDelta::from_std(self.config.lease)
            .ok()
            .and_then(|lease| now.checked_add_signed(lease))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let claim = self
            .store
            .claim(key, now, lease_until)
            .await
            .map_err(|e| EgressError::Retry(e.to_string()))?;
        match claim {
            Claim::Done(completion) => {
                tracing::info!(
                    key,
                    "duplicate SEND_TWEET: republishing the recorded outcome"
                );
                return self.event(send, &completion);
            }
            Claim::InProgress => {
                return Err(EgressError::Retry(format!(
                    "another delivery of {key} is posting"
                )));
            }
            Claim::Claimed => {}
        }
        match self.attempt(send).await {
            Attempt::Posted(tweet_id) => {
                let done = Completion::Sent { tweet_id };
                if let Err(e) = self.store.complete(key, &done).await {
                    // The reply is on X: report it. The lease then protects the key for a while.
                    tracing::error!(key, error = %e, "posted but could not record it");
                }
                self.event(send, &done)
            }
            Attempt::Refused(error) => {
                let done = Completion::Failed { error };
                self.store
                    .complete(key, &done)
                    .await
                    .map_err(|e| EgressError::Retry(e.to_string()))?;
                self.event(send, &done)
            }
            Attempt::Later(err) => {
                if let Err(e) = self.store.release(key).await {
                    tracing::warn!(key, error = %e, "could not release the claim; the lease will expire");
                }
                Err(err)
            }
        }
    }

    async fn attempt(&self, send: &SendTweet) -> Attempt {
        let mut media_ids = Vec::new();
        for (i, image_key) in send.image_keys.iter().enumerate() {
            let bytes = match self.blobs.get(image_key).await {
                Ok(bytes) => bytes,
                Err(BlobError::NotFound(_)) => {
                    return Attempt::Refused(format!(
                        "image {} of {} ({image_key}) is not in the media store",
                        i + 1,
                        send.image_keys.len()
                    ));
                }
                Err(e @ BlobError::Unavailable(_)) => {
                    return Attempt::Later(EgressError::Retry(e.to_string()));
                }
            };
            if bytes.len() > MAX_IMAGE_BYTES {
                return Attempt::Refused(format!(
                    "image {} of {} ({image_key}): {:.1} MB exceeds X's 5 MB limit for images",
                    i + 1,
                    send.image_keys.len(),
                    bytes.len() as f64 / 1_048_576.0
                ));
            }
            let mime = sniff_image_type(&bytes);
            match self
                .with_rate_limit(|| self.x.upload_media(bytes.clone(), mime))
                .await
            {
                Ok(id) => media_ids.push(id),
                Err(e) => return self.settle(e),
            }
        }
        let text = fit_reply(&send.text, send.reply_to_username.as_deref());
        match self
            .with_rate_limit(|| {
                self.x
                    .post_reply(&text, &send.reply_to_tweet_id, &media_ids)
            })
            .await
        {
            Ok(tweet_id) => {
                tracing::info!(
                    key = send.idempotency_key,
                    tweet_id,
                    reply_to = send.reply_to_tweet_id,
                    "reply posted"
                );
                Attempt::Posted(tweet_id)
            }
            Err(e) => self.settle(e),
        }
    }

    fn settle(&self, error: XError) -> Attempt {
        match error {
            XError::Rejected { .. } => Attempt::Refused(error.to_string()),
            XError::RateLimited { reset_at } => Attempt::Later(EgressError::RateLimited {
                retry_after: reset_at,
            }),
            XError::Unavailable(reason) => Attempt::Later(EgressError::Retry(reason)),
        }
    }

    /// Runs `op`; on a 429 whose reset is within the configured wait, sleeps until it and runs
    /// `op` once more.
    async fn with_rate_limit<T, F, Fut>(&self, mut op: F) -> Result<T, XError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, XError>>,
    {
        match op().await {
            Err(XError::RateLimited {
                reset_at: Some(reset_at),
            }) => {
                let wait = (reset_at - self.clock.now())
                    .to_std()
                    .unwrap_or(Duration::ZERO);
                if wait > self.config.max_rate_limit_wait {
                    return Err(XError::RateLimited {
                        reset_at: Some(reset_at),
                    });
                }
                tracing::info!(wait_ms = wait.as_millis() as u64, "X rate limit: waiting");
                tokio::time::sleep(wait).await;
                op().await
            }
            other => other,
        }
    }

    fn event(&self, send: &SendTweet, done: &Completion) -> Result<OutgoingEvent, EgressError> {
        let event = match done {
            Completion::Sent { tweet_id } if self.config.dry_run => OutgoingEvent::new(
                source::EGRESS,
                detail_type::REPLY_SUPPRESSED,
                ReplySuppressed {
                    reason: SuppressReason::DryRun,
                    tweet_id: send.reply_to_tweet_id.clone(),
                    user_id: send.reply_to_user_id.clone(),
                    author: send
                        .reply_to_username
                        .clone()
                        .unwrap_or_else(|| send.reply_to_user_id.clone()),
                    detail: format!("dry run: recorded as {tweet_id}, not posted on X"),
                    text: Some(fit_reply(&send.text, send.reply_to_username.as_deref())),
                },
            )
            .map(|e| e.with_resources([send.reply_to_tweet_id.clone()])),
            Completion::Sent { tweet_id } => OutgoingEvent::new(
                source::EGRESS,
                detail_type::TWEET_SENT,
                TweetSent {
                    reply_to_tweet_id: send.reply_to_tweet_id.clone(),
                    tweet_id: tweet_id.clone(),
                    idempotency_key: send.idempotency_key.clone(),
                },
            )
            .map(|e| e.with_resources([send.reply_to_tweet_id.clone(), tweet_id.clone()])),
            Completion::Failed { error } => OutgoingEvent::new(
                source::EGRESS,
                detail_type::TWEET_FAILED,
                TweetFailed {
                    reply_to_tweet_id: send.reply_to_tweet_id.clone(),
                    error: error.clone(),
                    idempotency_key: send.idempotency_key.clone(),
                },
            )
            .map(|e| e.with_resources([send.reply_to_tweet_id.clone()])),
        };
        event
            .map(|mut e| {
                e.time = Some(self.clock.now());
                e
            })
            .map_err(|e| EgressError::BadInput(format!("event not serialisable: {e}")))
    }
}

/// A SEND_TWEET X would refuse whatever happens, said before anything is claimed or uploaded.
fn refusal_before_x(send: &SendTweet) -> Option<String> {
    let id = &send.reply_to_tweet_id;
    if id.is_empty() || id.len() > 19 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!(
            "ReplyToTweetId {id:?} is not a post id (1-19 digits)"
        ));
    }
    if send.text.trim().is_empty() && send.image_keys.is_empty() {
        return Some(format!("reply to {id} has neither text nor images"));
    }
    if send.image_keys.len() > MAX_IMAGES {
        return Some(format!(
            "reply to {id} has {} images; X attaches at most {MAX_IMAGES}",
            send.image_keys.len()
        ));
    }
    None
}

/// The MIME type of an image from its first bytes (PNG, JPEG, GIF, WebP), PNG when unknown.
/// The recognition is download-media's ([`crate::analysis::media::sniff`]).
pub fn sniff_image_type(bytes: &[u8]) -> &'static str {
    crate::analysis::media::sniff(bytes).map_or("image/png", |format| format.mime())
}

/// [`XPoster`] over X API v2, reading the bot's credentials from [`Secrets`] on every call
/// (wrap the store in [`crate::secrets::CachedSecrets`] so warm calls don't fetch it again).
pub struct XApiPoster<S> {
    api: XApi,
    secrets: S,
}

impl<S: Secrets> XApiPoster<S> {
    /// A poster over `api`, signing with the credentials `secrets` holds.
    pub fn new(api: XApi, secrets: S) -> Self {
        Self { api, secrets }
    }

    async fn credentials(&self) -> Result<Credentials, XError> {
        let creds = self
            .secrets
            .x_credentials()
            .await
            .map_err(|e| XError::Unavailable(e.to_string()))?;
        if !creds.can_post() {
            return Err(XError::Rejected {
                status: 0,
                title: "No user credentials".into(),
                detail: "the X secret needs ApiKey, AccessToken and AccessTokenSecret to post"
                    .into(),
            });
        }
        Ok(Credentials {
            consumer_key: creds.api_key,
            consumer_secret: creds.api_secret,
            token: creds.access_token,
            token_secret: creds.access_token_secret,
        })
    }
}

fn from_api(e: XApiError) -> XError {
    match e {
        XApiError::RateLimited { reset_at } => XError::RateLimited {
            reset_at: reset_at.and_then(|r| DateTime::from_timestamp(r, 0)),
        },
        XApiError::Permanent {
            status,
            title,
            detail,
        } => XError::Rejected {
            status,
            title,
            detail,
        },
        XApiError::Transient(reason) => XError::Unavailable(reason),
    }
}

#[async_trait]
impl<S: Secrets> XPoster for XApiPoster<S> {
    async fn upload_media(&self, bytes: Vec<u8>, mime: &str) -> Result<String, XError> {
        let creds = self.credentials().await?;
        self.api
            .upload_image(&creds, &bytes, mime)
            .await
            .map_err(from_api)
    }

    async fn post_reply(
        &self,
        text: &str,
        in_reply_to: &str,
        media_ids: &[String],
    ) -> Result<String, XError> {
        let creds = self.credentials().await?;
        self.api
            .post_reply(&creds, text, in_reply_to, media_ids)
            .await
            .map_err(from_api)
    }
}

/// The poster of a dry run on AWS: logs each reply instead of posting it and answers a made-up
/// id (`dry-run-<n>`), so egress runs every step but X is never called.
#[derive(Debug, Default)]
pub struct DryRunPoster {
    next: std::sync::atomic::AtomicU64,
}

impl DryRunPoster {
    fn id(&self) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("dry-run-{n}")
    }
}

#[async_trait]
impl XPoster for DryRunPoster {
    async fn upload_media(&self, bytes: Vec<u8>, mime: &str) -> Result<String, XError> {
        let id = self.id();
        tracing::info!(media_id = %id, bytes = bytes.len(), mime, "dry run: media not uploaded");
        Ok(id)
    }

    async fn post_reply(
        &self,
        text: &str,
        in_reply_to: &str,
        media_ids: &[String],
    ) -> Result<String, XError> {
        let id = self.id();
        tracing::info!(tweet_id = %id, in_reply_to, media = media_ids.len(), text, "dry run: reply not posted");
        Ok(id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn image_types_are_sniffed_from_magic_bytes() {
        assert_eq!(sniff_image_type(b"\x89PNG\r\n\x1a\n"), "image/png");
        assert_eq!(sniff_image_type(&[0xFF, 0xD8, 0xFF, 0xE0]), "image/jpeg");
        assert_eq!(sniff_image_type(b"GIF89a"), "image/gif");
        assert_eq!(sniff_image_type(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(sniff_image_type(b""), "image/png");
    }

    #[test]
    fn unpostable_requests_are_refused_before_x() {
        let ok = SendTweet {
            text: "hi".into(),
            reply_to_tweet_id: "123".into(),
            idempotency_key: "k".into(),
            ..Default::default()
        };
        assert_eq!(refusal_before_x(&ok), None);
        let bad_id = SendTweet {
            reply_to_tweet_id: "12a".into(),
            ..ok.clone()
        };
        assert!(refusal_before_x(&bad_id).is_some());
        let empty = SendTweet {
            text: "  ".into(),
            ..ok.clone()
        };
        assert!(refusal_before_x(&empty).is_some());
        let five = SendTweet {
            image_keys: vec!["a".into(); 5],
            ..ok
        };
        assert!(refusal_before_x(&five).unwrap().contains("at most 4"));
    }
}
