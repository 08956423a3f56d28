//! Lambda: alert — a negative MESSAGE_ANALYSED (route `alert-negative`) published to the alert topic.
//! Env: `ALERT_TOPIC_ARN` (required), `MIN_NEGATIVE_SCORE` (default 0.5). Wiring only; the logic is
//! `starling_core::alert`.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use starling_aws::{Env, SnsNotifier, TaskError};
use starling_contracts::MessageAnalysed;
use starling_core::alert::{AlertConfig, handle};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let env = Env::process();
    let topic = env.required("ALERT_TOPIC_ARN", "the SNS topic ops subscribe to")?;
    let config = AlertConfig {
        min_negative_score: env.parsed("MIN_NEGATIVE_SCORE", 0.5)?,
    };
    let notifier = SnsNotifier::new(&starling_aws::sdk_config().await, topic);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| {
            let notifier = &notifier;
            async move {
                let message: MessageAnalysed =
                    serde_json::from_value(event.payload.detail).map_err(TaskError::bad_input)?;
                let sent = handle(notifier, &message, &config)
                    .await
                    .map_err(|e| TaskError {
                        error_type: "Starling.Unavailable",
                        message: e.to_string(),
                    })?;
                Ok::<serde_json::Value, TaskError>(serde_json::json!({ "Alerted": sent }))
            }
        },
    ))
    .await
}
