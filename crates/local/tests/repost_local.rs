//! The repost rule through the local bus, as `starling up --search` feeds it: keyword-search
//! MESSAGE_RECEIVED events go through the whole pipeline (analysis, the lake), are never
//! answered, and with the policy's `repost` on, a curated author's match is reposted once (the
//! outbox's `reposts/`) while everyone else's is a REPOST_SUPPRESSED `not-curated`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use starling_contracts::OutgoingEvent;
use starling_core::policy::{PolicyConfig, RepostConfig};
use starling_core::ports::EventPublisher;

fn found(tweet_id: &str, user_id: &str, author: &str) -> OutgoingEvent {
    OutgoingEvent::new(
        "starling.twitter",
        "MESSAGE_RECEIVED",
        json!({"Text": "#starling spotted over the bay", "Author": author, "ImageUrls": [],
               "Media": [], "Twitter": {"TweetId": tweet_id, "UserId": user_id},
               "Summoned": false, "Source": "search"}),
    )
    .unwrap()
    .with_resources([tweet_id.to_string()])
}

async fn details(bus: &starling_bus::SqliteBus, detail_type: &str) -> Vec<Value> {
    bus.events(Some(detail_type), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.envelope.detail)
        .collect()
}

#[tokio::test]
async fn a_curated_authors_search_match_is_reposted_once_and_others_are_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    let options = starling_local::runtime::LocalOptions {
        policy: PolicyConfig {
            repost: RepostConfig {
                enabled: true,
                authors: vec!["@birdwatch".into()],
                daily_cap: 10,
            },
            ..PolicyConfig::default()
        },
        bot_user_id: Some("42".into()),
        ..Default::default()
    };
    let (bus, _targets) = common::start_local_runtime_with(dir.path(), options).await;
    bus.put(&[
        found("900", "11", "BirdWatch"),
        found("901", "12", "someone"),
        // The same match again (a second search page overlapping the first): one repost.
        found("900", "11", "BirdWatch"),
    ])
    .await
    .unwrap();
    bus.wait_idle(Duration::from_secs(120)).await.unwrap();

    let reposted = details(&bus, "REPOSTED").await;
    assert!(!reposted.is_empty());
    assert!(
        reposted.iter().all(|r| r["TweetId"] == "900"),
        "{reposted:?}"
    );
    let ids: std::collections::HashSet<&str> = reposted
        .iter()
        .map(|r| r["RepostId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "one repost, whatever the deliveries: {reposted:?}"
    );
    let held = details(&bus, "REPOST_SUPPRESSED").await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["Reason"], "not-curated");
    assert_eq!(held[0]["TweetId"], "901");
    let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox/reposts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files, ["900.json"]);
    // Search matches are never replied to, reposted or not.
    assert!(details(&bus, "SEND_TWEET").await.is_empty());
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
    bus.shutdown().await.unwrap();
    drop(_targets);

    // Analysts count the rule's outcomes in the lake: one post reposted, one not curated.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_starling"))
        .args([
            "query",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../athena/reposts-by-day.sql"
            ),
        ])
        .args(["--format", "json", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes: Vec<(String, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap().to_string(),
                r["posts"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("not-curated".to_string(), 1), ("reposted".to_string(), 1)],
        "{rows:?}"
    );
}

#[tokio::test]
async fn with_the_rule_off_a_search_match_is_neither_reposted_nor_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (bus, _targets) = common::start_local_runtime(dir.path()).await;
    bus.put(&[found("910", "11", "birdwatch")]).await.unwrap();
    bus.wait_idle(Duration::from_secs(120)).await.unwrap();
    assert!(details(&bus, "REPOSTED").await.is_empty());
    assert!(details(&bus, "REPOST_SUPPRESSED").await.is_empty());
    assert!(!dir.path().join("outbox/reposts").exists());
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
    bus.shutdown().await.unwrap();
}
