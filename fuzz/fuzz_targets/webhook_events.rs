//! Webhook body → events: any body POSTed to the webhook, through the pure path ingress takes
//! (size, signature, parse as Account Activity / X Activity / filtered stream, the ACL mapping).
//!
//! Properties: only a body that is not a JSON object is refused (400), and a wrong or missing
//! signature always is (401) before anything is parsed; each item's first event is its raw
//! `TWITTER_*` event with an object detail (EventBridge refuses others); a `MESSAGE_RECEIVED`
//! follows exactly the created posts that are neither the bot's own nor plain retweets, and
//! reads back as the contract type for that post; an item's key is `post:<id>` for a created
//! post and `item:<64 hex>` otherwise; mapping is deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use starling_contracts::{MessageReceived, detail_type, source};
use starling_core::acl::{AclConfig, MappedItem, map_delivery};
use starling_core::ingress::{IngressConfig, Rejection, accept_items};
use starling_x::payload::{ActivityKind, Delivery, parse_delivery};
use starling_x::webhook::sign;

const SECRET: &[u8] = b"fuzz-consumer-secret";

fuzz_target!(|body: &[u8]| {
    let config = IngressConfig::default();

    // A signature of another key, or none, is refused whatever the body.
    let forged = "sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert!(matches!(
        accept_items(SECRET, Some(forged.as_bytes()), body, &config),
        Err(Rejection::Signature(_))
    ));
    assert!(matches!(
        accept_items(SECRET, None, body, &config),
        Err(Rejection::Signature(_))
    ));

    let signature = sign(SECRET, body);
    let accepted = accept_items(SECRET, Some(signature.as_bytes()), body, &config);
    let delivery = match parse_delivery(body) {
        Ok(delivery) => delivery,
        Err(_) => {
            let is_object = matches!(serde_json::from_slice::<Value>(body), Ok(Value::Object(_)));
            assert!(!is_object, "a JSON object was refused");
            assert!(matches!(accepted, Err(Rejection::Malformed(_))));
            return;
        }
    };
    // (parse_delivery reads only JSON objects, so an accepted body is one.)
    let accepted = accepted.expect("a signed JSON object is accepted");
    // Ingress mapped its own parse: equal to this one, so the mapping is also deterministic.
    assert_eq!(
        accepted,
        map_delivery(&delivery, &config.acl),
        "ingress and the ACL disagree"
    );
    check(&delivery, &config.acl, &accepted);

    // The bot as the author of the first post: that post must produce no MESSAGE_RECEIVED.
    if let Some(author) = delivery
        .items
        .iter()
        .find_map(|i| i.post.as_ref())
        .map(|p| p.author_id.clone())
    {
        let acl = AclConfig {
            bot_user_id: Some(author),
            include_retweets: true,
            bot_username: Some("starling_bot".into()),
            ..AclConfig::default()
        };
        check(&delivery, &acl, &map_delivery(&delivery, &acl));
    }
});

fn check(delivery: &Delivery, acl: &AclConfig, mapped: &[MappedItem]) {
    let bot = acl
        .bot_user_id
        .as_deref()
        .or(delivery.for_user_id.as_deref());
    assert_eq!(
        mapped.len(),
        delivery.items.len(),
        "an item was dropped or invented"
    );
    for (item, m) in delivery.items.iter().zip(mapped) {
        let raw = m.events.first().expect("every item has its raw event");
        assert_eq!(raw.source, source::TWITTER);
        assert_eq!(raw.detail_type, item.kind.detail_type());
        assert!(
            raw.detail.is_object(),
            "detail is not an object: {}",
            raw.detail
        );
        assert!(
            detail_type::TWITTER_KINDS.contains(&raw.detail_type.as_str())
                || raw.detail_type == detail_type::TWITTER_UNKNOWN
        );

        let post = item
            .post
            .as_ref()
            .filter(|_| item.kind == ActivityKind::Tweeted);
        match post {
            Some(post) => assert_eq!(m.key, format!("post:{}", post.id)),
            None => {
                let hex = m.key.strip_prefix("item:").expect("item key");
                assert!(
                    hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{}",
                    m.key
                );
            }
        }
        let wanted = post.filter(|p| {
            bot.is_none_or(|b| b != p.author_id) && (acl.include_retweets || !p.is_retweet)
        });
        match (wanted, m.events.get(1)) {
            (None, None) => {}
            (Some(post), Some(message)) => {
                assert_eq!(message.detail_type, detail_type::MESSAGE_RECEIVED);
                let detail: MessageReceived = serde_json::from_value(message.detail.clone())
                    .expect("MESSAGE_RECEIVED reads back as the contract");
                assert_eq!(detail.twitter.tweet_id, post.id);
                assert_eq!(detail.twitter.user_id, post.author_id);
                assert_eq!(detail.text, post.text);
                assert_eq!(
                    detail.summoned,
                    bot.is_some_and(|b| post.summons(b, acl.bot_username.as_deref()))
                );
            }
            (wanted, message) => panic!(
                "MESSAGE_RECEIVED wanted: {}, produced: {}",
                wanted.is_some(),
                message.is_some()
            ),
        }
        assert!(m.events.len() <= 2);
    }
}
