//! AWS SDK set-up every adapter and Lambda test repeats: an `SdkConfig` pointed at a local endpoint
//! (moto or a fake service), unique names, an SQS queue and its ARN, a bus whose rule routes to a
//! queue (how a test observes what a Lambda put on EventBridge), reading a queue, an S3 bucket, a
//! DynamoDB table.
//!
//! Set-up failures panic with what failed: these run only in tests, where that is the report.
#![allow(clippy::expect_used)]

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::config::{Credentials, Region, SharedCredentialsProvider};
use serde_json::Value;

/// The region every test uses (as [`crate::moto::aws_env`] sets for child processes).
pub const REGION: &str = "us-east-1";

/// An SDK configuration for `endpoint_url` with test credentials, [`REGION`] and the SDK's
/// default retries.
pub fn sdk_config(endpoint_url: &str) -> SdkConfig {
    SdkConfig::builder()
        .endpoint_url(endpoint_url)
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "starling-testkit",
        )))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build()
}

/// [`sdk_config`] without retries: a throttling or 5xx answer reaches the adapter at once.
pub fn sdk_config_without_retries(endpoint_url: &str) -> SdkConfig {
    sdk_config(endpoint_url)
        .into_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build()
}

/// [`sdk_config`] for the moto server of this test run.
pub fn moto_config() -> SdkConfig {
    sdk_config(&crate::moto::endpoint())
}

/// `prefix-<32 hex digits>`: a name no other test (or earlier run against the same moto) uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A new SQS queue: (url, ARN).
pub async fn queue(config: &SdkConfig, prefix: &str) -> (String, String) {
    let url = aws_sdk_sqs::Client::new(config)
        .create_queue()
        .queue_name(unique(prefix))
        .send()
        .await
        .expect("CreateQueue")
        .queue_url
        .expect("CreateQueue answered a QueueUrl");
    let arn = queue_arn(config, &url).await;
    (url, arn)
}

/// The ARN of the queue at `queue_url`.
pub async fn queue_arn(config: &SdkConfig, queue_url: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName;
    aws_sdk_sqs::Client::new(config)
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .expect("GetQueueAttributes answered the QueueArn")
}

/// A new event bus whose one rule sends the events matching a pattern to a new queue.
#[derive(Debug, Clone)]
pub struct BusToQueue {
    /// The bus's name (pass it as `EVENT_BUS_NAME`).
    pub bus: String,
    /// The queue's URL (read it with [`receive_json`]).
    pub queue_url: String,
    /// The queue's ARN.
    pub queue_arn: String,
}

/// Creates a bus, a queue, and a rule with `pattern` on the bus targeting the queue.
pub async fn bus_to_queue(config: &SdkConfig, pattern: &Value) -> BusToQueue {
    let eb = aws_sdk_eventbridge::Client::new(config);
    let bus = unique("Plumbing");
    eb.create_event_bus()
        .name(&bus)
        .send()
        .await
        .expect("CreateEventBus");
    let (queue_url, queue_arn) = queue(config, "bus-events").await;
    eb.put_rule()
        .name("to-queue")
        .event_bus_name(&bus)
        .event_pattern(pattern.to_string())
        .send()
        .await
        .expect("PutRule");
    eb.put_targets()
        .rule("to-queue")
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(&queue_arn)
                .build()
                .expect("a target with an id and an ARN"),
        )
        .send()
        .await
        .expect("PutTargets");
    BusToQueue {
        bus,
        queue_url,
        queue_arn,
    }
}

/// Receives (and leaves in flight) the queue's messages as JSON until `want` arrived or about
/// three seconds passed; returns what arrived. Ask for one more than expected to check that
/// nothing else came.
pub async fn receive_json(config: &SdkConfig, queue_url: &str, want: usize) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let mut got = Vec::new();
    for _ in 0..30 {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("ReceiveMessage");
        for m in out.messages() {
            let body = m.body().unwrap_or_default();
            got.push(
                serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string())),
            );
        }
        if got.len() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got
}

/// A new S3 bucket named `prefix-<unique>`, created path-style (as the adapters address moto).
pub async fn s3_bucket(config: &SdkConfig, prefix: &str) -> String {
    let name = unique(prefix);
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
    .create_bucket()
    .bucket(&name)
    .send()
    .await
    .expect("CreateBucket");
    name
}

/// A new on-demand DynamoDB table named `prefix-<unique>` whose partition key is the string
/// attribute `key` (as the CDK app creates the idempotency and reply-policy tables).
pub async fn dynamodb_table(config: &SdkConfig, prefix: &str, key: &str) -> String {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let name = unique(prefix);
    aws_sdk_dynamodb::Client::new(config)
        .create_table()
        .table_name(&name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .expect("key schema"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable");
    name
}

/// A Secrets Manager secret holding fake X credentials (app and user) in the shape the Lambdas
/// read; returns its ARN.
pub async fn x_secret(config: &SdkConfig) -> String {
    aws_sdk_secretsmanager::Client::new(config)
        .create_secret()
        .name(unique("TwitterSecret"))
        .secret_string(
            serde_json::json!({"ApiKey": "k", "ApiSecret": "s", "AccessToken": "t", "AccessTokenSecret": "ts"})
                .to_string(),
        )
        .send()
        .await
        .expect("CreateSecret")
        .arn
        .expect("the secret's ARN")
}
