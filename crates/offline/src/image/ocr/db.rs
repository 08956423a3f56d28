//! DBNet's post-processing (PaddleOCR's `DBPostProcess`, as RapidOCR configures it): the
//! detector's probability map becomes text boxes.
//!
//! The map is thresholded, dilated by a 2×2 square, and every outer contour's smallest rotated
//! rectangle is kept when it is at least [`MIN_SIZE`] pixels thick and the map's mean probability
//! inside it reaches [`BOX_THRESHOLD`]. DB is trained on text regions shrunk towards their
//! centre, so each kept rectangle is grown back ("unclipped") by `area × UNCLIP_RATIO /
//! perimeter` on every side — the offset pyclipper makes for a rectangle with round joins.
//!
//! Written here because there is no OpenCV or pyclipper: contours come from `imageproc`; the
//! hull, the rotated rectangle and the offset are small enough to write out.

use image::GrayImage;
use imageproc::contours::{BorderType, find_contours};

/// A map pixel is text when its probability is above this (`thresh`).
pub const THRESHOLD: f32 = 0.3;
/// A box is kept when the mean probability inside it reaches this (`box_thresh`).
pub const BOX_THRESHOLD: f32 = 0.5;
/// How far a box is grown back: `area × ratio / perimeter` (`unclip_ratio`).
pub const UNCLIP_RATIO: f64 = 1.6;
/// A box thinner than this, in map pixels, is noise (`min_size`).
pub const MIN_SIZE: f64 = 3.0;
/// At most this many regions are looked at (`max_candidates`).
pub const MAX_CANDIDATES: usize = 1000;

/// A point, `[x, y]`.
pub type Point = [f64; 2];

/// A rotated rectangle's corners: top-left, top-right, bottom-right, bottom-left, where "top-left"
/// is the reading start of a line: the width runs along the side nearest to horizontal, left to
/// right, and the height downwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quad(pub [Point; 4]);

impl Quad {
    /// The length of the top side (the text's width).
    pub fn width(&self) -> f64 {
        distance(self.0[0], self.0[1])
    }

    /// The length of the left side (the text's height).
    pub fn height(&self) -> f64 {
        distance(self.0[0], self.0[3])
    }

    /// Every corner scaled by `sx` horizontally and `sy` vertically.
    pub fn scaled(&self, sx: f64, sy: f64) -> Quad {
        Quad(self.0.map(|[x, y]| [x * sx, y * sy]))
    }

    /// The axis-aligned box around the corners: `(min_x, min_y, max_x, max_y)`.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        self.0.iter().fold(
            (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
            |(x0, y0, x1, y1), [x, y]| (x0.min(*x), y0.min(*y), x1.max(*x), y1.max(*y)),
        )
    }
}

fn distance(a: Point, b: Point) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// A detected text region in map pixels, with the map's mean probability inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    /// The grown-back rectangle.
    pub quad: Quad,
    /// The mean probability inside the detector's (shrunk) rectangle, 0–1.
    pub score: f32,
}

/// The text boxes in a `width × height` probability map (row-major), in map pixels.
pub fn boxes(prob: &[f32], width: usize, height: usize) -> Vec<TextBox> {
    if width == 0 || height == 0 || prob.len() < width * height {
        return Vec::new();
    }
    let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) else {
        return Vec::new();
    };
    // A 2×2 dilation anchored at its bottom-right pixel, as OpenCV's `dilate` does it: a pixel
    // is set when it or its left, upper or upper-left neighbour is text.
    let mut pixels = vec![0u8; width * height];
    let mut above = vec![false; width];
    for (row, out) in prob.chunks_exact(width).zip(pixels.chunks_exact_mut(width)) {
        let mut left = false;
        for ((p, up), o) in row.iter().zip(above.iter_mut()).zip(out.iter_mut()) {
            let here = *p > THRESHOLD;
            let column = here || *up;
            if column || left {
                *o = 255;
            }
            left = column;
            *up = here;
        }
    }
    let Some(bitmap) = GrayImage::from_raw(w, h, pixels) else {
        return Vec::new();
    };
    find_contours::<i32>(&bitmap)
        .into_iter()
        .filter(|c| c.border_type == BorderType::Outer)
        .take(MAX_CANDIDATES)
        .filter_map(|contour| {
            let points: Vec<Point> = contour
                .points
                .iter()
                .map(|p| [f64::from(p.x), f64::from(p.y)])
                .collect();
            let rect = min_area_rect(&points)?;
            if rect.width().min(rect.height()) < MIN_SIZE {
                return None;
            }
            let score = mean_inside(prob, width, height, &rect);
            if score < BOX_THRESHOLD {
                return None;
            }
            let quad = unclip(&rect, UNCLIP_RATIO);
            (quad.width().min(quad.height()) >= MIN_SIZE + 2.0).then_some(TextBox { quad, score })
        })
        .collect()
}

/// The convex hull of `points`, counter-clockwise in image coordinates (Andrew's monotone chain);
/// collinear points are dropped.
pub fn convex_hull(points: &[Point]) -> Vec<Point> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    sorted.dedup();
    if sorted.len() < 3 {
        return sorted;
    }
    let cross = |o: Point, a: Point, b: Point| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut hull: Vec<Point> = Vec::with_capacity(sorted.len() * 2);
    for pass in [
        &sorted[..],
        &sorted.iter().rev().copied().collect::<Vec<_>>()[..],
    ] {
        let start = hull.len();
        for &p in pass {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop(); // the last point of one chain is the first of the other
    }
    hull
}

/// The smallest rectangle, at any angle, around `points` (rotating calipers over the hull's
/// edges); `None` when the points do not span an area.
pub fn min_area_rect(points: &[Point]) -> Option<Quad> {
    let hull = convex_hull(points);
    if hull.len() < 3 {
        return None;
    }
    let mut best: Option<(f64, Point, Point, [f64; 4])> = None;
    for (i, a) in hull.iter().enumerate() {
        let b = hull[(i + 1) % hull.len()];
        let length = distance(*a, b);
        if length == 0.0 {
            continue;
        }
        let e = [(b[0] - a[0]) / length, (b[1] - a[1]) / length];
        let n = [-e[1], e[0]];
        let mut extent = [f64::MAX, f64::MIN, f64::MAX, f64::MIN];
        for p in &hull {
            let (pe, pn) = (p[0] * e[0] + p[1] * e[1], p[0] * n[0] + p[1] * n[1]);
            extent = [
                extent[0].min(pe),
                extent[1].max(pe),
                extent[2].min(pn),
                extent[3].max(pn),
            ];
        }
        let area = (extent[1] - extent[0]) * (extent[3] - extent[2]);
        if best.is_none_or(|(best_area, ..)| area < best_area) {
            best = Some((area, e, n, extent));
        }
    }
    let (_, e, n, [e0, e1, n0, n1]) = best?;
    let centre = [
        e[0] * (e0 + e1) / 2.0 + n[0] * (n0 + n1) / 2.0,
        e[1] * (e0 + e1) / 2.0 + n[1] * (n0 + n1) / 2.0,
    ];
    Some(oriented(centre, e, e1 - e0, n1 - n0))
}

/// The rectangle centred on `centre` with sides `length_e` along the unit vector `e` and
/// `length_n` across it, its corners ordered as a [`Quad`]'s: the width runs along whichever axis
/// points most to the right.
fn oriented(centre: Point, e: Point, length_e: f64, length_n: f64) -> Quad {
    let n = [-e[1], e[0]];
    let candidates = [
        (e, length_e, length_n),
        ([-e[0], -e[1]], length_e, length_n),
        (n, length_n, length_e),
        ([-n[0], -n[1]], length_n, length_e),
    ];
    let (ex, width, height) =
        candidates.into_iter().fold(
            candidates[0],
            |best, c| if c.0[0] > best.0[0] { c } else { best },
        );
    // Down is the x axis turned a quarter clockwise on screen (y grows downwards).
    let ey = [-ex[1], ex[0]];
    let corner = |sx: f64, sy: f64| {
        [
            centre[0] + ex[0] * width / 2.0 * sx + ey[0] * height / 2.0 * sy,
            centre[1] + ex[1] * width / 2.0 * sx + ey[1] * height / 2.0 * sy,
        ]
    };
    Quad([
        corner(-1.0, -1.0),
        corner(1.0, -1.0),
        corner(1.0, 1.0),
        corner(-1.0, 1.0),
    ])
}

/// The rectangle grown by `area × ratio / perimeter` on every side.
pub fn unclip(rect: &Quad, ratio: f64) -> Quad {
    let (w, h) = (rect.width(), rect.height());
    let perimeter = 2.0 * (w + h);
    if perimeter <= 0.0 {
        return *rect;
    }
    let d = w * h * ratio / perimeter;
    let [tl, tr, _, bl] = rect.0;
    let ex = [
        (tr[0] - tl[0]) / w.max(f64::MIN_POSITIVE),
        (tr[1] - tl[1]) / w.max(f64::MIN_POSITIVE),
    ];
    let ey = [
        (bl[0] - tl[0]) / h.max(f64::MIN_POSITIVE),
        (bl[1] - tl[1]) / h.max(f64::MIN_POSITIVE),
    ];
    let centre = [
        (rect.0[0][0] + rect.0[2][0]) / 2.0,
        (rect.0[0][1] + rect.0[2][1]) / 2.0,
    ];
    let (w2, h2) = (w / 2.0 + d, h / 2.0 + d);
    let corner = |sx: f64, sy: f64| {
        [
            centre[0] + ex[0] * w2 * sx + ey[0] * h2 * sy,
            centre[1] + ex[1] * w2 * sx + ey[1] * h2 * sy,
        ]
    };
    Quad([
        corner(-1.0, -1.0),
        corner(1.0, -1.0),
        corner(1.0, 1.0),
        corner(-1.0, 1.0),
    ])
}

/// The map's mean probability over the pixels inside `quad` (DB's "fast" score); 0 when no
/// pixel is inside.
pub fn mean_inside(prob: &[f32], width: usize, height: usize, quad: &Quad) -> f32 {
    let (x0, y0, x1, y1) = quad.bounds();
    let clamp = |v: f64, max: usize| (v.max(0.0) as usize).min(max.saturating_sub(1));
    let (x0, x1) = (clamp(x0.floor(), width), clamp(x1.ceil(), width));
    let (y0, y1) = (clamp(y0.floor(), height), clamp(y1.ceil(), height));
    let (mut sum, mut count) = (0.0f64, 0u64);
    for y in y0..=y1 {
        for x in x0..=x1 {
            if !contains(quad, [x as f64, y as f64]) {
                continue;
            }
            if let Some(p) = prob.get(y * width + x) {
                sum += f64::from(*p);
                count += 1;
            }
        }
    }
    if count == 0 {
        0.0
    } else {
        (sum / count as f64) as f32
    }
}

/// Whether `p` is inside the convex `quad` or within half a pixel of its edges (a pixel a drawn
/// polygon's edge passes through counts as inside, as with OpenCV's `fillPoly`).
fn contains(quad: &Quad, p: Point) -> bool {
    (0..4).all(|i| {
        let (a, b) = (quad.0[i], quad.0[(i + 1) % 4]);
        let length = distance(a, b);
        if length == 0.0 {
            return true;
        }
        // Signed distance of p to the edge a→b; the corners go clockwise on screen, so inside is
        // on the non-negative side.
        let cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
        cross / length >= -0.5
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn close(a: Point, b: Point) -> bool {
        (a[0] - b[0]).abs() < 1e-6 && (a[1] - b[1]).abs() < 1e-6
    }

    #[test]
    fn hull_of_a_square_with_inner_points_is_its_corners() {
        let mut points = vec![
            [0.0, 0.0],
            [4.0, 0.0],
            [4.0, 4.0],
            [0.0, 4.0],
            [2.0, 2.0],
            [1.0, 3.0],
            [2.0, 0.0],
        ];
        points.reverse();
        let mut hull = convex_hull(&points);
        hull.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        assert_eq!(hull, vec![[0.0, 0.0], [0.0, 4.0], [4.0, 0.0], [4.0, 4.0]]);
    }

    #[test]
    fn an_axis_aligned_rectangle_is_its_own_smallest_rectangle() {
        let points = [
            [10.0, 20.0],
            [110.0, 20.0],
            [110.0, 50.0],
            [10.0, 50.0],
            [60.0, 35.0],
        ];
        let quad = min_area_rect(&points).unwrap();
        assert!(close(quad.0[0], [10.0, 20.0]), "{quad:?}");
        assert!(close(quad.0[1], [110.0, 20.0]), "{quad:?}");
        assert!(close(quad.0[2], [110.0, 50.0]), "{quad:?}");
        assert!(close(quad.0[3], [10.0, 50.0]), "{quad:?}");
        assert!((quad.width() - 100.0).abs() < 1e-9 && (quad.height() - 30.0).abs() < 1e-9);
    }

    #[test]
    fn a_tilted_rectangle_keeps_its_width_along_the_text() {
        // 100 × 20 rotated by 30° about the origin.
        let (s, c) = 30f64.to_radians().sin_cos();
        let rot = |x: f64, y: f64| [x * c - y * s, x * s + y * c];
        let points = [
            rot(0.0, 0.0),
            rot(100.0, 0.0),
            rot(100.0, 20.0),
            rot(0.0, 20.0),
            rot(50.0, 10.0),
        ];
        let quad = min_area_rect(&points).unwrap();
        assert!((quad.width() - 100.0).abs() < 1e-6, "{quad:?}");
        assert!((quad.height() - 20.0).abs() < 1e-6, "{quad:?}");
        assert!(close(quad.0[0], rot(0.0, 0.0)), "{quad:?}");
        assert!(close(quad.0[2], rot(100.0, 20.0)), "{quad:?}");
    }

    #[test]
    fn a_tall_rectangle_keeps_its_width_horizontal() {
        let points = [[0.0, 0.0], [10.0, 0.0], [10.0, 80.0], [0.0, 80.0]];
        let quad = min_area_rect(&points).unwrap();
        assert!(
            close(quad.0[0], [0.0, 0.0]) && close(quad.0[2], [10.0, 80.0]),
            "{quad:?}"
        );
        assert!((quad.width() - 10.0).abs() < 1e-9 && (quad.height() - 80.0).abs() < 1e-9);
    }

    #[test]
    fn collinear_or_too_few_points_make_no_rectangle() {
        assert_eq!(min_area_rect(&[]), None);
        assert_eq!(min_area_rect(&[[1.0, 1.0]]), None);
        assert_eq!(
            min_area_rect(&[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]),
            None
        );
    }

    #[test]
    fn unclip_grows_every_side_by_area_times_ratio_over_perimeter() {
        let rect = Quad([[0.0, 0.0], [100.0, 0.0], [100.0, 20.0], [0.0, 20.0]]);
        // 2000 × 1.5 / 240 = 12.5
        let grown = unclip(&rect, 1.5);
        assert!(close(grown.0[0], [-12.5, -12.5]), "{grown:?}");
        assert!(close(grown.0[2], [112.5, 32.5]), "{grown:?}");
    }

    #[test]
    fn mean_inside_counts_only_the_pixels_in_the_box() {
        let (w, h) = (10, 10);
        let mut prob = vec![0.0f32; w * h];
        for y in 2..=4 {
            for x in 2..=6 {
                prob[y * w + x] = 1.0;
            }
        }
        let inside = Quad([[2.0, 2.0], [6.0, 2.0], [6.0, 4.0], [2.0, 4.0]]);
        assert!((mean_inside(&prob, w, h, &inside) - 1.0).abs() < 1e-6);
        let wider = Quad([[2.0, 2.0], [11.0, 2.0], [11.0, 4.0], [2.0, 4.0]]);
        assert!((mean_inside(&prob, w, h, &wider) - 15.0 / 24.0).abs() < 1e-6);
        let outside = Quad([[-9.0, -9.0], [-5.0, -9.0], [-5.0, -5.0], [-9.0, -5.0]]);
        assert_eq!(mean_inside(&prob, w, h, &outside), 0.0);
    }

    #[test]
    fn boxes_finds_a_block_of_text_probability_and_grows_it() {
        let (w, h) = (64, 32);
        let mut prob = vec![0.0f32; w * h];
        for y in 10..20 {
            for x in 8..48 {
                prob[y * w + x] = 0.9;
            }
        }
        prob[2 * w + 60] = 0.9; // one stray pixel: too thin to be text
        let found = boxes(&prob, w, h);
        assert_eq!(found.len(), 1, "{found:?}");
        let (x0, y0, x1, y1) = found[0].quad.bounds();
        // The dilated block spans x 8..=48, y 10..=20; grown by 40×10×1.6/100 = 6.4.
        assert!(
            (x0 - 1.6).abs() < 1e-6 && (x1 - 54.4).abs() < 1e-6,
            "{x0} {x1}"
        );
        assert!(
            (y0 - 3.6).abs() < 1e-6 && (y1 - 26.4).abs() < 1e-6,
            "{y0} {y1}"
        );
        assert!(found[0].score > 0.7, "{}", found[0].score);
    }

    #[test]
    fn boxes_of_an_empty_or_short_map_are_none() {
        assert!(boxes(&[], 0, 0).is_empty());
        assert!(boxes(&[0.9; 10], 10, 10).is_empty());
        assert!(boxes(&[0.0; 100], 10, 10).is_empty());
    }
}
