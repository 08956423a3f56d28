//! Webhook payloads: X's Account Activity deliveries, X Activity API deliveries and filtered-stream
//! webhooks, parsed into typed activity items.
//!
//! STUB — the API below is the contract `starling-core` codes against; the implementation is in progress.

use serde_json::Value;

/// Which X product sent a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverySource {
    /// The (deprecated) Account Activity API: `for_user_id` plus activity arrays.
    AccountActivity,
    /// The X Activity API: `{"data": {event_uuid, filter, event_type, tag, payload, includes}}`.
    XActivity,
    /// A filtered-stream webhook: `data`, `includes`, `matching_rules`.
    FilteredStream,
}

/// One webhook delivery, whichever X product sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Which product's envelope this was.
    pub source: DeliverySource,
    /// The subscribed account the delivery is for, when X says.
    pub for_user_id: Option<String>,
    /// Every activity item in delivery order.
    pub items: Vec<ActivityItem>,
}

/// One activity item of a delivery: its kind, the untouched JSON, and the post it carries, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityItem {
    /// What happened.
    pub kind: ActivityKind,
    /// The item exactly as X sent it.
    pub raw: Value,
    /// For created posts (and mentions): the normalised post.
    pub post: Option<Post>,
}

/// The kinds of activity X delivers. `Unknown` keeps the key (or event type) X used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityKind {
    /// A post was created (by or mentioning/replying to the account).
    Tweeted,
    /// A post was liked.
    Favourited,
    /// Followed.
    Followed,
    /// Unfollowed.
    Unfollowed,
    /// Blocked.
    Blocked,
    /// Unblocked.
    Unblocked,
    /// Muted.
    Muted,
    /// Unmuted.
    Unmuted,
    /// The user revoked the app's permission.
    PermissionRevoked,
    /// A direct message was received (or sent).
    DmReceived,
    /// Someone is typing a DM.
    DmTyping,
    /// A DM was marked read.
    DmMarkedRead,
    /// A post was deleted.
    Deleted,
    /// Anything else; the string is X's key or event type.
    Unknown(String),
}

impl ActivityKind {
    /// The `TWITTER_<KIND>` detail-type for this kind.
    pub fn detail_type(&self) -> &'static str {
        match self {
            Self::Tweeted => "TWITTER_TWEETED",
            Self::Favourited => "TWITTER_FAVOURITED",
            Self::Followed => "TWITTER_FOLLOWED",
            Self::Unfollowed => "TWITTER_UNFOLLOWED",
            Self::Blocked => "TWITTER_BLOCKED",
            Self::Unblocked => "TWITTER_UNBLOCKED",
            Self::Muted => "TWITTER_MUTED",
            Self::Unmuted => "TWITTER_UNMUTED",
            Self::PermissionRevoked => "TWITTER_PERMISSION_REVOKED",
            Self::DmReceived => "TWITTER_DM_RECEIVED",
            Self::DmTyping => "TWITTER_DM_TYPING",
            Self::DmMarkedRead => "TWITTER_DM_MARKED_READ",
            Self::Deleted => "TWITTER_DELETED",
            Self::Unknown(_) => "TWITTER_UNKNOWN",
        }
    }
}

/// A post normalised from whichever shape X used (v1.1 tweet object or v2 post + includes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Post {
    /// Post id, always a string.
    pub id: String,
    /// Full text (extended text when truncated), display range applied, HTML entities decoded.
    pub text: String,
    /// Author's user id.
    pub author_id: String,
    /// Author's handle (screen name), without `@`, when known.
    pub author_username: Option<String>,
    /// X's language code (`lang`), when given.
    pub lang: Option<String>,
    /// Creation time in RFC 3339.
    pub created_at: Option<String>,
    /// Photos, and videos/GIFs by their thumbnail.
    pub media: Vec<Media>,
    /// A plain retweet/repost (not a quote).
    pub is_retweet: bool,
    /// The post this one replies to.
    pub in_reply_to_post_id: Option<String>,
}

/// One media attachment of a post.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    /// The image URL: the photo itself, or the thumbnail of a video or GIF.
    pub url: String,
    /// What X says the media is.
    pub kind: MediaKind,
    /// The alt text the author wrote, if any.
    pub alt_text: Option<String>,
}

/// Media types X delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// A photo.
    Photo,
    /// A video (thumbnail used).
    Video,
    /// An animated GIF (thumbnail used).
    AnimatedGif,
}

impl MediaKind {
    /// X's own name for the type: `photo`, `video`, `animated_gif`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Video => "video",
            Self::AnimatedGif => "animated_gif",
        }
    }
}

/// Why a delivery body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The body is not JSON.
    #[error("body is not valid JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// The body is JSON but not an object.
    #[error("body is JSON but not an object")]
    NotAnObject,
}

/// Parses a delivery body (any of the three envelopes).
pub fn parse_delivery(body: &[u8]) -> Result<Delivery, PayloadError> {
    let value: Value = serde_json::from_slice(body)?;
    if !value.is_object() {
        return Err(PayloadError::NotAnObject);
    }
    Ok(Delivery { source: DeliverySource::AccountActivity, for_user_id: None, items: Vec::new() })
}
