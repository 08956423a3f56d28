//! The reply policy's DynamoDB store against moto (DynamoDB's protocol over HTTP): the
//! all-or-nothing compare-and-set the policy relies on, expiry, and the policy deciding over it.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use starling_aws::DynamoPolicyStore;
use starling_contracts::{Analysis, MessageAnalysed, MessageReceived, TwitterRef};
use starling_core::policy::{PolicyConfig, ReplyPolicy, Verdict};
use starling_core::ports::SystemClock;
use starling_testkit::aws::{dynamodb_table, moto_config};

async fn store() -> DynamoPolicyStore {
    let config = moto_config();
    let table = dynamodb_table(&config, "starling-reply-policy", "Key").await;
    DynamoPolicyStore::new(&config, table)
}

#[tokio::test]
async fn the_dynamodb_store_keeps_the_policy_store_contract() {
    starling_core::memory::check_policy_store(&store().await)
        .await
        .unwrap();
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
    let mut retried = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(Verdict::Reply) => replies += 1,
            Ok(_) => {}
            // A decision that lost too many races is an error the bus retries, not a reply.
            Err(_) => retried.push(i),
        }
    }
    assert!(replies <= 2, "{replies} replies for a budget of 2");
    // The bus's retries, one at a time: the budget is spent exactly, never overspent.
    for i in retried {
        if policy
            .decide(&mention(&format!("1{i}"), &format!("10{i}")).message)
            .await
            .unwrap()
            == Verdict::Reply
        {
            replies += 1;
        }
    }
    assert_eq!(replies, 2);
}
