//! Lambda: repost — a keyword-search MESSAGE_RECEIVED (route `repost`) through the repost rule:
//! reposted on X when its author is on the policy's curated list (once, inside the daily cap and
//! the budget replies share), else REPOST_SUPPRESSED with the reason; nothing at all unless
//! `REPLY_POLICY`'s `repost.enabled`. Env: `SECRET_ARN`, `EVENT_BUS_NAME`, `POLICY_TABLE`,
//! `BOT_USER_ID` (required), `REPLY_POLICY`, `DRY_RUN`, `X_API_BASE`, `X_TIMEOUT_SECONDS`,
//! `SECRET_TTL_SECONDS`. Wiring only; the logic is `starling_core::policy::RepostRule`.

use std::sync::Arc;

use starling_aws::{Env, RepostSettings};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let settings = RepostSettings::from_env(&Env::process())?;
    let (handler, bus) = starling_aws::repost::repost(settings, &starling_aws::sdk_config().await);
    starling_aws::run_rule_handler(handler, Arc::new(bus)).await
}
