//! The reply-text Lambda's wiring: settings from the environment, Lex V2 as the chat bot, the
//! SEND_TWEET on EventBridge.

use std::sync::Arc;

use starling_contracts::MessageAnalysed;
use starling_core::ports::ChatBotError;
use starling_core::publish::{RetryPolicy, publish_all};
use starling_core::responding::reply_text::{ReplyText, ReplyTextError};

use crate::lex::{LexBotSettings, LexChatBot};
use crate::{ConfigError, Env, EventBridgePublisher, TaskError};

/// The reply-text Lambda's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTextSettings {
    /// `BOT_ID`, `BOT_ALIAS_ID`, `BOT_LOCALE_ID`.
    pub bot: LexBotSettings,
    /// `EVENT_BUS_NAME`: where SEND_TWEET goes.
    pub event_bus_name: String,
}

impl ReplyTextSettings {
    /// Reads the settings, naming any missing variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            bot: LexBotSettings::from_env(env)?,
            event_bus_name: env.required("EVENT_BUS_NAME", "the EventBridge bus for SEND_TWEET")?,
        })
    }
}

/// reply-text with Lex and EventBridge.
pub struct ReplyTextLambda {
    handler: ReplyText,
    bus: EventBridgePublisher,
}

impl ReplyTextLambda {
    /// Builds the handler.
    pub fn new(settings: ReplyTextSettings, sdk: &aws_config::SdkConfig) -> Self {
        Self {
            handler: ReplyText::new(Arc::new(LexChatBot::new(sdk, settings.bot))),
            bus: EventBridgePublisher::new(sdk, settings.event_bus_name),
        }
    }

    /// Answers one MESSAGE_ANALYSED: the SEND_TWEET's idempotency key when the bot said
    /// something (and it is on the bus), `None` when there is nothing to reply. Throttling and
    /// outages are `Starling.Throttled` / `Starling.Unavailable` (Lambda's async retry, then the
    /// DLQ); a request Lex refuses is `Starling.InvalidInput`.
    pub async fn handle(&self, message: &MessageAnalysed) -> Result<Option<String>, TaskError> {
        let Some(event) = self.handler.handle(message).await.map_err(task_error)? else {
            return Ok(None);
        };
        let key = event
            .detail
            .get("IdempotencyKey")
            .and_then(|k| k.as_str())
            .map(str::to_string)
            .unwrap_or_default();
        publish_all(&self.bus, vec![event], RetryPolicy::default())
            .await
            .map_err(TaskError::unavailable)?;
        Ok(Some(key))
    }
}

fn task_error(e: ReplyTextError) -> TaskError {
    let error_type = match &e {
        ReplyTextError::ChatBot(ChatBotError::Throttled(_)) => "Starling.Throttled",
        ReplyTextError::ChatBot(ChatBotError::Unavailable(_)) => "Starling.Unavailable",
        ReplyTextError::ChatBot(ChatBotError::InvalidInput(_)) | ReplyTextError::Serialise(_) => {
            "Starling.InvalidInput"
        }
    };
    TaskError {
        error_type,
        message: e.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_required_variable_is_named_when_missing() {
        let full = [
            ("BOT_ID", "ABCDE12345"),
            ("BOT_ALIAS_ID", "TSTALIASID"),
            ("BOT_LOCALE_ID", "en_US"),
            ("EVENT_BUS_NAME", "Plumbing"),
        ];
        assert_eq!(
            ReplyTextSettings::from_env(&Env::from_pairs(full))
                .unwrap()
                .event_bus_name,
            "Plumbing"
        );
        crate::config::assert_each_variable_is_required(&full, ReplyTextSettings::from_env);
    }

    #[test]
    fn chat_bot_errors_keep_their_retry_class() {
        let t = |e| task_error(ReplyTextError::ChatBot(e)).error_type;
        assert_eq!(t(ChatBotError::Throttled("x".into())), "Starling.Throttled");
        assert_eq!(
            t(ChatBotError::Unavailable("x".into())),
            "Starling.Unavailable"
        );
        assert_eq!(
            t(ChatBotError::InvalidInput("x".into())),
            "Starling.InvalidInput"
        );
    }
}
