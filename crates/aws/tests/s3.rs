//! The S3 blob store against moto over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use starling_aws::S3BlobStore;
use starling_core::ports::{BlobError, BlobStore};
use starling_testkit::aws::{moto_config, s3_bucket};

async fn bucket(config: &aws_config::SdkConfig) -> String {
    s3_bucket(config, "media").await
}

#[tokio::test]
async fn an_object_put_is_read_back_with_its_content_type() {
    let config = moto_config();
    let name = bucket(&config).await;
    let store = S3BlobStore::new(&config, &name);
    assert_eq!(store.bucket(), name);
    let key = "media/2026/11/23/123/0.jpg";
    let bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    store.put(key, bytes.clone(), "image/jpeg").await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), bytes);

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let head = s3
        .head_object()
        .bucket(&name)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("image/jpeg"));
}

#[tokio::test]
async fn a_second_put_overwrites_the_first() {
    let config = moto_config();
    let store = S3BlobStore::new(&config, bucket(&config).await);
    store
        .put("k.png", b"first".to_vec(), "image/png")
        .await
        .unwrap();
    store
        .put("k.png", b"second".to_vec(), "image/png")
        .await
        .unwrap();
    assert_eq!(store.get("k.png").await.unwrap(), b"second");
}

#[tokio::test]
async fn a_missing_key_is_not_found() {
    let config = moto_config();
    let store = S3BlobStore::new(&config, bucket(&config).await);
    assert_eq!(
        store.get("media/absent.jpg").await.unwrap_err(),
        BlobError::NotFound("media/absent.jpg".into())
    );
}

#[tokio::test]
async fn a_missing_bucket_is_unavailable_not_not_found() {
    let config = moto_config();
    let store = S3BlobStore::new(&config, format!("absent-{}", uuid::Uuid::new_v4().simple()));
    let err = store
        .put("k", b"x".to_vec(), "image/png")
        .await
        .unwrap_err();
    assert!(
        matches!(err, BlobError::Unavailable(ref m) if m.contains("NoSuchBucket")),
        "{err}"
    );
}
