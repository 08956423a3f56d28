//! `starling events list`, `starling dlq list|redrive` and `starling replay` on a real data
//! directory, checked through the library afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use starling_bus::{BusConfig, DeliveryError, RoutingTable, SqliteBus, TargetRegistry, target_fn};
use starling_contracts::{Envelope, OutgoingEvent};
use starling_core::ports::EventPublisher;

const PATIENCE: Duration = Duration::from_secs(60);

fn starling(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .env("RUST_LOG", "warn")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "starling {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn open(dir: &Path) -> SqliteBus {
    SqliteBus::open(
        dir,
        &RoutingTable::embedded().unwrap(),
        BusConfig::default(),
    )
    .unwrap()
}

/// Delivers what is pending to a `lake` recorder; returns the detail `n`s it got.
async fn deliver_lake(bus: &SqliteBus) -> Vec<u64> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let recorder = target_fn(move |e: Envelope| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(e.detail["n"].as_u64().unwrap());
            Ok(())
        }
    });
    bus.start(&TargetRegistry::new().with_route("lake", recorder))
        .await
        .unwrap();
    bus.wait_idle(PATIENCE).await.unwrap();
    bus.shutdown().await.unwrap();
    seen.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_dead_letters_redrive_them_and_replay_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let bus = open(dir.path());
    let events: Vec<OutgoingEvent> = (0..3)
        .map(|n| {
            OutgoingEvent::new(
                "starling.twitter",
                if n == 1 {
                    "TWITTER_FOLLOWED"
                } else {
                    "MESSAGE_RECEIVED"
                },
                json!({ "n": n }),
            )
            .unwrap()
        })
        .collect();
    assert!(bus.put(&events).await.unwrap().failed.is_empty());

    // The lake refuses everything: three dead letters.
    let refuse = target_fn(|_| async { Err(DeliveryError::Permanent("bucket gone".into())) });
    bus.start(&TargetRegistry::new().with_route("lake", refuse))
        .await
        .unwrap();
    bus.wait_idle(PATIENCE).await.unwrap();
    bus.shutdown().await.unwrap();

    let listed = starling(dir.path(), &["events", "list", "--json"]);
    let envelopes: Vec<Envelope> = listed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(envelopes.len(), 3);
    let followed = starling(
        dir.path(),
        &["events", "list", "--detail-type", "TWITTER_FOLLOWED"],
    );
    assert_eq!(
        followed.lines().count(),
        2,
        "header and one event:\n{followed}"
    );
    assert!(followed.contains(&envelopes[1].id), "{followed}");

    let dlq = starling(dir.path(), &["dlq", "list"]);
    assert_eq!(
        dlq.lines().count(),
        4,
        "header and three dead letters:\n{dlq}"
    );
    assert!(dlq.contains("bucket gone (not retried)"), "{dlq}");
    let dlq_json = starling(dir.path(), &["dlq", "list", "--route", "lake", "--json"]);
    assert_eq!(dlq_json.lines().count(), 3);

    let redrive = starling(dir.path(), &["dlq", "redrive", "--route", "lake"]);
    assert!(redrive.starts_with("3 dead letter(s) queued"), "{redrive}");
    let dlq = starling(dir.path(), &["dlq", "list"]);
    assert_eq!(dlq.matches("[redrive queued]").count(), 3, "{dlq}");
    assert!(starling(dir.path(), &["dlq", "redrive"]).starts_with("0 dead letter(s)"));

    // The next bus with a working lake delivers the redrive and empties the table.
    let mut delivered = deliver_lake(&bus).await;
    delivered.sort_unstable();
    assert_eq!(delivered, [0, 1, 2]);
    assert_eq!(
        starling(dir.path(), &["dlq", "list"]).trim(),
        "no dead letters"
    );

    let replay = starling(
        dir.path(),
        &[
            "replay", "--from", "now-1h", "--to", "now", "--route", "lake",
        ],
    );
    assert!(replay.contains("deliveries queued: 3"), "{replay}");
    let mut replayed = deliver_lake(&bus).await;
    replayed.sort_unstable();
    assert_eq!(replayed, [0, 1, 2]);
}

#[test]
fn a_bad_argument_names_the_input_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["replay", "--from", "now", "--route", "no-such-route"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no route named \"no-such-route\""), "{err}");
    assert!(err.contains("analyse-message"), "{err}");
}
