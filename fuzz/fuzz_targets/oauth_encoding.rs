//! OAuth 1.0a percent-encoding (RFC 5849 §3.6) and the signature base string built from it. The
//! input is any text, used as a parameter, a URL and a form body.
//!
//! Properties: the encoding uses only unreserved characters and `%XX` with upper-case hex, and
//! decodes back to the text; a `name=value` pair of encoded text form-decodes back to the pair;
//! a base string is exactly three `&`-separated parts, method first; normalized parameters come
//! out sorted; nothing panics on any URL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percent_encoding::percent_decode_str;
use starling_x::oauth::{
    base_string_uri, form_decode, normalize_parameters, percent_encode, query_parameters,
    signature_base_string,
};

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let encoded = percent_encode(text);
    let bytes = encoded.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = &bytes[i + 1..i + 3];
            assert!(
                hex.iter()
                    .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b)),
                "bad escape in {encoded}"
            );
            i += 3;
        } else {
            assert!(unreserved(bytes[i]), "{encoded} keeps a reserved byte");
            i += 1;
        }
    }
    assert_eq!(
        percent_decode_str(&encoded).decode_utf8().expect("UTF-8"),
        text
    );

    // Split the text into a name and a value at a character boundary near its middle.
    let mut middle = text.len() / 2;
    while !text.is_char_boundary(middle) {
        middle -= 1;
    }
    let (name, value) = text.split_at(middle);
    let pair = format!("{}={}", percent_encode(name), percent_encode(value));
    assert_eq!(
        form_decode(&pair),
        vec![(name.to_string(), value.to_string())]
    );

    let params = vec![
        (name.to_string(), value.to_string()),
        ("oauth_nonce".to_string(), text.to_string()),
        (value.to_string(), name.to_string()),
    ];
    let normalized = normalize_parameters(&params);
    let pairs: Vec<&str> = normalized.split('&').collect();
    assert!(
        pairs.windows(2).all(|w| {
            let key = |p: &str| {
                p.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            };
            key(w[0]) <= key(w[1])
        }),
        "not sorted: {normalized}"
    );

    let _ = query_parameters(text);
    if let Ok(uri) = base_string_uri(text) {
        assert!(
            uri.starts_with("http://") || uri.starts_with("https://"),
            "{uri}"
        );
        assert!(!uri.contains(['?', '#']), "{uri}");
    }
    let url = format!("https://api.x.com/2/tweets?{text}");
    let mut signed = params;
    signed.extend(query_parameters(&url));
    let base = signature_base_string("post", &url, &signed).expect("an https URL signs");
    let parts: Vec<&str> = base.split('&').collect();
    assert_eq!(parts.len(), 3, "{base}");
    assert_eq!(parts[0], "POST");
    assert_eq!(parts[1], "https%3A%2F%2Fapi.x.com%2F2%2Ftweets");
});
