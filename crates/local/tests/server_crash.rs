//! kill -9 of `starling up` during a burst of signed deliveries: after a restart, every delivery
//! that was answered 200 is fully processed — received, analysed, answered and sent.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;

const SECRET: &str = "crash-test-consumer-secret";

mod common;

use common::up_process::UpProcess;

fn up(dir: &std::path::Path) -> UpProcess {
    // This test is about durability, not the reply policy: every delivery gets its reply.
    let policy = dir.join("policy.json");
    std::fs::write(
        &policy,
        r#"{"cooldownSeconds": 0, "authorDailyCap": 100000, "conversationCap": 100000, "budget": 100000}"#,
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    UpProcess::start(
        dir,
        &["--policy", policy],
        &[("STARLING_CONSUMER_SECRET", SECRET), ("RUST_LOG", "error")],
    )
}

fn delivery(n: u64) -> Vec<u8> {
    json!({"for_user_id": "1000", "tweet_create_events": [{
        "created_at": "Mon Nov 23 09:59:58 +0000 2026", "id_str": format!("{}", 9_000_000 + n),
        "text": format!("@starling_bot tell me a joke number {n}"), "lang": "en",
        "entities": {"user_mentions": [{"id_str": "1000", "screen_name": "starling_bot", "indices": [0, 13]}]},
        "user": {"id_str": format!("{}", 70_000 + n), "screen_name": format!("ada{n}")}}]})
    .to_string()
    .into_bytes()
}

/// The tweet ids that reached each stage, read from the event log.
fn processed(dir: &std::path::Path) -> (HashSet<String>, HashSet<String>, HashSet<String>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let table = starling_bus::RoutingTable::embedded().unwrap();
        let bus =
            starling_bus::SqliteBus::open(dir, &table, starling_bus::BusConfig::default()).unwrap();
        let ids = |events: Vec<starling_bus::StoredEvent>, pointer: &str| -> HashSet<String> {
            events
                .iter()
                .filter_map(|e| {
                    e.envelope
                        .detail
                        .pointer(pointer)
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                })
                .collect()
        };
        (
            ids(
                bus.events(Some("MESSAGE_RECEIVED"), 100_000).await.unwrap(),
                "/Twitter/TweetId",
            ),
            ids(
                bus.events(Some("MESSAGE_ANALYSED"), 100_000).await.unwrap(),
                "/Twitter/TweetId",
            ),
            ids(
                bus.events(Some("TWEET_SENT"), 100_000).await.unwrap(),
                "/ReplyToTweetId",
            ),
        )
    })
}

#[test]
fn every_delivery_answered_200_is_fully_processed_after_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = up(dir.path());
    let url = server.webhook_url();

    // A burst from four concurrent senders; the server is killed while they are sending.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let acked: Vec<String> = rt.block_on(async {
        let client = reqwest::Client::new();
        let mut tasks = Vec::new();
        for sender in 0..4u64 {
            let (client, url) = (client.clone(), url.clone());
            tasks.push(tokio::spawn(async move {
                let mut ok = Vec::new();
                for i in 0..1_000u64 {
                    let n = sender * 10_000 + i;
                    let body = delivery(n);
                    let sig = starling_x::webhook::sign(SECRET.as_bytes(), &body);
                    match client
                        .post(&url)
                        .header("x-twitter-webhooks-signature", sig)
                        .body(body)
                        .send()
                        .await
                    {
                        Ok(r) if r.status().as_u16() == 200 => {
                            ok.push(format!("{}", 9_000_000 + n))
                        }
                        Ok(r) => panic!("unexpected status {}", r.status()),
                        Err(_) => break, // the server is gone
                    }
                }
                ok
            }));
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    eprintln!("{} deliveries answered 200 before the kill -9", acked.len());
    assert!(
        acked.len() >= 5,
        "the burst should have got some deliveries through before the kill ({})",
        acked.len()
    );

    let server = up(dir.path());
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let (received, analysed, sent) = processed(dir.path());
        let missing: Vec<&String> = acked
            .iter()
            .filter(|id| !(received.contains(*id) && analysed.contains(*id) && sent.contains(*id)))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} acknowledged deliveries not fully processed, e.g. {:?}",
            missing.len(),
            acked.len(),
            &missing[..missing.len().min(5)]
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    drop(server);
}

/// The same signed delivery POSTed 8 times, 4 at once, as X redelivers when answers are slow:
/// one post's worth of everything — one MESSAGE_RECEIVED, one analysis, one alert (the post is
/// negative), one reply, and one lake row per event of the post.
#[test]
fn the_same_delivery_posted_eight_times_four_at_once_is_processed_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = up(dir.path());
    let url = server.webhook_url();
    let body = json!({"for_user_id": "1000", "tweet_create_events": [{
        "created_at": "Mon Nov 23 09:59:58 +0000 2026", "id_str": "9777000",
        "text": "@starling_bot this is terrible, awful service, I hate it", "lang": "en",
        "entities": {"user_mentions": [{"id_str": "1000", "screen_name": "starling_bot", "indices": [0, 13]}]},
        "user": {"id_str": "31337", "screen_name": "grumpy"}}]})
    .to_string()
    .into_bytes();
    let sig = starling_x::webhook::sign(SECRET.as_bytes(), &body);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let statuses: Vec<u16> = rt.block_on(async {
        let client = reqwest::Client::new();
        let mut all = Vec::new();
        for _round in 0..2 {
            let posts: Vec<_> = (0..4)
                .map(|_| {
                    let request = client
                        .post(&url)
                        .header(starling_x::webhook::SIGNATURE_HEADER, &sig)
                        .body(body.clone());
                    tokio::spawn(request.send())
                })
                .collect();
            for p in posts {
                all.push(p.await.unwrap().unwrap().status().as_u16());
            }
        }
        all
    });
    assert_eq!(statuses, vec![200; 8], "every copy is a success for X");

    // Wait for the one reply, then stop cleanly so the lake's parts are finalised.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !processed(dir.path()).2.contains("9777000") {
        assert!(Instant::now() < deadline, "the reply was not sent");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500)); // let the other routes finish too
    server.stop();

    let count = |detail_type: &str| {
        rt.block_on(async {
            let table = starling_bus::RoutingTable::embedded().unwrap();
            let bus =
                starling_bus::SqliteBus::open(dir.path(), &table, Default::default()).unwrap();
            bus.events(Some(detail_type), 1000).await.unwrap().len()
        })
    };
    for (detail_type, n) in [
        ("TWITTER_TWEETED", 1),
        ("MESSAGE_RECEIVED", 1),
        ("MESSAGE_ANALYSED", 1),
        ("SEND_TWEET", 1),
        ("TWEET_SENT", 1),
    ] {
        assert_eq!(count(detail_type), n, "{detail_type}");
    }
    let alerts = std::fs::read_to_string(dir.path().join("alerts.jsonl")).unwrap();
    assert_eq!(alerts.lines().count(), 1, "one alert: {alerts}");
    // The lake: one line per event of the post, whatever the copies.
    let mut lake_lines = 0;
    // The bronze lake (the silver Parquet `starling up` compacts at stop is counted by its tests).
    let mut stack = vec![dir.path().join("lake").join("events")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                lake_lines += text.lines().filter(|l| l.contains("9777000")).count();
            }
        }
    }
    assert_eq!(
        lake_lines, 5,
        "TWITTER_TWEETED, MESSAGE_RECEIVED, MESSAGE_ANALYSED, SEND_TWEET, TWEET_SENT"
    );
}
