//! Every route pattern of `schemas/routes.json` compiles, and routes
//! representative Starling events to exactly the targets the design intends.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::{Value, json};
use starling_patterns::Pattern;

const ROUTES_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/routes.json");
const MESSAGE_ANALYSED: &str = include_str!("fixtures/message_analysed.json");
const TWITTER_FAVOURITED: &str = include_str!("fixtures/twitter_favourited.json");

/// The routing table, read when the test runs.
fn routes_table() -> Value {
    let text =
        std::fs::read_to_string(ROUTES_PATH).unwrap_or_else(|e| panic!("{ROUTES_PATH}: {e}"));
    serde_json::from_str(&text).expect("routes.json is JSON")
}

/// (route name, compiled pattern) for every route.
fn routes() -> Vec<(String, Pattern)> {
    let table = routes_table();
    table["routes"]
        .as_array()
        .expect("routes.json has a routes array")
        .iter()
        .map(|r| {
            let name = r["name"].as_str().expect("route has a name").to_owned();
            let pattern =
                Pattern::from_value(&r["pattern"]).unwrap_or_else(|e| panic!("route {name}: {e}"));
            (name, pattern)
        })
        .collect()
}

/// The names of the routes the event matches, in table order.
fn routed(event: &Value) -> Vec<String> {
    routes()
        .into_iter()
        .filter(|(_, p)| p.matches(event))
        .map(|(name, _)| name)
        .collect()
}

fn envelope(source: &str, detail_type: &str, detail: Value) -> Value {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-23T09:12:44Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail
    })
}

fn text_only_analysed(sentiment: &str) -> Value {
    envelope(
        "starling.analysis",
        "MESSAGE_ANALYSED",
        json!({
            "Text": "@starling_bot tell me a joke",
            "Author": "jane_doe",
            "ImageUrls": [],
            "Media": [],
            "Twitter": {"TweetId": "1", "UserId": "2"},
            "Analysis": {"Language": "en", "TextSentiment": sentiment, "Images": [], "Provider": "aws"}
        }),
    )
}

#[test]
fn every_route_pattern_compiles_from_text_and_value() {
    let table = routes_table();
    let all = table["routes"].as_array().unwrap();
    assert!(!all.is_empty());
    for r in all {
        Pattern::parse(&r["pattern"].to_string()).unwrap();
    }
    assert_eq!(routes().len(), all.len());
}

#[test]
fn negative_message_with_an_image_alerts_and_gets_an_image_reply() {
    let event: Value = serde_json::from_str(MESSAGE_ANALYSED).unwrap();
    assert_eq!(
        routed(&event),
        ["catch-all-log", "alert-negative", "reply-image", "lake"]
    );
}

#[test]
fn positive_text_only_message_gets_a_text_reply() {
    assert_eq!(
        routed(&text_only_analysed("POSITIVE")),
        ["catch-all-log", "reply-text", "lake"]
    );
}

#[test]
fn negative_text_only_message_alerts_and_gets_a_text_reply() {
    assert_eq!(
        routed(&text_only_analysed("NEGATIVE")),
        ["catch-all-log", "alert-negative", "reply-text", "lake"]
    );
}

#[test]
fn analysed_message_with_empty_text_and_no_images_gets_no_reply() {
    let mut event = text_only_analysed("NEUTRAL");
    event["detail"]["Text"] = json!("");
    assert_eq!(routed(&event), ["catch-all-log", "lake"]);
}

#[test]
fn analysed_message_whose_images_all_failed_gets_no_reply() {
    // reply-image needs an analysed image (one with a Key); reply-text needs no images at all.
    let mut event: Value = serde_json::from_str(MESSAGE_ANALYSED).unwrap();
    event["detail"]["Analysis"]["Images"] = json!([
        {"Url": "https://pbs.twimg.com/media/Fx1a2b3c4d.jpg", "Error": "image too large"}
    ]);
    event["detail"]["Analysis"]["TextSentiment"] = json!("POSITIVE");
    assert_eq!(routed(&event), ["catch-all-log", "lake"]);
}

#[test]
fn a_moderation_flag_alerts_ops_only_when_its_alert_is_set() {
    let flag = |alert: bool| {
        envelope(
            "starling.responding",
            "MODERATION_FLAGGED",
            json!({"TweetId": "1", "UserId": "2", "Author": "a", "Content": "image",
                   "Provider": "amazon-rekognition", "Labels": [{"Name": "Violence", "Confidence": 91.0}],
                   "Alert": alert}),
        )
    };
    assert_eq!(
        routed(&flag(true)),
        ["catch-all-log", "alert-moderation", "lake"]
    );
    assert_eq!(routed(&flag(false)), ["catch-all-log", "lake"]);
    // A REPLY_SUPPRESSED `moderation` is counted in the lake, not alerted.
    let suppressed = envelope(
        "starling.responding",
        "REPLY_SUPPRESSED",
        json!({"Reason": "moderation", "TweetId": "1", "UserId": "2", "Author": "a", "Detail": "x"}),
    );
    assert_eq!(routed(&suppressed), ["catch-all-log", "lake"]);
}

#[test]
fn received_message_is_analysed() {
    let event = envelope(
        "starling.twitter",
        "MESSAGE_RECEIVED",
        json!({"Text": "hi", "ImageUrls": [], "Twitter": {"TweetId": "1", "UserId": "2"}}),
    );
    assert_eq!(routed(&event), ["catch-all-log", "analyse-message", "lake"]);
}

#[test]
fn a_keyword_search_match_is_analysed_and_offered_to_the_repost_rule() {
    let found = |source: &str| {
        envelope(
            "starling.twitter",
            "MESSAGE_RECEIVED",
            json!({"Text": "#starling", "ImageUrls": [], "Source": source,
                   "Twitter": {"TweetId": "1", "UserId": "2"}}),
        )
    };
    assert_eq!(
        routed(&found("search")),
        ["catch-all-log", "analyse-message", "repost", "lake"]
    );
    assert_eq!(
        routed(&found("mentions")),
        ["catch-all-log", "analyse-message", "lake"]
    );
}

#[test]
fn favourite_is_only_logged_and_archived() {
    let event: Value = serde_json::from_str(TWITTER_FAVOURITED).unwrap();
    assert_eq!(routed(&event), ["catch-all-log", "lake"]);
}

#[test]
fn send_tweet_goes_to_egress() {
    let event = envelope(
        "starling.responding",
        "SEND_TWEET",
        json!({"Text": "Here you go", "ReplyToTweetId": "1", "ReplyToUserId": "2", "IdempotencyKey": "k"}),
    );
    assert_eq!(routed(&event), ["catch-all-log", "egress", "lake"]);
}

#[test]
fn foreign_events_match_no_route() {
    let event = envelope(
        "aws.ec2",
        "EC2 Instance State-change Notification",
        json!({"state": "running"}),
    );
    assert!(routed(&event).is_empty());
}

#[test]
fn analysis_from_the_wrong_source_is_not_routed_to_replies() {
    let mut event = text_only_analysed("NEGATIVE");
    event["source"] = json!("starling.twitter");
    assert_eq!(routed(&event), ["catch-all-log", "lake"]);
}
