//! alert-moderation through the local bus: a MODERATION_FLAGGED whose `Alert` is set (the reply
//! policy's `moderation.alertOnFlag`) reaches the same alert handler as negative messages and is
//! appended to alerts.jsonl, naming the provider and the labels but never the post's text; one
//! without `Alert` alerts nobody.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use starling_contracts::OutgoingEvent;
use starling_core::ports::EventPublisher;

fn flagged(tweet_id: &str, alert: bool) -> OutgoingEvent {
    OutgoingEvent::new(
        "starling.responding",
        "MODERATION_FLAGGED",
        json!({"TweetId": tweet_id, "UserId": "7", "Author": "ada", "Content": "image",
               "Provider": "amazon-rekognition",
               "Labels": [{"Name": "Graphic Violence", "Confidence": 88.4}],
               "ImageKeys": [format!("media/2026/11/23/{tweet_id}/0.jpg")], "Alert": alert}),
    )
    .unwrap()
    .with_resources([tweet_id.to_string()])
}

#[tokio::test]
async fn a_moderation_flag_alerts_ops_locally_only_when_its_alert_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let (bus, _targets) = common::start_local_runtime(dir.path()).await;
    bus.put(&[flagged("501", true), flagged("502", false)])
        .await
        .unwrap();
    bus.wait_idle(Duration::from_secs(60)).await.unwrap();

    let alerts: Vec<Value> = std::fs::read_to_string(dir.path().join("alerts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let alert = alerts[0].to_string();
    for part in [
        "moderation flagged a post by @ada",
        "amazon-rekognition",
        "Graphic Violence 88.4%",
        "https://x.com/ada/status/501",
    ] {
        assert!(alert.contains(part), "{part}: {alert}");
    }
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
}
