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
//! | [`ImageAnalyzer`] | [`OfflineImageAnalyzer`] ([`IMAGE_PROVIDER`]) | JPEG/PNG/GIF/WebP decoding with EXIF orientation, SeetaFace frontal face detection; no labels, no text, no celebrities (see [`ImageAnalyzer::limitations`]) |
//!
//! | [`ChatBot`] | [`LocalIntentMatcher`] | TF-IDF cosine over the bot definition's utterances (`bot/starling-bot.json`), the same threshold and fulfilment as the Lex bot |
//!
//! Must not import: the bus, the lake, the runtime (`starling-local`), any AWS SDK or `lambda_*`
//! crate, DuckDB. Models are compiled in (`include_bytes!`), so nothing is downloaded at run time.
//!
//! [`TextAnalyzer`]: starling_core::ports::TextAnalyzer
//! [`ChatBot`]: starling_core::ports::ChatBot
//! [`ImageAnalyzer`]: starling_core::ports::ImageAnalyzer
//! [`ImageAnalyzer::limitations`]: starling_core::ports::ImageAnalyzer::limitations

pub mod chatbot;
pub mod image;
pub mod moderation;
pub mod onnx;
pub mod text;

pub use chatbot::LocalIntentMatcher;
pub use image::{IMAGE_PROVIDER, OfflineImageAnalyzer};
pub use moderation::{MODERATION_PROVIDER, OfflineModerator};
pub use text::{OfflineTextAnalyzer, TEXT_PROVIDER};
