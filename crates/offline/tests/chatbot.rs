//! The local intent matcher over bot/starling-bot.json: paraphrases reach the right intent,
//! nonsense the fallback, the threshold is Lex's, and the answer comes from the fulfilment code.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use starling_core::ports::ChatBot;
use starling_core::responding::bot::BotDefinition;
use starling_core::responding::fulfilment::Fulfilment;
use starling_offline::chatbot::LocalIntentMatcher;

const BOT_JSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../bot/starling-bot.json"
));
const JOKES_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bot/jokes.json"));
const FACTS_JSON: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bot/facts.json"));

fn definition() -> BotDefinition {
    BotDefinition::load(BOT_JSON).unwrap()
}

fn matcher(def: BotDefinition) -> LocalIntentMatcher {
    LocalIntentMatcher::new(Fulfilment::with_definition(def).unwrap())
}

#[test]
fn paraphrases_reach_the_right_intent_and_nonsense_the_fallback() {
    let m = matcher(definition());
    for (text, intent) in [
        ("tell me something funny", "Joke"),
        ("got any jokes?", "Joke"),
        ("Tell me a JOKE!", "Joke"),
        ("make me laugh please", "Joke"),
        ("give me a fun fact", "Fact"),
        ("teach me something interesting", "Fact"),
        ("tell me an interesting fact", "Fact"),
        ("the quick brown fox", "FallbackIntent"),
        ("asdf", "FallbackIntent"),
        ("", "FallbackIntent"),
    ] {
        let got = m.classify(text);
        eprintln!("{text:?} → {got:?}");
        assert_eq!(got.intent, intent, "{text:?}: {got:?}");
    }
}

#[test]
fn the_definitions_threshold_is_respected() {
    let text = "teach me something interesting";
    let low = matcher(definition()).classify(text);
    assert_eq!(low.intent, "Fact");
    assert!(low.score < 1.0, "a paraphrase, not an utterance: {low:?}");
    let mut strict = definition();
    strict.confidence_threshold = (low.score + 0.01).min(1.0);
    let high = matcher(strict).classify(text);
    assert_eq!(high.intent, "FallbackIntent", "{high:?}");
    assert_eq!(
        high.best_intent.as_deref(),
        Some("Fact"),
        "the near miss is reported"
    );
    assert!((high.score - low.score).abs() < 1e-12);
}

#[tokio::test]
async fn answers_come_from_the_same_fulfilment_code() {
    let def = definition();
    let m = matcher(def.clone());
    let jokes: Vec<String> = serde_json::from_str(JOKES_JSON).unwrap();
    let facts: Vec<String> = serde_json::from_str(FACTS_JSON).unwrap();
    let joke = m
        .recognize_text("author-ada", "tell me something funny")
        .await
        .unwrap()
        .unwrap();
    assert!(jokes.contains(&joke), "{joke}");
    let fact = m
        .recognize_text("author-ada", "give me a fun fact")
        .await
        .unwrap()
        .unwrap();
    assert!(facts.contains(&fact), "{fact}");
    let fallback = m
        .recognize_text("author-ada", "asdf")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fallback, def.fallback_text);
    // Same session and text, same answer (the fulfilment's pick is deterministic).
    assert_eq!(
        m.recognize_text("author-ada", "tell me something funny")
            .await
            .unwrap()
            .unwrap(),
        joke
    );
}
