//! Draws the sign `starling demo` posts as its second photo (`crates/local/demo/sign.jpg`), so
//! the demo shows text read from an image: `cargo run -p starling-offline --example demo_sign --
//! crates/local/demo/sign.jpg`. Our own drawing (DejaVu Sans Bold), slightly turned and grainy as
//! a photo of a sign would be.

use ab_glyph::{FontRef, PxScale};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_text_mut};
use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};
use imageproc::rect::Rect;

const FONT: &[u8] = include_bytes!("../../core/assets/fonts/DejaVuSans-Bold-subset.ttf");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: demo_sign OUT.jpg")?;
    let font = FontRef::try_from_slice(FONT)?;
    let (green, cream) = (Rgb([45u8, 74, 62]), Rgb([244u8, 241, 232]));
    let mut img = RgbImage::from_pixel(1024, 576, green);
    draw_filled_rect_mut(&mut img, Rect::at(56, 64).of_size(912, 448), cream);
    for (y, size, text) in [
        (130, 76.0, "STARLING CAFE"),
        (260, 50.0, "Open daily 9:30 to 17:00"),
        (360, 42.0, "Free coffee for robots"),
    ] {
        draw_text_mut(&mut img, green, 104, y, PxScale::from(size), &font, text);
    }
    let mut img = rotate_about_center(
        &img,
        0.035,
        Interpolation::Bilinear,
        Border::Constant(green),
    );
    // Grain: a fixed pseudo-random sequence, so the file is the same on every run.
    let mut state: u32 = 0x2545_f491;
    for p in img.pixels_mut() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 25) as i16 - 12;
        for c in p.0.iter_mut() {
            *c = (i16::from(*c) + noise).clamp(0, 255) as u8;
        }
    }
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 88).encode_image(&img)?;
    std::fs::write(&out, bytes)?;
    println!("wrote {out}");
    Ok(())
}
