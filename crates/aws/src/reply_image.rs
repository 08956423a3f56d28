//! The reply-image Lambda's wiring: settings from the environment, the media bucket on S3, the
//! moderation gate on Rekognition, the reply policy (state in DynamoDB) in front, the SEND_TWEET
//! or REPLY_SUPPRESSED (and MODERATION_FLAGGED) on EventBridge.

use std::sync::Arc;

use starling_core::policy::PolicyGate;
use starling_core::responding::annotate::UnknownFaces;
use starling_core::responding::reply_image::{ReplyImage, ReplyImageConfig};

use crate::{AwsModerator, ConfigError, Env, EventBridgePublisher, PolicySettings, S3BlobStore};

/// The reply-image Lambda's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyImageSettings {
    /// `MEDIA_BUCKET`: the images and their annotated copies.
    pub media_bucket: String,
    /// `EVENT_BUS_NAME`: where SEND_TWEET goes.
    pub event_bus_name: String,
    /// `UNKNOWN_FACES`: `ignore` (default), `box` or `blur`.
    pub unknown_faces: UnknownFaces,
    /// `POLICY_TABLE`, `BOT_USER_ID`, `REPLY_POLICY` (whose `moderation` sets the gate).
    pub policy: PolicySettings,
}

impl ReplyImageSettings {
    /// Reads the settings, naming any missing or invalid variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            media_bucket: env.required(
                "MEDIA_BUCKET",
                "the bucket holding the images and their annotated copies",
            )?,
            event_bus_name: env.required("EVENT_BUS_NAME", "the EventBridge bus for SEND_TWEET")?,
            unknown_faces: env.parsed("UNKNOWN_FACES", UnknownFaces::Ignore)?,
            policy: PolicySettings::from_env(env)?,
        })
    }
}

/// reply-image over the media bucket, each image moderated by Rekognition, behind the reply
/// policy, and the bus its events go to.
pub fn reply_image(
    settings: ReplyImageSettings,
    sdk: &aws_config::SdkConfig,
) -> (PolicyGate<ReplyImage>, EventBridgePublisher) {
    let config = ReplyImageConfig {
        unknown_faces: settings.unknown_faces,
        moderation: settings.policy.config.moderation.clone(),
        ..ReplyImageConfig::default()
    };
    (
        PolicyGate::new(
            ReplyImage::new(
                Arc::new(S3BlobStore::new(sdk, settings.media_bucket)),
                Arc::new(AwsModerator::new(sdk)),
                config,
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
            ("MEDIA_BUCKET", "media"),
            ("EVENT_BUS_NAME", "Plumbing"),
            ("POLICY_TABLE", "starling-reply-policy"),
            ("BOT_USER_ID", "42"),
        ];
        let settings = ReplyImageSettings::from_env(&Env::from_pairs(full)).unwrap();
        assert_eq!(settings.unknown_faces, UnknownFaces::Ignore);
        assert_eq!(
            settings.policy.config.moderation,
            starling_core::policy::ModerationConfig::default()
        );
        crate::config::assert_each_variable_is_required(&full, ReplyImageSettings::from_env);
    }

    #[test]
    fn the_moderation_gate_is_set_by_the_policy_documents_moderation_section() {
        let vars = [
            ("MEDIA_BUCKET", "media"),
            ("EVENT_BUS_NAME", "Plumbing"),
            ("POLICY_TABLE", "starling-reply-policy"),
            ("BOT_USER_ID", "42"),
            (
                "REPLY_POLICY",
                r#"{"moderation": {"imageMinConfidence": 75, "whenUnavailable": "suppress"}}"#,
            ),
        ];
        let settings = ReplyImageSettings::from_env(&Env::from_pairs(vars)).unwrap();
        let m = &settings.policy.config.moderation;
        assert_eq!(m.image_min_confidence, 75.0);
        assert_eq!(
            m.when_unavailable,
            starling_core::policy::WhenUnavailable::Suppress
        );
        let bad = [
            ("MEDIA_BUCKET", "media"),
            ("EVENT_BUS_NAME", "Plumbing"),
            ("POLICY_TABLE", "starling-reply-policy"),
            ("BOT_USER_ID", "42"),
            ("REPLY_POLICY", r#"{"moderation": {"textThreshold": 2}}"#),
        ];
        let err = ReplyImageSettings::from_env(&Env::from_pairs(bad)).unwrap_err();
        assert!(
            err.to_string().contains("REPLY_POLICY") && err.to_string().contains("textThreshold"),
            "{err}"
        );
    }
}
