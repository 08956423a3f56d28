//! The X Activity API stream against a fake X on loopback serving `GET /2/activity/stream` as X
//! documents it: one JSON event per line, blank keep-alive lines, the app's bearer token, and
//! connections that drop. Every event arrives once, replays included, through the real client.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use starling_core::acl::AclConfig;
use starling_core::ingress::Intake;
use starling_core::memory::{MemoryIdempotency, MemoryPublisher};
use starling_core::publish::RetryPolicy;
use starling_core::sources::{PollError, StreamConfig, StreamConsumer, XApiActivityStream};
use starling_x::api::{XApi, XApiConfig};

const BOT: &str = "1111111111111111111";

/// X's own sample mention, as the event of post `id`.
fn event(id: u64) -> String {
    let mut v: Value = serde_json::from_str(include_str!(
        "../../x/tests/fixtures/x_activity_post_mention.json"
    ))
    .unwrap();
    v["data"]["payload"]["id"] = Value::String(id.to_string());
    v["data"]["event_uuid"] = Value::String(format!("9{id}"));
    serde_json::to_string(&v).unwrap()
}

#[derive(Default)]
struct Fake {
    connections: Mutex<usize>,
    /// Per connection: the lines, and whether the connection then drops (else stays open).
    script: Vec<(Vec<String>, bool)>,
    /// 401 for a wrong bearer token.
    token: String,
}

async fn stream(State(fake): State<Arc<Fake>>, headers: HeaderMap) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(format!("Bearer {}", fake.token).as_str())
    {
        return (
            StatusCode::UNAUTHORIZED,
            r#"{"title":"Unauthorized","detail":"bad token"}"#,
        )
            .into_response();
    }
    let n = {
        let mut c = fake.connections.lock().unwrap();
        *c += 1;
        *c - 1
    };
    let (lines, drops) = fake.script.get(n).cloned().unwrap_or_default();
    let mut chunks: Vec<Result<Bytes, std::io::Error>> = lines
        .into_iter()
        .map(|l| Ok(Bytes::from(format!("{l}\r\n"))))
        .collect();
    if drops {
        chunks.push(Err(std::io::Error::other("connection dropped")));
    }
    // Lines go out over time, as X sends them (and so are flushed before a drop).
    let paced = futures::StreamExt::then(futures::stream::iter(chunks), |chunk| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        chunk
    });
    if drops {
        Body::from_stream(paced).into_response()
    } else {
        let open = futures::StreamExt::chain(
            paced,
            futures::stream::pending::<Result<Bytes, std::io::Error>>(),
        );
        Body::from_stream(open).into_response()
    }
}

async fn fake_x(script: Vec<(Vec<String>, bool)>) -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake {
        script,
        token: "app-bearer".into(),
        ..Fake::default()
    });
    let app = axum::Router::new()
        .route("/2/activity/stream", axum::routing::get(stream))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, fake)
}

fn consumer(base: &str, token: &str, bus: Arc<MemoryPublisher>) -> StreamConsumer {
    let api = XApi::new(XApiConfig {
        api_base: base.into(),
        upload_base: base.into(),
        timeout: Duration::from_secs(5),
    });
    StreamConsumer::new(
        Arc::new(XApiActivityStream::new(api, token)),
        Intake::new(bus, RetryPolicy::default()).with_dedup(Arc::new(MemoryIdempotency::new())),
        AclConfig {
            bot_user_id: Some(BOT.into()),
            ..AclConfig::default()
        },
        StreamConfig {
            network_step: Duration::from_millis(100),
            http_base: Duration::from_millis(100),
            ..StreamConfig::default()
        },
    )
}

fn received(bus: &MemoryPublisher) -> Vec<String> {
    bus.events()
        .iter()
        .filter(|e| e.detail_type == "MESSAGE_RECEIVED")
        .map(|e| e.detail["Twitter"]["TweetId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_stream_that_drops_twice_delivers_every_event_once() {
    let (base, fake) = fake_x(vec![
        (vec![event(1), String::new(), event(2), event(3)], true),
        // The reconnection replays 3.
        (vec![event(3), event(4), String::new(), event(5)], true),
        (vec![String::new(), event(6)], false),
    ])
    .await;
    let bus = Arc::new(MemoryPublisher::new());
    let consumer = Arc::new(consumer(&base, "app-bearer", bus.clone()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = {
        let consumer = consumer.clone();
        tokio::spawn(async move { consumer.run(stopped).await })
    };
    let started = Instant::now();
    while received(&bus).len() < 6 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            received(&bus)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A moment more: nothing else arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    let ids = received(&bus);
    assert_eq!(ids.len(), 6, "{ids:?}");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 6);
    assert_eq!(*fake.connections.lock().unwrap(), 3);
    assert!(
        bus.events()
            .iter()
            .filter(|e| e.detail_type == "MESSAGE_RECEIVED")
            .all(|e| e.detail["Source"] == "stream")
    );
    // Each event's TWITTER_TWEETED is there too: the webhook's mapping.
    assert_eq!(
        bus.events()
            .iter()
            .filter(|e| e.detail_type == "TWITTER_TWEETED")
            .count(),
        6
    );
}

#[tokio::test]
async fn a_refused_token_stops_the_consumer_with_x_words() {
    let (base, fake) = fake_x(vec![]).await;
    let bus = Arc::new(MemoryPublisher::new());
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        consumer(&base, "wrong", bus.clone()).run(stopped),
    )
    .await
    .expect("a refusal stops it")
    .unwrap_err();
    assert!(
        matches!(err, PollError::Refused(ref m) if m.contains("401")),
        "{err}"
    );
    assert_eq!(*fake.connections.lock().unwrap(), 0);
    assert!(bus.events().is_empty());
}
