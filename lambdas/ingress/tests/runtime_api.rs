//! The built ingress binary, driven through a local Lambda Runtime API with real API Gateway
//! events, talking to moto's EventBridge and Secrets Manager over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::{Value, json};
use starling_testkit::aws::{bus_to_queue, moto_config, receive_json, unique};
use starling_testkit::lambda_process::{LambdaProcess, lambda_command};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

const CONSUMER_SECRET: &str = "ingress-test-consumer-secret";

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
    let config = moto_config();
    let sm = aws_sdk_secretsmanager::Client::new(&config);
    let secret_arn = sm
        .create_secret()
        .name(unique("TwitterSecret"))
        .secret_string(json!({"ApiKey": "k", "ApiSecret": CONSUMER_SECRET, "AccessToken": "t", "AccessTokenSecret": "s"}).to_string())
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let bus = bus_to_queue(&config, &json!({"source": [{"prefix": "starling."}]})).await;
    World {
        moto,
        bus: bus.bus,
        secret_arn,
        queue_url: bus.queue_url,
    }
}

fn spawn_lambda(
    api: &RuntimeApi,
    w: &World,
    extra: &[(&str, &str)],
    without: &[&str],
) -> LambdaProcess {
    let mut cmd = lambda_command(env!("CARGO_BIN_EXE_ingress"), "ingress", api);
    cmd.env("SECRET_ARN", &w.secret_arn)
        .env("EVENT_BUS_NAME", &w.bus)
        .env("BOT_USER_ID", "1000")
        .envs(starling_testkit::moto::aws_env(&w.moto))
        .envs(extra.iter().copied());
    for k in without {
        cmd.env_remove(k);
    }
    LambdaProcess::spawn(&mut cmd)
}

async fn invoke(api: &RuntimeApi, event: Value) -> Value {
    match starling_testkit::lambda_process::invoke(api, event).await {
        Outcome::Response(v) => v,
        Outcome::Error(e) => panic!("the Lambda reported an error: {e}"),
    }
}

async fn queued(w: &World, want: usize) -> Vec<Value> {
    receive_json(&moto_config(), &w.queue_url, want).await
}

#[tokio::test]
async fn crc_and_a_signed_delivery_through_the_runtime_api() {
    let w = world().await;
    let api = RuntimeApi::start().await.unwrap();
    let _lambda = spawn_lambda(&api, &w, &[], &[]);

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
}

#[tokio::test]
async fn a_redelivered_webhook_is_published_once_with_claims_in_dynamodb() {
    let w = world().await;
    let table =
        starling_testkit::aws::dynamodb_table(&moto_config(), "redeliveries", "IdempotencyKey")
            .await;
    let api = RuntimeApi::start().await.unwrap();
    let _lambda = spawn_lambda(&api, &w, &[("DEDUP_TABLE", table.as_str())], &[]);
    let delivery = fixture("delivery_mention.json");
    let signature = starling_x::webhook::sign(CONSUMER_SECRET.as_bytes(), delivery.as_bytes());
    let mut event: Value =
        serde_json::from_str(&fixture("apigw_rest_post.json").replace("SIGNATURE", &signature))
            .unwrap();
    event["body"] = Value::String(delivery);
    for attempt in 0..3 {
        let answer = invoke(&api, event.clone()).await;
        assert_eq!(answer["statusCode"], 200, "attempt {attempt}: {answer}");
    }
    let events = queued(&w, 3).await;
    assert_eq!(
        events.len(),
        2,
        "TWITTER_TWEETED and MESSAGE_RECEIVED once: {events:?}"
    );
}

#[tokio::test]
async fn a_body_over_max_body_bytes_is_413() {
    let w = world().await;
    let api = RuntimeApi::start().await.unwrap();
    let _lambda = spawn_lambda(&api, &w, &[("MAX_BODY_BYTES", "64")], &[]);
    let mut event: Value = serde_json::from_str(&fixture("apigw_rest_post.json")).unwrap();
    event["body"] = json!("x".repeat(65));
    assert_eq!(invoke(&api, event).await["statusCode"], 413);
}

#[tokio::test]
async fn missing_configuration_fails_at_init_with_the_variable_named() {
    let w = world().await;
    let api = RuntimeApi::start().await.unwrap();
    let (status, stderr) = spawn_lambda(&api, &w, &[], &["EVENT_BUS_NAME"])
        .exit()
        .await;
    assert!(!status.success());
    assert!(stderr.contains("EVENT_BUS_NAME"), "{stderr}");
}
