//! Webhook payloads: X's Account Activity deliveries, X Activity API deliveries and filtered-stream
//! webhooks, parsed into typed activity items.
//!
//! [`parse_delivery`] recognises the envelope, splits it into [`ActivityItem`]s (one per activity,
//! in delivery order, each with the untouched JSON) and normalises any post into a [`Post`].
//! It never panics and never drops an item: what it cannot understand is kept as
//! [`ActivityKind::Unknown`], and a post it cannot normalise is published raw with `post: None`.
//!
//! # Which documentation this follows
//!
//! X's developer documentation as published in `github.com/xdevplatform/docs` (snapshot of
//! 2026-08-22, commit `2871328`):
//!
//! - Account Activity API: `x-api/account-activity/introduction.mdx` (activity keys, payload
//!   examples, longform posts);
//! - X Activity API: `x-api/activity/event-payloads.mdx` and `x-api/activity/introduction.mdx`
//!   (envelope, event types and their payloads);
//! - filtered-stream webhooks: `x-api/webhooks/stream/quickstart.mdx` (delivery example);
//! - tweet objects: `x-api/enterprise-gnip-2.0/fundamentals/data-dictionary.mdx` (v1.1 shape) and
//!   `x-api/fundamentals/data-dictionary.mdx` (v2 shape).
//!
//! Points the documents leave implicit, settled here:
//!
//! - ranges (`display_text_range`) count Unicode code points (not bytes, not UTF-16 units) of the
//!   text *as X sends it*, HTML-escaped; so text is sliced first and HTML-decoded second (client
//!   libraries that decode first report the ranges as shifted: Twitter4J issue 349, Penicillin
//!   issue 36);
//! - the v2 `display_text_range` is applied to `text` the same way (not to `note_tweet.text`);
//! - dates are normalised to the v2 form (`2018-10-10T20:19:24.000Z`) whichever shape sent them.
//!
//! # Envelope recognition
//!
//! - `{"data": {"event_type" | "event_uuid", …}}` (or `data` an array of such) → X Activity API;
//! - `{"data": {post}, "matching_rules": …}` (or `data` with `id`/`text`) → filtered stream;
//! - any other object → Account Activity (unknown keys become `Unknown(key)` items).
//!
//! # Items
//!
//! - **Account Activity**: one item per element of each activity array, `raw` = the element; the
//!   13 keys map to the 13 kinds (`tweet_create_events` → Tweeted … `tweet_delete_events` → Deleted),
//!   except that an element's `type` (`follow`/`unfollow`, `block`/`unblock`, `mute`/`unmute`) wins
//!   over its array, as X delivers unfollows in `follow_events`. `user_event` is one object
//!   (`{"revoke": …}` → PermissionRevoked). `for_user_id`, `user_has_blocked`, `is_blocked_by`,
//!   `users` and `apps` describe the delivery and are not items; any other key is one
//!   `Unknown(key)` item whose `raw` is its value. Only `tweet_create_events` items carry a `post`.
//! - **X Activity API**: one item per event, `raw` = the `data` object; `for_user_id` =
//!   `filter.user_id`. `post.create`, `post.mention.create`, `post.reply.create`,
//!   `post.quote.create`, `post.repost.create` → Tweeted with a `post`; `post.delete` → Deleted;
//!   `like.create` → Favourited; `follow.follow`/`follow.unfollow`, `block.block`/`block.unblock`,
//!   `mute.mute`/`mute.unmute` → their kinds; `dm.received`, `dm.sent`, `chat.received`,
//!   `chat.sent` → DmReceived; `dm.indicate_typing` → DmTyping; `dm.read` → DmMarkedRead;
//!   `oauth.revoke` → PermissionRevoked; any other event type → `Unknown(event_type)`.
//! - **Filtered stream**: one Tweeted item, `raw` = the whole body (post, `includes`,
//!   `matching_rules`).

mod account_activity;
mod filtered_stream;
mod post_v2;
mod text;
mod tweet_v1;
mod x_activity;

pub use post_v2::{post_from_v2, split_page};
pub use tweet_v1::post_from_tweet_v1;

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
    /// Users @mentioned in the body, by id, in order: X's mention entities minus the leading
    /// reply-to prefix (mentions before `display_text_range`), which X adds to every reply and
    /// does not count as the author summoning anyone.
    pub mentioned_user_ids: Vec<String>,
    /// The same mentions by handle, lower-cased, without `@` (for entities X gave no id for).
    pub mentioned_usernames: Vec<String>,
    /// The author of the post this one quotes, when X included the quoted post.
    pub quoted_author_id: Option<String>,
    /// The conversation (thread root) id, when X gives one (v2 `conversation_id`).
    pub conversation_id: Option<String>,
}

impl Post {
    /// Whether the author summoned `bot` — @mentioned it in the body or quoted one of its posts —
    /// the one case in which X accepts a programmatic reply (X API changelog, 2026-02-23).
    /// `bot_username` matches mentions X gave no id for, case-insensitively.
    pub fn summons(&self, bot_user_id: &str, bot_username: Option<&str>) -> bool {
        let by_id = self.mentioned_user_ids.iter().any(|id| id == bot_user_id);
        let by_name = bot_username.is_some_and(|name| {
            let name = name.trim_start_matches('@').to_lowercase();
            self.mentioned_usernames.contains(&name)
        });
        let quoted = self.quoted_author_id.as_deref() == Some(bot_user_id);
        by_id || by_name || quoted
    }
}

/// Mention entities outside the reply prefix: `(ids, lower-cased handles)`. `start_of` reads an
/// entity's first code point; `display_start` is where `display_text_range` begins (0 if absent).
pub(crate) fn body_mentions(
    entities: Option<&Value>,
    display_start: usize,
    start_of: impl Fn(&Value) -> Option<usize>,
    id_key: &str,
    name_key: &str,
) -> (Vec<String>, Vec<String>) {
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for mention in entities.and_then(Value::as_array).into_iter().flatten() {
        if start_of(mention).is_some_and(|start| start < display_start) {
            continue;
        }
        if let Some(id) = text::non_empty_string(mention, id_key) {
            ids.push(id);
        }
        if let Some(name) = text::non_empty_string(mention, name_key) {
            names.push(name.to_lowercase());
        }
    }
    (ids, names)
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
///
/// Errors only when the body is not a JSON object; everything inside an object becomes items.
/// The body is decoded once, keeping X's key order, and its values are moved (not copied) into items.
pub fn parse_delivery(body: &[u8]) -> Result<Delivery, PayloadError> {
    match serde_json::from_slice::<OrderedObject>(body) {
        Ok(OrderedObject(entries)) => Ok(parse_entries(entries)),
        // Tell "not JSON" from "JSON but not an object" only on the error path.
        Err(e) => match serde_json::from_slice::<Value>(body) {
            Ok(_) => Err(PayloadError::NotAnObject),
            Err(_) => Err(PayloadError::NotJson(e)),
        },
    }
}

/// Parses an already-decoded delivery body. Returns `None` when it is not a JSON object.
///
/// Items of an Account Activity delivery come out in key order as X sent them only through
/// [`parse_delivery`] (which sees the bytes); here they follow `serde_json`'s map order.
pub fn parse_delivery_value(value: &Value) -> Option<Delivery> {
    let map = value.as_object()?;
    Some(parse_entries(
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    ))
}

fn parse_entries(entries: Vec<(String, Value)>) -> Delivery {
    if !entries.iter().any(|(k, _)| k == "data") {
        return account_activity::parse(entries);
    }
    let value = Value::Object(entries.iter().cloned().collect());
    if let Some(data) = value.get("data") {
        let xaa = match data {
            Value::Array(list) => !list.is_empty() && list.iter().all(x_activity::is_event),
            other => x_activity::is_event(other),
        };
        if xaa {
            return x_activity::parse(data);
        }
        if filtered_stream::is_delivery(&value, data) {
            return filtered_stream::parse(&value);
        }
    }
    account_activity::parse(entries)
}

/// A JSON object read as a list of entries, keeping their order.
struct OrderedObject(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for OrderedObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = OrderedObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<OrderedObject, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(OrderedObject(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}
