//! The Account Activity API envelope: `for_user_id` plus one or more activity keys.
//!
//! Followed: X's Account Activity introduction (`x-api/account-activity/introduction`: the 13
//! "available activities" and their payload examples, including unfollow/unblock/unmute delivered
//! inside `follow_events` / `block_events` / `mute_events` with a `type` field, and `user_event`
//! as an object holding `revoke`) and the data-object table there (`for_user_id`, `is_blocked_by`;
//! the mention example adds `user_has_blocked`; DM examples add the `users` and `apps` lookup maps).

use serde_json::Value;

use super::text::id_like;
use super::tweet_v1::post_from_tweet_v1;
use super::{ActivityItem, ActivityKind, Delivery, DeliverySource};

/// Top-level keys that describe the delivery rather than carry activity: never published as items.
pub(crate) const BOOKKEEPING_KEYS: &[&str] = &[
    "for_user_id",
    "user_has_blocked",
    "is_blocked_by",
    "users",
    "apps",
];

/// The kind an activity key stands for.
fn kind_for_key(key: &str) -> Option<ActivityKind> {
    Some(match key {
        "tweet_create_events" => ActivityKind::Tweeted,
        "favorite_events" => ActivityKind::Favourited,
        "follow_events" => ActivityKind::Followed,
        "unfollow_events" => ActivityKind::Unfollowed,
        "block_events" => ActivityKind::Blocked,
        "unblock_events" => ActivityKind::Unblocked,
        "mute_events" => ActivityKind::Muted,
        "unmute_events" => ActivityKind::Unmuted,
        "user_event" => ActivityKind::PermissionRevoked,
        "direct_message_events" => ActivityKind::DmReceived,
        "direct_message_indicate_typing_events" => ActivityKind::DmTyping,
        "direct_message_mark_read_events" => ActivityKind::DmMarkedRead,
        "tweet_delete_events" => ActivityKind::Deleted,
        _ => return None,
    })
}

/// The kind an item's own `type` names, for the keys where X uses one key for both directions.
fn kind_for_type(key: &str, item: &Value) -> Option<ActivityKind> {
    let relationship_key = matches!(
        key,
        "follow_events"
            | "unfollow_events"
            | "block_events"
            | "unblock_events"
            | "mute_events"
            | "unmute_events"
    );
    if !relationship_key {
        return None;
    }
    Some(match item.get("type").and_then(Value::as_str)? {
        "follow" => ActivityKind::Followed,
        "unfollow" => ActivityKind::Unfollowed,
        "block" => ActivityKind::Blocked,
        "unblock" => ActivityKind::Unblocked,
        "mute" => ActivityKind::Muted,
        "unmute" => ActivityKind::Unmuted,
        _ => return None,
    })
}

/// One item of a known activity key.
fn item(key: &str, default: &ActivityKind, raw: Value) -> ActivityItem {
    let kind = kind_for_type(key, &raw).unwrap_or_else(|| default.clone());
    let post = if kind == ActivityKind::Tweeted {
        post_from_tweet_v1(&raw)
    } else {
        None
    };
    ActivityItem { kind, raw, post }
}

/// Parses the envelope's entries, in the order X sent them.
pub(super) fn parse(entries: Vec<(String, Value)>) -> Delivery {
    let mut for_user_id = None;
    let mut items = Vec::new();
    for (key, value) in entries {
        if key == "for_user_id" {
            for_user_id = id_like(&value).or(for_user_id);
            continue;
        }
        if BOOKKEEPING_KEYS.contains(&key.as_str()) {
            continue;
        }
        match (kind_for_key(&key), value) {
            (Some(ActivityKind::PermissionRevoked), Value::Object(map))
                if !map.contains_key("revoke") =>
            {
                items.push(ActivityItem {
                    kind: ActivityKind::Unknown(key),
                    raw: Value::Object(map),
                    post: None,
                });
            }
            (Some(ActivityKind::PermissionRevoked), value) => {
                items.push(ActivityItem {
                    kind: ActivityKind::PermissionRevoked,
                    raw: value,
                    post: None,
                });
            }
            (Some(kind), Value::Array(list)) => {
                items.extend(list.into_iter().map(|raw| item(&key, &kind, raw)))
            }
            // Not the documented array: still published, whole, under the key's kind.
            (Some(kind), value) => items.push(item(&key, &kind, value)),
            (None, value) => {
                items.push(ActivityItem {
                    kind: ActivityKind::Unknown(key),
                    raw: value,
                    post: None,
                });
            }
        }
    }
    Delivery {
        source: DeliverySource::AccountActivity,
        for_user_id,
        items,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entries(value: Value) -> Vec<(String, Value)> {
        value
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    #[test]
    fn bookkeeping_keys_yield_no_items_but_for_user_id_is_read() {
        let delivery = parse(entries(json!({
            "for_user_id": "1", "user_has_blocked": "false", "is_blocked_by": "true", "users": {}, "apps": {}
        })));
        assert!(delivery.items.is_empty());
        assert_eq!(delivery.for_user_id.as_deref(), Some("1"));
    }

    #[test]
    fn a_user_event_without_revoke_is_unknown() {
        let delivery = parse(entries(json!({"user_event": {"something_else": {}}})));
        assert_eq!(
            delivery.items[0].kind,
            ActivityKind::Unknown("user_event".into())
        );
    }

    #[test]
    fn only_tweets_get_a_post() {
        let tweet = json!({"id_str": "1", "text": "hi", "user": {"id_str": "2"}});
        let delivery = parse(entries(
            json!({"tweet_create_events": [tweet.clone()], "favorite_events": [tweet]}),
        ));
        for item in &delivery.items {
            let expected = (item.kind == ActivityKind::Tweeted).then(|| "1".to_owned());
            assert_eq!(
                item.post.as_ref().map(|p| p.id.clone()),
                expected,
                "{:?}",
                item.kind
            );
        }
    }
}
