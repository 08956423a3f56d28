//! reply-image (`lambdas/reply-image`): a MESSAGE_ANALYSED with images → annotated copies of the
//! photos (celebrities boxed and named, unknown faces per `UNKNOWN_FACES`) → SEND_TWEET.
//!
//! ```text
//! each image slot (≤ 4) with a Key and an analysis ─ nothing to draw ──────────► names/labels only
//!                                                  └ read → decode upright → draw → JPEG ≤ 5 MB
//!                                                      → put annotated/<tweet id>/<n>.jpg
//! names found ─ yes ─► "I recognised: A, B" + every annotated image
//!             └ no ──► a friendly "no celebrities" (top labels) + images only if faces were marked
//! ```
//!
//! - **Moderation.** Each image that would be drawn on and attached is judged by the
//!   [`Moderator`] first, on its original bytes, before anything is drawn or written. One flagged
//!   image and there is no image reply at all: REPLY_SUPPRESSED `moderation` (its detail names the
//!   provider and the labels, never the post's text) plus MODERATION_FLAGGED (ops are alerted when
//!   `moderation.alertOnFlag`). An image moderation could not check follows
//!   `moderation.whenUnavailable`: `text-only` leaves it out (the reply names what was recognised
//!   with the images that passed, or none), `suppress` posts nothing, `allow` attaches it. A
//!   moderated-away reply has no SEND_TWEET, so the reply policy charges nothing for it.
//! - **Frame.** Rekognition applies a JPEG's EXIF orientation before it reports boxes (and the offline
//!   SeetaFace provider decodes through the same [`decode`]), so the image is turned upright before
//!   anything is drawn and the copy is saved upright, without the tag.
//! - **Originals.** Copies go under their own keys ([`annotated_key`]); a source key that is one of
//!   those is never written to.
//! - **Failures.** An image whose analysis failed is skipped. An image that is missing from the store
//!   or does not decode is skipped too (logged): it will not come back by retrying, and the reply
//!   still names who was recognised. Only a store that is unavailable is an error worth retrying
//!   ([`ReplyImageError::is_retryable`]); retries overwrite the same keys. When no image could be
//!   analysed at all, the reply says so kindly.

use std::sync::Arc;

use async_trait::async_trait;
use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use starling_contracts::{
    ErrorKind, ImageResult, MessageAnalysed, ModeratedContent, ModerationFlagged, ModerationLabel,
    OutgoingEvent, SendTweet, SuppressReason, detail_type, source,
};
use starling_x::text::fits;

use super::annotate::{Drawn, Mark, UnknownFaces, annotate};
use crate::analysis::decode;
use crate::handler::{DetailHandler, HandlerError};
use crate::moderation::{ModerationError, ModerationVerdict, Moderator, label_names};
use crate::policy::{ModerationConfig, WhenUnavailable, suppressed};
use crate::ports::{BlobError, BlobStore};

/// X attaches at most four images to a post.
pub const MAX_IMAGES: usize = 4;
/// X's upload limit for an image: 5 MB.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// X shows images up to 4096 pixels on a side; larger photos are scaled down before drawing, so
/// lines and names keep the size they are drawn at.
pub const MAX_SIDE: u32 = 4096;
/// At most this many labels are named in a "no celebrities" reply.
pub const MAX_LABELS_MENTIONED: usize = 3;

/// reply-image's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyImageConfig {
    /// `UNKNOWN_FACES`: leave, box or blur faces nobody was recognised in.
    pub unknown_faces: UnknownFaces,
    /// The most bytes an annotated image may have (X's limit).
    pub max_bytes: usize,
    /// The longest side of an annotated image.
    pub max_side: u32,
    /// The moderation gate (the reply policy's `moderation`).
    pub moderation: ModerationConfig,
}

impl Default for ReplyImageConfig {
    fn default() -> Self {
        Self {
            unknown_faces: UnknownFaces::Ignore,
            max_bytes: MAX_IMAGE_BYTES,
            max_side: MAX_SIDE,
            moderation: ModerationConfig::default(),
        }
    }
}

/// Why reply-image failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplyImageError {
    /// The media store failed reading or writing an image.
    #[error("image {key}: {source}")]
    Store {
        /// The object key.
        key: String,
        /// The store's error.
        source: BlobError,
    },
    /// Drawing failed for a reason no retry changes (the embedded font, a crashed worker).
    #[error("annotating image {key} failed: {reason}")]
    Render {
        /// The source image's key.
        key: String,
        /// What went wrong.
        reason: String,
    },
    /// The moderation service failed (retryable).
    #[error("moderating image {key}: {source}")]
    Moderation {
        /// The source image's key.
        key: String,
        /// The moderator's error.
        source: ModerationError,
    },
    /// The SEND_TWEET could not be serialised.
    #[error("SEND_TWEET could not be built: {0}")]
    Serialise(#[from] serde_json::Error),
    /// The REPLY_SUPPRESSED could not be built.
    #[error("REPLY_SUPPRESSED could not be built: {0}")]
    Suppressed(String),
}

impl ReplyImageError {
    /// Whether retrying may help: only when the store or the moderator was unavailable.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// The class of this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Store {
                source: BlobError::Unavailable(_),
                ..
            } => ErrorKind::Unavailable,
            Self::Moderation { source, .. } => source.kind(),
            _ => ErrorKind::InvalidInput,
        }
    }
}

impl From<ReplyImageError> for HandlerError {
    fn from(e: ReplyImageError) -> Self {
        HandlerError::new(e.kind(), e)
    }
}

/// The reply-image route: the SEND_TWEET with the annotated images, nothing when no image has a key.
#[async_trait]
impl DetailHandler for ReplyImage {
    type Detail = MessageAnalysed;

    fn detail_type(&self) -> &'static str {
        detail_type::MESSAGE_ANALYSED
    }

    async fn handle(&self, message: MessageAnalysed) -> Result<Vec<OutgoingEvent>, HandlerError> {
        Ok(ReplyImage::handle(self, &message).await?)
    }

    /// `{"Replied": true, "ImageKeys": [...]}`, or `{"Replied": false}`.
    fn summary(&self, published: &[OutgoingEvent]) -> serde_json::Value {
        // The reply policy may publish a REPLY_SUPPRESSED instead: only a SEND_TWEET is a reply.
        match published
            .iter()
            .find(|e| e.detail_type == detail_type::SEND_TWEET)
        {
            Some(reply) => {
                serde_json::json!({ "Replied": true, "ImageKeys": reply.detail["ImageKeys"] })
            }
            None => serde_json::json!({ "Replied": false }),
        }
    }
}

/// The key of the annotated copy of image `n` (0-based, as in the media key) of a post.
pub fn annotated_key(tweet_id: &str, n: usize) -> String {
    let safe: String = tweet_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("annotated/{safe}/{n}.jpg")
}

/// The handler.
pub struct ReplyImage {
    blobs: Arc<dyn BlobStore>,
    moderator: Arc<dyn Moderator>,
    config: ReplyImageConfig,
}

/// An image that would be drawn on and attached.
struct Planned<'a> {
    key: &'a str,
    target: String,
    marks: Vec<Mark>,
}

/// An annotated image, encoded.
#[derive(Debug)]
pub struct Rendered {
    /// JPEG bytes, at most the configured size.
    pub jpeg: Vec<u8>,
    /// What was drawn.
    pub drawn: Drawn,
    /// Width and height of the copy.
    pub dimensions: (u32, u32),
}

/// Why an image could not be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    /// The bytes are not an image this build decodes, or it is corrupt: skipped.
    #[error("{0}")]
    Undecodable(String),
    /// Drawing or encoding failed.
    #[error("{0}")]
    Failed(String),
}

impl ReplyImage {
    /// reply-image reading and writing images through `blobs`, each image judged by `moderator`
    /// before it is drawn on.
    pub fn new(
        blobs: Arc<dyn BlobStore>,
        moderator: Arc<dyn Moderator>,
        config: ReplyImageConfig,
    ) -> Self {
        Self {
            blobs,
            moderator,
            config,
        }
    }

    /// The SEND_TWEET answering `message`; REPLY_SUPPRESSED `moderation` (with MODERATION_FLAGGED
    /// when an image was flagged) when moderation holds it back; nothing when no image of it has a
    /// key (nothing was downloaded: the route does not send those).
    pub async fn handle(
        &self,
        message: &MessageAnalysed,
    ) -> Result<Vec<OutgoingEvent>, ReplyImageError> {
        let m = &message.message;
        let tweet_id = &m.twitter.tweet_id;
        let slots: Vec<(usize, &ImageResult, &str)> = message
            .analysis
            .images
            .iter()
            .enumerate()
            .filter_map(|(n, image)| image.key.as_deref().map(|key| (n, image, key)))
            .take(MAX_IMAGES)
            .collect();
        if slots.is_empty() {
            tracing::debug!(%tweet_id, "no downloaded image: nothing for reply-image");
            return Ok(Vec::new());
        }
        let mut names: Vec<String> = Vec::new();
        let mut labels: Vec<(String, f64)> = Vec::new();
        let mut planned: Vec<Planned<'_>> = Vec::new();
        let mut analysed = 0usize;
        for (n, image, key) in slots {
            let Some(analysis) = image.analysis.as_ref().filter(|_| image.error.is_none()) else {
                tracing::info!(%tweet_id, key, error = image.error.as_deref().unwrap_or("no analysis"), "image not analysed: skipped");
                continue;
            };
            analysed += 1;
            let celebrities = analysis.celebrity_faces.iter().map(|c| c.name.trim());
            let known = analysis.known_faces.iter().map(|k| k.name.trim());
            for name in celebrities.chain(known) {
                if !name.is_empty() && !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
            for label in &analysis.labels {
                labels.push((label.name.clone(), label.confidence));
            }
            let marks = marks_for(analysis, self.config.unknown_faces);
            if marks.is_empty() {
                continue;
            }
            let target = annotated_key(tweet_id, n);
            if target == key {
                tracing::warn!(%tweet_id, key, "source image is under an annotated key: not overwritten, skipped");
                continue;
            }
            planned.push(Planned { key, target, marks });
        }
        let text_for = |marked_unknown: bool| {
            if !names.is_empty() {
                recognised_text(&names)
            } else if analysed == 0 {
                "Sorry, I couldn't look at your photo this time.".to_string()
            } else {
                no_celebrities_text(&top_labels(labels.clone()), analysed > 1, marked_unknown)
            }
        };

        // The gate: every image that would be attached is judged before anything is drawn.
        let mut cleared: Vec<(Planned<'_>, Vec<u8>)> = Vec::new();
        let mut flagged: Vec<(&str, String, Vec<ModerationLabel>)> = Vec::new();
        let mut unchecked: Vec<(&str, String, String)> = Vec::new();
        for plan in planned {
            let Some(bytes) = self.read(plan.key).await? else {
                continue;
            };
            let verdict = self
                .moderator
                .image(&bytes, self.config.moderation.image_min_confidence)
                .await
                .map_err(|source| ReplyImageError::Moderation {
                    key: plan.key.to_string(),
                    source,
                })?;
            match verdict {
                ModerationVerdict::Clean { .. } => cleared.push((plan, bytes)),
                ModerationVerdict::Flagged { provider, labels } => {
                    tracing::warn!(%tweet_id, key = plan.key, %provider, labels = %label_names(&labels), "image flagged by moderation");
                    flagged.push((plan.key, provider, labels));
                }
                ModerationVerdict::Unavailable { provider, reason } => {
                    let when = self.config.moderation.when_unavailable;
                    tracing::info!(%tweet_id, key = plan.key, %provider, %reason, when_unavailable = when.as_str(), "image moderation unavailable");
                    if when == WhenUnavailable::Allow {
                        cleared.push((plan, bytes));
                    } else {
                        unchecked.push((plan.key, provider, reason));
                    }
                }
            }
        }
        if !flagged.is_empty() {
            return self.flagged(message, flagged, text_for(false));
        }
        if self.config.moderation.when_unavailable == WhenUnavailable::Suppress
            && let Some((_, provider, reason)) = unchecked.first()
        {
            let detail = format!(
                "moderation unavailable for {} of the images ({provider}: {reason})",
                unchecked.len()
            );
            let event = suppressed(m, SuppressReason::Moderation, detail, Some(text_for(false)))
                .map_err(|e| ReplyImageError::Suppressed(e.to_string()))?;
            return Ok(vec![event]);
        }

        let mut attachments: Vec<String> = Vec::new();
        let mut marked_unknown = false;
        for (plan, bytes) in cleared {
            let Some(rendered) = self.render_bytes(plan.key, bytes, plan.marks).await? else {
                continue;
            };
            if !rendered.drawn.anything() {
                continue;
            }
            marked_unknown |=
                rendered.drawn.unknown_boxes > 0 || !rendered.drawn.blurred.is_empty();
            let has_celebrity = rendered.drawn.boxes.len() > rendered.drawn.unknown_boxes;
            self.blobs
                .put(&plan.target, rendered.jpeg, "image/jpeg")
                .await
                .map_err(|source| ReplyImageError::Store {
                    key: plan.target.clone(),
                    source,
                })?;
            tracing::info!(%tweet_id, source = plan.key, annotated = %plan.target, celebrities = has_celebrity, "annotated image written");
            attachments.push(plan.target);
        }
        let send = SendTweet {
            text: text_for(marked_unknown),
            reply_to_tweet_id: tweet_id.clone(),
            reply_to_user_id: m.twitter.user_id.clone(),
            reply_to_username: Some(m.author.clone()),
            image_keys: attachments,
            idempotency_key: format!("reply-image:{tweet_id}"),
        };
        Ok(vec![
            OutgoingEvent::new(source::RESPONDING, detail_type::SEND_TWEET, send)?
                .with_resources([tweet_id.clone()]),
        ])
    }

    /// REPLY_SUPPRESSED `moderation` and MODERATION_FLAGGED for the flagged images.
    fn flagged(
        &self,
        message: &MessageAnalysed,
        flagged: Vec<(&str, String, Vec<ModerationLabel>)>,
        text: String,
    ) -> Result<Vec<OutgoingEvent>, ReplyImageError> {
        let m = &message.message;
        let provider = flagged
            .first()
            .map(|(_, p, _)| p.clone())
            .unwrap_or_default();
        let mut labels: Vec<ModerationLabel> = Vec::new();
        for label in flagged.iter().flat_map(|(_, _, l)| l) {
            match labels.iter_mut().find(|l| l.name == label.name) {
                Some(l) => l.confidence = l.confidence.max(label.confidence),
                None => labels.push(label.clone()),
            }
        }
        labels.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        let detail = format!(
            "{} image(s) flagged by {provider}: {}",
            flagged.len(),
            label_names(&labels)
        );
        let suppressed = suppressed(m, SuppressReason::Moderation, detail, Some(text))
            .map_err(|e| ReplyImageError::Suppressed(e.to_string()))?;
        let flag = ModerationFlagged {
            tweet_id: m.twitter.tweet_id.clone(),
            user_id: m.twitter.user_id.clone(),
            author: m.author.clone(),
            content: ModeratedContent::Image,
            provider,
            labels,
            image_keys: flagged.iter().map(|(k, _, _)| (*k).to_string()).collect(),
            alert: self.config.moderation.alert_on_flag,
        };
        Ok(vec![
            suppressed,
            OutgoingEvent::new(source::RESPONDING, detail_type::MODERATION_FLAGGED, flag)?
                .with_resources([m.twitter.tweet_id.clone()]),
        ])
    }

    /// The image at `key`; `None` when it is gone (skipped: no retry brings it back).
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, ReplyImageError> {
        match self.blobs.get(key).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(BlobError::NotFound(what)) => {
                tracing::warn!(key, what, "image missing from the media store: skipped");
                Ok(None)
            }
            Err(source) => Err(ReplyImageError::Store {
                key: key.to_string(),
                source,
            }),
        }
    }

    /// Renders `bytes` (the image at `key`) off the async threads; `None` when it is not an image
    /// (skipped: no retry changes it).
    async fn render_bytes(
        &self,
        key: &str,
        bytes: Vec<u8>,
        marks: Vec<Mark>,
    ) -> Result<Option<Rendered>, ReplyImageError> {
        let config = self.config.clone();
        let rendered = tokio::task::spawn_blocking(move || render(&bytes, &marks, &config))
            .await
            .map_err(|e| ReplyImageError::Render {
                key: key.to_string(),
                reason: e.to_string(),
            })?;
        match rendered {
            Ok(r) => Ok(Some(r)),
            Err(RenderError::Undecodable(why)) => {
                tracing::warn!(key, why, "image does not decode: skipped");
                Ok(None)
            }
            Err(RenderError::Failed(reason)) => Err(ReplyImageError::Render {
                key: key.to_string(),
                reason,
            }),
        }
    }
}

/// The marks for one image: every celebrity and known person (named the same way), and unknown
/// faces unless they are ignored.
pub fn marks_for(analysis: &starling_contracts::ImageAnalysis, unknown: UnknownFaces) -> Vec<Mark> {
    let celebrities = analysis
        .celebrity_faces
        .iter()
        .map(|c| (c.face.bounding_box, &c.name));
    let known = analysis
        .known_faces
        .iter()
        .map(|k| (k.face.bounding_box, &k.name));
    let mut marks: Vec<Mark> = celebrities
        .chain(known)
        .map(|(bounding_box, name)| Mark::Celebrity {
            bounding_box,
            name: name.clone(),
        })
        .collect();
    if unknown != UnknownFaces::Ignore {
        marks.extend(analysis.unrecognized_faces.iter().map(|f| Mark::Unknown {
            bounding_box: f.bounding_box,
            treatment: unknown,
        }));
    }
    marks
}

/// Decodes `bytes` upright, scales it within `config.max_side`, draws `marks` and encodes a JPEG
/// within `config.max_bytes`.
pub fn render(
    bytes: &[u8],
    marks: &[Mark],
    config: &ReplyImageConfig,
) -> Result<Rendered, RenderError> {
    let decoded = decode::decode(bytes).map_err(|e| RenderError::Undecodable(e.to_string()))?;
    let mut image = decoded.image;
    if image.width().max(image.height()) > config.max_side {
        image = image.resize(config.max_side, config.max_side, FilterType::Triangle);
    }
    let mut rgb = image.into_rgb8();
    let drawn = annotate(&mut rgb, marks).map_err(|e| RenderError::Failed(e.to_string()))?;
    let jpeg = encode_within(rgb, config.max_bytes)?;
    Ok(Rendered {
        dimensions: jpeg.1,
        jpeg: jpeg.0,
        drawn,
    })
}

/// JPEG at quality 90, then lower qualities, then smaller sizes, until it fits in `max_bytes`.
fn encode_within(
    mut rgb: RgbImage,
    max_bytes: usize,
) -> Result<(Vec<u8>, (u32, u32)), RenderError> {
    loop {
        for quality in [90u8, 80, 70] {
            let mut out = Vec::new();
            JpegEncoder::new_with_quality(&mut out, quality)
                .encode_image(&rgb)
                .map_err(|e| RenderError::Failed(format!("JPEG encoding failed: {e}")))?;
            if out.len() <= max_bytes {
                return Ok((out, rgb.dimensions()));
            }
        }
        let (w, h) = rgb.dimensions();
        if w.max(h) <= 64 {
            return Err(RenderError::Failed(format!(
                "cannot encode the image within {max_bytes} bytes"
            )));
        }
        rgb = image::imageops::resize(
            &rgb,
            (w * 3 / 4).max(1),
            (h * 3 / 4).max(1),
            FilterType::Triangle,
        );
    }
}

/// "I recognised: A, B", naming as many as fit in a post and counting the rest.
pub fn recognised_text(names: &[String]) -> String {
    let all = format!("I recognised: {}", names.join(", "));
    if fits(&all) {
        return all;
    }
    for shown in (1..names.len()).rev() {
        let text = format!(
            "I recognised: {} and {} more",
            names[..shown].join(", "),
            names.len() - shown
        );
        if fits(&text) {
            return text;
        }
    }
    // One name longer than a post: egress cuts it with an ellipsis.
    all
}

/// The friendly reply when nobody was recognised.
pub fn no_celebrities_text(labels: &[String], several: bool, marked_faces: bool) -> String {
    let photo = if several {
        "these photos"
    } else {
        "this photo"
    };
    let mut text = format!("I couldn't spot any celebrities in {photo}");
    if labels.is_empty() {
        text.push('.');
    } else {
        text.push_str(&format!(", but I can see: {}.", labels.join(", ")));
    }
    if marked_faces {
        text.push_str(" I've marked the faces I found.");
    }
    text
}

/// The most confident labels across images, each name once (case-insensitively).
fn top_labels(mut labels: Vec<(String, f64)>) -> Vec<String> {
    labels.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut out: Vec<String> = Vec::new();
    for (name, _) in labels {
        let name = name.trim();
        if !name.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            out.push(name.to_string());
        }
        if out.len() == MAX_LABELS_MENTIONED {
            break;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn recognised_names_are_listed_and_counted_when_too_many() {
        assert_eq!(
            recognised_text(&["Ada Lovelace".into(), "Grace Hopper".into()]),
            "I recognised: Ada Lovelace, Grace Hopper"
        );
        let many: Vec<String> = (0..40).map(|i| format!("Person Number {i}")).collect();
        let text = recognised_text(&many);
        assert!(fits(&text), "{text}");
        assert!(text.ends_with(" more"), "{text}");
        assert!(text.starts_with("I recognised: Person Number 0, Person Number 1"));
    }

    #[test]
    fn no_celebrities_mentions_the_top_labels_once() {
        let labels = top_labels(vec![
            ("Sky".into(), 80.0),
            ("Person".into(), 99.0),
            ("person".into(), 95.0),
            ("Beach".into(), 90.0),
            ("Sand".into(), 70.0),
        ]);
        assert_eq!(labels, ["Person", "Beach", "Sky"]);
        assert_eq!(
            no_celebrities_text(&labels, false, false),
            "I couldn't spot any celebrities in this photo, but I can see: Person, Beach, Sky."
        );
        assert_eq!(
            no_celebrities_text(&[], true, true),
            "I couldn't spot any celebrities in these photos. I've marked the faces I found."
        );
    }

    #[test]
    fn annotated_keys_are_their_own() {
        assert_eq!(
            annotated_key("1850000000000000001", 2),
            "annotated/1850000000000000001/2.jpg"
        );
        assert_eq!(annotated_key("../x", 0), "annotated/x/0.jpg");
    }

    #[test]
    fn a_large_image_is_reencoded_within_the_limit() {
        // Noise compresses badly: 1500×1500 of it is well over 200 KB as a JPEG.
        let mut state = 12345u32;
        let noisy = RgbImage::from_fn(1500, 1500, |_, _| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            image::Rgb([(state >> 16) as u8, (state >> 8) as u8, (state >> 24) as u8])
        });
        let (jpeg, (w, h)) = encode_within(noisy, 200_000).unwrap();
        assert!(jpeg.len() <= 200_000, "{}", jpeg.len());
        assert!(w < 1500 && h < 1500);
        assert!(image::load_from_memory(&jpeg).is_ok());
    }

    use serde_json::{Value, json};

    use crate::memory::MemoryBlobStore as MemoryBlobs;
    use crate::moderation::{MemoryModerator, UnavailableModerator};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn face(left: f64) -> Value {
        json!({"BoundingBox": {"Width": 0.2, "Height": 0.3, "Left": left, "Top": 0.3}, "Confidence": 99.0})
    }

    fn message(images: Value) -> MessageAnalysed {
        serde_json::from_value(json!({
            "Text": "who is this?", "Author": "ada", "ImageUrls": ["https://pbs.twimg.com/media/a.jpg"],
            "Twitter": {"TweetId": "1850000000000000001", "UserId": "42"},
            "Analysis": {"Provider": "test", "Images": images}
        }))
        .unwrap()
    }

    fn analysis(celebrities: &[(&str, f64)], unknown: &[f64], labels: &[&str]) -> Value {
        json!({
            "Provider": "test",
            "CelebrityFaces": celebrities.iter().map(|(name, left)| json!({"Name": name, "Id": "x", "Face": face(*left), "MatchConfidence": 99.0})).collect::<Vec<_>>(),
            "UnrecognizedFaces": unknown.iter().map(|l| face(*l)).collect::<Vec<_>>(),
            "Labels": labels.iter().enumerate().map(|(i, n)| json!({"Name": n, "Confidence": 99.0 - i as f64})).collect::<Vec<_>>(),
        })
    }

    async fn run(
        blobs: Arc<MemoryBlobs>,
        unknown: UnknownFaces,
        images: Value,
    ) -> Result<Option<SendTweet>, ReplyImageError> {
        let events = run_moderated(
            blobs,
            Arc::new(MemoryModerator::new()),
            ReplyImageConfig {
                unknown_faces: unknown,
                ..Default::default()
            },
            images,
        )
        .await?;
        assert!(events.len() <= 1, "{events:?}");
        Ok(events.into_iter().next().map(|e| {
            assert_eq!(e.detail_type, "SEND_TWEET", "{e:?}");
            serde_json::from_value(e.detail).unwrap()
        }))
    }

    async fn run_moderated(
        blobs: Arc<MemoryBlobs>,
        moderator: Arc<dyn Moderator>,
        config: ReplyImageConfig,
        images: Value,
    ) -> Result<Vec<OutgoingEvent>, ReplyImageError> {
        ReplyImage::new(blobs, moderator, config)
            .handle(&message(images))
            .await
    }

    #[tokio::test]
    async fn celebrities_are_named_once_and_annotated_copies_attached_originals_untouched() {
        let blobs = Arc::new(MemoryBlobs::default());
        let original = png(640, 480);
        for k in ["media/a/0.png", "media/a/1.png", "media/a/2.png"] {
            blobs.put(k, original.clone(), "image/png").await.unwrap();
        }
        let send = run(
            blobs.clone(),
            UnknownFaces::Ignore,
            json!([
                {"Key": "media/a/0.png", "Analysis": analysis(&[("Ada Lovelace", 0.1), ("Grace Hopper", 0.6)], &[0.35], &[])},
                {"Key": "media/a/1.png", "Analysis": analysis(&[("Grace Hopper", 0.4)], &[], &[])},
                {"Key": "media/a/2.png", "Analysis": analysis(&[], &[0.2], &["Person"])},
            ]),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(send.text, "I recognised: Ada Lovelace, Grace Hopper");
        assert_eq!(
            send.image_keys,
            [
                "annotated/1850000000000000001/0.jpg",
                "annotated/1850000000000000001/1.jpg"
            ]
        );
        assert_eq!(send.idempotency_key, "reply-image:1850000000000000001");
        assert_eq!(send.reply_to_username.as_deref(), Some("ada"));
        assert_eq!(send.reply_to_tweet_id, "1850000000000000001");
        let objects = blobs.objects();
        for k in ["media/a/0.png", "media/a/1.png", "media/a/2.png"] {
            assert_eq!(objects[k], original, "{k} was changed");
        }
        let copy =
            image::load_from_memory(&objects["annotated/1850000000000000001/0.jpg"]).unwrap();
        assert_eq!((copy.width(), copy.height()), (640, 480));
        assert!(
            !objects.contains_key("annotated/1850000000000000001/2.jpg"),
            "nothing drawn on image 2"
        );
    }

    #[tokio::test]
    async fn known_people_are_named_and_drawn_like_celebrities() {
        let blobs = Arc::new(MemoryBlobs::default());
        let original = png(640, 480);
        blobs
            .put("media/a/0.png", original.clone(), "image/png")
            .await
            .unwrap();
        let mut image = analysis(&[("Grace Hopper", 0.6)], &[], &["Person"]);
        image["KnownFaces"] = json!([
            {"Name": "Ada Lovelace", "Similarity": 91.0, "Face": face(0.1), "FaceId": "f1"},
            {"Name": "Grace Hopper", "Similarity": 88.0, "Face": face(0.35)},
        ]);
        let send = run(
            blobs.clone(),
            UnknownFaces::Ignore,
            json!([{"Key": "media/a/0.png", "Analysis": image.clone()}]),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(send.text, "I recognised: Grace Hopper, Ada Lovelace");
        assert_eq!(send.image_keys, ["annotated/1850000000000000001/0.jpg"]);
        let parsed: starling_contracts::ImageAnalysis = serde_json::from_value(image).unwrap();
        let marks = marks_for(&parsed, UnknownFaces::Ignore);
        let named: Vec<&str> = marks
            .iter()
            .filter_map(|m| match m {
                Mark::Celebrity { name, .. } => Some(name.as_str()),
                Mark::Unknown { .. } => None,
            })
            .collect();
        assert_eq!(named, ["Grace Hopper", "Ada Lovelace", "Grace Hopper"]);
        let drawn =
            image::load_from_memory(&blobs.objects()["annotated/1850000000000000001/0.jpg"])
                .unwrap()
                .into_rgb8();
        let source = image::load_from_memory(&original).unwrap().into_rgb8();
        // Something was drawn around the known face's box (left 0.1 of 640 px).
        let changed = (64..192)
            .flat_map(|x| (144..288).map(move |y| (x, y)))
            .filter(|&(x, y)| {
                let (a, b) = (drawn.get_pixel(x, y).0, source.get_pixel(x, y).0);
                a.iter().zip(b).any(|(p, q)| p.abs_diff(q) > 40)
            })
            .count();
        assert!(
            changed > 100,
            "{changed} pixels changed around the known face"
        );
    }

    #[tokio::test]
    async fn without_celebrities_images_are_attached_only_when_faces_were_marked() {
        let blobs = Arc::new(MemoryBlobs::default());
        blobs
            .put("media/a/0.png", png(300, 200), "image/png")
            .await
            .unwrap();
        let images = json!([{"Key": "media/a/0.png", "Analysis": analysis(&[], &[0.3], &["Person", "Hat"])}]);
        let ignored = run(blobs.clone(), UnknownFaces::Ignore, images.clone())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            ignored.text,
            "I couldn't spot any celebrities in this photo, but I can see: Person, Hat."
        );
        assert!(ignored.image_keys.is_empty());
        for mode in [UnknownFaces::Box, UnknownFaces::Blur] {
            let marked = run(blobs.clone(), mode, images.clone())
                .await
                .unwrap()
                .unwrap();
            assert!(
                marked.text.ends_with("I've marked the faces I found."),
                "{}",
                marked.text
            );
            assert_eq!(marked.image_keys, ["annotated/1850000000000000001/0.jpg"]);
        }
    }

    #[tokio::test]
    async fn failed_missing_and_undecodable_images_are_skipped_and_a_down_store_is_retryable() {
        let blobs = Arc::new(MemoryBlobs::default());
        blobs
            .put(
                "media/a/1.png",
                b"<html>not an image</html>".to_vec(),
                "text/html",
            )
            .await
            .unwrap();
        let send = run(
            blobs.clone(),
            UnknownFaces::Box,
            json!([
                {"Key": "media/a/0.png", "Analysis": analysis(&[("Ada Lovelace", 0.1)], &[], &[])},
                {"Key": "media/a/1.png", "Analysis": analysis(&[("Grace Hopper", 0.1)], &[], &[])},
                {"Key": "media/a/2.png", "Error": "Rekognition: InvalidImageFormatException"},
                {"Url": "https://pbs.twimg.com/media/d.jpg", "Error": "404"},
            ]),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(send.text, "I recognised: Ada Lovelace, Grace Hopper");
        assert!(send.image_keys.is_empty());

        let nothing = run(
            blobs.clone(),
            UnknownFaces::Box,
            json!([{"Key": "media/a/2.png", "Error": "failed"}]),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            nothing.text,
            "Sorry, I couldn't look at your photo this time."
        );

        assert!(
            run(
                blobs.clone(),
                UnknownFaces::Box,
                json!([{"Url": "https://x/a.jpg", "Error": "404"}])
            )
            .await
            .unwrap()
            .is_none()
        );

        let down = Arc::new(MemoryBlobs::new());
        down.set_down(true);
        let err = run(down, UnknownFaces::Ignore, json!([{"Key": "media/a/0.png", "Analysis": analysis(&[("Ada Lovelace", 0.1)], &[], &[])}]))
            .await
            .unwrap_err();
        assert!(err.is_retryable(), "{err}");
    }

    #[tokio::test]
    async fn a_source_under_an_annotated_key_is_never_overwritten() {
        let blobs = Arc::new(MemoryBlobs::default());
        let key = "annotated/1850000000000000001/0.jpg";
        let original = png(100, 100);
        blobs.put(key, original.clone(), "image/png").await.unwrap();
        let send = run(
            blobs.clone(),
            UnknownFaces::Box,
            json!([{"Key": key, "Analysis": analysis(&[("Ada Lovelace", 0.1)], &[], &[])}]),
        )
        .await
        .unwrap()
        .unwrap();
        assert!(send.image_keys.is_empty());
        assert_eq!(blobs.objects()[key], original);
    }

    #[test]
    fn bytes_that_are_not_an_image_are_undecodable_not_a_panic() {
        let err = render(b"<html>nope</html>", &[], &ReplyImageConfig::default()).unwrap_err();
        assert!(matches!(err, RenderError::Undecodable(m) if m.contains("HTML")));
    }

    /// A PNG with `marker` appended after its end: still the same image to a decoder, and what the
    /// memory moderator's rule looks for.
    fn png_with(marker: &[u8]) -> Vec<u8> {
        let mut bytes = png(320, 240);
        bytes.extend_from_slice(marker);
        bytes
    }

    async fn two_photos(first: &[u8], second: &[u8]) -> (Arc<MemoryBlobs>, Value) {
        let blobs = Arc::new(MemoryBlobs::default());
        blobs
            .put("media/a/0.png", png_with(first), "image/png")
            .await
            .unwrap();
        blobs
            .put("media/a/1.png", png_with(second), "image/png")
            .await
            .unwrap();
        let images = json!([
            {"Key": "media/a/0.png", "Analysis": analysis(&[("Ada Lovelace", 0.1)], &[], &[])},
            {"Key": "media/a/1.png", "Analysis": analysis(&[("Grace Hopper", 0.4)], &[], &[])},
        ]);
        (blobs, images)
    }

    fn moderation(when_unavailable: WhenUnavailable, alert_on_flag: bool) -> ReplyImageConfig {
        ReplyImageConfig {
            moderation: ModerationConfig {
                when_unavailable,
                alert_on_flag,
                ..ModerationConfig::default()
            },
            ..ReplyImageConfig::default()
        }
    }

    #[tokio::test]
    async fn one_flagged_image_means_no_image_reply_nothing_drawn_and_a_flag_naming_the_labels() {
        let (blobs, images) = two_photos(b"", b"NSFW").await;
        let moderator = Arc::new(MemoryModerator::new());
        let events = run_moderated(
            blobs.clone(),
            moderator.clone(),
            moderation(WhenUnavailable::TextOnly, true),
            images,
        )
        .await
        .unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.detail_type.as_str()).collect();
        assert_eq!(kinds, ["REPLY_SUPPRESSED", "MODERATION_FLAGGED"]);
        let held = &events[0].detail;
        assert_eq!(held["Reason"], "moderation");
        assert_eq!(held["TweetId"], "1850000000000000001");
        let detail = held["Detail"].as_str().unwrap();
        assert!(
            detail.contains("memory") && detail.contains("Explicit Nudity"),
            "{detail}"
        );
        assert!(
            !detail.contains("who is this"),
            "never the post's text: {detail}"
        );
        let flag: ModerationFlagged = serde_json::from_value(events[1].detail.clone()).unwrap();
        assert_eq!(flag.content, ModeratedContent::Image);
        assert_eq!(flag.provider, "memory");
        assert_eq!(flag.labels[0].name, "Explicit Nudity");
        assert_eq!(flag.image_keys, ["media/a/1.png"]);
        assert!(flag.alert);
        assert_eq!(moderator.images_judged(), 2);
        assert!(
            blobs.objects().keys().all(|k| !k.starts_with("annotated/")),
            "nothing drawn: {:?}",
            blobs.objects().keys()
        );

        // alertOnFlag off: the flag is still recorded, without the alert.
        let (blobs, images) = two_photos(b"", b"NSFW").await;
        let quiet = run_moderated(
            blobs,
            moderator,
            moderation(WhenUnavailable::TextOnly, false),
            images,
        )
        .await
        .unwrap();
        assert_eq!(quiet[1].detail["Alert"], false);
    }

    #[tokio::test]
    async fn the_minimum_confidence_decides_whether_a_suggestive_image_is_attached() {
        for (min, attached) in [(60.0, 2), (50.0, 0)] {
            let (blobs, images) = two_photos(b"", b"SWIMWEAR").await;
            let mut config = moderation(WhenUnavailable::TextOnly, true);
            config.moderation.image_min_confidence = min;
            let events = run_moderated(blobs, Arc::new(MemoryModerator::new()), config, images)
                .await
                .unwrap();
            if attached == 0 {
                assert_eq!(events[0].detail["Reason"], "moderation", "{min}");
            } else {
                assert_eq!(events[0].detail_type, "SEND_TWEET", "{min}");
                assert_eq!(
                    events[0].detail["ImageKeys"].as_array().unwrap().len(),
                    attached
                );
            }
        }
    }

    #[tokio::test]
    async fn when_moderation_is_unavailable_the_setting_decides() {
        // text-only (the default): the names, no image, nothing drawn.
        let (blobs, images) = two_photos(b"", b"").await;
        let events = run_moderated(
            blobs.clone(),
            Arc::new(UnavailableModerator::no_offline_model()),
            moderation(WhenUnavailable::TextOnly, true),
            images.clone(),
        )
        .await
        .unwrap();
        assert_eq!(events.len(), 1);
        let send: SendTweet = serde_json::from_value(events[0].detail.clone()).unwrap();
        assert_eq!(send.text, "I recognised: Ada Lovelace, Grace Hopper");
        assert!(send.image_keys.is_empty());
        assert!(blobs.objects().keys().all(|k| !k.starts_with("annotated/")));

        // suppress: nothing posted, the reason says moderation was unavailable.
        let events = run_moderated(
            blobs.clone(),
            Arc::new(UnavailableModerator::no_offline_model()),
            moderation(WhenUnavailable::Suppress, true),
            images.clone(),
        )
        .await
        .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].detail_type, "REPLY_SUPPRESSED");
        assert_eq!(events[0].detail["Reason"], "moderation");
        let detail = events[0].detail["Detail"].as_str().unwrap();
        assert!(
            detail.starts_with("moderation unavailable") && detail.contains("unavailable"),
            "{detail}"
        );

        // allow: as without the gate, both images drawn and attached.
        let events = run_moderated(
            blobs.clone(),
            Arc::new(UnavailableModerator::no_offline_model()),
            moderation(WhenUnavailable::Allow, true),
            images,
        )
        .await
        .unwrap();
        let send: SendTweet = serde_json::from_value(events[0].detail.clone()).unwrap();
        assert_eq!(send.image_keys.len(), 2);
    }

    #[tokio::test]
    async fn text_only_attaches_the_images_that_passed_and_leaves_out_the_unchecked_one() {
        let (blobs, images) = two_photos(b"", b"UNCHECKABLE").await;
        let events = run_moderated(
            blobs,
            Arc::new(MemoryModerator::new()),
            moderation(WhenUnavailable::TextOnly, true),
            images,
        )
        .await
        .unwrap();
        let send: SendTweet = serde_json::from_value(events[0].detail.clone()).unwrap();
        assert_eq!(send.image_keys, ["annotated/1850000000000000001/0.jpg"]);
        assert_eq!(send.text, "I recognised: Ada Lovelace, Grace Hopper");
    }

    #[tokio::test]
    async fn a_failing_moderator_is_retryable_and_nothing_is_drawn() {
        let (blobs, images) = two_photos(b"", b"").await;
        let moderator = Arc::new(MemoryModerator::new());
        moderator.set_down(true);
        let err = run_moderated(
            blobs.clone(),
            moderator,
            ReplyImageConfig::default(),
            images,
        )
        .await
        .unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(blobs.objects().keys().all(|k| !k.starts_with("annotated/")));
    }
}
