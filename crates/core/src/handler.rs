//! One shape for every rule-bound handler: one detail in, the events to publish (or a classified
//! error) out. Each transport adapts this shape exactly once — the Lambda runner in
//! `starling-aws` (every rule-bound Lambda) and the bus target in `starling-local` (every local
//! route) — so decoding, error classes and publishing are written in one place
//! ([`handle_and_publish`]), not once per handler and transport.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use starling_contracts::{ErrorKind, OutgoingEvent};

use crate::ports::{EventPublisher, PublishError, PutOutcome};
use crate::publish::{RetryPolicy, publish_all};

/// A handler failure: its class (what Retry, Catch and the bus's retries act on) and a message
/// without secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct HandlerError {
    /// The class of failure.
    pub kind: ErrorKind,
    /// What happened.
    pub message: String,
    /// When trying again makes sense (a rate-limit window's reset, another delivery's claim
    /// ending): the local bus waits until then instead of spending a retry.
    pub retry_at: Option<DateTime<Utc>>,
}

impl HandlerError {
    /// A failure of class `kind`.
    pub fn new(kind: ErrorKind, message: impl std::fmt::Display) -> Self {
        Self {
            kind,
            message: message.to_string(),
            retry_at: None,
        }
    }

    /// The same failure, to be retried no sooner than `at`.
    pub fn retry_at(mut self, at: Option<DateTime<Utc>>) -> Self {
        self.retry_at = at;
        self
    }

    /// The input is unusable; retrying cannot help.
    pub fn invalid_input(message: impl std::fmt::Display) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// A dependency failed; retry later.
    pub fn unavailable(message: impl std::fmt::Display) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    /// A service throttled us; retry with backoff.
    pub fn throttled(message: impl std::fmt::Display) -> Self {
        Self::new(ErrorKind::Throttled, message)
    }
}

/// A handler of one detail-type, bound to a rule of `schemas/routes.json`.
#[async_trait]
pub trait DetailHandler: Send + Sync {
    /// The detail it reads.
    type Detail: DeserializeOwned + Send;

    /// The detail-type it reads, for error messages (`MESSAGE_ANALYSED`).
    fn detail_type(&self) -> &'static str;

    /// Handles one detail: the events to publish (none is fine) or a classified error.
    async fn handle(&self, detail: Self::Detail) -> Result<Vec<OutgoingEvent>, HandlerError>;

    /// What the invocation answers once `published` are on the bus (a Lambda's response).
    /// By default the detail-types published.
    fn summary(&self, published: &[OutgoingEvent]) -> Value {
        json!({ "Published": published.iter().map(|e| e.detail_type.as_str()).collect::<Vec<_>>() })
    }
}

/// Decodes `detail`, handles it and publishes the result with the shared publishing retries;
/// answers the handler's summary. An unreadable detail is `InvalidInput`; a bus that refuses
/// past the retries is `Unavailable`, so the transport delivers the event again.
pub async fn handle_and_publish<H: DetailHandler + ?Sized>(
    handler: &H,
    detail: Value,
    bus: &dyn EventPublisher,
) -> Result<Value, HandlerError> {
    let events = handle_detail(handler, detail).await?;
    let summary = handler.summary(&events);
    if !events.is_empty() {
        publish_all(bus, events, RetryPolicy::default())
            .await
            .map_err(HandlerError::unavailable)?;
    }
    Ok(summary)
}

/// Decodes `detail` and handles it, publishing nothing: the events it would publish. For a
/// transport that publishes the results of several deliveries together (the local bus's batches);
/// an unreadable detail is `InvalidInput`.
pub async fn handle_detail<H: DetailHandler + ?Sized>(
    handler: &H,
    detail: Value,
) -> Result<Vec<OutgoingEvent>, HandlerError> {
    let detail: H::Detail = serde_json::from_value(detail).map_err(|e| {
        HandlerError::invalid_input(format!("{} detail unreadable: {e}", handler.detail_type()))
    })?;
    handler.handle(detail).await
}

/// The bus of a handler that publishes nothing (alert): any put is refused, so a handler that
/// starts publishing without being given a bus fails loudly instead of losing events.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBus;

#[async_trait]
impl EventPublisher for NoBus {
    async fn put(&self, events: &[OutgoingEvent]) -> Result<PutOutcome, PublishError> {
        Err(PublishError::Unavailable(format!(
            "this function has no event bus, yet {} event(s) were put",
            events.len()
        )))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::memory::MemoryPublisher;

    /// Echoes `{"n": k}` as k events, fails on negative k with the kind named by `"fail"`.
    struct Echo;

    #[derive(serde::Deserialize)]
    struct EchoDetail {
        n: i64,
    }

    #[async_trait]
    impl DetailHandler for Echo {
        type Detail = EchoDetail;
        fn detail_type(&self) -> &'static str {
            "ECHO"
        }
        async fn handle(&self, d: EchoDetail) -> Result<Vec<OutgoingEvent>, HandlerError> {
            if d.n < 0 {
                return Err(HandlerError::throttled("slow down"));
            }
            Ok((0..d.n)
                .map(|i| OutgoingEvent {
                    source: "test".into(),
                    detail_type: "ECHOED".into(),
                    detail: json!({ "i": i }),
                    resources: vec![],
                    time: None,
                })
                .collect())
        }
    }

    #[tokio::test]
    async fn the_events_are_published_and_the_summary_names_them() {
        let bus = MemoryPublisher::new();
        let out = handle_and_publish(&Echo, json!({"n": 2}), &bus)
            .await
            .unwrap();
        assert_eq!(out, json!({"Published": ["ECHOED", "ECHOED"]}));
        assert_eq!(bus.events().len(), 2);
    }

    #[tokio::test]
    async fn an_unreadable_detail_is_invalid_input_naming_the_detail_type() {
        let err = handle_and_publish(&Echo, json!({"n": "x"}), &NoBus)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput);
        assert!(err.message.starts_with("ECHO detail unreadable"), "{err}");
    }

    #[tokio::test]
    async fn the_handlers_class_is_kept_and_a_refusing_bus_is_unavailable() {
        let err = handle_and_publish(&Echo, json!({"n": -1}), &NoBus)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Throttled);
        let err = handle_and_publish(&Echo, json!({"n": 1}), &NoBus)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unavailable);
        assert!(err.message.contains("no event bus"), "{err}");
        // Nothing to publish needs no bus.
        assert!(
            handle_and_publish(&Echo, json!({"n": 0}), &NoBus)
                .await
                .is_ok()
        );
    }
}
