//! `starling up --poll-mentions` through the built binary against a fake X on loopback
//! (`STARLING_X_API_BASE`): every mention becomes one MESSAGE_RECEIVED, and a `kill -9` between
//! polls neither loses nor repeats any (the checkpoint in `sources.sqlite`, the claims in
//! `idempotency.sqlite`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_starling");
const BOT: &str = "777";

#[derive(Default)]
struct Fake {
    posts: Mutex<Vec<Value>>,
    since_ids: Mutex<Vec<Option<String>>>,
}

impl Fake {
    fn add(&self, n: usize) {
        let mut posts = self.posts.lock().unwrap();
        for _ in 0..n {
            let i = posts.len() + 1;
            let id = format!("19000000000000{i:05}");
            posts.push(json!({
                "id": id, "author_id": format!("5{i:05}"), "text": format!("@starling_bot hello {i}"),
                "created_at": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
                "lang": "en", "conversation_id": id,
                "entities": {"mentions": [{"start": 0, "end": 13, "username": "starling_bot", "id": BOT}]},
            }));
        }
    }
}

async fn mentions(
    State(fake): State<Arc<Fake>>,
    Query(q): Query<HashMap<String, String>>,
) -> (axum::http::StatusCode, String) {
    let since: Option<u128> = q.get("since_id").map(|s| s.parse().unwrap());
    fake.since_ids
        .lock()
        .unwrap()
        .push(q.get("since_id").cloned());
    let mut newer: Vec<Value> = fake
        .posts
        .lock()
        .unwrap()
        .iter()
        .filter(|p| since.is_none_or(|s| p["id"].as_str().unwrap().parse::<u128>().unwrap() > s))
        .cloned()
        .collect();
    newer.reverse();
    let body = if newer.is_empty() {
        json!({"meta": {"result_count": 0}})
    } else {
        json!({"data": newer, "meta": {"result_count": newer.len(), "newest_id": newer[0]["id"], "oldest_id": newer[newer.len() - 1]["id"]}})
    };
    (axum::http::StatusCode::OK, body.to_string())
}

fn start_fake() -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = fake.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route(
                    &format!("/2/users/{BOT}/mentions"),
                    axum::routing::get(mentions),
                )
                .with_state(state);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (base, fake)
}

fn up(dir: &std::path::Path, base: &str) -> Child {
    Command::new(BIN)
        .args(["up", "--port", "0", "--poll-mentions"])
        .args(["--poll-interval", "1", "--dry-run", "--data-dir"])
        .arg(dir)
        .env("STARLING_X_API_BASE", base)
        .env("STARLING_X_API_KEY", "ck")
        .env("STARLING_CONSUMER_SECRET", "cs")
        .env("STARLING_X_ACCESS_TOKEN", "at")
        .env("STARLING_X_ACCESS_TOKEN_SECRET", "as")
        .env("STARLING_BOT_USER_ID", BOT)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The post ids of every MESSAGE_RECEIVED on the bus (with repeats, if any).
fn received(dir: &std::path::Path) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let table = starling_bus::RoutingTable::embedded().unwrap();
        let bus =
            starling_bus::SqliteBus::open(dir, &table, starling_bus::BusConfig::default()).unwrap();
        bus.events(Some("MESSAGE_RECEIVED"), 100_000)
            .await
            .unwrap()
            .iter()
            .filter_map(|e| {
                e.envelope
                    .detail
                    .pointer("/Twitter/TweetId")
                    .and_then(Value::as_str)
            })
            .map(str::to_string)
            .collect()
    })
}

fn wait_for(dir: &std::path::Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got = if dir.join("bus.sqlite").exists() {
            received(dir)
        } else {
            Vec::new()
        };
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} MESSAGE_RECEIVED within 90 s",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn polled_mentions_arrive_once_each_across_a_kill_and_a_restart() {
    let (base, fake) = start_fake();
    let dir = tempfile::tempdir().unwrap();
    fake.add(15);
    let mut first = up(dir.path(), &base);
    let got = wait_for(dir.path(), 15);
    assert_eq!(got.len(), 15);
    // Kill it once it has polled from its checkpoint (so the checkpoint is saved): the restart
    // must then go on from there.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !fake
        .since_ids
        .lock()
        .unwrap()
        .contains(&Some("1900000000000000015".to_string()))
    {
        assert!(Instant::now() < deadline, "no poll from the checkpoint");
        std::thread::sleep(Duration::from_millis(50));
    }
    first.kill().unwrap();
    first.wait().unwrap();

    // Ten more while it was down; the restart picks up from the checkpoint.
    fake.add(10);
    let mut second = up(dir.path(), &base);
    let got = wait_for(dir.path(), 25);
    // A few more polls find nothing new.
    let polls = fake.since_ids.lock().unwrap().len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.since_ids.lock().unwrap().len() < polls + 3 {
        assert!(Instant::now() < deadline, "the poller stopped polling");
        std::thread::sleep(Duration::from_millis(200));
    }
    let got_after = received(dir.path());
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(got.len(), 25, "{got:?}");
    assert_eq!(got_after.len(), 25, "nothing repeated: {got_after:?}");
    let distinct: HashSet<&String> = got_after.iter().collect();
    assert_eq!(distinct.len(), 25);
    // After the restart the poller asked from the checkpoint, never from scratch.
    let asked = fake.since_ids.lock().unwrap().clone();
    assert!(asked[1..].iter().all(Option::is_some), "{asked:?}");
}
