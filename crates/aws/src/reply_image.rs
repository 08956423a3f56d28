//! The reply-image Lambda's wiring: settings from the environment, the media bucket on S3, the
//! SEND_TWEET on EventBridge.

use std::sync::Arc;

use starling_core::responding::annotate::UnknownFaces;
use starling_core::responding::reply_image::{ReplyImage, ReplyImageConfig};

use crate::{ConfigError, Env, EventBridgePublisher, S3BlobStore};

/// The reply-image Lambda's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyImageSettings {
    /// `MEDIA_BUCKET`: the images and their annotated copies.
    pub media_bucket: String,
    /// `EVENT_BUS_NAME`: where SEND_TWEET goes.
    pub event_bus_name: String,
    /// `UNKNOWN_FACES`: `ignore` (default), `box` or `blur`.
    pub unknown_faces: UnknownFaces,
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
        })
    }
}

/// reply-image over the media bucket, and the bus its SEND_TWEET goes to.
pub fn reply_image(
    settings: ReplyImageSettings,
    sdk: &aws_config::SdkConfig,
) -> (ReplyImage, EventBridgePublisher) {
    let config = ReplyImageConfig {
        unknown_faces: settings.unknown_faces,
        ..ReplyImageConfig::default()
    };
    (
        ReplyImage::new(
            Arc::new(S3BlobStore::new(sdk, settings.media_bucket)),
            config,
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
        let full = [("MEDIA_BUCKET", "media"), ("EVENT_BUS_NAME", "Plumbing")];
        let settings = ReplyImageSettings::from_env(&Env::from_pairs(full)).unwrap();
        assert_eq!(settings.unknown_faces, UnknownFaces::Ignore);
        crate::config::assert_each_variable_is_required(&full, ReplyImageSettings::from_env);
    }
}
