//! Language identification with `whatlang` (MIT): trigram profiles for 69 languages plus script
//! detection, answered as ISO 639-1 codes the way Comprehend's DetectDominantLanguage does.
//!
//! Mentions, URLs and the `#` of hashtags are removed first: they are not written in any language and
//! would tilt short posts towards English.

use std::sync::LazyLock;

use regex::Regex;
use starling_core::ports::DetectedLanguage;
use whatlang::Lang;

// A static pattern: compiling it cannot fail at run time once the tests have compiled it.
#[allow(clippy::expect_used)]
static NOT_LANGUAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"https?://\S+|www\.\S+|@\w+|#").expect("static regex"));

/// The dominant language of `text`, or none when the text has too little to go on.
pub fn detect(text: &str) -> Vec<DetectedLanguage> {
    let cleaned = NOT_LANGUAGE.replace_all(text, " ");
    whatlang::detect(&cleaned)
        .map(|info| {
            vec![DetectedLanguage {
                code: iso639_1(info.lang()).to_string(),
                score: info.confidence(),
            }]
        })
        .unwrap_or_default()
}

/// The ISO 639-1 code (or, where there is none, Comprehend's spelling) for a whatlang language.
pub fn iso639_1(lang: Lang) -> &'static str {
    match lang {
        Lang::Epo => "eo",
        Lang::Eng => "en",
        Lang::Rus => "ru",
        Lang::Cmn => "zh",
        Lang::Spa => "es",
        Lang::Por => "pt",
        Lang::Ita => "it",
        Lang::Ben => "bn",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Ukr => "uk",
        Lang::Kat => "ka",
        Lang::Ara => "ar",
        Lang::Hin => "hi",
        Lang::Jpn => "ja",
        Lang::Heb => "he",
        Lang::Yid => "yi",
        Lang::Pol => "pl",
        Lang::Amh => "am",
        Lang::Jav => "jv",
        Lang::Kor => "ko",
        Lang::Nob => "no",
        Lang::Dan => "da",
        Lang::Swe => "sv",
        Lang::Fin => "fi",
        Lang::Tur => "tr",
        Lang::Nld => "nl",
        Lang::Hun => "hu",
        Lang::Ces => "cs",
        Lang::Ell => "el",
        Lang::Bul => "bg",
        Lang::Bel => "be",
        Lang::Mar => "mr",
        Lang::Kan => "kn",
        Lang::Ron => "ro",
        Lang::Slv => "sl",
        Lang::Hrv => "hr",
        Lang::Srp => "sr",
        Lang::Mkd => "mk",
        Lang::Lit => "lt",
        Lang::Lav => "lv",
        Lang::Est => "et",
        Lang::Tam => "ta",
        Lang::Vie => "vi",
        Lang::Urd => "ur",
        Lang::Tha => "th",
        Lang::Guj => "gu",
        Lang::Uzb => "uz",
        Lang::Pan => "pa",
        Lang::Aze => "az",
        Lang::Ind => "id",
        Lang::Tel => "te",
        Lang::Pes => "fa",
        Lang::Mal => "ml",
        Lang::Ori => "or",
        Lang::Mya => "my",
        Lang::Nep => "ne",
        Lang::Sin => "si",
        Lang::Khm => "km",
        Lang::Tuk => "tk",
        Lang::Aka => "ak",
        Lang::Zul => "zu",
        Lang::Sna => "sn",
        Lang::Afr => "af",
        Lang::Lat => "la",
        Lang::Slk => "sk",
        Lang::Cat => "ca",
        Lang::Tgl => "tl",
        Lang::Hye => "hy",
        Lang::Cym => "cy",
    }
}

/// The primary subtag of an RFC 5646 tag, lower-cased: `en-US` → `en`.
pub fn primary_subtag(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_whatlang_language_has_a_two_letter_code() {
        for lang in Lang::all() {
            assert_eq!(iso639_1(*lang).len(), 2, "{lang:?}");
        }
    }

    #[test]
    fn mentions_and_urls_do_not_make_spanish_english() {
        let found = detect(
            "@elonmusk @nasa https://example.com/launch el cohete despegó esta mañana desde la costa",
        );
        assert_eq!(found[0].code, "es", "{found:?}");
    }

    #[test]
    fn region_subtags_are_dropped() {
        assert_eq!(primary_subtag("en-US"), "en");
        assert_eq!(primary_subtag("ES"), "es");
        assert_eq!(primary_subtag(""), "");
    }
}
