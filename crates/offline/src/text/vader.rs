//! VADER (Valence Aware Dictionary and sEntiment Reasoner), Hutto & Gilbert, ICWSM 2014: a lexicon and
//! rule-based sentiment model tuned for social media text.
//!
//! A port of the reference implementation, `vaderSentiment` 3.3.2 (MIT), with its lexicon and emoji
//! lexicon shipped unchanged in `crates/offline/models/vader/` (licence beside them). The rules are the
//! reference's: booster and dampener words, ALL-CAPS emphasis, negation within three words, "but"
//! shifting weight to the clause after it, "least", special idioms, and `!`/`?` emphasis.
//!
//! Two deliberate departures, both fixes of known bugs in the reference:
//! - the "but" rule scales sentiments by position (before ×0.5, after ×1.5); the reference looks each
//!   value up with `list.index`, which scales the wrong word when two words share a valence;
//! - scores are not rounded (the reference rounds to 3–4 decimals for display).
//!
//! The crate `vader_sentiment` (0.1.1, 2019) was not used: it is unmaintained, carries the reference's
//! older rule bugs plus index panics on short inputs, and gives no way to build without its own copy of
//! the lexicon.

use std::collections::HashMap;
use std::sync::LazyLock;

const LEXICON: &str = include_str!("../../models/vader/vader_lexicon.txt");
const EMOJI_LEXICON: &str = include_str!("../../models/vader/emoji_utf8_lexicon.txt");

/// Booster increment.
const B_INCR: f64 = 0.293;
/// Dampener decrement.
const B_DECR: f64 = -0.293;
/// ALL-CAPS emphasis.
const C_INCR: f64 = 0.733;
/// Negation scalar.
const N_SCALAR: f64 = -0.74;

const NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const BOOSTERS_UP: &[&str] = &[
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerable",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormous",
    "enormously",
    "entirely",
    "especially",
    "exceptional",
    "exceptionally",
    "extreme",
    "extremely",
    "fabulously",
    "flipping",
    "flippin",
    "frackin",
    "fracking",
    "fricking",
    "frickin",
    "frigging",
    "friggin",
    "fully",
    "fuckin",
    "fucking",
    "fuggin",
    "fugging",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredible",
    "incredibly",
    "intensely",
    "major",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "so",
    "substantially",
    "thoroughly",
    "total",
    "totally",
    "tremendous",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utter",
    "utterly",
    "very",
];

const BOOSTERS_DOWN: &[&str] = &[
    "almost",
    "barely",
    "hardly",
    "just enough",
    "kind of",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginal",
    "marginally",
    "occasional",
    "occasionally",
    "partly",
    "scarce",
    "scarcely",
    "slight",
    "slightly",
    "somewhat",
    "sort of",
    "sorta",
    "sortof",
    "sort-of",
];

const SPECIAL_CASES: &[(&str, f64)] = &[
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.1),
    ("broken heart", -2.9),
];

/// ASCII punctuation, Python's `string.punctuation`.
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

struct Model {
    lexicon: HashMap<String, f64>,
    emojis: HashMap<char, &'static str>,
    boosters: HashMap<&'static str, f64>,
    special: HashMap<&'static str, f64>,
}

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    // Lines are `token<TAB>mean<TAB>sd<TAB>[ratings]`; a malformed line is skipped, never fatal.
    let lexicon = LEXICON
        .lines()
        .filter_map(|line| {
            let mut cols = line.trim_end_matches('\r').split('\t');
            let word = cols.next()?;
            let value = cols.next()?.trim().parse::<f64>().ok()?;
            Some((word.to_string(), value))
        })
        .collect();
    let emojis = EMOJI_LEXICON
        .lines()
        .filter_map(|line| {
            let (emoji, description) = line.trim_end_matches('\r').split_once('\t')?;
            let mut chars = emoji.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Some((c, description)),
                _ => None, // multi-code-point sequences: the reference matches single characters only
            }
        })
        .collect();
    let boosters = BOOSTERS_UP
        .iter()
        .map(|w| (*w, B_INCR))
        .chain(BOOSTERS_DOWN.iter().map(|w| (*w, B_DECR)))
        .collect();
    let special = SPECIAL_CASES.iter().copied().collect();
    Model {
        lexicon,
        emojis,
        boosters,
        special,
    }
});

/// VADER's output: the proportions of positive, negative and neutral words (summing to 1 when the text
/// has words) and the normalised compound score in −1…1.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Polarity {
    /// Proportion of positive valence.
    pub pos: f64,
    /// Proportion of negative valence.
    pub neg: f64,
    /// Proportion of neutral words.
    pub neu: f64,
    /// Sum of valences normalised to −1…1.
    pub compound: f64,
}

/// Scores `text` with VADER.
pub fn polarity_scores(text: &str) -> Polarity {
    let model = &*MODEL;
    let text = replace_emojis(model, text);
    let tokens = words_and_emoticons(&text);
    if tokens.is_empty() {
        return Polarity::default();
    }
    let lower: Vec<String> = tokens.iter().map(|t| t.to_lowercase()).collect();
    let is_cap_diff = allcap_differential(&tokens);
    let mut sentiments = Vec::with_capacity(tokens.len());
    for i in 0..tokens.len() {
        let word = lower[i].as_str();
        if model.boosters.contains_key(word)
            || (word == "kind" && lower.get(i + 1).is_some_and(|n| n == "of"))
        {
            sentiments.push(0.0);
            continue;
        }
        sentiments.push(sentiment_valence(model, &tokens, &lower, is_cap_diff, i));
    }
    but_check(&lower, &mut sentiments);
    score_valence(&sentiments, &text)
}

/// Replaces each emoji with its lexicon description, as the reference does.
fn replace_emojis(model: &Model, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_space = true;
    for c in text.chars() {
        if let Some(description) = model.emojis.get(&c) {
            if !prev_space {
                out.push(' ');
            }
            out.push_str(description);
            prev_space = false;
        } else {
            out.push(c);
            prev_space = c == ' ';
        }
    }
    out.trim().to_string()
}

/// Splits on whitespace and strips surrounding punctuation unless that leaves two characters or fewer
/// (which keeps emoticons such as `:)` whole).
fn words_and_emoticons(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .map(|token| {
            let stripped = token.trim_matches(|c| PUNCTUATION.contains(c));
            if stripped.chars().count() <= 2 {
                token
            } else {
                stripped
            }
        })
        .collect()
}

/// Python's `str.isupper`: at least one cased character and no lowercase one.
fn is_upper(s: &str) -> bool {
    s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase)
}

/// Whether some, but not all, tokens are ALL CAPS.
fn allcap_differential(tokens: &[&str]) -> bool {
    let caps = tokens.iter().filter(|t| is_upper(t)).count();
    caps > 0 && caps < tokens.len()
}

fn is_negated(word: &str) -> bool {
    NEGATE.contains(&word) || word.contains("n't")
}

fn scalar_inc_dec(model: &Model, token: &str, lower: &str, valence: f64, is_cap_diff: bool) -> f64 {
    let Some(&booster) = model.boosters.get(lower) else {
        return 0.0;
    };
    let mut scalar = if valence < 0.0 { -booster } else { booster };
    if is_upper(token) && is_cap_diff {
        scalar += if valence > 0.0 { C_INCR } else { -C_INCR };
    }
    scalar
}

fn sentiment_valence(
    model: &Model,
    tokens: &[&str],
    lower: &[String],
    is_cap_diff: bool,
    i: usize,
) -> f64 {
    let word = lower[i].as_str();
    let Some(&base) = model.lexicon.get(word) else {
        return 0.0;
    };
    let mut valence = base;
    let in_lexicon = |j: usize| model.lexicon.contains_key(lower[j].as_str());
    // "no" before another lexicon word negates it rather than counting itself.
    if word == "no" && i + 1 < lower.len() && in_lexicon(i + 1) {
        valence = 0.0;
    }
    if (i > 0 && lower[i - 1] == "no")
        || (i > 1 && lower[i - 2] == "no")
        || (i > 2 && lower[i - 3] == "no" && (lower[i - 1] == "or" || lower[i - 1] == "nor"))
    {
        valence = base * N_SCALAR;
    }
    if is_upper(tokens[i]) && is_cap_diff {
        valence += if valence > 0.0 { C_INCR } else { -C_INCR };
    }
    for start_i in 0..3 {
        if i > start_i && !in_lexicon(i - (start_i + 1)) {
            let j = i - (start_i + 1);
            let mut s = scalar_inc_dec(model, tokens[j], &lower[j], valence, is_cap_diff);
            if start_i == 1 {
                s *= 0.95;
            } else if start_i == 2 {
                s *= 0.9;
            }
            valence += s;
            valence = negation_check(valence, lower, start_i, i);
            if start_i == 2 {
                valence = special_idioms_check(model, valence, lower, i);
            }
        }
    }
    least_check(model, valence, lower, i)
}

fn negation_check(valence: f64, lower: &[String], start_i: usize, i: usize) -> f64 {
    let w = |back: usize| lower[i - back].as_str();
    match start_i {
        0 if is_negated(w(1)) => valence * N_SCALAR,
        1 => {
            if w(2) == "never" && (w(1) == "so" || w(1) == "this") {
                valence * 1.25
            } else if w(2) == "without" && w(1) == "doubt" {
                valence
            } else if is_negated(w(2)) {
                valence * N_SCALAR
            } else {
                valence
            }
        }
        2 => {
            // The reference's precedence, kept: (never ∧ (so ∨ this)) ∨ so ∨ this.
            if (w(3) == "never" && (w(2) == "so" || w(2) == "this"))
                || (w(1) == "so" || w(1) == "this")
            {
                valence * 1.25
            } else if w(3) == "without" && (w(2) == "doubt" || w(1) == "doubt") {
                valence
            } else if is_negated(w(3)) {
                valence * N_SCALAR
            } else {
                valence
            }
        }
        _ => valence,
    }
}

fn special_idioms_check(model: &Model, mut valence: f64, lower: &[String], i: usize) -> f64 {
    // Only called with i ≥ 3.
    let w = |k: usize| lower[k].as_str();
    let one_zero = format!("{} {}", w(i - 1), w(i));
    let two_one_zero = format!("{} {} {}", w(i - 2), w(i - 1), w(i));
    let two_one = format!("{} {}", w(i - 2), w(i - 1));
    let three_two_one = format!("{} {} {}", w(i - 3), w(i - 2), w(i - 1));
    let three_two = format!("{} {}", w(i - 3), w(i - 2));
    for seq in [
        &one_zero,
        &two_one_zero,
        &two_one,
        &three_two_one,
        &three_two,
    ] {
        if let Some(&v) = model.special.get(seq.as_str()) {
            valence = v;
            break;
        }
    }
    if lower.len() > i + 1
        && let Some(&v) = model.special.get(format!("{} {}", w(i), w(i + 1)).as_str())
    {
        valence = v;
    }
    if lower.len() > i + 2
        && let Some(&v) = model
            .special
            .get(format!("{} {} {}", w(i), w(i + 1), w(i + 2)).as_str())
    {
        valence = v;
    }
    for n_gram in [&three_two_one, &three_two, &two_one] {
        if let Some(&b) = model.boosters.get(n_gram.as_str()) {
            valence += b;
        }
    }
    valence
}

fn least_check(model: &Model, valence: f64, lower: &[String], i: usize) -> f64 {
    let prev_is_least = i > 0 && lower[i - 1] == "least" && !model.lexicon.contains_key("least");
    if !prev_is_least {
        return valence;
    }
    if i > 1 && (lower[i - 2] == "at" || lower[i - 2] == "very") {
        valence
    } else {
        valence * N_SCALAR
    }
}

/// Contrastive "but": the clause before it counts half, the clause after it half as much again.
fn but_check(lower: &[String], sentiments: &mut [f64]) {
    if let Some(bi) = lower.iter().position(|w| w == "but") {
        for (si, s) in sentiments.iter_mut().enumerate() {
            if si < bi {
                *s *= 0.5;
            } else if si > bi {
                *s *= 1.5;
            }
        }
    }
}

fn punctuation_emphasis(text: &str) -> f64 {
    let ep = text.chars().filter(|&c| c == '!').count().min(4) as f64 * 0.292;
    let qm_count = text.chars().filter(|&c| c == '?').count();
    let qm = match qm_count {
        0 | 1 => 0.0,
        2 | 3 => qm_count as f64 * 0.18,
        _ => 0.96,
    };
    ep + qm
}

fn normalize(score: f64) -> f64 {
    (score / (score * score + 15.0).sqrt()).clamp(-1.0, 1.0)
}

fn score_valence(sentiments: &[f64], text: &str) -> Polarity {
    let mut sum: f64 = sentiments.iter().sum();
    let emphasis = punctuation_emphasis(text);
    if sum > 0.0 {
        sum += emphasis;
    } else if sum < 0.0 {
        sum -= emphasis;
    }
    let compound = normalize(sum);
    let (mut pos_sum, mut neg_sum, mut neu_count) = (0.0, 0.0, 0.0);
    for &s in sentiments {
        if s > 0.0 {
            pos_sum += s + 1.0; // compensates for neutral words counted as 1
        } else if s < 0.0 {
            neg_sum += s - 1.0;
        } else {
            neu_count += 1.0;
        }
    }
    if pos_sum > neg_sum.abs() {
        pos_sum += emphasis;
    } else if pos_sum < neg_sum.abs() {
        neg_sum -= emphasis;
    }
    let total = pos_sum + neg_sum.abs() + neu_count;
    if total <= 0.0 {
        return Polarity {
            compound,
            ..Polarity::default()
        };
    }
    Polarity {
        pos: (pos_sum / total).abs(),
        neg: (neg_sum / total).abs(),
        neu: neu_count / total,
        compound,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.001
    }

    // Expected values are the reference implementation's (vaderSentiment 3.3.2) on the same sentences.
    #[test]
    fn matches_the_reference_on_its_own_examples() {
        let p = polarity_scores("VADER is smart, handsome, and funny.");
        assert!(close(p.compound, 0.8316), "{p:?}");
        assert!(
            close(p.pos, 0.746) && close(p.neu, 0.254) && close(p.neg, 0.0),
            "{p:?}"
        );
        let p = polarity_scores("VADER is not smart, handsome, nor funny.");
        assert!(close(p.compound, -0.7424), "{p:?}");
        let p = polarity_scores("VADER is VERY SMART, handsome, and FUNNY!!!");
        assert!(close(p.compound, 0.9342), "{p:?}");
        let p = polarity_scores("Today SUX!");
        assert!(close(p.compound, -0.5461), "{p:?}");
    }

    #[test]
    fn emojis_carry_their_description_sentiment() {
        assert!(polarity_scores("😍").compound > 0.3);
        assert!(polarity_scores("😠").compound < -0.3);
    }

    #[test]
    fn empty_and_punctuation_only_text_is_neutral_zero() {
        assert_eq!(polarity_scores(""), Polarity::default());
        assert_eq!(polarity_scores("   ").compound, 0.0);
        assert_eq!(polarity_scores("!!!").compound, 0.0);
    }

    #[test]
    fn short_inputs_with_every_rule_word_never_panic() {
        for text in [
            "no",
            "no good",
            "least",
            "at least",
            "but",
            "kind of",
            "never so",
            "without doubt good",
            "no or",
        ] {
            let _ = polarity_scores(text);
        }
    }
}
