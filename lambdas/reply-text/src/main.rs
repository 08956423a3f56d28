//! Lambda: reply-text — a text-only MESSAGE_ANALYSED (route `reply-text`) sent to the Lex V2 bot,
//! whose message becomes a SEND_TWEET on the bus once Comprehend `DetectToxicContent` passed the
//! post and the reply (English only); no message, no reply. Env: `BOT_ID`, `BOT_ALIAS_ID`,
//! `BOT_LOCALE_ID`, `EVENT_BUS_NAME`, `POLICY_TABLE`, `BOT_USER_ID` (required), `REPLY_POLICY`.
//! Wiring only; the logic is `starling_core::responding::reply_text`.

use std::sync::Arc;

use starling_aws::{Env, ReplyTextSettings};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let settings = ReplyTextSettings::from_env(&Env::process())?;
    let (handler, bus) =
        starling_aws::reply_text::reply_text(settings, &starling_aws::sdk_config().await);
    starling_aws::run_rule_handler(handler, Arc::new(bus)).await
}
