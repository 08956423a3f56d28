//! Offline stand-ins for Comprehend, Rekognition and Lex: the [`TextAnalyzer`], [`ImageAnalyzer`]
//! and [`ChatBot`] ports on one machine, with no cloud account.
//!
//! Each provider runs a real, published algorithm on models that ship inside this crate
//! (`crates/offline/models/`, each with its licence) and names itself in every result
//! (`Analysis.Provider`, `ImageAnalysis.Provider`): it is an honest stand-in, never a copy of
//! the cloud service's output.
//!
//! | port | provider | what it does |
//! | --- | --- | --- |
//! | [`TextAnalyzer`] | [`OfflineTextAnalyzer`] ([`TEXT_PROVIDER`]) | VADER sentiment (English), whatlang language identification, RAKE key phrases (English), rule-based DATE / QUANTITY / OTHER entities |
//! | [`ImageAnalyzer`] | [`OfflineImageAnalyzer`] ([`IMAGE_PROVIDER`]) | JPEG/PNG/GIF/WebP decoding with EXIF orientation, SeetaFace frontal face detection, known faces (dlib ResNet embeddings against the `starling faces` gallery), PP-OCRv4 text; no labels, no celebrities (see [`ImageAnalyzer::limitations`]) |
//! | [`Moderator`] | [`OfflineModerator`] ([`MODERATION_PROVIDER`]) | images: nsfwjs's MobileNetV2 mapped to Rekognition's moderation labels; text: unavailable |
//! | [`ChatBot`] | [`LocalIntentMatcher`] | TF-IDF cosine over the bot definition's utterances (`bot/starling-bot.json`), the same threshold and fulfilment as the Lex bot |
//!
//! Must not import: the bus, the lake, the runtime (`starling-local`), any AWS SDK or `lambda_*`
//! crate, DuckDB. Models are compiled in (`include_bytes!`), so nothing is downloaded at run time;
//! [`embedded_models`] lists them against [`MODEL_BUDGET_BYTES`].
//!
//! [`TextAnalyzer`]: starling_core::ports::TextAnalyzer
//! [`ChatBot`]: starling_core::ports::ChatBot
//! [`Moderator`]: starling_core::moderation::Moderator
//! [`ImageAnalyzer`]: starling_core::ports::ImageAnalyzer
//! [`ImageAnalyzer::limitations`]: starling_core::ports::ImageAnalyzer::limitations

pub mod chatbot;
mod heavy;
pub mod image;
pub mod moderation;
pub mod onnx;
pub mod text;

pub use chatbot::LocalIntentMatcher;
pub use image::{IMAGE_PROVIDER, OfflineImageAnalyzer};
pub use moderation::{MODERATION_PROVIDER, OfflineModerator};
pub use text::{OfflineTextAnalyzer, TEXT_PROVIDER};

/// What the models compiled into the binary may weigh together: 32 MiB.
pub const MODEL_BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// The models compiled into the binary and their sizes in bytes (the VADER lexicons aside).
pub fn embedded_models() -> Vec<(&'static str, usize)> {
    let onnx = [
        &image::known::MODEL,
        &moderation::MODEL,
        &image::ocr::DET,
        &image::ocr::REC,
        &image::ocr::CLS,
    ];
    std::iter::once(("SeetaFace frontal detector", image::faces::MODEL.len()))
        .chain(onnx.into_iter().map(|m| (m.name(), m.size())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_models_stay_within_the_budget() {
        let models = embedded_models();
        let total: usize = models.iter().map(|(_, size)| size).sum();
        assert_eq!(models.len(), 6);
        assert!(models.iter().all(|(_, size)| *size > 100_000), "{models:?}");
        assert!(
            total <= MODEL_BUDGET_BYTES,
            "{total} bytes of models over the {MODEL_BUDGET_BYTES}-byte budget: {models:?}"
        );
    }
}
