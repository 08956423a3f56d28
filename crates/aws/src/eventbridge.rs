//! [`EventPublisher`] on Amazon EventBridge (`PutEvents`).

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use starling_contracts::OutgoingEvent;
use starling_core::ports::{EventPublisher, FailedEntry, PublishError, PutOutcome};

/// Puts events on one EventBridge bus.
#[derive(Debug, Clone)]
pub struct EventBridgePublisher {
    client: Client,
    bus_name: String,
}

impl EventBridgePublisher {
    /// A publisher for the bus `bus_name` (a name or an ARN).
    pub fn new(config: &aws_config::SdkConfig, bus_name: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            bus_name: bus_name.into(),
        }
    }

    fn entry(&self, e: &OutgoingEvent) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(&e.source)
            .detail_type(&e.detail_type)
            .detail(e.detail_json())
            .set_resources((!e.resources.is_empty()).then(|| e.resources.clone()))
            .set_time(e.time.map(|t| DateTime::from_secs(t.timestamp())))
            .build()
    }
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn put(&self, events: &[OutgoingEvent]) -> Result<PutOutcome, PublishError> {
        if events.is_empty() {
            return Ok(PutOutcome::default());
        }
        let out = self
            .client
            .put_events()
            .set_entries(Some(events.iter().map(|e| self.entry(e)).collect()))
            .send()
            .await
            .map_err(classify)?;
        let failed = out
            .entries()
            .iter()
            .enumerate()
            .filter_map(|(index, r)| {
                r.error_code().map(|code| FailedEntry {
                    index,
                    code: code.to_string(),
                    message: r.error_message().unwrap_or_default().to_string(),
                })
            })
            .collect::<Vec<_>>();
        // A response that reports failures without saying which (never seen, but possible) fails all.
        if failed.is_empty() && out.failed_entry_count() > 0 {
            return Ok(PutOutcome {
                failed: (0..events.len())
                    .map(|index| FailedEntry {
                        index,
                        code: "Unknown".into(),
                        message: "unreported failure".into(),
                    })
                    .collect(),
            });
        }
        Ok(PutOutcome { failed })
    }
}

/// Client errors that retrying cannot fix are `Rejected`; throttling, 5xx and transport are `Unavailable`.
fn classify<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    err: SdkError<E, R>,
) -> PublishError {
    match &err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("Unknown").to_string();
            let msg = format!("{code}: {}", se.err().message().unwrap_or_default());
            match code.as_str() {
                "ThrottlingException"
                | "InternalException"
                | "InternalFailure"
                | "ServiceUnavailable" => PublishError::Unavailable(msg),
                _ => PublishError::Rejected(msg),
            }
        }
        other => PublishError::Unavailable(format!("{other:?}").chars().take(300).collect()),
    }
}
