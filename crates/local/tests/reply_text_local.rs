//! A text-only MESSAGE_ANALYSED through the local bus: reply-text asks the local intent matcher,
//! puts SEND_TWEET on the bus, and egress writes the reply to the outbox. A message that is only
//! mentions and URLs gets no reply.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use serde_json::json;
use starling_contracts::OutgoingEvent;
use starling_core::ports::EventPublisher;

const FACTS_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bot/facts.json"));

fn analysed(tweet_id: &str, text: &str) -> OutgoingEvent {
    OutgoingEvent::new(
        "starling.analysis",
        "MESSAGE_ANALYSED",
        json!({"Text": text, "Author": "ada", "ImageUrls": [], "Media": [],
               "Twitter": {"TweetId": tweet_id, "UserId": "7"},
               "Analysis": {"Provider": "test", "TextEntities": [], "KeyPhrases": [], "Images": []}}),
    )
    .unwrap()
    .with_resources([tweet_id.to_string()])
}

#[tokio::test]
async fn a_text_message_is_answered_through_the_bus() {
    let dir = tempfile::tempdir().unwrap();
    let (bus, _targets) = common::start_local_runtime(dir.path()).await;

    bus.put(&[
        analysed("100", "@starling give me a fun fact https://t.co/x"),
        analysed("101", "@starling https://t.co/only-a-link"),
    ])
    .await
    .unwrap();
    bus.wait_idle(Duration::from_secs(60)).await.unwrap();

    let sends = bus.events(Some("SEND_TWEET"), 10).await.unwrap();
    assert_eq!(sends.len(), 1, "only the message with text is answered");
    let send = &sends[0].envelope;
    assert_eq!(send.source, "starling.responding");
    assert_eq!(send.resources, vec!["100".to_string()]);
    assert_eq!(send.detail["ReplyToTweetId"], "100");
    assert_eq!(send.detail["ReplyToUserId"], "7");
    assert_eq!(send.detail["ReplyToUsername"], "ada");
    assert_eq!(send.detail["IdempotencyKey"], "reply-text:100");
    let facts: Vec<String> = serde_json::from_str(FACTS_JSON).unwrap();
    let text = send.detail["Text"].as_str().unwrap();
    assert!(facts.iter().any(|f| f == text), "{text}");

    let sent = bus.events(Some("TWEET_SENT"), 10).await.unwrap();
    assert_eq!(sent.len(), 1, "egress posted it (to the outbox)");
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
    bus.shutdown().await.unwrap();
}
