//! A time-limited cache in front of any [`Secrets`] port, so a rotated secret is picked up
//! within the TTL without a redeploy, and warm invocations don't call the store.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::ports::{Secrets, SecretsError, XCredentials};

/// Caches the credentials of an inner [`Secrets`] for a TTL. Failures are not cached.
pub struct CachedSecrets<S> {
    inner: S,
    ttl: Duration,
    cached: Mutex<Option<(Instant, XCredentials)>>,
}

impl<S: Secrets> CachedSecrets<S> {
    /// Wraps `inner`, keeping a value for `ttl`.
    pub fn new(inner: S, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            cached: Mutex::new(None),
        }
    }
}

#[async_trait]
impl<S: Secrets> Secrets for CachedSecrets<S> {
    async fn x_credentials(&self) -> Result<XCredentials, SecretsError> {
        let mut cached = self.cached.lock().await;
        if let Some((at, creds)) = cached.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(creds.clone());
        }
        let fresh = self.inner.x_credentials().await?;
        *cached = Some((Instant::now(), fresh.clone()));
        Ok(fresh)
    }
}

/// Credentials fixed at start-up (the local runtime, tests).
#[derive(Clone, Debug)]
pub struct StaticSecrets(pub XCredentials);

#[async_trait]
impl Secrets for StaticSecrets {
    async fn x_credentials(&self) -> Result<XCredentials, SecretsError> {
        Ok(self.0.clone())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Rotating(AtomicUsize);

    #[async_trait]
    impl Secrets for Rotating {
        async fn x_credentials(&self) -> Result<XCredentials, SecretsError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            if n == 1 {
                return Err(SecretsError::Unavailable("throttled".into()));
            }
            Ok(XCredentials {
                api_secret: format!("secret-{n}"),
                ..Default::default()
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn secret_is_cached_until_the_ttl_then_refetched_and_failures_are_not_cached() {
        let cache = CachedSecrets::new(Rotating(AtomicUsize::new(0)), Duration::from_secs(300));
        assert_eq!(cache.x_credentials().await.unwrap().api_secret, "secret-0");
        tokio::time::advance(Duration::from_secs(299)).await;
        assert_eq!(cache.x_credentials().await.unwrap().api_secret, "secret-0");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(cache.x_credentials().await.is_err());
        assert_eq!(cache.x_credentials().await.unwrap().api_secret, "secret-2");
    }
}
