//! MESSAGE_RECEIVED, MESSAGE_ANALYSED and MESSAGE_ANALYSIS_FAILED.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;

/// A post for the bot to look at: the anti-corruption layer's domain event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct MessageReceived {
    /// Full text of the post, HTML entities decoded.
    pub text: String,
    /// The author's handle, without `@` (the user id when X gave no handle).
    pub author: String,
    /// X's language code for the post (`und` when X could not tell); may be absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// When the post was created, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Image URLs to analyse: photos, and the thumbnails of videos and GIFs.
    #[serde(default)]
    pub image_urls: Vec<String>,
    /// Media attachments with their type and alt text.
    #[serde(default)]
    pub media: Vec<MediaItem>,
    /// X ids of the post and its author.
    pub twitter: TwitterRef,
    /// Whether the author summoned the bot: @mentioned it in the post's body (not only in the
    /// reply-to prefix) or quoted one of its posts. The reply policy answers only such posts, as
    /// X's rules require; absent (older events) means no.
    #[serde(default)]
    pub summoned: bool,
    /// Which way the post came in: `webhook`, `stream` (the X Activity API stream), `mentions`
    /// (the mentions poller) or `search` (never replied to); absent (older events) means `webhook`. A post that came several
    /// ways is one MESSAGE_RECEIVED, with the first way.
    #[serde(default)]
    pub source: MessageSource,
}

/// Which way a post came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageSource {
    /// X called the webhook (Account Activity or X Activity API, or a filtered-stream webhook).
    #[default]
    Webhook,
    /// The X Activity API's persistent stream.
    Stream,
    /// The mentions poller (`GET /2/users/:id/mentions`).
    Mentions,
    /// A keyword or hashtag search (`GET /2/tweets/search/recent`): analysed, alerted on and
    /// kept in the lake, never replied to (X forbids automatic replies to keyword matches).
    Search,
}

/// One media attachment of a received post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct MediaItem {
    /// The image URL (the thumbnail for videos and GIFs).
    pub url: String,
    /// `photo`, `video` or `animated_gif`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The author's alt text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

/// X ids of a post.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TwitterRef {
    /// The post id (a string: X ids overflow JSON numbers).
    pub tweet_id: String,
    /// The author's user id.
    pub user_id: String,
    /// The post this one replies to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to_tweet_id: Option<String>,
    /// The conversation (thread root) the post belongs to, when X says (v2 payloads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
}

/// A received message with its analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct MessageAnalysed {
    /// The received message's fields, unchanged.
    #[serde(flatten)]
    pub message: MessageReceived,
    /// What the text and image analysis found.
    pub analysis: Analysis,
}

/// A received message whose analysis failed — never silently dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct MessageAnalysisFailed {
    /// The received message's fields, unchanged.
    #[serde(flatten)]
    pub message: MessageReceived,
    /// Where and why it failed.
    pub error: StageError,
}

/// A failure in one stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct StageError {
    /// The stage that failed, e.g. `analyse-text`, `download-media`.
    pub stage: String,
    /// The error name and message, without secrets.
    pub cause: String,
}

/// The detail of `TWITTER_UNKNOWN`: an activity key Starling does not know, kept raw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UnknownActivity {
    /// X's key (Account Activity) or event type (X Activity API).
    pub key: String,
    /// The value exactly as X sent it.
    pub payload: serde_json::Value,
}
