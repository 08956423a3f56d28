//! The AWS adapters against a real AWS-protocol endpoint (moto in server mode) over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use serde_json::json;
use starling_aws::{EventBridgePublisher, SecretsManagerSecrets};
use starling_contracts::OutgoingEvent;
use starling_core::ports::{EventPublisher, Secrets, SecretsError};
use starling_core::publish::{RetryPolicy, publish_all};
use starling_testkit::aws::{
    BusToQueue, bus_to_queue, dynamodb_table, moto_config, queue, receive_json, unique,
};

#[tokio::test]
async fn events_put_on_a_bus_reach_a_queue_through_a_real_rule() {
    let config = moto_config();
    let BusToQueue { bus, queue_url, .. } = bus_to_queue(
        &config,
        &json!({"source": ["starling.twitter"], "detail-type": ["MESSAGE_RECEIVED"]}),
    )
    .await;
    let publisher = EventBridgePublisher::new(&config, &bus);
    let wanted = OutgoingEvent::new(
        "starling.twitter",
        "MESSAGE_RECEIVED",
        json!({"Text": "hi", "Twitter": {"TweetId": "1"}}),
    )
    .unwrap()
    .with_resources(["1".to_string()]);
    let unrouted = OutgoingEvent::new(
        "starling.twitter",
        "TWITTER_FOLLOWED",
        json!({"type": "follow"}),
    )
    .unwrap();
    let outcome = publisher.put(&[wanted, unrouted]).await.unwrap();
    assert!(outcome.failed.is_empty(), "{outcome:?}");
    let got = receive_json(&config, &queue_url, 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["detail-type"], "MESSAGE_RECEIVED");
    assert_eq!(got[0]["source"], "starling.twitter");
    assert_eq!(
        got[0]["detail"],
        json!({"Text": "hi", "Twitter": {"TweetId": "1"}})
    );
}

#[tokio::test]
async fn a_partial_failure_names_the_refused_entries() {
    let config = moto_config();
    let bus = bus_to_queue(&config, &json!({"source": ["x"]})).await.bus;
    let publisher = EventBridgePublisher::new(&config, &bus);
    let good = OutgoingEvent::new("starling.twitter", "TWITTER_MUTED", json!({})).unwrap();
    // EventBridge refuses an entry without a source, per entry, not per request.
    let bad = OutgoingEvent {
        source: String::new(),
        ..good.clone()
    };
    let outcome = publisher
        .put(&[good.clone(), bad.clone(), good.clone()])
        .await
        .unwrap();
    assert_eq!(outcome.failed.len(), 1, "{outcome:?}");
    assert_eq!(outcome.failed[0].index, 1);
    assert!(!outcome.failed[0].code.is_empty());

    // Through the retrying publisher the good entries land and the bad one fails the publish.
    let policy = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(1),
    };
    let err = publish_all(&publisher, vec![good.clone(), bad, good], policy)
        .await
        .unwrap_err();
    assert_eq!((err.failed, err.published, err.total), (1, 2, 3));
}

#[tokio::test]
async fn a_missing_bus_is_a_rejection_not_a_retry() {
    let config = moto_config();
    let publisher = EventBridgePublisher::new(&config, unique("no-such-bus"));
    let e = OutgoingEvent::new("starling.twitter", "TWITTER_MUTED", json!({})).unwrap();
    match publisher.put(&[e]).await {
        // moto accepts events for unknown buses in some versions; then nothing may be refused.
        Ok(outcome) => assert!(outcome.failed.len() <= 1),
        Err(err) => assert!(
            matches!(err, starling_core::ports::PublishError::Rejected(_)),
            "{err}"
        ),
    }
}

#[tokio::test]
async fn the_x_secret_is_read_and_parsed() {
    let config = moto_config();
    let sm = aws_sdk_secretsmanager::Client::new(&config);
    let name = unique("TwitterSecret");
    let arn = sm
        .create_secret()
        .name(&name)
        .secret_string(r#"{"ApiKey":"k","ApiSecret":"consumer-s3cret","AccessToken":"t","AccessTokenSecret":"ts"}"#)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let creds = SecretsManagerSecrets::new(&config, &arn)
        .x_credentials()
        .await
        .unwrap();
    assert_eq!(creds.api_secret, "consumer-s3cret");
    assert!(creds.can_post());
}

#[tokio::test]
async fn a_missing_or_malformed_secret_is_a_clear_error_without_its_value() {
    let config = moto_config();
    let missing = SecretsManagerSecrets::new(&config, unique("absent"))
        .x_credentials()
        .await
        .unwrap_err();
    assert!(
        matches!(missing, SecretsError::Unavailable(ref m) if m.contains("ResourceNotFoundException")),
        "{missing}"
    );

    let sm = aws_sdk_secretsmanager::Client::new(&config);
    let name = unique("bad");
    sm.create_secret()
        .name(&name)
        .secret_string("not-json-but-secret-value")
        .send()
        .await
        .unwrap();
    let bad = SecretsManagerSecrets::new(&config, &name)
        .x_credentials()
        .await
        .unwrap_err();
    assert!(matches!(bad, SecretsError::Malformed { .. }), "{bad}");
    assert!(!bad.to_string().contains("secret-value"), "{bad}");
}

#[tokio::test]
async fn an_alert_reaches_an_sqs_subscriber_with_its_subject_and_attributes() {
    use starling_core::ports::{Alert, Notifier};
    let config = moto_config();
    let sns = aws_sdk_sns::Client::new(&config);
    let topic = sns
        .create_topic()
        .name(unique("starling-alerts"))
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let (queue_url, arn) = queue(&config, "ops").await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(arn)
        .send()
        .await
        .unwrap();

    let alert = Alert {
        subject: "Starling: negative message from @ada".into(),
        message: "I hate waiting\nhttps://x.com/ada/status/1".into(),
        attributes: vec![
            ("sentiment".into(), "NEGATIVE".into(), false),
            ("negative_score".into(), "0.9300".into(), true),
        ],
    };
    starling_aws::SnsNotifier::new(&config, &topic)
        .notify(&alert)
        .await
        .unwrap();
    let got = receive_json(&config, &queue_url, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["Subject"], "Starling: negative message from @ada");
    assert_eq!(
        got[0]["Message"],
        "I hate waiting\nhttps://x.com/ada/status/1"
    );
    assert_eq!(
        got[0]["MessageAttributes"]["sentiment"],
        json!({"Type": "String", "Value": "NEGATIVE"})
    );
    assert_eq!(
        got[0]["MessageAttributes"]["negative_score"],
        json!({"Type": "Number", "Value": "0.9300"})
    );
}

#[tokio::test]
async fn an_idempotency_key_is_claimed_once_completed_and_taken_over_after_its_lease() {
    use starling_aws::DynamoIdempotency;
    let config = moto_config();
    let table = dynamodb_table(&config, "starling-idempotency", "IdempotencyKey").await;
    let store = DynamoIdempotency::new(&config, &table);
    starling_core::memory::check_idempotency_store(&store)
        .await
        .unwrap();
}
