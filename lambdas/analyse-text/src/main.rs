//! Lambda: analyse-text — Comprehend over a MESSAGE_RECEIVED detail; a task of analyse-message.
//! Input: the detail. Output: the text half of `Analysis`. Wiring only; the logic is
//! `starling_core::analysis::text`.

use lambda_runtime::{LambdaEvent, service_fn};
use starling_aws::{ComprehendTextAnalyzer, TaskError};
use starling_contracts::Analysis;
use starling_contracts::MessageReceived;
use starling_core::analysis::text::analyse_text;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let analyzer = ComprehendTextAnalyzer::new(&starling_aws::sdk_config().await);
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let analyzer = &analyzer;
        async move {
            let message: MessageReceived =
                serde_json::from_value(event.payload).map_err(TaskError::bad_input)?;
            Ok::<Analysis, TaskError>(analyse_text(analyzer, &message).await?)
        }
    }))
    .await
}
