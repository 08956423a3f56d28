//! The analyse-message tasks as local functions: the same core handlers the Lambdas wrap, with
//! the offline providers, the disk media store and reqwest.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use starling_contracts::{ErrorKind, MessageReceived};
use starling_core::analysis::image::{ImageConfig, ImageTask, analyse_image};
use starling_core::analysis::media::{DownloadRequest, HttpFetcher, MediaConfig, download_media};
use starling_core::analysis::text::analyse_text;
use starling_core::ports::{AnalysisError, BlobStore, ImageAnalyzer, TextAnalyzer};
use starling_states::TaskFailure;

use starling_http::ReqwestFetcher;
use starling_offline::image::known::LocalFaceGallery;
use starling_offline::{OfflineImageAnalyzer, OfflineTextAnalyzer};

use crate::data_dir::DataDir;
use starling_core::analysis::image::DetectTextMode;

use crate::blob::DiskBlobStore;
use crate::tasks::{LocalFunction, LocalTasks};

/// A task failure as Lambda reports it to Step Functions: the kind's `Starling.*` name.
fn failure(kind: ErrorKind, cause: impl std::fmt::Display) -> TaskFailure {
    TaskFailure {
        error: kind.name().into(),
        cause: cause.to_string(),
    }
}

fn analysis_failure(e: AnalysisError) -> TaskFailure {
    failure(e.kind(), e)
}

fn bad_input(e: impl std::fmt::Display) -> TaskFailure {
    failure(ErrorKind::InvalidInput, e)
}

fn to_value(v: impl serde::Serialize) -> Result<Value, TaskFailure> {
    serde_json::to_value(v).map_err(bad_input)
}

/// analyse-text.
pub struct AnalyseText(pub Arc<dyn TextAnalyzer>);

#[async_trait]
impl LocalFunction for AnalyseText {
    async fn call(&self, payload: Value) -> Result<Value, TaskFailure> {
        let message: MessageReceived = serde_json::from_value(payload).map_err(bad_input)?;
        to_value(
            analyse_text(self.0.as_ref(), &message)
                .await
                .map_err(analysis_failure)?,
        )
    }
}

/// download-media.
pub struct DownloadMedia {
    /// The network.
    pub fetcher: Arc<dyn HttpFetcher>,
    /// The media store.
    pub blobs: Arc<dyn BlobStore>,
    /// The guards.
    pub config: MediaConfig,
}

#[async_trait]
impl LocalFunction for DownloadMedia {
    async fn call(&self, payload: Value) -> Result<Value, TaskFailure> {
        let request: DownloadRequest = serde_json::from_value(payload).map_err(bad_input)?;
        let out = download_media(
            self.fetcher.as_ref(),
            self.blobs.as_ref(),
            &request,
            &self.config,
        )
        .await
        .map_err(|e| failure(ErrorKind::Unavailable, e))?;
        to_value(out)
    }
}

/// analyse-image.
pub struct AnalyseImage {
    /// The provider.
    pub analyzer: Arc<dyn ImageAnalyzer>,
    /// Labels and text detection settings.
    pub config: ImageConfig,
}

#[async_trait]
impl LocalFunction for AnalyseImage {
    async fn call(&self, payload: Value) -> Result<Value, TaskFailure> {
        let task: ImageTask = serde_json::from_value(payload).map_err(bad_input)?;
        to_value(
            analyse_image(self.analyzer.as_ref(), &task, &self.config)
                .await
                .map_err(analysis_failure)?,
        )
    }
}

/// The analyse-message tasks on one machine: offline providers, media in the data directory,
/// known faces from its gallery, downloads through `fetcher` (the network when `None`; the demo
/// serves its bundled photos), text read in images as `detect_text` says.
pub fn offline_analysis_tasks(
    data_dir: &DataDir,
    fetcher: Option<Arc<dyn HttpFetcher>>,
    detect_text: DetectTextMode,
) -> LocalTasks {
    let media_dir = data_dir.media();
    let media_dir = media_dir.as_path();
    let fetcher = fetcher.unwrap_or_else(|| Arc::new(ReqwestFetcher::new(Duration::from_secs(10))));
    let blobs: Arc<dyn BlobStore> = Arc::new(DiskBlobStore::new(media_dir));
    LocalTasks::new()
        .with_function(
            "analyse-text",
            Arc::new(AnalyseText(Arc::new(OfflineTextAnalyzer::new()))),
        )
        .with_function(
            "download-media",
            Arc::new(DownloadMedia {
                fetcher,
                blobs: blobs.clone(),
                config: MediaConfig::default(),
            }),
        )
        .with_function(
            "analyse-image",
            Arc::new(AnalyseImage {
                analyzer: Arc::new(
                    OfflineImageAnalyzer::new(blobs)
                        .with_gallery(Arc::new(LocalFaceGallery::open(data_dir.faces_gallery()))),
                ),
                config: ImageConfig {
                    detect_text,
                    ..ImageConfig::default()
                },
            }),
        )
}
