//! Media sniff + decode with the limits (`starling_core::analysis::{media, decode}`): what
//! download-media, the offline image analyzer and reply-image do with downloaded bytes. The input
//! is any bytes.
//!
//! Properties: the download guard's sniff never names a format the decoder's sniff disagrees with;
//! a decoded image has pixels, is at most 16,384 px a side and 40 MP, and is the size its header
//! said (turned upright: sides swapped at most); a header over 40 MP is refused before decoding.
//! libFuzzer's RSS limit (2 GB) bounds what any decode may allocate.
#![no_main]

use image::{GenericImageView, ImageFormat};
use libfuzzer_sys::fuzz_target;
use starling_core::analysis::decode::{self, MAX_PIXELS, MAX_SIDE};
use starling_core::analysis::media::{self, Sniffed};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(sniffed) = media::sniff(bytes) {
        let expected = match sniffed {
            Sniffed::Jpeg => ImageFormat::Jpeg,
            Sniffed::Png => ImageFormat::Png,
            Sniffed::Gif => ImageFormat::Gif,
            Sniffed::WebP => ImageFormat::WebP,
        };
        let format = decode::sniff(bytes).expect("the decoder refuses what download-media accepts");
        assert_eq!(format, expected);
    }

    let header = decode::dimensions(bytes);
    let decoded = decode::decode(bytes);
    if let Ok((w, h)) = header
        && u64::from(w) * u64::from(h) > MAX_PIXELS
    {
        assert!(decoded.is_err(), "{w} × {h} decoded past the pixel limit");
    }
    if let Ok(decoded) = decoded {
        let (w, h) = decoded.image.dimensions();
        assert!(w > 0 && h > 0);
        assert!(w <= MAX_SIDE && h <= MAX_SIDE, "{w} × {h}");
        assert!(u64::from(w) * u64::from(h) <= MAX_PIXELS, "{w} × {h}");
        let (hw, hh) = header.expect("a decoded image has a readable header");
        assert!(
            (w, h) == (hw, hh) || (w, h) == (hh, hw),
            "{w} × {h} from a {hw} × {hh} header"
        );
        assert_eq!(Ok(decoded.format), decode::sniff(bytes).map_err(|_| ()));
    }
});
