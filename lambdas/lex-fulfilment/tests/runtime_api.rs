//! The built lex-fulfilment binary, driven through a local Lambda Runtime API with Lex V2 code-hook
//! events: Joke and Fact from the curated lists, the fallback text, a malformed event refused
//! with a clear error, and the optional remote source — used when it answers, the list when it
//! is slow or failing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use starling_testkit::lambda_process::{LambdaProcess, invoke, lambda_command};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

const BOT: &str = include_str!("../../../bot/starling-bot.json");
const JOKES: &str = include_str!("../../../bot/jokes.json");
const FACTS: &str = include_str!("../../../bot/facts.json");

fn list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap()
}

/// A Lex V2 fulfilment event as Lex sends it to the code hook.
fn lex_event(intent: &str, transcript: &str) -> Value {
    json!({
        "messageVersion": "1.0",
        "invocationSource": "FulfillmentCodeHook",
        "inputMode": "Text",
        "responseContentType": "text/plain; charset=utf-8",
        "sessionId": "author-ada_l",
        "inputTranscript": transcript,
        "bot": {"id": "ABCDE12345", "name": "StarlingBot", "aliasId": "TSTALIASID", "aliasName": "live", "localeId": "en_US", "version": "1"},
        "interpretations": [
            {"intent": {"name": intent, "slots": {}, "state": "ReadyForFulfillment", "confirmationState": "None"}, "nluConfidence": 0.91, "interpretationSource": "Lex"},
            {"intent": {"name": "FallbackIntent", "slots": {}, "state": "ReadyForFulfillment", "confirmationState": "None"}, "interpretationSource": "Lex"}
        ],
        "proposedNextState": null,
        "requestAttributes": {},
        "sessionState": {
            "sessionAttributes": {"turns": "1"},
            "activeContexts": [],
            "intent": {"name": intent, "slots": {}, "state": "ReadyForFulfillment", "confirmationState": "None"},
            "originatingRequestId": "0b3c4d5e-0000-4000-8000-000000000001"
        },
        "transcriptions": [{"transcription": transcript, "transcriptionConfidence": 1.0, "resolvedContext": {"intent": intent}, "resolvedSlots": {}}]
    })
}

/// The message of a Close response that fulfils `intent`, checking Lex's required fields.
fn closed_message(out: &Outcome, intent: &str) -> String {
    let Outcome::Response(r) = out else {
        panic!("expected a response, got {out:?}")
    };
    assert_eq!(r["sessionState"]["dialogAction"]["type"], "Close", "{r}");
    assert_eq!(r["sessionState"]["intent"]["name"], intent, "{r}");
    assert_eq!(r["sessionState"]["intent"]["state"], "Fulfilled", "{r}");
    assert_eq!(
        r["sessionState"]["sessionAttributes"],
        json!({"turns": "1"}),
        "{r}"
    );
    assert_eq!(r["messages"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["messages"][0]["contentType"], "PlainText", "{r}");
    r["messages"][0]["content"].as_str().unwrap().to_string()
}

fn spawn(api: &RuntimeApi, vars: &[(&str, &str)]) -> LambdaProcess {
    let mut cmd = lambda_command(env!("CARGO_BIN_EXE_lex-fulfilment"), "lex-fulfilment", api);
    cmd.envs(vars.iter().copied());
    LambdaProcess::spawn(&mut cmd)
}

/// A local HTTP server: `/joke` answers JSON after `delay`, `/fact` answers 503.
async fn joke_server(delay: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route(
            "/joke",
            get(move || async move {
                tokio::time::sleep(delay).await;
                (
                    [("content-type", "application/json")],
                    json!({"id": "x", "joke": "A remote joke about starlings.", "status": 200})
                        .to_string(),
                )
            }),
        )
        .route(
            "/fact",
            get(|| async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down") }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

#[tokio::test]
async fn joke_fact_and_fallback_are_answered_in_lex_v2_shape() {
    let api = RuntimeApi::start().await.unwrap();
    let lambda = spawn(&api, &[]);
    let joke = closed_message(
        &invoke(&api, lex_event("Joke", "tell me a joke")).await,
        "Joke",
    );
    assert!(
        list(JOKES).contains(&joke),
        "{joke}; logged:\n{}",
        lambda.stderr()
    );
    let fact = closed_message(
        &invoke(&api, lex_event("Fact", "tell me a fact")).await,
        "Fact",
    );
    assert!(list(FACTS).contains(&fact), "{fact}");
    let fallback = closed_message(
        &invoke(&api, lex_event("FallbackIntent", "what is the weather")).await,
        "FallbackIntent",
    );
    let definition: Value = serde_json::from_str(BOT).unwrap();
    assert_eq!(fallback, definition["fallbackText"].as_str().unwrap());
}

#[tokio::test]
async fn a_malformed_event_is_a_clear_invalid_input_error_and_the_function_goes_on() {
    let api = RuntimeApi::start().await.unwrap();
    let _lambda = spawn(&api, &[]);
    let Outcome::Error(e) = invoke(&api, json!({"currentIntent": {"name": "Joke"}})).await else {
        panic!("expected an error")
    };
    assert_eq!(e["errorType"], "Starling.InvalidInput", "{e}");
    let message = e["errorMessage"].as_str().unwrap();
    assert!(message.contains("not a Lex V2 event"), "{message}");
    assert!(
        message.contains("sessionId") || message.contains("sessionState"),
        "{message}"
    );

    let mut empty_intent = lex_event("Joke", "tell me a joke");
    empty_intent["sessionState"]["intent"]["name"] = json!("");
    let Outcome::Error(e) = invoke(&api, empty_intent).await else {
        panic!("expected an error")
    };
    assert!(
        e["errorMessage"].as_str().unwrap().contains("intent.name"),
        "{e}"
    );

    // Still alive: the next event is answered.
    let joke = closed_message(
        &invoke(&api, lex_event("Joke", "joke please")).await,
        "Joke",
    );
    assert!(list(JOKES).contains(&joke));
}

#[tokio::test]
async fn a_remote_source_answers_when_it_is_quick() {
    let server = joke_server(Duration::ZERO).await;
    let api = RuntimeApi::start().await.unwrap();
    let _lambda = spawn(
        &api,
        &[
            ("JOKE_SOURCE_URL", &format!("{server}/joke")),
            ("FACT_SOURCE_URL", &format!("{server}/fact")),
        ],
    );
    let joke = closed_message(
        &invoke(&api, lex_event("Joke", "tell me a joke")).await,
        "Joke",
    );
    assert_eq!(joke, "A remote joke about starlings.");
    // The fact source answers 503: the curated list answers instead.
    let fact = closed_message(
        &invoke(&api, lex_event("Fact", "tell me a fact")).await,
        "Fact",
    );
    assert!(list(FACTS).contains(&fact), "{fact}");
}

#[tokio::test]
async fn a_slow_remote_source_falls_back_to_the_list() {
    let server = joke_server(Duration::from_secs(3)).await;
    let api = RuntimeApi::start().await.unwrap();
    let _lambda = spawn(
        &api,
        &[
            ("JOKE_SOURCE_URL", &format!("{server}/joke")),
            ("REMOTE_TIMEOUT_MS", "200"),
        ],
    );
    let joke = closed_message(
        &invoke(&api, lex_event("Joke", "tell me a joke")).await,
        "Joke",
    );
    assert!(list(JOKES).contains(&joke), "{joke}");
}

#[tokio::test]
async fn a_timeout_over_700_ms_fails_at_init_with_the_variable_named() {
    let api = RuntimeApi::start().await.unwrap();
    let (status, stderr) = spawn(&api, &[("REMOTE_TIMEOUT_MS", "5000")]).exit().await;
    assert!(!status.success());
    assert!(stderr.contains("REMOTE_TIMEOUT_MS"), "{stderr}");
}
