//! The known-faces gallery and search over HTTP: `RekognitionFaceGallery` and
//! `RekognitionImageAnalyzer::search_known_faces` against the testkit's stateful face-collection
//! peer (moto implements none of CreateCollection, IndexFaces, ListFaces, DeleteFaces,
//! SearchFacesByImage), the photos on moto's S3.
//!
//! The peer's "faces" are blocks of colour (`starling_testkit::rekognition::face_photo`): red is
//! Ada, blue is Zoë, green is a stranger.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};
use starling_aws::{RekognitionFaceGallery, RekognitionImageAnalyzer, S3BlobStore};
use starling_contracts::{BoundingBox, ComparedFace};
use starling_core::analysis::image::{ImageConfig, ImageTask, analyse_image};
use starling_core::ports::{
    AnalysisError, BlobStore, FaceGallery, GalleryError, GalleryPerson, ImageAnalyzer, ImageRef,
};
use starling_testkit::aws::{s3_bucket, sdk_config_without_retries, unique};
use starling_testkit::aws_json::{AwsJsonEndpoint, Operation};
use starling_testkit::rekognition::{FaceCollections, face_photo};

const RED: [u8; 3] = [200, 30, 40];
const BLUE: [u8; 3] = [30, 60, 200];
const GREEN: [u8; 3] = [20, 170, 40];

fn op(f: impl Fn(&Value) -> (u16, Value) + Send + Sync + 'static) -> Operation {
    Arc::new(f)
}

/// DescribeCollection's answer for a collection of one face (API reference response syntax).
fn one_face() -> Operation {
    op(|r| {
        (
            200,
            json!({"FaceCount": 1, "FaceModelVersion": "7.0", "UserCount": 0, "CreationTimestamp": 1.7e9,
                   "CollectionARN": format!("arn:aws:rekognition:us-east-1:123456789012:collection/{}", r["CollectionId"].as_str().unwrap())}),
        )
    })
}

/// A face as RecognizeCelebrities reports it: the block at (x, y, w, h) of an 800 × 600 photo.
fn face_at(x: u32, y: u32, w: u32, h: u32) -> ComparedFace {
    ComparedFace {
        bounding_box: BoundingBox {
            width: f64::from(w) / 800.0,
            height: f64::from(h) / 600.0,
            left: f64::from(x) / 800.0,
            top: f64::from(y) / 600.0,
        },
        confidence: 99.9,
        emotions: Vec::new(),
    }
}

fn unrecognized_json(f: &ComparedFace) -> Value {
    let b = f.bounding_box;
    json!({"BoundingBox": {"Width": b.width, "Height": b.height, "Left": b.left, "Top": b.top}, "Confidence": 99.9, "Emotions": []})
}

/// A group photo: Ada (red) at the left, a stranger (green) at the right.
fn group_photo() -> (Vec<u8>, ComparedFace, ComparedFace) {
    let mut photo = image::RgbImage::from_pixel(800, 600, image::Rgb([220, 220, 220]));
    for (x0, colour) in [(100u32, RED), (500, GREEN)] {
        for y in 200..350 {
            for x in x0..x0 + 120 {
                photo.put_pixel(x, y, image::Rgb(colour));
            }
        }
    }
    let mut jpeg = std::io::Cursor::new(Vec::new());
    photo.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    (
        jpeg.into_inner(),
        face_at(100, 200, 120, 150),
        face_at(500, 200, 120, 150),
    )
}

struct Setup {
    peer: FaceCollections,
    endpoint: AwsJsonEndpoint,
    gallery: RekognitionFaceGallery,
    collection: String,
    photos: Arc<S3BlobStore>,
}

/// The peer (with `extra` operations), a new collection, a gallery over it and a media bucket.
async fn setup(extra: HashMap<String, Operation>) -> Setup {
    let peer = FaceCollections::new().with_page_size(2);
    let endpoint = peer.start(extra).await.unwrap();
    let collection = unique("known-faces");
    let gallery =
        RekognitionFaceGallery::new(&sdk_config_without_retries(&endpoint.url), &collection);
    assert!(gallery.create_collection_if_missing().await.unwrap());
    let moto = sdk_config_without_retries(&starling_testkit::moto::endpoint());
    let bucket = s3_bucket(&moto, "media").await;
    let photos = Arc::new(S3BlobStore::new(&moto, bucket));
    Setup {
        peer,
        endpoint,
        gallery,
        collection,
        photos,
    }
}

impl Setup {
    fn analyzer(&self) -> RekognitionImageAnalyzer {
        RekognitionImageAnalyzer::new(&sdk_config_without_retries(&self.endpoint.url))
            .with_collection(&self.collection, 90.0, self.photos.clone())
    }

    async fn store(&self, key: &str, bytes: Vec<u8>) -> ImageRef {
        self.photos.put(key, bytes, "image/jpeg").await.unwrap();
        ImageRef {
            bucket: self.photos.bucket(),
            key: key.into(),
        }
    }

    fn requests(&self, operation: &str) -> Vec<Value> {
        self.endpoint
            .requests()
            .into_iter()
            .filter(|(op, _)| op == operation)
            .map(|(_, r)| r)
            .collect()
    }
}

fn portrait(colour: [u8; 3], jpeg: bool) -> Vec<u8> {
    face_photo(400, 500, Some((120, 150, 160, 200)), colour, jpeg)
}

#[tokio::test]
async fn people_are_enrolled_listed_found_and_forgotten() {
    let s = setup(HashMap::new()).await;
    assert!(!s.gallery.create_collection_if_missing().await.unwrap());
    assert_eq!(
        s.gallery.describe(),
        format!("Rekognition face collection {:?}", s.collection)
    );

    let ada = s
        .gallery
        .add("Ada Lovelace", &portrait(RED, false))
        .await
        .unwrap();
    assert!((ada.bounding_box.left - 0.3).abs() < 1e-6, "{ada:?}");
    assert!((ada.bounding_box.width - 0.4).abs() < 1e-6, "{ada:?}");
    let zoe = s
        .gallery
        .add("Zoë Ünal", &portrait(BLUE, true))
        .await
        .unwrap();
    let ada_again = s
        .gallery
        .add(
            "Ada Lovelace",
            &face_photo(600, 600, Some((50, 50, 200, 260)), RED, true),
        )
        .await
        .unwrap();
    let indexed = s.requests("IndexFaces");
    assert_eq!(indexed.len(), 3);
    assert_eq!(indexed[0]["ExternalImageId"], "Ada_Lovelace");
    assert_eq!(indexed[1]["ExternalImageId"], "Zo:C3:AB_:C3:9Cnal");
    assert_eq!(indexed[0]["MaxFaces"], 1);
    assert_eq!(indexed[0]["QualityFilter"], "AUTO");
    assert_eq!(indexed[0]["CollectionId"], s.collection.as_str());

    // Three faces on pages of two: ListFaces is followed to its last page.
    let people = s.gallery.list().await.unwrap();
    assert_eq!(
        people,
        [
            GalleryPerson {
                name: "Ada Lovelace".into(),
                face_ids: vec![ada.face_id.clone(), ada_again.face_id.clone()],
            },
            GalleryPerson {
                name: "Zoë Ünal".into(),
                face_ids: vec![zoe.face_id.clone()],
            },
        ]
    );
    let listed = s.requests("ListFaces");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[1]["NextToken"], "2");

    // Ada in a group photo is named; the stranger next to her is not.
    let (photo, ada_face, stranger) = group_photo();
    let image = s.store("media/2026/12/07/1/0.jpg", photo).await;
    let analyzer = s.analyzer();
    let found = analyzer
        .search_known_faces(&image, &[stranger.clone(), ada_face.clone()])
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].name, "Ada Lovelace");
    assert!(found[0].similarity >= 95.0, "{found:?}");
    assert_eq!(found[0].face, ada_face);
    assert!(
        [&ada.face_id, &ada_again.face_id].contains(&found[0].face_id.as_ref().unwrap()),
        "{found:?}"
    );
    let searches = s.requests("SearchFacesByImage");
    assert_eq!(searches.len(), 2);
    for search in &searches {
        assert_eq!(search["CollectionId"], s.collection.as_str());
        assert_eq!(search["FaceMatchThreshold"], 90.0);
        assert_eq!(search["MaxFaces"], 1);
        let crop = base64::engine::general_purpose::STANDARD
            .decode(search["Image"]["Bytes"].as_str().unwrap())
            .unwrap();
        assert_eq!(&crop[..2], b"\xFF\xD8", "the face is sent as JPEG");
        // 120 × 150 with a 25 % margin on each side (give or take a pixel of rounding).
        let crop = image::load_from_memory(&crop).unwrap();
        assert!((180..=182).contains(&crop.width()), "{}", crop.width());
        assert!((225..=227).contains(&crop.height()), "{}", crop.height());
    }

    assert_eq!(s.gallery.remove("Ada Lovelace").await.unwrap(), 2);
    assert_eq!(s.peer.face_count(&s.collection), 1);
    let deleted = s.requests("DeleteFaces");
    assert_eq!(
        deleted[0]["FaceIds"],
        json!([ada.face_id, ada_again.face_id])
    );
    assert_eq!(
        s.gallery.list().await.unwrap(),
        [GalleryPerson {
            name: "Zoë Ünal".into(),
            face_ids: vec![zoe.face_id],
        }]
    );
    assert!(
        analyzer
            .search_known_faces(&image, &[ada_face])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.gallery.remove("Nobody").await.unwrap(), 0);
    assert_eq!(s.requests("DeleteFaces").len(), 1, "no empty DeleteFaces");
}

#[tokio::test]
async fn analyse_image_names_known_faces_and_leaves_the_rest_unrecognized() {
    let (photo, ada_face, stranger) = group_photo();
    let unrecognized = json!({"CelebrityFaces": [], "UnrecognizedFaces": [unrecognized_json(&ada_face), unrecognized_json(&stranger)]});
    let mut extra: HashMap<String, Operation> = HashMap::new();
    extra.insert(
        "RecognizeCelebrities".into(),
        op(move |_| (200, unrecognized.clone())),
    );
    extra.insert(
        "DetectLabels".into(),
        op(|_| {
            (
                200,
                json!({"Labels": [{"Name": "Person", "Confidence": 99.0, "Parents": []}]}),
            )
        }),
    );
    let s = setup(extra).await;
    s.gallery
        .add("Ada Lovelace", &portrait(RED, true))
        .await
        .unwrap();
    let image = s.store("media/2026/12/07/2/0.jpg", photo).await;
    let task = ImageTask {
        bucket: image.bucket.clone(),
        key: image.key.clone(),
        url: None,
    };
    let analysis = analyse_image(&s.analyzer(), &task, &ImageConfig::default())
        .await
        .unwrap()
        .analysis
        .unwrap();
    assert_eq!(analysis.known_faces.len(), 1);
    assert_eq!(analysis.known_faces[0].name, "Ada Lovelace");
    assert_eq!(analysis.unrecognized_faces.len(), 1);
    assert!((analysis.unrecognized_faces[0].bounding_box.left - 0.625).abs() < 1e-6);
    let ops: Vec<String> = s.endpoint.requests().into_iter().map(|(o, _)| o).collect();
    assert_eq!(
        ops,
        [
            "CreateCollection",
            "IndexFaces",
            "RecognizeCelebrities",
            "DescribeCollection",
            "SearchFacesByImage",
            "SearchFacesByImage",
            "DetectLabels"
        ]
    );
}

#[tokio::test]
async fn photos_that_cannot_be_enrolled_say_why() {
    let s = setup(HashMap::new()).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "Blank",
            face_photo(300, 300, None, RED, true),
            "no face found in the photo",
        ),
        (
            "Tiny",
            face_photo(1000, 1000, Some((10, 10, 20, 20)), RED, false),
            "SMALL_BOUNDING_BOX",
        ),
        (
            "Text",
            b"<!doctype html><p>not a photo".to_vec(),
            "InvalidImageFormatException",
        ),
        ("  ", portrait(RED, true), "the name is empty"),
        (
            "Huge",
            vec![0xFF; 5 * 1024 * 1024 + 1],
            "at most 5 MB per photo",
        ),
    ];
    for (name, photo, expected) in cases {
        match s.gallery.add(name, &photo).await {
            Err(GalleryError::InvalidInput(m)) => assert!(m.contains(expected), "{name}: {m}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // The empty name and the oversized photo never reached Rekognition.
    assert_eq!(s.requests("IndexFaces").len(), 3);
    assert_eq!(s.peer.face_count(&s.collection), 0);
}

#[tokio::test]
async fn a_crop_rekognition_finds_no_face_in_is_no_match() {
    let s = setup(HashMap::new()).await;
    s.gallery
        .add("Ada Lovelace", &portrait(RED, true))
        .await
        .unwrap();
    let (photo, _, _) = group_photo();
    let image = s.store("media/2026/12/07/3/0.jpg", photo).await;
    // A "face" over plain background, and one outside the photo (never sent).
    let found = s
        .analyzer()
        .search_known_faces(
            &image,
            &[face_at(300, 20, 100, 100), face_at(900, 20, 100, 100)],
        )
        .await
        .unwrap();
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(s.requests("SearchFacesByImage").len(), 1);
}

#[tokio::test]
async fn an_empty_collection_is_not_searched_and_its_count_is_kept_a_while() {
    let s = setup(HashMap::new()).await;
    let analyzer = s.analyzer();
    let (_, ada_face, _) = group_photo();
    // The photo is never read either: this key does not exist.
    let image = ImageRef {
        bucket: s.photos.bucket(),
        key: "media/not/there.jpg".into(),
    };
    for _ in 0..2 {
        let found = analyzer
            .search_known_faces(&image, std::slice::from_ref(&ada_face))
            .await
            .unwrap();
        assert!(found.is_empty());
    }
    assert_eq!(s.requests("DescribeCollection").len(), 1, "counted once");
    assert!(s.requests("SearchFacesByImage").is_empty());

    // Once someone is enrolled, a fresh count (here: a new analyzer) searches.
    s.gallery
        .add("Ada Lovelace", &portrait(RED, true))
        .await
        .unwrap();
    let (photo, _, _) = group_photo();
    let image = s.store("media/2026/12/07/4/0.jpg", photo).await;
    let found = s
        .analyzer()
        .search_known_faces(&image, std::slice::from_ref(&ada_face))
        .await
        .unwrap();
    assert_eq!(found[0].name, "Ada Lovelace");
    assert_eq!(s.requests("DescribeCollection").len(), 2);
}

#[tokio::test]
async fn without_a_collection_nothing_is_searched() {
    let endpoint = AwsJsonEndpoint::start(HashMap::new()).await.unwrap();
    let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(&endpoint.url));
    let image = ImageRef {
        bucket: "media".into(),
        key: "k.jpg".into(),
    };
    let found = analyzer
        .search_known_faces(&image, &[face_at(1, 1, 50, 50)])
        .await
        .unwrap();
    assert!(found.is_empty());
    assert!(endpoint.requests().is_empty());
}

#[tokio::test]
async fn throttling_and_outages_are_sorted_for_the_state_machine() {
    let (photo, ada_face, _) = group_photo();
    let moto = sdk_config_without_retries(&starling_testkit::moto::endpoint());
    let photos = Arc::new(S3BlobStore::new(&moto, s3_bucket(&moto, "media").await));
    photos.put("g.jpg", photo, "image/jpeg").await.unwrap();
    let image = ImageRef {
        bucket: photos.bucket(),
        key: "g.jpg".into(),
    };
    for (status, kind, check) in [
        (
            400,
            "ThrottlingException",
            (|e: &AnalysisError| matches!(e, AnalysisError::Throttled(_)))
                as fn(&AnalysisError) -> bool,
        ),
        (400, "ProvisionedThroughputExceededException", |e| {
            matches!(e, AnalysisError::Throttled(_))
        }),
        (500, "InternalServerError", |e| {
            matches!(e, AnalysisError::Unavailable(_))
        }),
    ] {
        let mut ops: HashMap<String, Operation> = HashMap::new();
        ops.insert(
            "SearchFacesByImage".into(),
            op(move |_| (status, json!({"__type": kind, "Message": "not now"}))),
        );
        ops.insert("DescribeCollection".into(), one_face());
        let endpoint = AwsJsonEndpoint::start(ops).await.unwrap();
        let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(&endpoint.url))
            .with_collection("faces", 90.0, photos.clone());
        let err = analyzer
            .search_known_faces(&image, std::slice::from_ref(&ada_face))
            .await
            .unwrap_err();
        assert!(check(&err), "{kind}: {err}");
        assert!(err.to_string().contains(kind), "{err}");
    }
    let err = starling_aws::TaskError::from(AnalysisError::Throttled("x".into()));
    assert_eq!(err.error_type(), "Starling.Throttled");

    // A collection that does not exist, for the search and for the gallery.
    let peer = FaceCollections::new();
    let endpoint = peer.start(HashMap::new()).await.unwrap();
    let config = sdk_config_without_retries(&endpoint.url);
    let err = RekognitionImageAnalyzer::new(&config)
        .with_collection("missing", 90.0, photos.clone())
        .search_known_faces(&image, std::slice::from_ref(&ada_face))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AnalysisError::Unavailable(m) if m.contains("FACE_COLLECTION_ID")),
        "{err}"
    );
    let err = RekognitionFaceGallery::new(&config, "missing")
        .list()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, GalleryError::Unavailable(m) if m.contains("FaceCollectionId")),
        "{err}"
    );

    // A photo in another bucket, or gone from the media bucket.
    let mut ops: HashMap<String, Operation> = HashMap::new();
    ops.insert("DescribeCollection".into(), one_face());
    let endpoint = AwsJsonEndpoint::start(ops).await.unwrap();
    let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(&endpoint.url))
        .with_collection("faces", 90.0, photos);
    for (bucket, key, expected) in [
        ("other".to_string(), "g.jpg", "MEDIA_BUCKET"),
        (image.bucket.clone(), "gone.jpg", "not found"),
    ] {
        let err = analyzer
            .search_known_faces(
                &ImageRef {
                    bucket,
                    key: key.into(),
                },
                std::slice::from_ref(&ada_face),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AnalysisError::InvalidInput(m) if m.contains(expected)),
            "{err}"
        );
    }
}
