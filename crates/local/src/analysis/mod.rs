//! Offline stand-ins for Comprehend and Rekognition: the [`TextAnalyzer`] and [`ImageAnalyzer`] ports
//! on one machine, with no cloud account.
//!
//! Each provider runs a real, published algorithm on models that ship inside this crate
//! (`crates/local/models/`, each with its licence) and names itself in every result
//! (`Analysis.Provider`, `ImageAnalysis.Provider`): it is an honest stand-in, never a copy of
//! the cloud service's output.
//!
//! | port | provider | what it does |
//! | --- | --- | --- |
//! | [`TextAnalyzer`] | [`OfflineTextAnalyzer`] ([`TEXT_PROVIDER`]) | VADER sentiment (English), whatlang language identification, RAKE key phrases (English), rule-based DATE / QUANTITY / OTHER entities |
//! | [`ImageAnalyzer`] | [`OfflineImageAnalyzer`] ([`IMAGE_PROVIDER`]) | JPEG/PNG/GIF/WebP decoding with EXIF orientation, SeetaFace frontal face detection; no labels, no text, no celebrities (see [`ImageAnalyzer::limitations`]) |
//!
//! [`TextAnalyzer`]: starling_core::ports::TextAnalyzer
//! [`ImageAnalyzer`]: starling_core::ports::ImageAnalyzer
//! [`ImageAnalyzer::limitations`]: starling_core::ports::ImageAnalyzer::limitations

pub mod image;
pub mod text;

pub use image::{IMAGE_PROVIDER, OfflineImageAnalyzer};
pub use text::{OfflineTextAnalyzer, TEXT_PROVIDER};
