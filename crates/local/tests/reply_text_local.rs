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
               "Twitter": {"TweetId": tweet_id, "UserId": "7"}, "Summoned": true,
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

/// What the runtime published of `detail_type`, as details.
async fn details(bus: &starling_bus::SqliteBus, detail_type: &str) -> Vec<serde_json::Value> {
    bus.events(Some(detail_type), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.envelope.detail)
        .collect()
}

#[tokio::test]
async fn a_message_that_does_not_summon_the_bot_is_suppressed_and_nothing_is_posted() {
    let dir = tempfile::tempdir().unwrap();
    let (bus, _targets) = common::start_local_runtime(dir.path()).await;
    let mut quiet = analysed("200", "people keep talking about bots");
    quiet.detail["Summoned"] = json!(false);
    bus.put(&[quiet]).await.unwrap();
    bus.wait_idle(Duration::from_secs(60)).await.unwrap();

    assert!(details(&bus, "SEND_TWEET").await.is_empty());
    let suppressed = details(&bus, "REPLY_SUPPRESSED").await;
    assert_eq!(suppressed.len(), 1, "{suppressed:?}");
    assert_eq!(suppressed[0]["Reason"], "not-summoned");
    assert_eq!(suppressed[0]["TweetId"], "200");
    assert!(
        !dir.path().join("outbox").exists(),
        "nothing reached the outbox"
    );
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_dry_run_composes_the_reply_into_the_outbox_and_records_it_as_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    let options = starling_local::runtime::LocalOptions {
        policy: starling_core::policy::PolicyConfig {
            dry_run: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let (bus, _targets) = common::start_local_runtime_with(dir.path(), options).await;
    bus.put(&[analysed("300", "@starling give me a fun fact")])
        .await
        .unwrap();
    bus.wait_idle(Duration::from_secs(60)).await.unwrap();

    assert_eq!(
        details(&bus, "SEND_TWEET").await.len(),
        1,
        "the reply was composed"
    );
    assert!(
        details(&bus, "TWEET_SENT").await.is_empty(),
        "and never reported as posted"
    );
    let suppressed = details(&bus, "REPLY_SUPPRESSED").await;
    assert_eq!(suppressed.len(), 1, "{suppressed:?}");
    assert_eq!(suppressed[0]["Reason"], "dry-run");
    let facts: Vec<String> = serde_json::from_str(FACTS_JSON).unwrap();
    let text = suppressed[0]["Text"].as_str().unwrap();
    assert!(facts.iter().any(|f| text.contains(f.as_str())), "{text}");
    let outbox: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .collect();
    assert!(
        !outbox.is_empty(),
        "the dry run wrote the reply to the outbox"
    );
    bus.shutdown().await.unwrap();
}
