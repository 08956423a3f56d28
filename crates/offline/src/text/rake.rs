//! Key phrases with RAKE (Rapid Automatic Keyword Extraction; Rose, Engel, Cramer & Cowley, 2010).
//!
//! Candidate phrases are the runs of content words between stopwords and punctuation. Each word scores
//! `degree / frequency` (words that appear inside longer phrases score higher), a phrase scores the sum
//! of its words. Comprehend's `Score` is a confidence 0–1; RAKE's score is unbounded, so it is reported
//! relative to the best phrase of the same text (the best scores 1). Phrases come back in text order,
//! once each (first occurrence), with character offsets. URLs, @mentions and bare numbers are not
//! phrases; a hashtag's word is.
//!
//! The crate `rake` (0.3) was not used: it returns phrases without their positions, and Comprehend's
//! shape needs offsets.

use std::collections::HashMap;

use starling_contracts::KeyPhrase;

use super::chars::CharOffsets;
use super::stopwords::is_stopword;

/// Longest candidate kept, in words: longer runs are usually sentence fragments, not phrases.
const MAX_WORDS: usize = 4;

#[derive(Debug)]
struct Word<'a> {
    lower: String,
    text: &'a str,
    start: usize,
    end: usize,
}

/// Splits `text` into candidate phrases, each a list of words (byte ranges into `text`).
fn candidates(text: &str) -> Vec<Vec<Word<'_>>> {
    let mut phrases = Vec::new();
    let mut current: Vec<Word<'_>> = Vec::new();
    for token in tokens(text) {
        let word = token.and_then(|(start, end)| {
            let token = &text[start..end];
            let lower = token.to_lowercase();
            let content = !is_stopword(&lower) && token.chars().any(char::is_alphabetic);
            content.then_some(Word {
                lower,
                text: token,
                start,
                end,
            })
        });
        match word {
            Some(word) => current.push(word),
            None if !current.is_empty() => phrases.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        phrases.push(current);
    }
    phrases.retain(|p| p.len() <= MAX_WORDS && !(p.len() == 1 && p[0].text.chars().count() < 2));
    phrases
}

/// The tokens of `text`: words (letters and digits, with inner `'`, `-`, `.` or `_`) as byte ranges,
/// and `None` for each boundary: punctuation, symbols, emoji, URLs and @mentions.
fn tokens(text: &str) -> Vec<Option<(usize, usize)>> {
    let mut out = Vec::new();
    let mut iter = text.char_indices().peekable();
    while let Some((start, c)) = iter.next() {
        if c.is_whitespace() {
            continue;
        }
        let rest = &text[start..];
        if c == '@' || rest.starts_with("http://") || rest.starts_with("https://") {
            while iter.next_if(|&(_, n)| !n.is_whitespace()).is_some() {}
            out.push(None);
            continue;
        }
        if !c.is_alphanumeric() {
            out.push(None);
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, n)) = iter.peek() {
            let joins = matches!(n, '\'' | '’' | '-' | '.' | '_')
                && text[i + n.len_utf8()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric);
            if !(n.is_alphanumeric() || joins) {
                break;
            }
            end = i + n.len_utf8();
            iter.next();
        }
        out.push(Some((start, end)));
    }
    out
}

/// RAKE's key phrases of `text`, in Comprehend's shape.
pub fn key_phrases(text: &str) -> Vec<KeyPhrase> {
    let phrases = candidates(text);
    let mut frequency: HashMap<&str, f64> = HashMap::new();
    let mut degree: HashMap<&str, f64> = HashMap::new();
    for phrase in &phrases {
        for word in phrase {
            *frequency.entry(&word.lower).or_default() += 1.0;
            *degree.entry(&word.lower).or_default() += phrase.len() as f64;
        }
    }
    let word_score =
        |w: &str| degree.get(w).copied().unwrap_or(0.0) / frequency.get(w).copied().unwrap_or(1.0);
    let mut seen = std::collections::HashSet::new();
    let mut scored = Vec::new();
    for phrase in &phrases {
        let key: Vec<&str> = phrase.iter().map(|w| w.lower.as_str()).collect();
        if !seen.insert(key.join(" ")) {
            continue;
        }
        let score: f64 = key.iter().map(|w| word_score(w)).sum();
        let (start, end) = (phrase[0].start, phrase[phrase.len() - 1].end);
        scored.push((score, start, end));
    }
    let best = scored.iter().map(|s| s.0).fold(0.0, f64::max);
    if best <= 0.0 {
        return Vec::new();
    }
    let offsets = CharOffsets::new(text);
    scored
        .into_iter()
        .map(|(score, start, end)| KeyPhrase {
            score: score / best,
            text: text[start..end].to_string(),
            begin_offset: offsets.char_index(start),
            end_offset: offsets.char_index(end),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn texts(phrases: &[KeyPhrase]) -> Vec<&str> {
        phrases.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn phrases_are_runs_of_content_words_between_stopwords() {
        let found = key_phrases(
            "Compatibility of systems of linear constraints over the set of natural numbers.",
        );
        assert_eq!(
            texts(&found),
            [
                "Compatibility",
                "systems",
                "linear constraints",
                "set",
                "natural numbers"
            ]
        );
        let best = found
            .iter()
            .max_by(|a, b| a.score.total_cmp(&b.score))
            .unwrap();
        assert_eq!(best.score, 1.0);
        assert!(found.iter().all(|p| (0.0..=1.0).contains(&p.score)));
    }

    #[test]
    fn urls_mentions_and_numbers_are_not_phrases() {
        let found = key_phrases("@acme the new espresso machine https://t.co/abc 42 #coffee");
        assert_eq!(texts(&found), ["new espresso machine", "coffee"]);
    }

    #[test]
    fn repeated_phrases_are_reported_once_at_their_first_place() {
        let found = key_phrases("solar power is cheap, and solar power is clean");
        assert_eq!(texts(&found), ["solar power", "cheap", "clean"]);
        assert_eq!(found[0].begin_offset, 0);
    }

    #[test]
    fn text_without_content_words_has_no_phrases() {
        assert!(key_phrases("").is_empty());
        assert!(key_phrases("it is what it is!!! 🙂").is_empty());
    }
}
