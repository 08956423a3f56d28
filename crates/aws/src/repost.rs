//! The repost Lambda's wiring: keyword-search matches (route `repost`) through the repost rule
//! over the reply policy's DynamoDB state, reposted on X as the bot (credentials from Secrets
//! Manager, cached), REPOSTED / REPOST_SUPPRESSED on EventBridge.

use std::time::Duration;

use starling_core::policy::RepostRule;
use starling_x::api::XApiConfig;

use crate::{ConfigError, Env, EventBridgePublisher, PolicySettings};

/// The repost Lambda's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RepostSettings {
    /// `SECRET_ARN`: the X credentials (the bot's user credentials sign the repost).
    pub secret_arn: String,
    /// `EVENT_BUS_NAME`: where REPOSTED and REPOST_SUPPRESSED go.
    pub event_bus_name: String,
    /// `POLICY_TABLE`, `BOT_USER_ID`, `REPLY_POLICY` (whose `repost` object is the rule).
    pub policy: PolicySettings,
    /// `X_API_BASE` (default `https://api.x.com`), `X_TIMEOUT_SECONDS` (10).
    pub x_api: XApiConfig,
    /// `SECRET_TTL_SECONDS` (300).
    pub secret_ttl: Duration,
    /// `DRY_RUN` (`false`): decide, never repost (REPOST_SUPPRESSED `dry-run`).
    pub dry_run: bool,
}

impl RepostSettings {
    /// Reads the settings, naming any missing or invalid variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            secret_arn: env.required(
                "SECRET_ARN",
                "the Secrets Manager secret holding the X credentials",
            )?,
            event_bus_name: env.required(
                "EVENT_BUS_NAME",
                "the EventBridge bus for REPOSTED/REPOST_SUPPRESSED",
            )?,
            policy: PolicySettings::from_env(env)?,
            x_api: env.x_api()?,
            secret_ttl: Duration::from_secs(env.parsed("SECRET_TTL_SECONDS", 300u64)?),
            dry_run: env.parsed("DRY_RUN", false)?,
        })
    }
}

/// The repost rule with its AWS adapters, and the bus its events go to.
pub fn repost(
    settings: RepostSettings,
    sdk: &aws_config::SdkConfig,
) -> (RepostRule, EventBridgePublisher) {
    let x = crate::egress::x_poster(
        sdk,
        &settings.secret_arn,
        settings.secret_ttl,
        settings.x_api,
        settings.policy.bot_user_id.clone(),
        settings.dry_run,
    );
    let dry_run = settings.dry_run;
    (
        RepostRule::new(settings.policy.policy(sdk), x, dry_run),
        EventBridgePublisher::new(sdk, &settings.event_bus_name),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_required_variable_is_named_when_missing() {
        let full = [
            (
                "SECRET_ARN",
                "arn:aws:secretsmanager:eu-west-1:1:secret:TwitterSecret",
            ),
            ("EVENT_BUS_NAME", "Plumbing"),
            ("POLICY_TABLE", "starling-reply-policy"),
            ("BOT_USER_ID", "42"),
        ];
        let settings = RepostSettings::from_env(&Env::from_pairs(full)).unwrap();
        assert!(!settings.dry_run);
        assert!(!settings.policy.config.repost.enabled);
        crate::config::assert_each_variable_is_required(&full, RepostSettings::from_env);
    }

    #[test]
    fn a_repost_rule_without_curated_authors_is_refused_at_start() {
        let env = Env::from_pairs([
            ("SECRET_ARN", "arn"),
            ("EVENT_BUS_NAME", "Plumbing"),
            ("POLICY_TABLE", "t"),
            ("BOT_USER_ID", "42"),
            ("REPLY_POLICY", r#"{"repost": {"enabled": true}}"#),
        ]);
        let err = RepostSettings::from_env(&env).unwrap_err().to_string();
        assert!(err.contains("repost.authors"), "{err}");
    }
}
