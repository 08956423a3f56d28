//! Lambda: reply-image — a MESSAGE_ANALYSED with images (route `reply-image`): annotated copies of
//! the photos in the media bucket, then SEND_TWEET on the bus. Env: `MEDIA_BUCKET`,
//! `EVENT_BUS_NAME` (required), `UNKNOWN_FACES` (`ignore`, `box` or `blur`; default `ignore`).
//! Wiring only; the logic is `starling_core::responding::reply_image`.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use starling_aws::{Env, EventBridgePublisher, S3BlobStore, TaskError};
use starling_contracts::MessageAnalysed;
use starling_core::publish::{RetryPolicy, publish_all};
use starling_core::responding::annotate::UnknownFaces;
use starling_core::responding::reply_image::{ReplyImage, ReplyImageConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let env = Env::process();
    let bucket = env.required(
        "MEDIA_BUCKET",
        "the bucket holding the images and their annotated copies",
    )?;
    let bus_name = env.required("EVENT_BUS_NAME", "the EventBridge bus for SEND_TWEET")?;
    let config = ReplyImageConfig {
        unknown_faces: env.parsed("UNKNOWN_FACES", UnknownFaces::Ignore)?,
        ..ReplyImageConfig::default()
    };
    let sdk = starling_aws::sdk_config().await;
    let handler = ReplyImage::new(Arc::new(S3BlobStore::new(&sdk, bucket)), config);
    let bus = EventBridgePublisher::new(&sdk, bus_name);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| {
            let (handler, bus) = (&handler, &bus);
            async move {
                let message: MessageAnalysed =
                    serde_json::from_value(event.payload.detail).map_err(TaskError::bad_input)?;
                let reply = handler.handle(&message).await.map_err(|e| {
                    if e.is_retryable() {
                        TaskError::unavailable(e)
                    } else {
                        TaskError::bad_input(e)
                    }
                })?;
                let Some(reply) = reply else {
                    return Ok(serde_json::json!({ "Replied": false }));
                };
                let images = reply.detail["ImageKeys"].clone();
                publish_all(bus, vec![reply], RetryPolicy::default())
                    .await
                    .map_err(TaskError::unavailable)?;
                Ok::<serde_json::Value, TaskError>(
                    serde_json::json!({ "Replied": true, "ImageKeys": images }),
                )
            }
        },
    ))
    .await
}
