//! The analyse-message tasks as local functions: the same core handlers the Lambdas wrap, with
//! the offline providers, the disk media store and reqwest.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use starling_contracts::{ErrorKind, MessageReceived};
use starling_core::analysis::image::{ImageConfig, ImageTask, analyse_image};
use starling_core::analysis::media::{
    DownloadRequest, FetchError, Fetched, HttpFetcher, MediaConfig, download_media,
};
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

/// Answers media URLs from files in a directory, by the URL's last path segment, instead of
/// downloading them: `starling up --media-dir` (hidden) for load tests, which post photos
/// without a network. The URL has passed the download guards (https, an allow-listed host)
/// before it gets here; a name that is not a plain file name is refused, so nothing outside
/// the directory is read.
#[derive(Debug, Clone)]
pub struct DirFetcher {
    dir: std::path::PathBuf,
}

impl DirFetcher {
    /// Serves the files in `dir`.
    pub fn new(dir: impl Into<std::path::PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

#[async_trait]
impl HttpFetcher for DirFetcher {
    async fn get(&self, url: &str, max_bytes: usize) -> Result<Fetched, FetchError> {
        let name = url::Url::parse(url)
            .ok()
            .and_then(|u| u.path_segments()?.next_back().map(str::to_string))
            .filter(|n| !n.is_empty() && !n.starts_with('.') && !n.contains(['/', '\\']))
            .ok_or_else(|| FetchError::Transport(format!("no file name in {url}")))?;
        let path = self.dir.join(&name);
        let body = match tokio::fs::read(&path).await {
            Ok(body) => body,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Fetched {
                    status: 404,
                    location: None,
                    body: Vec::new(),
                });
            }
            Err(e) => return Err(FetchError::Transport(format!("{}: {e}", path.display()))),
        };
        Fetched::ok(body, max_bytes)
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_media_directory_serves_its_files_by_name_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("photo.jpg"), b"\xff\xd8\xff jpeg").unwrap();
        std::fs::write(dir.path().join(".hidden"), b"secret").unwrap();
        let fetcher = DirFetcher::new(dir.path());
        let served = fetcher
            .get("https://pbs.twimg.com/media/photo.jpg?name=large", 1024)
            .await
            .unwrap();
        assert_eq!(
            (served.status, served.body.as_slice()),
            (200, &b"\xff\xd8\xff jpeg"[..])
        );
        let missing = fetcher
            .get("https://pbs.twimg.com/media/other.jpg", 1024)
            .await
            .unwrap();
        assert_eq!(missing.status, 404);
        for refused in [
            "https://pbs.twimg.com/media/.hidden",
            "https://pbs.twimg.com/media/..",
            "https://pbs.twimg.com/media/%2e%2e%2fetc%2fpasswd",
            "https://pbs.twimg.com/",
        ] {
            let answer = fetcher.get(refused, 1024).await;
            assert!(
                matches!(&answer, Err(FetchError::Transport(_)))
                    || matches!(&answer, Ok(f) if f.status == 404),
                "{refused}: {answer:?}"
            );
        }
        assert_eq!(
            fetcher
                .get("https://pbs.twimg.com/media/photo.jpg", 4)
                .await,
            Err(FetchError::TooLarge { limit: 4 })
        );
    }
}
