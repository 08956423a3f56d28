//! The reply policy's DynamoDB store against moto (DynamoDB's protocol over HTTP): the
//! all-or-nothing compare-and-set the policy relies on, expiry, and the policy deciding over it.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use serde_json::json;
use starling_aws::DynamoPolicyStore;
use starling_contracts::{Analysis, MessageAnalysed, MessageReceived, TwitterRef};
use starling_core::policy::{PolicyConfig, ReplyPolicy, Verdict};
use starling_core::ports::{PolicyRecord, PolicyStore, PolicyWrite, SystemClock};
use starling_testkit::aws::{dynamodb_table, moto_config};

async fn store() -> DynamoPolicyStore {
    let config = moto_config();
    let table = dynamodb_table(&config, "starling-reply-policy", "Key").await;
    DynamoPolicyStore::new(&config, table)
}

fn write(key: &str, expected_version: u64, value: serde_json::Value) -> PolicyWrite {
    PolicyWrite {
        key: key.into(),
        expected_version,
        value,
        expires_at: None,
    }
}

#[tokio::test]
async fn a_batch_applies_whole_or_not_at_all_with_versions_checked() {
    let store = store().await;
    let now = Utc::now();
    assert!(
        store
            .write_all(&[write("a", 0, json!(1)), write("b", 0, json!(2))])
            .await
            .unwrap()
    );
    // A second "create" of b loses; so does the whole batch, a included.
    assert!(
        !store
            .write_all(&[write("a", 1, json!(10)), write("b", 0, json!(20))])
            .await
            .unwrap()
    );
    let keys = ["a".to_string(), "b".to_string(), "c".to_string()];
    let read = store.read(&keys, now).await.unwrap();
    assert_eq!(
        read[0],
        PolicyRecord {
            value: Some(json!(1)),
            version: 1
        }
    );
    assert_eq!(read[1].value, Some(json!(2)));
    assert_eq!(read[2], PolicyRecord::default());
    assert!(
        store
            .write_all(&[write("a", 1, json!(10)), write("b", 1, json!(20))])
            .await
            .unwrap()
    );
    assert_eq!(store.read(&keys, now).await.unwrap()[1].version, 2);
}

#[tokio::test]
async fn an_expired_record_reads_empty_before_dynamodbs_ttl_removes_it() {
    let store = store().await;
    let now = Utc::now();
    let mut w = write("cooldown", 0, json!({"Replies": []}));
    w.expires_at = Some(now + TimeDelta::seconds(60));
    assert!(store.write_all(&[w]).await.unwrap());
    let key = ["cooldown".to_string()];
    assert!(store.read(&key, now).await.unwrap()[0].value.is_some());
    let later = store
        .read(&key, now + TimeDelta::seconds(61))
        .await
        .unwrap();
    assert_eq!(later[0].value, None);
    assert_eq!(later[0].version, 1, "the version stays for the next write");
}

fn mention(id: &str, user: &str) -> MessageAnalysed {
    MessageAnalysed {
        message: MessageReceived {
            text: "@bot hi".into(),
            author: format!("user{user}"),
            twitter: TwitterRef {
                tweet_id: id.into(),
                user_id: user.into(),
                ..Default::default()
            },
            summoned: true,
            ..Default::default()
        },
        analysis: Analysis::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_policy_over_dynamodb_keeps_the_cooldown_and_never_overspends_the_budget() {
    let policy = Arc::new(ReplyPolicy::new(
        PolicyConfig {
            budget: 3,
            ..PolicyConfig::default()
        },
        Some("42".into()),
        Arc::new(store().await),
        Arc::new(SystemClock),
    ));
    assert_eq!(
        policy.decide(&mention("1", "7").message).await.unwrap(),
        Verdict::Reply
    );
    let second = policy.decide(&mention("2", "7").message).await.unwrap();
    assert!(
        matches!(&second, Verdict::Suppress { reason, .. } if reason.as_str() == "cooldown"),
        "{second:?}"
    );
    // Ten authors at once for the two replies left in the budget.
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let policy = policy.clone();
            tokio::spawn(async move {
                policy
                    .decide(&mention(&format!("1{i}"), &format!("10{i}")).message)
                    .await
            })
        })
        .collect();
    let mut replies = 0;
    for t in tasks {
        // A decision that lost too many races is an error the bus would retry, not a reply.
        if let Ok(Ok(Verdict::Reply)) = t.await {
            replies += 1;
        }
    }
    assert_eq!(replies, 2);
}
