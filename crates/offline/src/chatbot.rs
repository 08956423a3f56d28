//! The local stand-in for Lex V2: [`LocalIntentMatcher`] classifies text against the utterances of
//! `bot/starling-bot.json` and answers with the same fulfilment code the Lex code hook runs.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::json;
use starling_core::ports::{ChatBot, ChatBotError};
use starling_core::responding::bot::{BotDefinition, FALLBACK_INTENT};
use starling_core::responding::fulfilment::{Fulfilment, LexV2Event};

/// Names the matcher in logs: it is not Lex.
pub const PROVIDER: &str = "starling-offline/tfidf-intents";

/// Which intent a text matched, and how well.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentMatch {
    /// The intent chosen (`FallbackIntent` below the threshold).
    pub intent: String,
    /// The best intent's score (0–1: mean cosine of its nearest utterances), even below the threshold.
    pub score: f64,
    /// The intent with the best score, before the threshold was applied.
    pub best_intent: Option<String>,
}

/// How many of an intent's most similar utterances its score averages.
pub const NEIGHBOURS: usize = 2;

/// A sparse TF-IDF vector, L2-normalised.
type Vector = HashMap<String, f64>;

/// Intent classification by **TF-IDF cosine similarity over word unigrams and bigrams**: every
/// sample utterance is a document; text and utterances are lower-cased, stripped of punctuation and of a
/// few function words, and lightly stemmed (a plural `s` dropped); terms are weighted by smoothed IDF
/// (`ln((1+N)/(1+df)) + 1`) so words common to many utterances ("tell", "something") count for little; a term
/// no utterance uses still counts in the text's norm.
/// An intent's score is the mean cosine of its [`NEIGHBOURS`] most similar utterances (a k-nearest-
/// neighbour vote, so one utterance sharing filler words does not outvote several sharing the
/// meaningful one); the best intent wins when its score is at
/// least the definition's `confidenceThreshold`, else `FallbackIntent` answers — as Lex does.
/// No ML model: a paraphrase needs shared words with some utterance, and an intent's own keyword
/// is down-weighted when most of its utterances repeat it ("any facts for me?" falls back).
#[derive(Debug, Clone)]
pub struct LocalIntentMatcher {
    fulfilment: Fulfilment,
    idf: HashMap<String, f64>,
    /// The IDF of a term no utterance contains.
    unseen_idf: f64,
    /// (intent, utterance vector)
    utterances: Vec<(String, Vector)>,
}

impl LocalIntentMatcher {
    /// A matcher over `fulfilment`'s definition that answers with `fulfilment`.
    pub fn new(fulfilment: Fulfilment) -> Self {
        let def = fulfilment.definition();
        let docs: Vec<(String, Vec<String>)> = def
            .intents
            .iter()
            .flat_map(|i| i.utterances.iter().map(|u| (i.name.clone(), terms(u))))
            .filter(|(_, t)| !t.is_empty())
            .collect();
        let n = docs.len() as f64;
        let mut df: HashMap<String, f64> = HashMap::new();
        for (_, t) in &docs {
            let mut unique: Vec<&String> = t.iter().collect();
            unique.sort();
            unique.dedup();
            for term in unique {
                *df.entry(term.clone()).or_default() += 1.0;
            }
        }
        let idf: HashMap<String, f64> = df
            .into_iter()
            .map(|(t, d)| (t, ((1.0 + n) / (1.0 + d)).ln() + 1.0))
            .collect();
        // Words no utterance uses dilute the match at the weight of the commonest known word: a
        // polite "… and make it good" must not drown "tell me a joke", while text made only of
        // unknown words still scores zero.
        let unseen_idf = 1.0;
        let utterances = docs
            .into_iter()
            .map(|(intent, t)| {
                let v = vectorise(&t, &idf, unseen_idf);
                (intent, v)
            })
            .collect();
        Self {
            fulfilment,
            idf,
            unseen_idf,
            utterances,
        }
    }

    /// The shipped definition, jokes and facts.
    pub fn shipped() -> Result<Self, ChatBotError> {
        Fulfilment::shipped()
            .map(Self::new)
            .map_err(|e| ChatBotError::InvalidInput(e.to_string()))
    }

    /// The definition matched against.
    pub fn definition(&self) -> &BotDefinition {
        self.fulfilment.definition()
    }

    /// Classifies `text`: the best intent and its score, or `FallbackIntent` below the threshold.
    pub fn classify(&self, text: &str) -> IntentMatch {
        let query = vectorise(&terms(text), &self.idf, self.unseen_idf);
        let mut per_intent: HashMap<&str, Vec<f64>> = HashMap::new();
        for (intent, v) in &self.utterances {
            per_intent
                .entry(intent)
                .or_default()
                .push(cosine(&query, v));
        }
        let mut best: Option<(&str, f64)> = None;
        for intent in self.definition().intents.iter().map(|i| i.name.as_str()) {
            let Some(scores) = per_intent.get_mut(intent) else {
                continue;
            };
            scores.sort_by(|a, b| b.total_cmp(a));
            let top = &scores[..scores.len().min(NEIGHBOURS)];
            let score = top.iter().sum::<f64>() / top.len() as f64;
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((intent, score));
            }
        }
        let threshold = self.definition().confidence_threshold;
        match best {
            Some((intent, score)) if score > 0.0 && score >= threshold => IntentMatch {
                intent: intent.to_string(),
                score,
                best_intent: Some(intent.to_string()),
            },
            Some((intent, score)) => IntentMatch {
                intent: FALLBACK_INTENT.to_string(),
                score,
                best_intent: (score > 0.0).then(|| intent.to_string()),
            },
            None => IntentMatch {
                intent: FALLBACK_INTENT.to_string(),
                score: 0.0,
                best_intent: None,
            },
        }
    }
}

#[async_trait]
impl ChatBot for LocalIntentMatcher {
    async fn recognize_text(
        &self,
        session_id: &str,
        text: &str,
    ) -> Result<Option<String>, ChatBotError> {
        let m = self.classify(text);
        tracing::info!(
            provider = PROVIDER,
            intent = %m.intent,
            score = m.score,
            best_intent = m.best_intent.as_deref().unwrap_or("-"),
            threshold = self.definition().confidence_threshold,
            "intent matched"
        );
        // The same code the Lex code hook runs, fed the event Lex would send.
        let event = json!({
            "messageVersion": "1.0",
            "invocationSource": "FulfillmentCodeHook",
            "inputMode": "Text",
            "responseContentType": "text/plain; charset=utf-8",
            "sessionId": session_id,
            "inputTranscript": text,
            "bot": {"name": self.definition().name, "localeId": self.definition().locale, "id": PROVIDER},
            "interpretations": [{"intent": {"name": m.intent, "slots": {}, "state": "ReadyForFulfillment", "confirmationState": "None"}, "nluConfidence": m.score}],
            "requestAttributes": {},
            "sessionState": {
                "sessionAttributes": {},
                "intent": {"name": m.intent, "slots": {}, "state": "ReadyForFulfillment", "confirmationState": "None"}
            }
        });
        let event: LexV2Event = serde_json::from_value(event)
            .map_err(|e| ChatBotError::InvalidInput(format!("local Lex event: {e}")))?;
        let response = self
            .fulfilment
            .fulfil(&event)
            .map_err(|e| ChatBotError::InvalidInput(e.to_string()))?;
        Ok(response.text().map(str::to_string))
    }
}

/// Function words that say nothing about what the user wants; dropped before weighting.
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "me", "i", "you", "my", "your", "to", "of", "for", "with", "is", "are", "do",
    "does", "please", "can", "could", "would", "will", "us", "im", "it", "that", "this", "and",
    "or",
];

/// Lower-cased words (letters and digits; apostrophes dropped; [`STOP_WORDS`] removed; a plural
/// `s` dropped) and the bigrams of adjacent remaining words.
fn terms(text: &str) -> Vec<String> {
    let words: Vec<String> = text
        .to_lowercase()
        .replace(['\'', '’'], "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(w))
        .map(stem)
        .collect();
    let bigrams: Vec<String> = words
        .windows(2)
        .map(|w| format!("{} {}", w[0], w[1]))
        .collect();
    words.into_iter().chain(bigrams).collect()
}

fn stem(word: &str) -> String {
    if word.chars().count() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_string()
    } else {
        word.to_string()
    }
}

/// TF-IDF weights, L2-normalised. A term no utterance used gets `unseen` (the rarest weight):
/// it matches nothing but still dilutes the text's similarity, so a long text that merely
/// contains "tell me" does not look like "tell me a joke".
fn vectorise(terms: &[String], idf: &HashMap<String, f64>, unseen: f64) -> Vector {
    let mut v: Vector = HashMap::new();
    for t in terms {
        let w = idf.get(t).copied().unwrap_or(unseen);
        *v.entry(t.clone()).or_default() += w;
    }
    let norm = v.values().map(|w| w * w).sum::<f64>().sqrt();
    if norm > 0.0 {
        for w in v.values_mut() {
            *w /= norm;
        }
    }
    v
}

fn cosine(a: &Vector, b: &Vector) -> f64 {
    a.iter().filter_map(|(t, w)| b.get(t).map(|x| w * x)).sum()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod realistic_requests {
    use super::*;

    #[test]
    fn requests_with_extra_words_still_find_their_intent() {
        let bot = LocalIntentMatcher::shipped().unwrap();
        for (text, intent) in [
            ("tell me a joke & make it good", "Joke"),
            ("tell me a joke please, I had a long day", "Joke"),
            ("could you share a fun fact with me?", "Fact"),
            ("asdf qwerty zxcv", "FallbackIntent"),
            (
                "the quick brown fox jumps over the lazy dog",
                "FallbackIntent",
            ),
        ] {
            let m = bot.classify(text);
            assert_eq!(m.intent, intent, "{text:?}: {m:?}");
        }
    }
}
