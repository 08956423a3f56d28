//! Lambda: egress — a SEND_TWEET (route `egress`) posted on X once per IdempotencyKey, then
//! TWEET_SENT or TWEET_FAILED on the bus. Env: `SECRET_ARN`, `EVENT_BUS_NAME`, `MEDIA_BUCKET`,
//! `IDEMPOTENCY_TABLE` (required); `X_API_BASE`, `X_UPLOAD_BASE`, `X_TIMEOUT_SECONDS`,
//! `SECRET_TTL_SECONDS`. Wiring only; the logic is `starling_core::egress`.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use starling_aws::TaskError;
use starling_aws::egress::{EgressLambda, EgressSettings};
use starling_contracts::SendTweet;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let settings = EgressSettings::from_env(&starling_aws::Env::process())?;
    let lambda = EgressLambda::new(settings, &starling_aws::sdk_config().await);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| {
            let lambda = &lambda;
            async move {
                let send: SendTweet =
                    serde_json::from_value(event.payload.detail).map_err(TaskError::bad_input)?;
                let published = lambda.handle(&send).await?;
                Ok::<serde_json::Value, TaskError>(serde_json::json!({ "Published": published }))
            }
        },
    ))
    .await
}
