//! The ingress handler's status codes and published events, through its public API.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method};
use proptest::prelude::*;
use starling_contracts::OutgoingEvent;
use starling_core::ingress::{Ingress, IngressConfig, IngressRequest, IngressResponse};
use starling_core::memory::{MemoryIdempotency, MemoryPublisher};
use starling_core::ports::{EventPublisher, XCredentials};
use starling_core::secrets::StaticSecrets;
use starling_x::webhook::sign;

const SECRET: &str = "test-consumer-secret";

fn ingress_with(publisher: Arc<dyn EventPublisher>, config: IngressConfig) -> Ingress {
    let creds = XCredentials {
        api_secret: SECRET.into(),
        api_key: "k".into(),
        ..Default::default()
    };
    Ingress::new(publisher, Arc::new(StaticSecrets(creds)), config)
}

async fn post(ingress: &Ingress, headers: &[(&str, &[u8])], body: &[u8]) -> IngressResponse {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_bytes(v).unwrap(),
        );
    }
    ingress
        .handle(IngressRequest {
            method: &Method::POST,
            crc_token: None,
            headers: &map,
            body,
        })
        .await
}

async fn signed(ingress: &Ingress, body: &[u8]) -> IngressResponse {
    let sig = sign(SECRET.as_bytes(), body);
    post(
        ingress,
        &[("x-twitter-webhooks-signature", sig.as_bytes())],
        body,
    )
    .await
}

#[tokio::test]
async fn crc_get_answers_with_the_signed_token() {
    let ingress = ingress_with(Arc::new(MemoryPublisher::new()), IngressConfig::default());
    let headers = HeaderMap::new();
    let r = ingress
        .handle(IngressRequest {
            method: &Method::GET,
            crc_token: Some("abc123"),
            headers: &headers,
            body: b"",
        })
        .await;
    assert_eq!(r.status, 200);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["response_token"], sign(SECRET.as_bytes(), b"abc123"));
}

#[tokio::test]
async fn crc_without_token_or_with_json_token_is_400() {
    let ingress = ingress_with(Arc::new(MemoryPublisher::new()), IngressConfig::default());
    let headers = HeaderMap::new();
    for token in [None, Some(""), Some(r#"{"for_user_id":"1"}"#)] {
        let r = ingress
            .handle(IngressRequest {
                method: &Method::GET,
                crc_token: token,
                headers: &headers,
                body: b"",
            })
            .await;
        assert_eq!(r.status, 400, "{token:?}");
    }
}

#[tokio::test]
async fn signature_failures_are_401_whatever_the_header_case() {
    let ingress = ingress_with(Arc::new(MemoryPublisher::new()), IngressConfig::default());
    let body = br#"{"for_user_id":"1"}"#;
    let good = sign(SECRET.as_bytes(), body);
    let wrong_value = sign(b"other-secret", body);
    type Headers<'a> = Vec<(&'a str, &'a [u8])>;
    let cases: Vec<(&str, Headers)> = vec![
        ("missing", vec![]),
        (
            "wrong prefix",
            vec![("x-twitter-webhooks-signature", b"sha1=AAAA")],
        ),
        (
            "not base64",
            vec![("x-twitter-webhooks-signature", b"sha256=***")],
        ),
        (
            "wrong length",
            vec![("x-twitter-webhooks-signature", b"sha256=AAAA")],
        ),
        (
            "wrong value",
            vec![("X-Twitter-Webhooks-Signature", wrong_value.as_bytes())],
        ),
        ("other header", vec![("x-hub-signature", good.as_bytes())]),
    ];
    for (name, headers) in cases {
        assert_eq!(post(&ingress, &headers, body).await.status, 401, "{name}");
    }
    let upper = post(
        &ingress,
        &[("X-TWITTER-WEBHOOKS-SIGNATURE", good.as_bytes())],
        body,
    )
    .await;
    assert_eq!(upper.status, 200);
}

#[tokio::test]
async fn malformed_json_with_a_valid_signature_is_400() {
    let ingress = ingress_with(Arc::new(MemoryPublisher::new()), IngressConfig::default());
    assert_eq!(signed(&ingress, b"{not json").await.status, 400);
    assert_eq!(signed(&ingress, b"[1,2]").await.status, 400);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_before_its_signature_is_checked() {
    let config = IngressConfig {
        max_body_bytes: 100,
        ..Default::default()
    };
    let ingress = ingress_with(Arc::new(MemoryPublisher::new()), config);
    let body = vec![b' '; 101];
    assert_eq!(post(&ingress, &[], &body).await.status, 413);
}

#[tokio::test]
async fn other_methods_are_405() {
    let ingress = ingress_with(Arc::new(MemoryPublisher::new()), IngressConfig::default());
    let headers = HeaderMap::new();
    let r = ingress
        .handle(IngressRequest {
            method: &Method::PUT,
            crc_token: None,
            headers: &headers,
            body: b"",
        })
        .await;
    assert_eq!(r.status, 405);
}

#[tokio::test(start_paused = true)]
async fn an_unavailable_bus_is_503_so_x_redelivers() {
    let down = Arc::new(MemoryPublisher::new());
    down.set_down(true);
    let ingress = ingress_with(down, IngressConfig::default());
    let body = br#"{"for_user_id":"1","follow_events":[{"type":"follow"}]}"#;
    let r = signed(&ingress, body).await;
    assert_eq!(r.status, 503);
    assert!(!r.body.contains(SECRET));
}

fn header_strategy() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    proptest::collection::vec(
        (
            prop_oneof![
                Just("x-twitter-webhooks-signature".to_string()),
                "[a-z-]{1,20}"
            ],
            proptest::collection::vec(0x20u8..0x7f, 0..80),
        ),
        0..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bodies_and_headers_never_panic_and_never_succeed_unsigned(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        headers in header_strategy(),
        method in prop_oneof![Just(Method::GET), Just(Method::POST), Just(Method::DELETE)],
        token in proptest::option::of(".{0,200}"),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let ingress = ingress_with(Arc::new(MemoryPublisher::new()), IngressConfig::default());
        let mut map = HeaderMap::new();
        for (k, v) in &headers {
            if let (Ok(k), Ok(v)) = (http::HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_bytes(v)) {
                map.append(k, v);
            }
        }
        let r = rt.block_on(ingress.handle(IngressRequest { method: &method, crc_token: token.as_deref(), headers: &map, body: &body }));
        prop_assert!([200, 400, 401, 405, 413].contains(&r.status), "status {}", r.status);
        if method == Method::POST {
            prop_assert_ne!(r.status, 200, "an unsigned body was accepted");
        }
    }

    #[test]
    fn arbitrary_signed_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let ingress = ingress_with(Arc::new(MemoryPublisher::new()), IngressConfig::default());
        let r = rt.block_on(signed(&ingress, &body));
        prop_assert!([200, 400].contains(&r.status), "status {}", r.status);
    }
}

fn x_fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../x/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn detail_types(events: &[OutgoingEvent]) -> Vec<&str> {
    events.iter().map(|e| e.detail_type.as_str()).collect()
}

#[tokio::test]
async fn each_of_the_13_activity_kinds_becomes_its_twitter_detail_type() {
    let collect = Arc::new(MemoryPublisher::new());
    let ingress = ingress_with(collect.clone(), IngressConfig::default());
    let r = signed(&ingress, &x_fixture("account_activity_all_kinds.json")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let events = collect.events();
    let mut raw: Vec<&str> = detail_types(&events)
        .into_iter()
        .filter(|t| t.starts_with("TWITTER_"))
        .collect();
    raw.sort();
    let mut want = starling_contracts::detail_type::TWITTER_KINDS.to_vec();
    want.sort();
    assert_eq!(raw, want);
    // The one created post is from someone else, so it is also a MESSAGE_RECEIVED.
    assert_eq!(
        detail_types(&events)
            .iter()
            .filter(|t| **t == "MESSAGE_RECEIVED")
            .count(),
        1
    );
}

#[tokio::test]
async fn unfollow_unblock_and_unmute_delivered_with_a_type_field_map_by_type() {
    for (fixture, want) in [
        ("account_activity_unfollow.json", "TWITTER_UNFOLLOWED"),
        ("account_activity_unblock.json", "TWITTER_UNBLOCKED"),
        ("account_activity_unmute.json", "TWITTER_UNMUTED"),
    ] {
        let collect = Arc::new(MemoryPublisher::new());
        let ingress = ingress_with(collect.clone(), IngressConfig::default());
        assert_eq!(signed(&ingress, &x_fixture(fixture)).await.status, 200);
        assert_eq!(detail_types(&collect.events()), [want], "{fixture}");
    }
}

#[tokio::test]
async fn a_retweet_and_the_bots_own_post_produce_no_message_received() {
    let collect = Arc::new(MemoryPublisher::new());
    let ingress = ingress_with(collect.clone(), IngressConfig::default());
    assert_eq!(
        signed(&ingress, &x_fixture("account_activity_retweet.json"))
            .await
            .status,
        200
    );
    assert_eq!(detail_types(&collect.events()), ["TWITTER_TWEETED"]);

    // The same post, authored by the bot itself.
    let mut own: serde_json::Value = serde_json::from_slice(&x_fixture(
        "account_activity_tweet_create_extended_with_photos.json",
    ))
    .unwrap();
    let author = own["tweet_create_events"][0]["user"]["id_str"]
        .as_str()
        .unwrap()
        .to_string();
    let collect = Arc::new(MemoryPublisher::new());
    let config = IngressConfig {
        acl: starling_core::acl::AclConfig {
            bot_user_id: Some(author),
            include_retweets: false,
            bot_username: None,
            source: starling_contracts::MessageSource::Webhook,
        },
        ..Default::default()
    };
    let ingress = ingress_with(collect.clone(), config);
    own["for_user_id"] = serde_json::json!("somebody-else");
    assert_eq!(
        signed(&ingress, own.to_string().as_bytes()).await.status,
        200
    );
    assert_eq!(detail_types(&collect.events()), ["TWITTER_TWEETED"]);
}

#[tokio::test]
async fn an_extended_post_with_photos_maps_every_message_received_field() {
    let collect = Arc::new(MemoryPublisher::new());
    let ingress = ingress_with(collect.clone(), IngressConfig::default());
    let body = x_fixture("account_activity_tweet_create_extended_with_photos.json");
    assert_eq!(signed(&ingress, &body).await.status, 200);
    let events = collect.events();
    let msg = events
        .iter()
        .find(|e| e.detail_type == "MESSAGE_RECEIVED")
        .expect("a MESSAGE_RECEIVED");
    let raw: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let tweet = &raw["tweet_create_events"][0];
    let d = &msg.detail;
    assert_eq!(d["Twitter"]["TweetId"], tweet["id_str"]);
    assert_eq!(d["Twitter"]["UserId"], tweet["user"]["id_str"]);
    assert_eq!(d["Author"], tweet["user"]["screen_name"]);
    assert_eq!(d["Lang"], tweet["lang"]);
    assert!(
        d["Text"].as_str().unwrap().len() > tweet["text"].as_str().unwrap().len() - 30,
        "full text used"
    );
    assert!(!d["Text"].as_str().unwrap().contains("&amp;"));
    assert!(d["CreatedAt"].as_str().unwrap().contains('T'), "RFC 3339");
    let photos = tweet["extended_tweet"]["extended_entities"]["media"]
        .as_array()
        .or(tweet["extended_entities"]["media"].as_array())
        .unwrap();
    assert_eq!(d["ImageUrls"].as_array().unwrap().len(), photos.len());
    assert_eq!(d["Media"][0]["Type"], "photo");
    assert_eq!(
        msg.resources,
        vec![tweet["id_str"].as_str().unwrap().to_string()]
    );
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../x/tests/fixtures/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn deduplicating(publisher: Arc<MemoryPublisher>) -> (Ingress, Arc<MemoryIdempotency>) {
    let store = Arc::new(MemoryIdempotency::default());
    let ingress = ingress_with(publisher, IngressConfig::default()).with_dedup(store.clone());
    (ingress, store)
}

#[tokio::test]
async fn a_redelivered_webhook_publishes_nothing_twice() {
    let bus = Arc::new(MemoryPublisher::new());
    let (ingress, _) = deduplicating(bus.clone());
    let body = fixture("account_activity_all_kinds");
    let first = signed(&ingress, &body).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let published = bus.events().len();
    assert!(published > 2);
    let again = signed(&ingress, &body).await;
    assert_eq!(again.status, 200, "a redelivery is still a success for X");
    assert_eq!(bus.events().len(), published, "nothing published twice");
    let answer: serde_json::Value = serde_json::from_str(&again.body).unwrap();
    assert_eq!(answer["accepted"], 0);
    assert!(answer["duplicates"].as_u64().unwrap() > 0, "{answer}");
}

#[tokio::test]
async fn the_same_post_by_another_kind_of_delivery_is_one_post() {
    let bus = Arc::new(MemoryPublisher::new());
    let (ingress, _) = deduplicating(bus.clone());
    // One post, delivered twice under different envelopes (for_user_id differs): the post id
    // is the key, not the bytes.
    let post = serde_json::json!({"id_str": "77", "text": "@bot hi", "user": {"id_str": "5", "screen_name": "x"}});
    for user in ["1", "2"] {
        let body = serde_json::to_vec(
            &serde_json::json!({"for_user_id": user, "tweet_create_events": [post.clone()]}),
        )
        .unwrap();
        assert_eq!(signed(&ingress, &body).await.status, 200);
    }
    let received = bus
        .events()
        .iter()
        .filter(|e| e.detail_type == "MESSAGE_RECEIVED")
        .count();
    assert_eq!(received, 1);
}

#[tokio::test]
async fn a_delivery_the_bus_refused_is_published_when_x_redelivers_it() {
    let bus = Arc::new(MemoryPublisher::new());
    let (ingress, _) = deduplicating(bus.clone());
    let body = fixture("account_activity_favorite");
    bus.set_down(true);
    assert_eq!(signed(&ingress, &body).await.status, 503);
    bus.set_down(false);
    // The failed attempt released its claims: the redelivery publishes.
    let retry = signed(&ingress, &body).await;
    assert_eq!(retry.status, 200, "{}", retry.body);
    assert_eq!(bus.events().len(), 1);
}
