//! The alert Lambda's wiring (routes `alert-negative` and `alert-moderation`): settings from the
//! environment, the SNS topic ops subscribe to.

use std::sync::Arc;

use starling_core::alert::{AlertConfig, AlertHandler};

use crate::{ConfigError, Env, SnsNotifier};

/// The alert Lambda's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSettings {
    /// `ALERT_TOPIC_ARN`: the SNS topic ops subscribe to.
    pub topic_arn: String,
    /// `MIN_NEGATIVE_SCORE` (default 0.5).
    pub config: AlertConfig,
}

impl AlertSettings {
    /// Reads the settings, naming any missing or invalid variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            topic_arn: env.required("ALERT_TOPIC_ARN", "the SNS topic ops subscribe to")?,
            config: AlertConfig {
                min_negative_score: env.parsed(
                    "MIN_NEGATIVE_SCORE",
                    AlertConfig::default().min_negative_score,
                )?,
            },
        })
    }
}

/// The alert handler publishing to SNS (it puts no events on the bus).
pub fn alert(settings: AlertSettings, sdk: &aws_config::SdkConfig) -> AlertHandler {
    AlertHandler::new(
        Arc::new(SnsNotifier::new(sdk, settings.topic_arn)),
        settings.config,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_topic_is_required_and_the_threshold_defaults_to_one_half() {
        let full = [("ALERT_TOPIC_ARN", "arn:aws:sns:eu-west-1:1:alerts")];
        let settings = AlertSettings::from_env(&Env::from_pairs(full)).unwrap();
        assert_eq!(settings.config.min_negative_score, 0.5);
        crate::config::assert_each_variable_is_required(&full, AlertSettings::from_env);
        let bad = [
            ("ALERT_TOPIC_ARN", "arn:aws:sns:eu-west-1:1:alerts"),
            ("MIN_NEGATIVE_SCORE", "high"),
        ];
        let err = AlertSettings::from_env(&Env::from_pairs(bad)).unwrap_err();
        assert!(err.to_string().contains("MIN_NEGATIVE_SCORE"), "{err}");
    }
}
