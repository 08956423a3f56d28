//! The anti-corruption layer: X's activity items become Starling's events.
//!
//! One raw `TWITTER_<KIND>` event per activity item (its detail untouched), plus a
//! `MESSAGE_RECEIVED` for each created post the bot should look at: not its own
//! (a bot that answers its own replies loops forever) and, unless configured, not a plain retweet.
//! Each MESSAGE_RECEIVED says whether the post summoned the bot (`Summoned`): the reply policy
//! answers only those, while analysis, alerts and the lake see every message.

use serde_json::Value;
use starling_contracts::{
    MediaItem, MessageReceived, MessageSource, OutgoingEvent, TwitterRef, UnknownActivity,
    detail_type, source,
};
use starling_x::payload::{ActivityItem, ActivityKind, Delivery, Post};

/// What the mapping needs to know about the bot.
#[derive(Debug, Clone, Default)]
pub struct AclConfig {
    /// The bot's own X user id; its posts produce no MESSAGE_RECEIVED. Falls back to the
    /// delivery's `for_user_id` when unset.
    pub bot_user_id: Option<String>,
    /// Whether plain retweets produce a MESSAGE_RECEIVED (default: no).
    pub include_retweets: bool,
    /// The bot's handle, to recognise mentions X gave no user id for (optional).
    pub bot_username: Option<String>,
    /// The way in these deliveries come by (`Source` on MESSAGE_RECEIVED).
    pub source: MessageSource,
}

/// One activity item's events and the key that identifies the item across redeliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedItem {
    /// `post:<id>` for a created post (the same post by webhook, stream or poll is one post);
    /// `item:<sha256>` of the kind and raw item otherwise (a redelivery repeats it byte for byte).
    pub key: String,
    /// Its raw `TWITTER_*` event, then its MESSAGE_RECEIVED when there is one.
    pub events: Vec<OutgoingEvent>,
}

/// Maps a parsed delivery onto the bus's events, item by item, in delivery order.
pub fn map_delivery(delivery: &Delivery, config: &AclConfig) -> Vec<MappedItem> {
    let bot = config
        .bot_user_id
        .as_deref()
        .or(delivery.for_user_id.as_deref());
    delivery
        .items
        .iter()
        .map(|item| {
            let mut events = vec![raw_event(item)];
            if let Some(post) = &item.post
                && item.kind == ActivityKind::Tweeted
                && wants_message(post, bot, config.include_retweets)
            {
                let summoned = bot.is_some_and(|b| post.summons(b, config.bot_username.as_deref()));
                events.push(message_received(post, summoned, config.source));
            }
            MappedItem {
                key: item_key(item),
                events,
            }
        })
        .collect()
}

/// Maps a parsed delivery onto the bus's events, in delivery order.
pub fn events_for_delivery(delivery: &Delivery, config: &AclConfig) -> Vec<OutgoingEvent> {
    map_delivery(delivery, config)
        .into_iter()
        .flat_map(|m| m.events)
        .collect()
}

fn item_key(item: &ActivityItem) -> String {
    use sha2::{Digest, Sha256};
    match &item.post {
        Some(post) if item.kind == ActivityKind::Tweeted => format!("post:{}", post.id),
        _ => {
            let mut hash = Sha256::new();
            hash.update(format!("{:?}", item.kind).as_bytes());
            hash.update(b"\n");
            hash.update(item.raw.to_string().as_bytes());
            let digest = hash.finalize();
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("item:{hex}")
        }
    }
}

fn wants_message(post: &Post, bot: Option<&str>, include_retweets: bool) -> bool {
    let own = bot.is_some_and(|b| b == post.author_id);
    !own && (include_retweets || !post.is_retweet)
}

fn raw_event(item: &ActivityItem) -> OutgoingEvent {
    let detail = match &item.kind {
        ActivityKind::Unknown(key) => serde_json::to_value(UnknownActivity {
            key: key.clone(),
            payload: item.raw.clone(),
        })
        .unwrap_or(Value::Null),
        _ if item.raw.is_object() => item.raw.clone(),
        // EventBridge details must be objects; a non-object item (malformed) is wrapped, not dropped.
        _ => serde_json::json!({ "Value": item.raw }),
    };
    OutgoingEvent {
        source: source::TWITTER.into(),
        detail_type: item.kind.detail_type().into(),
        detail,
        resources: item.post.iter().map(|p| p.id.clone()).collect(),
        time: None,
    }
}

/// The MESSAGE_RECEIVED detail for a post; `summoned` says whether it summoned the bot.
pub fn message_received_detail(
    post: &Post,
    summoned: bool,
    source: MessageSource,
) -> MessageReceived {
    MessageReceived {
        text: post.text.clone(),
        author: post
            .author_username
            .clone()
            .unwrap_or_else(|| post.author_id.clone()),
        lang: post.lang.clone(),
        created_at: post.created_at.clone(),
        image_urls: post.media.iter().map(|m| m.url.clone()).collect(),
        media: post
            .media
            .iter()
            .map(|m| MediaItem {
                url: m.url.clone(),
                kind: m.kind.as_str().into(),
                alt_text: m.alt_text.clone(),
            })
            .collect(),
        twitter: TwitterRef {
            tweet_id: post.id.clone(),
            user_id: post.author_id.clone(),
            in_reply_to_tweet_id: post.in_reply_to_post_id.clone(),
            conversation_id: post.conversation_id.clone(),
        },
        summoned,
        source,
    }
}

fn message_received(post: &Post, summoned: bool, source: MessageSource) -> OutgoingEvent {
    OutgoingEvent {
        source: source::TWITTER.into(),
        detail_type: detail_type::MESSAGE_RECEIVED.into(),
        detail: serde_json::to_value(message_received_detail(post, summoned, source))
            .unwrap_or(Value::Null),
        resources: vec![post.id.clone()],
        time: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;
    use starling_x::payload::{DeliverySource, Media, MediaKind};

    fn post(id: &str, author: &str) -> Post {
        Post {
            id: id.into(),
            text: "hello & welcome".into(),
            author_id: author.into(),
            author_username: Some(format!("user{author}")),
            lang: Some("en".into()),
            created_at: Some("2018-10-10T20:19:24+00:00".into()),
            media: vec![Media {
                url: "https://pbs.twimg.com/media/a.jpg".into(),
                kind: MediaKind::Photo,
                alt_text: Some("a cat".into()),
            }],
            ..Default::default()
        }
    }

    fn tweeted(p: Post) -> ActivityItem {
        ActivityItem {
            kind: ActivityKind::Tweeted,
            raw: json!({"id_str": p.id}),
            post: Some(p),
        }
    }

    fn delivery(items: Vec<ActivityItem>) -> Delivery {
        Delivery {
            source: DeliverySource::AccountActivity,
            for_user_id: Some("42".into()),
            items,
        }
    }

    #[test]
    fn a_mention_gives_a_raw_event_and_a_message_received() {
        let events = events_for_delivery(
            &delivery(vec![tweeted(post("100", "7"))]),
            &AclConfig::default(),
        );
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].detail_type, "TWITTER_TWEETED");
        assert_eq!(events[0].detail, json!({"id_str": "100"}));
        assert_eq!(events[1].detail_type, "MESSAGE_RECEIVED");
        assert_eq!(events[1].resources, vec!["100"]);
        let d = &events[1].detail;
        assert_eq!(d["Text"], "hello & welcome");
        assert_eq!(d["Author"], "user7");
        assert_eq!(d["Lang"], "en");
        assert_eq!(d["CreatedAt"], "2018-10-10T20:19:24+00:00");
        assert_eq!(d["ImageUrls"], json!(["https://pbs.twimg.com/media/a.jpg"]));
        assert_eq!(
            d["Media"][0],
            json!({"Url": "https://pbs.twimg.com/media/a.jpg", "Type": "photo", "AltText": "a cat"})
        );
        assert_eq!(d["Twitter"], json!({"TweetId": "100", "UserId": "7"}));
        assert_eq!(
            d["Summoned"], false,
            "the post does not mention the bot (42)"
        );
    }

    #[test]
    fn a_post_mentioning_the_bot_in_its_body_is_summoned() {
        let mention = Post {
            mentioned_user_ids: vec!["42".into()],
            ..post("100", "7")
        };
        let events = events_for_delivery(
            &delivery(vec![tweeted(mention.clone())]),
            &AclConfig::default(),
        );
        assert_eq!(
            events[1].detail["Summoned"], true,
            "the bot is for_user_id 42"
        );
        // With no bot id at all nothing is summoned: the bot never replies blind.
        let mut unknown = delivery(vec![tweeted(mention)]);
        unknown.for_user_id = None;
        let events = events_for_delivery(&unknown, &AclConfig::default());
        assert_eq!(events[1].detail["Summoned"], false);
    }

    #[test]
    fn quoting_the_bot_or_naming_its_handle_summons_it() {
        let quote = Post {
            quoted_author_id: Some("42".into()),
            ..post("100", "7")
        };
        let named = Post {
            mentioned_usernames: vec!["starling_bot".into()],
            ..post("101", "7")
        };
        let config = AclConfig {
            bot_username: Some("Starling_Bot".into()),
            ..Default::default()
        };
        let events = events_for_delivery(&delivery(vec![tweeted(quote), tweeted(named)]), &config);
        assert_eq!(events[1].detail["Summoned"], true);
        assert_eq!(events[3].detail["Summoned"], true);
    }

    #[test]
    fn own_tweets_produce_no_message_received() {
        let config = AclConfig {
            bot_user_id: Some("7".into()),
            ..Default::default()
        };
        let events = events_for_delivery(&delivery(vec![tweeted(post("100", "7"))]), &config);
        assert_eq!(
            events
                .iter()
                .map(|e| e.detail_type.as_str())
                .collect::<Vec<_>>(),
            ["TWITTER_TWEETED"]
        );
    }

    #[test]
    fn for_user_id_stands_in_for_an_unset_bot_id() {
        let events = events_for_delivery(
            &delivery(vec![tweeted(post("100", "42"))]),
            &AclConfig::default(),
        );
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn retweets_produce_no_message_received_unless_configured() {
        let rt = Post {
            is_retweet: true,
            ..post("100", "7")
        };
        let events =
            events_for_delivery(&delivery(vec![tweeted(rt.clone())]), &AclConfig::default());
        assert_eq!(events.len(), 1);
        let config = AclConfig {
            include_retweets: true,
            ..Default::default()
        };
        assert_eq!(
            events_for_delivery(&delivery(vec![tweeted(rt)]), &config).len(),
            2
        );
    }

    #[test]
    fn unknown_keys_are_published_raw_with_their_name() {
        let item = ActivityItem {
            kind: ActivityKind::Unknown("spaces_events".into()),
            raw: json!([{"a": 1}]),
            post: None,
        };
        let events = events_for_delivery(&delivery(vec![item]), &AclConfig::default());
        assert_eq!(events[0].detail_type, "TWITTER_UNKNOWN");
        assert_eq!(
            events[0].detail,
            json!({"Key": "spaces_events", "Payload": [{"a": 1}]})
        );
    }

    #[test]
    fn non_tweet_kinds_never_produce_messages_even_with_a_post() {
        let item = ActivityItem {
            kind: ActivityKind::Favourited,
            raw: json!({}),
            post: Some(post("1", "2")),
        };
        let events = events_for_delivery(&delivery(vec![item]), &AclConfig::default());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].detail_type, "TWITTER_FAVOURITED");
    }
}
