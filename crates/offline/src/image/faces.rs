//! Face detection with SeetaFace's frontal face detector (the `rustface` crate, a Rust port of
//! SeetaFace Engine's FuSt detector: a LAB-feature boosted cascade followed by SURF-feature MLPs).
//!
//! The model, `seeta_fd_frontal_v1.0.bin`, is the one published inside the `rustface` crate and by
//! SeetaFace Engine, under the BSD 2-Clause licence of the VIPL group, ICT, Chinese Academy of
//! Sciences; it ships in `crates/offline/models/seetaface/` with that licence and is built into the
//! binary. It finds roughly frontal faces (up to about ±45° of yaw) of at least 20×20 pixels.
//!
//! Boxes are ratios of the upright image, clamped to it, as Rekognition's `BoundingBox`.

use std::sync::LazyLock;

use image::GrayImage;
use image::imageops::FilterType;
use starling_contracts::BoundingBox;

pub(crate) const MODEL: &[u8] = include_bytes!("../../models/seetaface/seeta_fd_frontal_v1.0.bin");

/// Images are scaled down to this longest side before detection: faces too small to find at this
/// size are too small to matter in a post's photo, and it keeps detection time bounded.
pub const DETECTION_MAX_SIDE: u32 = 1280;
/// The detector's score threshold (SeetaFace suggests 0.95, 2.8 or 4.5; 2.0 is the demo's choice).
pub const SCORE_THRESHOLD: f64 = 2.0;
/// The detector's smallest window, in pixels.
const MIN_WINDOW: u32 = 20;

static PARSED: LazyLock<Result<rustface::Model, String>> = LazyLock::new(|| {
    rustface::read_model(MODEL).map_err(|e| format!("face model does not load: {e}"))
});

/// A face: where it is and how sure the detector is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// Ratios of the image it was found in.
    pub bounding_box: BoundingBox,
    /// 0–100.
    pub confidence: f64,
    /// The detector's raw score (unbounded; ≥ [`SCORE_THRESHOLD`]).
    pub score: f64,
}

impl Face {
    /// The face as Rekognition's `ComparedFace` (no emotions offline).
    pub fn compared(&self) -> starling_contracts::ComparedFace {
        starling_contracts::ComparedFace {
            bounding_box: self.bounding_box,
            confidence: self.confidence,
            emotions: Vec::new(),
        }
    }
}

/// SeetaFace's score mapped to 0–100: a logistic centred on the threshold, so a face just at the
/// threshold is 50 and the odds double with every 2 points of score above it (score 6 → 80,
/// 10 → 94, 20 → 99.8; clear frontal faces in the test photos score about 20).
pub fn confidence(score: f64) -> f64 {
    100.0 / (1.0 + ((SCORE_THRESHOLD - score) / 2.0).exp2())
}

/// The faces in an upright grayscale image, largest first.
pub fn detect(gray: &GrayImage) -> Result<Vec<Face>, String> {
    let model = PARSED.as_ref().map_err(Clone::clone)?;
    let (width, height) = gray.dimensions();
    if width < MIN_WINDOW || height < MIN_WINDOW {
        return Ok(Vec::new()); // smaller than the detector's window: nothing it could find
    }
    let scaled;
    let image = if width.max(height) > DETECTION_MAX_SIDE {
        let ratio = f64::from(DETECTION_MAX_SIDE) / f64::from(width.max(height));
        let w = ((f64::from(width) * ratio).round() as u32).max(MIN_WINDOW);
        let h = ((f64::from(height) * ratio).round() as u32).max(MIN_WINDOW);
        scaled = image::imageops::resize(gray, w, h, FilterType::Triangle);
        &scaled
    } else {
        gray
    };
    let (w, h) = image.dimensions();
    let mut detector = rustface::create_detector_with_model(model.clone());
    detector.set_min_face_size(MIN_WINDOW.max(w.min(h) / 25));
    detector.set_score_thresh(SCORE_THRESHOLD);
    detector.set_pyramid_scale_factor(0.8);
    detector.set_slide_window_step(4, 4);
    let data = rustface::ImageData::new(image.as_raw(), w, h);
    let mut faces: Vec<Face> = detector
        .detect(&data)
        .into_iter()
        .filter_map(|info| {
            let b = info.bbox();
            let left = f64::from(b.x().max(0));
            let top = f64::from(b.y().max(0));
            let right = (f64::from(b.x()) + f64::from(b.width())).min(f64::from(w));
            let bottom = (f64::from(b.y()) + f64::from(b.height())).min(f64::from(h));
            (right > left && bottom > top).then(|| Face {
                bounding_box: BoundingBox {
                    left: left / f64::from(w),
                    top: top / f64::from(h),
                    width: (right - left) / f64::from(w),
                    height: (bottom - top) / f64::from(h),
                },
                confidence: confidence(info.score()),
                score: info.score(),
            })
        })
        .collect();
    faces.sort_by(|a, b| {
        let area = |f: &Face| f.bounding_box.width * f.bounding_box.height;
        area(b).total_cmp(&area(a))
    });
    Ok(faces)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_loads() {
        assert!(PARSED.is_ok(), "{:?}", PARSED.as_ref().err());
    }

    #[test]
    fn confidence_is_fifty_at_the_threshold_and_bounded() {
        assert!((confidence(SCORE_THRESHOLD) - 50.0).abs() < 1e-9);
        assert!(confidence(100.0) <= 100.0 && confidence(10.0) > 90.0);
        assert!(confidence(-100.0) >= 0.0);
    }

    #[test]
    fn blank_and_tiny_images_have_no_faces() {
        assert!(detect(&GrayImage::new(1, 1)).unwrap_or_default().is_empty());
        assert!(
            detect(&GrayImage::new(19, 400))
                .unwrap_or_default()
                .is_empty()
        );
        assert!(
            detect(&GrayImage::from_pixel(300, 200, image::Luma([128])))
                .unwrap_or_default()
                .is_empty()
        );
    }
}
