//! The built analyse-image binary, driven through a local Lambda Runtime API with the state
//! machine's payloads, calling a local Rekognition endpoint over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use starling_testkit::aws_json::{AwsJsonEndpoint, Operation};
use starling_testkit::lambda_process::{LambdaProcess, invoke, lambda_command};
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

fn spawn_lambda(api: &RuntimeApi, endpoint: &str, extra: &[(&str, &str)]) -> LambdaProcess {
    let mut cmd = lambda_command(env!("CARGO_BIN_EXE_analyse-image"), "analyse-image", api);
    cmd.env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("MEDIA_BUCKET", "media")
        .envs(starling_testkit::moto::aws_env(endpoint))
        .envs(extra.iter().copied());
    LambdaProcess::spawn(&mut cmd)
}

#[tokio::test]
async fn an_image_task_is_answered_with_an_image_result() {
    let endpoint = rekognition().await;
    let api = RuntimeApi::start().await.unwrap();
    let _lambda = spawn_lambda(&api, &endpoint.url, &[("DETECT_TEXT", "always")]);

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
}

#[tokio::test]
async fn an_unknown_detect_text_fails_at_init_with_the_variable_named() {
    let api = RuntimeApi::start().await.unwrap();
    let (status, stderr) =
        spawn_lambda(&api, "http://127.0.0.1:9", &[("DETECT_TEXT", "sometimes")])
            .exit()
            .await;
    assert!(!status.success());
    assert!(stderr.contains("DETECT_TEXT"), "{stderr}");
    assert!(stderr.contains("auto, always, never"), "{stderr}");
}
