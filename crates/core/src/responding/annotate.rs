//! Drawing on a photo: a box around each celebrity's face with the name next to it, and unknown
//! faces left alone, boxed or blurred. Pure pixel work on an upright [`RgbImage`]; reading,
//! decoding and encoding are [`super::reply_image`]'s.
//!
//! Legible on any background: every line is the box colour with a one-pixel dark edge on both
//! sides, and a name is dark text on a filled label of the box colour. Sizes follow the image (the
//! stroke about 1/250 and the text about 1/24 of the shorter side, within limits), and a label stays
//! inside the image: above the face when there is room, else below it, else inside the box's top;
//! moved left at the right edge; shrunk, then cut with `…`, when wider than the image.

use std::sync::LazyLock;

use ab_glyph::{FontRef, PxScale};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_text_mut, text_size};
use imageproc::rect::Rect;
use starling_contracts::BoundingBox;

/// The embedded face names are written in: DejaVu Sans Bold cut down to the Latin, Greek and
/// Cyrillic scripts (`crates/core/assets/fonts/`, rebuilt by its `subset.sh`; Bitstream Vera
/// licence).
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold-subset.ttf");

static FONT: LazyLock<Result<FontRef<'static>, String>> = LazyLock::new(|| {
    FontRef::try_from_slice(FONT_BYTES).map_err(|e| format!("embedded font does not load: {e}"))
});

/// A celebrity's box and label background: a saturated yellow, bright on dark photos and set off
/// from light ones by its dark edges.
pub const CELEBRITY_COLOUR: Rgb<u8> = Rgb([255, 204, 0]);
/// An unknown face's box: cyan, so it is never mistaken for a named one.
pub const UNKNOWN_COLOUR: Rgb<u8> = Rgb([0, 200, 255]);
/// The edge around every line and the label text.
pub const EDGE_COLOUR: Rgb<u8> = Rgb([16, 16, 16]);

/// What to do with faces Rekognition found but did not recognise (`UNKNOWN_FACES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownFaces {
    /// Leave them as they are (the default).
    #[default]
    Ignore,
    /// A box in [`UNKNOWN_COLOUR`], without a name.
    Box,
    /// Blur the face.
    Blur,
}

impl std::str::FromStr for UnknownFaces {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "ignore" => Ok(Self::Ignore),
            "box" => Ok(Self::Box),
            "blur" => Ok(Self::Blur),
            other => Err(format!("{other:?} is not ignore, box or blur")),
        }
    }
}

/// A face to mark on the image.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A recognised celebrity: boxed and named.
    Celebrity {
        /// Where the face is (ratios of the upright image).
        bounding_box: BoundingBox,
        /// The name written next to it.
        name: String,
    },
    /// A face nobody was recognised in: boxed without a name, or blurred.
    Unknown {
        /// Where the face is.
        bounding_box: BoundingBox,
        /// Box or blur ([`UnknownFaces::Ignore`] marks are skipped).
        treatment: UnknownFaces,
    },
}

/// A box in pixels, inside the image: `[left, right) × [top, bottom)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelBox {
    /// First column.
    pub left: u32,
    /// First row.
    pub top: u32,
    /// One past the last column.
    pub right: u32,
    /// One past the last row.
    pub bottom: u32,
}

impl PixelBox {
    /// The box Rekognition's ratios describe in a `width × height` image, clamped to it; `None`
    /// when nothing of it is inside (or the ratios are not numbers).
    pub fn from_ratios(b: &BoundingBox, width: u32, height: u32) -> Option<Self> {
        let (w, h) = (f64::from(width), f64::from(height));
        let clamp = |v: f64, max: f64| {
            if v.is_finite() {
                v.clamp(0.0, max)
            } else {
                f64::NAN
            }
        };
        let left = clamp(b.left * w, w);
        let top = clamp(b.top * h, h);
        let right = clamp((b.left + b.width) * w, w);
        let bottom = clamp((b.top + b.height) * h, h);
        if [left, top, right, bottom].iter().any(|v| v.is_nan()) {
            return None;
        }
        let (left, top) = (left.floor() as u32, top.floor() as u32);
        let (right, bottom) = (right.ceil() as u32, bottom.ceil() as u32);
        (right > left && bottom > top).then_some(Self {
            left,
            top,
            right,
            bottom,
        })
    }

    fn width(&self) -> u32 {
        self.right - self.left
    }

    fn height(&self) -> u32 {
        self.bottom - self.top
    }

    fn rect(&self) -> Rect {
        Rect::at(self.left as i32, self.top as i32).of_size(self.width(), self.height())
    }
}

/// Sizes derived from the image, so a 400-pixel and a 4000-pixel photo look alike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// The coloured line's width.
    pub stroke: u32,
    /// The text's pixel height.
    pub text_px: f32,
    /// Space between the text and the label's edge.
    pub padding: u32,
}

impl Style {
    /// The style for a `width × height` image.
    pub fn for_image(width: u32, height: u32) -> Self {
        let short = f64::from(width.min(height));
        Self {
            stroke: ((short / 250.0).round() as u32).clamp(2, 12),
            text_px: (short / 24.0).clamp(12.0, 96.0) as f32,
            padding: ((short / 160.0).round() as u32).clamp(2, 16),
        }
    }
}

/// Where a label went and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// The filled background, inside the image.
    pub area: PixelBox,
    /// The text written (the name, or its cut form).
    pub text: String,
}

/// What [`annotate`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drawn {
    /// Boxes drawn (celebrities and unknown faces), as drawn.
    pub boxes: Vec<PixelBox>,
    /// Names written.
    pub labels: Vec<Label>,
    /// Faces blurred.
    pub blurred: Vec<PixelBox>,
    /// How many of `boxes` are unknown faces.
    pub unknown_boxes: usize,
}

impl Drawn {
    /// Whether anything changed on the image.
    pub fn anything(&self) -> bool {
        !(self.boxes.is_empty() && self.blurred.is_empty())
    }
}

/// Why nothing could be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AnnotateError(pub String);

/// Draws `marks` on `image`: blurs first (so a box next to a blurred face stays sharp), then boxes,
/// then names on top. Marks whose box falls outside the image are skipped.
pub fn annotate(image: &mut RgbImage, marks: &[Mark]) -> Result<Drawn, AnnotateError> {
    let font = FONT.as_ref().map_err(|e| AnnotateError(e.clone()))?;
    let (width, height) = image.dimensions();
    let style = Style::for_image(width, height);
    let mut drawn = Drawn::default();
    for mark in marks {
        if let Mark::Unknown {
            bounding_box,
            treatment: UnknownFaces::Blur,
        } = mark
            && let Some(b) = PixelBox::from_ratios(bounding_box, width, height)
        {
            blur(image, b);
            drawn.blurred.push(b);
        }
    }
    let mut names = Vec::new();
    for mark in marks {
        let (bounding_box, colour, name) = match mark {
            Mark::Celebrity { bounding_box, name } => {
                (bounding_box, CELEBRITY_COLOUR, Some(name.as_str()))
            }
            Mark::Unknown {
                bounding_box,
                treatment: UnknownFaces::Box,
            } => (bounding_box, UNKNOWN_COLOUR, None),
            Mark::Unknown { .. } => continue,
        };
        let Some(b) = PixelBox::from_ratios(bounding_box, width, height) else {
            continue;
        };
        draw_box(image, b, colour, style.stroke);
        drawn.boxes.push(b);
        if name.is_none() {
            drawn.unknown_boxes += 1;
        }
        if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
            names.push((b, name.trim()));
        }
    }
    for (b, name) in names {
        if let Some(label) = draw_label(image, font, &style, b, name) {
            drawn.labels.push(label);
        }
    }
    Ok(drawn)
}

/// A box of `stroke` pixels in `colour` just outside the face's box (so it never covers the face),
/// edged with one dark pixel on each side: the inner one on the face box's border.
fn draw_box(image: &mut RgbImage, b: PixelBox, colour: Rgb<u8>, stroke: u32) {
    let (width, height) = image.dimensions();
    // Grow outward by the stroke (and an edge pixel), kept inside the image.
    let grow = |v: u32, by: u32| v.saturating_sub(by);
    let outer = |v: u32, by: u32, max: u32| (v + by).min(max);
    let ring = |image: &mut RgbImage, out: u32, thickness: u32, colour: Rgb<u8>| {
        let o = PixelBox {
            left: grow(b.left, out),
            top: grow(b.top, out),
            right: outer(b.right, out, width),
            bottom: outer(b.bottom, out, height),
        };
        for t in 0..thickness {
            let r = PixelBox {
                left: o.left + t,
                top: o.top + t,
                right: o.right.saturating_sub(t),
                bottom: o.bottom.saturating_sub(t),
            };
            if r.right <= r.left || r.bottom <= r.top {
                break; // a tiny face squeezed against an edge: the line is already solid
            }
            imageproc::drawing::draw_hollow_rect_mut(image, r.rect(), colour);
        }
    };
    // Outside to inside: dark edge, the coloured line, dark edge on the face's border.
    ring(image, stroke + 1, 1, EDGE_COLOUR);
    ring(image, stroke, stroke, colour);
    ring(image, 0, 1, EDGE_COLOUR);
}

/// The name on a filled label next to the box `b`, kept inside the image.
fn draw_label(
    image: &mut RgbImage,
    font: &FontRef<'static>,
    style: &Style,
    b: PixelBox,
    name: &str,
) -> Option<Label> {
    let (width, height) = image.dimensions();
    let pad = style.padding;
    let max_text_width = width.saturating_sub(2 * pad);
    // Shrink to fit the width (down to two thirds), then cut the name with an ellipsis.
    let mut px = style.text_px;
    let mut text = name.to_string();
    let mut size = text_size(PxScale::from(px), font, &text);
    while size.0 > max_text_width && px > style.text_px * 2.0 / 3.0 {
        px = (px * 0.9).max(style.text_px * 2.0 / 3.0);
        size = text_size(PxScale::from(px), font, &text);
    }
    let mut chars: Vec<char> = name.chars().collect();
    while size.0 > max_text_width && !chars.is_empty() {
        chars.pop();
        text = format!("{}…", chars.iter().collect::<String>().trim_end());
        size = text_size(PxScale::from(px), font, &text);
    }
    if size.0 > max_text_width {
        return None; // the image is narrower than one character
    }
    // Line height from the font's metrics, so every label of an image has the same height.
    let line = text_size(PxScale::from(px), font, "Ágjy").1.max(size.1);
    let label_w = size.0 + 2 * pad;
    let label_h = line + 2 * pad;
    if label_h > height {
        return None;
    }
    let gap = style.stroke + 1;
    let top = if b.top >= label_h + gap {
        b.top - label_h - gap // above the face
    } else if b.bottom + gap + label_h <= height {
        b.bottom + gap // below it
    } else {
        b.top.min(height - label_h) // inside the box's top
    };
    let left = b.left.saturating_sub(gap).min(width - label_w);
    let area = PixelBox {
        left,
        top,
        right: left + label_w,
        bottom: top + label_h,
    };
    draw_filled_rect_mut(image, area.rect(), EDGE_COLOUR);
    let inner = PixelBox {
        left: area.left + 1,
        top: area.top + 1,
        right: area.right - 1,
        bottom: area.bottom - 1,
    };
    draw_filled_rect_mut(image, inner.rect(), CELEBRITY_COLOUR);
    draw_text_mut(
        image,
        EDGE_COLOUR,
        (area.left + pad) as i32,
        (area.top + pad) as i32,
        PxScale::from(px),
        font,
        &text,
    );
    Some(Label { area, text })
}

/// Blurs the face so it cannot be recognised: a Gaussian blur whose radius grows with the face.
fn blur(image: &mut RgbImage, b: PixelBox) {
    let face = image::imageops::crop_imm(image, b.left, b.top, b.width(), b.height()).to_image();
    let sigma = (b.width().max(b.height()) as f32 / 6.0).max(2.0);
    let blurred = imageproc::filter::gaussian_blur_f32(&face, sigma);
    image::imageops::replace(image, &blurred, i64::from(b.left), i64::from(b.top));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn bbox(left: f64, top: f64, width: f64, height: f64) -> BoundingBox {
        BoundingBox {
            width,
            height,
            left,
            top,
        }
    }

    /// A photo-like background: a smooth gradient, so every pixel differs from the box colours.
    fn canvas(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            Rgb([
                (40 + x * 150 / width) as u8,
                (60 + y * 120 / height) as u8,
                ((x + y) % 97 + 80) as u8,
            ])
        })
    }

    fn celebrity(b: BoundingBox, name: &str) -> Mark {
        Mark::Celebrity {
            bounding_box: b,
            name: name.into(),
        }
    }

    #[test]
    fn the_font_has_latin_greek_and_cyrillic_names_and_the_ellipsis() {
        use ab_glyph::Font;
        let font = FONT.as_ref().unwrap();
        for name in [
            "Ada Lovelace",
            "Łukasz Żółć",
            "Nguyễn Thị Định",
            "Ólafur Ragnar Grímsson",
            "Çağlar Söyüncü",
            "Νίκος Καζαντζάκης",
            "Дмитрий Шостакович",
            "Ярослава Магучіх",
            "Bjørn Dæhlie…",
        ] {
            for c in name.chars().filter(|c| !c.is_whitespace()) {
                assert_ne!(font.glyph_id(c).0, 0, "no glyph for {c:?} in {name}");
            }
        }
        // What the cut dropped, so the test can tell a kept script from a missing one.
        assert_eq!(font.glyph_id('ש').0, 0, "Hebrew is not in the subset");
    }

    #[test]
    fn the_box_is_drawn_on_its_edges_and_nothing_far_away_changes() {
        let original = canvas(800, 600);
        let mut image = original.clone();
        let drawn = annotate(
            &mut image,
            &[celebrity(bbox(0.25, 0.4, 0.2, 0.3), "Ada Lovelace")],
        )
        .unwrap();
        let b = PixelBox::from_ratios(&bbox(0.25, 0.4, 0.2, 0.3), 800, 600).unwrap();
        assert_eq!(
            b,
            PixelBox {
                left: 200,
                top: 240,
                right: 360,
                bottom: 420
            }
        );
        assert_eq!(drawn.boxes, vec![b]);
        let stroke = Style::for_image(800, 600).stroke;
        // The coloured line runs just outside the face box, on all four sides.
        let mid_x = (b.left + b.right) / 2;
        let mid_y = (b.top + b.bottom) / 2;
        for (x, y) in [
            (b.left - 2, mid_y),
            (b.right + 1, mid_y),
            (mid_x, b.bottom + 1),
            (mid_x, b.top - 2),
        ] {
            assert_eq!(*image.get_pixel(x, y), CELEBRITY_COLOUR, "({x}, {y})");
        }
        // The dark edges on either side of it.
        assert_eq!(*image.get_pixel(b.left, mid_y), EDGE_COLOUR);
        assert_eq!(*image.get_pixel(b.left - stroke - 1, mid_y), EDGE_COLOUR);
        // The face itself is untouched inside the box's edge.
        assert_eq!(
            image.get_pixel(mid_x, mid_y),
            original.get_pixel(mid_x, mid_y)
        );
        // The label sits above the face, inside the image, and was written on.
        let label = &drawn.labels[0];
        assert_eq!(label.text, "Ada Lovelace");
        assert!(label.area.bottom <= b.top, "{label:?}");
        assert!(label.area.right <= 800 && label.area.left >= b.left - stroke - 1);
        let mut text_pixels = 0;
        let mut fill_pixels = 0;
        for y in label.area.top + 1..label.area.bottom - 1 {
            for x in label.area.left + 1..label.area.right - 1 {
                let p = *image.get_pixel(x, y);
                if p == CELEBRITY_COLOUR {
                    fill_pixels += 1;
                } else if p[0] < 128 {
                    text_pixels += 1;
                }
            }
        }
        assert!(
            text_pixels > 100 && fill_pixels > text_pixels,
            "{text_pixels} {fill_pixels}"
        );
        // Every pixel away from the box and the label is exactly the original.
        let margin = stroke + 2;
        let near = |x: u32, y: u32, a: &PixelBox| {
            x + margin >= a.left
                && x < a.right + margin
                && y + margin >= a.top
                && y < a.bottom + margin
        };
        for (x, y, p) in image.enumerate_pixels() {
            if !near(x, y, &b) && !near(x, y, &label.area) {
                assert_eq!(p, original.get_pixel(x, y), "({x}, {y}) changed");
            }
        }
    }

    #[test]
    fn labels_stay_inside_the_image_at_every_edge() {
        for (b, below) in [
            (bbox(0.0, 0.0, 0.2, 0.2), true), // top-left corner: no room above
            (bbox(0.85, 0.01, 0.15, 0.2), true), // top-right: pushed left, below
            (bbox(0.9, 0.7, 0.1, 0.3), false), // bottom-right: above
            (bbox(0.0, 0.0, 1.0, 1.0), false), // the whole image: inside the box
        ] {
            let mut image = canvas(400, 300);
            let drawn = annotate(&mut image, &[celebrity(b, "Someone With A Long Name")]).unwrap();
            let label = &drawn.labels[0];
            assert!(
                label.area.right <= 400 && label.area.bottom <= 300,
                "{b:?} {label:?}"
            );
            let face = drawn.boxes[0];
            if below {
                assert!(label.area.top >= face.bottom, "{b:?} {label:?}");
            }
        }
    }

    #[test]
    fn a_name_wider_than_the_image_is_cut_with_an_ellipsis() {
        let mut image = canvas(120, 200);
        let drawn = annotate(
            &mut image,
            &[celebrity(
                bbox(0.3, 0.4, 0.3, 0.2),
                "Maria Salomea Skłodowska-Curie",
            )],
        )
        .unwrap();
        let label = &drawn.labels[0];
        assert!(label.text.ends_with('…'), "{label:?}");
        assert!(label.area.right <= 120);
    }

    #[test]
    fn unknown_faces_are_boxed_in_their_own_colour_without_a_name_or_blurred() {
        let original = canvas(600, 400);
        let face = bbox(0.4, 0.3, 0.2, 0.3);
        let b = PixelBox::from_ratios(&face, 600, 400).unwrap();

        let mut boxed = original.clone();
        let drawn = annotate(
            &mut boxed,
            &[Mark::Unknown {
                bounding_box: face,
                treatment: UnknownFaces::Box,
            }],
        )
        .unwrap();
        assert!(drawn.labels.is_empty());
        assert_eq!(
            *boxed.get_pixel(b.left - 2, (b.top + b.bottom) / 2),
            UNKNOWN_COLOUR
        );

        let mut blurred = original.clone();
        let drawn = annotate(
            &mut blurred,
            &[Mark::Unknown {
                bounding_box: face,
                treatment: UnknownFaces::Blur,
            }],
        )
        .unwrap();
        assert_eq!(drawn.blurred, vec![b]);
        assert!(drawn.boxes.is_empty());
        let changed = (b.left..b.right)
            .flat_map(|x| (b.top..b.bottom).map(move |y| (x, y)))
            .filter(|&(x, y)| blurred.get_pixel(x, y) != original.get_pixel(x, y))
            .count();
        assert!(changed > (b.width() * b.height()) as usize / 2, "{changed}");
        assert_eq!(blurred.get_pixel(5, 5), original.get_pixel(5, 5));

        let mut ignored = original.clone();
        let drawn = annotate(
            &mut ignored,
            &[Mark::Unknown {
                bounding_box: face,
                treatment: UnknownFaces::Ignore,
            }],
        )
        .unwrap();
        assert!(!drawn.anything());
        assert_eq!(ignored, original);
    }

    #[test]
    fn boxes_outside_the_image_or_not_numbers_are_skipped() {
        let mut image = canvas(100, 100);
        let original = image.clone();
        let drawn = annotate(
            &mut image,
            &[
                celebrity(bbox(1.5, 0.2, 0.2, 0.2), "Off"),
                celebrity(bbox(f64::NAN, 0.2, 0.2, 0.2), "NaN"),
                celebrity(bbox(0.2, 0.2, 0.0, 0.2), "Empty"),
            ],
        )
        .unwrap();
        assert!(!drawn.anything());
        assert_eq!(image, original);
    }

    #[test]
    fn sizes_follow_the_image() {
        let small = Style::for_image(400, 300);
        let large = Style::for_image(4000, 3000);
        assert!(large.stroke > small.stroke && large.text_px > small.text_px);
        assert_eq!(Style::for_image(10, 10).stroke, 2);
    }

    #[test]
    fn unknown_faces_setting_parses() {
        assert_eq!("blur".parse(), Ok(UnknownFaces::Blur));
        assert_eq!(" Box ".parse(), Ok(UnknownFaces::Box));
        assert_eq!("".parse(), Ok(UnknownFaces::Ignore));
        assert!(
            "hide"
                .parse::<UnknownFaces>()
                .unwrap_err()
                .contains("ignore, box or blur")
        );
    }
}
