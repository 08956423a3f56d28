//! Lambda: analyse-image — Rekognition on one image of the media bucket; a task of analyse-message.
//! Input: `{Bucket, Key, Url}`. Output: an `ImageResult`. With `FACE_COLLECTION_ID`, faces no
//! celebrity matched are searched in that face collection. Wiring only; the logic is
//! `starling_core::analysis::image`.

use lambda_runtime::{LambdaEvent, service_fn};
use starling_aws::analysis::handle_analyse_image;
use starling_aws::{AnalyseImageSettings, Env};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let settings = AnalyseImageSettings::from_env(&Env::process())?;
    let analyzer = settings.analyzer(&starling_aws::sdk_config().await);
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let (analyzer, settings) = (&analyzer, &settings);
        async move { handle_analyse_image(analyzer, settings, event.payload).await }
    }))
    .await
}
