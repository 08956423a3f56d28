//! OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849 §3.4), as X's user-context endpoints require.
//!
//! The signature covers the method, the base string URI, the `oauth_*` protocol parameters, the
//! query parameters and — only when the body is `application/x-www-form-urlencoded` — the body's
//! parameters. JSON and multipart bodies are not signed (RFC 5849 §3.4.1.3.1). The nonce and
//! timestamp are inputs so tests can pin them; [`Signer::authorization`] draws fresh ones.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// Everything but RFC 3986's unreserved characters (`ALPHA DIGIT - . _ ~`), as §3.6 requires.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The client and token credentials that sign a request. `Debug` never prints them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Consumer (API) key, sent as `oauth_consumer_key`.
    pub consumer_key: String,
    /// Consumer (API) secret: the first half of the HMAC key.
    pub consumer_secret: String,
    /// Access token, sent as `oauth_token`.
    pub token: String,
    /// Access token secret: the second half of the HMAC key.
    pub token_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials { <redacted> }")
    }
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The URL is not an absolute http(s) URL.
    #[error("cannot sign a request to {0:?}: not an absolute http(s) URL")]
    BadUrl(String),
}

/// Percent-encodes per RFC 5849 §3.6: UTF-8, everything but unreserved characters, upper-case hex.
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// Decodes `application/x-www-form-urlencoded` (`+` is a space) into name/value pairs.
pub fn form_decode(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |x: &str| {
                percent_decode_str(&x.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

/// The base string URI (§3.4.1.2): lower-case scheme and host, the port only when not the
/// default, the path, no query or fragment.
pub fn base_string_uri(url: &str) -> Result<String, OAuthError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| OAuthError::BadUrl(redact_query(url)))?;
    let scheme = parsed.scheme();
    let host = parsed
        .host_str()
        .filter(|_| scheme == "http" || scheme == "https")
        .ok_or_else(|| OAuthError::BadUrl(redact_query(url)))?;
    // `Url` already lower-cases the scheme and host and drops a default port.
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("{scheme}://{host}{port}{}", parsed.path()))
}

fn redact_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_string()
}

/// The query parameters of `url`, decoded (§3.4.1.3.1).
pub fn query_parameters(url: &str) -> Vec<(String, String)> {
    let without_fragment = url.split('#').next().unwrap_or_default();
    without_fragment
        .split_once('?')
        .map(|(_, q)| form_decode(q))
        .unwrap_or_default()
}

/// Normalized parameters (§3.4.1.3.2): each name and value encoded, sorted by name then value,
/// joined as `name=value` with `&`. `oauth_signature` and `realm` are left out.
pub fn normalize_parameters(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature" && k != "realm")
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signature base string (§3.4.1.1): `METHOD&enc(base URI)&enc(normalized parameters)`.
/// `params` are all the parameters that are signed: protocol, query and form body.
pub fn signature_base_string(
    method: &str,
    url: &str,
    params: &[(String, String)],
) -> Result<String, OAuthError> {
    Ok(format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(&base_string_uri(url)?),
        percent_encode(&normalize_parameters(params))
    ))
}

/// HMAC-SHA1 of the base string keyed with `enc(consumer secret)&enc(token secret)`, base64 (§3.4.2).
pub fn sign_hmac_sha1(base_string: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    );
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = HmacSha1::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(base_string.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// One request to sign. `form_body` is the body only when it is form-encoded; JSON bodies are
/// not part of the signature and are left out.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The full URL, query included.
    pub url: &'a str,
    /// An `application/x-www-form-urlencoded` body, if the request has one.
    pub form_body: Option<&'a str>,
}

/// Signs requests with one set of credentials.
#[derive(Clone, Debug)]
pub struct Signer {
    credentials: Credentials,
}

impl Signer {
    /// A signer for these credentials.
    pub fn new(credentials: Credentials) -> Self {
        Self { credentials }
    }

    /// The `oauth_*` protocol parameters for a nonce and timestamp, unsigned, in header order.
    fn protocol_parameters(&self, nonce: &str, timestamp: u64) -> Vec<(String, String)> {
        vec![
            (
                "oauth_consumer_key".into(),
                self.credentials.consumer_key.clone(),
            ),
            ("oauth_nonce".into(), nonce.into()),
            ("oauth_signature_method".into(), "HMAC-SHA1".into()),
            ("oauth_timestamp".into(), timestamp.to_string()),
            ("oauth_token".into(), self.credentials.token.clone()),
            ("oauth_version".into(), "1.0".into()),
        ]
    }

    /// The signature of `request` with a given nonce and timestamp.
    pub fn signature_with(
        &self,
        request: Request<'_>,
        nonce: &str,
        timestamp: u64,
    ) -> Result<String, OAuthError> {
        let mut params = self.protocol_parameters(nonce, timestamp);
        params.extend(query_parameters(request.url));
        if let Some(body) = request.form_body {
            params.extend(form_decode(body));
        }
        let base = signature_base_string(request.method, request.url, &params)?;
        Ok(sign_hmac_sha1(
            &base,
            &self.credentials.consumer_secret,
            &self.credentials.token_secret,
        ))
    }

    /// The `Authorization: OAuth …` header value for `request` with a given nonce and timestamp.
    pub fn authorization_with(
        &self,
        request: Request<'_>,
        nonce: &str,
        timestamp: u64,
    ) -> Result<String, OAuthError> {
        let signature = self.signature_with(request, nonce, timestamp)?;
        let mut params = self.protocol_parameters(nonce, timestamp);
        params.push(("oauth_signature".into(), signature));
        params.sort();
        let fields = params
            .iter()
            .map(|(k, v)| format!("{}=\"{}\"", percent_encode(k), percent_encode(v)))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(format!("OAuth {fields}"))
    }

    /// The `Authorization` header value with a fresh random nonce and the current time.
    pub fn authorization(&self, request: Request<'_>) -> Result<String, OAuthError> {
        let timestamp = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        self.authorization_with(request, &nonce(), timestamp)
    }
}

/// 32 random alphanumeric characters.
pub fn nonce() -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(32)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// RFC 5849 §3.4.1.1: the signature base string of the RFC's example request, byte for byte.
    #[test]
    fn rfc5849_section_3_4_1_base_string() {
        let url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b";
        let mut params = query_parameters(url);
        params.extend(form_decode("c2&a3=2+q"));
        params.extend(pairs(&[
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
            ("oauth_signature", "bYT5CMsGcbgUdFHObYMEfcx6bsw="),
            ("realm", "Example"),
        ]));
        assert_eq!(
            normalize_parameters(&params),
            "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2\
             &oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201\
             &oauth_token=kkk9d7dh3k39sjv7"
        );
        assert_eq!(
            signature_base_string("POST", url, &params).unwrap(),
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26\
             b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26\
             oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D\
             137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
        );
    }

    /// RFC 5849 §1.2: Jane's photo request to photos.example.net (no `oauth_version`).
    #[test]
    fn rfc5849_section_1_2_photos_signature() {
        let url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
        let mut params = query_parameters(url);
        params.extend(pairs(&[
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131202"),
            ("oauth_nonce", "chapoH"),
        ]));
        let base = signature_base_string("GET", url, &params).unwrap();
        assert_eq!(
            sign_hmac_sha1(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"),
            "MdpQcU8iPSUjWoN/UDMsK2sui9I="
        );
    }

    /// OAuth Core 1.0 Appendix A.5: the same photo request with `oauth_version=1.0`, which the
    /// signer always sends.
    #[test]
    fn oauth_core_appendix_a5_signature_through_the_signer() {
        let signer = Signer::new(Credentials {
            consumer_key: "dpf43f3p2l4k3l03".into(),
            consumer_secret: "kd94hf93k423kf44".into(),
            token: "nnch734d00sl2jdk".into(),
            token_secret: "pfkkdhi9sl3r4s00".into(),
        });
        let request = Request {
            method: "GET",
            url: "http://photos.example.net/photos?file=vacation.jpg&size=original",
            form_body: None,
        };
        assert_eq!(
            signer
                .signature_with(request, "kllo9940pd9333jh", 1191242096)
                .unwrap(),
            "tR3+Ty81lMeYAr/Fid0kMTYa/WM="
        );
    }

    /// X's "Creating a signature" guide: query and form body both signed.
    #[test]
    fn x_documented_example_signature_and_header() {
        let signer = Signer::new(Credentials {
            consumer_key: "xvz1evFS4wEEPTGEFPHBog".into(),
            consumer_secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw".into(),
            token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb".into(),
            token_secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE".into(),
        });
        let request = Request {
            method: "POST",
            url: "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
            form_body: Some(
                "status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21",
            ),
        };
        let nonce = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
        assert_eq!(
            signer.signature_with(request, nonce, 1318622958).unwrap(),
            "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
        );
        let header = signer
            .authorization_with(request, nonce, 1318622958)
            .unwrap();
        assert_eq!(
            header,
            "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", \
             oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", \
             oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", \
             oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", \
             oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", \
             oauth_version=\"1.0\""
        );
    }

    #[test]
    fn percent_encoding_follows_section_3_6() {
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(percent_encode("a b+c*!'()"), "a%20b%2Bc%2A%21%27%28%29");
        assert_eq!(percent_encode("é☃"), "%C3%A9%E2%98%83");
    }

    #[test]
    fn base_string_uri_normalises_scheme_host_and_default_port() {
        assert_eq!(
            base_string_uri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123").unwrap(),
            "http://example.com/r%20v/X"
        );
        assert_eq!(
            base_string_uri("https://www.example.net:8080/?q=1").unwrap(),
            "https://www.example.net:8080/"
        );
        assert!(base_string_uri("not a url").is_err());
        assert!(base_string_uri("ftp://example.com/x").is_err());
    }

    #[test]
    fn fresh_nonces_differ_and_credentials_never_print() {
        assert_ne!(nonce(), nonce());
        let c = Credentials {
            consumer_key: "ck".into(),
            consumer_secret: "cs-secret".into(),
            token: "tk".into(),
            token_secret: "ts-secret".into(),
        };
        let shown = format!("{:?}", Signer::new(c));
        assert!(!shown.contains("cs-secret"), "{shown}");
        assert!(!shown.contains("ts-secret"), "{shown}");
    }
}
