//! Lambda: poll-mentions — on an EventBridge Scheduler schedule, the bot's mentions since the
//! checkpoint onto the bus, once each. Env: `SECRET_ARN`, `EVENT_BUS_NAME`, `BOT_USER_ID`,
//! `CHECKPOINT_TABLE` (required); `DEDUP_TABLE`, `BOT_USERNAME`, `X_API_BASE`,
//! `X_TIMEOUT_SECONDS`, `SECRET_TTL_SECONDS`, `FIRST_WINDOW_SECONDS`. Wiring only; the logic is
//! `starling_core::sources`.

use starling_aws::Env;
use starling_aws::poll_mentions::{PollMentions, PollMentionsSettings, run};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let settings = PollMentionsSettings::from_env(&Env::process())?;
    run(PollMentions::new(
        settings,
        &starling_aws::sdk_config().await,
    ))
    .await
}
