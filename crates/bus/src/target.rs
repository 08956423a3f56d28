//! Where a route's events go: the [`Target`] port, and the registry the runtime fills in.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use starling_contracts::Envelope;

use super::routes::Route;

/// Receives a route's events, as an EventBridge target does. Delivery is at least once: the same
/// envelope (same `id`) may arrive again after a crash, a replay or a redrive.
#[async_trait]
pub trait Target: Send + Sync {
    /// Handles one event; an error is retried under the bus's retry policy unless it is
    /// [`DeliveryError::Permanent`].
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError>;

    /// How many consecutive events of its route this target takes in one
    /// [`Target::deliver_batch`] call (1, the default: one at a time). A target that commits once
    /// per call (the lake's one `fdatasync`) or works on several at once (analysis) says more, and
    /// the bus hands it the events that are waiting together — it never waits to fill a batch.
    fn max_batch(&self) -> usize {
        1
    }

    /// Delivers consecutive events of the route and says, for each in order, whether it was
    /// delivered (durably, for a target that stores them). The bus moves its cursor past each one
    /// delivered and delivers each other one again on its own under its retry policy — so a
    /// target whose events depend on their order reports the first failure and leaves the rest
    /// untried, as this default does; one whose events are independent may deliver the rest.
    async fn deliver_batch(&self, events: &[Envelope]) -> Vec<Result<(), DeliveryError>> {
        let mut results = Vec::with_capacity(events.len());
        for event in events {
            let result = self.deliver(event).await;
            let failed = result.is_err();
            results.push(result);
            if failed {
                break;
            }
        }
        while results.len() < events.len() {
            results.push(Err(DeliveryError::not_tried()));
        }
        results
    }
}

/// Why a target did not take an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// A failure that may pass (a throttle, an outage): the bus retries with backoff.
    #[error("{0}")]
    Retryable(String),
    /// A failure retrying cannot fix (a malformed event): the bus dead-letters at once.
    #[error("{0} (not retried)")]
    Permanent(String),
    /// Not a failure of the event: the target asks to be called again no sooner than `until`
    /// (a rate-limit window's reset, another delivery's claim). The bus waits — up to
    /// [`RetryPolicy::max_defer`](crate::RetryPolicy) at a time — without spending one of the
    /// route's retries; the event's age still bounds how long.
    #[error("{reason} (deferred)")]
    Deferred {
        /// Why.
        reason: String,
        /// When to try again.
        until: chrono::DateTime<chrono::Utc>,
    },
}

impl DeliveryError {
    /// What a batch reports for the events after its first failure, left untried: the bus
    /// delivers each of them again on its own.
    pub fn not_tried() -> Self {
        Self::Retryable("not tried: an earlier event of its batch failed".into())
    }

    /// Whether the bus should try again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable(_) | Self::Deferred { .. })
    }
}

/// A target made from an async closure; handy for wiring and tests.
pub struct FnTarget<F>(F);

/// Wraps an async closure `Fn(Envelope) -> Future<Output = Result<(), DeliveryError>>` as a target.
pub fn target_fn<F, Fut>(f: F) -> Arc<dyn Target>
where
    F: Fn(Envelope) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), DeliveryError>> + Send + 'static,
{
    Arc::new(FnTarget(f))
}

#[async_trait]
impl<F, Fut> Target for FnTarget<F>
where
    F: Fn(Envelope) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), DeliveryError>> + Send + 'static,
{
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        (self.0)(event.clone()).await
    }
}

/// The targets the runtime provides, by route name or by the route's target `(kind, name)`.
/// A route name wins over a target; a route with neither waits (its events stay in the log).
#[derive(Clone, Default)]
pub struct TargetRegistry {
    by_route: HashMap<String, Arc<dyn Target>>,
    by_target: HashMap<(String, String), Arc<dyn Target>>,
}

impl std::fmt::Debug for TargetRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetRegistry")
            .field("routes", &self.by_route.keys().collect::<Vec<_>>())
            .field("targets", &self.by_target.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl TargetRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Delivers route `route`'s events to `target`.
    pub fn with_route(mut self, route: &str, target: Arc<dyn Target>) -> Self {
        self.by_route.insert(route.to_string(), target);
        self
    }

    /// Delivers the events of every route whose target is `(kind, name)` to `target`.
    pub fn with_target(mut self, kind: &str, name: &str, target: Arc<dyn Target>) -> Self {
        self.by_target
            .insert((kind.to_string(), name.to_string()), target);
        self
    }

    /// The target for a route, if one is registered.
    pub fn resolve(&self, route: &Route) -> Option<Arc<dyn Target>> {
        self.by_route.get(&route.name).cloned().or_else(|| {
            self.by_target
                .get(&(route.target.kind.clone(), route.target.name.clone()))
                .cloned()
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::routes::TargetRef;

    fn route(name: &str, kind: &str, target: &str) -> Route {
        Route {
            name: name.into(),
            description: String::new(),
            pattern: serde_json::json!({}),
            target: TargetRef {
                kind: kind.into(),
                name: target.into(),
            },
        }
    }

    #[test]
    fn a_route_name_wins_over_its_target_and_unknown_routes_resolve_to_nothing() {
        let ok = target_fn(|_| async { Ok(()) });
        let failing = target_fn(|_| async { Err(DeliveryError::Permanent("no".into())) });
        let registry = TargetRegistry::new()
            .with_target("lambda", "alert", ok.clone())
            .with_route("alert-negative", failing.clone());
        let by_route = registry
            .resolve(&route("alert-negative", "lambda", "alert"))
            .unwrap();
        assert!(Arc::ptr_eq(&by_route, &failing));
        let by_target = registry
            .resolve(&route("other", "lambda", "alert"))
            .unwrap();
        assert!(Arc::ptr_eq(&by_target, &ok));
        assert!(registry.resolve(&route("x", "lambda", "none")).is_none());
    }
}
