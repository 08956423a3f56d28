//! The analysis carried by MESSAGE_ANALYSED, in Comprehend's and Rekognition's own shapes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Text and image analysis of one message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Analysis {
    /// The language analysed (the post's own `lang` when supported, else detected), ISO 639-1 or RFC 5646.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// `POSITIVE`, `NEGATIVE`, `NEUTRAL` or `MIXED`; absent when the language has no sentiment model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_sentiment: Option<Sentiment>,
    /// The sentiment scores, when a sentiment was computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment_score: Option<SentimentScore>,
    /// Named entities (Comprehend's `Entities`).
    #[serde(default)]
    pub text_entities: Vec<Entity>,
    /// Key phrases (Comprehend's `KeyPhrases`).
    #[serde(default)]
    pub key_phrases: Vec<KeyPhrase>,
    /// One entry per image of the message, analysed or failed.
    #[serde(default)]
    pub images: Vec<ImageResult>,
    /// Which provider produced the text analysis, e.g. `amazon-comprehend` or `starling-offline/vader`.
    pub provider: String,
    /// Why parts of the analysis are missing (e.g. sentiment unsupported for the language).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Comprehend's sentiment classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Sentiment {
    /// Positive.
    Positive,
    /// Negative.
    Negative,
    /// Neutral.
    Neutral,
    /// Both positive and negative.
    Mixed,
}

impl Sentiment {
    /// Comprehend's spelling, e.g. `NEGATIVE`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Positive => "POSITIVE",
            Self::Negative => "NEGATIVE",
            Self::Neutral => "NEUTRAL",
            Self::Mixed => "MIXED",
        }
    }
}

/// Comprehend's `SentimentScore`: the confidence of each class, 0–1.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SentimentScore {
    /// Positive confidence.
    pub positive: f64,
    /// Negative confidence.
    pub negative: f64,
    /// Neutral confidence.
    pub neutral: f64,
    /// Mixed confidence.
    pub mixed: f64,
}

/// Comprehend's `Entity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Entity {
    /// Confidence 0–1.
    pub score: f64,
    /// `PERSON`, `LOCATION`, `ORGANIZATION`, `COMMERCIAL_ITEM`, `EVENT`, `DATE`, `QUANTITY`, `TITLE` or `OTHER`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The entity's text.
    pub text: String,
    /// Character offset where it starts.
    pub begin_offset: i64,
    /// Character offset where it ends.
    pub end_offset: i64,
}

/// Comprehend's `KeyPhrase`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct KeyPhrase {
    /// Confidence 0–1.
    pub score: f64,
    /// The phrase.
    pub text: String,
    /// Character offset where it starts.
    pub begin_offset: i64,
    /// Character offset where it ends.
    pub end_offset: i64,
}

/// One image of a message: where it was stored and what was found, or why it could not be.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ImageResult {
    /// The media-bucket key of the downloaded image (absent when the download failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The URL the image came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What the image analysis found (absent when it failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<ImageAnalysis>,
    /// Why this image was not analysed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Rekognition's findings for one image.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ImageAnalysis {
    /// `DetectLabels` labels.
    #[serde(default)]
    pub labels: Vec<Label>,
    /// `DetectText` detections.
    #[serde(default)]
    pub text_detections: Vec<TextDetection>,
    /// `RecognizeCelebrities` celebrity faces.
    #[serde(default)]
    pub celebrity_faces: Vec<Celebrity>,
    /// `RecognizeCelebrities` unrecognized faces, less those the known-faces gallery named.
    #[serde(default)]
    pub unrecognized_faces: Vec<ComparedFace>,
    /// Faces no celebrity matched that the known-faces gallery did (`SearchFacesByImage` on a
    /// Rekognition collection on AWS, face embeddings offline).
    #[serde(default)]
    pub known_faces: Vec<KnownFace>,
    /// Which provider produced this, e.g. `amazon-rekognition` or `starling-offline/…`.
    pub provider: String,
    /// Why parts of the analysis are missing (e.g. no offline label model).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Rekognition's `Label`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Label {
    /// The label, e.g. `Person`.
    pub name: String,
    /// Confidence 0–100.
    pub confidence: f64,
    /// Parent labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<LabelParent>,
}

/// Rekognition's `Parent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LabelParent {
    /// The parent label's name.
    pub name: String,
}

/// Rekognition's `TextDetection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TextDetection {
    /// The text found.
    pub detected_text: String,
    /// `LINE` or `WORD`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Detection id.
    pub id: i64,
    /// The line a word belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<i64>,
    /// Confidence 0–100.
    pub confidence: f64,
    /// Where the text is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geometry: Option<Geometry>,
}

/// Rekognition's `Geometry` (bounding box only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Geometry {
    /// The box around the text.
    pub bounding_box: BoundingBox,
}

/// Rekognition's `BoundingBox`: ratios of the image's width and height, 0–1.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BoundingBox {
    /// Box width / image width.
    pub width: f64,
    /// Box height / image height.
    pub height: f64,
    /// Left edge / image width.
    pub left: f64,
    /// Top edge / image height.
    pub top: f64,
}

/// Rekognition's `Celebrity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Celebrity {
    /// The celebrity's name.
    pub name: String,
    /// Rekognition's celebrity id.
    #[serde(default)]
    pub id: String,
    /// Links about the celebrity.
    #[serde(default)]
    pub urls: Vec<String>,
    /// The face in the image.
    pub face: ComparedFace,
    /// Match confidence 0–100.
    pub match_confidence: f64,
}

/// A face the known-faces gallery matched: a person someone enrolled with `starling faces add`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct KnownFace {
    /// The enrolled person's name.
    pub name: String,
    /// How alike the face and the closest enrolled face are, 0–100 (Rekognition's `Similarity`;
    /// offline, derived from the embeddings' distance: see the README).
    pub similarity: f64,
    /// The face in the image.
    pub face: ComparedFace,
    /// The matched gallery entry: Rekognition's `FaceId`, or the local gallery's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_id: Option<String>,
}

/// Rekognition's `ComparedFace` (what `RecognizeCelebrities` returns for faces).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ComparedFace {
    /// Where the face is.
    pub bounding_box: BoundingBox,
    /// Confidence that this is a face, 0–100.
    pub confidence: f64,
    /// Emotions, when the provider estimates them.
    #[serde(default)]
    pub emotions: Vec<Emotion>,
}

/// Rekognition's `Emotion`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Emotion {
    /// `HAPPY`, `SAD`, `ANGRY`, `CONFUSED`, `DISGUSTED`, `SURPRISED`, `CALM`, `FEAR` or `UNKNOWN`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Confidence 0–100.
    pub confidence: f64,
}
