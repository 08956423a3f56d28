//! The reply-text Lambda's wiring: settings from the environment, Lex V2 as the chat bot and
//! Comprehend `DetectToxicContent` as the moderation gate behind the reply policy (state in
//! DynamoDB), the SEND_TWEET or REPLY_SUPPRESSED (and MODERATION_FLAGGED) on EventBridge.

use std::sync::Arc;

use starling_core::policy::PolicyGate;
use starling_core::responding::reply_text::ReplyText;

use crate::lex::{LexBotSettings, LexChatBot};
use crate::{AwsModerator, ConfigError, Env, EventBridgePublisher, PolicySettings};

/// The reply-text Lambda's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyTextSettings {
    /// `BOT_ID`, `BOT_ALIAS_ID`, `BOT_LOCALE_ID`.
    pub bot: LexBotSettings,
    /// `EVENT_BUS_NAME`: where SEND_TWEET goes.
    pub event_bus_name: String,
    /// `POLICY_TABLE`, `BOT_USER_ID`, `REPLY_POLICY`.
    pub policy: PolicySettings,
}

impl ReplyTextSettings {
    /// Reads the settings, naming any missing variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            bot: LexBotSettings::from_env(env)?,
            event_bus_name: env.required("EVENT_BUS_NAME", "the EventBridge bus for SEND_TWEET")?,
            policy: PolicySettings::from_env(env)?,
        })
    }
}

/// reply-text asking Lex, its replies moderated by Comprehend, behind the reply policy, and the
/// bus its events go to.
pub fn reply_text(
    settings: ReplyTextSettings,
    sdk: &aws_config::SdkConfig,
) -> (PolicyGate<ReplyText>, EventBridgePublisher) {
    let moderation = settings.policy.config.moderation.clone();
    (
        PolicyGate::new(
            ReplyText::new(
                Arc::new(LexChatBot::new(sdk, settings.bot)),
                Arc::new(AwsModerator::new(sdk)),
                moderation,
            ),
            settings.policy.policy(sdk),
        ),
        EventBridgePublisher::new(sdk, settings.event_bus_name),
    )
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
            ("POLICY_TABLE", "starling-reply-policy"),
            ("BOT_USER_ID", "42"),
        ];
        assert_eq!(
            ReplyTextSettings::from_env(&Env::from_pairs(full))
                .unwrap()
                .event_bus_name,
            "Plumbing"
        );
        crate::config::assert_each_variable_is_required(&full, ReplyTextSettings::from_env);
    }
}
