//! download-media: fetch each image of a message into the media bucket under a deterministic key
//! (`media/<yyyy>/<mm>/<dd>/<tweet id>/<n>.<ext>`: a retry overwrites instead of duplicating).
//!
//! Guards: https only, an allow-list of X media hosts checked on every redirect hop, a byte limit
//! (Rekognition's 15 MB for S3 objects), content sniffed from the bytes (never the URL), formats
//! Rekognition cannot read (GIF, WebP) converted to PNG. A failed image is reported in the output
//! with its error; the others go on.

use std::io::Cursor;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::{BlobError, BlobStore};

/// Rekognition's limit for images passed by S3 reference.
pub const REKOGNITION_MAX_BYTES: usize = 15 * 1024 * 1024;

/// X's media hosts: photos, video thumbnails, GIF thumbnails.
pub const DEFAULT_ALLOWED_HOSTS: [&str; 3] = ["pbs.twimg.com", "video.twimg.com", "ton.twimg.com"];

/// How downloads are guarded.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Hosts images may come from (`MEDIA_ALLOWED_HOSTS`), compared case-insensitively and exactly.
    pub allowed_hosts: Vec<String>,
    /// Largest image accepted (`MEDIA_MAX_BYTES`).
    pub max_bytes: usize,
    /// Redirects followed per image, each hop re-checked.
    pub max_redirects: usize,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            allowed_hosts: DEFAULT_ALLOWED_HOSTS
                .iter()
                .map(|h| h.to_string())
                .collect(),
            max_bytes: REKOGNITION_MAX_BYTES,
            max_redirects: 3,
        }
    }
}

/// One HTTP answer, redirects not followed.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Status code.
    pub status: u16,
    /// The `Location` header of a redirect.
    pub location: Option<String>,
    /// The body (at most the limit asked for).
    pub body: Vec<u8>,
}

impl Fetched {
    /// A 200 with `body`, for a fetcher that has the whole body in hand (a local stand-in for
    /// the network); `TooLarge` past `max_bytes`, as a download is cut off there.
    pub fn ok(body: Vec<u8>, max_bytes: usize) -> Result<Self, FetchError> {
        if body.len() > max_bytes {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        Ok(Self {
            status: 200,
            location: None,
            body,
        })
    }
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// The body exceeded the limit (the transfer was cut off there).
    #[error("more than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// Timeout, DNS, TLS, connection…
    #[error("{0}")]
    Transport(String),
}

/// Fetches one URL without following redirects, stopping past `max_bytes`. reqwest on AWS and locally.
#[async_trait]
pub trait HttpFetcher: Send + Sync {
    /// GETs `url`.
    async fn get(&self, url: &str, max_bytes: usize) -> Result<Fetched, FetchError>;
}

/// The download-media task's input (from the state machine).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DownloadRequest {
    /// The post's id.
    pub tweet_id: String,
    /// The event's time: the key's date, stable across retries.
    pub event_time: DateTime<Utc>,
    /// The image URLs, in order.
    pub image_urls: Vec<String>,
}

/// One image's outcome: a key, or an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DownloadedImage {
    /// The URL asked for.
    pub url: String,
    /// Where it was stored, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Why it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The download-media task's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DownloadOutput {
    /// One entry per input URL, in order.
    pub images: Vec<DownloadedImage>,
}

/// Image formats recognised from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// JPEG (Rekognition reads it).
    Jpeg,
    /// PNG (Rekognition reads it).
    Png,
    /// GIF (converted).
    Gif,
    /// WebP (converted).
    WebP,
}

impl Sniffed {
    /// The format's MIME type.
    pub fn mime(&self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
            Self::WebP => "image/webp",
        }
    }
}

/// Recognises an image from its magic bytes; otherwise says what the bytes look like.
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, String> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Ok(Sniffed::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Ok(Sniffed::Png),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Ok(Sniffed::Gif),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Ok(Sniffed::WebP),
        [] => Err("empty body".into()),
        other => {
            let head = String::from_utf8_lossy(&other[..other.len().min(256)]).to_ascii_lowercase();
            let head = head.trim_start();
            if head.starts_with("<!doctype html")
                || head.starts_with("<html")
                || head.contains("<head")
            {
                Err("not an image: looks like HTML".into())
            } else if head.starts_with('{') || head.starts_with('[') {
                Err("not an image: looks like JSON".into())
            } else {
                Err(format!(
                    "not an image (starts with {:02x?})",
                    &other[..other.len().min(8)]
                ))
            }
        }
    }
}

/// Checks a URL against the guards: https and an allowed host.
pub fn check_url(url: &str, config: &MediaConfig) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    if parsed.scheme() != "https" {
        return Err(format!("{} URLs are refused; only https", parsed.scheme()));
    }
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    if !config
        .allowed_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&host))
    {
        return Err(format!(
            "host {host} is not allow-listed (MEDIA_ALLOWED_HOSTS)"
        ));
    }
    Ok(parsed)
}

/// The deterministic key of image `n` of a post.
pub fn media_key(tweet_id: &str, time: DateTime<Utc>, n: usize, ext: &str) -> String {
    let safe: String = tweet_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!(
        "media/{:04}/{:02}/{:02}/{safe}/{n}.{ext}",
        time.year(),
        time.month(),
        time.day()
    )
}

/// Downloads every image; never fails as a whole except when the blob store is down.
pub async fn download_media(
    fetcher: &dyn HttpFetcher,
    blobs: &dyn BlobStore,
    request: &DownloadRequest,
    config: &MediaConfig,
) -> Result<DownloadOutput, BlobError> {
    let mut images = Vec::with_capacity(request.image_urls.len());
    for (n, url) in request.image_urls.iter().enumerate() {
        let outcome = match fetch_image(fetcher, url, config).await {
            Ok((bytes, ext, content_type)) => {
                let key = media_key(&request.tweet_id, request.event_time, n, ext);
                blobs.put(&key, bytes, content_type).await?;
                DownloadedImage {
                    url: url.clone(),
                    key: Some(key),
                    error: None,
                }
            }
            Err(e) => {
                tracing::warn!(url = %url, error = %e, "image not downloaded");
                DownloadedImage {
                    url: url.clone(),
                    key: None,
                    error: Some(format!(
                        "image {} of {}: {e}",
                        n + 1,
                        request.image_urls.len()
                    )),
                }
            }
        };
        images.push(outcome);
    }
    Ok(DownloadOutput { images })
}

async fn fetch_image(
    fetcher: &dyn HttpFetcher,
    url: &str,
    config: &MediaConfig,
) -> Result<(Vec<u8>, &'static str, &'static str), String> {
    let mut current = check_url(url, config)?;
    for _ in 0..=config.max_redirects {
        let fetched = fetcher
            .get(current.as_str(), config.max_bytes)
            .await
            .map_err(|e| match e {
                FetchError::TooLarge { limit } => {
                    format!(
                        "{current}: over the {} MB limit (MEDIA_MAX_BYTES={limit})",
                        limit / (1024 * 1024)
                    )
                }
                FetchError::Transport(t) => format!("{current}: {t}"),
            })?;
        match fetched.status {
            200 => return to_rekognition_format(fetched.body),
            301 | 302 | 303 | 307 | 308 => {
                let location = fetched
                    .location
                    .ok_or_else(|| format!("{current}: redirect without Location"))?;
                let next = current
                    .join(&location)
                    .map_err(|e| format!("{current}: bad redirect ({e})"))?;
                current = check_url(next.as_str(), config)
                    .map_err(|e| format!("redirected to {next}: {e}"))?;
            }
            status => return Err(format!("{current}: HTTP {status}")),
        }
    }
    Err(format!("more than {} redirects", config.max_redirects))
}

fn to_rekognition_format(bytes: Vec<u8>) -> Result<(Vec<u8>, &'static str, &'static str), String> {
    match sniff(&bytes)? {
        Sniffed::Jpeg => Ok((bytes, "jpg", "image/jpeg")),
        Sniffed::Png => Ok((bytes, "png", "image/png")),
        format @ (Sniffed::Gif | Sniffed::WebP) => {
            // First frame of an animation, through the same bounded decoder as every image (size
            // and pixel limits before decoding); PNG keeps transparency and is lossless.
            let image = crate::analysis::decode::decode(&bytes)
                .map_err(|e| format!("unreadable {format:?}: {e}"))?
                .image;
            let mut out = Cursor::new(Vec::new());
            image
                .write_to(&mut out, image::ImageFormat::Png)
                .map_err(|e| format!("could not convert {format:?} to PNG: {e}"))?;
            let png = out.into_inner();
            // Lossless PNG can be larger than the GIF or WebP it came from: check it again.
            if png.len() > REKOGNITION_MAX_BYTES {
                return Err(format!(
                    "{format:?} converted to PNG is {:.1} MB, over Rekognition's {} MB limit",
                    png.len() as f64 / 1_048_576.0,
                    REKOGNITION_MAX_BYTES / (1024 * 1024)
                ));
            }
            Ok((png, "png", "image/png"))
        }
    }
}
