//! The webhook handshake: CRC challenge answers and delivery signatures.
//!
//! Both use HMAC-SHA256 keyed with the app's consumer secret, so the CRC answer is an HMAC oracle for
//! the very key that signs deliveries: [`crc_response_token`] answers only tokens made of a short,
//! safe alphabet, so nobody can get a signature for a JSON body by posing it as a CRC token.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header X signs each delivery in (matched in any letter case).
pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";
/// The prefix of the signature header's value and of the CRC answer.
pub const SIGNATURE_PREFIX: &str = "sha256=";
/// The longest CRC token answered. X's tokens are a few dozen base64/URL-safe characters.
pub const MAX_CRC_TOKEN_LEN: usize = 128;

/// Why a CRC token was refused (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrcError {
    /// No `crc_token` parameter.
    #[error("missing crc_token query parameter")]
    Missing,
    /// `crc_token=` with no value.
    #[error("crc_token is empty")]
    Empty,
    /// Longer than [`MAX_CRC_TOKEN_LEN`].
    #[error("crc_token is {0} bytes; at most {MAX_CRC_TOKEN_LEN} are answered")]
    TooLong(usize),
    /// A character outside base64 and URL-safe base64 (`A-Z a-z 0-9 + / = - _`).
    #[error("crc_token contains a character outside the base64 alphabet at byte {0}")]
    BadCharacter(usize),
}

/// Why a delivery's signature was refused (answered with 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `x-twitter-webhooks-signature` header.
    #[error("missing x-twitter-webhooks-signature header")]
    Missing,
    /// The header is not valid UTF-8 / visible ASCII.
    #[error("x-twitter-webhooks-signature is not readable text")]
    Unreadable,
    /// The value does not start with `sha256=`.
    #[error("x-twitter-webhooks-signature does not start with sha256=")]
    WrongPrefix,
    /// The digest is not base64.
    #[error("x-twitter-webhooks-signature digest is not base64")]
    NotBase64,
    /// The digest is not 32 bytes.
    #[error("x-twitter-webhooks-signature digest is {0} bytes, expected 32")]
    WrongLength(usize),
    /// The digest does not match the body.
    #[error("x-twitter-webhooks-signature does not match the body")]
    Mismatch,
}

/// Checks a CRC token against the safe alphabet and length.
pub fn validate_crc_token(token: Option<&str>) -> Result<&str, CrcError> {
    let token = token.ok_or(CrcError::Missing)?;
    if token.is_empty() {
        return Err(CrcError::Empty);
    }
    if token.len() > MAX_CRC_TOKEN_LEN {
        return Err(CrcError::TooLong(token.len()));
    }
    if let Some(pos) = token
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b"+/=-_".contains(&b)))
    {
        return Err(CrcError::BadCharacter(pos));
    }
    Ok(token)
}

/// The `response_token` for a CRC challenge: `sha256=` + base64(HMAC-SHA256(consumer secret, token)).
pub fn crc_response_token(consumer_secret: &[u8], token: Option<&str>) -> Result<String, CrcError> {
    let token = validate_crc_token(token)?;
    Ok(sign(consumer_secret, token.as_bytes()))
}

/// The JSON body answering a CRC challenge: `{"response_token": "sha256=…"}`.
pub fn crc_response_body(consumer_secret: &[u8], token: Option<&str>) -> Result<String, CrcError> {
    let response_token = crc_response_token(consumer_secret, token)?;
    Ok(serde_json::json!({ "response_token": response_token }).to_string())
}

/// The signature header value X would send for this body.
pub fn sign(consumer_secret: &[u8], body: &[u8]) -> String {
    format!(
        "{SIGNATURE_PREFIX}{}",
        STANDARD.encode(digest(consumer_secret, body))
    )
}

/// Verifies a delivery's signature header against the raw body bytes, in constant time.
pub fn verify_signature(
    consumer_secret: &[u8],
    header: Option<&[u8]>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let header = std::str::from_utf8(header)
        .map_err(|_| SignatureError::Unreadable)?
        .trim();
    let encoded = header
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(SignatureError::WrongPrefix)?;
    let claimed = STANDARD
        .decode(encoded)
        .map_err(|_| SignatureError::NotBase64)?;
    if claimed.len() != 32 {
        return Err(SignatureError::WrongLength(claimed.len()));
    }
    let mut mac = new_mac(consumer_secret);
    mac.update(body);
    mac.verify_slice(&claimed)
        .map_err(|_| SignatureError::Mismatch)
}

fn digest(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length (long keys are hashed), so this cannot fail; the fallback keeps
    // the function total without an `expect`.
    <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"consumer-secret";

    #[test]
    fn crc_answer_has_sha256_prefix_and_32_byte_digest() {
        let token = crc_response_token(SECRET, Some("dGVzdA==")).unwrap();
        let digest = STANDARD
            .decode(token.strip_prefix("sha256=").unwrap())
            .unwrap();
        assert_eq!(digest.len(), 32);
    }

    #[test]
    fn crc_body_is_json_with_response_token() {
        let body: serde_json::Value =
            serde_json::from_str(&crc_response_body(SECRET, Some("abc")).unwrap()).unwrap();
        assert_eq!(body["response_token"], sign(SECRET, b"abc"));
    }

    #[test]
    fn missing_or_empty_crc_token_is_refused() {
        assert_eq!(crc_response_token(SECRET, None), Err(CrcError::Missing));
        assert_eq!(crc_response_token(SECRET, Some("")), Err(CrcError::Empty));
    }

    #[test]
    fn crc_token_shaped_like_json_gets_no_answer() {
        let body = r#"{"for_user_id":"1","tweet_create_events":[]}"#;
        assert_eq!(
            crc_response_token(SECRET, Some(body)),
            Err(CrcError::BadCharacter(0))
        );
        assert!(matches!(
            crc_response_token(SECRET, Some("a b")),
            Err(CrcError::BadCharacter(1))
        ));
    }

    #[test]
    fn overlong_crc_token_is_refused() {
        let long = "a".repeat(MAX_CRC_TOKEN_LEN + 1);
        assert_eq!(
            crc_response_token(SECRET, Some(&long)),
            Err(CrcError::TooLong(MAX_CRC_TOKEN_LEN + 1))
        );
        assert!(crc_response_token(SECRET, Some(&"a".repeat(MAX_CRC_TOKEN_LEN))).is_ok());
    }

    #[test]
    fn url_safe_and_standard_base64_tokens_are_answered() {
        assert!(crc_response_token(SECRET, Some("Ab-_+/09=")).is_ok());
    }

    #[test]
    fn a_signature_made_by_sign_verifies() {
        let body = br#"{"for_user_id":"1"}"#;
        let header = sign(SECRET, body);
        assert_eq!(
            verify_signature(SECRET, Some(header.as_bytes()), body),
            Ok(())
        );
    }

    #[test]
    fn every_signature_failure_mode_is_named() {
        let body = b"{}";
        let good = sign(SECRET, body);
        assert_eq!(
            verify_signature(SECRET, None, body),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature(SECRET, Some(&[0xff, 0xfe]), body),
            Err(SignatureError::Unreadable)
        );
        let md5 = good.replace("sha256=", "md5=");
        assert_eq!(
            verify_signature(SECRET, Some(md5.as_bytes()), body),
            Err(SignatureError::WrongPrefix)
        );
        assert_eq!(
            verify_signature(SECRET, Some(b"sha256=%%%"), body),
            Err(SignatureError::NotBase64)
        );
        assert_eq!(
            verify_signature(SECRET, Some(b"sha256=AAAA"), body),
            Err(SignatureError::WrongLength(3))
        );
        assert_eq!(
            verify_signature(SECRET, Some(good.as_bytes()), b"{ }"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"other", Some(good.as_bytes()), body),
            Err(SignatureError::Mismatch)
        );
    }
}
