//! Lambda: lex-fulfilment — the Lex V2 bot's fulfilment code hook. Joke and Fact are answered from
//! the curated lists shipped in `bot/`, FallbackIntent with the definition's fallback text, in Lex
//! V2's response shape. Env (all optional, off by default): `JOKE_SOURCE_URL`, `FACT_SOURCE_URL`,
//! `REMOTE_TIMEOUT_MS` (≤ 700) — a remote answer tried first, the list answering when it fails or
//! is late. Wiring only; the logic is `starling_core::responding::fulfilment`.
//!
//! The event is read as `serde_json::Value` into the core's own Lex V2 types:
//! `aws_lambda_events::event::lex` models Lex V1 only (`currentIntent`, `dialogAction` at the top
//! level), not V2's `sessionState`/`interpretations` shape.

use lambda_runtime::{LambdaEvent, service_fn};
use starling_aws::fulfilment::CodeHook;
use starling_aws::{Env, FulfilmentSettings};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let hook = CodeHook::new(FulfilmentSettings::from_env(&Env::process())?)?;
    let hook = &hook;
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        hook.handle(event.payload)
    }))
    .await
}
