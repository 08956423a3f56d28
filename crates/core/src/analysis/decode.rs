//! Decoding media bytes into an upright image, or saying plainly what the bytes are instead. Shared by
//! the offline image analyzer (`starling-local`) and reply-image, so boxes are drawn in the frame they were found in.
//!
//! JPEG and PNG, and with the `gif-webp` feature GIF (first frame) and WebP, with the `image` crate. The EXIF orientation (JPEG, WebP,
//! PNG `eXIf`) is applied, so pixels — and every box computed from them — are in the frame a person
//! sees, as Rekognition reports them. Dimensions and memory are capped so a decompression bomb is
//! refused rather than decoded.

use std::io::Cursor;

use crate::ports::AnalysisError;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The widest or tallest image accepted, in pixels (Rekognition's own limit is 15 MB of bytes).
pub const MAX_SIDE: u32 = 16_384;
/// The most pixels an image may have, checked from its header before any pixel is decoded: 40 MP
/// (X's photos are at most 4096 × 4096, 16.8 MP). Each full-size copy is then at most 40 MP ×
/// 8 bytes (16-bit RGBA): decoding plus turning upright peaks at two copies.
pub const MAX_PIXELS: u64 = 40_000_000;
/// The most memory a decode may allocate.
pub const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// The formats this build decodes.
#[cfg(feature = "gif-webp")]
pub const SUPPORTED: &str = "JPEG, PNG, GIF, WebP";
/// The formats this build decodes.
#[cfg(not(feature = "gif-webp"))]
pub const SUPPORTED: &str = "JPEG, PNG";

/// Whether this build decodes `format`.
fn decodes(format: ImageFormat) -> bool {
    matches!(format, ImageFormat::Jpeg | ImageFormat::Png)
        || (cfg!(feature = "gif-webp") && matches!(format, ImageFormat::Gif | ImageFormat::WebP))
}

/// An upright decoded image and the format it came in.
#[derive(Debug)]
pub struct Decoded {
    /// The pixels, EXIF orientation applied.
    pub image: DynamicImage,
    /// The container format.
    pub format: ImageFormat,
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

/// The format of `bytes` if it is an image this build decodes; else an error naming what it looks like.
pub fn sniff(bytes: &[u8]) -> Result<ImageFormat, AnalysisError> {
    match image::guess_format(bytes) {
        Ok(f) if decodes(f) => Ok(f),
        Ok(other) => Err(AnalysisError::InvalidInput(format!(
            "unsupported image format {other:?}; this build decodes {SUPPORTED}"
        ))),
        Err(_) => Err(AnalysisError::InvalidInput(format!(
            "not an image: {}",
            describe(bytes)
        ))),
    }
}

/// The dimensions in the stored (unrotated) frame, read from the header only.
pub fn dimensions(bytes: &[u8]) -> Result<(u32, u32), AnalysisError> {
    let format = sniff(bytes)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    reader.into_dimensions().map_err(|e| invalid(format, &e))
}

/// Decodes `bytes` and turns the image upright.
pub fn decode(bytes: &[u8]) -> Result<Decoded, AnalysisError> {
    let format = sniff(bytes)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|e| invalid(format, &e))?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(AnalysisError::InvalidInput(format!(
            "{format:?} image of {width} × {height} = {:.1} MP exceeds the {} MP limit",
            pixels as f64 / 1e6,
            MAX_PIXELS / 1_000_000
        )));
    }
    // A missing or unreadable orientation tag means "as stored", as viewers treat it.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| invalid(format, &e))?;
    image.apply_orientation(orientation);
    if image.width() == 0 || image.height() == 0 {
        return Err(AnalysisError::InvalidInput(format!(
            "{format:?} image has no pixels"
        )));
    }
    Ok(Decoded { image, format })
}

fn invalid(format: ImageFormat, e: &image::ImageError) -> AnalysisError {
    AnalysisError::InvalidInput(format!("corrupt or oversized {format:?} image: {e}"))
}

/// What non-image bytes look like, for the error message.
pub fn describe(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "empty (0 bytes)".into();
    }
    let head = &bytes[..bytes.len().min(512)];
    let text = String::from_utf8_lossy(head);
    let lower = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    let kind = if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.contains("<head")
    {
        "looks like HTML"
    } else if lower.starts_with("<svg") || (lower.starts_with("<?xml") && lower.contains("<svg")) {
        "looks like SVG (vector images are not decoded)"
    } else if lower.starts_with("<?xml") || lower.starts_with('<') {
        "looks like XML"
    } else if lower.starts_with('{') || lower.starts_with('[') {
        "looks like JSON"
    } else if bytes.starts_with(b"%PDF") {
        "looks like a PDF document"
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        "looks like an MP4/MOV/HEIC container (video or HEIC photos are not decoded)"
    } else if std::str::from_utf8(head).is_ok() {
        "looks like plain text"
    } else {
        "unrecognised binary data"
    };
    let magic: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!(
        "{kind} ({} bytes, starting {})",
        bytes.len(),
        magic.join(" ")
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn html_error_page_is_named_as_html() {
        let err = sniff(b"<!DOCTYPE html><html><body>403 Forbidden</body></html>").unwrap_err();
        assert!(
            matches!(&err, AnalysisError::InvalidInput(m) if m.contains("not an image: looks like HTML")),
            "{err}"
        );
    }

    #[test]
    fn other_non_images_are_described() {
        for (bytes, expect) in [
            (&b""[..], "empty"),
            (b"{\"errors\":[]}", "JSON"),
            (b"%PDF-1.7 ...", "PDF"),
            (b"just words", "plain text"),
            (&[0x00, 0x01, 0xfe, 0xff, 0x80][..], "binary"),
        ] {
            let err = decode(bytes).unwrap_err().to_string();
            assert!(err.contains(expect), "{err}");
        }
    }

    #[test]
    fn truncated_png_is_corrupt_not_a_panic() {
        let err = decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
            .unwrap_err()
            .to_string();
        assert!(err.contains("corrupt or oversized Png"), "{err}");
    }

    #[test]
    fn formats_left_out_of_the_build_are_named() {
        let err = sniff(b"BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unsupported image format Bmp"), "{err}");
    }

    #[test]
    fn gif_and_webp_are_decoded_only_in_a_build_with_the_gif_webp_feature() {
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".as_slice();
        let webp = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00".as_slice();
        for (bytes, format) in [(gif, ImageFormat::Gif), (webp, ImageFormat::WebP)] {
            let sniffed = sniff(bytes);
            if cfg!(feature = "gif-webp") {
                assert_eq!(sniffed.unwrap(), format);
            } else {
                let err = sniffed.unwrap_err().to_string();
                assert!(
                    err.contains(&format!("unsupported image format {format:?}"))
                        && err.contains("this build decodes JPEG, PNG"),
                    "{err}"
                );
                let err = decode(bytes).unwrap_err().to_string();
                assert!(err.contains("this build decodes JPEG, PNG"), "{err}");
            }
        }
    }

    /// A PNG whose header says `width` × `height` (8-bit grey) and whose data is a single empty
    /// chunk: the header is all a decoder reads before the pixel limit applies.
    fn png_header_only(width: u32, height: u32) -> Vec<u8> {
        fn crc32(bytes: &[u8]) -> u32 {
            let mut crc = 0xffff_ffffu32;
            for &b in bytes {
                crc ^= u32::from(b);
                for _ in 0..8 {
                    crc = if crc & 1 == 1 {
                        (crc >> 1) ^ 0xedb8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            !crc
        }
        fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
            out.extend((data.len() as u32).to_be_bytes());
            let mut body = kind.to_vec();
            body.extend(data);
            out.extend(&body);
            out.extend(crc32(&body).to_be_bytes());
        }
        let mut ihdr = Vec::new();
        ihdr.extend(width.to_be_bytes());
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([8, 0, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(&mut png, b"IDAT", &[]);
        chunk(&mut png, b"IEND", &[]);
        png
    }

    #[test]
    fn an_image_over_the_pixel_limit_is_refused_before_its_pixels_are_decoded() {
        // 8000 × 6000 = 48 MP: each side is within MAX_SIDE, the product is not.
        let err = decode(&png_header_only(8000, 6000))
            .unwrap_err()
            .to_string();
        assert!(err.contains("48.0 MP exceeds the 40 MP limit"), "{err}");
        // Just under the limit the header passes and the (empty) data is what fails.
        let err = decode(&png_header_only(8000, 5000))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("MP limit"), "{err}");
    }
}
