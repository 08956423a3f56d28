//! Small, total helpers shared by the envelope parsers: reading JSON fields without panicking,
//! decoding X's HTML escaping, slicing by Unicode code points and converting X's dates.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// `value[key]` as a string slice, if it is one.
pub(crate) fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// `value[key]` as an owned string, if it is a non-empty string.
pub(crate) fn non_empty_string(value: &Value, key: &str) -> Option<String> {
    str_field(value, key)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// An id X sent as a string, or (for envelope fields only) as an integer that JSON carried exactly.
///
/// Never used for post or user ids inside activity items: those are read from `id_str` / v2 string ids only.
pub(crate) fn id_like(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.is_u64() => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

/// Decodes the HTML entities X escapes in post text (`&amp;`, `&lt;`, `&gt;`), in one pass, so a
/// literal `&amp;` the author typed (sent as `&amp;amp;`) survives as `&amp;`.
pub(crate) fn decode_entities(text: &str) -> String {
    html_escape::decode_html_entities(text).into_owned()
}

/// A `display_text_range`-style `[start, end]` pair of non-negative integers.
pub(crate) fn range(value: Option<&Value>) -> Option<(usize, usize)> {
    let pair = value?.as_array()?;
    if pair.len() != 2 {
        return None;
    }
    let start = usize::try_from(pair.first()?.as_u64()?).ok()?;
    let end = usize::try_from(pair.get(1)?.as_u64()?).ok()?;
    Some((start, end))
}

/// The code points `start..end` of `text` (X's ranges count Unicode code points, not bytes or
/// UTF-16 units). Out-of-range bounds are clamped; an inverted range yields the empty string.
pub(crate) fn slice_code_points(text: &str, start: usize, end: usize) -> &str {
    let byte_at = |n: usize| text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
    let start_byte = byte_at(start);
    let end_byte = byte_at(end);
    if start_byte >= end_byte {
        ""
    } else {
        text.get(start_byte..end_byte).unwrap_or("")
    }
}

/// Applies the display range, then decodes the entities. X computes ranges and entity indices on
/// the text as it sends it, escaped: an `&amp;` counts as five code points (clients that decode
/// first find the indices shifted — e.g. Twitter4J's `unescapeAndSlideEntityIncdices`).
pub(crate) fn display_text(raw_text: &str, display_range: Option<(usize, usize)>) -> String {
    match display_range {
        Some((start, end)) => decode_entities(slice_code_points(raw_text, start, end)),
        None => decode_entities(raw_text),
    }
}

/// Formats an instant the way X API v2 does: RFC 3339, UTC, milliseconds, `Z`.
fn format(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Converts X's v1.1 date (`Wed Oct 10 20:19:24 +0000 2018`) to RFC 3339 (`2018-10-10T20:19:24.000Z`).
pub(crate) fn v1_date_to_rfc3339(date: &str) -> Option<String> {
    DateTime::parse_from_str(date.trim(), "%a %b %d %H:%M:%S %z %Y")
        .ok()
        .map(|d| format(d.with_timezone(&Utc)))
}

/// Normalises an RFC 3339 date (v2's `created_at`) to the same UTC, millisecond form.
pub(crate) fn normalise_rfc3339(date: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(date.trim())
        .ok()
        .map(|d| format(d.with_timezone(&Utc)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn slicing_counts_code_points_not_bytes() {
        let text = "😀 héllo wörld";
        assert_eq!(slice_code_points(text, 2, 7), "héllo");
        assert_eq!(slice_code_points(text, 0, 1), "😀");
    }

    #[test]
    fn slicing_clamps_out_of_range_and_inverted_bounds() {
        assert_eq!(slice_code_points("abc", 1, 99), "bc");
        assert_eq!(slice_code_points("abc", 99, 100), "");
        assert_eq!(slice_code_points("abc", 2, 1), "");
    }

    #[test]
    fn decoding_is_a_single_pass() {
        assert_eq!(decode_entities("a &amp; b &lt;3 &gt;"), "a & b <3 >");
        assert_eq!(decode_entities("&amp;amp;"), "&amp;");
    }

    #[test]
    fn display_range_is_applied_to_the_escaped_text_before_decoding() {
        // "@bot " is 5 code points; the range skips it and counts `&amp;` as five.
        assert_eq!(
            display_text("@bot fish &amp; chips", Some((5, 21))),
            "fish & chips"
        );
    }

    #[test]
    fn v1_dates_become_rfc3339_utc() {
        assert_eq!(
            v1_date_to_rfc3339("Wed Oct 10 20:19:24 +0000 2018").unwrap(),
            "2018-10-10T20:19:24.000Z"
        );
        assert_eq!(
            v1_date_to_rfc3339("Wed Oct 10 22:19:24 +0200 2018").unwrap(),
            "2018-10-10T20:19:24.000Z"
        );
        assert_eq!(v1_date_to_rfc3339("yesterday"), None);
    }

    #[test]
    fn v2_dates_are_normalised() {
        assert_eq!(
            normalise_rfc3339("2021-01-06T18:40:40.000Z").unwrap(),
            "2021-01-06T18:40:40.000Z"
        );
        assert_eq!(
            normalise_rfc3339("2021-01-06T19:40:40+01:00").unwrap(),
            "2021-01-06T18:40:40.000Z"
        );
        assert_eq!(normalise_rfc3339("not a date"), None);
    }

    #[test]
    fn ranges_must_be_two_non_negative_integers() {
        assert_eq!(range(Some(&json!([1, 5]))), Some((1, 5)));
        assert_eq!(range(Some(&json!([1]))), None);
        assert_eq!(range(Some(&json!([-1, 5]))), None);
        assert_eq!(range(Some(&json!("0,5"))), None);
        assert_eq!(range(None), None);
    }
}
