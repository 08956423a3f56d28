//! [`ImageAnalyzer`] on Amazon Rekognition, images passed by S3 reference (the media bucket):
//! Rekognition reads the object itself, so no image bytes travel through the Lambda.

use crate::sdk_error::describe;
use async_trait::async_trait;
use aws_sdk_rekognition::Client;
use aws_sdk_rekognition::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_rekognition::types::{Image, S3Object};
use starling_contracts::{
    BoundingBox, Celebrity, ComparedFace, Emotion, Geometry, Label, LabelParent, TextDetection,
};
use starling_core::ports::{AnalysisError, ImageAnalyzer, ImageRef};

/// Rekognition as the image analyzer.
#[derive(Debug, Clone)]
pub struct RekognitionImageAnalyzer {
    client: Client,
}

impl RekognitionImageAnalyzer {
    /// A Rekognition client from the SDK configuration.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

fn image(r: &ImageRef) -> Image {
    Image::builder()
        .s3_object(S3Object::builder().bucket(&r.bucket).name(&r.key).build())
        .build()
}

fn classify<E: ProvideErrorMetadata, R>(op: &str, err: SdkError<E, R>) -> AnalysisError {
    match describe("Rekognition", op, &err) {
        (Some(code), msg)
            if code == "ThrottlingException"
                || code == "ProvisionedThroughputExceededException" =>
        {
            AnalysisError::Throttled(msg)
        }
        (Some(code), msg)
            if [
                "InvalidImageFormatException",
                "ImageTooLargeException",
                "InvalidS3ObjectException",
            ]
            .contains(&code.as_str()) =>
        {
            AnalysisError::InvalidInput(msg)
        }
        (_, msg) => AnalysisError::Unavailable(msg),
    }
}

fn pct(v: Option<f32>) -> f64 {
    f64::from(v.unwrap_or_default())
}

fn bounding_box(b: Option<&aws_sdk_rekognition::types::BoundingBox>) -> BoundingBox {
    b.map(|b| BoundingBox {
        width: pct(b.width()),
        height: pct(b.height()),
        left: pct(b.left()),
        top: pct(b.top()),
    })
    .unwrap_or_default()
}

fn compared_face(f: Option<&aws_sdk_rekognition::types::ComparedFace>) -> ComparedFace {
    f.map(|f| ComparedFace {
        bounding_box: bounding_box(f.bounding_box()),
        confidence: pct(f.confidence()),
        emotions: f
            .emotions()
            .iter()
            .map(|e| Emotion {
                kind: e
                    .r#type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_else(|| "UNKNOWN".into()),
                confidence: pct(e.confidence()),
            })
            .collect(),
    })
    .unwrap_or_default()
}

#[async_trait]
impl ImageAnalyzer for RekognitionImageAnalyzer {
    fn provider(&self) -> String {
        "amazon-rekognition".into()
    }

    async fn recognize_celebrities(
        &self,
        image_ref: &ImageRef,
    ) -> Result<(Vec<Celebrity>, Vec<ComparedFace>), AnalysisError> {
        let out = self
            .client
            .recognize_celebrities()
            .image(image(image_ref))
            .send()
            .await
            .map_err(|e| classify("RecognizeCelebrities", e))?;
        let celebrities = out
            .celebrity_faces()
            .iter()
            .map(|c| Celebrity {
                name: c.name().unwrap_or_default().to_string(),
                id: c.id().unwrap_or_default().to_string(),
                urls: c.urls().to_vec(),
                face: compared_face(c.face()),
                match_confidence: pct(c.match_confidence()),
            })
            .collect();
        let unrecognized = out
            .unrecognized_faces()
            .iter()
            .map(|f| compared_face(Some(f)))
            .collect();
        Ok((celebrities, unrecognized))
    }

    async fn detect_labels(
        &self,
        image_ref: &ImageRef,
        max_labels: u32,
        min_confidence: f64,
    ) -> Result<Vec<Label>, AnalysisError> {
        let out = self
            .client
            .detect_labels()
            .image(image(image_ref))
            .max_labels(i32::try_from(max_labels).unwrap_or(i32::MAX))
            .min_confidence(min_confidence as f32)
            .send()
            .await
            .map_err(|e| classify("DetectLabels", e))?;
        Ok(out
            .labels()
            .iter()
            .map(|l| Label {
                name: l.name().unwrap_or_default().to_string(),
                confidence: pct(l.confidence()),
                parents: l
                    .parents()
                    .iter()
                    .filter_map(|p| {
                        Some(LabelParent {
                            name: p.name()?.to_string(),
                        })
                    })
                    .collect(),
            })
            .collect())
    }

    async fn detect_text(&self, image_ref: &ImageRef) -> Result<Vec<TextDetection>, AnalysisError> {
        let out = self
            .client
            .detect_text()
            .image(image(image_ref))
            .send()
            .await
            .map_err(|e| classify("DetectText", e))?;
        Ok(out
            .text_detections()
            .iter()
            .map(|t| TextDetection {
                detected_text: t.detected_text().unwrap_or_default().to_string(),
                kind: t
                    .r#type()
                    .map(|k| k.as_str().to_string())
                    .unwrap_or_else(|| "LINE".into()),
                id: i64::from(t.id().unwrap_or_default()),
                parent_id: t.parent_id().map(i64::from),
                confidence: pct(t.confidence()),
                geometry: t.geometry().map(|g| Geometry {
                    bounding_box: bounding_box(g.bounding_box()),
                }),
            })
            .collect())
    }
}
