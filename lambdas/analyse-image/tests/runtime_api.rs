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

#[tokio::test]
async fn a_face_collection_with_an_unusable_threshold_fails_at_init() {
    let api = RuntimeApi::start().await.unwrap();
    let (status, stderr) = spawn_lambda(
        &api,
        "http://127.0.0.1:9",
        &[
            ("FACE_COLLECTION_ID", "faces"),
            ("FACE_MATCH_THRESHOLD", "150"),
        ],
    )
    .exit()
    .await;
    assert!(!status.success());
    assert!(stderr.contains("FACE_MATCH_THRESHOLD"), "{stderr}");
    assert!(stderr.contains("0..=100"), "{stderr}");
}

/// With `FACE_COLLECTION_ID`, the binary reads the photo from S3 (moto, `AWS_ENDPOINT_URL_S3`)
/// and searches each unrecognized face in the collection (the testkit's peer).
#[tokio::test]
async fn faces_no_celebrity_matched_are_named_from_the_collection() {
    use starling_testkit::rekognition::{FaceCollections, face_photo};

    // Ada is a red block (see the peer's documentation), enrolled under her encoded name.
    let peer = FaceCollections::new();
    peer.create("known-faces");
    let unrecognized = json!({"CelebrityFaces": [], "UnrecognizedFaces": [{
        "BoundingBox": {"Width": 0.4, "Height": 0.4, "Left": 0.3, "Top": 0.3}, "Confidence": 99.9
    }]});
    let mut extra: HashMap<String, Operation> = HashMap::new();
    extra.insert(
        "RecognizeCelebrities".into(),
        Arc::new(move |_: &Value| (200, unrecognized.clone())),
    );
    extra.insert(
        "DetectLabels".into(),
        Arc::new(|_: &Value| (200, json!({"Labels": []}))),
    );
    let endpoint = peer.start(extra).await.unwrap();
    let enrol = peer.operations()["IndexFaces"].clone();
    let photo = face_photo(500, 500, Some((150, 150, 200, 200)), [200, 30, 40], true);
    let (status, _) = enrol(&json!({
        "CollectionId": "known-faces",
        "ExternalImageId": "Ada_Lovelace",
        "Image": {"Bytes": base64_of(&photo)},
    }));
    assert_eq!(status, 200);

    let moto = starling_testkit::moto::endpoint();
    let config = starling_testkit::aws::sdk_config(&moto);
    let bucket = starling_testkit::aws::s3_bucket(&config, "media").await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
    .put_object()
    .bucket(&bucket)
    .key("media/1/0.jpg")
    .body(photo.into())
    .send()
    .await
    .unwrap();

    let api = RuntimeApi::start().await.unwrap();
    let mut cmd = lambda_command(env!("CARGO_BIN_EXE_analyse-image"), "analyse-image", &api);
    cmd.env("AWS_MAX_ATTEMPTS", "1")
        .envs(starling_testkit::moto::aws_env(&endpoint.url))
        .env("AWS_ENDPOINT_URL_S3", &moto)
        .env("MEDIA_BUCKET", &bucket)
        .env("FACE_COLLECTION_ID", "known-faces");
    let _lambda = LambdaProcess::spawn(&mut cmd);

    let task = json!({"Bucket": bucket, "Key": "media/1/0.jpg"});
    let Outcome::Response(result) = invoke(&api, task).await else {
        panic!("expected a response")
    };
    let analysis = &result["Analysis"];
    assert_eq!(
        analysis["KnownFaces"][0]["Name"], "Ada Lovelace",
        "{result}"
    );
    assert!(analysis["KnownFaces"][0]["Similarity"].as_f64().unwrap() >= 90.0);
    assert_eq!(analysis["UnrecognizedFaces"], json!([]), "{result}");
    let search = endpoint
        .requests()
        .into_iter()
        .find(|(op, _)| op == "SearchFacesByImage")
        .unwrap()
        .1;
    assert_eq!(search["FaceMatchThreshold"], 90.0);
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
