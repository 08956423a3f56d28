//! The download-media and analyse-image handlers as their Lambdas run them: the state machine's
//! payloads in, the documented outputs out, S3 on moto, Rekognition on a local endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};
use starling_aws::analysis::{handle_analyse_image, handle_download_media};
use starling_aws::{
    AnalyseImageSettings, DownloadMediaSettings, Env, RekognitionImageAnalyzer, S3BlobStore,
};
use starling_core::analysis::media::{FetchError, Fetched, HttpFetcher};
use starling_core::ports::BlobStore;
use starling_testkit::aws::{s3_bucket, sdk_config_without_retries};
use starling_testkit::aws_json::{AwsJsonEndpoint, Operation};

/// Answers every URL with the first bytes of a PNG.
struct PngFetcher;

#[async_trait]
impl HttpFetcher for PngFetcher {
    async fn get(&self, _url: &str, _max_bytes: usize) -> Result<Fetched, FetchError> {
        Ok(Fetched {
            status: 200,
            location: None,
            body: vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13],
        })
    }
}

#[tokio::test]
async fn download_media_stores_allowed_images_and_reports_the_others() {
    let config = sdk_config_without_retries(&starling_testkit::moto::endpoint());
    let bucket = s3_bucket(&config, "media").await;
    let settings =
        DownloadMediaSettings::from_env(&Env::from_pairs([("MEDIA_BUCKET", bucket.as_str())]))
            .unwrap();
    let blobs = S3BlobStore::new(&config, &settings.bucket);
    let payload = json!({
        "Bucket": bucket,
        "TweetId": "1850000000000000001",
        "EventTime": "2026-11-23T10:00:00Z",
        "ImageUrls": ["https://pbs.twimg.com/media/a.png", "https://evil.example/b.png"]
    });
    let out = handle_download_media(&PngFetcher, &blobs, &settings, payload)
        .await
        .unwrap();
    let out = serde_json::to_value(out).unwrap();
    let key = "media/2026/11/23/1850000000000000001/0.png";
    assert_eq!(
        out["Images"][0],
        json!({"Url": "https://pbs.twimg.com/media/a.png", "Key": key})
    );
    assert_eq!(out["Images"][1]["Url"], "https://evil.example/b.png");
    assert!(out["Images"][1].get("Key").is_none());
    let error = out["Images"][1]["Error"].as_str().unwrap();
    assert!(error.contains("not allow-listed"), "{error}");
    assert_eq!(&blobs.get(key).await.unwrap()[..4], b"\x89PNG");
}

#[tokio::test]
async fn download_media_refuses_another_bucket_and_a_bad_payload() {
    let settings =
        DownloadMediaSettings::from_env(&Env::from_pairs([("MEDIA_BUCKET", "media")])).unwrap();
    let blobs = S3BlobStore::new(&sdk_config_without_retries("http://127.0.0.1:9"), "media");
    let payload = json!({"Bucket": "other", "TweetId": "1", "EventTime": "2026-11-23T10:00:00Z", "ImageUrls": []});
    let err = handle_download_media(&PngFetcher, &blobs, &settings, payload)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Starling.InvalidInput");
    assert!(err.message.contains("\"other\""), "{}", err.message);
    let err = handle_download_media(&PngFetcher, &blobs, &settings, json!({"TweetId": 5}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Starling.InvalidInput");
}

#[tokio::test]
async fn download_media_with_the_store_down_is_unavailable_for_a_retry() {
    let settings =
        DownloadMediaSettings::from_env(&Env::from_pairs([("MEDIA_BUCKET", "media")])).unwrap();
    // Nothing listens on port 9: every PutObject fails to connect.
    let blobs = S3BlobStore::new(&sdk_config_without_retries("http://127.0.0.1:9"), "media");
    let payload = json!({"Bucket": "media", "TweetId": "1", "EventTime": "2026-11-23T10:00:00Z",
                         "ImageUrls": ["https://pbs.twimg.com/media/a.png"]});
    let err = handle_download_media(&PngFetcher, &blobs, &settings, payload)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Starling.Unavailable");
}

fn empty_rekognition() -> HashMap<String, Operation> {
    let mut ops: HashMap<String, Operation> = HashMap::new();
    ops.insert(
        "RecognizeCelebrities".into(),
        Arc::new(|_: &Value| (200, json!({"CelebrityFaces": [], "UnrecognizedFaces": []}))),
    );
    ops.insert(
        "DetectLabels".into(),
        Arc::new(|_: &Value| (200, json!({"Labels": [{"Name": "Bird", "Confidence": 97.0, "Parents": [{"Name": "Animal"}]}]}))),
    );
    ops
}

#[tokio::test]
async fn analyse_image_answers_an_image_result_for_the_configured_bucket_only() {
    let endpoint = AwsJsonEndpoint::start(empty_rekognition()).await.unwrap();
    let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(&endpoint.url));
    let settings = AnalyseImageSettings::from_env(&Env::from_pairs([
        ("MEDIA_BUCKET", "media"),
        ("MAX_LABELS", "3"),
        ("DETECT_TEXT", "never"),
    ]))
    .unwrap();
    let result = handle_analyse_image(
        &analyzer,
        &settings,
        json!({"Bucket": "media", "Key": "media/k/0.jpg", "Url": "https://pbs.twimg.com/media/k.jpg"}),
    )
    .await
    .unwrap();
    let result = serde_json::to_value(result).unwrap();
    assert_eq!(result["Key"], "media/k/0.jpg");
    assert_eq!(result["Url"], "https://pbs.twimg.com/media/k.jpg");
    assert_eq!(result["Analysis"]["Provider"], "amazon-rekognition");
    assert_eq!(result["Analysis"]["Labels"][0]["Name"], "Bird");
    assert_eq!(
        result["Analysis"]["Labels"][0]["Parents"],
        json!([{"Name": "Animal"}])
    );
    let labels = &endpoint.requests()[1].1;
    assert_eq!(labels["MaxLabels"], 3);

    let err = handle_analyse_image(
        &analyzer,
        &settings,
        json!({"Bucket": "elsewhere", "Key": "k"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type(), "Starling.InvalidInput");
    assert_eq!(
        endpoint.requests().len(),
        2,
        "nothing sent for a refused task"
    );
}
