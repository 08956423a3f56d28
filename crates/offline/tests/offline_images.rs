//! The offline image analyzer on real photos (see `fixtures/images/SOURCES.md`), read through a
//! blob store as the local runtime reads them.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::Arc;

use starling_contracts::BoundingBox;
use starling_core::memory::MemoryBlobStore;
use starling_core::ports::{AnalysisError, BlobStore, ImageAnalyzer, ImageRef};
use starling_offline::{IMAGE_PROVIDER, OfflineImageAnalyzer};

/// A blob store holding `fixture` under `key`, and the analyzer over it.
async fn analyzer_with(key: &str, bytes: Vec<u8>) -> (OfflineImageAnalyzer, ImageRef) {
    let store = Arc::new(MemoryBlobStore::new());
    store
        .put(key, bytes, "application/octet-stream")
        .await
        .unwrap();
    let image = ImageRef {
        bucket: store.bucket(),
        key: key.to_string(),
    };
    (OfflineImageAnalyzer::new(store), image)
}

/// The face region as marked by hand on the upright photo, as ratios (left, top, right, bottom).
fn covers(found: &BoundingBox, (left, top, right, bottom): (f64, f64, f64, f64)) -> bool {
    let (cx, cy) = (
        found.left + found.width / 2.0,
        found.top + found.height / 2.0,
    );
    let centre_inside = cx > left && cx < right && cy > top && cy < bottom;
    // intersection over union with the hand-marked region
    let ix = (found.left + found.width).min(right) - found.left.max(left);
    let iy = (found.top + found.height).min(bottom) - found.top.max(top);
    let inter = ix.max(0.0) * iy.max(0.0);
    let union = found.width * found.height + (right - left) * (bottom - top) - inter;
    centre_inside && inter / union > 0.4
}

async fn faces_in(name: &str) -> Vec<starling_contracts::ComparedFace> {
    let (analyzer, image) =
        analyzer_with(&format!("media/{name}"), common::fixture_image(name)).await;
    let (celebrities, faces) = analyzer.recognize_celebrities(&image).await.unwrap();
    assert!(celebrities.is_empty(), "offline never recognises anyone");
    faces
}

// Hand-marked face regions (hairline to chin, ear to ear), ratios of the upright image.
const ASTRONAUT_FACE: (f64, f64, f64, f64) =
    (175.0 / 512.0, 60.0 / 512.0, 280.0 / 512.0, 185.0 / 512.0);
const HOPPER_FACE: (f64, f64, f64, f64) =
    (160.0 / 512.0, 130.0 / 600.0, 365.0 / 512.0, 340.0 / 600.0);

#[tokio::test]
async fn real_png_portrait_gives_one_face_over_the_face() {
    let faces = faces_in("astronaut.png").await;
    assert_eq!(faces.len(), 1, "{faces:?}");
    assert!(covers(&faces[0].bounding_box, ASTRONAUT_FACE), "{faces:?}");
    assert!(
        faces[0].confidence > 50.0 && faces[0].confidence <= 100.0,
        "{faces:?}"
    );
}

#[tokio::test]
async fn real_jpeg_portrait_gives_one_face_over_the_face() {
    let faces = faces_in("grace_hopper.jpg").await;
    assert_eq!(faces.len(), 1, "{faces:?}");
    assert!(covers(&faces[0].bounding_box, HOPPER_FACE), "{faces:?}");
}

#[tokio::test]
async fn exif_rotated_jpeg_gives_boxes_in_the_upright_frame() {
    // Stored sideways (600×512) with Orientation 6; upright it is the 512×600 portrait above.
    let faces = faces_in("grace_hopper_exif_rotated.jpg").await;
    assert_eq!(faces.len(), 1, "{faces:?}");
    assert!(covers(&faces[0].bounding_box, HOPPER_FACE), "{faces:?}");
}

#[tokio::test]
async fn html_saved_as_an_image_is_refused_as_html() {
    let html = b"<!DOCTYPE html>\n<html><head><title>Rate limit exceeded</title></head><body></body></html>".to_vec();
    let (analyzer, image) = analyzer_with("media/1/0.jpg", html).await;
    let err = analyzer.recognize_celebrities(&image).await.unwrap_err();
    assert!(
        matches!(&err, AnalysisError::InvalidInput(m) if m.contains("not an image: looks like HTML")),
        "{err}"
    );
    // every operation refuses it the same way
    assert!(matches!(
        analyzer.detect_labels(&image, 10, 50.0).await,
        Err(AnalysisError::InvalidInput(_))
    ));
    assert!(matches!(
        analyzer.detect_text(&image).await,
        Err(AnalysisError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn missing_image_is_invalid_input_naming_the_key() {
    let (analyzer, mut image) =
        analyzer_with("media/present.png", common::fixture_image("astronaut.png")).await;
    image.key = "media/absent.png".into();
    let err = analyzer.recognize_celebrities(&image).await.unwrap_err();
    assert!(err.to_string().contains("media/absent.png"), "{err}");
}

#[tokio::test]
async fn labels_are_empty_and_say_why_while_text_is_read() {
    let (analyzer, image) =
        analyzer_with("media/a.png", common::fixture_image("astronaut.png")).await;
    assert!(
        analyzer
            .detect_labels(&image, 10, 50.0)
            .await
            .unwrap()
            .is_empty()
    );
    let notes = analyzer.limitations();
    for topic in ["labels", "celebrities"] {
        assert!(notes.iter().any(|n| n.starts_with(topic)), "{notes:?}");
    }
    assert!(!notes.iter().any(|n| n.starts_with("text")), "{notes:?}");
    assert!(
        !analyzer.labels_suggest_text(),
        "auto reads every image offline"
    );
    assert_eq!(analyzer.provider(), IMAGE_PROVIDER);

    // The demo's sign, through the analyzer (read from the store, decoded, OCR off the async
    // threads): lines and words in Rekognition's shape.
    let sign = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../local/demo/sign.jpg"
    ))
    .unwrap();
    let (analyzer, image) = analyzer_with("media/sign.jpg", sign).await;
    let text = analyzer.detect_text(&image).await.unwrap();
    let lines: Vec<&str> = text
        .iter()
        .filter(|t| t.kind == "LINE")
        .map(|t| t.detected_text.as_str())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].to_uppercase().contains("STARLING"), "{lines:?}");
    assert!(
        text.iter()
            .any(|t| t.kind == "WORD" && t.parent_id == Some(0))
    );
}

#[tokio::test]
async fn image_without_people_has_no_faces() {
    let mut sky = image::RgbImage::new(640, 480);
    for (x, y, p) in sky.enumerate_pixels_mut() {
        *p = image::Rgb([(x / 3) as u8, (y / 2) as u8, 200]);
    }
    let mut png = Vec::new();
    sky.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let (analyzer, image) = analyzer_with("media/sky.png", png).await;
    let (_, faces) = analyzer.recognize_celebrities(&image).await.unwrap();
    assert!(faces.is_empty(), "{faces:?}");
}

#[tokio::test]
async fn gif_and_webp_decode_too() {
    let photo = image::load_from_memory(&common::fixture_image("astronaut.png")).unwrap();
    for format in [image::ImageFormat::Gif, image::ImageFormat::WebP] {
        let mut bytes = Vec::new();
        photo
            .to_rgba8()
            .write_to(&mut std::io::Cursor::new(&mut bytes), format)
            .unwrap();
        let (analyzer, image) = analyzer_with("media/x", bytes).await;
        let (_, faces) = analyzer.recognize_celebrities(&image).await.unwrap();
        assert_eq!(faces.len(), 1, "{format:?}: {faces:?}");
        assert!(
            covers(&faces[0].bounding_box, ASTRONAUT_FACE),
            "{format:?}: {faces:?}"
        );
    }
}

#[test]
fn truncated_and_corrupted_photos_are_errors_or_images_never_panics() {
    use starling_offline::image::{decode, faces};
    for name in [
        "astronaut.png",
        "grace_hopper.jpg",
        "grace_hopper_exif_rotated.jpg",
    ] {
        let bytes = common::fixture_image(name);
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for step in 0..12 {
            let mut damaged = bytes[..bytes.len() * step / 12].to_vec();
            // flip a few bytes past the signature, deterministically
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if damaged.len() > 16 {
                    let at = 16 + (seed as usize) % (damaged.len() - 16);
                    damaged[at] ^= (seed >> 32) as u8 | 1;
                }
            }
            if let Ok(decoded) = decode::decode(&damaged) {
                let _ = faces::detect(&decoded.image.into_luma8());
            }
        }
    }
}
