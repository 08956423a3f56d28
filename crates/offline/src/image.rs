//! [`OfflineImageAnalyzer`]: the [`ImageAnalyzer`] port without Rekognition.
//!
//! What it does, and what it honestly cannot:
//!
//! - **faces** — decoded ([`decode`]: JPEG, PNG, GIF, WebP, EXIF orientation applied) and searched with
//!   SeetaFace's frontal face detector ([`faces`], BSD-2 model shipped in `crates/offline/models/`).
//!   There is no celebrity gallery offline, so `CelebrityFaces` is always empty; faces are named
//!   after the people enrolled in the known-faces gallery ([`known`]: dlib ResNet embeddings) and
//!   the rest listed as unrecognized.
//! - **text** — PP-OCRv4 detection, direction classification and recognition ([`ocr`]), in
//!   Rekognition's `LINE`/`WORD` shape.
//! - **labels** — none: no image classifier with a licence that allows redistribution ships in a
//!   package of the registries Starling builds from ([`NO_LABELS`]). Without labels, `DETECT_TEXT`
//!   `auto` reads text in every image ([`ImageAnalyzer::labels_suggest_text`]).
//!
//! [`ImageAnalyzer::limitations`] says what is missing, and the notes travel in
//! `ImageAnalysis.Notes`. Images are still read and checked by every operation, so a bad image
//! fails the same way whichever is asked. The models run with tract ([`crate::onnx`]) on blocking
//! threads, never on the async ones.

pub mod decode;
pub mod faces;
pub mod known;
pub mod ocr;

use std::sync::Arc;

use async_trait::async_trait;
use starling_contracts::{Celebrity, ComparedFace, KnownFace, Label, TextDetection};
use starling_core::ports::{AnalysisError, BlobError, BlobStore, ImageAnalyzer, ImageRef};

/// The provider named in image results.
pub const IMAGE_PROVIDER: &str = "starling-offline/seetaface+dlib-resnet+pp-ocrv4";

/// Image analysis on this machine, reading images through a [`BlobStore`].
#[derive(Clone)]
pub struct OfflineImageAnalyzer {
    blobs: Arc<dyn BlobStore>,
    gallery: Option<Arc<known::LocalFaceGallery>>,
}

impl std::fmt::Debug for OfflineImageAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineImageAnalyzer")
            .field("bucket", &self.blobs.bucket())
            .finish()
    }
}

impl OfflineImageAnalyzer {
    /// An analyzer reading images from `blobs`.
    pub fn new(blobs: Arc<dyn BlobStore>) -> Self {
        Self {
            blobs,
            gallery: None,
        }
    }

    /// Names faces after the people enrolled in `gallery` (`starling faces add`).
    pub fn with_gallery(mut self, gallery: Arc<known::LocalFaceGallery>) -> Self {
        self.gallery = Some(gallery);
        self
    }

    /// Reads the image's bytes. One machine has one media store, so only the key is used: the
    /// bucket in an [`ImageRef`] names the store on AWS and is informational here.
    async fn read(&self, image: &ImageRef) -> Result<Vec<u8>, AnalysisError> {
        self.blobs.get(&image.key).await.map_err(|e| match e {
            BlobError::NotFound(what) => AnalysisError::InvalidInput(format!("no image {what}")),
            BlobError::Unavailable(why) => {
                AnalysisError::Unavailable(format!("media store: {why}"))
            }
        })
    }

    /// Reads and decodes the image and runs `work` on it off the async threads (one job per
    /// core); `what` names the work when its thread fails.
    async fn on_decoded<T: Send + 'static>(
        &self,
        image: &ImageRef,
        what: &str,
        work: impl FnOnce(image::DynamicImage) -> Result<T, AnalysisError> + Send + 'static,
    ) -> Result<T, AnalysisError> {
        let bytes = self.read(image).await?;
        crate::heavy::run(move || work(decode::decode(&bytes)?.image))
            .await
            .map_err(|e| {
                AnalysisError::Unavailable(format!("{what} on {} failed: {e}", image.key))
            })?
    }

    /// Decodes and searches for faces; a detector failure becomes an error.
    async fn faces(&self, image: &ImageRef) -> Result<Vec<ComparedFace>, AnalysisError> {
        let found = self
            .on_decoded(image, "face detection", |decoded| {
                faces::detect(&decoded.into_luma8()).map_err(AnalysisError::Unavailable)
            })
            .await?;
        Ok(found.iter().map(faces::Face::compared).collect())
    }

    /// Reads the image and checks that it is one this analyzer decodes (header only).
    async fn check(&self, image: &ImageRef) -> Result<(), AnalysisError> {
        let bytes = self.read(image).await?;
        decode::dimensions(&bytes).map(|_| ())
    }
}

/// Why the offline provider returns no labels.
pub const NO_LABELS: &str = "labels: not available offline (starling-offline): no image-classification model whose \
licence allows redistribution ships in a package of the registries Starling builds from (PyPI, npm, crates.io, \
Debian were searched); DetectLabels returns none";
/// Why the offline provider recognises no celebrities.
pub const NO_CELEBRITIES: &str = "celebrities: not recognised offline (starling-offline): there is no celebrity \
gallery; faces are named only after the people enrolled with `starling faces add` (KnownFaces), the others are \
listed as unrecognized";

#[async_trait]
impl ImageAnalyzer for OfflineImageAnalyzer {
    fn provider(&self) -> String {
        IMAGE_PROVIDER.to_string()
    }

    async fn recognize_celebrities(
        &self,
        image: &ImageRef,
    ) -> Result<(Vec<Celebrity>, Vec<ComparedFace>), AnalysisError> {
        Ok((Vec::new(), self.faces(image).await?))
    }

    async fn search_known_faces(
        &self,
        image: &ImageRef,
        faces: &[ComparedFace],
    ) -> Result<Vec<KnownFace>, AnalysisError> {
        let Some(gallery) = self.gallery.clone() else {
            return Ok(Vec::new());
        };
        if faces.is_empty()
            || gallery
                .entries()
                .map_err(|e| AnalysisError::Unavailable(e.to_string()))?
                .is_empty()
        {
            return Ok(Vec::new());
        }
        let faces = faces.to_vec();
        self.on_decoded(image, "known-face search", move |decoded| {
            gallery
                .search_blocking(&decoded.into_rgb8(), &faces)
                .map_err(AnalysisError::Unavailable)
        })
        .await
    }

    async fn detect_labels(
        &self,
        image: &ImageRef,
        _max_labels: u32,
        _min_confidence: f64,
    ) -> Result<Vec<Label>, AnalysisError> {
        self.check(image).await?;
        Ok(Vec::new())
    }

    async fn detect_text(&self, image: &ImageRef) -> Result<Vec<TextDetection>, AnalysisError> {
        self.on_decoded(image, "text detection", |decoded| {
            ocr::detect_text(&decoded.into_rgb8()).map_err(AnalysisError::Unavailable)
        })
        .await
    }

    fn labels_suggest_text(&self) -> bool {
        false // no labels offline: `auto` reads text in every image
    }

    fn limitations(&self) -> Vec<String> {
        vec![NO_LABELS.to_string(), NO_CELEBRITIES.to_string()]
    }
}
