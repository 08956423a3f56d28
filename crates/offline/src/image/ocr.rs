//! Text in images, offline: PaddleOCR's PP-OCRv4 models (as RapidOCR packages them) run with
//! `tract`, answering in the shape of Rekognition's `DetectText`.
//!
//! The pipeline is PP-OCR's, with RapidOCR's settings:
//!
//! 1. **detect** — DBNet gives a text-probability map of the image scaled so its shorter side is
//!    at least [`DET_MIN_SIDE`] (its longer side at most [`DET_MAX_SIDE`]), sides rounded to
//!    multiples of 32; [`db`] turns the map into rotated line boxes.
//! 2. **crop** — each box is cut out upright (any angle; boxes at least 1.5 times taller than
//!    wide are turned a quarter, as vertical lines).
//! 3. **orient** — the direction classifier turns crops it is sure are upside down (label
//!    `180`, score above [`CLS_THRESHOLD`]); a line that still reads poorly (below
//!    [`RETRY_BELOW`]) is read turned around as well, and the more confident reading kept.
//! 4. **recognise** — the SVTR recogniser reads each crop at height 48; [`ctc`] decodes it into
//!    characters with their columns, and a line is kept when its mean character confidence reaches
//!    [`TEXT_SCORE`].
//! 5. **words** — a line splits into words at the spaces the recogniser reads and at blank gaps
//!    in the crop ([`ink`]) clearly wider than its usual gap between letters: PP-OCR often drops
//!    the space between words ("World2024"). A word's box runs from the gap before it to the gap
//!    after it, narrowed to its ink, mapped back through the crop; it spans the line's height.
//!
//! Each line is recognised alone, at its own width rounded up to a bucket (multiples of 64 from
//! 320 to 1280, then of 320 up to [`REC_MAX_WIDTH`]): no padding wasted on a batch's widest line,
//! and few distinct shapes for tract to prepare.
//!
//! The recogniser is PP-OCR's Chinese + English one (6,623 characters): it reads English, digits
//! and punctuation well and Chinese too. Results are ratios of the image, as Rekognition's.

pub mod ctc;
pub mod db;
pub mod ink;

use std::sync::OnceLock;

use image::RgbImage;
use image::imageops::{self, FilterType};
use starling_contracts::{BoundingBox, Geometry, TextDetection};

use crate::onnx::OnnxModel;
use db::{Point, Quad};

/// The provider named in text results.
pub const OCR_PROVIDER: &str = "starling-offline/pp-ocrv4";

/// Images are first scaled down to this longest side: text too small to read at this size is
/// too small to matter, and it bounds the memory and time one image can take.
pub const MAX_SIDE: u32 = 4096;
/// The detector sees the image with its shorter side scaled up to at least this (`limit_side_len`,
/// `limit_type: min`).
pub const DET_MIN_SIDE: f64 = 736.0;
/// …and its longer side scaled down to at most this.
pub const DET_MAX_SIDE: f64 = 2000.0;
/// A crop is turned upside down when the classifier says `180` with more than this.
pub const CLS_THRESHOLD: f32 = 0.9;
/// A line is kept when its characters' mean confidence reaches this (`text_score`).
pub const TEXT_SCORE: f32 = 0.5;
/// The recogniser's input height.
pub const REC_HEIGHT: u32 = 48;
/// The recogniser's narrowest input (PP-OCR's training width, 320).
pub const REC_MIN_WIDTH: usize = 320;
/// The recogniser's widest input; longer lines are squeezed into it.
pub const REC_MAX_WIDTH: usize = 3200;
/// A crop this many times taller than wide is a vertical line and is turned a quarter.
pub const VERTICAL_RATIO: f64 = 1.5;
/// A blank gap between two characters is a space when it is at least this many times the line's
/// height…
pub const WORD_GAP_HEIGHT: f64 = 0.15;
/// …and this many times the line's usual gap between letters.
pub const WORD_GAP_LETTERS: f64 = 2.0;
/// …and, in a line where the recogniser read spaces, at least this share of the narrowest of them.
pub const SPACE_SHARE: f64 = 0.5;
/// A line read with less confidence than this is read turned around too.
pub const RETRY_BELOW: f32 = 0.8;

const CLS_WIDTH: u32 = 192;
/// Where the ink is is judged on the crop with this share of its height added above and below:
/// those margins show the background.
const INK_MARGIN: f64 = 0.3;

pub(crate) static DET: OnnxModel = OnnxModel::new(
    "ocr-det (ch_PP-OCRv4_det_infer)",
    include_bytes!("../../models/ocr/ch_PP-OCRv4_det_infer.onnx"),
);
pub(crate) static REC: OnnxModel = OnnxModel::new(
    "ocr-rec (ch_PP-OCRv4_rec_infer)",
    include_bytes!("../../models/ocr/ch_PP-OCRv4_rec_infer.onnx"),
);
pub(crate) static CLS: OnnxModel = OnnxModel::new(
    "ocr-cls (ch_ppocr_mobile_v2.0_cls_infer)",
    include_bytes!("../../models/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx"),
);

/// The recogniser's characters, from its metadata (one per line).
fn charset() -> Result<&'static [String], String> {
    static CHARSET: OnceLock<Result<Vec<String>, String>> = OnceLock::new();
    CHARSET
        .get_or_init(|| {
            REC.metadata("character")
                .map(|s| s.lines().map(str::to_string).collect())
        })
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The text in `image`, as Rekognition's `DetectText` lists it: every `LINE` first (ids from 0,
/// top to bottom, then left to right), then every `WORD` with its line's id as `ParentId`.
/// Boxes are ratios of the image; confidences 0–100.
///
/// CPU-bound (about a second for a megapixel image): call it from a blocking thread. An image
/// with no text, or too small to hold any, gives an empty list; an error means a model failed.
pub fn detect_text(image: &RgbImage) -> Result<Vec<TextDetection>, String> {
    let lines = read_lines(image)?;
    Ok(detections(&lines, image.width(), image.height()))
}

/// A recognised line in image pixels.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    text: String,
    confidence: f32,
    bounds: (f64, f64, f64, f64),
    words: Vec<LineWord>,
}

#[derive(Debug, Clone, PartialEq)]
struct LineWord {
    text: String,
    confidence: f32,
    bounds: (f64, f64, f64, f64),
}

/// The recognised lines of `image`, in reading order, with boxes in its pixels.
fn read_lines(image: &RgbImage) -> Result<Vec<Line>, String> {
    let (width, height) = image.dimensions();
    if width < 2 || height < 2 {
        return Ok(Vec::new());
    }
    // Work on a copy no larger than MAX_SIDE; boxes are scaled back at the end.
    let scale = f64::from(MAX_SIDE) / f64::from(width.max(height));
    let resized;
    let (work, back) = if scale < 1.0 {
        let w = ((f64::from(width) * scale).round() as u32).max(1);
        let h = ((f64::from(height) * scale).round() as u32).max(1);
        resized = resize(image, w, h);
        (&resized, f64::from(width) / f64::from(w))
    } else {
        (image, 1.0)
    };

    let charset = charset()?;
    let mut lines = Vec::new();
    let quads = detect_boxes(work)?;
    for quad in quads {
        let mut frame = Frame::from_quad(&quad);
        let mut crop = frame.sample(work);
        if f64::from(crop.height()) >= VERTICAL_RATIO * f64::from(crop.width()) {
            crop = imageops::rotate270(&crop);
            frame = frame.turned_left();
        }
        if upside_down(&crop)? {
            crop = imageops::rotate180(&crop);
            frame = frame.turned_around();
        }
        let mut line = read_crop(work, &crop, &frame, charset, back)?;
        // The classifier misses some upside-down lines; one that reads poorly is read turned
        // around too, and the more confident reading kept.
        if line.as_ref().is_none_or(|l| l.confidence < RETRY_BELOW) {
            let turned = read_crop(
                work,
                &imageops::rotate180(&crop),
                &frame.turned_around(),
                charset,
                back,
            )?;
            if turned.as_ref().map_or(0.0, |l| l.confidence)
                > line.as_ref().map_or(0.0, |l| l.confidence)
            {
                line = turned;
            }
        }
        lines.extend(line.filter(|l| l.confidence >= TEXT_SCORE));
    }
    reading_order(&mut lines);
    Ok(lines)
}

/// Reads one upright crop of `work` (see [`recognise`]), with the ink around it.
fn read_crop(
    work: &RgbImage,
    crop: &RgbImage,
    frame: &Frame,
    charset: &[String],
    back: f64,
) -> Result<Option<Line>, String> {
    let (tall, rows) = frame.with_margins(INK_MARGIN);
    let ink = ink::columns(&tall.sample(work), rows);
    recognise(crop, frame, &ink, charset, back)
}

/// The detector's line boxes in `image`'s pixels.
fn detect_boxes(image: &RgbImage) -> Result<Vec<Quad>, String> {
    let (width, height) = image.dimensions();
    let (w, h) = (f64::from(width), f64::from(height));
    let mut ratio = if w.min(h) < DET_MIN_SIDE {
        DET_MIN_SIDE / w.min(h)
    } else {
        1.0
    };
    if w.max(h) * ratio > DET_MAX_SIDE {
        ratio = DET_MAX_SIDE / w.max(h);
    }
    let round32 = |v: f64| (((v * ratio / 32.0).round() as u32).max(1) * 32).min(2048);
    let (dw, dh) = (round32(w), round32(h));
    let scaled = resize(image, dw, dh);
    let (dw, dh) = (dw as usize, dh as usize);
    let mut input = vec![0.0f32; 3 * dw * dh];
    write_bgr_chw(&scaled, &mut input, dw);
    let outputs = DET.run(&[1, 3, dh, dw], &input)?;
    let prob = outputs
        .first()
        .filter(|o| o.values.len() == dw * dh)
        .ok_or_else(|| format!("{}: expected a {dw}×{dh} probability map", DET.name()))?;
    let (sx, sy) = (w / dw as f64, h / dh as f64);
    let b = db::boxes(&prob.values, dw, dh);
    Ok(b.into_iter()
        .map(|b| b.quad.scaled(sx, sy))
        .filter(|q| q.width() > 3.0 && q.height() > 3.0)
        .collect())
}

/// Writes `image` as BGR planes scaled to −1…1 (`(px / 255 − 0.5) / 0.5`) into `out`, an
/// NCHW tensor of `3 × image height × row` values; columns past the image's width stay as they
/// are (zero padding).
fn write_bgr_chw(image: &RgbImage, out: &mut [f32], row: usize) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let plane = h * row;
    let cols = w.min(row);
    if w == 0 || out.len() < 3 * plane {
        return;
    }
    let scaled: [f32; 256] = std::array::from_fn(|v| v as f32 / 127.5 - 1.0);
    let (b, rest) = out.split_at_mut(plane);
    let (g, r) = rest.split_at_mut(plane);
    for (y, src) in image.as_raw().chunks_exact(3 * w).take(h).enumerate() {
        let at = y * row..y * row + cols;
        let planes = b[at.clone()]
            .iter_mut()
            .zip(&mut g[at.clone()])
            .zip(&mut r[at]);
        for (((b, g), r), px) in planes.zip(src.chunks_exact(3)) {
            *b = scaled[usize::from(px[2])];
            *g = scaled[usize::from(px[1])];
            *r = scaled[usize::from(px[0])];
        }
    }
}

/// How a crop's pixels map into the image: crop pixel `(x, y)` is at `origin + x·u + y·v`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Frame {
    origin: Point,
    u: Point,
    v: Point,
    width: u32,
    height: u32,
}

/// Crops are sampled with their shorter side at most this many pixels (the recogniser reads
/// them at 48; more is wasted).
const CROP_MAX_THICKNESS: f64 = 4.0 * REC_HEIGHT as f64;

impl Frame {
    /// The upright crop of `quad`, at most [`CROP_MAX_THICKNESS`] pixels thick.
    fn from_quad(quad: &Quad) -> Frame {
        let [tl, tr, _, bl] = quad.0;
        let (qw, qh) = (quad.width(), quad.height());
        let scale = (CROP_MAX_THICKNESS / qw.min(qh).max(1.0)).min(1.0);
        let width = ((qw * scale).round() as u32).clamp(1, 8 * MAX_SIDE);
        let height = ((qh * scale).round() as u32).clamp(1, 8 * MAX_SIDE);
        Frame {
            origin: tl,
            u: [
                (tr[0] - tl[0]) / f64::from(width),
                (tr[1] - tl[1]) / f64::from(width),
            ],
            v: [
                (bl[0] - tl[0]) / f64::from(height),
                (bl[1] - tl[1]) / f64::from(height),
            ],
            width,
            height,
        }
    }

    /// The image position of crop position `(x, y)` (continuous: pixel `i` spans `i..i + 1`).
    fn at(&self, x: f64, y: f64) -> Point {
        [
            self.origin[0] + x * self.u[0] + y * self.v[0],
            self.origin[1] + x * self.u[1] + y * self.v[1],
        ]
    }

    /// The frame of the crop turned a quarter anticlockwise (`imageops::rotate270`).
    fn turned_left(&self) -> Frame {
        Frame {
            origin: self.at(f64::from(self.width), 0.0),
            u: self.v,
            v: [-self.u[0], -self.u[1]],
            width: self.height,
            height: self.width,
        }
    }

    /// The frame of the crop turned upside down (`imageops::rotate180`).
    fn turned_around(&self) -> Frame {
        Frame {
            origin: self.at(f64::from(self.width), f64::from(self.height)),
            u: [-self.u[0], -self.u[1]],
            v: [-self.v[0], -self.v[1]],
            width: self.width,
            height: self.height,
        }
    }

    /// The frame with `fraction` of its height added above and below, and the rows of the
    /// original within it.
    fn with_margins(&self, fraction: f64) -> (Frame, std::ops::Range<u32>) {
        let margin = (f64::from(self.height) * fraction)
            .round()
            .clamp(1.0, f64::from(MAX_SIDE)) as u32;
        let tall = Frame {
            origin: self.at(0.0, -f64::from(margin)),
            height: self.height.saturating_add(2 * margin),
            ..*self
        };
        (tall, margin..margin.saturating_add(self.height))
    }

    /// The axis-aligned box, in image pixels, of the crop's columns `x0..x1` (all its rows).
    fn bounds(&self, x0: f64, x1: f64) -> (f64, f64, f64, f64) {
        let h = f64::from(self.height);
        Quad([
            self.at(x0, 0.0),
            self.at(x1, 0.0),
            self.at(x1, h),
            self.at(x0, h),
        ])
        .bounds()
    }

    /// The crop cut out of `image` with bilinear sampling; positions outside the image take the
    /// nearest edge pixel.
    fn sample(&self, image: &RgbImage) -> RgbImage {
        let (iw, ih) = (image.width(), image.height());
        RgbImage::from_fn(self.width, self.height, |x, y| {
            let [px, py] = self.at(f64::from(x) + 0.5, f64::from(y) + 0.5);
            bilinear(image, px - 0.5, py - 0.5, iw, ih)
        })
    }
}

fn bilinear(image: &RgbImage, x: f64, y: f64, w: u32, h: u32) -> image::Rgb<u8> {
    let max_x = f64::from(w.saturating_sub(1));
    let max_y = f64::from(h.saturating_sub(1));
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let (x, y) = (finite(x).clamp(0.0, max_x), finite(y).clamp(0.0, max_y));
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = (
        (x0 + 1).min(w.saturating_sub(1)),
        (y0 + 1).min(h.saturating_sub(1)),
    );
    let (fx, fy) = (x - f64::from(x0), y - f64::from(y0));
    let p = |x, y| image.get_pixel_checked(x, y).map_or([0, 0, 0], |p| p.0);
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    image::Rgb(std::array::from_fn(|i| {
        let top = f64::from(a[i]) * (1.0 - fx) + f64::from(b[i]) * fx;
        let bottom = f64::from(c[i]) * (1.0 - fx) + f64::from(d[i]) * fx;
        (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8
    }))
}

/// `image` resized to `width × height` (triangle filter). Through `DynamicImage`, whose code is
/// compiled in the `image` crate (optimised even in debug builds), unlike the generic
/// `imageops::resize`, which would be compiled here.
fn resize(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    image::DynamicImage::ImageRgb8(image.clone())
        .resize_exact(width, height, FilterType::Triangle)
        .into_rgb8()
}

/// The crop scaled to height 48, keeping its aspect ratio within `max_width`; and its width.
fn to_rec_height(crop: &RgbImage, max_width: usize) -> (RgbImage, usize) {
    let ratio = f64::from(crop.width()) / f64::from(crop.height().max(1));
    let width = ((f64::from(REC_HEIGHT) * ratio).ceil() as usize).clamp(1, max_width.max(1));
    let resized = resize(crop, width as u32, REC_HEIGHT);
    (resized, width)
}

/// Whether the direction classifier is sure the crop is upside down.
fn upside_down(crop: &RgbImage) -> Result<bool, String> {
    let (resized, _) = to_rec_height(crop, CLS_WIDTH as usize);
    let row = CLS_WIDTH as usize;
    let mut input = vec![0.0f32; 3 * REC_HEIGHT as usize * row];
    write_bgr_chw(&resized, &mut input, row);
    let outputs = CLS.run(&[1, 3, REC_HEIGHT as usize, row], &input)?;
    let scores = outputs
        .first()
        .filter(|o| o.values.len() == 2)
        .ok_or_else(|| format!("{}: expected 2 scores", CLS.name()))?;
    Ok(scores.values[1] > scores.values[0] && scores.values[1] > CLS_THRESHOLD)
}

/// The recogniser's input width for a crop `ratio` times wider than tall: multiples of 64 from
/// 320 to 1280, then of 320 up to [`REC_MAX_WIDTH`].
fn rec_width(ratio: f64) -> usize {
    let needed = (f64::from(REC_HEIGHT) * ratio).ceil().max(1.0) as usize;
    if needed <= 1280 {
        needed.max(REC_MIN_WIDTH).div_ceil(64) * 64
    } else {
        (needed.div_ceil(320) * 320).min(REC_MAX_WIDTH)
    }
}

/// Reads one upright crop; `None` when it holds no characters. `ink` says which of the crop's
/// columns hold ink ([`ink::columns`]); `back` scales the frame's (work image) pixels to the caller's image.
fn recognise(
    crop: &RgbImage,
    frame: &Frame,
    ink: &[bool],
    charset: &[String],
    back: f64,
) -> Result<Option<Line>, String> {
    let row = rec_width(f64::from(crop.width()) / f64::from(crop.height().max(1)));
    let (resized, used) = to_rec_height(crop, row);
    let mut input = vec![0.0f32; 3 * REC_HEIGHT as usize * row];
    write_bgr_chw(&resized, &mut input, row);
    let outputs = REC.run(&[1, 3, REC_HEIGHT as usize, row], &input)?;
    let out = outputs
        .first()
        .filter(|o| o.shape.len() == 3 && o.shape[1] > 0 && o.shape[2] > 0)
        .ok_or_else(|| format!("{}: expected [1, columns, classes]", REC.name()))?;
    let (columns, classes) = (out.shape[1], out.shape[2]);
    let chars = ctc::decode(&out.values, columns, classes, charset);
    if chars.is_empty() {
        return Ok(None);
    }
    let confidence = chars.iter().map(|c| c.confidence).sum::<f32>() / chars.len() as f32;
    // Column → crop pixels: each column spans row/columns input pixels; the crop was scaled
    // from its width to `used` input pixels.
    let to_crop = (row as f64 / columns as f64) * f64::from(frame.width) / used as f64;
    let centre = |c: &ctc::Char| (f64::from(c.centre()) + 0.5) * to_crop;
    let gap = |a: &ctc::Char, b: &ctc::Char| {
        ink::widest_gap(ink, centre(a), centre(b)).map_or(0.0, |(s, e)| e - s)
    };
    // A space is a gap clearly wider than the line's usual gap between letters.
    let mut letter_gaps: Vec<f64> = chars
        .windows(2)
        .filter(|w| !w[0].is_space() && !w[1].is_space())
        .map(|w| gap(&w[0], &w[1]))
        .collect();
    letter_gaps.sort_by(f64::total_cmp);
    let usual = letter_gaps
        .get(letter_gaps.len() / 2)
        .copied()
        .unwrap_or(0.0);
    let mut min_gap = (WORD_GAP_HEIGHT * f64::from(crop.height())).max(WORD_GAP_LETTERS * usual);
    // Where the recogniser did read spaces in this line, they say how wide a space is here: a
    // gap under half the narrowest of them is letter spacing, not a lost space.
    let space_min = chars
        .windows(2)
        .filter(|w| !w[0].is_space() && w[1].is_space())
        .map(|w| gap(&w[0], &w[1]))
        .filter(|g| *g > 0.0)
        .min_by(f64::total_cmp);
    if let Some(space) = space_min {
        min_gap = min_gap.max(SPACE_SHARE * space);
    }
    let found = ctc::words(&chars, |a, b| gap(a, b) >= min_gap);
    let pitch = ctc::typical_pitch(&chars)
        .map_or(f64::from(crop.height()) / 2.0, |p| f64::from(p) * to_crop);
    let spans = word_spans(&found, ink, to_crop, pitch);
    let scale_back =
        |(x0, y0, x1, y1): (f64, f64, f64, f64)| (x0 * back, y0 * back, x1 * back, y1 * back);
    let words: Vec<LineWord> = found
        .into_iter()
        .zip(spans)
        .map(|(w, (x0, x1))| LineWord {
            text: w.text,
            confidence: w.confidence,
            bounds: scale_back(frame.bounds(x0, x1)),
        })
        .collect();
    if words.is_empty() {
        return Ok(None);
    }
    Ok(Some(Line {
        text: words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        confidence,
        bounds: scale_back(frame.bounds(0.0, f64::from(frame.width))),
        words,
    }))
}

/// Each word's span across its crop, in crop pixels: from the blank gap before it to the one
/// after it (or a character `pitch` beyond its outer characters at the line's ends), narrowed to
/// the ink inside. `to_crop` turns recogniser columns into crop pixels.
fn word_spans(words: &[ctc::Word], ink: &[bool], to_crop: f64, pitch: f64) -> Vec<(f64, f64)> {
    let width = ink.len() as f64;
    let first = |w: &ctc::Word| (w.first as f64 + 0.5) * to_crop;
    let last = |w: &ctc::Word| (w.last as f64 + 0.5) * to_crop;
    // Where each boundary between neighbouring words lies: the widest gap, else halfway.
    let boundaries: Vec<(f64, f64)> = words
        .windows(2)
        .map(|pair| {
            let (a, b) = (last(&pair[0]), first(&pair[1]));
            ink::widest_gap(ink, a, b).unwrap_or(((a + b) / 2.0, (a + b) / 2.0))
        })
        .collect();
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let left = match i.checked_sub(1).and_then(|j| boundaries.get(j)) {
                Some((_, end)) => *end,
                None => first(w) - pitch,
            };
            let right = boundaries
                .get(i)
                .map_or(last(w) + pitch, |(start, _)| *start);
            let (left, right) = (left.clamp(0.0, width), right.clamp(0.0, width));
            ink::extent(ink, left, right).unwrap_or((left, right.max(left)))
        })
        .collect()
}

/// Sorts lines top to bottom, and left to right where two lines share a row (their tops closer
/// than half the shorter one's height), as RapidOCR's `sorted_boxes` does.
fn reading_order(lines: &mut [Line]) {
    lines.sort_by(|a, b| {
        a.bounds
            .1
            .total_cmp(&b.bounds.1)
            .then(a.bounds.0.total_cmp(&b.bounds.0))
    });
    for i in 1..lines.len() {
        let mut j = i;
        while j > 0 {
            let (a, b) = (&lines[j - 1].bounds, &lines[j].bounds);
            let tolerance = (a.3 - a.1).min(b.3 - b.1) / 2.0;
            if (b.1 - a.1).abs() < tolerance && b.0 < a.0 {
                lines.swap(j - 1, j);
                j -= 1;
            } else {
                break;
            }
        }
    }
}

/// The lines as Rekognition's detections: lines first, then words, boxes as ratios of the
/// `width × height` image.
fn detections(lines: &[Line], width: u32, height: u32) -> Vec<TextDetection> {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let geometry = |(x0, y0, x1, y1): (f64, f64, f64, f64)| {
        let left = (x0 / w).clamp(0.0, 1.0);
        let top = (y0 / h).clamp(0.0, 1.0);
        Some(Geometry {
            bounding_box: BoundingBox {
                left,
                top,
                width: ((x1 / w).clamp(0.0, 1.0) - left).max(0.0),
                height: ((y1 / h).clamp(0.0, 1.0) - top).max(0.0),
            },
        })
    };
    let percent = |c: f32| (f64::from(c) * 100.0).clamp(0.0, 100.0);
    let mut out: Vec<TextDetection> = lines
        .iter()
        .zip(0..)
        .map(|(line, id)| TextDetection {
            detected_text: line.text.clone(),
            kind: "LINE".into(),
            id,
            parent_id: None,
            confidence: percent(line.confidence),
            geometry: geometry(line.bounds),
        })
        .collect();
    let mut next = out.len() as i64;
    for (line, parent) in lines.iter().zip(0..) {
        for word in &line.words {
            out.push(TextDetection {
                detected_text: word.text.clone(),
                kind: "WORD".into(),
                id: next,
                parent_id: Some(parent),
                confidence: percent(word.confidence),
                geometry: geometry(word.bounds),
            });
            next += 1;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn line(text: &str, bounds: (f64, f64, f64, f64)) -> Line {
        Line {
            text: text.into(),
            confidence: 0.9,
            bounds,
            words: text
                .split(' ')
                .map(|w| LineWord {
                    text: w.into(),
                    confidence: 0.8,
                    bounds,
                })
                .collect(),
        }
    }

    #[test]
    fn rec_widths_fall_into_few_buckets() {
        assert_eq!(rec_width(0.5), 320);
        assert_eq!(rec_width(320.0 / 48.0), 320);
        assert_eq!(rec_width(7.0), 384); // 336 → 384
        assert_eq!(rec_width(1280.0 / 48.0), 1280);
        assert_eq!(rec_width(1300.0 / 48.0), 1600);
        assert_eq!(rec_width(1000.0), REC_MAX_WIDTH);
        let buckets: std::collections::BTreeSet<usize> =
            (1..2000).map(|i| rec_width(f64::from(i) / 20.0)).collect();
        assert!(buckets.len() <= 22, "{buckets:?}");
    }

    #[test]
    fn a_frame_maps_crop_pixels_onto_the_box() {
        let quad = Quad([[10.0, 20.0], [110.0, 20.0], [110.0, 40.0], [10.0, 40.0]]);
        let frame = Frame::from_quad(&quad);
        assert_eq!((frame.width, frame.height), (100, 20));
        assert_eq!(frame.at(0.0, 0.0), [10.0, 20.0]);
        assert_eq!(frame.at(100.0, 20.0), [110.0, 40.0]);
        assert_eq!(frame.bounds(25.0, 50.0), (35.0, 20.0, 60.0, 40.0));
    }

    #[test]
    fn a_thick_box_is_sampled_at_most_crop_max_thickness_pixels_thick() {
        let quad = Quad([[0.0, 0.0], [2000.0, 0.0], [2000.0, 400.0], [0.0, 400.0]]);
        let frame = Frame::from_quad(&quad);
        assert_eq!(frame.height as f64, CROP_MAX_THICKNESS);
        assert_eq!(frame.width, 960);
        let [x, y] = frame.at(960.0, 192.0);
        assert!(
            (x - 2000.0).abs() < 1e-9 && (y - 400.0).abs() < 1e-9,
            "{x} {y}"
        );
    }

    #[test]
    fn turning_a_frame_keeps_every_crop_pixel_on_its_image_point() {
        let quad = Quad([[10.0, 20.0], [40.0, 20.0], [40.0, 100.0], [10.0, 100.0]]);
        let frame = Frame::from_quad(&quad);
        let image = RgbImage::from_fn(60, 120, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let crop = frame.sample(&image);
        for (turned, frame) in [
            (imageops::rotate270(&crop), frame.turned_left()),
            (imageops::rotate180(&crop), frame.turned_around()),
            (
                imageops::rotate180(&imageops::rotate270(&crop)),
                frame.turned_left().turned_around(),
            ),
        ] {
            assert_eq!(
                (turned.width(), turned.height()),
                (frame.width, frame.height)
            );
            for (x, y, px) in turned.enumerate_pixels() {
                let [ix, iy] = frame.at(f64::from(x) + 0.5, f64::from(y) + 0.5);
                // The image encodes its own coordinates: pixel (x, y) holds (x, y).
                assert!(
                    (f64::from(px.0[0]) - (ix - 0.5)).abs() <= 0.5,
                    "{x},{y}: {px:?} vs {ix}"
                );
                assert!(
                    (f64::from(px.0[1]) - (iy - 0.5)).abs() <= 0.5,
                    "{x},{y}: {px:?} vs {iy}"
                );
            }
        }
    }

    #[test]
    fn a_turned_frame_maps_a_word_onto_the_right_part_of_a_vertical_box() {
        // A box 20 wide and 100 tall; turned left (text reading downwards), crop column 0 is the
        // top of the box and crop row 0 its right edge.
        let quad = Quad([[0.0, 0.0], [20.0, 0.0], [20.0, 100.0], [0.0, 100.0]]);
        let frame = Frame::from_quad(&quad).turned_left();
        assert_eq!((frame.width, frame.height), (100, 20));
        let (x0, y0, x1, y1) = frame.bounds(0.0, 30.0);
        assert!((x0 - 0.0).abs() < 1e-9 && (x1 - 20.0).abs() < 1e-9);
        assert!(
            (y0 - 0.0).abs() < 1e-9 && (y1 - 30.0).abs() < 1e-9,
            "{y0} {y1}"
        );
        assert_eq!(frame.at(0.0, 0.0), [20.0, 0.0]);
    }

    #[test]
    fn bgr_planes_are_scaled_to_minus_one_one_and_padded() {
        let image = RgbImage::from_fn(2, 1, |x, _| {
            if x == 0 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let mut out = vec![9.0f32; 3 * 3];
        write_bgr_chw(&image, &mut out, 3);
        // B plane, G plane, R plane; the third column is left alone.
        assert_eq!(out, vec![-1.0, 1.0, 9.0, -1.0, -1.0, 9.0, 1.0, -1.0, 9.0]);
    }

    #[test]
    fn bilinear_sampling_clamps_to_the_edges() {
        let image = RgbImage::from_fn(2, 2, |x, y| {
            image::Rgb([(x * 100) as u8, (y * 100) as u8, 7])
        });
        assert_eq!(bilinear(&image, 0.5, 0.5, 2, 2).0, [50, 50, 7]);
        assert_eq!(bilinear(&image, -10.0, 99.0, 2, 2).0, [0, 100, 7]);
        assert_eq!(bilinear(&image, f64::NAN, 0.0, 2, 2).0[2], 7);
    }

    #[test]
    fn word_spans_run_from_gap_to_gap_narrowed_to_the_ink() {
        // Ink in columns 10..30 and 45..60 of 80; recogniser columns are 8 pixels wide.
        let ink: Vec<bool> = (0..80)
            .map(|x| (10..30).contains(&x) || (45..60).contains(&x))
            .collect();
        let word = |first, last| ctc::Word {
            text: "w".into(),
            confidence: 0.9,
            first,
            last,
        };
        let spans = word_spans(&[word(1, 3), word(6, 7)], &ink, 8.0, 8.0);
        assert_eq!(spans, [(10.0, 30.0), (45.0, 60.0)]);
        // Without ink to go by (all columns inked), words meet halfway and end a pitch out.
        let spans = word_spans(&[word(1, 3), word(6, 7)], &[true; 80], 8.0, 8.0);
        assert_eq!(spans, [(4.0, 40.0), (40.0, 68.0)]);
        assert!(word_spans(&[], &ink, 8.0, 8.0).is_empty());
    }

    #[test]
    fn lines_read_top_to_bottom_then_left_to_right() {
        let mut lines = vec![
            line("below", (0.0, 100.0, 50.0, 120.0)),
            line("right", (200.0, 12.0, 300.0, 32.0)),
            line("left", (0.0, 15.0, 100.0, 35.0)),
        ];
        reading_order(&mut lines);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["left", "right", "below"]);
    }

    #[test]
    fn detections_list_lines_then_words_with_their_parents_as_ratios() {
        let lines = vec![
            line("hello world", (10.0, 20.0, 110.0, 40.0)),
            line("again", (-5.0, 50.0, 250.0, 70.0)),
        ];
        let found = detections(&lines, 200, 100);
        let kinds: Vec<(&str, i64, Option<i64>)> = found
            .iter()
            .map(|d| (d.kind.as_str(), d.id, d.parent_id))
            .collect();
        assert_eq!(
            kinds,
            [
                ("LINE", 0, None),
                ("LINE", 1, None),
                ("WORD", 2, Some(0)),
                ("WORD", 3, Some(0)),
                ("WORD", 4, Some(1))
            ]
        );
        assert_eq!(found[2].detected_text, "hello");
        assert!(
            (found[0].confidence - 90.0).abs() < 1e-4 && (found[2].confidence - 80.0).abs() < 1e-4
        );
        let b = found[0].geometry.as_ref().unwrap().bounding_box;
        assert_eq!((b.left, b.top, b.width, b.height), (0.05, 0.2, 0.5, 0.2));
        // Boxes past the image are clamped to it.
        let b = found[1].geometry.as_ref().unwrap().bounding_box;
        assert_eq!((b.left, b.width), (0.0, 1.0));
    }

    #[test]
    fn an_empty_or_tiny_image_has_no_text() {
        assert!(detect_text(&RgbImage::new(0, 0)).unwrap().is_empty());
        assert!(detect_text(&RgbImage::new(1, 300)).unwrap().is_empty());
    }
}
