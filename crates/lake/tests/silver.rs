//! The silver tables over a bronze lake with the duplicates an at-least-once lake holds: the
//! same event written twice, the same post analysed twice (the latest analysis wins), a raw X
//! activity redelivered under a new event id, and the same post received twice.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use starling_lake::{LakeConfig, LakeEngine, LakeWriter, embedded_tables};

fn envelope(id: &str, detail_type: &str, time: &str, detail: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "version": "0", "id": id, "detail-type": detail_type, "source": "starling.test",
        "account": "000000000000", "time": time, "region": "local", "resources": [],
        "detail": detail
    }))
    .unwrap()
}

fn received(post: &str, user: &str, handle: &str) -> Value {
    json!({"Text": "@starling_bot hi", "Author": handle, "ImageUrls": [], "Media": [],
           "Twitter": {"TweetId": post, "UserId": user}, "Summoned": true, "Source": "mentions"})
}

fn analysed(post: &str, sentiment: &str) -> Value {
    json!({"Text": "@starling_bot hi", "Author": "x", "ImageUrls": [], "Media": [],
           "Twitter": {"TweetId": post, "UserId": "1"},
           "Analysis": {"Provider": "test", "Language": "en", "TextSentiment": sentiment,
                        "SentimentScore": {"Positive": 0.9, "Negative": 0.05, "Neutral": 0.05, "Mixed": 0.0},
                        "TextEntities": [], "KeyPhrases": [], "Images": []}})
}

fn rows(engine: &LakeEngine, sql: &str) -> Vec<Value> {
    let result = engine.query(sql).unwrap();
    result
        .rows
        .iter()
        .map(|row| {
            Value::Object(
                result
                    .columns
                    .iter()
                    .cloned()
                    .zip(row.iter().cloned())
                    .collect(),
            )
        })
        .collect()
}

/// A bronze lake with the duplicates at-least-once delivery leaves, in `dir`.
fn lake_with_duplicates(dir: &std::path::Path) {
    let (writer, _) = LakeWriter::open(dir, LakeConfig::default()).unwrap();
    let events = [
        envelope(
            "r1",
            "MESSAGE_RECEIVED",
            "2026-11-23T07:00:00Z",
            received("100", "7", "ada"),
        ),
        // The same event again (a delivery retried after its write).
        envelope(
            "r1",
            "MESSAGE_RECEIVED",
            "2026-11-23T07:00:00Z",
            received("100", "7", "ada"),
        ),
        // The same post received again under a new event (webhook and poll), later.
        envelope(
            "r1b",
            "MESSAGE_RECEIVED",
            "2026-11-23T07:00:05Z",
            received("100", "7", "ada"),
        ),
        envelope(
            "r2",
            "MESSAGE_RECEIVED",
            "2026-11-23T08:00:00Z",
            received("101", "7", "ada_renamed"),
        ),
        envelope(
            "r3",
            "MESSAGE_RECEIVED",
            "2026-11-24T09:00:00Z",
            received("102", "8", "bob"),
        ),
        // Post 100 analysed twice: the later analysis wins.
        envelope(
            "a1",
            "MESSAGE_ANALYSED",
            "2026-11-23T07:00:01Z",
            analysed("100", "NEGATIVE"),
        ),
        envelope(
            "a2",
            "MESSAGE_ANALYSED",
            "2026-11-23T07:00:09Z",
            analysed("100", "POSITIVE"),
        ),
        envelope(
            "s1",
            "TWEET_SENT",
            "2026-11-23T07:00:03Z",
            json!({"ReplyToTweetId": "100", "TweetId": "900", "IdempotencyKey": "k"}),
        ),
        envelope(
            "h1",
            "REPLY_SUPPRESSED",
            "2026-11-23T08:00:01Z",
            json!({"Reason": "cooldown", "TweetId": "101", "UserId": "7", "Author": "ada_renamed", "Detail": "d"}),
        ),
        // X redelivered a raw post: a new event id, the same X id.
        envelope(
            "t1",
            "TWITTER_TWEETED",
            "2026-11-23T07:00:00Z",
            json!({"id_str": "100", "text": "hi"}),
        ),
        envelope(
            "t2",
            "TWITTER_TWEETED",
            "2026-11-23T07:00:02Z",
            json!({"id_str": "100", "text": "hi"}),
        ),
    ];
    for e in &events {
        writer.append(e).unwrap();
    }
    writer.close().unwrap();
}

#[test]
fn a_lake_with_duplicates_gives_one_row_per_event_post_and_author() {
    let dir = tempfile::tempdir().unwrap();
    lake_with_duplicates(dir.path());
    let engine = LakeEngine::open(dir.path(), &embedded_tables().unwrap()).unwrap();
    assert_silver(&engine);
}

/// What the silver tables of [`lake_with_duplicates`] hold, whether views over bronze or Parquet.
fn assert_silver(engine: &LakeEngine) {
    // Bronze keeps every copy.
    assert_eq!(rows(engine, "SELECT count(*) AS n FROM events")[0]["n"], 11);
    // events_silver: every event once (r1 once, t1/t2 once).
    let silver = rows(engine, "SELECT id FROM events_silver ORDER BY id");
    let ids: Vec<&str> = silver.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a1", "a2", "h1", "r1", "r1b", "r2", "r3", "s1", "t1"]);

    // posts: one row per post, the first arrival, the latest analysis, what the bot did.
    let posts = rows(
        engine,
        "SELECT post_id, author, way_in, sentiment, reply_id, not_replied_because, \
         reply_latency_seconds, dt FROM posts ORDER BY post_id",
    );
    assert_eq!(posts.len(), 3, "{posts:?}");
    assert_eq!(posts[0]["post_id"], "100");
    assert_eq!(
        posts[0]["sentiment"], "POSITIVE",
        "the latest analysis wins"
    );
    assert_eq!(posts[0]["reply_id"], "900");
    assert_eq!(
        posts[0]["reply_latency_seconds"], 3.0,
        "from its first arrival"
    );
    assert_eq!(posts[0]["way_in"], "mentions");
    assert_eq!(posts[1]["not_replied_because"], "cooldown");
    assert_eq!(posts[1]["reply_id"], Value::Null);
    assert_eq!(posts[2]["dt"], "2026-11-24");

    // users: one row per author, their latest handle.
    let users = rows(
        engine,
        "SELECT author_id, latest_handle, posts FROM users ORDER BY author_id",
    );
    assert_eq!(
        users,
        [
            json!({"author_id": "7", "latest_handle": "ada_renamed", "posts": 2}),
            json!({"author_id": "8", "latest_handle": "bob", "posts": 1}),
        ]
    );
}

fn compact(dir: &Path, since: Option<&str>) -> starling_lake::CompactReport {
    let since = since.map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
    starling_lake::compact(dir, &embedded_tables().unwrap(), since, |_| {}).unwrap()
}

/// Every Parquet file of the silver layer, by its path below `silver/<table>/<generation>/`.
fn parquet_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for table in ["events_silver", "posts", "users"] {
        let generation = starling_lake::silver::current_generation(dir, table).unwrap();
        for file in starling_lake::writer::files_under(&generation).unwrap() {
            let rel = file
                .strip_prefix(&generation)
                .unwrap()
                .display()
                .to_string();
            out.insert(format!("{table}/{rel}"), std::fs::read(&file).unwrap());
        }
    }
    out
}

#[test]
fn compaction_writes_the_same_rows_as_parquet_one_file_per_day() {
    let dir = tempfile::tempdir().unwrap();
    lake_with_duplicates(dir.path());
    let report = compact(dir.path(), None);
    assert_eq!(report.bronze_events, 11);
    assert_eq!(
        report.tables,
        [
            ("events_silver".to_string(), 9, 2, 0),
            ("posts".to_string(), 3, 2, 0),
            ("users".to_string(), 2, 1, 0)
        ]
    );
    let files = parquet_files(dir.path());
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "events_silver/dt=2026-11-23/data.parquet",
            "events_silver/dt=2026-11-24/data.parquet",
            "posts/dt=2026-11-23/data.parquet",
            "posts/dt=2026-11-24/data.parquet",
            "users/data.parquet"
        ]
    );
    for (name, bytes) in &files {
        assert!(
            bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"),
            "{name} is Parquet"
        );
    }
    // The views now read the Parquet, and answer as the SQL over bronze did.
    let engine = LakeEngine::open(dir.path(), &embedded_tables().unwrap()).unwrap();
    let plan = rows(
        &engine,
        "SELECT sql FROM duckdb_views() WHERE view_name = 'posts'",
    );
    assert!(
        plan[0]["sql"].as_str().unwrap().contains("read_parquet"),
        "{plan:?}"
    );
    assert_silver(&engine);

    // Idempotent: a second run over the same bronze writes byte-identical files.
    compact(dir.path(), None);
    assert_eq!(parquet_files(dir.path()), files);
}

#[test]
fn a_crash_mid_compaction_leaves_the_previous_silver_and_the_next_run_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    lake_with_duplicates(dir.path());
    compact(dir.path(), None);
    let before = parquet_files(dir.path());
    // What a kill between writing a generation and publishing it leaves: a half generation.
    let posts = dir.path().join("silver/posts");
    let half = posts.join("gen-20261207T000000.000Z-deadbeef");
    std::fs::create_dir_all(half.join("dt=2026-11-23")).unwrap();
    std::fs::write(half.join("dt=2026-11-23/data.parquet"), b"PAR1 torn").unwrap();
    std::fs::write(
        posts.join(".CURRENT.tmp"),
        "gen-20261207T000000.000Z-deadbeef",
    )
    .unwrap();
    let engine = LakeEngine::open(dir.path(), &embedded_tables().unwrap()).unwrap();
    assert_silver(&engine);
    assert_eq!(parquet_files(dir.path()), before);
    compact(dir.path(), None);
    assert!(
        !half.exists(),
        "the next compaction removes the half generation"
    );
    assert_eq!(parquet_files(dir.path()), before);
}

#[test]
fn since_rewrites_the_days_from_it_and_keeps_the_earlier_files() {
    let dir = tempfile::tempdir().unwrap();
    lake_with_duplicates(dir.path());
    compact(dir.path(), None);
    let first = parquet_files(dir.path());
    let old_day = starling_lake::silver::current_generation(dir.path(), "posts")
        .unwrap()
        .join("dt=2026-11-23/data.parquet");
    let report = compact(dir.path(), Some("2026-11-24"));
    assert_eq!(report.tables[1], ("posts".to_string(), 3, 1, 1));
    let new_day = starling_lake::silver::current_generation(dir.path(), "posts")
        .unwrap()
        .join("dt=2026-11-23/data.parquet");
    assert_ne!(old_day, new_day, "a new generation");
    assert!(!old_day.exists(), "the old generation is gone");
    assert_eq!(parquet_files(dir.path()), first, "the same rows either way");
    let engine = LakeEngine::open(dir.path(), &embedded_tables().unwrap()).unwrap();
    assert_silver(&engine);
}

#[test]
fn an_empty_lake_compacts_to_empty_tables() {
    let dir = tempfile::tempdir().unwrap();
    let report = compact(dir.path(), None);
    assert_eq!(report.bronze_events, 0);
    assert!(report.tables.iter().all(|(_, rows, _, _)| *rows == 0));
    let engine = LakeEngine::open(dir.path(), &embedded_tables().unwrap()).unwrap();
    assert_eq!(rows(&engine, "SELECT count(*) AS n FROM posts")[0]["n"], 0);
}

#[test]
fn the_glue_columns_of_athena_silver_tables_json_are_the_columns_the_sql_gives() {
    // `athena/silver/tables.json` is what the CDK app makes the Glue tables from; the SQL is what
    // both engines run. The partition column `dt` is the directory, not a column of the files.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../athena/silver/tables.json"
    );
    let glue: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    lake_with_duplicates(dir.path());
    for compacted in [false, true] {
        if compacted {
            compact(dir.path(), None);
        }
        let engine = LakeEngine::open(dir.path(), &embedded_tables().unwrap()).unwrap();
        for table in starling_lake::SILVER_TABLES {
            let entry = glue
                .iter()
                .find(|t| t["name"] == table.name)
                .unwrap_or_else(|| panic!("{} is not in tables.json", table.name));
            assert_eq!(entry["partitionedByDay"], table.by_day, "{}", table.name);
            let want: Vec<&str> = entry["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            let described = rows(&engine, &format!("DESCRIBE \"{}\"", table.name));
            let got: Vec<&str> = described
                .iter()
                .map(|r| r["column_name"].as_str().unwrap())
                .filter(|c| *c != "dt")
                .collect();
            assert_eq!(got, want, "{} (compacted: {compacted})", table.name);
        }
    }
}
