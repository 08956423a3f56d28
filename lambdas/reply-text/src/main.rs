//! Lambda: reply-text — a text-only MESSAGE_ANALYSED (route `reply-text`) sent to the Lex V2 bot,
//! whose message becomes a SEND_TWEET on the bus; no message, no reply. Env: `BOT_ID`,
//! `BOT_ALIAS_ID`, `BOT_LOCALE_ID`, `EVENT_BUS_NAME` (required). Wiring only; the logic is
//! `starling_core::responding::reply_text`.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use starling_aws::{ReplyTextLambda, ReplyTextSettings, TaskError};
use starling_contracts::MessageAnalysed;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let settings = ReplyTextSettings::from_env(&starling_aws::Env::process())?;
    let lambda = ReplyTextLambda::new(settings, &starling_aws::sdk_config().await);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| {
            let lambda = &lambda;
            async move {
                let message: MessageAnalysed =
                    serde_json::from_value(event.payload.detail).map_err(TaskError::bad_input)?;
                let key = lambda.handle(&message).await?;
                Ok::<serde_json::Value, TaskError>(
                    serde_json::json!({ "Replied": key.is_some(), "IdempotencyKey": key }),
                )
            }
        },
    ))
    .await
}
