//! `starling up --stream` through the built binary against a fake X Activity API stream on
//! loopback (`STARLING_X_API_BASE`) that disconnects twice and replays an event: every event
//! becomes one MESSAGE_RECEIVED.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashSet;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::IntoResponse;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_starling");
const BOT: &str = "1111111111111111111";

fn event(id: u64) -> String {
    let mut v: Value = serde_json::from_str(include_str!(
        "../../x/tests/fixtures/x_activity_post_mention.json"
    ))
    .unwrap();
    v["data"]["payload"]["id"] = Value::String(id.to_string());
    serde_json::to_string(&v).unwrap()
}

async fn stream(State(connections): State<Arc<Mutex<usize>>>) -> axum::response::Response {
    let n = {
        let mut c = connections.lock().unwrap();
        *c += 1;
        *c
    };
    let (ids, drops): (Vec<u64>, bool) = match n {
        1 => (vec![1, 2, 3], true),
        2 => (vec![3, 4, 5], true),
        _ => (vec![6], false),
    };
    let mut chunks: Vec<Result<Bytes, std::io::Error>> = Vec::new();
    for id in ids {
        chunks.push(Ok(Bytes::from(format!("{}\r\n\r\n", event(id)))));
    }
    if drops {
        chunks.push(Err(std::io::Error::other("dropped")));
    }
    let paced = futures::StreamExt::then(futures::stream::iter(chunks), |c| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        c
    });
    if drops {
        Body::from_stream(paced).into_response()
    } else {
        Body::from_stream(futures::StreamExt::chain(
            paced,
            futures::stream::pending::<Result<Bytes, std::io::Error>>(),
        ))
        .into_response()
    }
}

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
                    .map(str::to_string)
            })
            .collect()
    })
}

#[test]
fn a_stream_that_disconnects_twice_gives_every_event_once() {
    let connections = Arc::new(Mutex::new(0usize));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = connections.clone();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let app = axum::Router::new()
                    .route("/2/activity/stream", axum::routing::get(stream))
                    .with_state(state);
                axum::serve(tokio::net::TcpListener::from_std(listener).unwrap(), app)
                    .await
                    .unwrap();
            });
    });
    let dir = tempfile::tempdir().unwrap();
    let mut up = Command::new(BIN)
        .args(["up", "--port", "0", "--stream", "--data-dir"])
        .arg(dir.path())
        .env("STARLING_X_API_BASE", &base)
        .env("STARLING_X_BEARER_TOKEN", "app-bearer")
        .env("STARLING_BOT_USER_ID", BOT)
        .env_remove("STARLING_X_API_KEY")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    let got = loop {
        let got = if dir.path().join("bus.sqlite").exists() {
            received(dir.path())
        } else {
            Vec::new()
        };
        if got.len() >= 6 {
            break got;
        }
        assert!(Instant::now() < deadline, "{got:?} within 90 s");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(500));
    let after = received(dir.path());
    up.kill().unwrap();
    up.wait().unwrap();
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(after.len(), 6, "{after:?}");
    assert_eq!(after.iter().collect::<HashSet<_>>().len(), 6);
    assert_eq!(*connections.lock().unwrap(), 3);
}
