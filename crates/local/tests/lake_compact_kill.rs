//! `kill -9` during `starling lake compact`: whenever the process dies, the silver tables stay
//! readable and hold either the previous compaction's rows or the new one's — never a torn mix —
//! and the next compaction finishes the job and leaves one generation per table.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use starling_lake::{LakeConfig, LakeWriter};

const STARLING: &str = env!("CARGO_BIN_EXE_starling");

/// Posts `from..to`, each received and analysed (and one in ten received twice, as a redelivery
/// leaves it), spread over three days, appended to the bronze lake under `lake`.
fn add_posts(lake: &Path, from: u64, to: u64) {
    let config = LakeConfig {
        sync: false,
        ..LakeConfig::default()
    };
    let (writer, _) = LakeWriter::open(lake, config).unwrap();
    for n in from..to {
        let post = (1_900_000_000_000_000_000u64 + n).to_string();
        let time = format!("2026-11-{:02}T{:02}:00:00Z", 20 + n % 3, n % 24);
        let received = json!({
            "version": "0", "id": format!("r{n}"), "detail-type": "MESSAGE_RECEIVED",
            "source": "starling.test", "account": "000000000000", "time": time,
            "region": "local", "resources": [],
            "detail": {"Text": "@starling_bot hi", "Author": format!("user{}", n % 500),
                       "ImageUrls": [], "Media": [], "Summoned": true, "Source": "webhook",
                       "Twitter": {"TweetId": post, "UserId": (n % 500).to_string()}}
        });
        let analysed = json!({
            "version": "0", "id": format!("a{n}"), "detail-type": "MESSAGE_ANALYSED",
            "source": "starling.test", "account": "000000000000", "time": time,
            "region": "local", "resources": [],
            "detail": {"Text": "@starling_bot hi", "Author": format!("user{}", n % 500),
                       "ImageUrls": [], "Media": [],
                       "Twitter": {"TweetId": post, "UserId": (n % 500).to_string()},
                       "Analysis": {"Provider": "test", "Language": "en", "TextSentiment": "NEUTRAL",
                                    "SentimentScore": {"Positive": 0.1, "Negative": 0.1, "Neutral": 0.8, "Mixed": 0.0},
                                    "TextEntities": [], "KeyPhrases": [], "Images": []}}
        });
        writer
            .append(&serde_json::to_vec(&received).unwrap())
            .unwrap();
        if n % 10 == 0 {
            let mut again = received.clone();
            again["id"] = json!(format!("r{n}-again"));
            writer.append(&serde_json::to_vec(&again).unwrap()).unwrap();
        }
        writer
            .append(&serde_json::to_vec(&analysed).unwrap())
            .unwrap();
    }
    writer.close().unwrap();
}

fn starling(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(STARLING)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `SELECT count(*) FROM posts` through `starling query`, which must succeed.
fn posts(data: &Path) -> u64 {
    let out = starling(
        data,
        &[
            "query",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM posts",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the silver tables must stay readable: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.lines().nth(1).unwrap().trim().parse().unwrap()
}

/// The generation directories of a silver table.
fn generations(lake: &Path, table: &str) -> Vec<String> {
    std::fs::read_dir(lake.join("silver").join(table))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_compaction_killed_at_any_moment_leaves_readable_silver_and_the_next_run_completes() {
    let data = tempfile::tempdir().unwrap();
    let lake = data.path().join("lake");
    add_posts(&lake, 0, 20_000);
    let done = starling(data.path(), &["lake", "compact"]);
    assert!(done.status.success(), "{done:?}");
    assert_eq!(posts(data.path()), 20_000);

    add_posts(&lake, 20_000, 40_000);
    let mut killed_while_running = 0;
    let mut torn_generations_seen = 0;
    for delay_ms in [30, 80, 150, 250, 400, 600, 900, 1300] {
        let mut child = Command::new(STARLING)
            .arg("--data-dir")
            .arg(data.path())
            .args(["lake", "compact"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            killed_while_running += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if ["events_silver", "posts", "users"]
            .iter()
            .any(|t| generations(&lake, t).len() > 1)
        {
            torn_generations_seen += 1;
        }
        let n = posts(data.path());
        assert!(
            n == 20_000 || n == 40_000,
            "after a kill at {delay_ms} ms posts holds {n} rows: neither the old nor the new compaction"
        );
    }
    assert!(
        killed_while_running > 0,
        "no kill landed while a compaction was running: the lake is too small to test this"
    );
    eprintln!(
        "{killed_while_running} of 8 kills landed mid-run; {torn_generations_seen} left a half generation behind"
    );

    let done = starling(data.path(), &["lake", "compact"]);
    assert!(done.status.success(), "{done:?}");
    assert_eq!(posts(data.path()), 40_000);
    for table in ["events_silver", "posts", "users"] {
        assert_eq!(
            generations(&lake, table).len(),
            1,
            "{table}: the completed compaction removes the others"
        );
    }
}
