//! The built reply-image binary, driven through a local Lambda Runtime API with EventBridge events,
//! against moto: the photo in S3, the SEND_TWEET seen through an EventBridge rule → SQS queue.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_s3::config::{Credentials, Region, SharedCredentialsProvider};
use serde_json::{Value, json};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

const PHOTO: &[u8] =
    include_bytes!("../../../crates/offline/tests/fixtures/images/two_faces_composite.jpg");
const TWEET: &str = "1850000000000000042";

fn sdk(moto: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .endpoint_url(moto)
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "moto",
        )))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build()
}

fn s3(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A bus whose SEND_TWEETs reach a new queue; returns (bus, queue url).
async fn bus_to_queue(config: &aws_config::SdkConfig) -> (String, String) {
    let eb = aws_sdk_eventbridge::Client::new(config);
    let sqs = aws_sdk_sqs::Client::new(config);
    let bus = unique("Plumbing");
    eb.create_event_bus().name(&bus).send().await.unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name(unique("q"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    eb.put_rule()
        .name("egress")
        .event_bus_name(&bus)
        .event_pattern(
            json!({"source": ["starling.responding"], "detail-type": ["SEND_TWEET"]}).to_string(),
        )
        .send()
        .await
        .unwrap();
    eb.put_targets()
        .rule("egress")
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (bus, queue_url)
}

async fn receive(config: &aws_config::SdkConfig, queue_url: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(config);
    for _ in 0..30 {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if !out.messages().is_empty() {
            return out
                .messages()
                .iter()
                .map(|m| serde_json::from_str(m.body().unwrap()).unwrap())
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Vec::new()
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
            "Twitter": {"TweetId": TWEET, "UserId": "42"},
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

#[tokio::test]
async fn a_photo_with_two_celebrities_is_annotated_in_s3_and_a_send_tweet_reaches_the_bus() {
    let moto = starling_testkit::moto::endpoint();
    let config = sdk(&moto);
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
    let (bus, queue) = bus_to_queue(&config).await;

    let api = RuntimeApi::start().await.unwrap();
    let mut child = spawn_lambda(
        &api,
        &moto,
        &[("MEDIA_BUCKET", &bucket), ("EVENT_BUS_NAME", &bus)],
    );
    let outcome = tokio::time::timeout(Duration::from_secs(60), api.invoke(event(&key)))
        .await
        .expect("the Lambda answered");
    let annotated = format!("annotated/{TWEET}/0.jpg");
    assert_eq!(
        outcome,
        Outcome::Response(json!({"Replied": true, "ImageKeys": [annotated]}))
    );

    let sent = receive(&config, &queue).await;
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

    child.kill().unwrap();
    child.wait().unwrap();
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
