//! [`OfflineModerator`]: the moderation gate's [`Moderator`] port without Rekognition.
//!
//! - **Images** — nsfwjs's MobileNetV2 classifier (npm `nsfwjs` 4.4.0, MIT; converted to ONNX by
//!   `models/convert/`, run with tract) scores each photo as Drawing, Hentai, Neutral, Porn or
//!   Sexy. Those map to Rekognition's moderation labels ([`labels_for`]): `Explicit Nudity` =
//!   Porn + Hentai (with `Illustrated Explicit Nudity` for the drawn share), `Suggestive` = Sexy,
//!   in percent; the same rule as on AWS ([`judge_image`]) then flags a label at or above the
//!   reply policy's `moderation.imageMinConfidence` (default 60). An image it cannot decode is
//!   `Unavailable`, as Rekognition refuses a format, and the policy's `whenUnavailable` decides.
//! - **Text** — no offline toxicity model ships: every text verdict is `Unavailable`
//!   ([`NO_TEXT_MODEL`]).

use async_trait::async_trait;
use image::imageops::FilterType;
use starling_core::moderation::{
    ModerationError, ModerationLabel, ModerationVerdict, Moderator, judge_image,
};

use crate::image::decode;
use crate::onnx::OnnxModel;

/// The provider named in image verdicts.
pub const MODERATION_PROVIDER: &str = "starling-offline/nsfwjs-mobilenet-v2";
/// Why text cannot be moderated offline.
pub const NO_TEXT_MODEL: &str =
    "no offline text-toxicity model ships with Starling; set moderation.whenUnavailable";

/// The classifier's classes, in its output order.
pub const CLASSES: [&str; 5] = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];
/// The model's input side, in pixels.
const SIDE: u32 = 224;

pub(crate) static MODEL: OnnxModel = OnnxModel::new(
    "nsfwjs MobileNetV2",
    include_bytes!("../models/nsfw/nsfwjs_mobilenet_v2.onnx"),
);

/// The classifier's five probabilities (0–1, in [`CLASSES`] order) for an image's bytes.
/// CPU-bound: call it off the async threads.
pub fn classify(bytes: &[u8]) -> Result<[f32; 5], String> {
    let decoded = decode::decode(bytes).map_err(|e| e.to_string())?;
    let rgb = image::imageops::resize(&decoded.image.into_rgb8(), SIDE, SIDE, FilterType::Triangle);
    let input: Vec<f32> = rgb
        .pixels()
        .flat_map(|p| p.0.map(|c| f32::from(c) / 255.0))
        .collect();
    let outputs = MODEL.run(&[1, SIDE as usize, SIDE as usize, 3], &input)?;
    let values = outputs.first().map(|o| o.values.as_slice()).unwrap_or(&[]);
    <[f32; 5]>::try_from(values)
        .map_err(|_| format!("the moderation model gave {} values, not 5", values.len()))
}

/// Rekognition-named moderation labels (confidence in percent) from the five probabilities;
/// labels at 0 are left out.
pub fn labels_for(probabilities: &[f32; 5]) -> Vec<ModerationLabel> {
    let [_, hentai, _, porn, sexy] = probabilities.map(|p| f64::from(p.clamp(0.0, 1.0)) * 100.0);
    [
        ("Explicit Nudity", (porn + hentai).min(100.0)),
        ("Illustrated Explicit Nudity", hentai),
        ("Suggestive", sexy),
    ]
    .into_iter()
    .filter(|(_, confidence)| *confidence > 0.0)
    .map(|(name, confidence)| ModerationLabel {
        name: name.to_string(),
        confidence,
    })
    .collect()
}

/// Moderation on this machine: images by the nsfwjs classifier, text unavailable.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineModerator;

#[async_trait]
impl Moderator for OfflineModerator {
    async fn image(
        &self,
        bytes: &[u8],
        min_confidence: f64,
    ) -> Result<ModerationVerdict, ModerationError> {
        let bytes = bytes.to_vec();
        let scored = crate::heavy::run(move || classify(&bytes))
            .await
            .map_err(|e| ModerationError::Unavailable(format!("image moderation failed: {e}")))?;
        Ok(match scored {
            Ok(probabilities) => judge_image(
                MODERATION_PROVIDER,
                labels_for(&probabilities),
                min_confidence,
            ),
            Err(reason) => ModerationVerdict::Unavailable {
                provider: MODERATION_PROVIDER.to_string(),
                reason,
            },
        })
    }

    async fn text(
        &self,
        _: &[String],
        _: &str,
        _: f64,
    ) -> Result<ModerationVerdict, ModerationError> {
        Ok(ModerationVerdict::Unavailable {
            provider: MODERATION_PROVIDER.to_string(),
            reason: NO_TEXT_MODEL.to_string(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/images/");

    #[tokio::test]
    async fn benign_photos_are_clean_and_mostly_neutral() {
        for name in [
            "astronaut.png",
            "grace_hopper.jpg",
            "two_faces_composite.jpg",
        ] {
            let bytes = std::fs::read(format!("{FIXTURES}{name}")).unwrap();
            let p = classify(&bytes).unwrap();
            let sum: f32 = p.iter().sum();
            assert!(
                (sum - 1.0).abs() < 1e-3,
                "{name}: {p:?} is not a distribution"
            );
            assert!(p[2] > 0.5, "{name}: neutral {p:?}");
            let verdict = OfflineModerator.image(&bytes, 60.0).await.unwrap();
            assert_eq!(
                verdict,
                ModerationVerdict::Clean {
                    provider: MODERATION_PROVIDER.to_string()
                },
                "{name}: {p:?}"
            );
        }
    }

    #[test]
    fn the_models_classes_map_to_rekognitions_labels_and_thresholds() {
        // What the model outputs for an explicit photo (no such photo is committed): the mapping
        // and the policy's threshold decide the verdict.
        let explicit = [0.01, 0.05, 0.04, 0.85, 0.05];
        let labels = labels_for(&explicit);
        let by_name = |n: &str| labels.iter().find(|l| l.name == n).map(|l| l.confidence);
        assert!((by_name("Explicit Nudity").unwrap() - 90.0).abs() < 1e-3);
        assert!((by_name("Illustrated Explicit Nudity").unwrap() - 5.0).abs() < 1e-3);
        match judge_image(MODERATION_PROVIDER, labels.clone(), 60.0) {
            ModerationVerdict::Flagged { provider, labels } => {
                assert_eq!(provider, MODERATION_PROVIDER);
                assert_eq!(labels.len(), 1, "{labels:?}");
                assert_eq!(labels[0].name, "Explicit Nudity");
            }
            other => panic!("{other:?}"),
        }
        // Suggestive at 55 %: flagged at a threshold of 50, clean at 60.
        let suggestive = labels_for(&[0.1, 0.0, 0.35, 0.0, 0.55]);
        assert!(matches!(
            judge_image(MODERATION_PROVIDER, suggestive.clone(), 50.0),
            ModerationVerdict::Flagged { .. }
        ));
        assert!(matches!(
            judge_image(MODERATION_PROVIDER, suggestive, 60.0),
            ModerationVerdict::Clean { .. }
        ));
        assert!(labels_for(&[0.5, 0.0, 0.5, 0.0, 0.0]).is_empty());
    }

    #[tokio::test]
    async fn what_cannot_be_judged_is_unavailable() {
        let verdict = OfflineModerator.image(b"not an image", 60.0).await.unwrap();
        assert!(
            matches!(verdict, ModerationVerdict::Unavailable { .. }),
            "{verdict:?}"
        );
        let text = OfflineModerator
            .text(&["hello".into()], "en", 0.5)
            .await
            .unwrap();
        assert!(
            matches!(text, ModerationVerdict::Unavailable { ref reason, .. } if reason == NO_TEXT_MODEL)
        );
    }
}
