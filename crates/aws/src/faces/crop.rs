//! One face cut out of a photo for `SearchFacesByImage`, which searches only the largest face of
//! the image it is given: the face's box widened by a margin (Rekognition finds a face more
//! reliably with some forehead, chin and background around it), kept inside the photo, scaled
//! into the sizes Rekognition handles well, and encoded as JPEG.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView};
use starling_contracts::BoundingBox;

/// The margin added on each side of a face's box, as a share of the box's width (left and right)
/// and height (top and bottom).
pub const FACE_MARGIN: f64 = 0.25;
/// A crop whose shorter side is below this is scaled up to it: Rekognition needs faces of about
/// 40 pixels or more, and the crop should not be the smallest image it accepts.
pub const MIN_SIDE: u32 = 160;
/// A crop whose longer side is above this is scaled down to it, which keeps the JPEG far below
/// the 5 MB Rekognition accepts as bytes.
pub const MAX_SIDE: u32 = 1920;
const JPEG_QUALITY: u8 = 90;

/// The pixel rectangle (x, y, width, height) of `b` widened by `margin` and clipped to a
/// `width` × `height` image, or `None` when nothing of it lies inside the image.
pub fn face_region(
    b: &BoundingBox,
    width: u32,
    height: u32,
    margin: f64,
) -> Option<(u32, u32, u32, u32)> {
    let (w, h) = (f64::from(width), f64::from(height));
    let left = (b.left - b.width * margin) * w;
    let top = (b.top - b.height * margin) * h;
    let right = (b.left + b.width * (1.0 + margin)) * w;
    let bottom = (b.top + b.height * (1.0 + margin)) * h;
    if ![left, top, right, bottom].iter().all(|v| v.is_finite()) {
        return None;
    }
    // Rekognition's boxes may reach past the edges of the photo: clip.
    let x0 = left.floor().clamp(0.0, w) as u32;
    let y0 = top.floor().clamp(0.0, h) as u32;
    let x1 = right.ceil().clamp(0.0, w) as u32;
    let y1 = bottom.ceil().clamp(0.0, h) as u32;
    (x1 > x0 && y1 > y0).then(|| (x0, y0, x1 - x0, y1 - y0))
}

/// The face at `b` (ratios of the upright photo, as Rekognition reports them) as a JPEG, or
/// `None` when the box lies outside the photo.
pub fn face_jpeg(photo: &DynamicImage, b: &BoundingBox) -> Result<Option<Vec<u8>>, String> {
    let (width, height) = photo.dimensions();
    let Some((x, y, w, h)) = face_region(b, width, height, FACE_MARGIN) else {
        return Ok(None);
    };
    let mut crop = photo.crop_imm(x, y, w, h);
    let (short, long) = (w.min(h), w.max(h));
    if short < MIN_SIDE {
        let scale = f64::from(MIN_SIDE) / f64::from(short);
        let scale = scale.min(f64::from(MAX_SIDE) / f64::from(long)).max(1.0);
        crop = resize(&crop, scale, FilterType::Triangle);
    } else if long > MAX_SIDE {
        crop = resize(
            &crop,
            f64::from(MAX_SIDE) / f64::from(long),
            FilterType::Triangle,
        );
    }
    let mut out = Cursor::new(Vec::new());
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&DynamicImage::ImageRgb8(crop.to_rgb8()))
        .map_err(|e| format!("encoding a face as JPEG: {e}"))?;
    Ok(Some(out.into_inner()))
}

fn resize(image: &DynamicImage, scale: f64, filter: FilterType) -> DynamicImage {
    let (w, h) = image.dimensions();
    let nw = ((f64::from(w) * scale).round() as u32).max(1);
    let nh = ((f64::from(h) * scale).round() as u32).max(1);
    image.resize_exact(nw, nh, filter)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn bbox(left: f64, top: f64, width: f64, height: f64) -> BoundingBox {
        BoundingBox {
            width,
            height,
            left,
            top,
        }
    }

    #[test]
    fn the_region_is_the_box_with_a_margin_on_each_side() {
        // A 100 × 100 face at (400, 200) in 1000 × 800: 25 px more on each side.
        let r = face_region(&bbox(0.4, 0.25, 0.1, 0.125), 1000, 800, 0.25);
        assert_eq!(r, Some((375, 175, 150, 150)));
    }

    #[test]
    fn the_region_is_clipped_to_the_photo() {
        let r = face_region(&bbox(-0.05, 0.9, 0.2, 0.2), 1000, 1000, 0.25);
        assert_eq!(r, Some((0, 850, 200, 150)));
        assert_eq!(
            face_region(&bbox(1.2, 0.1, 0.1, 0.1), 1000, 1000, 0.25),
            None
        );
        assert_eq!(
            face_region(&bbox(0.1, 0.1, 0.0, 0.1), 1000, 1000, 0.0),
            None
        );
        assert_eq!(
            face_region(&bbox(f64::NAN, 0.1, 0.1, 0.1), 1000, 1000, 0.25),
            None
        );
    }

    #[test]
    fn a_small_face_is_scaled_up_and_a_huge_one_down() {
        let photo = DynamicImage::ImageRgb8(RgbImage::from_pixel(4000, 3000, Rgb([200, 10, 10])));
        let small = face_jpeg(&photo, &bbox(0.5, 0.5, 0.01, 0.01))
            .unwrap()
            .unwrap();
        let small = image::load_from_memory(&small).unwrap();
        assert_eq!(small.dimensions().0.min(small.dimensions().1), MIN_SIDE);
        let huge = face_jpeg(&photo, &bbox(0.0, 0.0, 1.0, 1.0))
            .unwrap()
            .unwrap();
        let huge = image::load_from_memory(&huge).unwrap();
        assert_eq!(huge.dimensions(), (MAX_SIDE, 1440));
    }
}
