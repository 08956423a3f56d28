//! `starling replay --wait` and `starling dlq redrive --wait` follow the deliveries a running
//! `starling up` makes until the queue is empty, and say so; without a server they would give up.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_starling");

mod common;

use common::up_process::UpProcess;

fn starling(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn replay_and_redrive_with_wait_return_once_the_running_server_made_every_delivery() {
    let dir = tempfile::tempdir().unwrap();
    // The demo leaves a data directory with a full event log (and its consumer secret).
    let demo = Command::new(BIN)
        .args(["--data-dir"])
        .arg(dir.path())
        .arg("demo")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(demo.status.success(), "{demo:?}");
    let data = dir.path().join("demo");

    let _server = UpProcess::start(&data, &["--no-dashboard"], &[]);

    let replay = starling(
        &data,
        &[
            "replay",
            "--from",
            "2000-01-01",
            "--route",
            "lake",
            "--wait",
        ],
    );
    let out = String::from_utf8_lossy(&replay.stdout);
    let err = String::from_utf8_lossy(&replay.stderr);
    assert!(replay.status.success(), "{out}{err}");
    assert!(
        out.contains("replayed: every queued delivery made"),
        "{out}"
    );
    // Not a terminal: plain progress lines on stderr, the last one complete.
    let last = err.lines().rfind(|l| l.starts_with("replay: ")).unwrap();
    let (done, total) = last["replay: ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .split_once('/')
        .unwrap();
    assert_eq!(done, total, "{err}");
    assert!(total.parse::<u64>().unwrap() > 0, "{err}");

    // Nothing dead-lettered: a redrive queues nothing and returns at once.
    let redrive = starling(&data, &["dlq", "redrive", "--wait"]);
    let out = String::from_utf8_lossy(&redrive.stdout);
    assert!(redrive.status.success(), "{redrive:?}");
    assert!(out.contains("0 dead letter(s) queued"), "{out}");
}
