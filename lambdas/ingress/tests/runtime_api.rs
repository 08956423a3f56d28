//! The built ingress binary, driven through a local Lambda Runtime API with real API Gateway
//! events, talking to moto's EventBridge and Secrets Manager over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_eventbridge::config::{Credentials, Region, SharedCredentialsProvider};
use serde_json::{Value, json};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

const CONSUMER_SECRET: &str = "ingress-test-consumer-secret";

fn sdk_config(url: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "moto",
        )))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

struct World {
    moto: String,
    bus: String,
    secret_arn: String,
    queue_url: String,
}

async fn world() -> World {
    let moto = starling_testkit::moto::endpoint();
    let config = sdk_config(&moto);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let sm = aws_sdk_secretsmanager::Client::new(&config);
    let secret_arn = sm
        .create_secret()
        .name(format!("TwitterSecret-{id}"))
        .secret_string(json!({"ApiKey": "k", "ApiSecret": CONSUMER_SECRET, "AccessToken": "t", "AccessTokenSecret": "s"}).to_string())
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let eb = aws_sdk_eventbridge::Client::new(&config);
    let bus = format!("Plumbing-{id}");
    eb.create_event_bus().name(&bus).send().await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("all-{id}"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let arn = attrs.attributes.unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
    eb.put_rule()
        .name("all")
        .event_bus_name(&bus)
        .event_pattern(r#"{"source":[{"prefix":"starling."}]}"#)
        .send()
        .await
        .unwrap();
    eb.put_targets()
        .rule("all")
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
    World {
        moto,
        bus,
        secret_arn,
        queue_url,
    }
}

fn spawn_lambda(api: &RuntimeApi, w: &World, extra: &[(&str, &str)], without: &[&str]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ingress"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "ingress")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/ingress")
        .env("SECRET_ARN", &w.secret_arn)
        .env("EVENT_BUS_NAME", &w.bus)
        .env("BOT_USER_ID", "1000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in starling_testkit::moto::aws_env(&w.moto) {
        cmd.env(k, v);
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    for k in without {
        cmd.env_remove(k);
    }
    cmd.spawn()
        .expect("the ingress binary is built by cargo test")
}

async fn invoke(api: &RuntimeApi, event: Value) -> Value {
    match tokio::time::timeout(Duration::from_secs(30), api.invoke(event))
        .await
        .expect("the Lambda answered")
    {
        Outcome::Response(v) => v,
        Outcome::Error(e) => panic!("the Lambda reported an error: {e}"),
    }
}

async fn queued(w: &World, want: usize) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(&sdk_config(&w.moto));
    let mut got = Vec::new();
    for _ in 0..30 {
        let out = sqs
            .receive_message()
            .queue_url(&w.queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        got.extend(
            out.messages()
                .iter()
                .map(|m| serde_json::from_str::<Value>(m.body().unwrap()).unwrap()),
        );
        if got.len() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got
}

#[tokio::test]
async fn crc_and_a_signed_delivery_through_the_runtime_api() {
    let w = world().await;
    let api = RuntimeApi::start().await.unwrap();
    let mut child = spawn_lambda(&api, &w, &[], &[]);

    // CRC over an HTTP API (v2) event.
    let crc = fixture("apigw_http_v2_crc.json").replace("TOKEN", "dGVzdC10b2tlbg");
    let answer = invoke(&api, serde_json::from_str(&crc).unwrap()).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["response_token"],
        starling_x::webhook::sign(CONSUMER_SECRET.as_bytes(), b"dGVzdC10b2tlbg")
    );

    // A signed delivery over a REST API (v1) proxy event.
    let delivery = fixture("delivery_mention.json");
    let signature = starling_x::webhook::sign(CONSUMER_SECRET.as_bytes(), delivery.as_bytes());
    let mut event: Value =
        serde_json::from_str(&fixture("apigw_rest_post.json").replace("SIGNATURE", &signature))
            .unwrap();
    event["body"] = Value::String(delivery.clone());
    let answer = invoke(&api, event.clone()).await;
    assert_eq!(answer["statusCode"], 200, "{answer}");

    let events = queued(&w, 2).await;
    let mut types: Vec<&str> = events
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(types, ["MESSAGE_RECEIVED", "TWITTER_TWEETED"]);
    let message = events
        .iter()
        .find(|e| e["detail-type"] == "MESSAGE_RECEIVED")
        .unwrap();
    assert_eq!(
        message["detail"]["Text"],
        "@starling_bot tell me a joke & make it good"
    );
    assert_eq!(message["detail"]["Author"], "ada");
    assert_eq!(
        message["detail"]["Twitter"]["TweetId"],
        "1461823445431828482"
    );

    // The same body with a forged signature is a 401, a malformed one a 400.
    let mut forged = event.clone();
    forged["headers"]["X-Twitter-Webhooks-Signature"] =
        json!(starling_x::webhook::sign(b"wrong", delivery.as_bytes()));
    forged["multiValueHeaders"]["X-Twitter-Webhooks-Signature"] =
        json!([forged["headers"]["X-Twitter-Webhooks-Signature"]]);
    assert_eq!(invoke(&api, forged).await["statusCode"], 401);
    let mut malformed = event.clone();
    let bad = "{\"for_user_id\": ";
    let sig = starling_x::webhook::sign(CONSUMER_SECRET.as_bytes(), bad.as_bytes());
    malformed["body"] = json!(bad);
    malformed["headers"]["X-Twitter-Webhooks-Signature"] = json!(sig);
    malformed["multiValueHeaders"]["X-Twitter-Webhooks-Signature"] = json!([sig]);
    assert_eq!(invoke(&api, malformed).await["statusCode"], 400);

    child.kill().ok();
    child.wait().ok();
}

#[tokio::test]
async fn a_body_over_max_body_bytes_is_413() {
    let w = world().await;
    let api = RuntimeApi::start().await.unwrap();
    let mut child = spawn_lambda(&api, &w, &[("MAX_BODY_BYTES", "64")], &[]);
    let mut event: Value = serde_json::from_str(&fixture("apigw_rest_post.json")).unwrap();
    event["body"] = json!("x".repeat(65));
    assert_eq!(invoke(&api, event).await["statusCode"], 413);
    child.kill().ok();
    child.wait().ok();
}

#[tokio::test]
async fn missing_configuration_fails_at_init_with_the_variable_named() {
    let w = world().await;
    let api = RuntimeApi::start().await.unwrap();
    let child = spawn_lambda(&api, &w, &[], &["EVENT_BUS_NAME"]);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("EVENT_BUS_NAME"), "{stderr}");
}
