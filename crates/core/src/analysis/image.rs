//! analyse-image: Rekognition's RecognizeCelebrities and DetectLabels on one stored image, and
//! DetectText when asked (`always`), never (`never`), or when the labels suggest text (`auto`).
//! The result keeps Rekognition's own shape whichever provider produced it.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use starling_contracts::{ImageAnalysis, ImageResult, Label};

use crate::ports::{AnalysisError, ImageAnalyzer, ImageRef};

/// When to run DetectText (`DETECT_TEXT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetectTextMode {
    /// Only when a label suggests text (a sign, a document, a screenshot…); on every image when
    /// the provider has no labels that could tell (offline).
    #[default]
    Auto,
    /// On every image.
    Always,
    /// Never.
    Never,
}

impl FromStr for DetectTextMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "always" => Ok(Self::Always),
            "never" => Ok(Self::Never),
            other => Err(format!("{other:?} is not one of auto, always, never")),
        }
    }
}

/// Labels whose presence makes `auto` run DetectText.
pub const TEXT_LABELS: [&str; 14] = [
    "Text",
    "Document",
    "Poster",
    "Sign",
    "Letter",
    "Page",
    "Menu",
    "Label",
    "Handwriting",
    "Screenshot",
    "Book",
    "Newspaper",
    "Paper",
    "Word",
];

/// How images are analysed.
#[derive(Debug, Clone)]
pub struct ImageConfig {
    /// DetectLabels' `MaxLabels` (`MAX_LABELS`).
    pub max_labels: u32,
    /// DetectLabels' `MinConfidence`, 0–100 (`MIN_LABEL_CONFIDENCE`).
    pub min_confidence: f64,
    /// When to run DetectText.
    pub detect_text: DetectTextMode,
}

impl Default for ImageConfig {
    fn default() -> Self {
        Self {
            max_labels: 10,
            min_confidence: 70.0,
            detect_text: DetectTextMode::Auto,
        }
    }
}

/// The analyse-image task's input: one downloaded image, by reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageTask {
    /// The media bucket.
    pub bucket: String,
    /// The image's key.
    pub key: String,
    /// Where it came from.
    #[serde(default)]
    pub url: Option<String>,
}

fn suggests_text(labels: &[Label]) -> bool {
    labels.iter().any(|l| {
        TEXT_LABELS.iter().any(|t| l.name.eq_ignore_ascii_case(t))
            || l.parents
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case("Text"))
    })
}

/// Analyses one image.
pub async fn analyse_image(
    analyzer: &dyn ImageAnalyzer,
    task: &ImageTask,
    config: &ImageConfig,
) -> Result<ImageResult, AnalysisError> {
    let image = ImageRef {
        bucket: task.bucket.clone(),
        key: task.key.clone(),
    };
    let (celebrity_faces, mut unrecognized_faces) = analyzer.recognize_celebrities(&image).await?;
    let known_faces = if unrecognized_faces.is_empty() {
        Vec::new()
    } else {
        analyzer
            .search_known_faces(&image, &unrecognized_faces)
            .await?
    };
    // A face the gallery named is no longer unrecognized (it is drawn with its name).
    unrecognized_faces.retain(|f| {
        !known_faces
            .iter()
            .any(|k| k.face.bounding_box == f.bounding_box)
    });
    let labels = analyzer
        .detect_labels(&image, config.max_labels, config.min_confidence)
        .await?;
    let run_text = match config.detect_text {
        DetectTextMode::Always => true,
        DetectTextMode::Never => false,
        DetectTextMode::Auto => !analyzer.labels_suggest_text() || suggests_text(&labels),
    };
    let text_detections = if run_text {
        analyzer.detect_text(&image).await?
    } else {
        Vec::new()
    };
    Ok(ImageResult {
        key: Some(task.key.clone()),
        url: task.url.clone(),
        analysis: Some(ImageAnalysis {
            labels,
            text_detections,
            celebrity_faces,
            unrecognized_faces,
            known_faces,
            provider: analyzer.provider(),
            notes: analyzer.limitations(),
        }),
        error: None,
    })
}
