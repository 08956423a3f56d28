//! The X Activity API (XAA) envelope: `{"data": {event_uuid, filter, event_type, tag, payload, includes?}}`.
//!
//! Followed: X's "X Activity API event payload examples" (`x-api/activity/event-payloads`) and the
//! event-type table of the XAA introduction (`x-api/activity/introduction`). Each delivery is one
//! event; its item's `raw` is the whole `data` object (so `event_type`, `filter` and `includes` travel
//! with the payload).
//!
//! Mapping (anything not listed, e.g. `profile.update.*`, `news.new`, `spaces.*`, `broadcast.*`,
//! `chat.conversation_join`, → `Unknown(event_type)`):
//!
//! | event_type | kind |
//! |---|---|
//! | `post.create`, `post.mention.create`, `post.reply.create`, `post.quote.create`, `post.repost.create` | Tweeted (with a Post) |
//! | `post.delete` | Deleted |
//! | `like.create` | Favourited |
//! | `follow.follow` / `follow.unfollow` | Followed / Unfollowed |
//! | `block.block` / `block.unblock` | Blocked / Unblocked |
//! | `mute.mute` / `mute.unmute` | Muted / Unmuted |
//! | `dm.received`, `dm.sent`, `chat.received`, `chat.sent` | DmReceived (sent and received, as in Account Activity; `chat.*` are the encrypted XChat DMs) |
//! | `dm.indicate_typing` | DmTyping |
//! | `dm.read` | DmMarkedRead |
//! | `oauth.revoke` | PermissionRevoked |

use serde_json::Value;

use super::post_v2::post_from_v2;
use super::text::{id_like, str_field};
use super::{ActivityItem, ActivityKind, Delivery, DeliverySource};

/// The kind for an XAA `event_type`.
pub(crate) fn kind_for_event_type(event_type: &str) -> ActivityKind {
    match event_type {
        "post.create"
        | "post.mention.create"
        | "post.reply.create"
        | "post.quote.create"
        | "post.repost.create" => ActivityKind::Tweeted,
        "post.delete" => ActivityKind::Deleted,
        "like.create" => ActivityKind::Favourited,
        "follow.follow" => ActivityKind::Followed,
        "follow.unfollow" => ActivityKind::Unfollowed,
        "block.block" => ActivityKind::Blocked,
        "block.unblock" => ActivityKind::Unblocked,
        "mute.mute" => ActivityKind::Muted,
        "mute.unmute" => ActivityKind::Unmuted,
        "dm.received" | "dm.sent" | "chat.received" | "chat.sent" => ActivityKind::DmReceived,
        "dm.indicate_typing" => ActivityKind::DmTyping,
        "dm.read" => ActivityKind::DmMarkedRead,
        "oauth.revoke" => ActivityKind::PermissionRevoked,
        other => ActivityKind::Unknown(other.to_owned()),
    }
}

/// Whether `data` looks like an XAA event (rather than a filtered-stream post).
pub(super) fn is_event(data: &Value) -> bool {
    data.get("event_type").is_some() || data.get("event_uuid").is_some()
}

/// One XAA event → one item.
fn item(event: &Value) -> ActivityItem {
    let kind = match str_field(event, "event_type") {
        Some(event_type) => kind_for_event_type(event_type),
        None => ActivityKind::Unknown("data".to_owned()),
    };
    let post = match kind {
        ActivityKind::Tweeted => event
            .get("payload")
            .and_then(|p| post_from_v2(p, event.get("includes"))),
        _ => None,
    };
    ActivityItem {
        kind,
        raw: event.clone(),
        post,
    }
}

/// Parses the `data` of an XAA delivery: one event object (as documented), or an array of them.
pub(super) fn parse(data: &Value) -> Delivery {
    let events: Vec<&Value> = match data {
        Value::Array(list) => list.iter().collect(),
        other => vec![other],
    };
    let for_user_id = events.iter().find_map(|e| {
        e.get("filter")
            .and_then(|f| f.get("user_id"))
            .and_then(id_like)
    });
    Delivery {
        source: DeliverySource::XActivity,
        for_user_id,
        items: events.into_iter().map(item).collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn post_event_types_are_all_tweeted() {
        for event_type in [
            "post.create",
            "post.mention.create",
            "post.reply.create",
            "post.quote.create",
            "post.repost.create",
        ] {
            assert_eq!(
                kind_for_event_type(event_type),
                ActivityKind::Tweeted,
                "{event_type}"
            );
        }
        assert_eq!(
            kind_for_event_type("spaces.start"),
            ActivityKind::Unknown("spaces.start".into())
        );
    }

    #[test]
    fn an_array_of_events_gives_one_item_each() {
        let data = json!([
            {"event_type": "like.create", "filter": {"user_id": "7"}, "payload": {}},
            {"event_type": "follow.follow", "payload": {}}
        ]);
        let delivery = parse(&data);
        assert_eq!(delivery.items.len(), 2);
        assert_eq!(delivery.for_user_id.as_deref(), Some("7"));
        assert_eq!(delivery.items[1].kind, ActivityKind::Followed);
    }

    #[test]
    fn an_event_without_event_type_is_unknown_data() {
        let delivery = parse(&json!({"event_uuid": "1", "payload": {}}));
        assert_eq!(delivery.items[0].kind, ActivityKind::Unknown("data".into()));
    }
}
