//! The Lex V2 chat bot over HTTP against a local endpoint speaking Lex runtime V2's REST-JSON
//! protocol as its API reference documents `RecognizeText` (moto has no Lex runtime): the path and
//! body sent, a SigV4-signed request, the bot's messages as the answer, and errors sorted into
//! retryable and permanent.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::json;
use starling_aws::{LexBotSettings, LexChatBot};
use starling_core::ports::{ChatBot, ChatBotError};
use starling_testkit::aws::sdk_config_without_retries;
use starling_testkit::aws_rest::{
    AwsRestJsonEndpoint, RestRequest, RestResponse, lex_recognize_text_answer,
};

/// Answers by what was said: the way Lex would for this bot, or with a documented error.
fn fake_lex(req: &RestRequest) -> RestResponse {
    let session = req.path.split('/').nth(8).unwrap_or_default().to_string();
    if req.path.starts_with("/bots/MISSING0000/") {
        return RestResponse::error(
            404,
            "ResourceNotFoundException",
            "Failed to retrieve resource since it does not exist",
        );
    }
    match req.body["text"].as_str().unwrap_or_default() {
        "slow down" => RestResponse::error(429, "ThrottlingException", "Rate exceeded"),
        "bad" => RestResponse::error(400, "ValidationException", "1 validation error detected"),
        "broken" => RestResponse::error(500, "InternalServerException", "Internal error"),
        "hook down" => {
            RestResponse::error(424, "DependencyFailedException", "Invalid Lambda Response")
        }
        "silence" => RestResponse::ok(lex_recognize_text_answer(&session, "Joke", 0.9, &[])),
        "card" => RestResponse::ok(lex_recognize_text_answer(
            &session,
            "Joke",
            0.9,
            &[("{\"title\":\"x\"}", "ImageResponseCard")],
        )),
        "speak" => RestResponse::ok(lex_recognize_text_answer(
            &session,
            "Fact",
            0.8,
            &[(
                "<speak>Starlings can <emphasis>mimic</emphasis> car alarms.</speak>",
                "SSML",
            )],
        )),
        "two" => RestResponse::ok(lex_recognize_text_answer(
            &session,
            "Fact",
            0.8,
            &[("First.", "PlainText"), ("Second.", "PlainText")],
        )),
        _ => RestResponse::ok(lex_recognize_text_answer(
            &session,
            "Joke",
            0.93,
            &[(
                "Why did the starling sit on the clock? To be on time.",
                "PlainText",
            )],
        )),
    }
}

fn settings(bot_id: &str) -> LexBotSettings {
    LexBotSettings {
        bot_id: bot_id.into(),
        bot_alias_id: "TSTALIASID".into(),
        locale_id: "en_US".into(),
    }
}

async fn lex_bot(bot_id: &str) -> (LexChatBot, AwsRestJsonEndpoint) {
    let endpoint = AwsRestJsonEndpoint::start(fake_lex).await.unwrap();
    let bot = LexChatBot::new(&sdk_config_without_retries(&endpoint.url), settings(bot_id));
    (bot, endpoint)
}

#[tokio::test]
async fn the_text_goes_to_the_alias_and_session_and_the_message_comes_back() {
    let (bot, endpoint) = lex_bot("ABCDE12345").await;
    let answer = bot
        .recognize_text("author-ada_l", "tell me a joke please")
        .await
        .unwrap();
    assert_eq!(
        answer.as_deref(),
        Some("Why did the starling sit on the clock? To be on time.")
    );
    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.path,
        "/bots/ABCDE12345/botAliases/TSTALIASID/botLocales/en_US/sessions/author-ada_l/text"
    );
    assert_eq!(r.body, json!({"text": "tell me a joke please"}));
    let auth = r.header("authorization").unwrap_or_default();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=testing/"),
        "{auth}"
    );
    assert!(auth.contains("/us-east-1/lex/aws4_request"), "{auth}");
    assert!(auth.contains("Signature="), "{auth}");
}

#[tokio::test]
async fn no_message_no_answer_and_only_text_messages_count() {
    let (bot, _endpoint) = lex_bot("ABCDE12345").await;
    assert_eq!(
        bot.recognize_text("author-ada", "silence").await.unwrap(),
        None
    );
    assert_eq!(
        bot.recognize_text("author-ada", "card").await.unwrap(),
        None
    );
    assert_eq!(
        bot.recognize_text("author-ada", "speak")
            .await
            .unwrap()
            .as_deref(),
        Some("Starlings can mimic car alarms.")
    );
    assert_eq!(
        bot.recognize_text("author-ada", "two")
            .await
            .unwrap()
            .as_deref(),
        Some("First.\nSecond.")
    );
}

#[tokio::test]
async fn throttling_and_server_errors_are_retryable_validation_errors_are_not() {
    let (bot, endpoint) = lex_bot("ABCDE12345").await;
    let err = bot
        .recognize_text("author-ada", "slow down")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChatBotError::Throttled(ref m) if m.contains("ThrottlingException")),
        "{err}"
    );
    let err = bot
        .recognize_text("author-ada", "broken")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChatBotError::Unavailable(ref m) if m.contains("InternalServerException")),
        "{err}"
    );
    let err = bot
        .recognize_text("author-ada", "hook down")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChatBotError::Unavailable(ref m) if m.contains("DependencyFailedException")),
        "{err}"
    );
    let err = bot.recognize_text("author-ada", "bad").await.unwrap_err();
    assert!(
        matches!(err, ChatBotError::InvalidInput(ref m) if m.contains("ValidationException")),
        "{err}"
    );
    // Without retries configured, each error is one request.
    assert_eq!(endpoint.requests().len(), 4);

    let (missing, _) = lex_bot("MISSING0000").await;
    let err = missing
        .recognize_text("author-ada", "hello")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChatBotError::InvalidInput(ref m) if m.contains("ResourceNotFoundException")),
        "{err}"
    );
}

#[tokio::test]
async fn an_endpoint_that_is_down_is_unavailable() {
    let bot = LexChatBot::new(
        &sdk_config_without_retries("http://127.0.0.1:9"),
        settings("ABCDE12345"),
    );
    let err = bot.recognize_text("author-ada", "hello").await.unwrap_err();
    assert!(matches!(err, ChatBotError::Unavailable(_)), "{err}");
}

#[tokio::test]
async fn what_lex_would_refuse_is_refused_before_any_request() {
    let (bot, endpoint) = lex_bot("ABCDE12345").await;
    for (session, text) in [
        ("a", "hello"),
        ("author ada", "hello"),
        ("author-ada", ""),
        ("author-ada", &"x".repeat(1025)),
    ] {
        let err = bot.recognize_text(session, text).await.unwrap_err();
        assert!(
            matches!(err, ChatBotError::InvalidInput(_)),
            "{session}: {err}"
        );
    }
    assert!(endpoint.requests().is_empty());
}
