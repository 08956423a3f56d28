//! The decision, in two steps. [`ReplyPolicy::screen`] runs before the reply is composed (no
//! chat-bot call, no drawing for a post that may not be answered); [`ReplyPolicy::admit`] runs
//! once a reply exists and charges the counters. Rules in order, the first that holds wins:
//!
//! ```text
//! screen: own post ─► own-post            deny/allow list ─► denied
//!         "stop" ───► record the opt-out; one confirmation if it summoned the bot and was not
//!                     opted out (the confirmation is admitted like any reply)
//!         "start" ──► clear an opt-out; a welcome back if it summoned the bot
//!         opted out ─► opted-out          not summoned ─► not-summoned
//! admit:  one compare-and-set over the post, the author, the conversation and the budget:
//!         post already admitted ─► the same verdict again (a retry; egress posts once)
//!         cooldown, author-cap, conversation-cap, budget ─► suppressed
//!         else ─► reply, and every counter records it
//! ```
//!
//! Windows slide: each record counts its replies per minute (and keeps the last reply's time for
//! the cooldown), so "3 per hour" means any hour, not a calendar hour; a minute that overlaps the
//! window counts whole, so the policy errs by at most a minute on the quiet side. A record stays
//! small whatever the budget: at most one bucket per minute of its window. The counters are charged when a composed reply is admitted, before
//! it is posted, so a reply that later fails on X still counts: the policy errs on the quiet side.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use starling_contracts::{MessageReceived, RepostSuppressReason, SuppressReason};

use super::config::PolicyConfig;
use crate::ports::{Clock, PolicyRecord, PolicyStore, PolicyStoreError, PolicyWrite};
use crate::responding::reply_text::text_for_bot;

/// How often a decision is retried when another decision changed the same records first.
const MAX_ATTEMPTS: usize = 8;
/// How long a post's verdict is remembered (redeliveries and retries come within minutes).
const POST_MEMORY: TimeDelta = TimeDelta::days(7);
/// The author cap's window.
const DAY: TimeDelta = TimeDelta::days(1);
/// A window's bucket: a record must outlive its window by one, as a bucket overlapping the
/// window's start still counts.
const BUCKET: TimeDelta = TimeDelta::minutes(1);

/// What the bot may do with one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Reply as the handler composes it.
    Reply,
    /// Reply with this text instead (the confirmation of a stop or a start).
    Confirm(String),
    /// Post nothing.
    Suppress {
        /// Why.
        reason: SuppressReason,
        /// What the rule saw, for people.
        detail: String,
    },
}

impl Verdict {
    fn suppress(reason: SuppressReason, detail: impl Into<String>) -> Self {
        Self::Suppress {
            reason,
            detail: detail.into(),
        }
    }
}

/// What the repost rule may do with one search match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RepostVerdict {
    /// Repost it.
    Repost,
    /// Leave it.
    Suppress {
        /// Why.
        reason: RepostSuppressReason,
        /// What the rule saw, for people.
        detail: String,
    },
}

impl RepostVerdict {
    fn suppress(reason: RepostSuppressReason, detail: impl Into<String>) -> Self {
        Self::Suppress {
            reason,
            detail: detail.into(),
        }
    }
}

/// What recording an opt-out or opt-in did.
enum OptChange {
    /// This post was answered already (a retry): its verdict.
    Answered(Verdict),
    /// The author already was in that state.
    Unchanged,
    /// The state changed.
    Changed,
}

/// An author's record: the opt-out and the times the bot replied to them in the last day.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct AuthorState {
    opted_out: bool,
    replies: Window,
}

/// Replies counted per minute (epoch minute → count) and the last reply's time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Window {
    per_minute: std::collections::BTreeMap<i64, u32>,
    last: Option<DateTime<Utc>>,
}

impl Window {
    /// Forgets the minutes that ended before `since`; counts the rest.
    fn count_since(&mut self, since: DateTime<Utc>) -> u64 {
        let first_minute = since.timestamp().div_euclid(60);
        self.per_minute.retain(|minute, _| *minute >= first_minute);
        self.per_minute.values().map(|n| u64::from(*n)).sum()
    }

    fn record(&mut self, now: DateTime<Utc>) {
        *self
            .per_minute
            .entry(now.timestamp().div_euclid(60))
            .or_default() += 1;
        self.last = Some(now);
    }
}

/// The verdict admitted for a post earlier, if any.
fn memo(post: &PolicyRecord) -> Option<Verdict> {
    post.value
        .as_ref()
        .and_then(|v| serde_json::from_value::<Verdict>(v.clone()).ok())
}

fn parse<T: for<'de> Deserialize<'de> + Default>(record: &PolicyRecord) -> T {
    record
        .value
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// The reply policy: one implementation for AWS and local, its state behind [`PolicyStore`].
pub struct ReplyPolicy {
    config: PolicyConfig,
    bot_user_id: Option<String>,
    store: Arc<dyn PolicyStore>,
    clock: Arc<dyn Clock>,
}

impl ReplyPolicy {
    /// The policy for the bot `bot_user_id` (its own posts are never answered).
    pub fn new(
        config: PolicyConfig,
        bot_user_id: Option<String>,
        store: Arc<dyn PolicyStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            config,
            bot_user_id,
            store,
            clock,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// The rules that need no reply yet: [`Verdict::Reply`] means "compose a reply, then
    /// [`ReplyPolicy::admit`] it"; a [`Verdict::Confirm`] is already admitted. Records an opt-out
    /// or opt-in when the message is one.
    pub async fn screen(&self, m: &MessageReceived) -> Result<Verdict, PolicyStoreError> {
        let user = &m.twitter.user_id;
        if self.bot_user_id.as_deref() == Some(user.as_str()) {
            return Ok(Verdict::suppress(
                SuppressReason::OwnPost,
                "the bot's own post",
            ));
        }
        if m.source == starling_contracts::MessageSource::Search {
            // Before stop/start too: a keyword match is no interaction with the bot.
            return Ok(Verdict::suppress(
                SuppressReason::KeywordMatch,
                "found by a keyword search: X forbids automatic replies to keyword matches",
            ));
        }
        if PolicyConfig::listed(&self.config.deny, user, &m.author) {
            return Ok(Verdict::suppress(
                SuppressReason::Denied,
                "on the deny list",
            ));
        }
        if !self.config.allow.is_empty()
            && !PolicyConfig::listed(&self.config.allow, user, &m.author)
        {
            return Ok(Verdict::suppress(
                SuppressReason::Denied,
                "not on the allow list",
            ));
        }
        let word = keyword(&m.text);
        let is = |list: &[String]| list.iter().any(|w| w.trim().eq_ignore_ascii_case(&word));
        if is(&self.config.stop_words) {
            return self.stop(m).await;
        }
        if is(&self.config.start_words)
            && let Some(verdict) = self.start(m).await?
        {
            return Ok(verdict);
        }
        let [author] = self
            .read_exact([author_key(&m.twitter.user_id)], self.clock.now())
            .await?;
        if parse::<AuthorState>(&author).opted_out {
            return Ok(Verdict::suppress(
                SuppressReason::OptedOut,
                "the author said stop",
            ));
        }
        if !m.summoned {
            return Ok(Verdict::suppress(
                SuppressReason::NotSummoned,
                "the post neither @mentions the bot in its body nor quotes it",
            ));
        }
        Ok(Verdict::Reply)
    }

    /// Admits a composed reply to `m`, charging the cooldown, the caps and the budget, or says
    /// which of them holds it back. Admitting the same post again gives the same verdict.
    pub async fn admit(&self, m: &MessageReceived) -> Result<Verdict, PolicyStoreError> {
        self.reserve(m, Verdict::Reply).await
    }

    /// [`ReplyPolicy::screen`], then [`ReplyPolicy::admit`] what it lets through: the whole
    /// decision for a caller that always has a reply to post.
    pub async fn decide(&self, m: &MessageReceived) -> Result<Verdict, PolicyStoreError> {
        match self.screen(m).await? {
            Verdict::Reply => self.admit(m).await,
            other => Ok(other),
        }
    }

    /// A stop: the opt-out is recorded whatever else holds; the confirmation is one reply, only
    /// when the stop summoned the bot (X refuses other replies) and only the first time.
    async fn stop(&self, m: &MessageReceived) -> Result<Verdict, PolicyStoreError> {
        match self.set_opted_out(m, true).await? {
            // This very stop was confirmed already: a retry gets the same confirmation.
            OptChange::Answered(earlier) => Ok(earlier),
            OptChange::Unchanged => Ok(Verdict::suppress(
                SuppressReason::OptedOut,
                "said stop again (already opted out)",
            )),
            OptChange::Changed if !m.summoned => Ok(Verdict::suppress(
                SuppressReason::OptedOut,
                "said stop without summoning the bot: opted out, no confirmation",
            )),
            OptChange::Changed => {
                let confirm = Verdict::Confirm(self.config.opt_out_confirmation.clone());
                self.reserve(m, confirm).await
            }
        }
    }

    /// A start: clears an opt-out and welcomes the author back. `None` when the author was not
    /// opted out (then "start" is an ordinary message).
    async fn start(&self, m: &MessageReceived) -> Result<Option<Verdict>, PolicyStoreError> {
        match self.set_opted_out(m, false).await? {
            OptChange::Answered(earlier) => Ok(Some(earlier)),
            OptChange::Unchanged => Ok(None),
            OptChange::Changed if !m.summoned => Ok(Some(Verdict::suppress(
                SuppressReason::NotSummoned,
                "opted back in without summoning the bot: no welcome reply",
            ))),
            OptChange::Changed => {
                let welcome = Verdict::Confirm(self.config.opt_in_confirmation.clone());
                self.reserve(m, welcome).await.map(Some)
            }
        }
    }

    /// Records the author of `m` as opted out (or back in), one compare-and-set. An opt-out is
    /// kept for good; an opt-in record expires with the author's reply window.
    async fn set_opted_out(
        &self,
        m: &MessageReceived,
        opted_out: bool,
    ) -> Result<OptChange, PolicyStoreError> {
        let key = author_key(&m.twitter.user_id);
        for _ in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let [record, post] = self
                .read_exact([key.clone(), post_key(&m.twitter.tweet_id)], now)
                .await?;
            if let Some(earlier) = memo(&post) {
                return Ok(OptChange::Answered(earlier));
            }
            let mut author: AuthorState = parse(&record);
            if author.opted_out == opted_out {
                return Ok(OptChange::Unchanged);
            }
            author.opted_out = opted_out;
            let write = PolicyWrite {
                key: key.clone(),
                expected_version: record.version,
                value: to_value(&author),
                expires_at: (!opted_out).then_some(now + DAY + BUCKET),
            };
            if self.store.write_all(&[write]).await? {
                return Ok(OptChange::Changed);
            }
        }
        Err(contended())
    }

    async fn reserve(
        &self,
        m: &MessageReceived,
        verdict: Verdict,
    ) -> Result<Verdict, PolicyStoreError> {
        for _ in 0..MAX_ATTEMPTS {
            if let Some(decided) = self.try_reserve(m, verdict.clone()).await? {
                return Ok(decided);
            }
        }
        Err(contended())
    }

    /// One read-decide-write round; `None` when another decision changed the records first.
    async fn try_reserve(
        &self,
        m: &MessageReceived,
        verdict: Verdict,
    ) -> Result<Option<Verdict>, PolicyStoreError> {
        let now = self.clock.now();
        let keys = [
            post_key(&m.twitter.tweet_id),
            author_key(&m.twitter.user_id),
            conversation_key(m),
            BUDGET_KEY.to_string(),
        ];
        let [post, author_rec, conversation_rec, budget_rec] =
            self.read_exact(keys.clone(), now).await?;
        // A post already allowed gets the same verdict: this is a retry or a redelivery, and
        // egress's idempotency key keeps it to one post on X.
        if let Some(earlier) = memo(&post) {
            return Ok(Some(earlier));
        }
        let mut author: AuthorState = parse(&author_rec);
        let c = &self.config;
        let cooldown = seconds(c.cooldown_seconds);
        if let Some(last) = author.replies.last
            && last > now - cooldown
        {
            return Ok(Some(Verdict::suppress(
                SuppressReason::Cooldown,
                format!(
                    "replied to this author {} s ago (cooldown {} s)",
                    (now - last).num_seconds(),
                    c.cooldown_seconds
                ),
            )));
        }
        let today = author.replies.count_since(now - DAY);
        if today >= u64::from(c.author_daily_cap) {
            return Ok(Some(Verdict::suppress(
                SuppressReason::AuthorCap,
                format!(
                    "{today} replies to this author in 24 h (cap {})",
                    c.author_daily_cap
                ),
            )));
        }
        let conversation_window = seconds(c.conversation_window_seconds);
        let mut conversation: Window = parse(&conversation_rec);
        let in_conversation = conversation.count_since(now - conversation_window);
        if in_conversation >= u64::from(c.conversation_cap) {
            return Ok(Some(Verdict::suppress(
                SuppressReason::ConversationCap,
                format!(
                    "{in_conversation} replies in {} in the last {} s (cap {})",
                    keys[2], c.conversation_window_seconds, c.conversation_cap
                ),
            )));
        }
        let budget_window = seconds(c.budget_window_seconds);
        let mut budget: Window = parse(&budget_rec);
        let spent = budget.count_since(now - budget_window);
        if spent >= u64::from(c.budget) {
            return Ok(Some(Verdict::suppress(
                SuppressReason::Budget,
                format!(
                    "{spent} replies in the last {} s (budget {})",
                    c.budget_window_seconds, c.budget
                ),
            )));
        }
        author.replies.record(now);
        conversation.record(now);
        budget.record(now);
        let author_expiry = (!author.opted_out).then_some(now + DAY + BUCKET);
        let writes = [
            (post, to_value(&verdict), Some(now + POST_MEMORY)),
            (author_rec, to_value(&author), author_expiry),
            (
                conversation_rec,
                to_value(&conversation),
                Some(now + conversation_window + BUCKET),
            ),
            (
                budget_rec,
                to_value(&budget),
                Some(now + budget_window + BUCKET),
            ),
        ]
        .into_iter()
        .zip(keys)
        .map(|((record, value, expires_at), key)| PolicyWrite {
            key,
            expected_version: record.version,
            value,
            expires_at,
        })
        .collect::<Vec<_>>();
        Ok(self.store.write_all(&writes).await?.then_some(verdict))
    }

    /// The repost rule's decision for a keyword-search match (README "Reposting curated
    /// authors"): own post, not curated, opted out, then one compare-and-set over the post, the
    /// daily cap and the budget replies share. The same post decided again gets the same answer.
    pub async fn decide_repost(
        &self,
        m: &MessageReceived,
    ) -> Result<RepostVerdict, PolicyStoreError> {
        let user = &m.twitter.user_id;
        if self.bot_user_id.as_deref() == Some(user.as_str()) {
            return Ok(RepostVerdict::suppress(
                RepostSuppressReason::OwnPost,
                "the bot's own post",
            ));
        }
        if !PolicyConfig::listed(&self.config.repost.authors, user, &m.author) {
            return Ok(RepostVerdict::suppress(
                RepostSuppressReason::NotCurated,
                format!("{} is not on repost.authors", m.author),
            ));
        }
        for _ in 0..MAX_ATTEMPTS {
            if let Some(decided) = self.try_reserve_repost(m).await? {
                return Ok(decided);
            }
        }
        Err(contended())
    }

    async fn try_reserve_repost(
        &self,
        m: &MessageReceived,
    ) -> Result<Option<RepostVerdict>, PolicyStoreError> {
        let now = self.clock.now();
        let keys = [
            repost_key(&m.twitter.tweet_id),
            author_key(&m.twitter.user_id),
            REPOSTS_KEY.to_string(),
            BUDGET_KEY.to_string(),
        ];
        let [post, author_rec, reposts_rec, budget_rec] =
            self.read_exact(keys.clone(), now).await?;
        if let Some(earlier) = post
            .value
            .as_ref()
            .and_then(|v| serde_json::from_value::<RepostVerdict>(v.clone()).ok())
        {
            return Ok(Some(earlier));
        }
        if parse::<AuthorState>(&author_rec).opted_out {
            return Ok(Some(RepostVerdict::suppress(
                RepostSuppressReason::OptedOut,
                "the author said stop to the bot",
            )));
        }
        let cap = self.config.repost.daily_cap;
        let mut reposts: Window = parse(&reposts_rec);
        let today = reposts.count_since(now - DAY);
        if today >= u64::from(cap) {
            return Ok(Some(RepostVerdict::suppress(
                RepostSuppressReason::DailyCap,
                format!("{today} reposts in 24 h (cap {cap})"),
            )));
        }
        let c = &self.config;
        let budget_window = seconds(c.budget_window_seconds);
        let mut budget: Window = parse(&budget_rec);
        let spent = budget.count_since(now - budget_window);
        if spent >= u64::from(c.budget) {
            return Ok(Some(RepostVerdict::suppress(
                RepostSuppressReason::Budget,
                format!(
                    "{spent} posts in the last {} s (budget {}, shared with replies)",
                    c.budget_window_seconds, c.budget
                ),
            )));
        }
        reposts.record(now);
        budget.record(now);
        let verdict = RepostVerdict::Repost;
        let [post_key_, _, reposts_key, budget_key] = keys;
        let writes = [
            PolicyWrite {
                key: post_key_,
                expected_version: post.version,
                value: to_value(&verdict),
                expires_at: Some(now + POST_MEMORY),
            },
            PolicyWrite {
                key: reposts_key,
                expected_version: reposts_rec.version,
                value: to_value(&reposts),
                expires_at: Some(now + DAY + BUCKET),
            },
            PolicyWrite {
                key: budget_key,
                expected_version: budget_rec.version,
                value: to_value(&budget),
                expires_at: Some(now + budget_window + BUCKET),
            },
        ];
        Ok(self.store.write_all(&writes).await?.then_some(verdict))
    }

    async fn read_exact<const N: usize>(
        &self,
        keys: [String; N],
        now: DateTime<Utc>,
    ) -> Result<[PolicyRecord; N], PolicyStoreError> {
        let records = self.store.read(&keys, now).await?;
        records.try_into().map_err(|got: Vec<PolicyRecord>| {
            PolicyStoreError(format!("asked for {N} records, got {}", got.len()))
        })
    }
}

/// The shared budget's key.
const BUDGET_KEY: &str = "budget";
/// The repost rule's daily window.
const REPOSTS_KEY: &str = "reposts";

fn repost_key(tweet_id: &str) -> String {
    format!("repost:{tweet_id}")
}

fn post_key(tweet_id: &str) -> String {
    format!("post:{tweet_id}")
}

fn author_key(user_id: &str) -> String {
    format!("author:{user_id}")
}

/// The conversation: X's `conversation_id` when the payload has one (v2), else the exchange with
/// this author (v1.1 tweets carry no conversation id; a loop between two bots is one author).
fn conversation_key(m: &MessageReceived) -> String {
    match &m.twitter.conversation_id {
        Some(id) => format!("conversation:{id}"),
        None => format!("conversation:with:{}", m.twitter.user_id),
    }
}

/// `s` seconds; the configuration caps every duration at a year ([`PolicyConfig`] validation),
/// and anything larger reads as a year rather than overflowing a date.
fn seconds(s: u64) -> TimeDelta {
    let year = TimeDelta::days(366);
    i64::try_from(s)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .map_or(year, |d| d.min(year))
}

fn to_value<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn contended() -> PolicyStoreError {
    PolicyStoreError(format!(
        "{MAX_ATTEMPTS} decisions in a row lost a race for the same records; retry later"
    ))
}

/// The message as a keyword: mentions and URLs removed, lower-cased, end punctuation trimmed.
fn keyword(text: &str) -> String {
    text_for_bot(text)
        .trim()
        .trim_end_matches(['.', '!', '?', ','])
        .trim()
        .to_lowercase()
}
