//! `starling demo` end to end: the bundled deliveries through the real webhook server, bus, state
//! machine, handlers, outbox and lake, checked from what they left in the data directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use starling_lake::{LakeEngine, embedded_tables};
use starling_local::{DataDir, demo};

const ORIGINAL_PHOTO: &[u8] =
    include_bytes!("../../offline/tests/fixtures/images/two_faces_composite.jpg");

fn reply_to<'a>(replies: &'a [Value], tweet_id: &str) -> &'a Value {
    let found: Vec<&Value> = replies
        .iter()
        .filter(|r| r["InReplyToTweetId"] == tweet_id)
        .collect();
    assert_eq!(found.len(), 1, "one reply to {tweet_id}: {replies:#?}");
    found[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_every_sample_through_the_pipeline_and_the_lake() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path()).demo();
    // A leftover from an earlier run is emptied, not mixed in.
    std::fs::create_dir_all(dir.outbox()).unwrap();
    std::fs::write(dir.outbox().join("stale.json"), "{}").unwrap();

    let report = demo::run(&dir, Duration::from_secs(120)).await.unwrap();

    assert_eq!(report.deliveries.len(), 6);
    assert!(
        report.deliveries.iter().all(|(_, status)| *status == 200),
        "{:?}",
        report.deliveries
    );

    let expected: BTreeMap<String, usize> = [
        ("TWITTER_TWEETED", 3),
        ("MESSAGE_RECEIVED", 3),
        ("MESSAGE_ANALYSED", 3),
        ("TWITTER_FAVOURITED", 1),
        ("TWITTER_FOLLOWED", 1),
        ("TWITTER_DM_RECEIVED", 1),
        ("SEND_TWEET", 3),
        ("TWEET_SENT", 3),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(report.events, expected, "events per detail-type");
    assert_eq!(report.dead_letters, 0);

    // One alert, for the negative message only.
    assert_eq!(report.alerts.len(), 1, "{:#?}", report.alerts);
    let alert = &report.alerts[0];
    assert!(
        alert["Subject"].as_str().unwrap().contains("sam_demo"),
        "{alert}"
    );
    assert!(
        alert["Message"]
            .as_str()
            .unwrap()
            .contains("https://x.com/sam_demo/status/1995000000000000002"),
        "{alert}"
    );

    // Three replies in the outbox: a joke from the shipped list, the bot's answer to the
    // complaint, and the photo with both people named (enrolled from their own portraits).
    assert_eq!(report.replies.len(), 3, "{:#?}", report.replies);
    let jokes: Vec<String> = serde_json::from_str(include_str!("../../../bot/jokes.json")).unwrap();
    let joke = reply_to(&report.replies, "1995000000000000001");
    let joke_text = joke["Text"].as_str().unwrap();
    // X threads a reply by its in-reply-to id; the text is the joke alone.
    assert!(
        jokes.iter().any(|j| j == joke_text),
        "a shipped joke: {joke_text}"
    );
    let complaint = reply_to(&report.replies, "1995000000000000002");
    assert!(!complaint["Text"].as_str().unwrap().is_empty());

    let photo = reply_to(&report.replies, "1995000000000000003");
    let text = photo["Text"].as_str().unwrap();
    assert!(text.starts_with("I recognised: "), "{text}");
    for name in ["Eileen Collins", "Grace Hopper"] {
        assert!(text.contains(name), "{text}");
    }
    assert_eq!(report.enrolled.len(), 2);
    // The people photo: both named, on the right side each (Collins left, Hopper right).
    let people = report
        .seen
        .iter()
        .find(|(url, ..)| url == demo::DEMO_PHOTO_URL)
        .expect("the people photo was analysed");
    assert_eq!(people.1.len(), 2, "{people:?}");
    // The sign: its text read offline, in Rekognition's shape.
    let sign = report
        .seen
        .iter()
        .find(|(url, ..)| url == demo::DEMO_SIGN_URL)
        .expect("the sign was analysed");
    let read = sign.2.join(" ").to_uppercase();
    for word in ["STARLING", "CAFE", "COFFEE", "ROBOTS"] {
        assert!(
            read.contains(word),
            "{word} not read from the sign: {:?}",
            sign.2
        );
    }
    let media = photo["Media"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{photo}");
    let annotated = std::fs::read(media[0].as_str().unwrap()).unwrap();
    assert_ne!(annotated, ORIGINAL_PHOTO, "the attached image was drawn on");
    let annotated = image::load_from_memory(&annotated).unwrap();
    let original = image::load_from_memory(ORIGINAL_PHOTO).unwrap();
    assert_eq!(
        (annotated.width(), annotated.height()),
        (original.width(), original.height())
    );
    // The downloaded original in the media store is untouched.
    let stored = walk(&dir.media())
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("annotated"))
        .map(|p| std::fs::read(p).unwrap())
        .any(|bytes| bytes == ORIGINAL_PHOTO);
    assert!(
        stored,
        "the original photo is in the media store, byte for byte"
    );

    // Every event on the bus reached the lake, once.
    let engine = LakeEngine::open(&dir.lake(), &embedded_tables().unwrap()).unwrap();
    let lake = engine
        .query("SELECT detail_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 1")
        .unwrap();
    let in_lake: BTreeMap<String, usize> = lake
        .rows
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert_eq!(in_lake, expected, "the lake holds every event");
    assert!(report.lake_files > 0);
    // The known faces are in the lake with the analysis, left to right.
    let known = engine
        .query(
            "SELECT k.Name, k.Face.BoundingBox.Left AS lft FROM \"analysed-messages-table\", \
             UNNEST(detail.Analysis.Images) AS t(i), UNNEST(i.Analysis.KnownFaces) AS u(k) ORDER BY lft",
        )
        .unwrap();
    let names: Vec<&str> = known.rows.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert_eq!(names, ["Eileen Collins", "Grace Hopper"], "{known:?}");

    // The closing query: three English messages, one of them negative.
    let messages: u64 = report
        .query
        .rows
        .iter()
        .map(|r| r[2].as_u64().unwrap())
        .sum();
    assert_eq!(messages, 3, "{:?}", report.query);
    let negative: Vec<&Vec<Value>> = report
        .query
        .rows
        .iter()
        .filter(|r| r[1] == "NEGATIVE")
        .collect();
    assert_eq!(negative.len(), 1);
    assert_eq!(negative[0][0], "en");
    assert_eq!(negative[0][2].as_u64(), Some(1));

    let summary = report.summary();
    for needle in [
        "Known faces enrolled",
        "people: ",
        "text: ",
        "TWEET_SENT",
        "Alerts (1)",
        "Replies (3)",
        "Dead letters: 0",
        "NEGATIVE",
    ] {
        assert!(
            summary.contains(needle),
            "summary lacks {needle}:\n{summary}"
        );
    }
}

#[test]
fn the_cli_prints_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_starling"))
        .env_remove("RUST_LOG")
        .args(["demo", "--data-dir"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Replies (3)"), "{stdout}");
    assert!(
        stdout.contains("athena/sentiment-by-language.sql"),
        "{stdout}"
    );
    assert!(tmp.path().join("demo/bus.sqlite").exists());
    // The summary is the output: the pipeline's info logs stay quiet unless RUST_LOG asks.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("INFO"), "{stderr}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
