//! Lambda: alert — a negative MESSAGE_ANALYSED (route `alert-negative`) or a MODERATION_FLAGGED
//! with `Alert` (route `alert-moderation`) published to the alert topic. Env: `ALERT_TOPIC_ARN`
//! (required), `MIN_NEGATIVE_SCORE` (default 0.5). Wiring only; the logic is `starling_core::alert`.

use std::sync::Arc;

use starling_aws::{AlertSettings, Env};
use starling_core::handler::NoBus;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let settings = AlertSettings::from_env(&Env::process())?;
    let handler = starling_aws::alert::alert(settings, &starling_aws::sdk_config().await);
    starling_aws::run_rule_handler(handler, Arc::new(NoBus)).await
}
