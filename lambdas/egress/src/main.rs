//! Lambda: egress — a SEND_TWEET (route `egress`) posted on X once per IdempotencyKey, then
//! TWEET_SENT or TWEET_FAILED on the bus. Env: `SECRET_ARN`, `EVENT_BUS_NAME`, `MEDIA_BUCKET`,
//! `IDEMPOTENCY_TABLE`, `BOT_USER_ID` (required); `X_API_BASE`, `X_UPLOAD_BASE`, `X_TIMEOUT_SECONDS`,
//! `SECRET_TTL_SECONDS`, `EVENT_BUS_ARN` + `DEFER_ROLE_ARN` (rate limits deferred by EventBridge
//! Scheduler). Wiring only; the logic is `starling_core::egress`.

use std::sync::Arc;

use starling_aws::Env;
use starling_aws::egress::EgressSettings;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let settings = EgressSettings::from_env(&Env::process())?;
    let (handler, bus) = starling_aws::egress::egress(settings, &starling_aws::sdk_config().await);
    starling_aws::run_rule_handler(handler, Arc::new(bus)).await
}
