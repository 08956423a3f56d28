//! The Lex V2 fulfilment code hook answers Joke, Fact and FallbackIntent events in Lex's response
//! shape, refuses malformed events, and reply-text turns the bot's answer into SEND_TWEET.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Value, json};
use starling_contracts::{Analysis, MessageAnalysed, MessageReceived, SendTweet, TwitterRef};
use starling_core::ports::{ChatBot, ChatBotError};
use starling_core::responding::bot::BotDefinition;
use starling_core::responding::fulfilment::{Fulfilment, FulfilmentError};
use starling_core::responding::reply_text::ReplyText;

const BOT_JSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../bot/starling-bot.json"
));
const JOKES_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bot/jokes.json"));
const FACTS_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bot/facts.json"));

fn fulfilment() -> Fulfilment {
    Fulfilment::with_definition(BotDefinition::load(BOT_JSON).unwrap()).unwrap()
}

/// A Lex V2 event as Lex sends it to a fulfilment code hook (trimmed to realistic fields).
fn lex_event(intent: &str, transcript: &str, session: &str) -> Value {
    json!({
        "messageVersion": "1.0",
        "invocationSource": "FulfillmentCodeHook",
        "inputMode": "Text",
        "responseContentType": "text/plain; charset=utf-8",
        "sessionId": session,
        "inputTranscript": transcript,
        "bot": {"id": "BOTID", "name": "StarlingBot", "aliasId": "TSTALIASID", "aliasName": "live", "localeId": "en_US", "version": "1"},
        "interpretations": [{"intent": {"name": intent, "slots": {}, "state": "ReadyForFulfillment", "confirmationState": "None"}, "nluConfidence": 0.91}],
        "proposedNextState": null,
        "requestAttributes": {},
        "sessionState": {
            "sessionAttributes": {"turns": "2"},
            "activeContexts": [],
            "intent": {"name": intent, "slots": {}, "state": "ReadyForFulfillment", "confirmationState": "None"},
            "originatingRequestId": "req-1"
        },
        "transcriptions": [{"transcription": transcript, "transcriptionConfidence": 1.0}]
    })
}

fn list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap()
}

/// Every field Lex requires of a Close response, and the message.
fn assert_lex_close(response: &Value, intent: &str) -> String {
    let state = &response["sessionState"];
    assert_eq!(state["dialogAction"]["type"], "Close", "{response}");
    assert_eq!(state["intent"]["name"], intent, "{response}");
    assert_eq!(state["intent"]["state"], "Fulfilled", "{response}");
    assert_eq!(
        state["sessionAttributes"],
        json!({"turns": "2"}),
        "echoed: {response}"
    );
    let messages = response["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{response}");
    assert_eq!(messages[0]["contentType"], "PlainText");
    let content = messages[0]["content"]
        .as_str()
        .expect("content")
        .to_string();
    assert!(!content.is_empty());
    content
}

#[test]
fn joke_events_are_answered_with_a_shipped_joke_in_lex_shape() {
    let f = fulfilment();
    let jokes = list(JOKES_JSON);
    assert!(jokes.len() >= 20);
    let r = f
        .handle(lex_event("Joke", "tell me a joke", "author-ada"))
        .unwrap();
    let joke = assert_lex_close(&r, "Joke");
    assert!(jokes.contains(&joke), "{joke}");
    // Deterministic for the same session and transcript…
    let again = f
        .handle(lex_event("Joke", "tell me a joke", "author-ada"))
        .unwrap();
    assert_eq!(assert_lex_close(&again, "Joke"), joke);
    // …and varied across them.
    let distinct: std::collections::HashSet<String> = (0..30)
        .map(|i| {
            assert_lex_close(
                &f.handle(lex_event("Joke", "joke please", &format!("author-u{i}")))
                    .unwrap(),
                "Joke",
            )
        })
        .collect();
    assert!(distinct.len() >= 5, "{distinct:?}");
}

#[test]
fn fact_events_are_answered_with_a_shipped_fact_in_lex_shape() {
    let facts = list(FACTS_JSON);
    assert!(facts.len() >= 20);
    let r = fulfilment()
        .handle(lex_event("Fact", "give me a fun fact", "author-bob"))
        .unwrap();
    let fact = assert_lex_close(&r, "Fact");
    assert!(facts.contains(&fact), "{fact}");
}

#[test]
fn fallback_and_unknown_intents_get_the_fallback_text() {
    let def = BotDefinition::load(BOT_JSON).unwrap();
    let f = fulfilment();
    let r = f
        .handle(lex_event("FallbackIntent", "asdf", "author-c"))
        .unwrap();
    assert_eq!(assert_lex_close(&r, "FallbackIntent"), def.fallback_text);
    let r = f
        .handle(lex_event("OrderPizza", "a pizza", "author-c"))
        .unwrap();
    assert_eq!(assert_lex_close(&r, "OrderPizza"), def.fallback_text);
}

#[test]
fn malformed_events_are_errors_not_panics() {
    let f = fulfilment();
    for bad in [
        json!(null),
        json!("Joke"),
        json!({}),
        json!({"sessionId": "s"}),
        json!({"sessionId": "s", "sessionState": {}}),
        json!({"sessionId": "s", "sessionState": {"intent": {"name": 5}}}),
        json!({"sessionId": "s", "sessionState": {"intent": {"name": ""}}}),
        json!({"sessionId": 7, "sessionState": {"intent": {"name": "Joke"}}}),
    ] {
        let err = f.handle(bad.clone()).unwrap_err();
        assert!(
            matches!(err, FulfilmentError::MalformedEvent(_)),
            "{bad}: {err}"
        );
    }
    // A minimal event is enough: no transcript, no attributes.
    let ok = f
        .handle(json!({"sessionId": "s", "sessionState": {"intent": {"name": "Fact"}}}))
        .unwrap();
    assert_eq!(ok["sessionState"]["dialogAction"]["type"], "Close");
}

struct ScriptedBot {
    answer: Option<String>,
    calls: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl ChatBot for ScriptedBot {
    async fn recognize_text(
        &self,
        session_id: &str,
        text: &str,
    ) -> Result<Option<String>, ChatBotError> {
        self.calls
            .lock()
            .unwrap()
            .push((session_id.into(), text.into()));
        Ok(self.answer.clone())
    }
}

fn analysed(text: &str, images: &[&str]) -> MessageAnalysed {
    MessageAnalysed {
        message: MessageReceived {
            text: text.into(),
            author: "ada".into(),
            image_urls: images.iter().map(|s| s.to_string()).collect(),
            twitter: TwitterRef {
                tweet_id: "1461823445431828482".into(),
                user_id: "7".into(),
                in_reply_to_tweet_id: None,
                ..Default::default()
            },
            ..Default::default()
        },
        analysis: Analysis {
            provider: "test".into(),
            ..Default::default()
        },
    }
}

/// reply-text asking `bot`, with the in-memory moderator.
fn replier(bot: Arc<ScriptedBot>) -> ReplyText {
    ReplyText::new(
        bot,
        Arc::new(starling_core::moderation::MemoryModerator::new()),
        starling_core::policy::ModerationConfig::default(),
    )
}

fn bot(answer: Option<&str>) -> Arc<ScriptedBot> {
    Arc::new(ScriptedBot {
        answer: answer.map(String::from),
        calls: Mutex::new(Vec::new()),
    })
}

#[tokio::test]
async fn a_text_message_becomes_send_tweet() {
    let b = bot(Some("Why don't eggs tell secrets? They crack up."));
    let event = replier(b.clone())
        .handle(&analysed("@starling tell me a joke https://t.co/abc", &[]))
        .await
        .unwrap()
        .pop()
        .expect("a reply");
    assert_eq!(
        b.calls.lock().unwrap().as_slice(),
        &[("author-ada".to_string(), "tell me a joke".to_string())]
    );
    assert_eq!(event.source, "starling.responding");
    assert_eq!(event.detail_type, "SEND_TWEET");
    assert_eq!(event.resources, vec!["1461823445431828482".to_string()]);
    let send: SendTweet = serde_json::from_value(event.detail.clone()).unwrap();
    assert_eq!(
        send,
        SendTweet {
            text: "Why don't eggs tell secrets? They crack up.".into(),
            reply_to_tweet_id: "1461823445431828482".into(),
            reply_to_user_id: "7".into(),
            reply_to_username: Some("ada".into()),
            image_keys: vec![],
            idempotency_key: "reply-text:1461823445431828482".into(),
        }
    );
}

#[tokio::test]
async fn no_text_no_images_or_no_answer_means_no_reply() {
    let b = bot(Some("hello"));
    let h = replier(b.clone());
    assert!(
        h.handle(&analysed("@starling https://t.co/abc", &[]))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(h.handle(&analysed("  ", &[])).await.unwrap().is_empty());
    assert!(
        h.handle(&analysed(
            "what is this?",
            &["https://pbs.twimg.com/media/x.jpg"]
        ))
        .await
        .unwrap()
        .is_empty()
    );
    assert!(b.calls.lock().unwrap().is_empty(), "the bot was not asked");

    let silent = bot(None);
    assert!(
        replier(silent.clone())
            .handle(&analysed("@starling hello there", &[]))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(silent.calls.lock().unwrap().len(), 1);
}

/// A source that never answers (a hung connection the HTTP client's own timeout would not cut).
struct HangingSource;

#[async_trait]
impl starling_core::analysis::media::HttpFetcher for HangingSource {
    async fn get(
        &self,
        _url: &str,
        _max_bytes: usize,
    ) -> Result<starling_core::analysis::media::Fetched, starling_core::analysis::media::FetchError>
    {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_hanging_remote_source_is_cut_at_700_ms_and_the_list_answers() {
    use starling_core::responding::remote::RemoteAnswers;
    let remote = RemoteAnswers::new(
        Arc::new(HangingSource),
        Some("https://jokes.example/joke".into()),
        None,
        std::time::Duration::from_secs(30),
    );
    let started = tokio::time::Instant::now();
    let out = fulfilment()
        .handle_with_remote(lex_event("Joke", "tell me a joke", "author-ada"), &remote)
        .await
        .unwrap();
    assert_eq!(started.elapsed(), std::time::Duration::from_millis(700));
    let joke = assert_lex_close(&out, "Joke");
    assert!(list(JOKES_JSON).contains(&joke), "{joke}");
}
