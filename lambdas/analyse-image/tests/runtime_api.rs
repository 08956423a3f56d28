//! The built analyse-image binary, driven through a local Lambda Runtime API with the state
//! machine's payloads, calling a local Rekognition endpoint over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use starling_testkit::aws_json::{AwsJsonEndpoint, Operation};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

async fn rekognition() -> AwsJsonEndpoint {
    let mut ops: HashMap<String, Operation> = HashMap::new();
    ops.insert(
        "RecognizeCelebrities".into(),
        Arc::new(|_: &Value| (200, json!({"CelebrityFaces": [], "UnrecognizedFaces": []}))),
    );
    ops.insert(
        "DetectLabels".into(),
        Arc::new(|_: &Value| {
            (
                200,
                json!({"Labels": [{"Name": "Bird", "Confidence": 97.0, "Parents": []}]}),
            )
        }),
    );
    ops.insert(
        "DetectText".into(),
        Arc::new(|_: &Value| (200, json!({"TextDetections": [{"DetectedText": "HELLO", "Type": "LINE", "Id": 0, "Confidence": 99.0}]}))),
    );
    AwsJsonEndpoint::start(ops).await.unwrap()
}

fn spawn_lambda(api: &RuntimeApi, endpoint: &str, extra: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_analyse-image"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "analyse-image")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/analyse-image")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("MEDIA_BUCKET", "media")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in starling_testkit::moto::aws_env(endpoint) {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn()
        .expect("the analyse-image binary is built by cargo test")
}

async fn invoke(api: &RuntimeApi, event: Value) -> Outcome {
    tokio::time::timeout(Duration::from_secs(30), api.invoke(event))
        .await
        .expect("the Lambda answered")
}

#[tokio::test]
async fn an_image_task_is_answered_with_an_image_result() {
    let endpoint = rekognition().await;
    let api = RuntimeApi::start().await.unwrap();
    let mut child = spawn_lambda(&api, &endpoint.url, &[("DETECT_TEXT", "always")]);

    let task = json!({"Bucket": "media", "Key": "media/2026/11/23/1/0.jpg", "Url": "https://pbs.twimg.com/media/a.jpg"});
    let Outcome::Response(result) = invoke(&api, task).await else {
        panic!("expected a response")
    };
    assert_eq!(result["Key"], "media/2026/11/23/1/0.jpg");
    assert_eq!(result["Analysis"]["Provider"], "amazon-rekognition");
    assert_eq!(result["Analysis"]["Labels"][0]["Name"], "Bird");
    assert_eq!(
        result["Analysis"]["TextDetections"][0]["DetectedText"],
        "HELLO"
    );
    assert_eq!(
        endpoint.requests()[0].1,
        json!({"Image": {"S3Object": {"Bucket": "media", "Name": "media/2026/11/23/1/0.jpg"}}})
    );

    let Outcome::Error(error) = invoke(&api, json!({"Bucket": "other", "Key": "k"})).await else {
        panic!("expected an error")
    };
    assert_eq!(error["errorType"], "Starling.InvalidInput", "{error}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn an_unknown_detect_text_fails_at_init_with_the_variable_named() {
    let api = RuntimeApi::start().await.unwrap();
    let child = spawn_lambda(&api, "http://127.0.0.1:9", &[("DETECT_TEXT", "sometimes")]);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DETECT_TEXT"), "{stderr}");
    assert!(stderr.contains("auto, always, never"), "{stderr}");
}
