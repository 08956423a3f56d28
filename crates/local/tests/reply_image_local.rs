//! reply-image on a real photo with two faces (`fixtures/images/two_faces_composite.jpg`, see
//! `SOURCES.md`): the offline detector finds both faces, the names are drawn where the boxes say,
//! and through the local bus the reply reaches the outbox with its annotated image, once the
//! offline moderation model has judged the photo clean.
//!
//! The two faces SeetaFace finds are handed to reply-image as the celebrities Rekognition would
//! name (offline, only the known-faces gallery names people): the drawing is exactly what AWS
//! would produce for those boxes.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use image::RgbImage;
use serde_json::{Value, json};
use starling_contracts::{BoundingBox, OutgoingEvent};
use starling_core::analysis::decode;
use starling_core::ports::{BlobStore, EventPublisher, ImageAnalyzer, ImageRef};
use starling_core::responding::annotate::{
    CELEBRITY_COLOUR, EDGE_COLOUR, Mark, PixelBox, Style, annotate,
};
use starling_core::responding::reply_image::{ReplyImageConfig, render};
use starling_local::blob::DiskBlobStore;
use starling_offline::OfflineImageAnalyzer;

const PHOTO: &str = "two_faces_composite.jpg";
const TWEET: &str = "1850000000000000077";
/// The names, left to right.
const NAMES: [&str; 2] = ["Eileen Collins", "Grace Hopper"];
// Faces marked by hand on the 1112×600 photo (hairline to chin, ear to ear), as ratios.
const LEFT_FACE: (f64, f64, f64, f64) =
    (205.0 / 1112.0, 70.0 / 600.0, 328.0 / 1112.0, 217.0 / 600.0);
const RIGHT_FACE: (f64, f64, f64, f64) =
    (760.0 / 1112.0, 130.0 / 600.0, 965.0 / 1112.0, 340.0 / 600.0);

fn centre_inside(b: &BoundingBox, (left, top, right, bottom): (f64, f64, f64, f64)) -> bool {
    let (cx, cy) = (b.left + b.width / 2.0, b.top + b.height / 2.0);
    cx > left && cx < right && cy > top && cy < bottom
}

/// The faces SeetaFace finds in the photo, left to right, read through the disk store.
async fn detected_faces(store: Arc<DiskBlobStore>, key: &str) -> Vec<BoundingBox> {
    let analyzer = OfflineImageAnalyzer::new(store.clone());
    let image = ImageRef {
        bucket: store.bucket(),
        key: key.to_string(),
    };
    let (_, faces) = analyzer.recognize_celebrities(&image).await.unwrap();
    let mut boxes: Vec<BoundingBox> = faces.into_iter().map(|f| f.bounding_box).collect();
    boxes.sort_by(|a, b| a.left.total_cmp(&b.left));
    boxes
}

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

#[tokio::test]
async fn both_faces_of_the_real_photo_are_boxed_and_named_where_the_boxes_say() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(DiskBlobStore::new(dir.path()));
    store
        .put(
            "media/photo.jpg",
            common::fixture_image(PHOTO),
            "image/jpeg",
        )
        .await
        .unwrap();
    let faces = detected_faces(store, "media/photo.jpg").await;
    assert_eq!(faces.len(), 2, "SeetaFace finds both faces: {faces:?}");
    assert!(centre_inside(&faces[0], LEFT_FACE), "{faces:?}");
    assert!(centre_inside(&faces[1], RIGHT_FACE), "{faces:?}");

    let original: RgbImage = decode::decode(&common::fixture_image(PHOTO))
        .unwrap()
        .image
        .into_rgb8();
    let (width, height) = original.dimensions();
    let mut annotated = original.clone();
    let marks: Vec<Mark> = faces
        .iter()
        .zip(NAMES)
        .map(|(b, name)| Mark::Celebrity {
            bounding_box: *b,
            name: name.into(),
        })
        .collect();
    let drawn = annotate(&mut annotated, &marks).unwrap();
    annotated
        .save(out_dir().join("reply_image_two_faces.png"))
        .unwrap();

    assert_eq!(drawn.boxes.len(), 2);
    let stroke = Style::for_image(width, height).stroke;
    for (i, face) in faces.iter().enumerate() {
        let b = PixelBox::from_ratios(face, width, height).unwrap();
        assert_eq!(drawn.boxes[i], b);
        let (mid_x, mid_y) = ((b.left + b.right) / 2, (b.top + b.bottom) / 2);
        // The coloured line hugs the face box on all four sides, the face inside is untouched.
        for (x, y) in [
            (b.left - 2, mid_y),
            (b.right + 1, mid_y),
            (mid_x, b.top - 2),
            (mid_x, b.bottom + 1),
        ] {
            assert_eq!(
                *annotated.get_pixel(x, y),
                CELEBRITY_COLOUR,
                "face {i} at ({x}, {y})"
            );
        }
        assert_eq!(*annotated.get_pixel(b.left, mid_y), EDGE_COLOUR);
        assert_eq!(
            annotated.get_pixel(mid_x, mid_y),
            original.get_pixel(mid_x, mid_y)
        );
        // Its name is on a label inside the image, next to (above or below) its box.
        let label = &drawn.labels[i];
        assert_eq!(label.text, NAMES[i]);
        assert!(label.area.right <= width && label.area.bottom <= height);
        assert!(
            label.area.bottom <= b.top || label.area.top >= b.bottom,
            "label {label:?} beside face {b:?}"
        );
        assert!(label.area.left + stroke + 1 >= b.left && label.area.left < b.right);
        let changed = (label.area.left..label.area.right)
            .flat_map(|x| (label.area.top..label.area.bottom).map(move |y| (x, y)))
            .filter(|&(x, y)| annotated.get_pixel(x, y) != original.get_pixel(x, y))
            .count();
        let area =
            ((label.area.right - label.area.left) * (label.area.bottom - label.area.top)) as usize;
        assert!(changed > area * 9 / 10, "label {i}: {changed} of {area}");
    }
    // Far from every box and label, the pixels are exactly the original's.
    let margin = stroke + 2;
    let near = |x: u32, y: u32, a: &PixelBox| {
        x + margin >= a.left && x < a.right + margin && y + margin >= a.top && y < a.bottom + margin
    };
    let mut compared = 0;
    for (x, y, p) in annotated.enumerate_pixels() {
        if drawn.boxes.iter().all(|b| !near(x, y, b))
            && drawn.labels.iter().all(|l| !near(x, y, &l.area))
        {
            assert_eq!(p, original.get_pixel(x, y), "({x}, {y}) changed");
            compared += 1;
        }
    }
    assert!(compared > (width * height) as usize * 3 / 4, "{compared}");
}

#[tokio::test]
async fn unknown_faces_of_the_real_photo_are_boxed_without_names_or_blurred() {
    use starling_core::responding::annotate::{UNKNOWN_COLOUR, UnknownFaces};
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(DiskBlobStore::new(dir.path()));
    store
        .put(
            "media/photo.jpg",
            common::fixture_image(PHOTO),
            "image/jpeg",
        )
        .await
        .unwrap();
    let faces = detected_faces(store, "media/photo.jpg").await;
    let original: RgbImage = decode::decode(&common::fixture_image(PHOTO))
        .unwrap()
        .image
        .into_rgb8();
    let (width, height) = original.dimensions();
    for treatment in [UnknownFaces::Box, UnknownFaces::Blur] {
        let marks: Vec<Mark> = faces
            .iter()
            .map(|b| Mark::Unknown {
                bounding_box: *b,
                treatment,
            })
            .collect();
        let mut annotated = original.clone();
        let drawn = annotate(&mut annotated, &marks).unwrap();
        annotated
            .save(out_dir().join(format!("reply_image_unknown_{treatment:?}.png").to_lowercase()))
            .unwrap();
        assert!(drawn.labels.is_empty());
        for face in &faces {
            let b = PixelBox::from_ratios(face, width, height).unwrap();
            let (mid_x, mid_y) = ((b.left + b.right) / 2, (b.top + b.bottom) / 2);
            match treatment {
                UnknownFaces::Box => {
                    assert_eq!(*annotated.get_pixel(b.left - 2, mid_y), UNKNOWN_COLOUR);
                    assert_eq!(
                        annotated.get_pixel(mid_x, mid_y),
                        original.get_pixel(mid_x, mid_y)
                    );
                }
                _ => {
                    let changed = (b.left..b.right)
                        .flat_map(|x| (b.top..b.bottom).map(move |y| (x, y)))
                        .filter(|&(x, y)| annotated.get_pixel(x, y) != original.get_pixel(x, y))
                        .count();
                    assert!(changed > ((b.right - b.left) * (b.bottom - b.top)) as usize * 3 / 4);
                }
            }
        }
    }
}

#[tokio::test]
async fn an_exif_rotated_photo_is_turned_upright_before_the_box_is_drawn() {
    // grace_hopper_exif_rotated.jpg stores the portrait sideways with Orientation 6; the box is in
    // the upright frame, as Rekognition reports it.
    let face = BoundingBox {
        left: 160.0 / 512.0,
        top: 130.0 / 600.0,
        width: 205.0 / 512.0,
        height: 210.0 / 600.0,
    };
    let marks = [Mark::Celebrity {
        bounding_box: face,
        name: "Grace Hopper".into(),
    }];
    let rendered = render(
        &common::fixture_image("grace_hopper_exif_rotated.jpg"),
        &marks,
        &ReplyImageConfig::default(),
    )
    .unwrap();
    assert_eq!(rendered.dimensions, (512, 600), "upright, not 600×512");
    let copy = image::load_from_memory(&rendered.jpeg).unwrap().into_rgb8();
    let b = PixelBox::from_ratios(&face, 512, 600).unwrap();
    // JPEG moves colours a little; the line is still yellow where the upright box says.
    let p = copy.get_pixel(b.left - 2, (b.top + b.bottom) / 2);
    assert!(p[0] > 200 && p[1] > 150 && p[2] < 90, "{p:?}");
}

fn message_analysed(key: &str, faces: &[BoundingBox]) -> OutgoingEvent {
    let celebrities: Vec<Value> = faces
        .iter()
        .zip(NAMES)
        .map(|(b, name)| {
            json!({"Name": name, "Id": name, "MatchConfidence": 99.0,
                   "Face": {"BoundingBox": b, "Confidence": 99.0}})
        })
        .collect();
    OutgoingEvent::new(
        "starling.analysis",
        "MESSAGE_ANALYSED",
        json!({
            "Text": "@starling who are they?", "Author": "ada",
            "ImageUrls": ["https://pbs.twimg.com/media/two.jpg"],
            "Twitter": {"TweetId": TWEET, "UserId": "7"}, "Summoned": true,
            "Analysis": {"Provider": "starling-offline/vader", "Images": [
                {"Key": key, "Url": "https://pbs.twimg.com/media/two.jpg", "Analysis": {
                    "Provider": "starling-offline/seetaface",
                    "CelebrityFaces": celebrities, "UnrecognizedFaces": [], "Labels": []
                }}
            ]}
        }),
    )
    .unwrap()
    .with_resources([TWEET.to_string()])
}

/// The outbox's replies.
fn outbox_replies(dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_dir(dir.join("outbox"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn by_default_the_offline_moderator_clears_the_photo_and_the_reply_carries_it_annotated() {
    let dir = tempfile::tempdir().unwrap();
    let media = Arc::new(DiskBlobStore::new(dir.path().join("media")));
    let key = format!("media/2026/11/23/{TWEET}/0.jpg");
    media
        .put(&key, common::fixture_image(PHOTO), "image/jpeg")
        .await
        .unwrap();
    let faces = detected_faces(media.clone(), &key).await;
    assert_eq!(faces.len(), 2);

    let (bus, _targets) = common::start_local_runtime(dir.path()).await;
    bus.put(&[message_analysed(&key, &faces)]).await.unwrap();
    bus.wait_idle(Duration::from_secs(60)).await.unwrap();

    let sends = bus.events(Some("SEND_TWEET"), 10).await.unwrap();
    assert_eq!(sends.len(), 1);
    let detail = &sends[0].envelope.detail;
    assert_eq!(detail["Text"], "I recognised: Eileen Collins, Grace Hopper");
    // The offline NSFW classifier judged the photo clean, so it was drawn on and attached.
    assert_eq!(
        detail["ImageKeys"],
        serde_json::json!([format!("annotated/{TWEET}/0.jpg")]),
        "{detail}"
    );
    assert!(
        dir.path()
            .join(format!("media/annotated/{TWEET}/0.jpg"))
            .exists()
    );
    assert!(
        bus.events(Some("REPLY_SUPPRESSED"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let replies = outbox_replies(dir.path());
    assert_eq!(replies.len(), 1);
    assert_eq!(
        replies[0]["Text"],
        "I recognised: Eileen Collins, Grace Hopper"
    );
    assert_eq!(
        replies[0]["Media"].as_array().map(Vec::len),
        Some(1),
        "{}",
        replies[0]
    );
}

#[tokio::test]
async fn with_moderation_when_unavailable_allow_a_photo_reply_reaches_the_outbox_with_its_annotated_image()
 {
    let dir = tempfile::tempdir().unwrap();
    let media = Arc::new(DiskBlobStore::new(dir.path().join("media")));
    let key = format!("media/2026/11/23/{TWEET}/0.jpg");
    media
        .put(&key, common::fixture_image(PHOTO), "image/jpeg")
        .await
        .unwrap();
    let faces = detected_faces(media.clone(), &key).await;
    assert_eq!(faces.len(), 2);

    let policy = starling_core::policy::PolicyConfig::from_json(
        r#"{"moderation": {"whenUnavailable": "allow"}}"#,
        "test",
    )
    .unwrap();
    let (bus, _targets) = common::start_local_runtime_with(
        dir.path(),
        starling_local::runtime::LocalOptions {
            policy,
            ..Default::default()
        },
    )
    .await;
    let outcome = bus.put(&[message_analysed(&key, &faces)]).await.unwrap();
    assert!(outcome.failed.is_empty());
    bus.wait_idle(Duration::from_secs(60)).await.unwrap();

    let sends = bus.events(Some("SEND_TWEET"), 10).await.unwrap();
    assert_eq!(sends.len(), 1);
    let annotated_key = format!("annotated/{TWEET}/0.jpg");
    assert_eq!(
        sends[0].envelope.detail["ImageKeys"],
        json!([annotated_key])
    );
    assert_eq!(
        media.get(&key).await.unwrap(),
        common::fixture_image(PHOTO),
        "the original is untouched"
    );

    let replies: Vec<PathBuf> = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(replies.len(), 1);
    let reply: Value = serde_json::from_slice(&std::fs::read(&replies[0]).unwrap()).unwrap();
    assert_eq!(reply["InReplyToTweetId"], TWEET);
    assert_eq!(reply["Text"], "I recognised: Eileen Collins, Grace Hopper");
    let attached = PathBuf::from(reply["Media"][0].as_str().unwrap());
    let bytes = std::fs::read(&attached).unwrap();
    assert_eq!(bytes, media.get(&annotated_key).await.unwrap());
    let image = image::load_from_memory(&bytes).unwrap();
    assert_eq!((image.width(), image.height()), (1112, 600));
    assert_eq!(bus.events(Some("TWEET_SENT"), 10).await.unwrap().len(), 1);
}
