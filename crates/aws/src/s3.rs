//! [`BlobStore`] on Amazon S3: the media bucket.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use starling_core::ports::{BlobError, BlobStore};

/// One S3 bucket as the blob store.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

impl S3BlobStore {
    /// A store over `bucket`. With an endpoint URL configured (tests, moto), requests use
    /// path-style addressing (`http://endpoint/bucket/key`) so no per-bucket DNS name is needed.
    pub fn new(config: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        let mut builder = aws_sdk_s3::config::Builder::from(config);
        if config.endpoint_url().is_some() {
            builder = builder.force_path_style(true);
        }
        Self {
            client: Client::from_conf(builder.build()),
            bucket: bucket.into(),
        }
    }
}

fn unavailable<E: ProvideErrorMetadata, R>(op: &str, key: &str, err: SdkError<E, R>) -> BlobError {
    match err.as_service_error() {
        Some(se) => BlobError::Unavailable(format!(
            "{op} {key}: {}: {}",
            se.code().unwrap_or("Unknown"),
            se.message().unwrap_or_default()
        )),
        None => BlobError::Unavailable(format!("{op} {key}: could not reach S3")),
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    fn bucket(&self) -> String {
        self.bucket.clone()
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| unavailable("PutObject", key, e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => {
                return Err(BlobError::NotFound(key.to_string()));
            }
            Err(e) => return Err(unavailable("GetObject", key, e)),
        };
        let body = out.body.collect().await.map_err(|e| {
            BlobError::Unavailable(format!("GetObject {key}: reading the body: {e}"))
        })?;
        Ok(body.into_bytes().to_vec())
    }
}
