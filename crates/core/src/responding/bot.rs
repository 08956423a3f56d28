//! `bot/starling-bot.json`: the one bot definition CDK builds the Lex V2 bot from and the local
//! intent matcher reads. Validated here with the same rules as `cdk/lib/bot.ts`.

use serde::{Deserialize, Serialize};

/// The intent Lex adds to every bot (`AMAZON.FallbackIntent`): it answers below the threshold.
pub const FALLBACK_INTENT: &str = "FallbackIntent";
/// The intent answered with a joke.
pub const JOKE_INTENT: &str = "Joke";
/// The intent answered with a fact.
pub const FACT_INTENT: &str = "Fact";

/// The shipped definition, embedded at build time.
pub const SHIPPED_BOT_JSON: &str = include_str!("../../../../bot/starling-bot.json");

/// The bot: locale, intents with their sample utterances, the confidence threshold and what the
/// fallback intent says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BotDefinition {
    /// The bot's name (1–100 letters, digits, `_` or `-`).
    pub name: String,
    /// What the bot is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A Lex V2 locale id, e.g. `en_US`.
    pub locale: String,
    /// Lex's NLU confidence threshold (0–1): below it, the fallback intent answers.
    pub confidence_threshold: f64,
    /// How long Lex keeps an idle session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_session_ttl_seconds: Option<u32>,
    /// What the fallback intent says.
    pub fallback_text: String,
    /// The bot's own intents (Lex adds [`FALLBACK_INTENT`]).
    pub intents: Vec<IntentDefinition>,
}

/// One intent and the sample utterances that teach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntentDefinition {
    /// The intent's name, e.g. `Joke`.
    pub name: String,
    /// What the intent is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sample utterances.
    pub utterances: Vec<String>,
}

/// Why a bot definition was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BotDefinitionError {
    /// Not JSON of the expected shape.
    #[error("bot definition is not the expected JSON: {0}")]
    Malformed(String),
    /// The JSON breaks the rules Lex (and `cdk/lib/bot.ts`) impose.
    #[error("bot definition is invalid: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

impl BotDefinition {
    /// Parses and validates a definition, listing every problem found.
    pub fn load(json: &str) -> Result<Self, BotDefinitionError> {
        let def: Self =
            serde_json::from_str(json).map_err(|e| BotDefinitionError::Malformed(e.to_string()))?;
        let mut problems = Vec::new();
        if def.name.is_empty()
            || def.name.len() > 100
            || !def
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            problems.push("name: 1-100 letters, digits, _ or -".to_string());
        }
        let l: Vec<char> = def.locale.chars().collect();
        let locale_ok = l.len() == 5
            && l[..2].iter().all(char::is_ascii_lowercase)
            && l[2] == '_'
            && l[3..].iter().all(char::is_ascii_uppercase);
        if !locale_ok {
            problems.push("locale: a Lex locale id such as en_US".to_string());
        }
        if !(0.0..=1.0).contains(&def.confidence_threshold) {
            problems.push("confidenceThreshold: between 0 and 1".to_string());
        }
        if def.fallback_text.trim().is_empty() {
            problems.push("fallbackText: required".to_string());
        }
        if def.intents.is_empty() {
            problems.push("intents: at least one".to_string());
        }
        let mut seen = std::collections::HashSet::new();
        for i in &def.intents {
            let name_ok = i
                .name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && i.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !name_ok || i.name == FALLBACK_INTENT {
                problems.push(format!(
                    "intent {}: a name, not {FALLBACK_INTENT} (Lex adds it)",
                    i.name
                ));
            }
            if !seen.insert(i.name.as_str()) {
                problems.push(format!("intent {}: defined twice", i.name));
            }
            if i.utterances.iter().all(|u| u.trim().is_empty()) {
                problems.push(format!("intent {}: at least one utterance", i.name));
            }
        }
        if problems.is_empty() {
            Ok(def)
        } else {
            Err(BotDefinitionError::Invalid(problems))
        }
    }

    /// The definition shipped in `bot/starling-bot.json`.
    pub fn shipped() -> Result<Self, BotDefinitionError> {
        Self::load(SHIPPED_BOT_JSON)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_definition_loads() {
        let def = BotDefinition::shipped().unwrap();
        assert_eq!(def.locale, "en_US");
        assert!(def.intents.iter().any(|i| i.name == "Joke"));
        assert!(def.intents.iter().any(|i| i.name == "Fact"));
    }

    #[test]
    fn every_problem_is_listed() {
        let err = BotDefinition::load(
            r#"{"name":"a b","locale":"english","confidenceThreshold":1.5,"fallbackText":"",
                "intents":[{"name":"FallbackIntent","utterances":[]},{"name":"X","utterances":["hi"]},{"name":"X","utterances":["yo"]}]}"#,
        )
        .unwrap_err();
        let BotDefinitionError::Invalid(problems) = &err else {
            panic!("{err}")
        };
        assert_eq!(problems.len(), 7, "{problems:?}");
        assert!(matches!(
            BotDefinition::load("{}"),
            Err(BotDefinitionError::Malformed(_))
        ));
    }
}
