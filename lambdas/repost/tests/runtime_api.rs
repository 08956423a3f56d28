//! The built repost binary, driven through a local Lambda Runtime API with the EventBridge events
//! the `repost` rule delivers: a curated author's search match reposted on a loopback fake X
//! (`X_API_BASE`), the decision kept in moto's DynamoDB (the reply policy's table), REPOSTED and
//! REPOST_SUPPRESSED on moto's EventBridge.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::{Arc, Mutex};

use axum::extract::State;
use serde_json::{Value, json};
use starling_testkit::aws::{bus_to_queue, dynamodb_table, moto_config, receive_json, unique};
use starling_testkit::lambda_process::{LambdaProcess, lambda_command};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

const BOT: &str = "4242";

async fn retweets(State(reposts): State<Arc<Mutex<Vec<String>>>>, body: String) -> String {
    let asked: Value = serde_json::from_str(&body).unwrap();
    let post = asked["tweet_id"].as_str().unwrap().to_string();
    let mut reposts = reposts.lock().unwrap();
    if !reposts.contains(&post) {
        reposts.push(post.clone());
    }
    json!({"data": {"retweeted": true, "rest_id": format!("9{post}")}}).to_string()
}

fn found(id: &str, user: &str, author: &str) -> Value {
    json!({
        "version": "0", "id": unique("event"), "detail-type": "MESSAGE_RECEIVED",
        "source": "starling.twitter", "account": "123456789012", "time": "2026-12-07T10:00:00Z",
        "region": "eu-west-1", "resources": [id],
        "detail": {"Text": "#starling over the bay", "Author": author, "ImageUrls": [], "Media": [],
                   "Twitter": {"TweetId": id, "UserId": user}, "Summoned": false, "Source": "search"}
    })
}

async fn invoke(api: &RuntimeApi, event: Value) -> Value {
    match starling_testkit::lambda_process::invoke(api, event).await {
        Outcome::Response(v) => v,
        Outcome::Error(e) => panic!("the Lambda reported an error: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_curated_match_is_reposted_once_and_others_are_suppressed_with_the_reason() {
    let config = moto_config();
    let moto = starling_testkit::moto::endpoint();
    let secret_arn = starling_testkit::aws::x_secret(&config).await;
    let bus = bus_to_queue(&config, &json!({"source": ["starling.responding"]})).await;
    let policy_table = dynamodb_table(&config, "reply-policy", "Key").await;
    let reposts = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route(
            &format!("/2/users/{BOT}/retweets"),
            axum::routing::post(retweets),
        )
        .with_state(reposts.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let api = RuntimeApi::start().await.unwrap();
    let mut cmd = lambda_command(env!("CARGO_BIN_EXE_repost"), "repost", &api);
    cmd.env("SECRET_ARN", &secret_arn)
        .env("EVENT_BUS_NAME", &bus.bus)
        .env("POLICY_TABLE", &policy_table)
        .env("BOT_USER_ID", BOT)
        .env(
            "REPLY_POLICY",
            json!({"repost": {"enabled": true, "authors": ["2001"], "dailyCap": 5}}).to_string(),
        )
        .env("X_API_BASE", &base)
        .envs(starling_testkit::moto::aws_env(&moto));
    let _lambda = LambdaProcess::spawn(&mut cmd);

    let curated = invoke(&api, found("1800000000000000001", "2001", "birdwatch")).await;
    assert_eq!(curated["Published"], json!(["REPOSTED"]), "{curated}");
    // Delivered again (EventBridge is at least once): the decision is kept, X reposts nothing twice.
    let again = invoke(&api, found("1800000000000000001", "2001", "birdwatch")).await;
    assert_eq!(again["Published"], json!(["REPOSTED"]), "{again}");
    let other = invoke(&api, found("1800000000000000002", "3003", "someone")).await;
    assert_eq!(other["Published"], json!(["REPOST_SUPPRESSED"]), "{other}");
    assert_eq!(*reposts.lock().unwrap(), ["1800000000000000001"]);

    let events = receive_json(&config, &bus.queue_url, 3).await;
    let reposted: Vec<&Value> = events
        .iter()
        .filter(|e| e["detail-type"] == "REPOSTED")
        .collect();
    assert_eq!(reposted.len(), 2);
    assert!(
        reposted
            .iter()
            .all(|e| e["detail"]["RepostId"] == "91800000000000000001")
    );
    let held = events
        .iter()
        .find(|e| e["detail-type"] == "REPOST_SUPPRESSED")
        .unwrap();
    assert_eq!(held["detail"]["Reason"], "not-curated");
    assert_eq!(held["detail"]["TweetId"], "1800000000000000002");
}
