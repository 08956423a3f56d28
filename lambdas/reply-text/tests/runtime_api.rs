//! The built reply-text binary, driven through a local Lambda Runtime API with EventBridge events:
//! Lex runtime V2 on a local REST-JSON endpoint, Comprehend `DetectToxicContent` (the moderation
//! gate; moto lacks it) on a local JSON-1.1 endpoint, the bus on moto routed to an SQS queue where
//! the SEND_TWEET is observed, the reply policy's table on moto's DynamoDB.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use starling_testkit::aws::{BusToQueue, bus_to_queue, dynamodb_table, moto_config, receive_json};
use starling_testkit::aws_json::{AwsJsonEndpoint, Operation};
use starling_testkit::aws_rest::{
    AwsRestJsonEndpoint, RestRequest, RestResponse, lex_recognize_text_answer,
};
use starling_testkit::lambda_process::{LambdaProcess, invoke, lambda_command};
use starling_testkit::lambda_runtime_api::{Outcome, RuntimeApi};

const JOKE: &str = "Why did the starling sit on the clock? It wanted to be on time for once.";

fn text_only(text: &str, author: &str, tweet_id: &str) -> Value {
    let mut event: Value =
        serde_json::from_str(include_str!("fixtures/message_analysed_text_only.json")).unwrap();
    event["detail"]["Text"] = json!(text);
    event["detail"]["Author"] = json!(author);
    event["detail"]["Twitter"]["TweetId"] = json!(tweet_id);
    event["resources"] = json!([tweet_id]);
    event
}

fn fake_lex(req: &RestRequest) -> RestResponse {
    let session = req.path.split('/').nth(8).unwrap_or_default().to_string();
    match req.body["text"].as_str().unwrap_or_default() {
        "slow down" => RestResponse::error(429, "ThrottlingException", "Rate exceeded"),
        "nothing to say" => RestResponse::ok(lex_recognize_text_answer(&session, "Joke", 0.9, &[])),
        _ => RestResponse::ok(lex_recognize_text_answer(
            &session,
            "Joke",
            0.93,
            &[(JOKE, "PlainText")],
        )),
    }
}

/// `DetectToxicContent` in its documented shape: a segment mentioning "idiot" is an insult.
fn fake_comprehend(req: &Value) -> (u16, Value) {
    let results: Vec<Value> = req["TextSegments"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            if s["Text"].as_str().unwrap_or_default().contains("idiot") {
                json!({"Labels": [{"Name": "INSULT", "Score": 0.93}], "Toxicity": 0.88})
            } else {
                json!({"Labels": [{"Name": "INSULT", "Score": 0.01}], "Toxicity": 0.02})
            }
        })
        .collect();
    (200, json!({"ResultList": results}))
}

struct World {
    api: RuntimeApi,
    lex: AwsRestJsonEndpoint,
    comprehend: AwsJsonEndpoint,
    bus: BusToQueue,
    config: aws_config::SdkConfig,
    lambda: LambdaProcess,
}

async fn world(without: &[&str]) -> World {
    let moto = starling_testkit::moto::endpoint();
    let config = moto_config();
    let bus = bus_to_queue(&config, &json!({"source": [{"prefix": "starling."}]})).await;
    let policy_table = dynamodb_table(&config, "starling-reply-policy", "Key").await;
    let lex = AwsRestJsonEndpoint::start(fake_lex).await.unwrap();
    let ops: HashMap<String, Operation> = HashMap::from([(
        "DetectToxicContent".to_string(),
        Arc::new(fake_comprehend) as Operation,
    )]);
    let comprehend = AwsJsonEndpoint::start(ops).await.unwrap();
    let api = RuntimeApi::start().await.unwrap();
    let mut cmd = lambda_command(env!("CARGO_BIN_EXE_reply-text"), "reply-text", &api);
    cmd.envs(starling_testkit::moto::aws_env(&moto))
        .env("AWS_ENDPOINT_URL_LEX_RUNTIME_V2", &lex.url)
        .env("AWS_ENDPOINT_URL_COMPREHEND", &comprehend.url)
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("BOT_ID", "ABCDE12345")
        .env("BOT_ALIAS_ID", "TSTALIASID")
        .env("BOT_LOCALE_ID", "en_US")
        .env("EVENT_BUS_NAME", &bus.bus)
        .env("POLICY_TABLE", &policy_table)
        .env("BOT_USER_ID", "1603419180975409153");
    for k in without {
        cmd.env_remove(k);
    }
    let lambda = LambdaProcess::spawn(&mut cmd);
    World {
        api,
        lex,
        comprehend,
        bus,
        config,
        lambda,
    }
}

#[tokio::test]
async fn a_text_only_mention_is_answered_with_the_bots_message_as_send_tweet() {
    let w = world(&[]).await;
    let event = text_only(
        "@starling_bot tell me a joke @bob https://t.co/abc123",
        "ada_l",
        "1461823445431828490",
    );
    let Outcome::Response(out) = invoke(&w.api, event).await else {
        panic!(
            "expected a response; the Lambda logged:\n{}",
            w.lambda.stderr()
        )
    };
    assert_eq!(
        out,
        json!({"Replied": true, "IdempotencyKey": "reply-text:1461823445431828490"})
    );

    // Lex saw the author's session and the text without mentions or URLs.
    let requests = w.lex.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].path,
        "/bots/ABCDE12345/botAliases/TSTALIASID/botLocales/en_US/sessions/author-ada_l/text"
    );
    assert_eq!(requests[0].body, json!({"text": "tell me a joke"}));
    assert!(requests[0].header("authorization").is_some());
    // The moderation gate saw the post as the bot did and the reply, in English.
    assert_eq!(
        w.comprehend.targets(),
        ["Comprehend_20171127.DetectToxicContent"]
    );
    assert_eq!(
        w.comprehend.requests()[0].1,
        json!({"LanguageCode": "en", "TextSegments": [{"Text": "tell me a joke"}, {"Text": JOKE}]})
    );

    let events = receive_json(&w.config, &w.bus.queue_url, 2).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail-type"], "SEND_TWEET");
    assert_eq!(events[0]["source"], "starling.responding");
    assert_eq!(events[0]["resources"], json!(["1461823445431828490"]));
    assert_eq!(
        events[0]["detail"],
        json!({
            "Text": JOKE,
            "ReplyToTweetId": "1461823445431828490",
            "ReplyToUserId": "2244994945",
            "ReplyToUsername": "ada_l",
            "IdempotencyKey": "reply-text:1461823445431828490"
        })
    );
}

#[tokio::test]
async fn no_message_from_the_bot_and_images_and_empty_texts_send_nothing() {
    let w = world(&[]).await;
    let silent = text_only("@starling_bot nothing to say", "ada", "1001");
    let Outcome::Response(out) = invoke(&w.api, silent).await else {
        panic!("expected a response; logged:\n{}", w.lambda.stderr())
    };
    assert_eq!(out["Replied"], false);
    assert_eq!(w.lex.requests().len(), 1);

    // Only mentions and a URL: nothing for the bot, no call.
    let empty = text_only("@starling_bot https://t.co/x", "ada", "1002");
    assert_eq!(
        invoke(&w.api, empty).await,
        Outcome::Response(json!({"Replied": false, "IdempotencyKey": null}))
    );
    // With images: reply-image answers it, not the bot.
    let mut with_image = text_only("@starling_bot tell me a joke", "ada", "1003");
    with_image["detail"]["ImageUrls"] = json!(["https://pbs.twimg.com/media/a.jpg"]);
    assert_eq!(
        invoke(&w.api, with_image).await,
        Outcome::Response(json!({"Replied": false, "IdempotencyKey": null}))
    );
    assert_eq!(w.lex.requests().len(), 1);
    assert!(
        receive_json(&w.config, &w.bus.queue_url, 1)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn throttling_is_a_retryable_error_and_a_malformed_event_invalid_input() {
    let w = world(&[]).await;
    let Outcome::Error(e) = invoke(&w.api, text_only("slow down", "ada", "2001")).await else {
        panic!("expected an error")
    };
    assert_eq!(e["errorType"], "Starling.Throttled", "{e}");
    assert!(
        e["errorMessage"]
            .as_str()
            .unwrap()
            .contains("ThrottlingException"),
        "{e}"
    );

    let mut malformed = text_only("tell me a joke", "ada", "2002");
    malformed["detail"] = json!({"Text": 42});
    let Outcome::Error(e) = invoke(&w.api, malformed).await else {
        panic!("expected an error")
    };
    assert_eq!(e["errorType"], "Starling.InvalidInput", "{e}");
    assert!(
        receive_json(&w.config, &w.bus.queue_url, 1)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_missing_bot_alias_fails_at_init_with_the_variable_named() {
    let w = world(&["BOT_ALIAS_ID"]).await;
    let (status, stderr) = w.lambda.exit().await;
    assert!(!status.success());
    assert!(stderr.contains("BOT_ALIAS_ID"), "{stderr}");
}

#[tokio::test]
async fn a_post_that_does_not_summon_the_bot_costs_no_lex_call_and_is_recorded_as_suppressed() {
    let w = world(&[]).await;
    let mut event = text_only("talking about @starling_bot", "ada", "3001");
    event["detail"]["Summoned"] = json!(false);
    let Outcome::Response(out) = invoke(&w.api, event).await else {
        panic!("expected a response; logged:\n{}", w.lambda.stderr())
    };
    assert_eq!(out["Replied"], false);
    assert!(
        w.lex.requests().is_empty(),
        "no Lex call for a post X would not let us answer"
    );
    let events = receive_json(&w.config, &w.bus.queue_url, 1).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail-type"], "REPLY_SUPPRESSED");
    assert_eq!(events[0]["detail"]["Reason"], "not-summoned");
    assert_eq!(events[0]["detail"]["TweetId"], "3001");
}

#[tokio::test]
async fn a_toxic_mention_gets_no_reply_a_moderation_suppression_and_an_alertable_flag() {
    let w = world(&[]).await;
    let event = text_only("@starling_bot tell me a joke you idiot", "ada", "4001");
    let Outcome::Response(out) = invoke(&w.api, event).await else {
        panic!("expected a response; logged:\n{}", w.lambda.stderr())
    };
    assert_eq!(out["Replied"], false);
    let mut events = receive_json(&w.config, &w.bus.queue_url, 2).await;
    events.sort_by_key(|e| e["detail-type"].as_str().unwrap_or_default().to_string());
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["MODERATION_FLAGGED", "REPLY_SUPPRESSED"],
        "{events:?}"
    );
    let flag = &events[0]["detail"];
    assert_eq!(flag["Provider"], "amazon-comprehend");
    assert_eq!(flag["Content"], "text");
    assert_eq!(flag["Alert"], true);
    let held = &events[1]["detail"];
    assert_eq!(held["Reason"], "moderation");
    let detail = held["Detail"].as_str().unwrap();
    assert!(
        detail.contains("INSULT") && !detail.contains("idiot"),
        "{detail}"
    );

    // A French post is not moderated (Comprehend judges English only) and is answered.
    let mut french = text_only("@starling_bot une blague, idiot", "ada", "4002");
    french["detail"]["Analysis"]["Language"] = json!("fr");
    let Outcome::Response(out) = invoke(&w.api, french).await else {
        panic!("expected a response; logged:\n{}", w.lambda.stderr())
    };
    assert_eq!(out["Replied"], true, "{out}");
    assert_eq!(w.comprehend.requests().len(), 1, "no call for French");
}
