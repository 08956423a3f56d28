//! The built download-media binary, driven through a local Lambda Runtime API with the state
//! machine's payloads, with moto's S3 as the media bucket.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_s3::config::{Credentials, Region, SharedCredentialsProvider};
use serde_json::{Value, json};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

async fn media_bucket(moto: &str) -> String {
    let config = aws_config::SdkConfig::builder()
        .endpoint_url(moto)
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "moto",
        )))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let name = format!("media-{}", uuid::Uuid::new_v4().simple());
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
    .create_bucket()
    .bucket(&name)
    .send()
    .await
    .unwrap();
    name
}

fn spawn_lambda(api: &RuntimeApi, moto: &str, vars: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_download-media"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "download-media")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/download-media")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in starling_testkit::moto::aws_env(moto) {
        cmd.env(k, v);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.spawn()
        .expect("the download-media binary is built by cargo test")
}

async fn invoke(api: &RuntimeApi, event: Value) -> Outcome {
    tokio::time::timeout(Duration::from_secs(30), api.invoke(event))
        .await
        .expect("the Lambda answered")
}

#[tokio::test]
async fn refused_urls_are_reported_per_image_and_another_bucket_is_invalid_input() {
    let moto = starling_testkit::moto::endpoint();
    let bucket = media_bucket(&moto).await;
    let api = RuntimeApi::start().await.unwrap();
    let mut child = spawn_lambda(&api, &moto, &[("MEDIA_BUCKET", &bucket)]);

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
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn a_missing_media_bucket_fails_at_init_with_the_variable_named() {
    let api = RuntimeApi::start().await.unwrap();
    let child = spawn_lambda(&api, "http://127.0.0.1:9", &[]);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MEDIA_BUCKET"), "{stderr}");
}
