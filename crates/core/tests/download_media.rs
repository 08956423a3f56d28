//! download-media's guards and keys. The network is a table of recorded HTTP exchanges (what an
//! X media host, a web page and a redirecting host answer); bytes are real images.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashMap;

use async_trait::async_trait;
use starling_core::analysis::media::{
    DownloadRequest, FetchError, Fetched, HttpFetcher, MediaConfig, download_media, media_key,
    sniff,
};
use starling_core::memory::MemoryBlobStore;

struct Recorded(HashMap<String, Fetched>);

#[async_trait]
impl HttpFetcher for Recorded {
    async fn get(&self, url: &str, max_bytes: usize) -> Result<Fetched, FetchError> {
        let f = self
            .0
            .get(url)
            .cloned()
            .ok_or_else(|| FetchError::Transport(format!("no route to {url}")))?;
        if f.body.len() > max_bytes {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        Ok(f)
    }
}

fn ok(body: Vec<u8>) -> Fetched {
    Fetched {
        status: 200,
        location: None,
        body,
    }
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([200, 10, 10]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[cfg(feature = "gif-webp")]
fn gif() -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(5, 5, image::Rgba([0, 0, 255, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, image::ImageFormat::Gif)
        .unwrap();
    out.into_inner()
}

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb([10, 200, 10]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn request(urls: &[&str]) -> DownloadRequest {
    DownloadRequest {
        tweet_id: "1461823445431828482".into(),
        event_time: "2026-11-23T10:00:00Z".parse().unwrap(),
        image_urls: urls.iter().map(|u| u.to_string()).collect(),
    }
}

#[tokio::test]
async fn every_refusal_is_reported_and_the_remaining_images_are_still_stored() {
    let mut net = HashMap::new();
    net.insert("https://pbs.twimg.com/media/a.jpg".to_string(), ok(jpeg()));
    net.insert(
        "https://pbs.twimg.com/media/page".to_string(),
        ok(b"<!DOCTYPE html><html><body>hi</body></html>".to_vec()),
    );
    net.insert(
        "https://pbs.twimg.com/media/huge.jpg".to_string(),
        ok(vec![0xFF; 20 * 1024 * 1024]),
    );
    net.insert(
        "https://pbs.twimg.com/media/moved.jpg".to_string(),
        Fetched {
            status: 302,
            location: Some("https://evil.example.com/a.jpg".into()),
            body: vec![],
        },
    );
    net.insert("https://pbs.twimg.com/media/b.png".to_string(), ok(png()));
    let fetcher = Recorded(net);
    let blobs = MemoryBlobStore::new();
    let urls = [
        "https://pbs.twimg.com/media/a.jpg",
        "https://pbs.twimg.com/media/page",
        "https://pbs.twimg.com/media/huge.jpg",
        "https://example.com/cat.jpg",
        "https://pbs.twimg.com/media/moved.jpg",
        "http://pbs.twimg.com/media/a.jpg",
        "https://pbs.twimg.com/media/b.png",
    ];
    let out = download_media(&fetcher, &blobs, &request(&urls), &MediaConfig::default())
        .await
        .unwrap();
    let errors: Vec<String> = out
        .images
        .iter()
        .map(|i| i.error.clone().unwrap_or_default())
        .collect();
    assert!(out.images[0].key.is_some() && errors[0].is_empty());
    assert!(errors[1].contains("looks like HTML"), "{}", errors[1]);
    assert!(errors[2].contains("over the 15 MB limit"), "{}", errors[2]);
    assert!(
        errors[3].contains("host example.com is not allow-listed"),
        "{}",
        errors[3]
    );
    assert!(
        errors[4].contains("redirected to https://evil.example.com/a.jpg")
            && errors[4].contains("not allow-listed"),
        "{}",
        errors[4]
    );
    assert!(errors[5].contains("only https"), "{}", errors[5]);
    assert_eq!(
        out.images[6].key.as_deref(),
        Some("media/2026/11/23/1461823445431828482/6.png")
    );
    assert_eq!(blobs.keys().len(), 2);
}

#[tokio::test]
async fn a_redirect_within_the_allow_list_is_followed() {
    let mut net = HashMap::new();
    net.insert(
        "https://pbs.twimg.com/media/old.jpg".to_string(),
        Fetched {
            status: 301,
            location: Some("/media/new.jpg".into()),
            body: vec![],
        },
    );
    net.insert(
        "https://pbs.twimg.com/media/new.jpg".to_string(),
        ok(jpeg()),
    );
    let out = download_media(
        &Recorded(net),
        &MemoryBlobStore::new(),
        &request(&["https://pbs.twimg.com/media/old.jpg"]),
        &MediaConfig::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        out.images[0].key.as_deref(),
        Some("media/2026/11/23/1461823445431828482/0.jpg")
    );
}

/// Run when the workspace is tested (the local runtime turns `gif-webp` on); download-media's
/// Lambda is built with it too.
#[cfg(feature = "gif-webp")]
#[tokio::test]
async fn gif_is_converted_to_png_from_its_bytes_whatever_the_url_says() {
    let mut net = HashMap::new();
    net.insert(
        "https://pbs.twimg.com/tweet_video_thumb/x.jpg".to_string(),
        ok(gif()),
    );
    let blobs = MemoryBlobStore::new();
    let out = download_media(
        &Recorded(net),
        &blobs,
        &request(&["https://pbs.twimg.com/tweet_video_thumb/x.jpg"]),
        &MediaConfig::default(),
    )
    .await
    .unwrap();
    let key = out.images[0].key.clone().unwrap();
    assert!(key.ends_with("/0.png"), "{key}");
    assert_eq!(blobs.content_type(&key).as_deref(), Some("image/png"));
    let decoded = image::load_from_memory(&blobs.objects()[&key]).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (5, 5));
}

#[test]
fn keys_are_deterministic_and_safe() {
    let t = "2026-01-02T03:04:05Z".parse().unwrap();
    assert_eq!(media_key("123", t, 2, "jpg"), "media/2026/01/02/123/2.jpg");
    assert_eq!(
        media_key("../../etc", t, 0, "png"),
        "media/2026/01/02/etc/0.png"
    );
}

#[test]
fn sniffing_names_what_it_sees() {
    assert!(sniff(b"").unwrap_err().contains("empty"));
    assert!(sniff(b"{\"errors\": []}").unwrap_err().contains("JSON"));
    assert!(sniff(&[0, 1, 2, 3]).unwrap_err().contains("not an image"));
    assert!(sniff(&png()).is_ok());
}
