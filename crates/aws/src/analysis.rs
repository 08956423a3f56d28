//! The media Lambdas' configuration (download-media, analyse-image) read from the environment,
//! and their handlers: the task payload checked against the configuration, then the core.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use starling_contracts::ImageResult;
use starling_core::analysis::image::{DetectTextMode, ImageConfig, ImageTask, analyse_image};
use starling_core::analysis::media::{
    DEFAULT_ALLOWED_HOSTS, DownloadOutput, DownloadRequest, HttpFetcher, MediaConfig,
    REKOGNITION_MAX_BYTES, download_media,
};
use starling_core::ports::{BlobStore, ImageAnalyzer};

use crate::config::{ConfigError, Env};
use crate::lambda_error::TaskError;
use crate::{RekognitionImageAnalyzer, S3BlobStore};

/// download-media's configuration.
#[derive(Debug, Clone)]
pub struct DownloadMediaSettings {
    /// The media bucket (`MEDIA_BUCKET`); a task naming another bucket is refused.
    pub bucket: String,
    /// The download guards (`MEDIA_ALLOWED_HOSTS`, `MEDIA_MAX_BYTES`).
    pub media: MediaConfig,
    /// Per-request timeout (`MEDIA_TIMEOUT_SECONDS`).
    pub timeout: Duration,
}

impl DownloadMediaSettings {
    /// Reads `MEDIA_BUCKET` (required), `MEDIA_ALLOWED_HOSTS` (comma-separated, default X's media
    /// hosts), `MEDIA_MAX_BYTES` (default and most 15 MB, Rekognition's limit for S3 objects) and
    /// `MEDIA_TIMEOUT_SECONDS` (default 10).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let bucket = env.required("MEDIA_BUCKET", "the media bucket images are stored in")?;
        let allowed_hosts = match env.get("MEDIA_ALLOWED_HOSTS") {
            None => DEFAULT_ALLOWED_HOSTS
                .iter()
                .map(|h| h.to_string())
                .collect(),
            Some(v) => {
                let hosts: Vec<String> = v
                    .split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect();
                if hosts.is_empty() {
                    return Err(ConfigError::Invalid {
                        name: "MEDIA_ALLOWED_HOSTS",
                        value: v.to_string(),
                        reason: "no host names (a comma-separated list such as pbs.twimg.com)"
                            .into(),
                    });
                }
                hosts
            }
        };
        let max_bytes = env.parsed("MEDIA_MAX_BYTES", REKOGNITION_MAX_BYTES)?;
        if max_bytes == 0 || max_bytes > REKOGNITION_MAX_BYTES {
            return Err(ConfigError::Invalid {
                name: "MEDIA_MAX_BYTES",
                value: max_bytes.to_string(),
                reason: format!(
                    "must be 1..={REKOGNITION_MAX_BYTES} (Rekognition's limit for S3 objects)"
                ),
            });
        }
        let timeout_seconds: u64 = env.parsed("MEDIA_TIMEOUT_SECONDS", 10)?;
        if timeout_seconds == 0 {
            return Err(ConfigError::Invalid {
                name: "MEDIA_TIMEOUT_SECONDS",
                value: timeout_seconds.to_string(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            bucket,
            media: MediaConfig {
                allowed_hosts,
                max_bytes,
                ..MediaConfig::default()
            },
            timeout: Duration::from_secs(timeout_seconds),
        })
    }
}

/// analyse-image's configuration.
#[derive(Debug, Clone)]
pub struct AnalyseImageSettings {
    /// The media bucket (`MEDIA_BUCKET`), when set: a task naming another bucket is refused.
    pub bucket: Option<String>,
    /// Labels and text detection (`MAX_LABELS`, `MIN_LABEL_CONFIDENCE`, `DETECT_TEXT`).
    pub image: ImageConfig,
    /// The known-faces search (`FACE_COLLECTION_ID`, `FACE_MATCH_THRESHOLD`), when a collection
    /// is named.
    pub faces: Option<FaceSearchSettings>,
}

/// The known-faces collection analyse-image searches for faces no celebrity matched.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceSearchSettings {
    /// The Rekognition face collection (`FACE_COLLECTION_ID`).
    pub collection_id: String,
    /// The least `Similarity` (0–100) that names a face (`FACE_MATCH_THRESHOLD`).
    pub face_match_threshold: f32,
}

/// `FACE_MATCH_THRESHOLD`'s default: Rekognition's own is 80; a wrong name on a stranger's face in
/// a public reply costs more than a missed one.
pub const DEFAULT_FACE_MATCH_THRESHOLD: f32 = 90.0;

impl FaceSearchSettings {
    /// Reads `FACE_COLLECTION_ID` (optional: unset means no search; Rekognition's
    /// `[a-zA-Z0-9_.-]{1,255}`) and `FACE_MATCH_THRESHOLD` (0–100, default
    /// [`DEFAULT_FACE_MATCH_THRESHOLD`]).
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let threshold: f32 = env.parsed("FACE_MATCH_THRESHOLD", DEFAULT_FACE_MATCH_THRESHOLD)?;
        if !(0.0..=100.0).contains(&threshold) {
            return Err(ConfigError::Invalid {
                name: "FACE_MATCH_THRESHOLD",
                value: threshold.to_string(),
                reason: "must be a percentage, 0..=100 (Rekognition's Similarity)".into(),
            });
        }
        let Some(collection_id) = env.get("FACE_COLLECTION_ID") else {
            return Ok(None);
        };
        let valid = collection_id.len() <= 255
            && collection_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !valid {
            return Err(ConfigError::Invalid {
                name: "FACE_COLLECTION_ID",
                value: collection_id.to_string(),
                reason: "a Rekognition collection id is 1 to 255 of a-z, A-Z, 0-9, '_', '.', '-'"
                    .into(),
            });
        }
        Ok(Some(Self {
            collection_id: collection_id.to_string(),
            face_match_threshold: threshold,
        }))
    }
}

impl AnalyseImageSettings {
    /// Reads `MAX_LABELS` (1–1000, default 10), `MIN_LABEL_CONFIDENCE` (0–100, default 70),
    /// `DETECT_TEXT` (`auto|always|never`, default `auto`), `MEDIA_BUCKET` (optional, but
    /// required with a face collection: the photos are read from it) and the known-faces search's
    /// variables ([`FaceSearchSettings::from_env`]).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = ImageConfig::default();
        let max_labels: u32 = env.parsed("MAX_LABELS", defaults.max_labels)?;
        if !(1..=1000).contains(&max_labels) {
            return Err(ConfigError::Invalid {
                name: "MAX_LABELS",
                value: max_labels.to_string(),
                reason: "must be 1..=1000".into(),
            });
        }
        let min_confidence: f64 = env.parsed("MIN_LABEL_CONFIDENCE", defaults.min_confidence)?;
        if !(0.0..=100.0).contains(&min_confidence) {
            return Err(ConfigError::Invalid {
                name: "MIN_LABEL_CONFIDENCE",
                value: min_confidence.to_string(),
                reason: "must be a percentage, 0..=100".into(),
            });
        }
        let detect_text: DetectTextMode = env.parsed("DETECT_TEXT", defaults.detect_text)?;
        let faces = FaceSearchSettings::from_env(env)?;
        let bucket = env.get("MEDIA_BUCKET").map(str::to_string);
        if faces.is_some() && bucket.is_none() {
            return Err(ConfigError::Missing(
                "MEDIA_BUCKET",
                "the media bucket: with FACE_COLLECTION_ID set, analyse-image reads the photos from it to search their faces",
            ));
        }
        Ok(Self {
            bucket,
            image: ImageConfig {
                max_labels,
                min_confidence,
                detect_text,
            },
            faces,
        })
    }

    /// Rekognition as analyse-image's analyzer: with the known-faces collection and the media
    /// bucket (S3) when a collection is configured.
    pub fn analyzer(&self, config: &aws_config::SdkConfig) -> RekognitionImageAnalyzer {
        let analyzer = RekognitionImageAnalyzer::new(config);
        match (&self.faces, &self.bucket) {
            (Some(faces), Some(bucket)) => analyzer.with_collection(
                faces.collection_id.clone(),
                faces.face_match_threshold,
                Arc::new(S3BlobStore::new(config, bucket.clone())),
            ),
            _ => analyzer,
        }
    }
}

/// download-media's payload: the core's request plus the bucket the state machine names.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DownloadMediaTask {
    bucket: String,
    #[serde(flatten)]
    request: DownloadRequest,
}

fn check_bucket(asked: &str, configured: &str) -> Result<(), TaskError> {
    if asked == configured {
        Ok(())
    } else {
        Err(TaskError::bad_input(format!(
            "the task names bucket {asked:?} but this function stores media in {configured:?} (MEDIA_BUCKET)"
        )))
    }
}

/// download-media: `{Bucket, TweetId, EventTime, ImageUrls}` → `{Images: [{Url, Key?, Error?}]}`.
/// `blobs` must be the store over `settings.bucket`.
pub async fn handle_download_media(
    fetcher: &dyn HttpFetcher,
    blobs: &dyn BlobStore,
    settings: &DownloadMediaSettings,
    payload: serde_json::Value,
) -> Result<DownloadOutput, TaskError> {
    let task: DownloadMediaTask = serde_json::from_value(payload).map_err(TaskError::bad_input)?;
    check_bucket(&task.bucket, &settings.bucket)?;
    download_media(fetcher, blobs, &task.request, &settings.media)
        .await
        .map_err(TaskError::unavailable)
}

/// analyse-image: `{Bucket, Key, Url}` → an `ImageResult`.
pub async fn handle_analyse_image(
    analyzer: &dyn ImageAnalyzer,
    settings: &AnalyseImageSettings,
    payload: serde_json::Value,
) -> Result<ImageResult, TaskError> {
    let task: ImageTask = serde_json::from_value(payload).map_err(TaskError::bad_input)?;
    if let Some(bucket) = &settings.bucket {
        check_bucket(&task.bucket, bucket)?;
    }
    Ok(analyse_image(analyzer, &task, &settings.image).await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn download_media_needs_its_bucket() {
        let err = DownloadMediaSettings::from_env(&Env::default()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("environment variable MEDIA_BUCKET is required"),
            "{err}"
        );
    }

    #[test]
    fn download_media_defaults() {
        let s =
            DownloadMediaSettings::from_env(&Env::from_pairs([("MEDIA_BUCKET", "media")])).unwrap();
        assert_eq!(s.bucket, "media");
        assert_eq!(s.media.allowed_hosts, DEFAULT_ALLOWED_HOSTS);
        assert_eq!(s.media.max_bytes, 15 * 1024 * 1024);
        assert_eq!(s.timeout, Duration::from_secs(10));
    }

    #[test]
    fn download_media_reads_hosts_limit_and_timeout() {
        let s = DownloadMediaSettings::from_env(&Env::from_pairs([
            ("MEDIA_BUCKET", "media"),
            ("MEDIA_ALLOWED_HOSTS", " PBS.twimg.com, ,example.org "),
            ("MEDIA_MAX_BYTES", "1048576"),
            ("MEDIA_TIMEOUT_SECONDS", "3"),
        ]))
        .unwrap();
        assert_eq!(s.media.allowed_hosts, ["pbs.twimg.com", "example.org"]);
        assert_eq!(s.media.max_bytes, 1_048_576);
        assert_eq!(s.timeout, Duration::from_secs(3));
    }

    #[test]
    fn download_media_errors_name_the_variable() {
        for (name, value, expected) in [
            ("MEDIA_ALLOWED_HOSTS", " , ", "no host names"),
            (
                "MEDIA_MAX_BYTES",
                "lots",
                "MEDIA_MAX_BYTES=\"lots\" is invalid",
            ),
            ("MEDIA_MAX_BYTES", "20000000", "Rekognition's limit"),
            ("MEDIA_MAX_BYTES", "0", "must be 1..="),
            ("MEDIA_TIMEOUT_SECONDS", "0", "MEDIA_TIMEOUT_SECONDS=\"0\""),
            (
                "MEDIA_TIMEOUT_SECONDS",
                "-1",
                "MEDIA_TIMEOUT_SECONDS=\"-1\" is invalid",
            ),
        ] {
            let err = DownloadMediaSettings::from_env(&Env::from_pairs([
                ("MEDIA_BUCKET", "m"),
                (name, value),
            ]))
            .unwrap_err()
            .to_string();
            assert!(err.contains(name), "{err}");
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn analyse_image_defaults() {
        let s = AnalyseImageSettings::from_env(&Env::default()).unwrap();
        assert_eq!(s.bucket, None);
        assert_eq!(s.image.max_labels, 10);
        assert_eq!(s.image.min_confidence, 70.0);
        assert_eq!(s.image.detect_text, DetectTextMode::Auto);
        assert_eq!(s.faces, None);
    }

    #[test]
    fn a_face_collection_is_searched_at_90_unless_told_otherwise() {
        let s = AnalyseImageSettings::from_env(&Env::from_pairs([
            ("MEDIA_BUCKET", "media"),
            ("FACE_COLLECTION_ID", "starling-Analysis-known_faces.1"),
        ]))
        .unwrap();
        assert_eq!(
            s.faces,
            Some(FaceSearchSettings {
                collection_id: "starling-Analysis-known_faces.1".into(),
                face_match_threshold: 90.0,
            })
        );
        let s = AnalyseImageSettings::from_env(&Env::from_pairs([
            ("MEDIA_BUCKET", "media"),
            ("FACE_COLLECTION_ID", "faces"),
            ("FACE_MATCH_THRESHOLD", "97.5"),
        ]))
        .unwrap();
        assert_eq!(s.faces.unwrap().face_match_threshold, 97.5);
    }

    #[test]
    fn a_face_collection_needs_the_media_bucket() {
        let err =
            AnalyseImageSettings::from_env(&Env::from_pairs([("FACE_COLLECTION_ID", "faces")]))
                .unwrap_err()
                .to_string();
        assert!(err.contains("MEDIA_BUCKET is required"), "{err}");
        assert!(err.contains("FACE_COLLECTION_ID"), "{err}");
    }

    #[test]
    fn face_search_errors_name_the_variable() {
        for (name, value, expected) in [
            ("FACE_MATCH_THRESHOLD", "101", "0..=100"),
            ("FACE_MATCH_THRESHOLD", "-0.5", "0..=100"),
            ("FACE_MATCH_THRESHOLD", "high", "is invalid"),
            ("FACE_COLLECTION_ID", "my faces", "1 to 255 of"),
            ("FACE_COLLECTION_ID", "faces:1", "1 to 255 of"),
        ] {
            let err = AnalyseImageSettings::from_env(&Env::from_pairs([
                ("MEDIA_BUCKET", "media"),
                ("FACE_COLLECTION_ID", "faces"),
                (name, value),
            ]))
            .unwrap_err()
            .to_string();
            assert!(err.contains(&format!("{name}=")), "{err}");
            assert!(err.contains(expected), "{err}");
        }
        let long = "f".repeat(256);
        let err =
            FaceSearchSettings::from_env(&Env::from_pairs([("FACE_COLLECTION_ID", long.as_str())]))
                .unwrap_err();
        assert!(err.to_string().contains("FACE_COLLECTION_ID="), "{err}");
    }

    #[test]
    fn analyse_image_reads_its_variables() {
        let s = AnalyseImageSettings::from_env(&Env::from_pairs([
            ("MEDIA_BUCKET", "media"),
            ("MAX_LABELS", "25"),
            ("MIN_LABEL_CONFIDENCE", "55.5"),
            ("DETECT_TEXT", "Always"),
        ]))
        .unwrap();
        assert_eq!(s.bucket.as_deref(), Some("media"));
        assert_eq!(s.image.max_labels, 25);
        assert_eq!(s.image.min_confidence, 55.5);
        assert_eq!(s.image.detect_text, DetectTextMode::Always);
    }

    #[test]
    fn an_unknown_detect_text_names_the_variable_and_the_allowed_values() {
        let err = AnalyseImageSettings::from_env(&Env::from_pairs([("DETECT_TEXT", "sometimes")]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "environment variable DETECT_TEXT=\"sometimes\" is invalid: \"sometimes\" is not one of auto, always, never"
        );
    }

    #[test]
    fn analyse_image_ranges() {
        for (name, value) in [
            ("MAX_LABELS", "0"),
            ("MAX_LABELS", "many"),
            ("MIN_LABEL_CONFIDENCE", "101"),
            ("MIN_LABEL_CONFIDENCE", "-1"),
        ] {
            let err = AnalyseImageSettings::from_env(&Env::from_pairs([(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("{name}=")), "{err}");
        }
    }

    #[test]
    fn a_task_for_another_bucket_is_refused_as_invalid_input() {
        let err = check_bucket("other", "media").unwrap_err();
        assert_eq!(err.error_type(), "Starling.InvalidInput");
        assert!(err.message.contains("MEDIA_BUCKET"), "{}", err.message);
        assert!(check_bucket("media", "media").is_ok());
    }
}
