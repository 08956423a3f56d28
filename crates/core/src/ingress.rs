//! The webhook endpoint's logic: CRC answers, signature checks, and deliveries turned into events.
//!
//! Adapters (the Lambda, `starling up`) translate their HTTP types into an [`IngressRequest`] and
//! the [`IngressResponse`] back; everything that decides a status code is here.
//!
//! Redeliveries: with a claim store ([`Ingress::with_dedup`]) each activity item is claimed by
//! its key (`post:<id>`, or a hash of the raw item) before its events are published, completed
//! once the bus took them, released when it did not (then 503, and X redelivers). An item already
//! done, or being published by a concurrent request, is answered 200 without publishing again: a
//! redelivered webhook gives one MESSAGE_RECEIVED, one analysis, one alert, one reply and one lake
//! row per post. Claims are leased, so a process that dies mid-delivery frees them.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use http::{HeaderMap, Method};
use serde_json::json;
use starling_contracts::OutgoingEvent;
use starling_x::payload::parse_delivery;
use starling_x::webhook::{self, CrcError, SignatureError};

use crate::acl::{AclConfig, MappedItem, map_delivery};
use crate::ports::{Claim, Completion, EventPublisher, IdempotencyStore, Release, Secrets};
use crate::publish::{PublishReport, RetryPolicy, publish_all};

/// The default largest body accepted: X's deliveries are a few KB; 1 MiB leaves room for big DMs.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// How the ingress behaves.
#[derive(Debug, Clone)]
pub struct IngressConfig {
    /// Who the bot is, and whether retweets count.
    pub acl: AclConfig,
    /// Bodies over this many bytes get a 413 (`MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Retries of refused entries before answering 503.
    pub retry: RetryPolicy,
}

impl Default for IngressConfig {
    fn default() -> Self {
        Self {
            acl: AclConfig::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            retry: RetryPolicy::default(),
        }
    }
}

/// An HTTP request as the ingress sees it.
#[derive(Debug, Clone, Copy)]
pub struct IngressRequest<'a> {
    /// GET (CRC) or POST (delivery).
    pub method: &'a Method,
    /// The `crc_token` query parameter, already URL-decoded.
    pub crc_token: Option<&'a str>,
    /// Request headers (looked up case-insensitively).
    pub headers: &'a HeaderMap,
    /// The raw body bytes, exactly as received (the signature covers them).
    pub body: &'a [u8],
}

/// The HTTP answer.
#[derive(Debug, Clone, PartialEq)]
pub struct IngressResponse {
    /// Status code.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

impl IngressResponse {
    fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            body: body.to_string(),
        }
    }

    fn error(status: u16, message: impl std::fmt::Display) -> Self {
        Self::json(status, json!({ "error": message.to_string() }))
    }
}

/// Why a delivery was refused before anything was published (each maps to one status code).
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// 413.
    #[error("body is {size} bytes, over the {limit}-byte limit (MAX_BODY_BYTES)")]
    TooLarge {
        /// Body size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// 401.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// 400.
    #[error("malformed delivery: {0}")]
    Malformed(#[from] starling_x::payload::PayloadError),
}

impl Rejection {
    /// The HTTP status for this rejection.
    pub fn status(&self) -> u16 {
        match self {
            Self::TooLarge { .. } => 413,
            Self::Signature(_) => 401,
            Self::Malformed(_) => 400,
        }
    }
}

/// Verifies, parses and maps one delivery: everything but publishing, with no I/O.
pub fn accept_delivery(
    consumer_secret: &[u8],
    signature: Option<&[u8]>,
    body: &[u8],
    config: &IngressConfig,
) -> Result<Vec<OutgoingEvent>, Rejection> {
    Ok(accept_items(consumer_secret, signature, body, config)?
        .into_iter()
        .flat_map(|m| m.events)
        .collect())
}

/// [`accept_delivery`], item by item with each item's redelivery key.
pub fn accept_items(
    consumer_secret: &[u8],
    signature: Option<&[u8]>,
    body: &[u8],
    config: &IngressConfig,
) -> Result<Vec<MappedItem>, Rejection> {
    if body.len() > config.max_body_bytes {
        return Err(Rejection::TooLarge {
            size: body.len(),
            limit: config.max_body_bytes,
        });
    }
    webhook::verify_signature(consumer_secret, signature, body)?;
    let delivery = parse_delivery(body)?;
    Ok(map_delivery(&delivery, &config.acl))
}

/// How long an ingress claim protects an item while its events are published.
pub const DEDUP_LEASE: Duration = Duration::from_secs(60);

/// The ingress handler: the same code behind the Lambda and `starling up`.
pub struct Ingress {
    intake: Intake,
    secrets: Arc<dyn Secrets>,
    config: IngressConfig,
}

/// What became of a batch of activity items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IntakeReport {
    /// Events the bus accepted.
    pub published: usize,
    /// Items skipped as already published (or being published by another request).
    pub duplicates: usize,
    /// Bus requests made.
    pub requests: usize,
    /// Events slimmed to fit the bus's entry size.
    pub slimmed: usize,
}

/// Why a batch of activity items was not published; nothing of it is recorded as done, so
/// the caller may hand the same items in again.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The redelivery claim store is unavailable.
    #[error("redelivery store unavailable: {0}")]
    Claims(#[from] crate::ports::IdempotencyError),
    /// The bus did not take every event.
    #[error("{0}")]
    Publish(#[from] crate::publish::PublishFailure),
}

/// Activity items onto the bus at most once each, whichever way they arrived (a webhook, a poll
/// of mentions): each item is claimed by its key (`ingress:post:<id>` — the same post by any way
/// in is one post — or `ingress:item:<hash>`), its events published, and the claim completed, or
/// released when the bus did not take them.
#[derive(Clone)]
pub struct Intake {
    publisher: Arc<dyn EventPublisher>,
    dedup: Option<Arc<dyn IdempotencyStore>>,
    retry: RetryPolicy,
}

impl Intake {
    /// Publishes on `publisher` with `retry` for refused entries; no redelivery claims.
    pub fn new(publisher: Arc<dyn EventPublisher>, retry: RetryPolicy) -> Self {
        Self {
            publisher,
            dedup: None,
            retry,
        }
    }

    /// Publishes each activity item at most once, remembered in `store` (keys `ingress:…`).
    pub fn with_dedup(mut self, store: Arc<dyn IdempotencyStore>) -> Self {
        self.dedup = Some(store);
        self
    }

    /// Publishes the items not published before, in order.
    pub async fn publish(&self, items: Vec<MappedItem>) -> Result<IntakeReport, IntakeError> {
        // This call's claims, told apart from a concurrent redelivery's.
        let owner = uuid::Uuid::new_v4().simple().to_string();
        let (claimed, duplicates) = self.claim(items, &owner).await?;
        let keys: Vec<String> = claimed.iter().map(|m| m.key.clone()).collect();
        let sizes: Vec<usize> = claimed.iter().map(|m| m.events.len()).collect();
        let events: Vec<OutgoingEvent> = claimed.into_iter().flat_map(|m| m.events).collect();
        match publish_all(self.publisher.as_ref(), events, self.retry).await {
            Ok(PublishReport {
                published,
                requests,
                slimmed,
            }) => {
                self.settle(&keys, &owner, true).await;
                Ok(IntakeReport {
                    published,
                    duplicates,
                    requests,
                    slimmed,
                })
            }
            Err(e) => {
                // An item whose events all got through is done: handing the batch in again must
                // not publish it twice. The rest are given back.
                let mut done = Vec::new();
                let mut undone = Vec::new();
                let mut at = 0;
                for (key, size) in keys.into_iter().zip(sizes) {
                    let through = e
                        .accepted
                        .get(at..at + size)
                        .is_some_and(|a| a.iter().all(|ok| *ok));
                    at += size;
                    if through {
                        done.push(key)
                    } else {
                        undone.push(key)
                    }
                }
                self.settle(&done, &owner, true).await;
                self.settle(&undone, &owner, false).await;
                Err(e.into())
            }
        }
    }
}

impl Ingress {
    /// Builds the handler from its ports.
    pub fn new(
        publisher: Arc<dyn EventPublisher>,
        secrets: Arc<dyn Secrets>,
        config: IngressConfig,
    ) -> Self {
        Self {
            intake: Intake::new(publisher, config.retry),
            secrets,
            config,
        }
    }

    /// Publishes each activity item at most once, remembered in `store` (keys `ingress:…`).
    pub fn with_dedup(mut self, store: Arc<dyn IdempotencyStore>) -> Self {
        self.intake = self.intake.with_dedup(store);
        self
    }

    /// The configuration in force.
    pub fn config(&self) -> &IngressConfig {
        &self.config
    }

    /// Answers one request. Never panics on input; every failure is a status code.
    pub async fn handle(&self, req: IngressRequest<'_>) -> IngressResponse {
        match *req.method {
            Method::GET => self.crc(req.crc_token).await,
            Method::POST => self.delivery(req).await,
            _ => IngressResponse::error(405, "only GET (CRC) and POST (deliveries) are served"),
        }
    }

    async fn crc(&self, token: Option<&str>) -> IngressResponse {
        if let Err(e) = webhook::validate_crc_token(token) {
            return crc_refused(&e);
        }
        let creds = match self.secrets.x_credentials().await {
            Ok(c) => c,
            Err(e) => return secrets_unavailable(&e),
        };
        match webhook::crc_response_body(creds.api_secret.as_bytes(), token) {
            Ok(body) => IngressResponse { status: 200, body },
            Err(e) => crc_refused(&e),
        }
    }

    async fn delivery(&self, req: IngressRequest<'_>) -> IngressResponse {
        // Size first: refusing a huge body must not cost a secret lookup or an HMAC over it.
        if req.body.len() > self.config.max_body_bytes {
            let r = Rejection::TooLarge {
                size: req.body.len(),
                limit: self.config.max_body_bytes,
            };
            tracing::warn!(error = %r, "delivery refused");
            return IngressResponse::error(r.status(), r);
        }
        let creds = match self.secrets.x_credentials().await {
            Ok(c) => c,
            Err(e) => return secrets_unavailable(&e),
        };
        let signature = req
            .headers
            .get(webhook::SIGNATURE_HEADER)
            .map(|v| v.as_bytes());
        let items = match accept_items(
            creds.api_secret.as_bytes(),
            signature,
            req.body,
            &self.config,
        ) {
            Ok(items) => items,
            Err(r) => {
                tracing::warn!(status = r.status(), error = %r, "delivery refused");
                return IngressResponse::error(r.status(), r);
            }
        };
        let count: usize = items.iter().map(|m| m.events.len()).sum();
        match self.intake.publish(items).await {
            Ok(IntakeReport {
                published,
                duplicates,
                requests,
                slimmed,
            }) => {
                tracing::info!(
                    published,
                    requests,
                    slimmed,
                    duplicates,
                    "delivery accepted"
                );
                IngressResponse::json(
                    200,
                    json!({ "accepted": published, "duplicates": duplicates }),
                )
            }
            Err(IntakeError::Claims(e)) => {
                tracing::error!(error = %e, "redelivery store unavailable; X will redeliver");
                IngressResponse::error(503, "redelivery store unavailable; retry later")
            }
            Err(IntakeError::Publish(e)) => {
                tracing::error!(error = %e, events = count, "delivery not fully published; X will redeliver");
                IngressResponse::error(503, format!("{e}; retry later"))
            }
        }
    }
}

impl Intake {
    /// The items this call publishes (claimed now) and how many were redeliveries.
    async fn claim(
        &self,
        items: Vec<MappedItem>,
        owner: &str,
    ) -> Result<(Vec<MappedItem>, usize), crate::ports::IdempotencyError> {
        let Some(store) = &self.dedup else {
            return Ok((items, 0));
        };
        let now = Utc::now();
        let lease = now + TimeDelta::from_std(DEDUP_LEASE).unwrap_or(TimeDelta::MAX);
        let mut claimed = Vec::with_capacity(items.len());
        let mut duplicates = 0;
        for item in items {
            match store
                .claim(&format!("ingress:{}", item.key), owner, now, lease)
                .await
            {
                Ok(Claim::Claimed | Claim::ClaimedUncertain { .. }) => claimed.push(item),
                Ok(Claim::Done(_) | Claim::InProgress) => duplicates += 1,
                Err(e) => {
                    // Give back what this request claimed: X redelivers the whole delivery.
                    let keys: Vec<String> = claimed.iter().map(|m| m.key.clone()).collect();
                    self.settle(&keys, owner, false).await;
                    return Err(e);
                }
            }
        }
        Ok((claimed, duplicates))
    }

    /// Completes (published) or releases (not published) the claims of `keys`.
    async fn settle(&self, keys: &[String], owner: &str, published: bool) {
        let Some(store) = &self.dedup else { return };
        for key in keys {
            let key = format!("ingress:{key}");
            let result = if published {
                let done = Completion::Sent {
                    tweet_id: key.clone(),
                };
                store.complete(&key, owner, &done).await
            } else {
                store.release(&key, owner, Release::NothingPosted).await
            };
            if let Err(e) = result {
                // Published but not recorded: a redelivery within the lease is still skipped,
                // after it the item may be published again. Not published and not released:
                // the lease frees it.
                tracing::warn!(%key, error = %e, "redelivery claim not settled");
            }
        }
    }
}

fn crc_refused(e: &CrcError) -> IngressResponse {
    tracing::warn!(error = %e, "CRC refused");
    IngressResponse::error(400, e)
}

fn secrets_unavailable(e: &crate::ports::SecretsError) -> IngressResponse {
    tracing::error!(error = %e, "X credentials unavailable");
    IngressResponse::error(503, "credentials unavailable; retry later")
}

/// Extracts `crc_token` from a raw query string (`a=1&crc_token=…&nonce=…`), percent-decoded.
/// A `+` stays a `+` (RFC 3986), since base64 tokens contain it; other parameters are ignored.
pub fn crc_token_from_query(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let value = pair
            .strip_prefix("crc_token=")
            .or_else(|| (pair == "crc_token").then_some(""))?;
        Some(
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_token_is_found_among_other_parameters_and_percent_decoded() {
        assert_eq!(
            crc_token_from_query(Some("nonce=1&crc_token=ab%2Bc%3D")),
            Some("ab+c=".into())
        );
        assert_eq!(
            crc_token_from_query(Some("crc_token=a+b")),
            Some("a+b".into())
        );
        assert_eq!(crc_token_from_query(Some("crc_token")), Some(String::new()));
        assert_eq!(crc_token_from_query(Some("nonce=1")), None);
        assert_eq!(crc_token_from_query(None), None);
    }
}
