//! Lambda: firehose-transform — the lake delivery stream's record transformation. No environment;
//! wiring only. The logic is `starling_core::lake::transform_record`, in Firehose's types through
//! `starling_aws::firehose::transform_event`.

use aws_lambda_events::event::firehose::{KinesisFirehoseEvent, KinesisFirehoseResponse};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<KinesisFirehoseEvent>| async move {
            Ok::<KinesisFirehoseResponse, lambda_runtime::Error>(
                starling_aws::firehose::transform_event(event.payload),
            )
        },
    ))
    .await
}
