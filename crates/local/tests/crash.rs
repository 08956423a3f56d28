//! kill -9 during a burst of puts (and deliveries) loses no acknowledged event.
//!
//! `starling bus-burst` puts events in batches of 10 and prints each event id once its put has
//! returned. The test SIGKILLs it mid-burst, reopens the data directory with a recording
//! target, and checks every printed id is delivered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use starling_bus::{BusConfig, RoutingTable, SqliteBus, TargetRegistry, target_fn};

/// The route the test watches: `lake` takes every `starling.*` event.
const ROUTE: &str = "lake";

/// Runs a burst and kills it once `ack_before_kill` ids have been acknowledged; returns every
/// id it acknowledged before it died (complete lines only).
fn burst_then_kill(dir: &Path, ack_before_kill: usize, deliver_to: Option<&Path>) -> Vec<String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_starling"));
    cmd.arg("--data-dir")
        .arg(dir)
        .args(["bus-burst", "--count", "10000000"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(file) = deliver_to {
        cmd.arg("--deliver-to").arg(file);
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut acked = Vec::new();
    let mut line = String::new();
    let mut killed = false;
    loop {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        // A line cut short by the kill was never fully acknowledged; only whole lines count.
        if let Some(id) = line.strip_suffix('\n') {
            acked.push(id.to_string());
        }
        if !killed && acked.len() >= ack_before_kill {
            child.kill().unwrap(); // SIGKILL on Unix
            killed = true;
        }
    }
    let status = child.wait().unwrap();
    assert!(killed, "the burst ended before the kill: {status}");
    assert!(!status.success(), "killed mid-burst: {status}");
    acked
}

/// Reopens the data directory, delivers what is pending, and returns the ids the route got.
fn deliver_pending(dir: &Path) -> Vec<String> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let table = RoutingTable::embedded().unwrap();
        let bus = SqliteBus::open(dir, &table, BusConfig::default()).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let recorder = target_fn(move |e| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(e.id);
                Ok(())
            }
        });
        bus.start(&TargetRegistry::new().with_route(ROUTE, recorder))
            .await
            .unwrap();
        bus.wait_idle(Duration::from_secs(300)).await.unwrap();
        bus.shutdown().await.unwrap();
        seen.lock().unwrap().clone()
    })
}

#[test]
fn every_event_acknowledged_before_kill_9_is_delivered_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    // Three crashes into one log, each while a burst is in full flow.
    let mut acked = Vec::new();
    for _ in 0..3 {
        acked.extend(burst_then_kill(dir.path(), 300, None));
    }
    let delivered: HashSet<String> = deliver_pending(dir.path()).into_iter().collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !delivered.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged events were lost, e.g. {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(3)]
    );
    assert!(acked.len() >= 900);
}

#[test]
fn kill_9_while_delivering_loses_nothing_either() {
    let dir = tempfile::tempdir().unwrap();
    let delivered_file = dir.path().join("delivered.txt");
    let mut acked = Vec::new();
    for _ in 0..3 {
        acked.extend(burst_then_kill(dir.path(), 300, Some(&delivered_file)));
    }
    let before: Vec<String> = std::fs::read_to_string(&delivered_file)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{ROUTE} ")).map(str::to_string))
        .collect();
    assert!(!before.is_empty(), "the burst delivered while it ran");
    let after = deliver_pending(dir.path());
    let delivered: HashSet<&String> = before.iter().chain(after.iter()).collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !delivered.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged events were never delivered, e.g. {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(3)]
    );
}
