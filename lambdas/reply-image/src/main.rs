//! Lambda: reply-image — a MESSAGE_ANALYSED with images (route `reply-image`): each photo judged by
//! Rekognition `DetectModerationLabels`, annotated copies in the media bucket, then SEND_TWEET (or
//! REPLY_SUPPRESSED and MODERATION_FLAGGED) on the bus. Env: `MEDIA_BUCKET`, `EVENT_BUS_NAME`,
//! `POLICY_TABLE`, `BOT_USER_ID` (required), `UNKNOWN_FACES` (`ignore`, `box` or `blur`; default
//! `ignore`), `REPLY_POLICY` (its `moderation` section sets the gate). Wiring only; the logic is
//! `starling_core::responding::reply_image`.

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
