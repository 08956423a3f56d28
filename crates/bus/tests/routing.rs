//! The bus with the repository's routing table: each kind of event reaches the targets
//! `schemas/routes.json` names, through the real pattern engine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use starling_bus::{BusConfig, RoutingTable, SqliteBus, TargetRegistry, target_fn};
use starling_contracts::OutgoingEvent;
use starling_core::ports::EventPublisher;

type Seen = Arc<Mutex<BTreeMap<String, Vec<String>>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_reaches_the_targets_the_routing_table_names() {
    let dir = tempfile::tempdir().unwrap();
    let table = RoutingTable::embedded().unwrap();
    let bus = SqliteBus::open(dir.path(), &table, BusConfig::default()).unwrap();

    // One recorder per target, registered by (kind, name) as the runtime does.
    let seen: Seen = Arc::default();
    let mut targets = TargetRegistry::new();
    for route in &table.routes {
        let key = format!("{}:{}", route.target.kind, route.target.name);
        let seen = seen.clone();
        targets = targets.with_target(
            &route.target.kind,
            &route.target.name,
            target_fn(move |e| {
                let (seen, key) = (seen.clone(), key.clone());
                async move {
                    seen.lock()
                        .unwrap()
                        .entry(key)
                        .or_default()
                        .push(e.detail["Text"].as_str().unwrap_or("-").to_string());
                    Ok(())
                }
            }),
        );
    }
    let report = bus.start(&targets).await.unwrap();
    assert!(report.waiting.is_empty(), "{report:?}");

    let ev = |source: &str, dt: &str, detail| OutgoingEvent::new(source, dt, detail).unwrap();
    let outcome = bus
        .put(&[
            ev(
                "starling.twitter",
                "MESSAGE_RECEIVED",
                json!({"Text": "received"}),
            ),
            ev(
                "starling.analysis",
                "MESSAGE_ANALYSED",
                json!({"Text": "negative text", "Analysis": {"TextSentiment": "NEGATIVE"}}),
            ),
            ev(
                "starling.analysis",
                "MESSAGE_ANALYSED",
                json!({"Text": "with image", "ImageUrls": ["https://x/1.jpg"],
                       "Analysis": {"TextSentiment": "POSITIVE", "Images": [{"Key": "media/1.jpg"}]}}),
            ),
            ev(
                "starling.responding",
                "SEND_TWEET",
                json!({"Text": "reply"}),
            ),
            ev("starling.twitter", "TWITTER_FOLLOWED", json!({"Text": "follow"})),
            ev("elsewhere", "MESSAGE_RECEIVED", json!({"Text": "foreign"})),
        ])
        .await
        .unwrap();
    assert!(outcome.failed.is_empty());
    bus.wait_idle(Duration::from_secs(60)).await.unwrap();
    bus.shutdown().await.unwrap();

    let seen = seen.lock().unwrap().clone();
    let all = ["received", "negative text", "with image", "reply", "follow"];
    let expect = |texts: &[&str]| texts.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(seen["log-group:plumbing-events"], expect(&all));
    assert_eq!(seen["firehose:lake"], expect(&all));
    assert_eq!(seen["state-machine:analyse-message"], expect(&["received"]));
    assert_eq!(seen["lambda:alert"], expect(&["negative text"]));
    assert_eq!(seen["lambda:reply-text"], expect(&["negative text"]));
    assert_eq!(seen["lambda:reply-image"], expect(&["with image"]));
    assert_eq!(seen["lambda:egress"], expect(&["reply"]));
}
