//! From VADER's polarity to Comprehend's four classes and scores.
//!
//! VADER gives the share of positive (`pos`), negative (`neg`) and neutral (`neu`) words, and a
//! `compound` score in −1…1. Comprehend wants POSITIVE / NEGATIVE / NEUTRAL / MIXED with a confidence
//! for each, summing to 1, the class being the most confident. The mapping:
//!
//! 1. **mixed** = `balance × strength`, where `balance = min(pos, neg) / max(pos, neg)` (1 when both
//!    sides weigh the same, 0 when one is absent) and `strength = min(1, min(pos, neg) / 0.1)` (both
//!    sides must carry at least 10 % of the words to count fully). "I love the design but the battery
//!    is terrible" is mixed; "great, apart from one dull bit" mostly is not.
//! 2. **polar** = `|compound| / (|compound| + 0.05)`: 0.5 exactly at VADER's recommended ±0.05
//!    threshold, so without mixed evidence the class agrees with VADER's own rule
//!    (compound ≥ 0.05 positive, ≤ −0.05 negative, else neutral).
//! 3. The rest, `1 − mixed`, is split: `polar` of it to the compound's side (positive or negative),
//!    the remainder to neutral.
//! 4. The class is the highest score. Text with no words at all is NEUTRAL with confidence 1.
//!
//! These are calibrated by construction, not learned: read them as "how clearly VADER's rules point
//! this way", not as probabilities.

use starling_contracts::{Sentiment, SentimentScore};

use super::vader::Polarity;

/// Comprehend's class and scores for a VADER polarity.
pub fn to_comprehend(p: Polarity) -> (Sentiment, SentimentScore) {
    if p.pos + p.neg + p.neu <= 0.0 {
        let score = SentimentScore {
            neutral: 1.0,
            ..SentimentScore::default()
        };
        return (Sentiment::Neutral, score);
    }
    let (weak, strong) = (p.pos.min(p.neg), p.pos.max(p.neg));
    let mixed = if weak > 0.0 {
        (weak / strong) * (weak / 0.1).min(1.0)
    } else {
        0.0
    };
    let magnitude = p.compound.abs();
    let polar = magnitude / (magnitude + 0.05);
    let rest = 1.0 - mixed;
    let (mut positive, mut negative) = (0.0, 0.0);
    if p.compound > 0.0 {
        positive = rest * polar;
    } else if p.compound < 0.0 {
        negative = rest * polar;
    }
    let neutral = rest - positive - negative;
    let score = SentimentScore {
        positive,
        negative,
        neutral,
        mixed,
    };
    let class = [
        (Sentiment::Positive, positive),
        (Sentiment::Negative, negative),
        (Sentiment::Neutral, neutral),
        (Sentiment::Mixed, mixed),
    ]
    .into_iter()
    .fold((Sentiment::Neutral, f64::MIN), |best, c| {
        if c.1 > best.1 { c } else { best }
    })
    .0;
    (class, score)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sum(s: SentimentScore) -> f64 {
        s.positive + s.negative + s.neutral + s.mixed
    }

    #[test]
    fn scores_sum_to_one_and_the_class_is_the_highest() {
        for p in [
            Polarity {
                pos: 0.6,
                neg: 0.0,
                neu: 0.4,
                compound: 0.8,
            },
            Polarity {
                pos: 0.0,
                neg: 0.3,
                neu: 0.7,
                compound: -0.4,
            },
            Polarity {
                pos: 0.2,
                neg: 0.3,
                neu: 0.5,
                compound: -0.3,
            },
            Polarity {
                pos: 0.0,
                neg: 0.0,
                neu: 1.0,
                compound: 0.0,
            },
            Polarity {
                pos: 0.01,
                neg: 0.0,
                neu: 0.99,
                compound: 0.04,
            },
        ] {
            let (class, s) = to_comprehend(p);
            assert!((sum(s) - 1.0).abs() < 1e-9, "{p:?} → {s:?}");
            let best = s.positive.max(s.negative).max(s.neutral).max(s.mixed);
            let of_class = match class {
                Sentiment::Positive => s.positive,
                Sentiment::Negative => s.negative,
                Sentiment::Neutral => s.neutral,
                Sentiment::Mixed => s.mixed,
            };
            assert_eq!(of_class, best, "{p:?} → {class:?} {s:?}");
        }
    }

    #[test]
    fn vader_thresholds_decide_between_polar_and_neutral() {
        let p = |compound: f64| Polarity {
            pos: 0.1,
            neg: 0.0,
            neu: 0.9,
            compound,
        };
        assert_eq!(to_comprehend(p(0.06)).0, Sentiment::Positive);
        assert_eq!(to_comprehend(p(0.04)).0, Sentiment::Neutral);
        assert_eq!(
            to_comprehend(Polarity {
                pos: 0.0,
                neg: 0.1,
                neu: 0.9,
                compound: -0.06
            })
            .0,
            Sentiment::Negative
        );
    }

    #[test]
    fn no_words_is_fully_neutral() {
        let (class, s) = to_comprehend(Polarity::default());
        assert_eq!(class, Sentiment::Neutral);
        assert_eq!(s.neutral, 1.0);
    }
}
