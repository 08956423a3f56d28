//! Lambda: reply-image — a MESSAGE_ANALYSED with images (route `reply-image`): annotated copies of
//! the photos in the media bucket, then SEND_TWEET on the bus. Env: `MEDIA_BUCKET`,
//! `EVENT_BUS_NAME` (required), `UNKNOWN_FACES` (`ignore`, `box` or `blur`; default `ignore`).
//! Wiring only; the logic is `starling_core::responding::reply_image`.

use std::sync::Arc;

use starling_aws::{Env, ReplyImageSettings};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let settings = ReplyImageSettings::from_env(&Env::process())?;
    let (handler, bus) =
        starling_aws::reply_image::reply_image(settings, &starling_aws::sdk_config().await);
    starling_aws::run_rule_handler(handler, Arc::new(bus)).await
}
