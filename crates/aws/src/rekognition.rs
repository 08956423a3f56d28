//! [`ImageAnalyzer`] on Amazon Rekognition, images passed by S3 reference (the media bucket):
//! Rekognition reads the object itself, so no image bytes travel through the Lambda — except for
//! the known-faces search ([`RekognitionImageAnalyzer::with_collection`]), which reads the photo
//! to cut each face out of it, because `SearchFacesByImage` searches only the largest face of the
//! image it is given.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::faces::{crop, name};
use crate::sdk_error::describe;
use async_trait::async_trait;
use aws_sdk_rekognition::Client;
use aws_sdk_rekognition::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_rekognition::primitives::Blob;
use aws_sdk_rekognition::types::{Image, S3Object};
use starling_contracts::{
    BoundingBox, Celebrity, ComparedFace, Emotion, Geometry, KnownFace, Label, LabelParent,
    TextDetection,
};
use starling_core::analysis::decode;
use starling_core::ports::{AnalysisError, BlobError, BlobStore, ImageAnalyzer, ImageRef};

/// The most faces of one photo searched in the known-faces collection, largest first
/// (`RecognizeCelebrities` returns up to 64; each search is one `SearchFacesByImage` call).
pub const MAX_FACES_SEARCHED: usize = 10;
/// How long the collection's face count (`DescribeCollection`) is trusted: an empty collection
/// is not searched, so no `SearchFacesByImage` is paid for before anyone is enrolled. Someone
/// enrolled is searched for within this time.
pub const FACE_COUNT_TTL: Duration = Duration::from_secs(60);

/// Rekognition as the image analyzer.
#[derive(Clone)]
pub struct RekognitionImageAnalyzer {
    client: Client,
    known_faces: Option<KnownFaces>,
}

/// The known-faces collection analyse-image searches, and where it reads photos from.
#[derive(Clone)]
struct KnownFaces {
    collection_id: String,
    face_match_threshold: f32,
    photos: Arc<dyn BlobStore>,
    /// The collection's face count and when it was read.
    face_count: Arc<Mutex<Option<(Instant, i64)>>>,
}

impl std::fmt::Debug for RekognitionImageAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("RekognitionImageAnalyzer");
        if let Some(k) = &self.known_faces {
            d.field("collection_id", &k.collection_id)
                .field("face_match_threshold", &k.face_match_threshold)
                .field("photos_bucket", &k.photos.bucket());
        }
        d.finish_non_exhaustive()
    }
}

impl RekognitionImageAnalyzer {
    /// A Rekognition client from the SDK configuration; no known-faces search.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
            known_faces: None,
        }
    }

    /// Also searches the face collection `collection_id` for the faces no celebrity matched:
    /// each face (up to [`MAX_FACES_SEARCHED`]) is cut out of the photo, read from `photos` (the
    /// media bucket), with a margin ([`crop::FACE_MARGIN`]) and searched with
    /// `SearchFacesByImage` at `face_match_threshold` (0–100, Rekognition's `Similarity`).
    pub fn with_collection(
        mut self,
        collection_id: impl Into<String>,
        face_match_threshold: f32,
        photos: Arc<dyn BlobStore>,
    ) -> Self {
        self.known_faces = Some(KnownFaces {
            collection_id: collection_id.into(),
            face_match_threshold,
            photos,
            face_count: Arc::default(),
        });
        self
    }

    /// Whether the collection holds no face, from a count at most [`FACE_COUNT_TTL`] old.
    async fn collection_is_empty(&self, known: &KnownFaces) -> Result<bool, AnalysisError> {
        let cached = known
            .face_count
            .lock()
            .ok()
            .and_then(|c| *c)
            .filter(|(at, _)| at.elapsed() < FACE_COUNT_TTL);
        if let Some((_, count)) = cached {
            return Ok(count == 0);
        }
        let out = self
            .client
            .describe_collection()
            .collection_id(&known.collection_id)
            .send()
            .await
            .map_err(|e| collection_error(known, "DescribeCollection", e))?;
        // A count Rekognition leaves out is taken as "some": search rather than miss someone.
        let count = out.face_count().unwrap_or(1);
        if let Ok(mut c) = known.face_count.lock() {
            *c = Some((Instant::now(), count));
        }
        Ok(count == 0)
    }

    /// One face searched: the closest enrolled face as a [`KnownFace`], or `None`.
    async fn search_face(
        &self,
        known: &KnownFaces,
        face: &ComparedFace,
        jpeg: Vec<u8>,
    ) -> Result<Option<KnownFace>, AnalysisError> {
        let out = match self
            .client
            .search_faces_by_image()
            .collection_id(&known.collection_id)
            .image(Image::builder().bytes(Blob::new(jpeg)).build())
            .face_match_threshold(known.face_match_threshold)
            .max_faces(1)
            .send()
            .await
        {
            Ok(out) => out,
            // Rekognition found no face in the crop: nobody to name.
            Err(e) if is_no_face(&e) => return Ok(None),
            Err(e) => return Err(collection_error(known, "SearchFacesByImage", e)),
        };
        let best = out
            .face_matches()
            .iter()
            .filter_map(|m| Some((m.similarity()?, m.face()?)))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        Ok(best.map(|(similarity, matched)| KnownFace {
            name: name::decode(matched.external_image_id().unwrap_or_default()),
            similarity: f64::from(similarity),
            face: face.clone(),
            face_id: matched.face_id().map(str::to_string),
        }))
    }
}

/// [`classify`], saying which setting names a collection that does not exist.
fn collection_error<E: ProvideErrorMetadata, R>(
    known: &KnownFaces,
    op: &str,
    err: SdkError<E, R>,
) -> AnalysisError {
    match classify(op, err) {
        AnalysisError::Unavailable(m) if m.contains("ResourceNotFoundException") => {
            AnalysisError::Unavailable(format!(
                "{m} (the face collection {:?} of FACE_COLLECTION_ID does not exist)",
                known.collection_id
            ))
        }
        other => other,
    }
}

/// `SearchFacesByImage`'s answer for an image it finds no face in: `InvalidParameterException`,
/// "There are no faces in the image. Should be at least 1."
fn is_no_face<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().is_some_and(|e| {
        e.code() == Some("InvalidParameterException")
            && e.message()
                .is_some_and(|m| m.to_ascii_lowercase().contains("no faces"))
    })
}

fn blob_error(key: &str, e: BlobError) -> AnalysisError {
    match e {
        BlobError::NotFound(_) => {
            AnalysisError::InvalidInput(format!("reading {key} for the face search: not found"))
        }
        other => AnalysisError::Unavailable(format!("reading {key} for the face search: {other}")),
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

pub(crate) fn bounding_box(b: Option<&aws_sdk_rekognition::types::BoundingBox>) -> BoundingBox {
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

    async fn search_known_faces(
        &self,
        image_ref: &ImageRef,
        faces: &[ComparedFace],
    ) -> Result<Vec<KnownFace>, AnalysisError> {
        let Some(known) = &self.known_faces else {
            return Ok(Vec::new());
        };
        if faces.is_empty() {
            return Ok(Vec::new());
        }
        let bucket = known.photos.bucket();
        if image_ref.bucket != bucket {
            return Err(AnalysisError::InvalidInput(format!(
                "the image is in bucket {:?} but the face search reads photos from {bucket:?} (MEDIA_BUCKET)",
                image_ref.bucket
            )));
        }
        if self.collection_is_empty(known).await? {
            return Ok(Vec::new());
        }
        let bytes = known
            .photos
            .get(&image_ref.key)
            .await
            .map_err(|e| blob_error(&image_ref.key, e))?;
        let photo = tokio::task::spawn_blocking(move || decode::decode(&bytes).map(|d| d.image))
            .await
            .map_err(|e| AnalysisError::Unavailable(format!("decoding the photo: {e}")))??;
        // The largest faces first: those are the ones people look at.
        let mut largest: Vec<&ComparedFace> = faces.iter().collect();
        largest.sort_by(|a, b| area(b).total_cmp(&area(a)));
        let mut found = Vec::new();
        for face in largest.into_iter().take(MAX_FACES_SEARCHED) {
            let jpeg =
                crop::face_jpeg(&photo, &face.bounding_box).map_err(AnalysisError::Unavailable)?;
            let Some(jpeg) = jpeg else { continue };
            if let Some(k) = self.search_face(known, face, jpeg).await? {
                found.push(k);
            }
        }
        Ok(found)
    }
}

fn area(f: &ComparedFace) -> f64 {
    f.bounding_box.width * f.bounding_box.height
}
