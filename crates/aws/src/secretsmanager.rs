//! [`Secrets`] on AWS Secrets Manager: one JSON secret `{ApiKey, ApiSecret, AccessToken, AccessTokenSecret}`.
//! Wrap it in `starling_core::secrets::CachedSecrets` so warm invocations don't call the service.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use starling_core::ports::{Secrets, SecretsError, XCredentials};

/// Reads the X credentials from one secret.
#[derive(Debug, Clone)]
pub struct SecretsManagerSecrets {
    client: Client,
    secret_id: String,
}

impl SecretsManagerSecrets {
    /// Reads the secret `secret_id` (a name or an ARN).
    pub fn new(config: &aws_config::SdkConfig, secret_id: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            secret_id: secret_id.into(),
        }
    }
}

#[async_trait]
impl Secrets for SecretsManagerSecrets {
    async fn x_credentials(&self) -> Result<XCredentials, SecretsError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                let reason = match e.as_service_error() {
                    Some(se) => format!(
                        "{}: {}",
                        se.code().unwrap_or("Unknown"),
                        se.message().unwrap_or_default()
                    ),
                    None => "could not reach Secrets Manager".to_string(),
                };
                SecretsError::Unavailable(format!("reading secret {}: {reason}", self.secret_id))
            })?;
        let json = out.secret_string().ok_or_else(|| SecretsError::Malformed {
            name: self.secret_id.clone(),
            reason: "the secret has no string value (binary secrets are not supported)".into(),
        })?;
        XCredentials::from_json(&self.secret_id, json)
    }
}
