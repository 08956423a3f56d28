//! The latest messages as the dashboard shows them: each MESSAGE_RECEIVED with what became of it —
//! its analysis (or why it failed), and the bot's reply (sent, failed, held back, pending) with
//! the annotated images — joined by the post's id from the events that followed it.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;
use starling_bus::StoredEvent;

/// The detail-types that say what became of a message.
pub const FOLLOW_UPS: [&str; 6] = [
    "MESSAGE_ANALYSED",
    "MESSAGE_ANALYSIS_FAILED",
    "SEND_TWEET",
    "TWEET_SENT",
    "TWEET_FAILED",
    "REPLY_SUPPRESSED",
];

/// One message and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// X's id of the post.
    pub tweet_id: String,
    /// The author's handle.
    pub author: String,
    /// The author's X user id.
    pub user_id: String,
    /// The post's text.
    pub text: String,
    /// The language X or the analysis gave it.
    pub language: Option<String>,
    /// The way in (webhook, stream, mentions, search).
    pub source: Option<String>,
    /// When it was posted.
    pub created_at: Option<String>,
    /// When the bus accepted it.
    pub received_at: String,
    /// `analysed`, `failed` or `pending`.
    pub analysis: &'static str,
    /// The failed stage and its cause.
    pub analysis_error: Option<String>,
    /// Who analysed it.
    pub provider: Option<String>,
    /// POSITIVE, NEGATIVE, NEUTRAL or MIXED.
    pub sentiment: Option<String>,
    /// The sentiment scores.
    pub scores: Option<Scores>,
    /// Image labels, across the post's images.
    pub labels: Vec<String>,
    /// Faces found: celebrities with their names, the others without.
    pub faces: Vec<Face>,
    /// What the bot answered.
    pub reply: Reply,
}

/// Sentiment scores, 0–1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    /// Positive.
    pub positive: f64,
    /// Negative.
    pub negative: f64,
    /// Neutral.
    pub neutral: f64,
    /// Mixed.
    pub mixed: f64,
}

/// A face in one of the post's images.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Face {
    /// The person, when recognised.
    pub name: Option<String>,
    /// Confidence in percent (of the match for a named face, of the detection otherwise).
    pub confidence: f64,
}

/// The bot's reply to a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// `sent`, `failed`, `suppressed`, `pending` (composed, not yet posted or recorded) or
    /// `none` (nothing asked for one yet).
    pub status: &'static str,
    /// The reply's text.
    pub text: Option<String>,
    /// The posted reply's id (an outbox id locally).
    pub reply_tweet_id: Option<String>,
    /// The attached images, as dashboard URLs.
    pub images: Vec<String>,
    /// Why it was held back (a REPLY_SUPPRESSED reason), or the failure.
    pub reason: Option<String>,
    /// More about the reason.
    pub detail: Option<String>,
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn number(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_default()
}

/// The post a follow-up is about.
fn subject(e: &StoredEvent) -> Option<String> {
    let d = &e.envelope.detail;
    match e.envelope.detail_type.as_str() {
        "MESSAGE_ANALYSED" | "MESSAGE_ANALYSIS_FAILED" => text(d, "/Twitter/TweetId"),
        "SEND_TWEET" | "TWEET_SENT" | "TWEET_FAILED" => text(d, "/ReplyToTweetId"),
        "REPLY_SUPPRESSED" => text(d, "/TweetId"),
        _ => None,
    }
}

/// Joins `received` (MESSAGE_RECEIVED, newest first) with `follow_ups` (any of
/// [`FOLLOW_UPS`], newest first): for each kind of follow-up the newest one counts.
pub fn assemble(received: &[StoredEvent], follow_ups: &[StoredEvent]) -> Vec<MessageView> {
    let mut about: HashMap<String, HashMap<&str, &StoredEvent>> = HashMap::new();
    for e in follow_ups {
        if let Some(id) = subject(e) {
            about
                .entry(id)
                .or_default()
                .entry(e.envelope.detail_type.as_str())
                .or_insert(e);
        }
    }
    received
        .iter()
        .map(|r| {
            let d = &r.envelope.detail;
            let tweet_id = text(d, "/Twitter/TweetId").unwrap_or_default();
            let found = about.get(&tweet_id);
            let get = |t: &str| found.and_then(|m| m.get(t)).map(|e| &e.envelope.detail);
            view(r, tweet_id.clone(), &get)
        })
        .collect()
}

fn view<'a>(
    r: &StoredEvent,
    tweet_id: String,
    get: &dyn Fn(&str) -> Option<&'a Value>,
) -> MessageView {
    let d = &r.envelope.detail;
    let mut out = MessageView {
        tweet_id,
        author: text(d, "/Author").unwrap_or_default(),
        user_id: text(d, "/Twitter/UserId").unwrap_or_default(),
        text: text(d, "/Text").unwrap_or_default(),
        language: text(d, "/Lang"),
        source: text(d, "/Source"),
        created_at: text(d, "/CreatedAt"),
        received_at: r.put_at.to_rfc3339(),
        analysis: "pending",
        analysis_error: None,
        provider: None,
        sentiment: None,
        scores: None,
        labels: Vec::new(),
        faces: Vec::new(),
        reply: Reply {
            status: "none",
            text: None,
            reply_tweet_id: None,
            images: Vec::new(),
            reason: None,
            detail: None,
        },
    };
    if let Some(a) = get("MESSAGE_ANALYSED") {
        let analysis = a.get("Analysis").unwrap_or(&Value::Null);
        out.analysis = "analysed";
        out.provider = text(analysis, "/Provider");
        out.sentiment = text(analysis, "/TextSentiment");
        out.language = text(analysis, "/Language").or(out.language);
        out.scores = analysis.get("SentimentScore").map(|s| Scores {
            positive: number(s, "/Positive"),
            negative: number(s, "/Negative"),
            neutral: number(s, "/Neutral"),
            mixed: number(s, "/Mixed"),
        });
        for image in analysis
            .get("Images")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let found = image.get("Analysis").unwrap_or(&Value::Null);
            let list = |key: &str| {
                found
                    .get(key)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            for label in list("Labels") {
                if let Some(name) = text(&label, "/Name")
                    && !out.labels.contains(&name)
                {
                    out.labels.push(name);
                }
            }
            for celebrity in list("CelebrityFaces") {
                out.faces.push(Face {
                    name: text(&celebrity, "/Name"),
                    confidence: number(&celebrity, "/MatchConfidence"),
                });
            }
            for face in list("UnrecognizedFaces") {
                out.faces.push(Face {
                    name: None,
                    confidence: number(&face, "/Confidence"),
                });
            }
        }
    } else if let Some(f) = get("MESSAGE_ANALYSIS_FAILED") {
        out.analysis = "failed";
        out.analysis_error = Some(format!(
            "{}: {}",
            text(f, "/Error/Stage").unwrap_or_default(),
            text(f, "/Error/Cause").unwrap_or_default()
        ));
    }
    let reply = &mut out.reply;
    if let Some(s) = get("SEND_TWEET") {
        reply.status = "pending";
        reply.text = text(s, "/Text");
        reply.images = s
            .get("ImageKeys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|k| format!("/api/media/{k}"))
            .collect();
    }
    if let Some(s) = get("TWEET_SENT") {
        reply.status = "sent";
        reply.reply_tweet_id = text(s, "/TweetId");
    } else if let Some(f) = get("TWEET_FAILED") {
        reply.status = "failed";
        reply.reason = text(f, "/Error");
    } else if let Some(s) = get("REPLY_SUPPRESSED") {
        reply.status = "suppressed";
        reply.reason = text(s, "/Reason");
        reply.detail = text(s, "/Detail");
        reply.text = reply.text.take().or_else(|| text(s, "/Text"));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;
    use starling_contracts::Envelope;

    use super::*;

    fn stored(seq: i64, detail_type: &str, detail: Value) -> StoredEvent {
        let envelope: Envelope = serde_json::from_value(json!({
            "version": "0", "id": format!("e{seq}"), "detail-type": detail_type, "source": "test",
            "account": "0", "time": "2026-12-07T10:00:00Z", "region": "local", "resources": [],
            "detail": detail
        }))
        .unwrap();
        StoredEvent {
            seq,
            put_at: chrono::Utc::now(),
            envelope,
        }
    }

    fn received(seq: i64, id: &str) -> StoredEvent {
        stored(
            seq,
            "MESSAGE_RECEIVED",
            json!({"Author": "ada", "Text": "hi", "Lang": "en", "Source": "webhook",
                   "Twitter": {"TweetId": id, "UserId": "7"}}),
        )
    }

    #[test]
    fn each_message_gets_its_own_analysis_and_reply() {
        let messages = [received(5, "2"), received(1, "1")];
        let follow_ups = [
            stored(
                9,
                "TWEET_SENT",
                json!({"ReplyToTweetId": "1", "TweetId": "r1"}),
            ),
            stored(
                8,
                "REPLY_SUPPRESSED",
                json!({"TweetId": "2", "Reason": "cooldown", "Detail": "wait"}),
            ),
            stored(
                7,
                "MESSAGE_ANALYSED",
                json!({"Twitter": {"TweetId": "2"}, "Analysis": {
                "TextSentiment": "NEGATIVE", "Language": "en", "Provider": "p",
                "SentimentScore": {"Positive": 0.1, "Negative": 0.8, "Neutral": 0.1, "Mixed": 0.0},
                "Images": [{"Analysis": {"Labels": [{"Name": "Bird"}, {"Name": "Bird"}],
                    "CelebrityFaces": [{"Name": "Ada Lovelace", "MatchConfidence": 99.5}],
                    "UnrecognizedFaces": [{"Confidence": 97.0}]}}]}}),
            ),
            stored(
                4,
                "SEND_TWEET",
                json!({"ReplyToTweetId": "1", "Text": "a joke",
                "ImageKeys": ["annotated/1/0.jpg"]}),
            ),
            stored(
                3,
                "MESSAGE_ANALYSIS_FAILED",
                json!({"Twitter": {"TweetId": "1"},
                "Error": {"Stage": "analyse-text", "Cause": "throttled"}}),
            ),
        ];
        let views = assemble(&messages, &follow_ups);
        assert_eq!(views.len(), 2);
        let (two, one) = (&views[0], &views[1]);
        assert_eq!(two.tweet_id, "2");
        assert_eq!(two.analysis, "analysed");
        assert_eq!(two.sentiment.as_deref(), Some("NEGATIVE"));
        assert_eq!(two.scores.as_ref().unwrap().negative, 0.8);
        assert_eq!(two.labels, ["Bird"], "labels once each");
        assert_eq!(two.faces.len(), 2);
        assert_eq!(two.faces[0].name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(two.faces[1].name, None);
        assert_eq!(two.reply.status, "suppressed");
        assert_eq!(two.reply.reason.as_deref(), Some("cooldown"));

        assert_eq!(one.analysis, "failed");
        assert_eq!(
            one.analysis_error.as_deref(),
            Some("analyse-text: throttled")
        );
        assert_eq!(one.reply.status, "sent");
        assert_eq!(one.reply.text.as_deref(), Some("a joke"));
        assert_eq!(one.reply.reply_tweet_id.as_deref(), Some("r1"));
        assert_eq!(one.reply.images, ["/api/media/annotated/1/0.jpg"]);
    }

    #[test]
    fn a_message_nothing_followed_yet_is_pending_with_no_reply() {
        let views = assemble(&[received(1, "1")], &[]);
        assert_eq!(
            (views[0].analysis, views[0].reply.status),
            ("pending", "none")
        );
    }
}
