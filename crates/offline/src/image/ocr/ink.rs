//! Where the ink is in a line's crop: which columns hold text and which are blank.
//!
//! PP-OCR's recogniser often reads two words as one ("World2024"), but the blank columns
//! between them are still in the image: a run of blank columns much wider than the gaps between
//! letters is a space. The same columns tighten each word's box to its ink.
//!
//! The crop is split into ink and background with Otsu's threshold over its middle rows; the
//! background is the side the margins above and below the line fall on (dark text on a light
//! ground or light on dark alike).

use image::{GrayImage, RgbImage};

/// Which columns of a line's crop hold ink (`true`). `tall` is the crop with margins above and
/// below it, `rows` the crop's own rows within it. Ink and background are told apart with Otsu's
/// threshold over the middle 80% of the crop's rows (clear of what neighbouring lines leave at
/// its edges); the background is the side most of the margins' pixels fall on, or, when the
/// margins cannot tell, the side with more pixels. Every column counts as ink when the crop is
/// too uniform to tell.
pub fn columns(tall: &RgbImage, rows: std::ops::Range<u32>) -> Vec<bool> {
    let (w, h) = tall.dimensions();
    let gray: GrayImage = image::imageops::grayscale(tall);
    let (start, end) = (rows.start.min(h), rows.end.min(h));
    let inset = (end.saturating_sub(start)) / 10;
    let (top, bottom) = (start + inset, end.saturating_sub(inset).max(start + inset));
    if w == 0 || top >= bottom {
        return vec![true; w as usize];
    }
    let band = image::imageops::crop_imm(&gray, 0, top, w, bottom - top).to_image();
    let level = imageproc::contrast::otsu_level(&band);
    let dark = band.pixels().filter(|p| p.0[0] <= level).count();
    let light = band.pixels().count() - dark;
    if dark == 0 || light == 0 {
        return vec![true; w as usize];
    }
    let margins = gray
        .rows()
        .enumerate()
        .filter(|(y, _)| (*y as u32) < start || (*y as u32) >= end)
        .flat_map(|(_, row)| row);
    let (mut margin_dark, mut margin_all) = (0usize, 0usize);
    for p in margins {
        margin_all += 1;
        margin_dark += usize::from(p.0[0] <= level);
    }
    let dark_share = margin_dark as f64 / margin_all.max(1) as f64;
    let ink_is_dark = match margin_all {
        0 => dark <= light,
        _ if dark_share >= 0.65 => false,
        _ if dark_share <= 0.35 => true,
        _ => dark <= light,
    };
    (0..band.width())
        .map(|x| {
            (0..band.height()).any(|y| {
                let v = band.get_pixel(x, y).0[0];
                if ink_is_dark { v <= level } else { v > level }
            })
        })
        .collect()
}

/// The widest run of blank columns that reaches into `from..to` (crop pixels), whole, as
/// `(start, end)`; `None` when every column there holds ink. (A recogniser column sits near, not
/// at, its character's middle, so the gap after a narrow letter can run past the next one's.)
pub fn widest_gap(ink: &[bool], from: f64, to: f64) -> Option<(f64, f64)> {
    let (from, to) = clamp_range(ink.len(), from, to);
    let mut best: Option<(usize, usize)> = None;
    let mut x = 0;
    while x < ink.len() {
        if ink[x] {
            x += 1;
            continue;
        }
        let start = x;
        while x < ink.len() && !ink[x] {
            x += 1;
        }
        let reaches_in = start < to && x > from;
        if reaches_in && best.is_none_or(|(bs, be)| x - start > be - bs) {
            best = Some((start, x));
        }
    }
    best.map(|(s, e)| (s as f64, e as f64))
}

/// The first and one past the last ink column within `from..to`; `None` when all are blank.
pub fn extent(ink: &[bool], from: f64, to: f64) -> Option<(f64, f64)> {
    let (from, to) = clamp_range(ink.len(), from, to);
    let first = (from..to).find(|&x| ink[x])?;
    let last = (from..to).rev().find(|&x| ink[x])?;
    Some((first as f64, (last + 1) as f64))
}

/// `from..to` as whole columns within `0..len` (`from` rounded up, `to` down).
fn clamp_range(len: usize, from: f64, to: f64) -> (usize, usize) {
    let clamp = |v: f64| {
        if v.is_nan() {
            0
        } else {
            (v.max(0.0) as usize).min(len)
        }
    };
    let (from, to) = (clamp(from.ceil()), clamp(to.floor()));
    (from, to.max(from))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crop with 2 margin rows above and below and text in columns 3–5 and 12–13.
    fn crop(ink: [u8; 3], paper: [u8; 3], bold: bool) -> RgbImage {
        RgbImage::from_fn(20, 14, |x, y| {
            let text = if bold {
                !(6..12).contains(&x)
            } else {
                (3..6).contains(&x) || (12..14).contains(&x)
            };
            image::Rgb(if text && (2..12).contains(&y) {
                ink
            } else {
                paper
            })
        })
    }

    #[test]
    fn dark_text_on_light_and_light_on_dark_both_mark_the_text_columns() {
        for (ink, paper) in [([0, 0, 0], [255, 255, 255]), ([250, 250, 0], [0, 0, 90])] {
            let columns = columns(&crop(ink, paper, false), 2..12);
            let marked: Vec<usize> = (0..20).filter(|&x| columns[x]).collect();
            assert_eq!(marked, [3, 4, 5, 12, 13]);
        }
    }

    #[test]
    fn text_covering_most_of_a_tight_crop_is_still_told_from_its_background() {
        // Text in 14 of 20 columns: more text than background between the margins.
        let columns = columns(&crop([250, 250, 0], [0, 0, 90], true), 2..12);
        let blank: Vec<usize> = (0..20).filter(|&x| !columns[x]).collect();
        assert_eq!(blank, [6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn a_uniform_crop_is_all_ink() {
        assert!(columns(&RgbImage::new(5, 5), 1..4).iter().all(|c| *c));
        assert!(columns(&RgbImage::new(0, 0), 0..0).is_empty());
        assert_eq!(columns(&crop([0; 3], [255; 3], false), 5..5).len(), 20);
    }

    #[test]
    fn the_widest_gap_and_the_extent_stay_within_the_range() {
        //          0  1  2  3  4  5  6  7  8  9
        let ink = [
            true, false, true, true, false, false, false, true, false, false,
        ];
        assert_eq!(widest_gap(&ink, 0.0, 10.0), Some((4.0, 7.0)));
        // Runs reaching into the range count whole.
        assert_eq!(widest_gap(&ink, 0.5, 5.5), Some((4.0, 7.0)));
        assert_eq!(widest_gap(&ink, 0.5, 2.5), Some((1.0, 2.0)));
        assert_eq!(widest_gap(&ink, 2.0, 4.0), None);
        assert_eq!(widest_gap(&ink, 8.0, 99.0), Some((8.0, 10.0)));
        assert_eq!(extent(&ink, 1.0, 7.0), Some((2.0, 4.0)));
        assert_eq!(extent(&ink, 4.0, 7.0), None);
        assert_eq!(extent(&ink, -5.0, f64::NAN), None);
        assert_eq!(extent(&[], 0.0, 5.0), None);
    }
}
