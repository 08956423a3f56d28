//! A post's weighted length as X counts it (twitter-text configuration v3), and [`fit_reply`], which
//! shortens a reply to fit without cutting its leading @mention, a link or an emoji.
//!
//! The v3 rules: each code point weighs 200 except the ranges 0–4351 (Latin, Greek, Cyrillic,
//! Hebrew, Arabic, Indic…), 8192–8205, 8208–8223 and 8242–8247 (spaces, dashes, quotes, primes),
//! which weigh 100; an emoji sequence weighs 200 whatever its length; a URL weighs
//! 23 × 100 whatever its length; the scale is 100 and a post may weigh 280 × 100.
//!
//! Differences from twitter-text, on the safe side for replies Starling writes itself: the text is
//! not NFC-normalised first (Starling's replies are already composed), only `http://` and
//! `https://` links are recognised (a bare `example.com` counts character by character, so at most
//! its own length), and emoji are recognised by code point ranges rather than the full emoji regex.

use std::ops::Range;

/// X's limit in weighted characters.
pub const MAX_WEIGHTED_LENGTH: usize = 280;
/// Weights are expressed in hundredths of a character.
pub const SCALE: u32 = 100;
/// The weight of a code point outside the light ranges, and of a whole emoji sequence.
pub const DEFAULT_WEIGHT: u32 = 200;
/// The weight of a code point in a light range.
pub const LIGHT_WEIGHT: u32 = 100;
/// Every link counts as this many characters (its t.co form).
pub const TRANSFORMED_URL_LENGTH: u32 = 23;
/// What [`fit_reply`] ends a shortened text with.
pub const ELLIPSIS: char = '…';

const LIGHT_RANGES: [(u32, u32); 4] = [(0, 4351), (8192, 8205), (8208, 8223), (8242, 8247)];

/// The weight of one code point outside URLs and emoji.
pub fn char_weight(c: char) -> u32 {
    let cp = u32::from(c);
    if LIGHT_RANGES
        .iter()
        .any(|(lo, hi)| (*lo..=*hi).contains(&cp))
    {
        LIGHT_WEIGHT
    } else {
        DEFAULT_WEIGHT
    }
}

/// An indivisible piece of text: a URL, an emoji sequence, or a character with its combining marks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unit {
    bytes: Range<usize>,
    weight: u32,
}

/// The weighted length in characters, as X reports it (`weightedLength`).
pub fn weighted_length(text: &str) -> usize {
    (units(text).iter().map(|u| u.weight).sum::<u32>() / SCALE) as usize
}

/// Whether X accepts this text's length (1–280 weighted characters).
pub fn fits(text: &str) -> bool {
    !text.is_empty() && total_weight(text) <= max_weight()
}

fn total_weight(text: &str) -> u32 {
    units(text).iter().map(|u| u.weight).sum()
}

fn max_weight() -> u32 {
    MAX_WEIGHTED_LENGTH as u32 * SCALE
}

/// Shortens `text` to X's 280 weighted characters, ending it with `…` when something was cut.
///
/// When `leading_mention` (a handle, with or without `@`) starts the text, it is kept whole. Cuts
/// fall between whole units — never inside a link, an emoji sequence or before a combining mark —
/// and, when a space is near, between words.
pub fn fit_reply(text: &str, leading_mention: Option<&str>) -> String {
    if total_weight(text) <= max_weight() {
        return text.to_string();
    }
    let prefix_len = leading_mention
        .map(|m| m.trim_start_matches('@'))
        .filter(|handle| !handle.is_empty())
        .and_then(|handle| mention_prefix_len(text, handle))
        .unwrap_or(0);
    let all = units(text);
    let budget = max_weight().saturating_sub(char_weight(ELLIPSIS));
    let mut used = 0u32;
    let mut cut = 0usize;
    let mut last_space: Option<usize> = None;
    for unit in &all {
        if unit.bytes.start < prefix_len {
            // The mention is kept whatever it weighs (a handle is at most 15 characters), but marks
            // combined onto its last letter past the budget are cut off at the mention's end.
            if used + unit.weight > budget {
                cut = prefix_len;
                break;
            }
            used += unit.weight;
            cut = unit.bytes.end;
            continue;
        }
        if used + unit.weight > budget {
            break;
        }
        if text[unit.bytes.clone()].chars().all(char::is_whitespace) {
            last_space = Some(unit.bytes.start);
        }
        used += unit.weight;
        cut = unit.bytes.end;
    }
    // Prefer a word boundary when one is in the last fifth of what fits.
    let next_is_space = text[cut..].starts_with(char::is_whitespace);
    if !next_is_space
        && let Some(space) = last_space
        && space > prefix_len
        && space >= cut * 4 / 5
    {
        cut = space;
    }
    let kept = text[..cut].trim_end();
    let kept = if kept.len() < prefix_len {
        &text[..prefix_len]
    } else {
        kept
    };
    format!("{kept}{ELLIPSIS}")
}

/// The byte length of `@handle` at the start of `text`, when it is there as a whole mention.
fn mention_prefix_len(text: &str, handle: &str) -> Option<usize> {
    let rest = text.strip_prefix('@').or_else(|| text.strip_prefix('＠'))?;
    let at_len = text.len() - rest.len();
    let candidate = rest.get(..handle.len())?;
    if !candidate.eq_ignore_ascii_case(handle) {
        return None;
    }
    let after = rest[handle.len()..].chars().next();
    if after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(at_len + handle.len())
}

fn units(text: &str) -> Vec<Unit> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut prev: Option<char> = None;
    while i < text.len() {
        let rest = &text[i..];
        if let Some(len) = url_at(rest, prev) {
            out.push(Unit {
                bytes: i..i + len,
                weight: TRANSFORMED_URL_LENGTH * SCALE,
            });
            prev = text[..i + len].chars().next_back();
            i += len;
            continue;
        }
        if let Some(len) = emoji_at(rest) {
            out.push(Unit {
                bytes: i..i + len,
                weight: DEFAULT_WEIGHT,
            });
            prev = text[..i + len].chars().next_back();
            i += len;
            continue;
        }
        let mut chars = rest.char_indices();
        let Some((_, c)) = chars.next() else { break };
        let mut weight = char_weight(c);
        let mut end = c.len_utf8();
        for (at, m) in chars {
            if !is_combining(m) {
                break;
            }
            weight += char_weight(m);
            end = at + m.len_utf8();
        }
        out.push(Unit {
            bytes: i..i + end,
            weight,
        });
        prev = text[..i + end].chars().next_back();
        i += end;
    }
    out
}

fn is_combining(c: char) -> bool {
    matches!(u32::from(c),
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
        | 0xFE00..=0xFE0F | 0x200C | 0x200D)
}

/// The byte length of an `http(s)://` link starting `rest`, trailing punctuation excluded.
fn url_at(rest: &str, prev: Option<char>) -> Option<usize> {
    if prev.is_some_and(|p| p.is_alphanumeric() || p == '@' || p == '/' || p == '.') {
        return None;
    }
    let starts = |scheme: &str| {
        rest.as_bytes()
            .get(..scheme.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(scheme.as_bytes()))
    };
    let scheme = if starts("https://") {
        8
    } else if starts("http://") {
        7
    } else {
        return None;
    };
    let end = rest
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let mut url = &rest[..end];
    loop {
        let trimmed = url.trim_end_matches(['.', ',', ':', ';', '!', '?', '"', '\'', '…']);
        let trimmed = if trimmed.ends_with(')')
            && trimmed.matches('(').count() < trimmed.matches(')').count()
        {
            &trimmed[..trimmed.len() - 1]
        } else {
            trimmed
        };
        if trimmed.len() == url.len() {
            break;
        }
        url = trimmed;
    }
    // A host is needed after the scheme.
    let host = url.get(scheme..).unwrap_or_default();
    if !host.chars().next().is_some_and(char::is_alphanumeric) {
        return None;
    }
    Some(url.len())
}

fn is_emoji_start(cp: u32) -> bool {
    matches!(cp,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0x2B00..=0x2BFF | 0x2190..=0x21FF
        | 0x2934 | 0x2935 | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x203C | 0x2049 | 0x2122 | 0x2139)
}

fn is_emoji_modifier(cp: u32) -> bool {
    matches!(cp, 0xFE0E | 0xFE0F | 0x1F3FB..=0x1F3FF | 0x20E3 | 0xE0020..=0xE007F)
}

fn is_regional_indicator(cp: u32) -> bool {
    (0x1F1E6..=0x1F1FF).contains(&cp)
}

/// The byte length of an emoji sequence starting `rest`: a pictograph with its modifiers, ZWJ
/// sequences, flags (regional indicator pairs) and keycaps.
fn emoji_at(rest: &str) -> Option<usize> {
    // Most positions start no emoji: tell from the first code point before collecting 64 of them.
    let mut chars = rest.char_indices();
    let (_, head) = chars.next()?;
    if head.is_ascii_digit() || matches!(head, '#' | '*') {
        // Keycaps: [0-9#*] FE0F? 20E3.
        let mut next = chars.next();
        if next.is_some_and(|(_, c)| c == '\u{FE0F}') {
            next = chars.next();
        }
        return next
            .filter(|(_, c)| *c == '\u{20E3}')
            .map(|(at, c)| at + c.len_utf8());
    }
    let cp = u32::from(head);
    if !(is_regional_indicator(cp) || is_emoji_start(cp)) {
        return None;
    }
    let cps: Vec<(usize, char)> = rest.char_indices().take(64).collect();
    let first = u32::from(cps.first()?.1);
    let mut n;
    if is_regional_indicator(first) {
        n = if cps
            .get(1)
            .is_some_and(|(_, c)| is_regional_indicator(u32::from(*c)))
        {
            2
        } else {
            1
        };
    } else if is_emoji_start(first) {
        n = 1;
        loop {
            while cps
                .get(n)
                .is_some_and(|(_, c)| is_emoji_modifier(u32::from(*c)))
            {
                n += 1;
            }
            let zwj = cps.get(n).is_some_and(|(_, c)| *c == '\u{200D}');
            let joined = cps
                .get(n + 1)
                .is_some_and(|(_, c)| is_emoji_start(u32::from(*c)));
            if zwj && joined {
                n += 2;
            } else {
                break;
            }
        }
    } else {
        return None;
    }
    Some(cps.get(n).map(|(i, _)| *i).unwrap_or(rest.len()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ascii_counts_one_per_character() {
        assert_eq!(weighted_length("hello world"), 11);
        assert!(fits(&"a".repeat(280)));
        assert!(!fits(&"a".repeat(281)));
        assert!(!fits(""));
    }

    #[test]
    fn cjk_counts_two_per_character() {
        assert_eq!(weighted_length("日本語"), 6);
        assert_eq!(weighted_length("한국어"), 6);
        assert!(fits(&"字".repeat(140)));
        assert!(!fits(&"字".repeat(141)));
        // Light ranges: Latin with accents, Cyrillic, typographic quotes and dashes.
        assert_eq!(weighted_length("café привет “—”"), 15);
    }

    #[test]
    fn emoji_sequences_count_two_whatever_their_length() {
        assert_eq!(weighted_length("👍"), 2);
        assert_eq!(weighted_length("👍🏽"), 2);
        assert_eq!(weighted_length("👨\u{200D}👩\u{200D}👧\u{200D}👦"), 2);
        assert_eq!(weighted_length("🇫🇷🇯🇵"), 4);
        assert_eq!(weighted_length("❤\u{FE0F}"), 2);
        assert_eq!(weighted_length("1\u{FE0F}\u{20E3}"), 2);
        assert_eq!(weighted_length("a😀b"), 4);
    }

    #[test]
    fn urls_count_twenty_three_whatever_their_length() {
        let long = format!("https://example.com/{}", "p".repeat(200));
        assert_eq!(weighted_length(&long), 23);
        assert_eq!(weighted_length("see http://x.co"), 4 + 23);
        // Trailing punctuation is not part of the link.
        assert_eq!(weighted_length("(https://example.com/a)."), 1 + 23 + 2);
        assert_eq!(weighted_length("HTTPS://EXAMPLE.COM"), 23);
        // No host, no link.
        assert_eq!(weighted_length("https://"), 8);
    }

    #[test]
    fn short_text_is_left_alone() {
        assert_eq!(fit_reply("@alice hi 👋", Some("alice")), "@alice hi 👋");
    }

    #[test]
    fn long_ascii_is_cut_at_a_word_with_an_ellipsis() {
        let text = format!("@alice {}", "word ".repeat(100));
        let fitted = fit_reply(&text, Some("@alice"));
        assert!(fits(&fitted), "{}", weighted_length(&fitted));
        assert!(fitted.starts_with("@alice word"));
        assert!(fitted.ends_with("word…"), "{fitted}");
        assert!(weighted_length(&fitted) >= 270);
    }

    #[test]
    fn long_cjk_is_cut_on_a_character_and_keeps_the_mention() {
        let text = format!("@bob {}", "漢".repeat(200));
        let fitted = fit_reply(&text, Some("bob"));
        assert!(fitted.starts_with("@bob 漢"));
        assert!(fitted.ends_with('…'));
        // 5 for "@bob ", 2 for the ellipsis, the rest two per character.
        assert_eq!(weighted_length(&fitted), 5 + 136 * 2 + 2);
    }

    #[test]
    fn cuts_never_split_an_emoji_sequence_or_a_link() {
        let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦";
        let text = format!("@c {}", family.repeat(200));
        let fitted = fit_reply(&text, Some("c"));
        assert!(fits(&fitted));
        let body = fitted.trim_start_matches("@c ").trim_end_matches('…');
        assert_eq!(body.len() % family.len(), 0);

        let url = "https://example.com/a-long-path";
        let text = format!("{} {url}", "a".repeat(269));
        let fitted = fit_reply(&text, None);
        assert!(!fitted.contains("https"), "{fitted}");
        assert!(fits(&fitted));
    }

    #[test]
    fn only_a_whole_leading_mention_is_protected() {
        assert_eq!(mention_prefix_len("@Alice hi", "alice"), Some(6));
        assert_eq!(mention_prefix_len("@alicex hi", "alice"), None);
        assert_eq!(mention_prefix_len("hi @alice", "alice"), None);
        // A huge "word" right after the mention: the mention survives whole.
        let text = format!("@alice {}", "x".repeat(400));
        let fitted = fit_reply(&text, Some("alice"));
        assert!(fitted.starts_with("@alice x"));
        assert!(fits(&fitted));
    }

    #[test]
    fn marks_combined_onto_the_mention_are_cut_so_the_reply_fits() {
        // Found by the weighted_text fuzz target: the mention's last letter carried 300 accents,
        // one unit of 301 weighted characters that was kept whole with the mention.
        let text = format!("@alice{} hi", "\u{301}".repeat(300));
        let fitted = fit_reply(&text, Some("alice"));
        assert!(fits(&fitted), "{}", weighted_length(&fitted));
        assert_eq!(fitted, "@alice…");
        // A mention that fits with its marks keeps them.
        let text = format!("@alice\u{301} {}", "x".repeat(400));
        assert!(fit_reply(&text, Some("alice")).starts_with("@alice\u{301} x"));
    }

    #[test]
    fn long_multibyte_text_is_counted_in_linear_time() {
        let text = "漢字かな".repeat(50_000);
        let started = std::time::Instant::now();
        assert_eq!(weighted_length(&text), 400_000);
        let fitted = fit_reply(&text, None);
        assert!(fits(&fitted));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    proptest! {
        #[test]
        fn fitted_text_always_fits_and_keeps_the_mention(
            body in "[a-z 漢😀é\u{0301}]{0,400}",
            handle in "[A-Za-z0-9_]{1,15}",
        ) {
            let text = format!("@{handle} {body}");
            let fitted = fit_reply(&text, Some(&handle));
            prop_assert!(total_weight(&fitted) <= max_weight());
            let mention = format!("@{handle}");
            prop_assert!(fitted.starts_with(&mention));
            if fitted != text {
                let kept = fitted.trim_end_matches(ELLIPSIS);
                prop_assert!(text.starts_with(kept));
            }
        }
    }
}
