//! The Lex V2 fulfilment code hook (`lambdas/lex-fulfilment`): a Lex V2 Lambda event in, a Lex V2
//! Lambda response out. Joke and Fact are answered from curated lists shipped as data
//! (`bot/jokes.json`, `bot/facts.json`), FallbackIntent (and any intent the bot does not know)
//! with the definition's `fallbackText`.
//!
//! Shapes: <https://docs.aws.amazon.com/lexv2/latest/dg/lambda-input-format.html> and
//! <https://docs.aws.amazon.com/lexv2/latest/dg/lambda-response-format.html>. Unknown fields of
//! the event are ignored, as AWS asks (the format may grow without a new `messageVersion`).
//! The types are the core's own: `aws_lambda_events` models only Lex V1's event (`currentIntent`),
//! and the core imports no SDK. [`Fulfilment::handle_with_remote`] may try a remote source first
//! (`super::remote`), the lists answering when it fails or is late.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::bot::{BotDefinition, BotDefinitionError, FACT_INTENT, FALLBACK_INTENT, JOKE_INTENT};
use super::remote::RemoteAnswers;

/// The shipped jokes, embedded at build time.
pub const SHIPPED_JOKES_JSON: &str = include_str!("../../../../bot/jokes.json");
/// The shipped facts, embedded at build time.
pub const SHIPPED_FACTS_JSON: &str = include_str!("../../../../bot/facts.json");

/// The part of a Lex V2 Lambda input event the code hook reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LexV2Event {
    /// `1.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_version: Option<String>,
    /// `DialogCodeHook` or `FulfillmentCodeHook`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_source: Option<String>,
    /// `Text`, `Speech` or `DTMF`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<String>,
    /// The session (reply-text uses one per author).
    pub session_id: String,
    /// What the user said.
    #[serde(default)]
    pub input_transcript: String,
    /// The session's state, with the intent Lex recognised.
    pub session_state: LexSessionState,
}

/// Lex V2's session state (input and response).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LexSessionState {
    /// Attributes kept across the session's turns, echoed back unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_attributes: Option<Map<String, Value>>,
    /// What Lex does next (set in responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialog_action: Option<LexDialogAction>,
    /// The intent.
    pub intent: LexIntent,
}

/// Lex V2's dialog action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LexDialogAction {
    /// `Close`, `ConfirmIntent`, `Delegate`, `ElicitIntent` or `ElicitSlot`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// Lex V2's intent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LexIntent {
    /// The intent's name.
    pub name: String,
    /// Slots (none in this bot), echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<Value>,
    /// `Failed`, `Fulfilled`, `InProgress`, `ReadyForFulfillment` or `Waiting`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `Confirmed`, `Denied` or `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_state: Option<String>,
}

/// A message Lex returns to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LexMessage {
    /// Always `PlainText` here.
    pub content_type: String,
    /// The text.
    pub content: String,
}

/// A Lex V2 Lambda response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LexV2Response {
    /// The session's state: the intent fulfilled and the dialog closed.
    pub session_state: LexSessionState,
    /// The answer.
    pub messages: Vec<LexMessage>,
}

impl LexV2Response {
    /// The first plain-text message, if any.
    pub fn text(&self) -> Option<&str> {
        self.messages
            .iter()
            .find(|m| m.content_type == "PlainText")
            .map(|m| m.content.as_str())
    }
}

/// Why the code hook could not answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FulfilmentError {
    /// The event is not a Lex V2 event (names the field at fault).
    #[error("not a Lex V2 event: {0}")]
    MalformedEvent(String),
    /// The shipped data could not be read.
    #[error("fulfilment data is invalid: {0}")]
    Data(String),
}

impl FulfilmentError {
    /// The class of this failure: a malformed event is the caller's, bad shipped data ours.
    pub fn kind(&self) -> starling_contracts::ErrorKind {
        match self {
            Self::MalformedEvent(_) => starling_contracts::ErrorKind::InvalidInput,
            Self::Data(_) => starling_contracts::ErrorKind::Unavailable,
        }
    }
}

impl From<FulfilmentError> for crate::handler::HandlerError {
    fn from(e: FulfilmentError) -> Self {
        Self::new(e.kind(), e)
    }
}

impl From<BotDefinitionError> for FulfilmentError {
    fn from(e: BotDefinitionError) -> Self {
        Self::Data(e.to_string())
    }
}

/// The code hook: the definition (for the fallback text) and the curated answers.
#[derive(Debug, Clone)]
pub struct Fulfilment {
    definition: BotDefinition,
    jokes: Vec<String>,
    facts: Vec<String>,
}

impl Fulfilment {
    /// A code hook answering from these lists (each must be non-empty).
    pub fn new(
        definition: BotDefinition,
        jokes: Vec<String>,
        facts: Vec<String>,
    ) -> Result<Self, FulfilmentError> {
        if jokes.is_empty() || facts.is_empty() {
            return Err(FulfilmentError::Data(
                "jokes and facts need at least one entry each".into(),
            ));
        }
        Ok(Self {
            definition,
            jokes,
            facts,
        })
    }

    /// The shipped definition with the shipped jokes and facts.
    pub fn shipped() -> Result<Self, FulfilmentError> {
        Self::with_definition(BotDefinition::shipped()?)
    }

    /// `definition` with the shipped jokes and facts.
    pub fn with_definition(definition: BotDefinition) -> Result<Self, FulfilmentError> {
        let list = |name: &str, json: &str| {
            serde_json::from_str::<Vec<String>>(json)
                .map_err(|e| FulfilmentError::Data(format!("bot/{name}.json: {e}")))
        };
        Self::new(
            definition,
            list("jokes", SHIPPED_JOKES_JSON)?,
            list("facts", SHIPPED_FACTS_JSON)?,
        )
    }

    /// The bot definition.
    pub fn definition(&self) -> &BotDefinition {
        &self.definition
    }

    /// Answers a raw Lex V2 event (the Lambda's input) with the raw response.
    pub fn handle(&self, event: Value) -> Result<Value, FulfilmentError> {
        let event: LexV2Event = serde_json::from_value(event)
            .map_err(|e| FulfilmentError::MalformedEvent(e.to_string()))?;
        let response = self.fulfil(&event)?;
        serde_json::to_value(response).map_err(|e| FulfilmentError::Data(e.to_string()))
    }

    /// [`Self::handle`], trying `remote` first for Joke and Fact (the curated list answers when
    /// it has nothing usable in time).
    pub async fn handle_with_remote(
        &self,
        event: Value,
        remote: &RemoteAnswers,
    ) -> Result<Value, FulfilmentError> {
        let event: LexV2Event = serde_json::from_value(event)
            .map_err(|e| FulfilmentError::MalformedEvent(e.to_string()))?;
        let mut response = self.fulfil(&event)?;
        if let Some(answer) = remote.answer(&event.session_state.intent.name).await
            && let Some(message) = response.messages.first_mut()
        {
            message.content = answer;
        }
        serde_json::to_value(response).map_err(|e| FulfilmentError::Data(e.to_string()))
    }

    /// Answers a typed Lex V2 event: the intent is fulfilled and the dialog closed.
    pub fn fulfil(&self, event: &LexV2Event) -> Result<LexV2Response, FulfilmentError> {
        let intent = &event.session_state.intent;
        if intent.name.trim().is_empty() {
            return Err(FulfilmentError::MalformedEvent(
                "sessionState.intent.name is empty".into(),
            ));
        }
        let seed = format!("{}\n{}", event.session_id, event.input_transcript);
        let content = match intent.name.as_str() {
            JOKE_INTENT => pick(&self.jokes, &seed),
            FACT_INTENT => pick(&self.facts, &seed),
            FALLBACK_INTENT => self.definition.fallback_text.clone(),
            other => {
                tracing::warn!(
                    intent = other,
                    "unknown intent answered with the fallback text"
                );
                self.definition.fallback_text.clone()
            }
        };
        Ok(LexV2Response {
            session_state: LexSessionState {
                session_attributes: Some(
                    event
                        .session_state
                        .session_attributes
                        .clone()
                        .unwrap_or_default(),
                ),
                dialog_action: Some(LexDialogAction {
                    kind: "Close".into(),
                }),
                intent: LexIntent {
                    name: intent.name.clone(),
                    slots: intent.slots.clone(),
                    state: Some("Fulfilled".into()),
                    confirmation_state: intent.confirmation_state.clone(),
                },
            },
            messages: vec![LexMessage {
                content_type: "PlainText".into(),
                content,
            }],
        })
    }
}

/// Picks an entry from `seed` with FNV-1a: stable for a session and transcript, varied across them.
fn pick(list: &[String], seed: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let len = list.len().max(1) as u64;
    let index = usize::try_from(hash % len).unwrap_or(0);
    list.get(index).cloned().unwrap_or_default()
}
