//! The built poll-mentions binary, driven through a local Lambda Runtime API with scheduled
//! events: mentions from a loopback fake X (`X_API_BASE`) onto moto's EventBridge, the checkpoint
//! and the claims in moto's DynamoDB, and a 429 remembered so no request reaches X before the
//! reset. A payload naming a search polls that search instead, with its own checkpoint.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use serde_json::{Value, json};
use starling_testkit::aws::{bus_to_queue, dynamodb_table, moto_config, receive_json};
use starling_testkit::lambda_process::{LambdaProcess, lambda_command};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

const BOT: &str = "4242";

#[derive(Default)]
struct Fake {
    posts: Mutex<Vec<Value>>,
    search_posts: Mutex<Vec<Value>>,
    requests: Mutex<Vec<HashMap<String, String>>>,
    rate_limit_next: Mutex<Option<i64>>,
}

async fn mentions(
    State(fake): State<Arc<Fake>>,
    Query(q): Query<HashMap<String, String>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    fake.requests.lock().unwrap().push(q.clone());
    if let Some(reset) = fake.rate_limit_next.lock().unwrap().take() {
        return (
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            [("x-rate-limit-reset", reset.to_string())],
            r#"{"title":"Too Many Requests","status":429}"#,
        )
            .into_response();
    }
    let posts = if q.contains_key("query") {
        fake.search_posts.lock().unwrap().clone()
    } else {
        fake.posts.lock().unwrap().clone()
    };
    let since: Option<u128> = q.get("since_id").map(|s| s.parse().unwrap());
    let mut newer: Vec<Value> = posts
        .iter()
        .filter(|p| since.is_none_or(|s| p["id"].as_str().unwrap().parse::<u128>().unwrap() > s))
        .cloned()
        .collect();
    newer.reverse();
    let offset: usize = q
        .get("pagination_token")
        .map(|t| t.parse().unwrap())
        .unwrap_or(0);
    let page: Vec<Value> = newer.iter().skip(offset).take(10).cloned().collect();
    let mut meta = json!({"result_count": page.len()});
    if let Some(first) = page.first() {
        meta["newest_id"] = first["id"].clone();
    }
    if offset + 10 < newer.len() {
        meta["next_token"] = json!((offset + 10).to_string());
    }
    let body = if page.is_empty() {
        json!({"meta": meta})
    } else {
        json!({"data": page, "meta": meta})
    };
    body.to_string().into_response()
}

async fn fake_x(n: usize) -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    for i in 1..=n {
        let id = format!("17000000000000{i:05}");
        fake.posts.lock().unwrap().push(json!({
            "id": id, "author_id": format!("9{i:04}"), "text": format!("@starling_bot hi {i}"),
            "created_at": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
            "entities": {"mentions": [{"start": 0, "end": 13, "username": "starling_bot", "id": BOT}]},
        }));
    }
    let app = axum::Router::new()
        .route(
            &format!("/2/users/{BOT}/mentions"),
            axum::routing::get(mentions),
        )
        .route("/2/tweets/search/recent", axum::routing::get(mentions))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, fake)
}

async fn invoke(api: &RuntimeApi) -> Value {
    let scheduled = json!({"version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": {}});
    invoke_with(api, scheduled).await
}

async fn invoke_with(api: &RuntimeApi, payload: Value) -> Value {
    match starling_testkit::lambda_process::invoke(api, payload).await {
        Outcome::Response(v) => v,
        Outcome::Error(e) => panic!("the Lambda reported an error: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_are_published_once_checkpointed_and_a_429_holds_off_x_until_its_reset() {
    let config = moto_config();
    let moto = starling_testkit::moto::endpoint();
    let secret_arn = starling_testkit::aws::x_secret(&config).await;
    let bus = bus_to_queue(&config, &json!({"source": [{"prefix": "starling."}]})).await;
    let checkpoints = dynamodb_table(&config, "checkpoints", "Source").await;
    let claims = dynamodb_table(&config, "redeliveries", "IdempotencyKey").await;
    let (base, fake) = fake_x(12).await;

    let api = RuntimeApi::start().await.unwrap();
    let mut cmd = lambda_command(env!("CARGO_BIN_EXE_poll-mentions"), "poll-mentions", &api);
    cmd.env("SECRET_ARN", &secret_arn)
        .env("EVENT_BUS_NAME", &bus.bus)
        .env("BOT_USER_ID", BOT)
        .env("CHECKPOINT_TABLE", &checkpoints)
        .env("DEDUP_TABLE", &claims)
        .env("X_API_BASE", &base)
        .envs(starling_testkit::moto::aws_env(&moto));
    let _lambda = LambdaProcess::spawn(&mut cmd);

    let first = invoke(&api).await;
    assert_eq!(first["posts"], 12, "{first}");
    assert_eq!(first["pages"], 2, "{first}");
    assert_eq!(first["published"], 24, "{first}");
    assert_eq!(first["checkpoint"], "1700000000000000012", "{first}");
    let events = receive_json(&config, &bus.queue_url, 24).await;
    let received: Vec<&Value> = events
        .iter()
        .filter(|e| e["detail-type"] == "MESSAGE_RECEIVED")
        .collect();
    assert_eq!(received.len(), 12);
    assert!(received.iter().all(|e| e["detail"]["Summoned"] == true));
    let stored = aws_sdk_dynamodb::Client::new(&config)
        .get_item()
        .table_name(&checkpoints)
        .key(
            "Source",
            aws_sdk_dynamodb::types::AttributeValue::S("mentions".into()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored.item().unwrap()["Position"].as_s().unwrap(),
        "1700000000000000012"
    );

    // X says 429, resetting in ten minutes: remembered, and the next invocation leaves X alone.
    let reset = chrono::Utc::now().timestamp() + 600;
    *fake.rate_limit_next.lock().unwrap() = Some(reset);
    let limited = invoke(&api).await;
    assert!(limited["rateLimitedUntil"].is_string(), "{limited}");
    let asked = fake.requests.lock().unwrap().len();
    let skipped = invoke(&api).await;
    assert_eq!(skipped["skipped"], "rate limited", "{skipped}");
    assert_eq!(
        fake.requests.lock().unwrap().len(),
        asked,
        "X was called before its reset"
    );
    // The second poll asked from the checkpoint.
    let second_query = fake.requests.lock().unwrap()[2].clone();
    assert_eq!(
        second_query.get("since_id").map(String::as_str),
        Some("1700000000000000012")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_schedule_polls_its_query_with_its_own_checkpoint_and_marks_posts_as_search() {
    let config = moto_config();
    let moto = starling_testkit::moto::endpoint();
    let secret_arn = starling_testkit::aws::x_secret(&config).await;
    let bus = bus_to_queue(&config, &json!({"source": [{"prefix": "starling."}]})).await;
    let checkpoints = dynamodb_table(&config, "checkpoints", "Source").await;
    let (base, fake) = fake_x(0).await;
    for i in 1..=3 {
        fake.search_posts.lock().unwrap().push(json!({
            "id": format!("17100000000000{i:05}"), "author_id": format!("8{i:04}"),
            "text": format!("#starling sighting {i}"),
            "created_at": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
        }));
    }

    let api = RuntimeApi::start().await.unwrap();
    let mut cmd = lambda_command(env!("CARGO_BIN_EXE_poll-mentions"), "poll-mentions", &api);
    cmd.env("SECRET_ARN", &secret_arn)
        .env("EVENT_BUS_NAME", &bus.bus)
        .env("BOT_USER_ID", BOT)
        .env("CHECKPOINT_TABLE", &checkpoints)
        .env("X_API_BASE", &base)
        .envs(starling_testkit::moto::aws_env(&moto));
    let _lambda = LambdaProcess::spawn(&mut cmd);

    let polled = invoke_with(&api, json!({"search": "#starling -is:retweet"})).await;
    assert_eq!(polled["source"], "search", "{polled}");
    assert_eq!(polled["posts"], 3, "{polled}");
    assert_eq!(polled["checkpoint"], "1710000000000000003", "{polled}");
    let asked = fake.requests.lock().unwrap()[0].clone();
    assert_eq!(
        asked.get("query").map(String::as_str),
        Some("#starling -is:retweet")
    );
    let events = receive_json(&config, &bus.queue_url, 6).await;
    let received: Vec<&Value> = events
        .iter()
        .filter(|e| e["detail-type"] == "MESSAGE_RECEIVED")
        .collect();
    assert_eq!(received.len(), 3);
    assert!(
        received
            .iter()
            .all(|e| e["detail"]["Source"] == "search" && e["detail"]["Summoned"] == false),
        "{received:?}"
    );
    // The search's checkpoint is its own; the mentions checkpoint is untouched.
    let dynamo = aws_sdk_dynamodb::Client::new(&config);
    let position = |key: &str| {
        let dynamo = dynamo.clone();
        let table = checkpoints.clone();
        let key = key.to_string();
        async move {
            dynamo
                .get_item()
                .table_name(table)
                .key("Source", aws_sdk_dynamodb::types::AttributeValue::S(key))
                .send()
                .await
                .unwrap()
                .item()
                .and_then(|i| i.get("Position"))
                .and_then(|p| p.as_s().ok())
                .cloned()
        }
    };
    assert_eq!(
        position("search:#starling -is:retweet").await.as_deref(),
        Some("1710000000000000003")
    );
    assert_eq!(position("mentions").await, None);

    // A second search poll asks from its checkpoint; a payload with a bad `search` is refused.
    let again = invoke_with(&api, json!({"search": "#starling -is:retweet"})).await;
    assert_eq!(again["posts"], 0, "{again}");
    assert_eq!(
        fake.requests.lock().unwrap()[1]
            .get("since_id")
            .map(String::as_str),
        Some("1710000000000000003")
    );
    match starling_testkit::lambda_process::invoke(&api, json!({"search": 42})).await {
        Outcome::Error(e) => assert!(e.to_string().contains("search"), "{e}"),
        Outcome::Response(v) => panic!("a numeric search was polled: {v}"),
    }
}
