//! A person's name as a Rekognition `ExternalImageId`, and back.
//!
//! Rekognition allows only `[a-zA-Z0-9_.\-:]+`, at most 255 characters, in an `ExternalImageId`.
//! A name is written so it reads back exactly:
//!
//! - ASCII letters, digits, `.` and `-` are kept;
//! - a space becomes `_`;
//! - every other byte of the name's UTF-8 (including `_` and `:` themselves) becomes `:XX`, two
//!   upper-case hex digits.
//!
//! `Ada Lovelace` → `Ada_Lovelace`, `Zoë` → `Zo:C3:AB`, `O'Brien_2` → `O:27Brien:5F2`.
//! An id that is not of this form (a face indexed by another tool) is shown as it is.

/// The longest `ExternalImageId` Rekognition accepts.
pub const MAX_EXTERNAL_IMAGE_ID: usize = 255;

/// Why a name cannot be stored as an `ExternalImageId`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing but white space.
    #[error("the name is empty")]
    Empty,
    /// Encoded, the name is longer than Rekognition allows.
    #[error(
        "the name {name:?} is too long: encoded for Rekognition it takes {encoded} of at most {MAX_EXTERNAL_IMAGE_ID} characters (each character outside a–z, A–Z, 0–9, '.', '-' and space takes 3 per UTF-8 byte)"
    )]
    TooLong {
        /// The name.
        name: String,
        /// Its encoded length.
        encoded: usize,
    },
}

/// `name` as an `ExternalImageId` (see the module's documentation).
pub fn encode(name: &str) -> Result<String, NameError> {
    if name.trim().is_empty() {
        return Err(NameError::Empty);
    }
    let mut out = String::with_capacity(name.len());
    for &b in name.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' => out.push(char::from(b)),
            b' ' => out.push('_'),
            _ => out.push_str(&format!(":{b:02X}")),
        }
    }
    if out.len() > MAX_EXTERNAL_IMAGE_ID {
        return Err(NameError::TooLong {
            name: name.to_string(),
            encoded: out.len(),
        });
    }
    Ok(out)
}

/// The name an `ExternalImageId` encodes; an id [`encode`] cannot have written (a bad escape,
/// bytes that are not UTF-8) is returned unchanged.
pub fn decode(id: &str) -> String {
    decode_strict(id).unwrap_or_else(|| id.to_string())
}

fn decode_strict(id: &str) -> Option<String> {
    let bytes = id.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => {
                out.push(b' ');
                i += 1;
            }
            b':' => {
                let hex = id.get(i + 1..i + 3)?;
                if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn allowed(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= MAX_EXTERNAL_IMAGE_ID
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-:".contains(&b))
    }

    #[test]
    fn plain_names_stay_readable() {
        assert_eq!(encode("Ada Lovelace").unwrap(), "Ada_Lovelace");
        assert_eq!(encode("J.-P. Sartre").unwrap(), "J.-P._Sartre");
        assert_eq!(encode("Zoë").unwrap(), "Zo:C3:AB");
        assert_eq!(encode("O'Brien_2").unwrap(), "O:27Brien:5F2");
    }

    #[test]
    fn every_name_round_trips_through_the_allowed_alphabet() {
        for name in [
            "Ada Lovelace",
            "Zoë Ünal",
            "李小龙",
            "Маша",
            "🐦 bird person",
            "under_score: colon",
            "  two  spaces ",
            "100% a:b_c",
            "tab\tand\nnewline",
        ] {
            let id = encode(name).unwrap();
            assert!(allowed(&id), "{name:?} → {id:?}");
            assert_eq!(decode(&id), name, "{id:?}");
        }
    }

    #[test]
    fn empty_and_too_long_names_are_refused() {
        assert_eq!(encode(""), Err(NameError::Empty));
        assert_eq!(encode(" \t "), Err(NameError::Empty));
        assert!(encode(&"a".repeat(255)).is_ok());
        let err = encode(&"a".repeat(256)).unwrap_err();
        assert!(err.to_string().contains("256 of at most 255"), "{err}");
        // 86 × 'é' is 172 bytes, 516 encoded characters.
        assert!(matches!(
            encode(&"é".repeat(86)),
            Err(NameError::TooLong { encoded: 516, .. })
        ));
    }

    #[test]
    fn ids_written_by_other_tools_are_shown_as_they_are() {
        assert_eq!(decode("photo-123.jpg"), "photo-123.jpg");
        assert_eq!(decode("a:zz"), "a:zz");
        assert_eq!(decode("trailing:4"), "trailing:4");
        assert_eq!(decode("not-utf8:FF"), "not-utf8:FF");
    }
}
