//! The built reply-image binary, driven through a local Lambda Runtime API with EventBridge events,
//! against moto: the photo in S3, the SEND_TWEET seen through an EventBridge rule → SQS queue.
//! Rekognition `DetectModerationLabels` (the moderation gate; moto lacks it) answers from a local
//! JSON-1.1 endpoint (`AWS_ENDPOINT_URL_REKOGNITION`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use starling_testkit::aws::{
    BusToQueue, bus_to_queue, dynamodb_table, receive_json, sdk_config, unique,
};
use starling_testkit::aws_json::{AwsJsonEndpoint, Operation};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

const PHOTO: &[u8] =
    include_bytes!("../../../crates/offline/tests/fixtures/images/two_faces_composite.jpg");
const TWEET: &str = "1850000000000000042";

fn s3(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

fn spawn_lambda(api: &RuntimeApi, moto: &str, vars: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reply-image"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "reply-image")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/reply-image")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in starling_testkit::moto::aws_env(moto) {
        cmd.env(k, v);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.spawn()
        .expect("the reply-image binary is built by cargo test")
}

fn face(left: f64, top: f64, width: f64, height: f64) -> Value {
    json!({"BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top}, "Confidence": 99.9})
}

/// MESSAGE_ANALYSED as the reply-image rule delivers it: two recognised faces in the photo.
fn event(key: &str) -> Value {
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "MESSAGE_ANALYSED", "source": "starling.analysis",
        "account": "123456789012", "time": "2026-11-23T10:00:00Z", "region": "us-east-1",
        "resources": [TWEET],
        "detail": {
            "Text": "@starling who are they?", "Author": "ada", "ImageUrls": ["https://pbs.twimg.com/media/a.jpg"],
            "Twitter": {"TweetId": TWEET, "UserId": "42"}, "Summoned": true,
            "Analysis": {"Provider": "amazon-comprehend", "Images": [
                {"Key": key, "Url": "https://pbs.twimg.com/media/a.jpg", "Analysis": {
                    "Provider": "amazon-rekognition",
                    "Labels": [{"Name": "Person", "Confidence": 99.0}],
                    "CelebrityFaces": [
                        {"Name": "Eileen Collins", "Id": "1", "MatchConfidence": 99.0, "Face": face(0.184, 0.117, 0.111, 0.245)},
                        {"Name": "Grace Hopper", "Id": "2", "MatchConfidence": 98.0, "Face": face(0.683, 0.217, 0.184, 0.35)}
                    ],
                    "UnrecognizedFaces": []
                }}
            ]}
        }
    })
}

/// The bot's own user id (not the author's, 42).
const BOT_USER_ID: &str = "1603419180975409153";

/// A media bucket holding the photo at `key`, a bus routed to a queue, a reply-policy table, and
/// the Lambda serving `api` over them.
struct World {
    config: aws_config::SdkConfig,
    rekognition: AwsJsonEndpoint,
    bucket: String,
    key: String,
    queue: String,
    api: RuntimeApi,
    child: Child,
}

async fn world() -> World {
    world_moderated(json!([])).await
}

/// [`world`] with `DetectModerationLabels` answering `labels` (the API reference's
/// `ModerationLabels`) for every image.
async fn world_moderated(labels: Value) -> World {
    let ops: HashMap<String, Operation> = HashMap::from([(
        "DetectModerationLabels".to_string(),
        Arc::new(move |_: &Value| -> (u16, Value) {
            (
                200,
                json!({"ModerationLabels": labels.clone(), "ModerationModelVersion": "7.0"}),
            )
        }) as Operation,
    )]);
    let rekognition = AwsJsonEndpoint::start(ops).await.unwrap();
    let moto = starling_testkit::moto::endpoint();
    let config = sdk_config(&moto);
    let bucket = unique("media");
    s3(&config)
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let key = format!("media/2026/11/23/{TWEET}/0.jpg");
    s3(&config)
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .body(PHOTO.to_vec().into())
        .send()
        .await
        .unwrap();
    // Every Starling event the Lambda puts reaches the queue: SEND_TWEET or REPLY_SUPPRESSED.
    let BusToQueue {
        bus,
        queue_url: queue,
        ..
    } = bus_to_queue(&config, &json!({"source": [{"prefix": "starling."}]})).await;
    let policy_table = dynamodb_table(&config, "starling-reply-policy", "Key").await;
    let api = RuntimeApi::start().await.unwrap();
    let child = spawn_lambda(
        &api,
        &moto,
        &[
            ("MEDIA_BUCKET", &bucket),
            ("EVENT_BUS_NAME", &bus),
            ("POLICY_TABLE", &policy_table),
            ("BOT_USER_ID", BOT_USER_ID),
            ("AWS_ENDPOINT_URL_REKOGNITION", &rekognition.url),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    World {
        config,
        rekognition,
        bucket,
        key,
        queue,
        api,
        child,
    }
}

#[tokio::test]
async fn a_photo_with_two_celebrities_is_annotated_in_s3_and_a_send_tweet_reaches_the_bus() {
    let World {
        config,
        rekognition,
        bucket,
        key,
        queue,
        api,
        mut child,
    } = world().await;
    let outcome = tokio::time::timeout(Duration::from_secs(60), api.invoke(event(&key)))
        .await
        .expect("the Lambda answered");
    let annotated = format!("annotated/{TWEET}/0.jpg");
    assert_eq!(
        outcome,
        Outcome::Response(json!({"Replied": true, "ImageKeys": [annotated]}))
    );

    let sent = receive_json(&config, &queue, 2).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["source"], "starling.responding");
    assert_eq!(sent[0]["detail-type"], "SEND_TWEET");
    assert_eq!(sent[0]["resources"], json!([TWEET]));
    let detail = &sent[0]["detail"];
    assert_eq!(detail["Text"], "I recognised: Eileen Collins, Grace Hopper");
    assert_eq!(detail["ReplyToTweetId"], TWEET);
    assert_eq!(detail["ReplyToUsername"], "ada");
    assert_eq!(detail["ImageKeys"], json!([annotated]));
    assert_eq!(detail["IdempotencyKey"], format!("reply-image:{TWEET}"));

    let get = |k: String| {
        let client = s3(&config);
        let bucket = bucket.clone();
        async move {
            let out = client
                .get_object()
                .bucket(bucket)
                .key(k)
                .send()
                .await
                .unwrap();
            let content_type = out.content_type().map(str::to_string);
            (
                out.body.collect().await.unwrap().into_bytes().to_vec(),
                content_type,
            )
        }
    };
    let (original, _) = get(key).await;
    assert_eq!(original, PHOTO, "the original is untouched");
    let (copy, content_type) = get(annotated).await;
    assert_eq!(content_type.as_deref(), Some("image/jpeg"));
    let copy = image::load_from_memory_with_format(&copy, image::ImageFormat::Jpeg).unwrap();
    let photo = image::load_from_memory(PHOTO).unwrap();
    assert_eq!(copy.width(), photo.width());
    assert_eq!(copy.height(), photo.height());
    assert_ne!(copy.to_rgb8(), photo.to_rgb8());

    // The photo went to the moderation gate first: its bytes inline, the default minimum.
    assert_eq!(
        rekognition.targets(),
        ["RekognitionService.DetectModerationLabels"]
    );
    let moderated = &rekognition.requests()[0].1;
    assert_eq!(moderated["MinConfidence"], 60.0);
    let sent_bytes = moderated["Image"]["Bytes"].as_str().unwrap().len();
    assert_eq!(sent_bytes, PHOTO.len().div_ceil(3) * 4, "the photo, base64");

    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn a_photo_that_does_not_summon_the_bot_is_not_drawn_on_and_is_recorded_as_suppressed() {
    let mut w = world().await;
    let mut not_summoned = event(&w.key);
    not_summoned["detail"]["Summoned"] = json!(false);
    let outcome = tokio::time::timeout(Duration::from_secs(60), w.api.invoke(not_summoned))
        .await
        .expect("the Lambda answered");
    assert_eq!(outcome, Outcome::Response(json!({"Replied": false})));
    let sent = receive_json(&w.config, &w.queue, 2).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["detail-type"], "REPLY_SUPPRESSED");
    assert_eq!(sent[0]["detail"]["Reason"], "not-summoned");
    let annotated = s3(&w.config)
        .head_object()
        .bucket(&w.bucket)
        .key(format!("annotated/{TWEET}/0.jpg"))
        .send()
        .await;
    assert!(
        annotated.is_err(),
        "nothing was drawn for a post the bot may not answer"
    );
    w.child.kill().unwrap();
    w.child.wait().unwrap();
}

#[tokio::test]
async fn an_unreadable_unknown_faces_setting_fails_at_init_naming_it() {
    let api = RuntimeApi::start().await.unwrap();
    let child = spawn_lambda(
        &api,
        "http://127.0.0.1:9",
        &[
            ("MEDIA_BUCKET", "media"),
            ("EVENT_BUS_NAME", "Plumbing"),
            ("UNKNOWN_FACES", "hide"),
        ],
    );
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("UNKNOWN_FACES"), "{stderr}");
    assert!(stderr.contains("ignore, box or blur"), "{stderr}");
}

#[tokio::test]
async fn a_photo_moderation_flags_is_not_drawn_on_and_is_suppressed_with_an_alertable_flag() {
    let mut w = world_moderated(json!([
        {"Confidence": 88.4, "Name": "Graphic Violence", "ParentName": "", "TaxonomyLevel": 1}
    ]))
    .await;
    let outcome = tokio::time::timeout(Duration::from_secs(60), w.api.invoke(event(&w.key)))
        .await
        .expect("the Lambda answered");
    assert_eq!(outcome, Outcome::Response(json!({"Replied": false})));
    let mut sent = receive_json(&w.config, &w.queue, 2).await;
    sent.sort_by_key(|e| e["detail-type"].as_str().unwrap_or_default().to_string());
    let kinds: Vec<&str> = sent
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["MODERATION_FLAGGED", "REPLY_SUPPRESSED"],
        "{sent:?}"
    );
    assert_eq!(sent[0]["detail"]["Provider"], "amazon-rekognition");
    assert_eq!(sent[0]["detail"]["Labels"][0]["Name"], "Graphic Violence");
    assert_eq!(sent[0]["detail"]["ImageKeys"], json!([w.key]));
    assert_eq!(sent[0]["detail"]["Alert"], true);
    assert_eq!(sent[1]["detail"]["Reason"], "moderation");
    let annotated = s3(&w.config)
        .head_object()
        .bucket(&w.bucket)
        .key(format!("annotated/{TWEET}/0.jpg"))
        .send()
        .await;
    assert!(annotated.is_err(), "nothing was drawn on a flagged photo");
    w.child.kill().unwrap();
    w.child.wait().unwrap();
}
