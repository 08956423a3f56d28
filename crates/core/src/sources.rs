//! Ways in other than a webhook: the mentions poller (`GET /2/users/:id/mentions`), the way in
//! for any X tier and without a public URL, and the X Activity API stream
//! (`GET /2/activity/stream`, [`StreamConsumer`]), push without a public URL.
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

/// The checkpoint name of a keyword search: `search:` and the query (a new query starts afresh).
pub fn search_checkpoint(query: &str) -> String {
    format!("search:{query}")
}

/// Reads pages of posts, newest first: the bot's mentions, or a keyword search.
#[async_trait]
pub trait PostPages: Send + Sync {
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
pub struct PostPoller {
    source: Arc<dyn PostPages>,
    checkpoint: String,
    intake: Intake,
    checkpoints: Arc<dyn CheckpointStore>,
    acl: AclConfig,
    clock: Arc<dyn Clock>,
    config: PollerConfig,
}

impl PostPoller {
    /// A poller reading `source`, publishing through `intake` (give it the webhook's claim
    /// store, so a post that came both ways is one post) with the webhook's `acl`.
    pub fn new(
        source: Arc<dyn PostPages>,
        intake: Intake,
        checkpoints: Arc<dyn CheckpointStore>,
        acl: AclConfig,
        clock: Arc<dyn Clock>,
        config: PollerConfig,
    ) -> Self {
        Self {
            source,
            checkpoint: MENTIONS.to_string(),
            intake,
            checkpoints,
            acl: AclConfig {
                source: starling_contracts::MessageSource::Mentions,
                ..acl
            },
            clock,
            config,
        }
    }

    /// The same poller over a keyword search's pages (`source` reads `GET
    /// /2/tweets/search/recent`): its own checkpoint, and `Source: search` on its messages, which
    /// the reply policy never answers.
    pub fn for_search(mut self, query: &str) -> Self {
        self.checkpoint = search_checkpoint(query);
        self.acl.source = starling_contracts::MessageSource::Search;
        self
    }

    /// One poll: every post since the checkpoint onto the bus, then the checkpoint moved.
    pub async fn poll_once(&self) -> Result<PollReport, PollError> {
        let since = self.checkpoints.load(&self.checkpoint).await?;
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
                self.checkpoints.save(&self.checkpoint, &id).await?;
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

/// [`PostPages`] of a keyword search over X API v2, signed with the bot's user credentials.
pub struct XApiSearch<S> {
    api: XApi,
    secrets: S,
    query: String,
}

impl<S: Secrets> XApiSearch<S> {
    /// Recent posts matching `query` (X's search syntax, e.g. `#starling -is:retweet`).
    pub fn new(api: XApi, secrets: S, query: impl Into<String>) -> Self {
        Self {
            api,
            secrets,
            query: query.into(),
        }
    }
}

#[async_trait]
impl<S: Secrets> PostPages for XApiSearch<S> {
    async fn page(&self, query: &PageQuery) -> Result<Value, XError> {
        let credentials = crate::egress::user_credentials(&self.secrets).await?;
        self.api
            .search_recent(&credentials, &self.query, query)
            .await
            .map_err(crate::egress::from_api)
    }
}

/// [`PostPages`] over X API v2, signed with the bot's user credentials from [`Secrets`].
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
impl<S: Secrets> PostPages for XApiMentions<S> {
    async fn page(&self, query: &PageQuery) -> Result<Value, XError> {
        let credentials = crate::egress::user_credentials(&self.secrets).await?;
        self.api
            .mentions(&credentials, &self.bot_user_id, query)
            .await
            .map_err(crate::egress::from_api)
    }
}

/// A line-by-line view of an open stream.
#[async_trait]
pub trait StreamLines: Send {
    /// The next line (blank lines are keep-alives), `Ok(None)` when the stream was closed.
    async fn next_line(&mut self) -> Result<Option<String>, XError>;
}

/// Opens the X Activity API's persistent stream.
#[async_trait]
pub trait ActivityStream: Send + Sync {
    /// Connects; the events of the app's subscriptions follow, one JSON object per line.
    async fn open(&self) -> Result<Box<dyn StreamLines>, XError>;
}

/// How the stream consumer reconnects, after X's rules for its streams ("reconnect immediately,
/// then back off linearly for network errors, exponentially for HTTP errors, and longer for
/// 429s").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConfig {
    /// Added to the wait after each network drop in a row (the first reconnects at once).
    pub network_step: Duration,
    /// The longest wait after network drops.
    pub network_max: Duration,
    /// The first wait after an HTTP error; doubled each time.
    pub http_base: Duration,
    /// The longest wait after HTTP errors.
    pub http_max: Duration,
    /// The first wait after a 429; doubled each time.
    pub rate_limit_base: Duration,
    /// A stream silent this long (X sends keep-alives) is taken for dead and reopened.
    pub stall: Duration,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            network_step: Duration::from_millis(250),
            network_max: Duration::from_secs(16),
            http_base: Duration::from_secs(5),
            http_max: Duration::from_secs(320),
            rate_limit_base: Duration::from_secs(60),
            stall: Duration::from_secs(60),
        }
    }
}

/// Feeds the X Activity API stream through the webhook's mapping and claims: the same
/// TWITTER_* and MESSAGE_RECEIVED as a webhook delivery of the same event, each post once
/// however often a reconnect replays it.
pub struct StreamConsumer {
    stream: Arc<dyn ActivityStream>,
    intake: Intake,
    acl: AclConfig,
    config: StreamConfig,
}

/// Why the stream ended, as far as the next connection's wait is concerned.
enum Ended {
    Stopped,
    Dropped { delivered: bool },
}

impl StreamConsumer {
    /// A consumer of `stream`, publishing through `intake` with the webhook's `acl`.
    pub fn new(
        stream: Arc<dyn ActivityStream>,
        intake: Intake,
        acl: AclConfig,
        config: StreamConfig,
    ) -> Self {
        Self {
            stream,
            intake,
            acl: AclConfig {
                source: starling_contracts::MessageSource::Stream,
                ..acl
            },
            config,
        }
    }

    /// Holds the stream open until `stop`, reconnecting by X's rules. Returns X's refusal
    /// (401/403 …) if X refused the connection for good.
    pub async fn run(&self, mut stop: tokio::sync::watch::Receiver<bool>) -> Result<(), PollError> {
        let (mut drops, mut http_errors, mut rate_limits) = (0u32, 0u32, 0u32);
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let wait = match self.stream.open().await {
                Ok(lines) => {
                    (http_errors, rate_limits) = (0, 0);
                    match self.consume(lines, &mut stop).await {
                        Ended::Stopped => return Ok(()),
                        Ended::Dropped { delivered } => {
                            if delivered {
                                drops = 0;
                            }
                            drops = drops.saturating_add(1);
                            // The first drop reconnects at once, then 250 ms more each time.
                            self.config
                                .network_step
                                .saturating_mul(drops - 1)
                                .min(self.config.network_max)
                        }
                    }
                }
                Err(XError::RateLimited { .. }) => {
                    rate_limits = rate_limits.saturating_add(1);
                    backoff(self.config.rate_limit_base, rate_limits, Duration::MAX)
                }
                Err(e @ XError::Rejected { .. }) => {
                    tracing::error!(error = %e, "the X Activity stream was refused: stopped");
                    return Err(PollError::Refused(e.to_string()));
                }
                Err(e) => {
                    http_errors = http_errors.saturating_add(1);
                    let wait = backoff(self.config.http_base, http_errors, self.config.http_max);
                    tracing::warn!(error = %e, wait_ms = wait.as_millis() as u64, "the X Activity stream failed to open");
                    wait
                }
            };
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return Ok(()),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn consume(
        &self,
        mut lines: Box<dyn StreamLines>,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Ended {
        let mut delivered = false;
        loop {
            let next = tokio::select! {
                _ = stop.wait_for(|s| *s) => return Ended::Stopped,
                next = tokio::time::timeout(self.config.stall, lines.next_line()) => next,
            };
            let line = match next {
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None)) => {
                    tracing::info!("the X Activity stream was closed: reconnecting");
                    return Ended::Dropped { delivered };
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "the X Activity stream broke: reconnecting");
                    return Ended::Dropped { delivered };
                }
                Err(_) => {
                    tracing::warn!(
                        stall_s = self.config.stall.as_secs(),
                        "the X Activity stream went silent: reconnecting"
                    );
                    return Ended::Dropped { delivered };
                }
            };
            delivered = true;
            if line.trim().is_empty() {
                continue; // keep-alive
            }
            let Ok(value) = serde_json::from_str::<Value>(&line) else {
                tracing::warn!(
                    bytes = line.len(),
                    "a stream line that is not JSON: skipped"
                );
                continue;
            };
            let Some(delivery) = parse_delivery_value(&value) else {
                continue;
            };
            let items = map_delivery(&delivery, &self.acl);
            // The bus must take it: retry (the stream keeps its place meanwhile) until it does.
            let mut failures = 0u32;
            loop {
                match self.intake.publish(items.clone()).await {
                    Ok(_) => break,
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        let wait =
                            backoff(Duration::from_millis(100), failures, Duration::from_secs(5));
                        tracing::warn!(error = %e, "a streamed event was not published; retrying");
                        tokio::select! {
                            _ = stop.wait_for(|s| *s) => return Ended::Stopped,
                            () = tokio::time::sleep(wait) => {}
                        }
                    }
                }
            }
        }
    }
}

/// `base · 2^(n-1)`, at most `max`.
fn backoff(base: Duration, n: u32, max: Duration) -> Duration {
    base.saturating_mul(2u32.saturating_pow(n.saturating_sub(1).min(16)))
        .min(max)
}

/// [`ActivityStream`] over X API v2 with the app's bearer token.
pub struct XApiActivityStream {
    api: XApi,
    bearer_token: String,
}

impl XApiActivityStream {
    /// The stream at `api`'s base, opened with `bearer_token`.
    pub fn new(api: XApi, bearer_token: impl Into<String>) -> Self {
        Self {
            api,
            bearer_token: bearer_token.into(),
        }
    }
}

struct XApiLines(starling_x::api::LineStream);

#[async_trait]
impl StreamLines for XApiLines {
    async fn next_line(&mut self) -> Result<Option<String>, XError> {
        self.0.next_line().await.map_err(crate::egress::from_api)
    }
}

#[async_trait]
impl ActivityStream for XApiActivityStream {
    async fn open(&self) -> Result<Box<dyn StreamLines>, XError> {
        self.api
            .open_activity_stream(&self.bearer_token)
            .await
            .map(|s| Box::new(XApiLines(s)) as Box<dyn StreamLines>)
            .map_err(crate::egress::from_api)
    }
}
