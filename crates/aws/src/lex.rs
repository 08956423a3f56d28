//! [`ChatBot`] on Amazon Lex V2 (`RecognizeText`): one session per author, the bot's messages as
//! the answer.
//!
//! The text and the session id arrive ready from `starling_core::responding::reply_text` (mentions
//! and URLs stripped, at most 1024 characters, a session id from the author's handle in Lex's
//! alphabet): this adapter does not clean them again, it only refuses what Lex would refuse, before
//! the request, with the reason.

use async_trait::async_trait;
use aws_sdk_lexruntimev2::Client;
use aws_sdk_lexruntimev2::config::http::HttpResponse;
use aws_sdk_lexruntimev2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lexruntimev2::types::MessageContentType;
use starling_core::ports::{ChatBot, ChatBotError};
use starling_core::responding::reply_text::MAX_BOT_TEXT_CHARS;

use crate::config::{ConfigError, Env};
use crate::sdk_error::describe;

/// Which bot to ask: `BOT_ID`, `BOT_ALIAS_ID`, `BOT_LOCALE_ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexBotSettings {
    /// `BOT_ID`: the bot's id (10 characters, e.g. `ABCDE12345`).
    pub bot_id: String,
    /// `BOT_ALIAS_ID`: the alias whose version and code hook answer (e.g. `TSTALIASID`).
    pub bot_alias_id: String,
    /// `BOT_LOCALE_ID`: the locale, e.g. `en_US`.
    pub locale_id: String,
}

impl LexBotSettings {
    /// Reads the three variables, naming any that is missing.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            bot_id: env.required("BOT_ID", "the Lex V2 bot's id")?,
            bot_alias_id: env.required("BOT_ALIAS_ID", "the Lex V2 bot alias's id")?,
            locale_id: env.required("BOT_LOCALE_ID", "the Lex V2 bot locale, e.g. en_US")?,
        })
    }
}

/// Lex V2 as the chat bot.
#[derive(Debug, Clone)]
pub struct LexChatBot {
    client: Client,
    settings: LexBotSettings,
}

impl LexChatBot {
    /// A Lex runtime client from the SDK configuration (`AWS_ENDPOINT_URL_LEX_RUNTIME_V2`
    /// redirects it alone, e.g. to a local endpoint in tests).
    pub fn new(config: &aws_config::SdkConfig, settings: LexBotSettings) -> Self {
        Self {
            client: Client::new(config),
            settings,
        }
    }
}

/// Lex V2's session id: 2–100 characters of `[0-9a-zA-Z._:-]` (RecognizeText API reference).
pub fn is_valid_session_id(id: &str) -> bool {
    (2..=100).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

fn classify<E: ProvideErrorMetadata>(err: SdkError<E, HttpResponse>) -> ChatBotError {
    let status = err.raw_response().map(|r| r.status().as_u16());
    match describe("Lex", "Lex RecognizeText", &err) {
        (Some(code), msg) => match code.as_str() {
            "ThrottlingException" => ChatBotError::Throttled(msg),
            // 5xx, a failing code hook (DependencyFailed, 424), the session busy with another
            // request (Conflict, 409): worth another try.
            "InternalServerException"
            | "BadGatewayException"
            | "DependencyFailedException"
            | "ConflictException" => ChatBotError::Unavailable(msg),
            // The request or the configuration is wrong: retrying cannot help.
            "ValidationException" | "ResourceNotFoundException" | "AccessDeniedException" => {
                ChatBotError::InvalidInput(msg)
            }
            _ => match status {
                Some(429) => ChatBotError::Throttled(msg),
                Some(s) if (400..500).contains(&s) => ChatBotError::InvalidInput(msg),
                _ => ChatBotError::Unavailable(msg),
            },
        },
        (None, msg) => ChatBotError::Unavailable(msg),
    }
}

/// The text of an SSML message: tags removed, entities decoded, spaces collapsed. Hand-written
/// rather than an XML parser: Lex's SSML is a flat `<speak>` with a few inline tags, and for a
/// post only the words matter.
fn ssml_to_text(ssml: &str) -> String {
    let mut out = String::with_capacity(ssml.len());
    let mut in_tag = false;
    for c in ssml.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = html_escape::decode_html_entities(&out);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[async_trait]
impl ChatBot for LexChatBot {
    async fn recognize_text(
        &self,
        session_id: &str,
        text: &str,
    ) -> Result<Option<String>, ChatBotError> {
        if !is_valid_session_id(session_id) {
            return Err(ChatBotError::InvalidInput(format!(
                "session id {session_id:?} is not 2-100 characters of [0-9a-zA-Z._:-]"
            )));
        }
        let length = text.chars().count();
        if text.trim().is_empty() || length > MAX_BOT_TEXT_CHARS {
            return Err(ChatBotError::InvalidInput(format!(
                "text of {length} characters: Lex takes 1 to {MAX_BOT_TEXT_CHARS}"
            )));
        }
        let out = self
            .client
            .recognize_text()
            .bot_id(&self.settings.bot_id)
            .bot_alias_id(&self.settings.bot_alias_id)
            .locale_id(&self.settings.locale_id)
            .session_id(session_id)
            .text(text)
            .send()
            .await
            .map_err(classify)?;
        let intent = out
            .session_state()
            .and_then(|s| s.intent())
            .map(|i| i.name().to_string());
        let parts: Vec<String> = out
            .messages()
            .iter()
            .filter_map(|m| {
                let content = m.content()?;
                match m.content_type() {
                    MessageContentType::PlainText => Some(content.trim().to_string()),
                    MessageContentType::Ssml => Some(ssml_to_text(content)),
                    // Cards and custom payloads are for other channels: a post carries text.
                    _ => None,
                }
            })
            .filter(|c| !c.is_empty())
            .collect();
        tracing::info!(
            intent = intent.as_deref().unwrap_or("none"),
            messages = parts.len(),
            "Lex answered"
        );
        Ok((!parts.is_empty()).then(|| parts.join("\n")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_follow_lex_pattern_and_length() {
        assert!(is_valid_session_id("author-ada_l"));
        assert!(is_valid_session_id("a:b.c-d_e"));
        assert!(!is_valid_session_id("a"));
        assert!(!is_valid_session_id(&"a".repeat(101)));
        assert!(is_valid_session_id(&"a".repeat(100)));
        assert!(!is_valid_session_id("author ada"));
        assert!(!is_valid_session_id("author-Ада"));
    }

    #[test]
    fn ssml_becomes_plain_words() {
        assert_eq!(
            ssml_to_text(
                "<speak>Why &amp; how? <break time=\"1s\"/>Because<emphasis>birds</emphasis>.</speak>"
            ),
            "Why & how? Because birds ."
        );
    }

    #[test]
    fn every_setting_is_named_when_missing() {
        let full = [
            ("BOT_ID", "ABCDE12345"),
            ("BOT_ALIAS_ID", "TSTALIASID"),
            ("BOT_LOCALE_ID", "en_US"),
        ];
        assert_eq!(
            LexBotSettings::from_env(&Env::from_pairs(full)).unwrap(),
            LexBotSettings {
                bot_id: "ABCDE12345".into(),
                bot_alias_id: "TSTALIASID".into(),
                locale_id: "en_US".into()
            }
        );
        crate::config::assert_each_variable_is_required(&full, LexBotSettings::from_env);
    }
}
