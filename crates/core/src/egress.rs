//! Egress: a SEND_TWEET becomes a reply on X, at most once per `IdempotencyKey`.
//!
//! ```text
//! claim key ─ Done ─────────────► the recorded outcome again (TWEET_SENT / TWEET_FAILED), X untouched
//!   (owner: │ InProgress ───────► wait (another delivery holds it; retried after a pause)
//!   a token ├ ClaimedUncertain ─► look on X for the bot's reply ─ found ─► complete(Sent) ─► TWEET_SENT
//!   per     │   (an earlier            │                         └ not yet, within `settle` ─► wait
//!   attempt)│    attempt's answer      └ not there after `settle` ─┐
//!           │    was lost)                                         ▼
//!           └ Claimed ─► read images ─► upload each ─► mark uncertain ─► post reply
//!                          │                 │                             │
//!                          │                 └─ 429, reset ≤ max wait: sleep, retry once
//!                          ├─ permanent (4xx, image missing/too big) ─► complete(Failed) ─► TWEET_FAILED
//!                          ├─ 429 later / 5xx before posting / network ─► release ─► retryable error
//!                          ├─ answer lost (timeout, dropped, 2xx without id, 5xx) ─► release, mark kept
//!                          └─ posted ─► complete(Sent) ─► TWEET_SENT
//! ```
//!
//! - **Duplicates.** A duplicate SEND_TWEET publishes its outcome again rather than nothing: if the
//!   first delivery crashed between recording the post and publishing TWEET_SENT, the retry still
//!   publishes it. Consumers of TWEET_SENT/TWEET_FAILED are idempotent on `IdempotencyKey`.
//! - **A lost answer.** Before the post call the claim is marked uncertain; the mark survives the
//!   attempt dying and its lease running out. The next claim therefore reads the bot's own recent
//!   posts on X (an owned read) and records a reply it finds instead of posting twice. X may take
//!   a moment to show a new post, so a look that finds nothing within `settle` of the lost attempt
//!   waits and looks again; after that the reply is posted.
//! - **Time.** One attempt — lookups, uploads, in-process rate-limit waits, the post — is cut off at
//!   `attempt_deadline`, and the lease outlasts it, so a live attempt's key is never taken over.
//!   The egress Lambda's timeout sits between the two (the CDK app checks it).

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
    BlobError, BlobStore, Claim, Clock, Completion, IdempotencyError, IdempotencyStore, Release,
    Secrets, XError, XPoster,
};

/// X attaches at most four images to a post.
pub const MAX_IMAGES: usize = 4;
/// X's limit on an image uploaded for a post: 5 MB.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// How long a delivery that finds the key claimed by another waits before trying again.
pub const BUSY_PAUSE: Duration = Duration::from_secs(5);
/// How far before an uncertain attempt the lookup starts, for clocks that disagree with X's.
pub const LOOKUP_SLACK: Duration = Duration::from_secs(60);

/// Egress's tunables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressConfig {
    /// The longest a 429 is waited out in-process (then retried once); longer resets are deferred
    /// to the caller's retry.
    pub max_rate_limit_wait: Duration,
    /// The longest one attempt may take, everything included; it is then abandoned (as uncertain
    /// if it had begun posting). Keep it under the egress Lambda's timeout.
    pub attempt_deadline: Duration,
    /// How long a claim protects a key before another delivery may take it over. Longer than
    /// `attempt_deadline` (and the Lambda timeout), so a live attempt's key is never taken over;
    /// [`Egress::new`] raises it if not.
    pub lease: Duration,
    /// How long X is given to show a post whose answer was lost before a lookup that does not
    /// find it is believed.
    pub settle: Duration,
    /// Dry run: the poster given is not X (the outbox locally, [`DryRunPoster`] on AWS), and a
    /// reply it took is published as REPLY_SUPPRESSED `dry-run` with its text, not TWEET_SENT.
    pub dry_run: bool,
}

impl Default for EgressConfig {
    /// An attempt makes at most six X calls (a lookup, four uploads, the post) of at most 10 s
    /// each (the X timeout), plus up to 10 s of rate-limit waits per call: 120 s cuts off the
    /// worst, the egress Lambda's timeout is 150 s and the lease 180 s.
    fn default() -> Self {
        Self {
            max_rate_limit_wait: Duration::from_secs(10),
            attempt_deadline: Duration::from_secs(120),
            lease: Duration::from_secs(180),
            settle: Duration::from_secs(60),
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
    /// Not now, and not a failure: another delivery holds the key, or X may not show an
    /// uncertain attempt's post yet. Try again at `until`.
    #[error("{reason}: retry after {}", until.to_rfc3339())]
    Wait {
        /// Why.
        reason: String,
        /// When trying again makes sense.
        until: DateTime<Utc>,
    },
    /// X, the media store or the idempotency store is unavailable, or an attempt's answer from X
    /// was lost (the next attempt looks on X first).
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
            Self::Wait { .. } | Self::Retry(_) => ErrorKind::Unavailable,
            Self::BadInput(_) => ErrorKind::InvalidInput,
        }
    }

    /// When trying again makes sense, when known.
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            Self::Wait { until, .. } => Some(*until),
            Self::Retry(_) | Self::BadInput(_) => None,
        }
    }
}

impl From<EgressError> for HandlerError {
    fn from(e: EgressError) -> Self {
        let at = e.retry_at();
        HandlerError::new(e.kind(), e).retry_at(at)
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
    /// The reply is on X (posted now, or found from an earlier attempt).
    Posted(String),
    /// X refused it for good.
    Refused(String),
    /// Retry later; `maybe_posted` when the post call was made and its answer lost.
    Later {
        error: EgressError,
        maybe_posted: bool,
    },
}

impl Attempt {
    fn later(error: EgressError) -> Self {
        Self::Later {
            error,
            maybe_posted: false,
        }
    }
}

fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn before(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl Egress {
    /// Egress over its ports. A lease not longer than the attempt deadline is raised to the
    /// deadline plus a minute (a shorter one would let a live attempt's key be taken over).
    pub fn new(
        x: Arc<dyn XPoster>,
        blobs: Arc<dyn BlobStore>,
        store: Arc<dyn IdempotencyStore>,
        clock: Arc<dyn Clock>,
        mut config: EgressConfig,
    ) -> Self {
        if config.lease <= config.attempt_deadline {
            let lease = config.attempt_deadline + Duration::from_secs(60);
            tracing::warn!(
                lease_s = config.lease.as_secs(),
                deadline_s = config.attempt_deadline.as_secs(),
                raised_to_s = lease.as_secs(),
                "egress lease not longer than the attempt deadline: raised"
            );
            config.lease = lease;
        }
        Self {
            x,
            blobs,
            store,
            clock,
            config,
        }
    }

    /// The settings in force (after [`Egress::new`]'s checks).
    pub fn config(&self) -> &EgressConfig {
        &self.config
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
        let owner = uuid::Uuid::new_v4().simple().to_string();
        let now = self.clock.now();
        let claim = self
            .store
            .claim(key, &owner, now, after(now, self.config.lease))
            .await
            .map_err(|e| EgressError::Retry(e.to_string()))?;
        let uncertain_since = match claim {
            Claim::Done(completion) => {
                tracing::info!(
                    key,
                    "duplicate SEND_TWEET: republishing the recorded outcome"
                );
                return self.event(send, &completion);
            }
            Claim::InProgress => {
                return Err(EgressError::Wait {
                    reason: format!("another delivery of {key} is posting"),
                    until: after(now, BUSY_PAUSE),
                });
            }
            Claim::Claimed => None,
            Claim::ClaimedUncertain { since } => Some(since),
        };
        let attempt = match tokio::time::timeout(
            self.config.attempt_deadline,
            self.attempt(send, &owner, uncertain_since),
        )
        .await
        {
            Ok(attempt) => attempt,
            Err(_) => Attempt::Later {
                error: EgressError::Retry(format!(
                    "the attempt took longer than {} s",
                    self.config.attempt_deadline.as_secs()
                )),
                // If it was posting, the mark set before the post call says so; if not, there is
                // no mark to keep.
                maybe_posted: true,
            },
        };
        match attempt {
            Attempt::Posted(tweet_id) => {
                let done = Completion::Sent { tweet_id };
                if let Err(e) = self.store.complete(key, &owner, &done).await {
                    // The reply is on X: report it. The uncertain mark makes any later attempt
                    // look on X before posting.
                    tracing::error!(key, error = %e, "posted but could not record it");
                }
                self.event(send, &done)
            }
            Attempt::Refused(error) => {
                let done = Completion::Failed { error };
                self.store
                    .complete(key, &owner, &done)
                    .await
                    .map_err(|e| EgressError::Retry(e.to_string()))?;
                self.event(send, &done)
            }
            Attempt::Later {
                error,
                maybe_posted,
            } => {
                let how = if maybe_posted || uncertain_since.is_some() {
                    Release::MaybePosted
                } else {
                    Release::NothingPosted
                };
                if let Err(e) = self.store.release(key, &owner, how).await {
                    tracing::warn!(key, error = %e, "could not release the claim; the lease will expire");
                }
                Err(error)
            }
        }
    }

    async fn attempt(
        &self,
        send: &SendTweet,
        owner: &str,
        uncertain_since: Option<DateTime<Utc>>,
    ) -> Attempt {
        let key = send.idempotency_key.trim();
        if let Some(since) = uncertain_since {
            match self
                .x
                .find_reply(&send.reply_to_tweet_id, before(since, LOOKUP_SLACK))
                .await
            {
                Ok(Some(tweet_id)) => {
                    tracing::info!(
                        key,
                        tweet_id,
                        "an earlier attempt had posted the reply: recorded, not posted again"
                    );
                    return Attempt::Posted(tweet_id);
                }
                Ok(None) => {
                    let settled = after(since, self.config.settle);
                    if self.clock.now() < settled {
                        return Attempt::later(EgressError::Wait {
                            reason: format!(
                                "an earlier attempt at {key} may have posted and X does not show it yet"
                            ),
                            until: settled,
                        });
                    }
                    tracing::warn!(
                        key,
                        since = %since,
                        "an earlier attempt's answer was lost and X shows no reply from it: posting"
                    );
                }
                Err(e) => return self.settle(e),
            }
        }
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
                    return Attempt::later(EgressError::Retry(e.to_string()));
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
        if let Err(e) = self
            .store
            .mark_uncertain(key, owner, self.clock.now())
            .await
        {
            return Attempt::later(match e {
                IdempotencyError::NotOwner(_) => EgressError::Wait {
                    reason: e.to_string(),
                    until: after(self.clock.now(), BUSY_PAUSE),
                },
                IdempotencyError::Unavailable(_) => EgressError::Retry(e.to_string()),
            });
        }
        match self
            .with_rate_limit(|| {
                self.x
                    .post_reply(&text, &send.reply_to_tweet_id, &media_ids)
            })
            .await
        {
            Ok(tweet_id) => {
                tracing::info!(
                    key,
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
            XError::RateLimited { reset_at } => Attempt::later(EgressError::RateLimited {
                retry_after: reset_at,
            }),
            XError::Unavailable(reason) => Attempt::later(EgressError::Retry(reason)),
            XError::Uncertain(reason) => {
                tracing::warn!(%reason, "X's answer to the post was lost: the next attempt looks on X first");
                Attempt::Later {
                    error: EgressError::Retry(format!(
                        "X's answer was lost ({reason}); the next attempt looks for the reply on X before posting"
                    )),
                    maybe_posted: true,
                }
            }
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
    bot_user_id: String,
}

impl<S: Secrets> XApiPoster<S> {
    /// A poster over `api`, signing with the credentials `secrets` holds, as the bot whose user
    /// id is `bot_user_id` (whose own posts [`XPoster::find_reply`] reads).
    pub fn new(api: XApi, secrets: S, bot_user_id: impl Into<String>) -> Self {
        Self {
            api,
            secrets,
            bot_user_id: bot_user_id.into(),
        }
    }

    async fn credentials(&self) -> Result<Credentials, XError> {
        user_credentials(&self.secrets).await
    }
}

/// The bot's user credentials (OAuth 1.0a) from `secrets`, refused plainly when they cannot sign
/// as the bot: what posting and every user-context read need.
pub(crate) async fn user_credentials<S: Secrets>(secrets: &S) -> Result<Credentials, XError> {
    let creds = secrets
        .x_credentials()
        .await
        .map_err(|e| XError::Unavailable(e.to_string()))?;
    if !creds.can_post() {
        return Err(XError::Rejected {
            status: 0,
            title: "No user credentials".into(),
            detail: "the X secret needs ApiKey, AccessToken and AccessTokenSecret (the bot's user credentials)"
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

/// X API errors as the ports report them.
pub(crate) fn from_api(e: XApiError) -> XError {
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
        XApiError::Uncertain(reason) => XError::Uncertain(reason),
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

    async fn find_reply(
        &self,
        in_reply_to: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<String>, XError> {
        let creds = self.credentials().await?;
        self.api
            .find_reply(&creds, &self.bot_user_id, in_reply_to, since)
            .await
            .map_err(from_api)
    }

    async fn repost(&self, post_id: &str) -> Result<Option<String>, XError> {
        let creds = self.credentials().await?;
        self.api
            .repost(&creds, &self.bot_user_id, post_id)
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

    /// Nothing is ever posted in a dry run, so there is nothing to find.
    async fn find_reply(
        &self,
        _in_reply_to: &str,
        _since: DateTime<Utc>,
    ) -> Result<Option<String>, XError> {
        Ok(None)
    }

    async fn repost(&self, post_id: &str) -> Result<Option<String>, XError> {
        let id = self.id();
        tracing::info!(repost_id = %id, post_id, "dry run: not reposted");
        Ok(Some(id))
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
