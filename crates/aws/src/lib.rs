//! Starling's ports implemented with the aws-sdk-* crates, plus what every Lambda's `main` shares:
//! reading configuration from the environment and JSON logs.

pub mod alert;
pub mod analysis;
pub mod comprehend;
pub mod config;
pub mod dynamodb;
pub mod egress;
pub mod eventbridge;
pub mod faces;
pub mod firehose;
pub mod fulfilment;
pub mod ingress;
pub mod lambda_error;
pub mod lex;
pub mod moderation;
pub mod policy;
pub mod poll_mentions;
pub mod rekognition;
pub mod reply_image;
pub mod reply_text;
pub mod repost;
pub mod runner;
pub mod s3;
mod sdk_error;
pub mod secretsmanager;
pub mod sns;
pub mod telemetry;

pub use alert::AlertSettings;
pub use analysis::{AnalyseImageSettings, DownloadMediaSettings, FaceSearchSettings};
pub use comprehend::ComprehendTextAnalyzer;
pub use config::{ConfigError, Env};
pub use dynamodb::{DynamoCheckpoints, DynamoIdempotency};
pub use eventbridge::EventBridgePublisher;
pub use faces::RekognitionFaceGallery;
pub use fulfilment::FulfilmentSettings;
pub use lambda_error::TaskError;
pub use lex::{LexBotSettings, LexChatBot};
pub use moderation::AwsModerator;
pub use policy::{DynamoPolicyStore, PolicySettings};
pub use rekognition::RekognitionImageAnalyzer;
pub use reply_image::ReplyImageSettings;
pub use reply_text::ReplyTextSettings;
pub use repost::RepostSettings;
pub use runner::run_rule_handler;
pub use s3::S3BlobStore;
pub use secretsmanager::SecretsManagerSecrets;
pub use sns::SnsNotifier;
pub use telemetry::init_tracing;

/// Loads the AWS SDK configuration from the environment (region, credentials, and `AWS_ENDPOINT_URL`
/// for tests against a local endpoint).
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}
