//! OAuth 2.0 Authorization Code with PKCE (RFC 6749 §4.1, RFC 7636 S256) for the bot's own
//! account, as X documents it (`docs.x.com`, "OAuth 2.0 Authorization Code Flow with PKCE"):
//! the user is sent to `https://x.com/i/oauth2/authorize`, X redirects back with a `code`, and the
//! code is exchanged at `POST https://api.x.com/2/oauth2/token` with the PKCE verifier; with
//! `offline.access` a refresh token renews the two-hour access token.
//!
//! Written here rather than with the `oauth2` crate: that crate's HTTP integration is built on
//! another reqwest major version than the workspace's, and the flow is three small requests.
//! Tokens never appear in a URL, an error or a log line; [`Tokens`]'s `Debug` hides them.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where X sends the user to authorise the app.
pub const AUTHORIZE_URL: &str = "https://x.com/i/oauth2/authorize";
/// The scopes Starling asks for: read and post as the bot, read users, and a refresh token.
pub const SCOPES: &str = "tweet.read tweet.write users.read offline.access";
/// How long before its expiry an access token is renewed.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A PKCE pair: the verifier kept here, its S256 challenge sent in the authorisation URL.
#[derive(Clone)]
pub struct Pkce {
    /// The secret verifier (64 characters of `[0-9a-f]`, within RFC 7636's 43–128).
    pub verifier: String,
    /// `BASE64URL(SHA256(verifier))`.
    pub challenge: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce").finish_non_exhaustive()
    }
}

impl Pkce {
    /// A fresh random verifier and its challenge.
    pub fn new() -> Self {
        let verifier = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        Self::from_verifier(verifier)
    }

    /// The pair for a given verifier.
    pub fn from_verifier(verifier: String) -> Self {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// The app's OAuth 2.0 client (X developer portal, "User authentication settings").
#[derive(Clone)]
pub struct Client {
    /// The OAuth 2.0 client id.
    pub client_id: String,
    /// The client secret of a confidential client (sent as HTTP Basic), `None` for a public one.
    pub client_secret: Option<String>,
    /// The authorisation page (default [`AUTHORIZE_URL`]).
    pub authorize_url: String,
    /// The token endpoint (default `https://api.x.com/2/oauth2/token`).
    pub token_url: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id)
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

/// The bot's tokens, as kept in the data directory (0600) or printed for Secrets Manager.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Tokens {
    /// The bearer access token (two hours on X).
    pub access_token: String,
    /// The refresh token (with `offline.access`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// The scopes granted.
    #[serde(default)]
    pub scope: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Whether the access token should be renewed at `now` (expired, or within the margin).
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        let margin = TimeDelta::from_std(REFRESH_MARGIN).unwrap_or(TimeDelta::zero());
        now + margin >= self.expires_at
    }
}

/// Why the flow failed. Never carries a token, a code or a secret.
#[derive(Debug, thiserror::Error)]
pub enum OAuth2Error {
    /// X's token endpoint refused (its `error` and `error_description`).
    #[error("X refused the token request ({status}): {error}: {description}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The OAuth error code, e.g. `invalid_grant`.
        error: String,
        /// X's description.
        description: String,
    },
    /// The endpoint could not be reached or answered something unreadable.
    #[error("token endpoint unavailable: {0}")]
    Unavailable(String),
    /// The redirect did not carry what the flow expects (a different `state`, an `error`).
    #[error("authorisation failed: {0}")]
    Authorisation(String),
    /// Refresh asked of tokens without a refresh token.
    #[error("no refresh token (authorise with the offline.access scope)")]
    NoRefreshToken,
}

impl Client {
    /// The URL to send the user to.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str, pkce: &Pkce) -> String {
        let mut url = match reqwest::Url::parse(&self.authorize_url) {
            Ok(url) => url,
            Err(_) => return self.authorize_url.clone(),
        };
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", SCOPES)
            .append_pair("state", state)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        url.into()
    }

    /// Exchanges the redirect's `code` for tokens, proving the flow with the PKCE verifier.
    pub async fn exchange_code(
        &self,
        http: &reqwest::Client,
        code: &str,
        redirect_uri: &str,
        pkce: &Pkce,
        now: DateTime<Utc>,
    ) -> Result<Tokens, OAuth2Error> {
        self.token_request(
            http,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", &pkce.verifier),
                ("client_id", &self.client_id),
            ],
            None,
            now,
        )
        .await
    }

    /// Renews the access token with the refresh token (X rotates the refresh token too; a
    /// response without one keeps the old).
    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        tokens: &Tokens,
        now: DateTime<Utc>,
    ) -> Result<Tokens, OAuth2Error> {
        let refresh = tokens
            .refresh_token
            .as_deref()
            .ok_or(OAuth2Error::NoRefreshToken)?;
        self.token_request(
            http,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", &self.client_id),
            ],
            tokens.refresh_token.clone(),
            now,
        )
        .await
    }

    async fn token_request(
        &self,
        http: &reqwest::Client,
        form: &[(&str, &str)],
        old_refresh: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Tokens, OAuth2Error> {
        let body = form
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    crate::oauth::percent_encode(k),
                    crate::oauth::percent_encode(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let mut request = http
            .post(&self.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(secret) = &self.client_secret {
            request = request.basic_auth(&self.client_id, Some(secret));
        }
        let response = request.send().await.map_err(|e| {
            OAuth2Error::Unavailable(if e.is_timeout() {
                "timed out".into()
            } else {
                "could not reach the token endpoint".into()
            })
        })?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|_| OAuth2Error::Unavailable("the answer was cut short".into()))?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| OAuth2Error::Unavailable(format!("{status} answer is not JSON")))?;
        if !(200..300).contains(&status) {
            let field = |k: &str| {
                json.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            return Err(OAuth2Error::Refused {
                status,
                error: field("error"),
                description: field("error_description"),
            });
        }
        let access_token = json
            .get("access_token")
            .and_then(|v| v.as_str())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuth2Error::Unavailable("the answer has no access_token".into()))?
            .to_string();
        let expires_in = json
            .get("expires_in")
            .and_then(|v| v.as_i64())
            .unwrap_or(7200);
        Ok(Tokens {
            access_token,
            refresh_token: json
                .get("refresh_token")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .or(old_refresh),
            expires_at: now + TimeDelta::seconds(expires_in),
            scope: json
                .get("scope")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
        })
    }
}

/// The `code` of a redirect to the loopback callback, checked against the `state` sent.
pub fn code_from_redirect(query: &str, state: &str) -> Result<String, OAuth2Error> {
    let url = reqwest::Url::parse(&format!("http://127.0.0.1/?{query}"))
        .map_err(|_| OAuth2Error::Authorisation("unreadable redirect".into()))?;
    let get = |k: &str| {
        url.query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = get("error") {
        return Err(OAuth2Error::Authorisation(format!(
            "X answered {error}: {}",
            get("error_description").unwrap_or_default()
        )));
    }
    if get("state").as_deref() != Some(state) {
        return Err(OAuth2Error::Authorisation(
            "the redirect's state is not the one sent (a forged or stale redirect)".into(),
        ));
    }
    get("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| OAuth2Error::Authorisation("the redirect has no code".into()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_is_rfc_7636s() {
        // RFC 7636 Appendix B.
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            pkce.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let fresh = Pkce::new();
        assert!((43..=128).contains(&fresh.verifier.len()));
        assert_ne!(fresh.verifier, Pkce::new().verifier);
    }

    #[test]
    fn the_redirect_must_carry_the_state_sent_and_a_code() {
        assert_eq!(
            code_from_redirect("code=abc&state=s1", "s1").unwrap(),
            "abc"
        );
        assert!(matches!(
            code_from_redirect("code=abc&state=other", "s1"),
            Err(OAuth2Error::Authorisation(_))
        ));
        assert!(
            code_from_redirect("error=access_denied&state=s1", "s1")
                .unwrap_err()
                .to_string()
                .contains("access_denied")
        );
        assert!(code_from_redirect("state=s1", "s1").is_err());
    }

    #[test]
    fn tokens_are_renewed_within_the_margin_and_never_printed() {
        let now = Utc::now();
        let tokens = Tokens {
            access_token: "secret-access".into(),
            refresh_token: Some("secret-refresh".into()),
            expires_at: now + TimeDelta::minutes(30),
            scope: SCOPES.into(),
        };
        assert!(!tokens.needs_refresh(now));
        assert!(tokens.needs_refresh(now + TimeDelta::minutes(26)));
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
