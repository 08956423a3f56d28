//! [`Notifier`] on Amazon SNS: subject, message, and message attributes subscribers can filter on.

use crate::sdk_error::describe;
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use starling_core::ports::{Alert, Notifier, NotifyError};

/// Publishes alerts to one topic.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    /// A notifier for the topic `topic_arn`.
    pub fn new(config: &aws_config::SdkConfig, topic_arn: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            topic_arn: topic_arn.into(),
        }
    }
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn notify(&self, alert: &Alert) -> Result<(), NotifyError> {
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&alert.subject)
            .message(&alert.message);
        for (name, value, is_number) in &alert.attributes {
            let attribute = MessageAttributeValue::builder()
                .data_type(if *is_number { "Number" } else { "String" })
                .string_value(value)
                .build()
                .map_err(|e| NotifyError(format!("attribute {name}: {e}")))?;
            request = request.message_attributes(name, attribute);
        }
        request
            .send()
            .await
            .map_err(|e| NotifyError(describe("SNS", "SNS Publish", &e).1))?;
        Ok(())
    }
}
