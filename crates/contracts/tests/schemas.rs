//! The checked-in schemas match the types, and sample events validate against them.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;

use serde_json::Value;
use starling_contracts::{
    Envelope, MessageAnalysed, MessageAnalysisFailed, MessageReceived, ModerationFlagged,
    ReplySuppressed, RepostSuppressed, Reposted, SendTweet, TweetFailed, TweetSent, schema,
};

fn schemas_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

/// Regenerate with `STARLING_WRITE_SCHEMAS=1 cargo test -p starling-contracts --test schemas`.
#[test]
fn checked_in_schemas_equal_the_generated_ones() {
    let write = std::env::var_os("STARLING_WRITE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, schema) in schema::all() {
        let path = schemas_dir().join(&name);
        let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if write {
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(on_disk) if on_disk == generated => {}
            _ => stale.push(name),
        }
    }
    assert!(
        stale.is_empty(),
        "schemas/ differs from the types for {stale:?}; regenerate with STARLING_WRITE_SCHEMAS=1 cargo test -p starling-contracts --test schemas"
    );
}

#[test]
fn no_schema_file_exists_without_a_type() {
    let known: Vec<String> = schema::all().into_iter().map(|(n, _)| n).collect();
    for entry in std::fs::read_dir(schemas_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".schema.json") {
            assert!(
                known.contains(&name),
                "schemas/{name} has no Rust type behind it"
            );
        }
    }
}

fn validate(event: &Value) -> Result<(), String> {
    let env_validator = jsonschema::validator_for(
        &schema::all()
            .into_iter()
            .find(|(n, _)| n == "envelope.schema.json")
            .unwrap()
            .1,
    )
    .map_err(|e| e.to_string())?;
    env_validator
        .validate(event)
        .map_err(|e| format!("envelope: {e}"))?;
    let dt = event["detail-type"].as_str().ok_or("no detail-type")?;
    let schema = schema::for_detail_type(dt).ok_or_else(|| format!("no schema for {dt}"))?;
    let validator = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
    validator
        .validate(&event["detail"])
        .map_err(|e| format!("{dt}: {e}"))
}

#[test]
fn sample_events_validate_against_their_schemas_and_parse_as_the_types() {
    for name in [
        "message_received.json",
        "message_analysed.json",
        "message_analysis_failed.json",
        "send_tweet.json",
        "tweet_sent.json",
        "tweet_failed.json",
        "reply_suppressed.json",
        "moderation_flagged.json",
        "reposted.json",
        "repost_suppressed.json",
    ] {
        let event = fixture(name);
        validate(&event).unwrap_or_else(|e| panic!("{name}: {e}"));
        let env: Envelope = serde_json::from_value(event.clone()).unwrap();
        let parsed = match env.detail_type.as_str() {
            "MESSAGE_RECEIVED" => env
                .detail_as::<MessageReceived>()
                .map(|d| serde_json::to_value(d).unwrap()),
            "MESSAGE_ANALYSED" => env
                .detail_as::<MessageAnalysed>()
                .map(|d| serde_json::to_value(d).unwrap()),
            "MESSAGE_ANALYSIS_FAILED" => env
                .detail_as::<MessageAnalysisFailed>()
                .map(|d| serde_json::to_value(d).unwrap()),
            "SEND_TWEET" => env
                .detail_as::<SendTweet>()
                .map(|d| serde_json::to_value(d).unwrap()),
            "TWEET_SENT" => env
                .detail_as::<TweetSent>()
                .map(|d| serde_json::to_value(d).unwrap()),
            "TWEET_FAILED" => env
                .detail_as::<TweetFailed>()
                .map(|d| serde_json::to_value(d).unwrap()),
            "REPLY_SUPPRESSED" => env
                .detail_as::<ReplySuppressed>()
                .map(|d| serde_json::to_value(d).unwrap()),
            "MODERATION_FLAGGED" => env
                .detail_as::<ModerationFlagged>()
                .map(|d| serde_json::to_value(d).unwrap()),
            "REPOSTED" => env
                .detail_as::<Reposted>()
                .map(|d| serde_json::to_value(d).unwrap()),
            "REPOST_SUPPRESSED" => env
                .detail_as::<RepostSuppressed>()
                .map(|d| serde_json::to_value(d).unwrap()),
            other => panic!("unexpected {other}"),
        }
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        // A round trip through the types loses nothing the sample carried.
        assert_eq!(
            parsed, event["detail"],
            "{name} changed in a round trip through its type"
        );
    }
}

#[test]
fn an_invalid_detail_is_rejected_by_the_schema() {
    let err = validate(&fixture("message_received_missing_twitter.json")).unwrap_err();
    assert!(err.starts_with("MESSAGE_RECEIVED"), "{err}");
}

#[test]
fn every_raw_twitter_kind_and_unknown_has_a_schema() {
    for kind in starling_contracts::detail_type::TWITTER_KINDS {
        assert!(schema::for_detail_type(kind).is_some(), "{kind}");
    }
    let unknown = schema::for_detail_type("TWITTER_UNKNOWN").unwrap();
    let v = jsonschema::validator_for(&unknown).unwrap();
    assert!(v.is_valid(&serde_json::json!({"Key": "spaces_events", "Payload": [1]})));
    assert!(!v.is_valid(&serde_json::json!({"Payload": [1]})));
}
