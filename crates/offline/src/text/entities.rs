//! Entities that rules can find honestly, in Comprehend's shape and types:
//!
//! - `DATE` — ISO dates (`2026-11-23`), numeric dates (`23/11/2026`), English month-name dates
//!   (`Nov 23`, `23rd of November 2026`, `November 2026`), weekdays, `today`/`tomorrow`/`yesterday`/
//!   `tonight`, `next week`-style phrases, and clock times (`3pm`, `14:30`);
//! - `QUANTITY` — money (`$5`, `€3.50`, `10 dollars`), percentages (`20%`, `20 percent`), and numbers
//!   with a unit (`5 km`, `3 hours`, `2.5GB`);
//! - `OTHER` — @mentions, #hashtags and URLs.
//!
//! Symbols, digits, mentions, hashtags and URLs are language-neutral; the words (month and weekday
//! names, units, "percent") are English only. People, places and organisations need a trained
//! model and are not attempted. `Score` is a fixed confidence per rule (how rarely that rule
//! misfires), not a learned probability. Where matches overlap, the earliest, then longest, wins.

use std::sync::LazyLock;

use regex::Regex;
use starling_contracts::Entity;

use super::chars::CharOffsets;

struct Rule {
    kind: &'static str,
    score: f64,
    pattern: Regex,
}

const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const UNIT: &str = r"(?:km/h|km|kms|kg|mg|g|cm|mm|m|mi|miles?|lbs?|pounds?|ft|feet|inch(?:es)?|ml|l|litres?|liters?|mph|kph|°[cf]|degrees?|tb|gb|mb|kb|ms|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|yrs?|people|times)";

#[allow(clippy::expect_used)] // static patterns, compiled by the tests
fn rule(kind: &'static str, score: f64, pattern: &str) -> Rule {
    let pattern = Regex::new(&format!(r"(?i){pattern}")).expect("static regex");
    Rule {
        kind,
        score,
        pattern,
    }
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let month = MONTH;
    let unit = UNIT;
    vec![
        rule("OTHER", 0.99, r"\bhttps?://[^\s]+[^\s.,;:!?)\]}'’”]"),
        rule("OTHER", 0.99, r"(?:^|[^\w@])(@\w{1,15})\b"),
        rule("OTHER", 0.99, r"(?:^|[^\w&#])(#\w*[^\W\d]\w*)"),
        rule(
            "DATE",
            0.95,
            r"\b(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?)\b",
        ),
        rule("DATE", 0.85, r"\b(\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2}))\b"),
        rule(
            "DATE",
            0.9,
            &format!(r"\b({month}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)\b"),
        ),
        rule(
            "DATE",
            0.9,
            &format!(r"\b(\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{month}\.?(?:,?\s+\d{{4}})?)\b"),
        ),
        rule("DATE", 0.85, &format!(r"\b({month}\s+\d{{4}})\b")),
        rule(
            "DATE",
            0.85,
            r"\b((?:(?:next|last|this)\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
        ),
        rule(
            "DATE",
            0.8,
            r"\b((?:next|last|this)\s+(?:week|weekend|month|year|morning|evening|afternoon))\b",
        ),
        rule("DATE", 0.8, r"\b(today|tomorrow|yesterday|tonight)\b"),
        rule(
            "DATE",
            0.85,
            r"\b(\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.))(?:\W|$)",
        ),
        rule("DATE", 0.8, r"\b((?:[01]?\d|2[0-3]):[0-5]\d)\b"),
        rule(
            "QUANTITY",
            0.95,
            r"([$€£¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|bn|million|billion|thousand)\b)?)",
        ),
        rule(
            "QUANTITY",
            0.9,
            r"\b(\d[\d,]*(?:\.\d+)?\s?(?:usd|eur|gbp|jpy|dollars?|euros?|cents?|bucks|yen))\b",
        ),
        rule(
            "QUANTITY",
            0.95,
            r"\b(\d+(?:[.,]\d+)?\s?(?:%|percent|per cent))",
        ),
        rule(
            "QUANTITY",
            0.85,
            &format!(r"\b(\d[\d,]*(?:\.\d+)?\s?{unit})(?:\W|$)"),
        ),
    ]
});

/// The entities of `text`, in text order.
pub fn entities(text: &str) -> Vec<Entity> {
    let mut found: Vec<(usize, usize, &Rule)> = Vec::new();
    for rule in RULES.iter() {
        for caps in rule.pattern.captures_iter(text) {
            // Group 1 is the entity when the pattern needs context around it; else the whole match.
            if let Some(m) = caps.get(1).or_else(|| caps.get(0))
                && m.start() < m.end()
            {
                found.push((m.start(), m.end(), rule));
            }
        }
    }
    // Earliest first, then longest; drop anything overlapping an entity already kept.
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let offsets = CharOffsets::new(text);
    let mut kept: Vec<Entity> = Vec::new();
    let mut last_end = 0;
    for (start, end, rule) in found {
        if start < last_end {
            continue;
        }
        last_end = end;
        kept.push(Entity {
            score: rule.score,
            kind: rule.kind.to_string(),
            text: text[start..end].to_string(),
            begin_offset: offsets.char_index(start),
            end_offset: offsets.char_index(end),
        });
    }
    kept
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(String, String)> {
        entities(text)
            .into_iter()
            .map(|e| (e.kind, e.text))
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(k, t)| (k.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn dates_in_english_and_numeric_forms_are_dates() {
        assert_eq!(
            found(
                "Launch moved to Nov 23, 2026 (was 2026-11-20), doors at 7pm next Friday, see you tomorrow"
            ),
            pairs(&[
                ("DATE", "Nov 23, 2026"),
                ("DATE", "2026-11-20"),
                ("DATE", "7pm"),
                ("DATE", "next Friday"),
                ("DATE", "tomorrow"),
            ])
        );
        assert_eq!(
            found("on the 3rd of March"),
            pairs(&[("DATE", "3rd of March")])
        );
    }

    #[test]
    fn money_percentages_and_measures_are_quantities() {
        assert_eq!(
            found("Tickets $25.50, 20% off, a 5 km run and 3 hours later 10 dollars left"),
            pairs(&[
                ("QUANTITY", "$25.50"),
                ("QUANTITY", "20%"),
                ("QUANTITY", "5 km"),
                ("QUANTITY", "3 hours"),
                ("QUANTITY", "10 dollars"),
            ])
        );
    }

    #[test]
    fn mentions_hashtags_and_urls_are_other() {
        assert_eq!(
            found(
                "@starling_bot loved it #RustLang https://example.com/a?b=1. mail me@example.com"
            ),
            pairs(&[
                ("OTHER", "@starling_bot"),
                ("OTHER", "#RustLang"),
                ("OTHER", "https://example.com/a?b=1")
            ])
        );
    }

    #[test]
    fn bare_numbers_and_may_the_verb_are_not_entities() {
        assert!(
            found("I may have 3 of them, #1 fan")
                .iter()
                .all(|(k, _)| k != "DATE" && k != "QUANTITY"),
            "{:?}",
            found("I may have 3 of them")
        );
    }

    #[test]
    fn every_rule_compiles() {
        assert_eq!(RULES.len(), 17);
    }
}
