//! The built download-media binary, driven through a local Lambda Runtime API with the state
//! machine's payloads, with moto's S3 as the media bucket.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::json;
use starling_testkit::aws::{s3_bucket, sdk_config};
use starling_testkit::lambda_process::{LambdaProcess, invoke, lambda_command};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

async fn media_bucket(moto: &str) -> String {
    s3_bucket(&sdk_config(moto), "media").await
}

fn spawn_lambda(api: &RuntimeApi, moto: &str, vars: &[(&str, &str)]) -> LambdaProcess {
    let mut cmd = lambda_command(env!("CARGO_BIN_EXE_download-media"), "download-media", api);
    cmd.env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .envs(starling_testkit::moto::aws_env(moto))
        .envs(vars.iter().copied());
    LambdaProcess::spawn(&mut cmd)
}

#[tokio::test]
async fn refused_urls_are_reported_per_image_and_another_bucket_is_invalid_input() {
    let moto = starling_testkit::moto::endpoint();
    let bucket = media_bucket(&moto).await;
    let api = RuntimeApi::start().await.unwrap();
    let _lambda = spawn_lambda(&api, &moto, &[("MEDIA_BUCKET", &bucket)]);

    // No network in tests: both URLs are refused by the guards before any request.
    let task = json!({
        "Bucket": bucket,
        "TweetId": "1850000000000000001",
        "EventTime": "2026-11-23T10:00:00Z",
        "ImageUrls": ["http://pbs.twimg.com/media/a.jpg", "https://example.org/b.jpg"]
    });
    let Outcome::Response(out) = invoke(&api, task).await else {
        panic!("expected a response")
    };
    let images = out["Images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "{out}");
    assert_eq!(images[0]["Url"], "http://pbs.twimg.com/media/a.jpg");
    assert!(images[0].get("Key").is_none(), "{out}");
    assert!(
        images[0]["Error"].as_str().unwrap().contains("only https"),
        "{out}"
    );
    assert!(
        images[1]["Error"]
            .as_str()
            .unwrap()
            .contains("not allow-listed"),
        "{out}"
    );

    let task = json!({"Bucket": "someone-elses", "TweetId": "1", "EventTime": "2026-11-23T10:00:00Z", "ImageUrls": []});
    let Outcome::Error(error) = invoke(&api, task).await else {
        panic!("expected an error")
    };
    assert_eq!(error["errorType"], "Starling.InvalidInput", "{error}");
}

#[tokio::test]
async fn a_missing_media_bucket_fails_at_init_with_the_variable_named() {
    let api = RuntimeApi::start().await.unwrap();
    let (status, stderr) = spawn_lambda(&api, "http://127.0.0.1:9", &[]).exit().await;
    assert!(!status.success());
    assert!(stderr.contains("MEDIA_BUCKET"), "{stderr}");
}
