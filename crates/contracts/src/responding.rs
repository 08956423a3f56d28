//! SEND_TWEET, TWEET_SENT and TWEET_FAILED.

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
