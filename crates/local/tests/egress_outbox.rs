//! SEND_TWEET through the local bus to egress without X credentials: the reply lands in the
//! outbox once per IdempotencyKey, with its image, and TWEET_SENT / TWEET_FAILED go on the bus.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use serde_json::json;
use starling_contracts::OutgoingEvent;
use starling_core::ports::{BlobStore, EventPublisher};
use starling_local::blob::DiskBlobStore;

fn send_tweet(key: &str, images: &[&str]) -> OutgoingEvent {
    OutgoingEvent::new(
        "starling.responding",
        "SEND_TWEET",
        json!({"Text": "I recognised: Grace Hopper", "ReplyToTweetId": "1461823445431828482", "ReplyToUserId": "7",
               "ReplyToUsername": "ada", "ImageKeys": images, "IdempotencyKey": key}),
    )
    .unwrap()
}

#[tokio::test]
async fn a_reply_is_written_once_per_key_and_its_outcome_published() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = common::fixture_image("grace_hopper.jpg");
    DiskBlobStore::new(dir.path().join("media"))
        .put("annotated/1/0.jpg", jpeg, "image/jpeg")
        .await
        .unwrap();

    let (bus, _targets) = common::start_local_runtime(dir.path()).await;

    let outcome = bus
        .put(&[
            send_tweet("reply-image:1", &["annotated/1/0.jpg"]),
            send_tweet("reply-image:1", &["annotated/1/0.jpg"]),
        ])
        .await
        .unwrap();
    assert!(outcome.failed.is_empty());
    bus.put(&[send_tweet("reply-image:2", &["annotated/missing.jpg"])])
        .await
        .unwrap();
    bus.wait_idle(Duration::from_secs(60)).await.unwrap();

    let replies: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(replies.len(), 1, "one reply for one IdempotencyKey");
    let reply: serde_json::Value =
        serde_json::from_slice(&std::fs::read(replies[0].path()).unwrap()).unwrap();
    assert_eq!(reply["InReplyToTweetId"], "1461823445431828482");
    assert!(reply["Text"].as_str().unwrap().contains("Grace Hopper"));
    let media = reply["Media"][0].as_str().unwrap();
    assert!(std::path::Path::new(media).exists(), "{media}");

    let sent = bus.events(Some("TWEET_SENT"), 10).await.unwrap();
    assert_eq!(
        sent.len(),
        2,
        "the duplicate republishes the recorded outcome"
    );
    assert_eq!(sent[0].envelope.detail["TweetId"], reply["PostId"]);
    let failed = bus.events(Some("TWEET_FAILED"), 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].envelope.detail["IdempotencyKey"], "reply-image:2");
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
    bus.shutdown().await.unwrap();
}
