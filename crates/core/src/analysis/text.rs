//! analyse-text: the language from the post when the provider supports it, otherwise detected;
//! sentiment, entities and key phrases only where the provider supports that language — an
//! unsupported language gives an analysis without them that says why (never a hard-coded `en`).

use starling_contracts::{Analysis, MessageReceived};

use crate::ports::{AnalysisError, TextAnalyzer, TextOp};

/// Comprehend's limit on one document for the real-time APIs, in UTF-8 bytes.
pub const MAX_TEXT_BYTES: usize = 5000;

/// Analyses a received message's text: the text half of an [`Analysis`] (its `Images` empty; the
/// state machine's media branch fills them), as the analyse-text Lambda returns it.
pub async fn analyse_text(
    analyzer: &dyn TextAnalyzer,
    message: &MessageReceived,
) -> Result<Analysis, AnalysisError> {
    let mut out = Analysis {
        provider: analyzer.provider(),
        ..Default::default()
    };
    let cleaned = clean_for_analysis(&message.text);
    if cleaned.is_empty() {
        out.language = message.lang.as_deref().and_then(normalise_x_lang);
        out.notes
            .push("no text left to analyse after removing mentions and URLs".into());
        return Ok(out);
    }
    let (text, cut) = truncate_utf8(&cleaned, MAX_TEXT_BYTES);
    if cut {
        out.notes.push(format!(
            "text cut to {MAX_TEXT_BYTES} bytes (Comprehend's limit)"
        ));
    }

    let hinted = message.lang.as_deref().and_then(normalise_x_lang);
    let language = match hinted {
        Some(l)
            if [TextOp::Sentiment, TextOp::Entities, TextOp::KeyPhrases]
                .iter()
                .any(|op| analyzer.supports(*op, &l)) =>
        {
            l
        }
        _ => {
            let detected = analyzer.detect_language(text).await?;
            match detected.into_iter().next() {
                Some(d) => {
                    if let Some(h) = &hinted {
                        out.notes.push(format!(
                            "post language {h} unsupported by {}; detected {}",
                            out.provider, d.code
                        ));
                    }
                    d.code
                }
                None => {
                    out.notes.push("language could not be determined".into());
                    return Ok(out);
                }
            }
        }
    };

    if analyzer.supports(TextOp::Sentiment, &language) {
        let (sentiment, score) = analyzer.sentiment(text, &language).await?;
        out.text_sentiment = Some(sentiment);
        out.sentiment_score = Some(score);
    } else {
        out.notes.push(format!(
            "sentiment not available in {language} from {}",
            out.provider
        ));
    }
    if analyzer.supports(TextOp::Entities, &language) {
        out.text_entities = analyzer.entities(text, &language).await?;
    } else {
        out.notes.push(format!(
            "entities not available in {language} from {}",
            out.provider
        ));
    }
    if analyzer.supports(TextOp::KeyPhrases, &language) {
        out.key_phrases = analyzer.key_phrases(text, &language).await?;
    } else {
        out.notes.push(format!(
            "key phrases not available in {language} from {}",
            out.provider
        ));
    }
    out.language = Some(language);
    Ok(out)
}

/// X's language code as an analysis language: `None` for X's "undetermined" codes, legacy codes mapped.
pub fn normalise_x_lang(lang: &str) -> Option<String> {
    let lower = lang.trim().to_ascii_lowercase();
    let code = match lower.as_str() {
        // und: undetermined; qme: media links only; qht: hashtags only; qam: mentions only; zxx: no text.
        "" | "und" | "qme" | "qht" | "qam" | "qct" | "qst" | "zxx" => return None,
        "iw" => "he",
        "in" => "id",
        "zh-cn" | "zh-hans" => "zh",
        "zh-tw" | "zh-hant" => "zh-TW",
        other => other,
    };
    Some(code.to_string())
}

/// Removes URLs anywhere and the run of @mentions a reply starts with; collapses whitespace.
pub fn clean_for_analysis(text: &str) -> String {
    let mut words = text.split_whitespace().peekable();
    while words
        .peek()
        .is_some_and(|w| w.starts_with('@') && w.len() > 1)
    {
        words.next();
    }
    words
        .filter(|w| !(w.starts_with("http://") || w.starts_with("https://")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cuts `text` to at most `max` bytes on a character boundary; says whether it cut.
pub fn truncate_utf8(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn leading_mentions_and_urls_are_removed_but_inner_mentions_kept() {
        assert_eq!(
            clean_for_analysis("@bot @ada  tell @bob a joke https://t.co/x please"),
            "tell @bob a joke please"
        );
        assert_eq!(clean_for_analysis("@bot https://t.co/abc"), "");
    }

    #[test]
    fn truncation_respects_utf8_boundaries() {
        let text = "é".repeat(3000); // 6000 bytes
        let (cut, did) = truncate_utf8(&text, MAX_TEXT_BYTES);
        assert!(did);
        assert_eq!(cut.len(), 5000);
        let text = format!("a{}", "日".repeat(2000)); // 1 + 6000 bytes
        let (cut, _) = truncate_utf8(&text, MAX_TEXT_BYTES);
        assert_eq!(cut.len(), 4999);
        assert!(cut.ends_with('日'));
    }

    #[test]
    fn x_undetermined_codes_mean_detect() {
        assert_eq!(normalise_x_lang("und"), None);
        assert_eq!(normalise_x_lang("qme"), None);
        assert_eq!(normalise_x_lang("iw").as_deref(), Some("he"));
        assert_eq!(normalise_x_lang("zh-TW").as_deref(), Some("zh-TW"));
        assert_eq!(normalise_x_lang("ES").as_deref(), Some("es"));
    }
}
