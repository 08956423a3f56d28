//! The Rekognition adapter over HTTP: against moto for DetectLabels and DetectText, and against a
//! local JSON-1.1 endpoint answering RecognizeCelebrities (which moto does not implement) in the
//! shape of the Rekognition API reference's response syntax.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use starling_aws::RekognitionImageAnalyzer;
use starling_core::analysis::image::{DetectTextMode, ImageConfig, ImageTask, analyse_image};
use starling_core::ports::{AnalysisError, ImageAnalyzer, ImageRef};
use starling_testkit::aws::sdk_config_without_retries;
use starling_testkit::aws_json::{AwsJsonEndpoint, Operation};

fn op(f: impl Fn(&Value) -> (u16, Value) + Send + Sync + 'static) -> Operation {
    Arc::new(f)
}

fn image() -> ImageRef {
    ImageRef {
        bucket: "starling-media".into(),
        key: "media/2026/11/23/42/0.jpg".into(),
    }
}

fn s3_reference() -> Value {
    json!({"S3Object": {"Bucket": "starling-media", "Name": "media/2026/11/23/42/0.jpg"}})
}

/// A face as the API reference's `ComparedFace` lists it (BoundingBox, Confidence, Emotions,
/// Landmarks, Pose, Quality, Smile).
fn face(left: f64, emotion: &str) -> Value {
    json!({
        "BoundingBox": {"Width": 0.2, "Height": 0.3, "Left": left, "Top": 0.1},
        "Confidence": 99.98,
        "Emotions": [{"Type": emotion, "Confidence": 91.5}],
        "Landmarks": [{"Type": "eyeLeft", "X": 0.41, "Y": 0.2}, {"Type": "nose", "X": 0.45, "Y": 0.25}],
        "Pose": {"Pitch": 2.5, "Roll": -1.0, "Yaw": 4.1},
        "Quality": {"Brightness": 83.4, "Sharpness": 92.2},
        "Smile": {"Confidence": 95.0, "Value": true}
    })
}

/// RecognizeCelebrities' response syntax (Rekognition API reference): CelebrityFaces,
/// OrientationCorrection, UnrecognizedFaces.
fn celebrities_response() -> Value {
    json!({
        "CelebrityFaces": [{
            "Face": face(0.4, "HAPPY"),
            "Id": "3Ir0du6",
            "KnownGender": {"Type": "Female"},
            "MatchConfidence": 98.0,
            "Name": "Jane Example",
            "Urls": ["www.wikidata.org/wiki/Q0000000"]
        }],
        "OrientationCorrection": null,
        "UnrecognizedFaces": [face(0.7, "CALM")]
    })
}

fn labels_response(with_text: bool) -> Value {
    let mut labels = vec![json!({
        "Name": "Person", "Confidence": 99.1, "Parents": [], "Aliases": [], "Categories": [{"Name": "Person Description"}],
        "Instances": [{"BoundingBox": {"Width": 0.3, "Height": 0.9, "Left": 0.3, "Top": 0.05}, "Confidence": 99.1}]
    })];
    if with_text {
        labels.push(json!({"Name": "Text", "Confidence": 88.0, "Parents": [], "Instances": []}));
    }
    json!({"Labels": labels, "LabelModelVersion": "3.0"})
}

fn text_response() -> Value {
    json!({"TextDetections": [
        {"DetectedText": "OPEN", "Type": "LINE", "Id": 0, "Confidence": 99.2,
         "Geometry": {"BoundingBox": {"Width": 0.1, "Height": 0.05, "Left": 0.2, "Top": 0.6},
                      "Polygon": [{"X": 0.2, "Y": 0.6}, {"X": 0.3, "Y": 0.6}, {"X": 0.3, "Y": 0.65}, {"X": 0.2, "Y": 0.65}]}},
        {"DetectedText": "OPEN", "Type": "WORD", "Id": 1, "ParentId": 0, "Confidence": 99.2,
         "Geometry": {"BoundingBox": {"Width": 0.1, "Height": 0.05, "Left": 0.2, "Top": 0.6}, "Polygon": []}}
    ], "TextModelVersion": "3.0"})
}

async fn rekognition_endpoint(with_text: bool) -> AwsJsonEndpoint {
    let mut ops: HashMap<String, Operation> = HashMap::new();
    ops.insert(
        "RecognizeCelebrities".into(),
        op(|_| (200, celebrities_response())),
    );
    ops.insert(
        "DetectLabels".into(),
        op(move |_| (200, labels_response(with_text))),
    );
    ops.insert("DetectText".into(), op(|_| (200, text_response())));
    AwsJsonEndpoint::start(ops).await.unwrap()
}

#[tokio::test]
async fn labels_against_moto() {
    let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(
        &starling_testkit::moto::endpoint(),
    ));
    assert_eq!(analyzer.provider(), "amazon-rekognition");
    let labels = analyzer.detect_labels(&image(), 10, 70.0).await.unwrap();
    assert!(!labels.is_empty());
    let phone = labels.iter().find(|l| l.name == "Mobile Phone").unwrap();
    assert!(phone.confidence > 99.0, "{phone:?}");
    assert_eq!(phone.parents[0].name, "Phone");
}

#[tokio::test]
async fn text_against_moto() {
    let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(
        &starling_testkit::moto::endpoint(),
    ));
    let text = analyzer.detect_text(&image()).await.unwrap();
    assert!(!text.is_empty());
    let first = &text[0];
    assert_eq!(first.kind, "LINE");
    assert!(!first.detected_text.is_empty());
    assert!(first.confidence > 90.0);
    let b = first.geometry.as_ref().unwrap().bounding_box;
    assert!(b.width > 0.0 && b.height > 0.0, "{b:?}");
    assert!(text.iter().all(|t| t.kind == "LINE" || t.kind == "WORD"));
}

#[tokio::test]
async fn celebrities_are_mapped_from_the_documented_response() {
    let endpoint = rekognition_endpoint(false).await;
    let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(&endpoint.url));
    let (celebrities, unrecognized) = analyzer.recognize_celebrities(&image()).await.unwrap();
    assert_eq!(celebrities.len(), 1);
    let c = &celebrities[0];
    assert_eq!(c.name, "Jane Example");
    assert_eq!(c.id, "3Ir0du6");
    assert_eq!(c.urls, ["www.wikidata.org/wiki/Q0000000"]);
    assert!((c.match_confidence - 98.0).abs() < 1e-4);
    assert!((c.face.bounding_box.left - 0.4).abs() < 1e-6);
    assert!((c.face.bounding_box.width - 0.2).abs() < 1e-6);
    assert!((c.face.confidence - 99.98).abs() < 1e-3);
    assert_eq!(c.face.emotions[0].kind, "HAPPY");
    assert!((c.face.emotions[0].confidence - 91.5).abs() < 1e-4);
    assert_eq!(unrecognized.len(), 1);
    assert_eq!(unrecognized[0].emotions[0].kind, "CALM");
    assert!((unrecognized[0].bounding_box.left - 0.7).abs() < 1e-6);

    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].0, "RecognizeCelebrities");
    assert_eq!(requests[0].1, json!({"Image": s3_reference()}));
}

#[tokio::test]
async fn errors_are_sorted_for_the_state_machine() {
    let mut ops: HashMap<String, Operation> = HashMap::new();
    ops.insert(
        "RecognizeCelebrities".into(),
        op(|_| {
            (
                400,
                json!({"__type": "ProvisionedThroughputExceededException", "Message": "slow down"}),
            )
        }),
    );
    ops.insert(
        "DetectLabels".into(),
        op(|_| {
            (
                400,
                json!({"__type": "InvalidS3ObjectException", "Message": "Unable to get object metadata from S3"}),
            )
        }),
    );
    ops.insert(
        "DetectText".into(),
        op(|_| {
            (
                500,
                json!({"__type": "InternalServerError", "Message": "oops"}),
            )
        }),
    );
    let endpoint = AwsJsonEndpoint::start(ops).await.unwrap();
    let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(&endpoint.url));

    let err = analyzer.recognize_celebrities(&image()).await.unwrap_err();
    assert!(matches!(err, AnalysisError::Throttled(_)), "{err}");
    assert_eq!(
        starling_aws::TaskError::from(err).error_type(),
        "Starling.Throttled"
    );
    let err = analyzer.detect_labels(&image(), 5, 50.0).await.unwrap_err();
    assert!(
        matches!(err, AnalysisError::InvalidInput(ref m) if m.contains("InvalidS3ObjectException")),
        "{err}"
    );
    let err = analyzer.detect_text(&image()).await.unwrap_err();
    assert!(matches!(err, AnalysisError::Unavailable(_)), "{err}");
}

fn task() -> ImageTask {
    ImageTask {
        bucket: "starling-media".into(),
        key: "media/2026/11/23/42/0.jpg".into(),
        url: Some("https://pbs.twimg.com/media/x.jpg".into()),
    }
}

#[tokio::test]
async fn analyse_image_runs_detect_text_when_a_label_suggests_text() {
    let endpoint = rekognition_endpoint(true).await;
    let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(&endpoint.url));
    let config = ImageConfig {
        max_labels: 7,
        min_confidence: 60.0,
        detect_text: DetectTextMode::Auto,
    };
    let result = analyse_image(&analyzer, &task(), &config).await.unwrap();
    assert_eq!(result.key.as_deref(), Some("media/2026/11/23/42/0.jpg"));
    assert_eq!(
        result.url.as_deref(),
        Some("https://pbs.twimg.com/media/x.jpg")
    );
    let analysis = result.analysis.unwrap();
    assert_eq!(analysis.provider, "amazon-rekognition");
    assert!(analysis.notes.is_empty());
    assert_eq!(analysis.celebrity_faces[0].name, "Jane Example");
    assert_eq!(analysis.unrecognized_faces.len(), 1);
    let names: Vec<&str> = analysis.labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Person", "Text"]);
    assert_eq!(analysis.text_detections.len(), 2);
    assert_eq!(analysis.text_detections[1].parent_id, Some(0));

    let requests = endpoint.requests();
    let ops: Vec<&str> = requests.iter().map(|(op, _)| op.as_str()).collect();
    assert_eq!(ops, ["RecognizeCelebrities", "DetectLabels", "DetectText"]);
    assert!(requests.iter().all(|(_, r)| r["Image"] == s3_reference()));
    let labels = &requests[1].1;
    assert_eq!(labels["MaxLabels"], 7);
    assert_eq!(labels["MinConfidence"], 60.0);
}

#[tokio::test]
async fn analyse_image_never_runs_detect_text_when_told_not_to() {
    let endpoint = rekognition_endpoint(true).await;
    let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(&endpoint.url));
    let config = ImageConfig {
        detect_text: DetectTextMode::Never,
        ..ImageConfig::default()
    };
    let analysis = analyse_image(&analyzer, &task(), &config)
        .await
        .unwrap()
        .analysis
        .unwrap();
    assert!(analysis.text_detections.is_empty());
    assert!(analysis.labels.iter().any(|l| l.name == "Text"));
    let ops: Vec<String> = endpoint.requests().into_iter().map(|(op, _)| op).collect();
    assert_eq!(ops, ["RecognizeCelebrities", "DetectLabels"]);
}

#[tokio::test]
async fn analyse_image_in_auto_mode_skips_detect_text_without_a_text_label() {
    let endpoint = rekognition_endpoint(false).await;
    let analyzer = RekognitionImageAnalyzer::new(&sdk_config_without_retries(&endpoint.url));
    let analysis = analyse_image(&analyzer, &task(), &ImageConfig::default())
        .await
        .unwrap()
        .analysis
        .unwrap();
    assert!(analysis.text_detections.is_empty());
    let ops: Vec<String> = endpoint.requests().into_iter().map(|(op, _)| op).collect();
    assert!(!ops.iter().any(|o| o == "DetectText"), "{ops:?}");
}
