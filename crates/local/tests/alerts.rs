//! alert-negative through the local bus: a negative MESSAGE_ANALYSED is appended to alerts.jsonl
//! and POSTed to a Slack-compatible webhook; positive and neutral ones alert nobody.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use starling_local::DataDir;
use starling_local::runtime::{LocalOptions, local_targets};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use serde_json::{Value, json};
use starling_bus::{BusConfig, RoutingTable, SqliteBus};
use starling_contracts::OutgoingEvent;
use starling_core::ports::{EventPublisher, XCredentials};

fn analysed(id: &str, sentiment: &str, negative: f64) -> OutgoingEvent {
    OutgoingEvent::new(
        "starling.analysis",
        "MESSAGE_ANALYSED",
        json!({"Text": format!("message {id}"), "Author": "ada", "ImageUrls": [], "Media": [],
               "Twitter": {"TweetId": id, "UserId": "7"},
               "Analysis": {"Language": "en", "TextSentiment": sentiment,
                            "SentimentScore": {"Positive": 0.01, "Negative": negative, "Neutral": 0.98 - negative, "Mixed": 0.01},
                            "TextEntities": [], "KeyPhrases": [], "Images": [], "Provider": "starling-offline/vader"}}),
    )
    .unwrap()
}

#[tokio::test]
async fn only_negative_messages_alert_the_file_and_the_webhook() {
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let bus = Arc::new(
        SqliteBus::open(
            dir.path(),
            &RoutingTable::embedded().unwrap(),
            BusConfig::default(),
        )
        .unwrap(),
    );
    let creds = XCredentials {
        api_secret: "s".into(),
        ..Default::default()
    };
    let options = LocalOptions {
        alert_webhook: Some(hook),
        ..LocalOptions::default()
    };
    let targets = local_targets(&DataDir::new(dir.path()), bus.clone(), &creds, options).unwrap();
    bus.start(&targets).await.unwrap();
    bus.put(&[
        analysed("1", "NEGATIVE", 0.91),
        analysed("2", "POSITIVE", 0.01),
        analysed("3", "NEUTRAL", 0.05),
    ])
    .await
    .unwrap();
    bus.wait_idle(Duration::from_secs(60)).await.unwrap();

    let lines: Vec<Value> = std::fs::read_to_string(dir.path().join("alerts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["Subject"], "Starling: negative message from @ada");
    assert!(
        lines[0]["Message"]
            .as_str()
            .unwrap()
            .contains("https://x.com/ada/status/1")
    );
    assert_eq!(lines[0]["Attributes"]["negative_score"], "0.9100");
    let posted = received.lock().unwrap().clone();
    assert_eq!(posted.len(), 1);
    assert!(posted[0]["text"].as_str().unwrap().contains("message 1"));
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
    bus.shutdown().await.unwrap();
}
