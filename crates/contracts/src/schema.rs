//! JSON Schemas for every detail-type, generated from the types (checked in under `schemas/`).

use schemars::{JsonSchema, schema_for};
use serde_json::{Value, json};

use crate::{
    Envelope, MessageAnalysed, MessageAnalysisFailed, MessageReceived, ModerationFlagged,
    ReplySuppressed, RepostSuppressed, Reposted, SendTweet, TweetFailed, TweetSent,
    UnknownActivity, detail_type,
};

/// Every schema file Starling publishes: `(file name, schema)`, in a stable order.
pub fn all() -> Vec<(String, Value)> {
    let mut out = vec![
        (
            "envelope.schema.json".to_string(),
            to_value(schema_for!(Envelope<Value>)),
        ),
        file::<MessageReceived>(detail_type::MESSAGE_RECEIVED),
        file::<MessageAnalysed>(detail_type::MESSAGE_ANALYSED),
        file::<MessageAnalysisFailed>(detail_type::MESSAGE_ANALYSIS_FAILED),
        file::<SendTweet>(detail_type::SEND_TWEET),
        file::<TweetSent>(detail_type::TWEET_SENT),
        file::<TweetFailed>(detail_type::TWEET_FAILED),
        file::<ReplySuppressed>(detail_type::REPLY_SUPPRESSED),
        file::<ModerationFlagged>(detail_type::MODERATION_FLAGGED),
        file::<Reposted>(detail_type::REPOSTED),
        file::<RepostSuppressed>(detail_type::REPOST_SUPPRESSED),
        file::<UnknownActivity>(detail_type::TWITTER_UNKNOWN),
    ];
    for kind in detail_type::TWITTER_KINDS {
        out.push((
            format!("{kind}.schema.json"),
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": kind,
                "description": "The raw X activity item, exactly as X delivered it.",
                "type": "object"
            }),
        ));
    }
    out
}

/// The schema for one detail-type, if Starling defines it.
pub fn for_detail_type(detail_type: &str) -> Option<Value> {
    let name = format!("{detail_type}.schema.json");
    all().into_iter().find(|(n, _)| *n == name).map(|(_, s)| s)
}

fn file<T: JsonSchema>(detail_type: &str) -> (String, Value) {
    let mut schema = to_value(schema_for!(T));
    if let Some(obj) = schema.as_object_mut() {
        obj.insert("title".into(), Value::String(detail_type.into()));
    }
    (format!("{detail_type}.schema.json"), schema)
}

fn to_value(schema: schemars::Schema) -> Value {
    schema.to_value()
}
