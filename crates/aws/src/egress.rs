//! The egress Lambda's wiring: settings from the environment, the X API with credentials from
//! Secrets Manager (cached), images from S3, idempotency in DynamoDB, outcomes on EventBridge.
//!
//! Time: an attempt is cut off at [`EgressConfig::attempt_deadline`] (120 s), the Lambda's timeout
//! is 150 s (the CDK app), and a claim's lease 180 s, so a claim is never taken over from a live
//! attempt.

use std::sync::Arc;
use std::time::Duration;

use starling_core::egress::{DryRunPoster, Egress, EgressConfig, XApiPoster};
use starling_core::ports::{SystemClock, XPoster};
use starling_core::secrets::CachedSecrets;
use starling_x::api::{XApi, XApiConfig};

use crate::{ConfigError, DynamoIdempotency, Env, EventBridgePublisher, SecretsManagerSecrets};

/// The egress Lambda's settings.
#[derive(Debug, Clone)]
pub struct EgressSettings {
    /// `SECRET_ARN`: the X credentials.
    pub secret_arn: String,
    /// `EVENT_BUS_NAME`: where TWEET_SENT / TWEET_FAILED go.
    pub event_bus_name: String,
    /// `MEDIA_BUCKET`: where the images to attach are.
    pub media_bucket: String,
    /// `IDEMPOTENCY_TABLE`: one item per IdempotencyKey.
    pub idempotency_table: String,
    /// `BOT_USER_ID`: the bot's X user id, whose own posts egress reads after an attempt whose
    /// answer was lost (to record the reply instead of posting it twice).
    pub bot_user_id: String,
    /// `X_API_BASE` / `X_UPLOAD_BASE` (default `https://api.x.com`), `X_TIMEOUT_SECONDS` (10).
    pub x_api: XApiConfig,
    /// `SECRET_TTL_SECONDS` (300).
    pub secret_ttl: Duration,
    /// `ATTEMPT_DEADLINE_SECONDS` (120) and `LEASE_SECONDS` (180): one attempt's cut-off and a
    /// claim's lease; keep the Lambda timeout between them.
    pub attempt_deadline: Duration,
    /// See `attempt_deadline`.
    pub lease: Duration,
    /// `DRY_RUN` (`false`): log replies instead of posting them, publish REPLY_SUPPRESSED
    /// `dry-run` (with the text, so it reaches the lake) instead of TWEET_SENT.
    pub dry_run: bool,
}

impl EgressSettings {
    /// Reads the settings, naming any missing or invalid variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = XApiConfig::default();
        let defaults_egress = EgressConfig::default();
        Ok(Self {
            secret_arn: env.required(
                "SECRET_ARN",
                "the Secrets Manager secret holding the X credentials",
            )?,
            event_bus_name: env.required(
                "EVENT_BUS_NAME",
                "the EventBridge bus for TWEET_SENT/TWEET_FAILED",
            )?,
            media_bucket: env
                .required("MEDIA_BUCKET", "the bucket holding the images to attach")?,
            idempotency_table: env.required(
                "IDEMPOTENCY_TABLE",
                "the DynamoDB table keyed by IdempotencyKey",
            )?,
            bot_user_id: env.required(
                "BOT_USER_ID",
                "the bot's X user id (digits), to find its own replies",
            )?,
            x_api: XApiConfig {
                api_base: env
                    .get("X_API_BASE")
                    .map(str::to_string)
                    .unwrap_or(defaults.api_base),
                upload_base: env
                    .get("X_UPLOAD_BASE")
                    .map(str::to_string)
                    .unwrap_or(defaults.upload_base),
                timeout: Duration::from_secs(env.parsed("X_TIMEOUT_SECONDS", 10u64)?),
            },
            secret_ttl: Duration::from_secs(env.parsed("SECRET_TTL_SECONDS", 300u64)?),
            attempt_deadline: Duration::from_secs(env.parsed(
                "ATTEMPT_DEADLINE_SECONDS",
                defaults_egress.attempt_deadline.as_secs(),
            )?),
            lease: Duration::from_secs(
                env.parsed("LEASE_SECONDS", defaults_egress.lease.as_secs())?,
            ),
            dry_run: env.parsed("DRY_RUN", false)?,
        })
    }
}

/// The egress handler with its AWS adapters (X with credentials from Secrets Manager, cached;
/// images from S3; claims in DynamoDB), and the bus TWEET_SENT / TWEET_FAILED go to.
pub fn egress(
    settings: EgressSettings,
    sdk: &aws_config::SdkConfig,
) -> (Egress, EventBridgePublisher) {
    let secrets = CachedSecrets::new(
        SecretsManagerSecrets::new(sdk, &settings.secret_arn),
        settings.secret_ttl,
    );
    let x: Arc<dyn XPoster> = if settings.dry_run {
        Arc::new(DryRunPoster::default())
    } else {
        Arc::new(XApiPoster::new(
            XApi::new(settings.x_api),
            secrets,
            settings.bot_user_id,
        ))
    };
    let egress = Egress::new(
        x,
        Arc::new(crate::S3BlobStore::new(sdk, &settings.media_bucket)),
        Arc::new(DynamoIdempotency::new(sdk, &settings.idempotency_table)),
        Arc::new(SystemClock),
        EgressConfig {
            dry_run: settings.dry_run,
            attempt_deadline: settings.attempt_deadline,
            lease: settings.lease,
            ..EgressConfig::default()
        },
    );
    (
        egress,
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
            ("MEDIA_BUCKET", "media"),
            ("IDEMPOTENCY_TABLE", "starling-idempotency"),
            ("BOT_USER_ID", "1234"),
        ];
        assert!(EgressSettings::from_env(&Env::from_pairs(full)).is_ok());
        crate::config::assert_each_variable_is_required(&full, EgressSettings::from_env);
    }
}
