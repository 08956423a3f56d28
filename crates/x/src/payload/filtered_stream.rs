//! The filtered-stream webhook delivery: `{"data": post v2, "includes": {users, media, …}, "matching_rules": [...]}`.
//!
//! Followed: X's Filtered Stream Webhooks quickstart (`x-api/webhooks/stream/quickstart`, the delivered
//! example) and the v2 data dictionary for the post and `includes`. A delivery carries one post; its
//! item's `raw` is the whole body, so `includes` and `matching_rules` travel with it.

use serde_json::Value;

use super::post_v2::post_from_v2;
use super::{ActivityItem, ActivityKind, Delivery, DeliverySource};

/// Whether the body is a filtered-stream delivery: `matching_rules`, or `data` that is a post.
pub(super) fn is_delivery(body: &Value, data: &Value) -> bool {
    body.get("matching_rules").is_some()
        || (data.is_object() && (data.get("id").is_some() || data.get("text").is_some()))
}

/// Parses the whole body: one Tweeted item.
pub(super) fn parse(body: &Value) -> Delivery {
    let post = body
        .get("data")
        .and_then(|data| post_from_v2(data, body.get("includes")));
    Delivery {
        source: DeliverySource::FilteredStream,
        for_user_id: None,
        items: vec![ActivityItem {
            kind: ActivityKind::Tweeted,
            raw: body.clone(),
            post,
        }],
    }
}
