//! Ways in other than a webhook: the mentions poller (`GET /2/users/:id/mentions`), the way in
//! for any X tier and without a public URL.
//!
//! ```text
//! checkpoint (since_id) ─► page 1 (newest) ─ next_token ─► page 2 … (≤ max_pages, X keeps 800)
//!                                │
//!   oldest first: each post ─► the filtered-stream shape {data, includes} ─► the webhook's mapping
//!                                │                                      (same TWITTER_TWEETED,
//!                                ▼                                       same MESSAGE_RECEIVED)
//!                          Intake: claim `ingress:post:<id>` ─► publish ─► complete
//!                                │
//!                                └─ all on the bus ─► checkpoint = page 1's newest_id
//! ```
//!
//! - **Nothing lost, nothing twice.** The checkpoint moves only after every event of the poll is on
//!   the bus; a poll that fails part-way is read again whole next time, and the claims — shared
//!   with the webhook — skip what was already published. So a restart at any point repeats and
//!   loses nothing, and a post that also came by webhook is one post.
//! - **A first poll** has no checkpoint: it reads only the last `first_window` (15 minutes) rather
//!   than answering the 800 most recent mentions of the bot's history.
//! - **X's limits.** A 429 stops all requests until `x-rate-limit-reset`; a 5xx or a network error
//!   backs off (doubling, at most 5 minutes); a refusal (401/403: credentials, access level) stops
//!   the poller with X's own words.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use starling_x::api::{PageQuery, XApi};
use starling_x::payload::{parse_delivery_value, split_page};

use crate::acl::{AclConfig, map_delivery};
use crate::ingress::{Intake, IntakeError, IntakeReport};
use crate::ports::{Clock, Secrets, XError};

/// The checkpoint name of the mentions poller.
pub const MENTIONS: &str = "mentions";

/// Reads pages of the posts mentioning the bot.
#[async_trait]
pub trait MentionsSource: Send + Sync {
    /// One page (X API v2 shape: `data`, `includes`, `meta`).
    async fn page(&self, query: &PageQuery) -> Result<Value, XError>;
}

/// Why the checkpoint store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("checkpoint store unavailable: {0}")]
pub struct CheckpointError(pub String);

/// Where each source remembers how far it has read (SQLite locally).
#[async_trait]
pub trait CheckpointStore: Send + Sync {
    /// The saved position of `source`, if any.
    async fn load(&self, source: &str) -> Result<Option<String>, CheckpointError>;
    /// Saves the position of `source`.
    async fn save(&self, source: &str, position: &str) -> Result<(), CheckpointError>;
}

/// The poller's tunables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollerConfig {
    /// Time between two polls. X allows 300 mention reads per 15 minutes per user (and 450 per
    /// app): one every 15 s uses a fifth of it.
    pub interval: Duration,
    /// How far back a first poll (no checkpoint yet) reads.
    pub first_window: Duration,
    /// Pages read per poll at most (X keeps the 800 most recent mentions: 8 pages of 100).
    pub max_pages: usize,
    /// The longest back-off after 5xx or network errors.
    pub max_backoff: Duration,
}

impl Default for PollerConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(15),
            first_window: Duration::from_secs(15 * 60),
            max_pages: 8,
            max_backoff: Duration::from_secs(5 * 60),
        }
    }
}

/// What one poll did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PollReport {
    /// Posts read from X.
    pub posts: usize,
    /// Pages read.
    pub pages: usize,
    /// Events the bus accepted, and items skipped as already published.
    pub intake: IntakeReport,
    /// The checkpoint after the poll.
    pub checkpoint: Option<String>,
}

/// Why a poll did not complete.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// X said 429: no request before `until` (when X said).
    #[error("X rate limit on mentions{}", until.map(|t| format!(" until {}", t.to_rfc3339())).unwrap_or_default())]
    RateLimited {
        /// `x-rate-limit-reset`.
        until: Option<DateTime<Utc>>,
    },
    /// X refused the read for good (credentials, access level): the poller stops.
    #[error("X refused the mentions read: {0}")]
    Refused(String),
    /// X, the bus, the claims or the checkpoint store failed: try again after a back-off.
    #[error("{0}")]
    Unavailable(String),
}

impl From<XError> for PollError {
    fn from(e: XError) -> Self {
        match e {
            XError::RateLimited { reset_at } => Self::RateLimited { until: reset_at },
            XError::Rejected { .. } => Self::Refused(e.to_string()),
            XError::Unavailable(_) | XError::Uncertain(_) => Self::Unavailable(e.to_string()),
        }
    }
}

impl From<IntakeError> for PollError {
    fn from(e: IntakeError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<CheckpointError> for PollError {
    fn from(e: CheckpointError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// Polls the bot's mentions onto the bus.
pub struct MentionsPoller {
    source: Arc<dyn MentionsSource>,
    intake: Intake,
    checkpoints: Arc<dyn CheckpointStore>,
    acl: AclConfig,
    clock: Arc<dyn Clock>,
    config: PollerConfig,
}

impl MentionsPoller {
    /// A poller reading `source`, publishing through `intake` (give it the webhook's claim
    /// store, so a post that came both ways is one post) with the webhook's `acl`.
    pub fn new(
        source: Arc<dyn MentionsSource>,
        intake: Intake,
        checkpoints: Arc<dyn CheckpointStore>,
        acl: AclConfig,
        clock: Arc<dyn Clock>,
        config: PollerConfig,
    ) -> Self {
        Self {
            source,
            intake,
            checkpoints,
            acl,
            clock,
            config,
        }
    }

    /// One poll: every mention since the checkpoint onto the bus, then the checkpoint moved.
    pub async fn poll_once(&self) -> Result<PollReport, PollError> {
        let since = self.checkpoints.load(MENTIONS).await?;
        let start_time = match since {
            Some(_) => None,
            None => TimeDelta::from_std(self.config.first_window)
                .ok()
                .and_then(|w| self.clock.now().checked_sub_signed(w)),
        };
        let mut pages = Vec::new();
        let mut token = None;
        for _ in 0..self.config.max_pages.max(1) {
            let page = self
                .source
                .page(&PageQuery {
                    since_id: since.clone(),
                    start_time,
                    pagination_token: token,
                })
                .await?;
            token = page
                .pointer("/meta/next_token")
                .and_then(Value::as_str)
                .map(str::to_string);
            pages.push(page);
            if token.is_none() {
                break;
            }
        }
        let newest = pages
            .first()
            .and_then(|p| p.pointer("/meta/newest_id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        // Oldest first, as X would have pushed them.
        let bodies: Vec<Value> = pages
            .iter()
            .rev()
            .flat_map(split_page_oldest_first)
            .collect();
        let posts = bodies.len();
        let items = bodies
            .iter()
            .filter_map(parse_delivery_value)
            .flat_map(|delivery| map_delivery(&delivery, &self.acl))
            .collect();
        let intake = self.intake.publish(items).await?;
        let checkpoint = match newest {
            Some(id) => {
                self.checkpoints.save(MENTIONS, &id).await?;
                Some(id)
            }
            None => since,
        };
        Ok(PollReport {
            posts,
            pages: pages.len(),
            intake,
            checkpoint,
        })
    }

    /// Polls every `interval` until `stop` turns true, waiting out rate limits and backing off
    /// on failures. Returns the refusal that stopped it, if X refused.
    pub async fn run(&self, mut stop: tokio::sync::watch::Receiver<bool>) -> Result<(), PollError> {
        let mut failures: u32 = 0;
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let wait = match self.poll_once().await {
                Ok(report) => {
                    failures = 0;
                    if report.posts > 0 {
                        tracing::info!(
                            posts = report.posts,
                            published = report.intake.published,
                            duplicates = report.intake.duplicates,
                            checkpoint = report.checkpoint.as_deref().unwrap_or(""),
                            "mentions polled"
                        );
                    }
                    self.config.interval
                }
                Err(PollError::RateLimited { until }) => {
                    let wait = until
                        .and_then(|t| (t - self.clock.now()).to_std().ok())
                        .unwrap_or(Duration::from_secs(15 * 60))
                        // X's reset is to the second: a second more, so the window has turned.
                        + Duration::from_secs(1);
                    tracing::warn!(
                        wait_s = wait.as_secs(),
                        "X rate limit on mentions: waiting for the reset"
                    );
                    wait
                }
                Err(e @ PollError::Refused(_)) => {
                    tracing::error!(error = %e, "mentions poller stopped");
                    return Err(e);
                }
                Err(e @ PollError::Unavailable(_)) => {
                    failures = failures.saturating_add(1);
                    let wait = self
                        .config
                        .interval
                        .saturating_mul(2u32.saturating_pow(failures.min(16)))
                        .min(self.config.max_backoff);
                    tracing::warn!(error = %e, wait_s = wait.as_secs(), "mentions poll failed; backing off");
                    wait
                }
            };
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// A page's posts, oldest first (X lists them newest first).
fn split_page_oldest_first(page: &Value) -> Vec<Value> {
    let mut bodies = split_page(page);
    bodies.reverse();
    bodies
}

/// [`MentionsSource`] over X API v2, signed with the bot's user credentials from [`Secrets`].
pub struct XApiMentions<S> {
    api: XApi,
    secrets: S,
    bot_user_id: String,
}

impl<S: Secrets> XApiMentions<S> {
    /// Mentions of `bot_user_id`, read through `api`.
    pub fn new(api: XApi, secrets: S, bot_user_id: impl Into<String>) -> Self {
        Self {
            api,
            secrets,
            bot_user_id: bot_user_id.into(),
        }
    }
}

#[async_trait]
impl<S: Secrets> MentionsSource for XApiMentions<S> {
    async fn page(&self, query: &PageQuery) -> Result<Value, XError> {
        let creds = self
            .secrets
            .x_credentials()
            .await
            .map_err(|e| XError::Unavailable(e.to_string()))?;
        if !creds.can_post() {
            return Err(XError::Rejected {
                status: 0,
                title: "No user credentials".into(),
                detail: "reading mentions needs ApiKey, AccessToken and AccessTokenSecret".into(),
            });
        }
        let credentials = starling_x::oauth::Credentials {
            consumer_key: creds.api_key,
            consumer_secret: creds.api_secret,
            token: creds.access_token,
            token_secret: creds.access_token_secret,
        };
        self.api
            .mentions(&credentials, &self.bot_user_id, query)
            .await
            .map_err(crate::egress::from_api)
    }
}
