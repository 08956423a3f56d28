//! CRC token handling: a raw query string, through `crc_token_from_query` and the CRC answer.
//!
//! The CRC answer is an HMAC under the key that signs deliveries, so the property that matters is
//! that only short tokens of the safe alphabet (`A-Z a-z 0-9 + / = - _`, 1–128 bytes) are ever
//! answered: no JSON body can be signed through it. An answered token's `response_token` is the
//! signature X checks (it verifies against the token), the JSON body carries exactly it, and a
//! refusal names the right reason. Any header is checked against a body without panicking, and
//! never passes unless it is that body's signature.
#![no_main]

use libfuzzer_sys::fuzz_target;
use starling_core::ingress::crc_token_from_query;
use starling_x::webhook::{
    CrcError, MAX_CRC_TOKEN_LEN, crc_response_body, crc_response_token, sign, verify_signature,
};

const SECRET: &[u8] = b"fuzz-consumer-secret";

fn safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"+/=-_".contains(&b)
}

fuzz_target!(|data: &[u8]| {
    // Any bytes as a signature header, against themselves as the body.
    let verdict = verify_signature(SECRET, Some(data), data);
    assert!(verdict.is_err(), "an arbitrary header verified");

    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let token = crc_token_from_query(Some(query));
    match crc_response_token(SECRET, token.as_deref()) {
        Ok(response) => {
            let token = token.expect("answered without a token");
            assert!(!token.is_empty() && token.len() <= MAX_CRC_TOKEN_LEN);
            assert!(
                token.bytes().all(safe),
                "answered an unsafe token {token:?}"
            );
            assert_eq!(response, sign(SECRET, token.as_bytes()));
            verify_signature(SECRET, Some(response.as_bytes()), token.as_bytes())
                .expect("the CRC answer verifies against its token");
            let body = crc_response_body(SECRET, Some(&token)).expect("answered twice");
            let body: serde_json::Value = serde_json::from_str(&body).expect("JSON body");
            assert_eq!(body["response_token"], serde_json::Value::String(response));
        }
        Err(CrcError::Missing) => assert!(token.is_none()),
        Err(CrcError::Empty) => assert_eq!(token.as_deref(), Some("")),
        Err(CrcError::TooLong(n)) => {
            assert!(n > MAX_CRC_TOKEN_LEN && token.is_some_and(|t| t.len() == n));
        }
        Err(CrcError::BadCharacter(at)) => {
            let token = token.expect("refused a missing token as a bad character");
            assert!(!safe(token.as_bytes()[at]));
            assert!(token.as_bytes()[..at].iter().copied().all(safe));
        }
    }
});
