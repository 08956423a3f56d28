//! The silver tables over a bronze lake with the duplicates an at-least-once lake holds: the
//! same event written twice, the same post analysed twice (the latest analysis wins), a raw X
//! activity redelivered under a new event id, and the same post received twice.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

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

#[test]
fn a_lake_with_duplicates_gives_one_row_per_event_post_and_author() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, _) = LakeWriter::open(dir.path(), LakeConfig::default()).unwrap();
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
    let engine = LakeEngine::open(dir.path(), &embedded_tables().unwrap()).unwrap();

    // Bronze keeps every copy.
    assert_eq!(
        rows(&engine, "SELECT count(*) AS n FROM events")[0]["n"],
        11
    );
    // events_silver: every event once (r1 once, t1/t2 once).
    let silver = rows(&engine, "SELECT id FROM events_silver ORDER BY id");
    let ids: Vec<&str> = silver.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a1", "a2", "h1", "r1", "r1b", "r2", "r3", "s1", "t1"]);

    // posts: one row per post, the first arrival, the latest analysis, what the bot did.
    let posts = rows(
        &engine,
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
        &engine,
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
