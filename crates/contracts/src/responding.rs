//! SEND_TWEET, TWEET_SENT, TWEET_FAILED, REPLY_SUPPRESSED, MODERATION_FLAGGED, REPOSTED and
//! REPOST_SUPPRESSED.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A reply to post on X.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SendTweet {
    /// The reply's text.
    pub text: String,
    /// The post replied to.
    pub reply_to_tweet_id: String,
    /// The author of the post replied to.
    pub reply_to_user_id: String,
    /// The handle of that author, when known (kept whole when the text is truncated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to_username: Option<String>,
    /// Media-bucket keys of the images to attach (X allows four). The brief's singular `ImageKey`
    /// became a list because one post may carry four annotated images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_keys: Vec<String>,
    /// Same key, same reply: egress posts each key at most once.
    pub idempotency_key: String,
}

/// A reply was posted on X.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TweetSent {
    /// The post replied to.
    pub reply_to_tweet_id: String,
    /// The new post's id.
    pub tweet_id: String,
    /// The SEND_TWEET's idempotency key.
    pub idempotency_key: String,
}

/// A reply could not be posted, permanently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TweetFailed {
    /// The post replied to.
    pub reply_to_tweet_id: String,
    /// X's error (status and message), without credentials.
    pub error: String,
    /// The SEND_TWEET's idempotency key.
    pub idempotency_key: String,
}

/// A reply the bot did not post, and why: every message the reply policy holds back (and every
/// reply a dry run composes) is counted, never silently dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ReplySuppressed {
    /// Why no reply was posted.
    pub reason: SuppressReason,
    /// The post that got no reply.
    pub tweet_id: String,
    /// Its author's user id.
    pub user_id: String,
    /// Its author's handle (the user id when X gave none).
    pub author: String,
    /// What the rule saw, for people (e.g. "3 replies in conversation 90 in the last hour").
    pub detail: String,
    /// The reply that would have been posted, when one was composed (dry run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Why a reply was not posted. Kebab-case on the wire (`not-summoned`, `conversation-cap`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressReason {
    /// The author did not @mention the bot in the body or quote it (X refuses such replies).
    NotSummoned,
    /// The bot's own post.
    OwnPost,
    /// The author said stop (and has not said start since).
    OptedOut,
    /// The author is on the deny list, or an allow list is set and they are not on it.
    Denied,
    /// The post was already answered (one reply per interaction).
    AlreadyAnswered,
    /// The bot answered this author too recently.
    Cooldown,
    /// The author reached the daily cap of replies.
    AuthorCap,
    /// The bot replied too often in this conversation (bot-to-bot loops).
    ConversationCap,
    /// The global budget (kept under X's posting limits) is spent for now.
    Budget,
    /// Moderation flagged the message or its images.
    Moderation,
    /// Dry run: the reply was composed and recorded, not posted.
    DryRun,
    /// The post was found by a keyword search: X forbids automatic replies to keyword matches.
    KeywordMatch,
}

impl SuppressReason {
    /// The wire name (`not-summoned`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSummoned => "not-summoned",
            Self::OwnPost => "own-post",
            Self::OptedOut => "opted-out",
            Self::Denied => "denied",
            Self::AlreadyAnswered => "already-answered",
            Self::Cooldown => "cooldown",
            Self::AuthorCap => "author-cap",
            Self::ConversationCap => "conversation-cap",
            Self::Budget => "budget",
            Self::Moderation => "moderation",
            Self::DryRun => "dry-run",
            Self::KeywordMatch => "keyword-match",
        }
    }
}

impl std::fmt::Display for SuppressReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The moderation gate flagged a message or its images, so no reply carries them: published by
/// reply-image and reply-text beside the REPLY_SUPPRESSED `moderation` it causes. It names the
/// provider and the labels, never the post's text. The `alert-moderation` route sends it to the
/// alert handler when `Alert` is true (the reply policy's `moderation.alertOnFlag`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ModerationFlagged {
    /// The post that got no reply.
    pub tweet_id: String,
    /// Its author's user id.
    pub user_id: String,
    /// Its author's handle (the user id when X gave none).
    pub author: String,
    /// What was moderated.
    pub content: ModeratedContent,
    /// Who judged it (`amazon-rekognition`, `amazon-comprehend`, …).
    pub provider: String,
    /// The labels at or over the threshold, most confident first.
    pub labels: Vec<ModerationLabel>,
    /// Media-bucket keys of the flagged images (empty for text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_keys: Vec<String>,
    /// Whether ops are alerted (`moderation.alertOnFlag`).
    pub alert: bool,
}

/// What the moderation gate looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ModeratedContent {
    /// The images a reply would attach (Rekognition `DetectModerationLabels`).
    Image,
    /// The post's text and the composed reply (Comprehend `DetectToxicContent`).
    Text,
}

impl ModeratedContent {
    /// The wire name (`image`, `text`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Text => "text",
        }
    }
}

/// One moderation label: Rekognition's moderation label (`Explicit Nudity`, `Violence`, …) or
/// Comprehend's toxic content type (`PROFANITY`, `HATE_SPEECH`, …, and `TOXICITY` for the
/// overall score).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ModerationLabel {
    /// The label's name, as the provider spells it.
    pub name: String,
    /// Confidence in percent, 0–100 (Rekognition's `Confidence`; Comprehend's `Score` × 100).
    pub confidence: f64,
}

/// The repost rule reposted a keyword-search match from a curated author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Reposted {
    /// The post reposted.
    pub tweet_id: String,
    /// Its author's user id.
    pub user_id: String,
    /// Its author's handle (the user id when X gave none).
    pub author: String,
    /// The repost's id, when X gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repost_id: Option<String>,
}

/// A keyword-search match the repost rule did not repost, and why (only while the rule is on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RepostSuppressed {
    /// Why it was not reposted.
    pub reason: RepostSuppressReason,
    /// The post not reposted.
    pub tweet_id: String,
    /// Its author's user id.
    pub user_id: String,
    /// Its author's handle (the user id when X gave none).
    pub author: String,
    /// What the rule saw, for people (e.g. "10 reposts in 24 h (cap 10)").
    pub detail: String,
}

/// Why a search match was not reposted. Kebab-case on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RepostSuppressReason {
    /// The author is not on the curated list (X allows reposting a curated list, not bulk).
    NotCurated,
    /// The bot's own post.
    OwnPost,
    /// The author said stop to the bot.
    OptedOut,
    /// The daily cap of reposts is reached.
    DailyCap,
    /// The reply policy's global budget (shared with replies) is spent for now.
    Budget,
    /// Dry run: decided, not reposted.
    DryRun,
    /// X refused the repost for good (its error in `Detail`).
    Refused,
}

impl RepostSuppressReason {
    /// The wire name (`not-curated`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotCurated => "not-curated",
            Self::OwnPost => "own-post",
            Self::OptedOut => "opted-out",
            Self::DailyCap => "daily-cap",
            Self::Budget => "budget",
            Self::DryRun => "dry-run",
            Self::Refused => "refused",
        }
    }
}

impl std::fmt::Display for RepostSuppressReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
