//! The one Lambda runner for every rule-bound handler (`alert`, `reply-image`, `reply-text`,
//! `egress`): an EventBridge event in, its detail through [`handle_and_publish`], the handler's
//! summary out, or a [`TaskError`] named by its kind so Lambda's async retry (then the DLQ) takes
//! over. The local twin is `starling_local::targets::HandlerTarget`.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use starling_core::handler::{DetailHandler, handle_and_publish};
use starling_core::ports::EventPublisher;

use crate::TaskError;

/// Serves `handler` on the Lambda Runtime API until the environment is shut down, publishing
/// what it returns on `bus`.
pub async fn run_rule_handler<H: DetailHandler>(
    handler: H,
    bus: Arc<dyn EventPublisher>,
) -> Result<(), lambda_runtime::Error> {
    let (handler, bus) = (&handler, &bus);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<EventBridgeEvent<Value>>| async move {
            handle_and_publish(handler, event.payload.detail, bus.as_ref())
                .await
                .map_err(TaskError::from)
        },
    ))
    .await
}
