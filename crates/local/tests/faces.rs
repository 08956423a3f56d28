//! `starling faces` through the binary: enrol, list and forget people in the local gallery, and
//! the errors a user can make. (That `starling up` then names them is `demo.rs`'s test.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../offline/tests/fixtures/images")
        .join(name)
}

fn starling(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_starling"))
        .env_remove("RUST_LOG")
        .env_remove("STARLING_FACE_COLLECTION")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn people_are_enrolled_listed_and_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let out = starling(data, &["faces", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("No one is enrolled"), "{}", text(&out));

    let hopper = fixture("grace_hopper.jpg");
    let rotated = fixture("grace_hopper_exif_rotated.jpg");
    let out = starling(
        data,
        &[
            "faces",
            "add",
            "Grace Hopper",
            hopper.to_str().unwrap(),
            rotated.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        text(&out).matches("Grace Hopper: face ").count(),
        2,
        "{}",
        text(&out)
    );
    let astronaut = fixture("astronaut.png");
    let out = starling(
        data,
        &[
            "faces",
            "add",
            "Eileen Collins",
            astronaut.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(data.join("faces/gallery.json").exists());

    let out = starling(data, &["faces", "list"]);
    let listed = text(&out);
    assert!(listed.contains("Eileen Collins  (1 photo)"), "{listed}");
    assert!(listed.contains("Grace Hopper  (2 photos)"), "{listed}");

    // A photo without a face, a file that is not an image, a missing file: refused, said why,
    // and nothing half-enrolled.
    let sign = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/sign.jpg");
    let out = starling(data, &["faces", "add", "A Sign", sign.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out).contains("no face found"), "{}", text(&out));
    let out = starling(data, &["faces", "add", "Nobody", "/nonexistent/photo.jpg"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("/nonexistent/photo.jpg"),
        "{}",
        text(&out)
    );
    let out = starling(data, &["faces", "list"]);
    assert!(!text(&out).contains("A Sign"), "{}", text(&out));

    let out = starling(data, &["faces", "remove", "Grace Hopper"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Removed Grace Hopper (2 faces)"),
        "{}",
        text(&out)
    );
    let out = starling(data, &["faces", "remove", "Grace Hopper"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no one is enrolled as"),
        "{}",
        text(&out)
    );
    let out = starling(data, &["faces", "list"]);
    assert!(!text(&out).contains("Grace Hopper"), "{}", text(&out));
}

#[test]
fn aws_needs_a_collection_and_an_aws_build() {
    let dir = tempfile::tempdir().unwrap();
    let out = starling(dir.path(), &["faces", "list", "--aws"]);
    assert!(!out.status.success());
    let said = text(&out);
    if cfg!(feature = "aws") {
        assert!(said.contains("--collection"), "{said}");
    } else {
        assert!(said.contains("built without AWS support"), "{said}");
    }
}

/// `--aws` against Rekognition's JSON protocol: the testkit's collection peer on loopback (moto
/// has no collection operations), reached through the SDK's endpoint override as a user's
/// `AWS_ENDPOINT_URL` would. Built only with the `aws` feature (`scripts/test.sh` runs it).
#[cfg(feature = "aws")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_aws_the_rekognition_collection_is_managed() {
    use starling_testkit::rekognition::{FaceCollections, face_photo};

    let peer = FaceCollections::new();
    let endpoint = peer.start(Default::default()).await.unwrap();
    peer.create("starling-analysis-known-faces");
    let dir = tempfile::tempdir().unwrap();
    let ada = dir.path().join("ada.png");
    std::fs::write(
        &ada,
        face_photo(320, 240, Some((100, 60, 90, 110)), [200, 30, 40], false),
    )
    .unwrap();
    let blank = dir.path().join("blank.jpg");
    std::fs::write(&blank, face_photo(320, 240, None, [0, 0, 0], true)).unwrap();
    let run = |args: Vec<String>| {
        let url = endpoint.url.clone();
        let data = dir.path().to_path_buf();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_starling"))
                .env_remove("RUST_LOG")
                .env("AWS_ENDPOINT_URL", url)
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("STARLING_FACE_COLLECTION", "starling-analysis-known-faces")
                .arg("--data-dir")
                .arg(data)
                .args(args)
                .output()
                .await
                .unwrap()
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let out = run(args(&[
        "faces",
        "add",
        "--aws",
        "Ada Lovelace",
        ada.to_str().unwrap(),
    ]))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(peer.face_count("starling-analysis-known-faces"), 1);
    let out = run(args(&["faces", "list", "--aws"])).await;
    assert!(
        text(&out).contains("Ada Lovelace  (1 photo)"),
        "{}",
        text(&out)
    );
    assert!(
        !dir.path().join("faces/gallery.json").exists(),
        "the local gallery was not touched"
    );
    let out = run(args(&[
        "faces",
        "add",
        "--aws",
        "Nobody",
        blank.to_str().unwrap(),
    ]))
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).to_lowercase().contains("no face"),
        "{}",
        text(&out)
    );
    let out = run(args(&["faces", "remove", "--aws", "Ada Lovelace"])).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(peer.face_count("starling-analysis-known-faces"), 0);
}
