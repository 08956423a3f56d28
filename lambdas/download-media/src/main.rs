//! Lambda: download-media — a message's images into the media bucket; a task of analyse-message.
//! Input: `{Bucket, TweetId, EventTime, ImageUrls}`. Output: `{Images: [{Url, Key?, Error?}]}`.
//! Wiring only; the logic is `starling_core::analysis::media`.

use lambda_runtime::{LambdaEvent, service_fn};
use starling_aws::analysis::handle_download_media;
use starling_aws::{DownloadMediaSettings, Env, S3BlobStore};
use starling_http::ReqwestFetcher;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    starling_aws::init_tracing();
    let settings = DownloadMediaSettings::from_env(&Env::process())?;
    let blobs = S3BlobStore::new(&starling_aws::sdk_config().await, &settings.bucket);
    let fetcher = ReqwestFetcher::new(settings.timeout);
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let (fetcher, blobs, settings) = (&fetcher, &blobs, &settings);
        async move { handle_download_media(fetcher, blobs, settings, event.payload).await }
    }))
    .await
}
