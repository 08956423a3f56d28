//! The local data lake: events per second appended by the lake writer (each synced to disk before
//! it returns, as the `lake` route acknowledges them; and unsynced, to show what the sync costs),
//! and every query in `athena/` over a generated lake of 100,000 events (tables opened and the
//! query run, as one `starling query` does).
//!
//! `cargo bench -p starling-local --bench lake`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use starling_lake::{Framed, LakeConfig, LakeEngine, LakeWriter, embedded_tables};

/// Events in the generated lake the queries run over.
const LAKE_EVENTS: usize = 100_000;

fn envelope(n: usize, detail_type: &str, source: &str, detail: Value) -> Vec<u8> {
    // Spread over ten days, every hour.
    let time = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
        + chrono::Duration::seconds((n as i64 * 8_640) % (10 * 86_400) + n as i64 % 60);
    serde_json::to_vec(&json!({
        "version": "0", "id": format!("{n:08}-bench"), "detail-type": detail_type, "source": source,
        "account": "000000000000", "time": time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "region": "local", "resources": [format!("{}", 1_900_000_000_000_000_000u64 + n as u64)], "detail": detail
    }))
    .unwrap()
}

fn tweet_id(n: usize) -> String {
    format!("{}", 1_900_000_000_000_000_000u64 + n as u64)
}

const SENTIMENTS: [&str; 4] = ["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"];
const LANGUAGES: [&str; 3] = ["en", "es", "de"];
const LABELS: [&str; 6] = ["Person", "Dog", "Text", "Beach", "Car", "Portrait"];
const PEOPLE: [&str; 3] = ["Grace Hopper", "Ada Lovelace", "Alan Turing"];

fn received(n: usize) -> Value {
    json!({"Text": format!("message {n} about London and the weather"), "Author": format!("user{}", n % 500),
           "Lang": LANGUAGES[n % 3], "ImageUrls": [], "Media": [], "Twitter": {"TweetId": tweet_id(n), "UserId": "7"}})
}

fn analysed(n: usize) -> Value {
    let mut detail = received(n);
    let images: Vec<Value> = (0..(n % 3))
        .map(|i| {
            json!({"Key": format!("media/{n}/{i}.jpg"), "Analysis": {
                "Labels": [{"Name": LABELS[(n + i) % 6], "Confidence": 90.5}, {"Name": LABELS[(n + i + 1) % 6], "Confidence": 75.0}],
                "TextDetections": if (n + i) % 6 == 2 { json!([{"DetectedText": "SALE", "Type": "LINE", "Id": 0, "Confidence": 98.0}]) } else { json!([]) },
                "CelebrityFaces": if n.is_multiple_of(7) { json!([{"Name": PEOPLE[n % 3], "Id": "x", "MatchConfidence": 99.0,
                    "Face": {"BoundingBox": {"Width": 0.2, "Height": 0.2, "Left": 0.1, "Top": 0.1}, "Confidence": 99.0,
                             "Emotions": [{"Type": "HAPPY", "Confidence": 90.0}]}}]) } else { json!([]) },
                "UnrecognizedFaces": [], "Provider": "bench"}})
        })
        .collect();
    detail["Analysis"] = json!({
        "Language": LANGUAGES[n % 3], "TextSentiment": SENTIMENTS[n % 4],
        "SentimentScore": {"Positive": 0.4, "Negative": 0.3, "Neutral": 0.2, "Mixed": 0.1},
        "TextEntities": [{"Score": 0.9, "Type": "LOCATION", "Text": "London", "BeginOffset": 0, "EndOffset": 6},
                         {"Score": 0.8, "Type": "PERSON", "Text": PEOPLE[n % 3], "BeginOffset": 7, "EndOffset": 12}],
        "KeyPhrases": [{"Score": 0.9, "Text": "the weather", "BeginOffset": 0, "EndOffset": 11}],
        "Images": images, "Provider": "bench"});
    detail
}

/// A lake of `LAKE_EVENTS` events: per message, TWITTER_TWEETED, MESSAGE_RECEIVED, then
/// MESSAGE_ANALYSED (one in 50 MESSAGE_ANALYSIS_FAILED), SEND_TWEET and TWEET_SENT.
fn generate(root: &Path) {
    let config = LakeConfig {
        sync: false,
        ..LakeConfig::default()
    };
    let (writer, _) = LakeWriter::open(root, config).unwrap();
    let mut written = 0;
    let mut n = 0;
    while written < LAKE_EVENTS {
        let id = tweet_id(n);
        let events = [
            envelope(
                n,
                "TWITTER_TWEETED",
                "starling.twitter",
                json!({"id_str": id, "text": "raw"}),
            ),
            envelope(n, "MESSAGE_RECEIVED", "starling.twitter", received(n)),
            if n % 50 == 0 {
                let mut d = received(n);
                d["Error"] = json!({"Stage": "download-media", "Cause": "timeout"});
                envelope(n, "MESSAGE_ANALYSIS_FAILED", "starling.analysis", d)
            } else {
                envelope(n, "MESSAGE_ANALYSED", "starling.analysis", analysed(n))
            },
            envelope(
                n,
                "SEND_TWEET",
                "starling.responding",
                json!({"Text": "hi", "ReplyToTweetId": id, "ReplyToUserId": "7", "IdempotencyKey": format!("k{n}")}),
            ),
            envelope(
                n + 1,
                "TWEET_SENT",
                "starling.egress",
                json!({"ReplyToTweetId": id, "TweetId": format!("9{n}"), "IdempotencyKey": format!("k{n}")}),
            ),
        ];
        for e in events.iter().take(LAKE_EVENTS - written) {
            writer.append(e).unwrap();
            written += 1;
        }
        n += 1;
    }
    writer.close().unwrap();
}

fn writer_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("lake writer");
    let event = envelope(1, "MESSAGE_ANALYSED", "starling.analysis", analysed(1));
    group.throughput(Throughput::Elements(100));
    for sync in [true, false] {
        let name = if sync {
            "append 100 events, each synced (as delivered)"
        } else {
            "append 100 events, unsynced"
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let config = LakeConfig {
                        sync,
                        ..LakeConfig::default()
                    };
                    let (writer, _) = LakeWriter::open(dir.path(), config).unwrap();
                    (dir, writer)
                },
                |(dir, writer)| {
                    for _ in 0..100 {
                        writer.append(&event).unwrap();
                    }
                    (dir, writer)
                },
                BatchSize::PerIteration,
            );
        });
    }
    // Group commit, as the `lake` route delivers events waiting together: one sync per batch.
    let parsed: starling_contracts::Envelope = serde_json::from_slice(&event).unwrap();
    group.bench_function("append 100 events as one group commit, synced once", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let (writer, _) = LakeWriter::open(dir.path(), LakeConfig::default()).unwrap();
                (dir, writer, vec![parsed.clone(); 100])
            },
            |(dir, writer, events)| {
                // Framed here, as the lake target frames each delivery before the write.
                let framed: Vec<Framed> =
                    events.iter().map(|e| Framed::event(e).unwrap()).collect();
                writer.append_framed_all(framed).unwrap();
                (dir, writer)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn queries(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    generate(dir.path());
    eprintln!(
        "generated a lake of {LAKE_EVENTS} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let tables = embedded_tables().unwrap();
    let athena = concat!(env!("CARGO_MANIFEST_DIR"), "/../../athena");
    let mut files: Vec<_> = std::fs::read_dir(athena)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut group = c.benchmark_group("athena query over 100,000 events");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.warm_up_time(Duration::from_secs(1));
    for file in files {
        let sql = std::fs::read_to_string(&file).unwrap();
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let rows = LakeEngine::open(dir.path(), &tables)
            .unwrap()
            .query(&sql)
            .unwrap()
            .rows
            .len();
        eprintln!("{name}: {rows} rows");
        group.bench_function(name, |b| {
            b.iter(|| {
                LakeEngine::open(dir.path(), &tables)
                    .unwrap()
                    .query(&sql)
                    .unwrap()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, writer_throughput, queries);
criterion_main!(benches);
