//! reply-image's work on one photo: decode (with EXIF orientation), draw two named boxes, encode
//! the JPEG — for a 1-megapixel photo (the two-person fixture scaled to 1362×735).
//!
//! `cargo bench -p starling-core --bench reply_image`
//!
//! On the 2-core development machine (2026-11-23, one thread, `CARGO_PROFILE_BENCH_LTO=false
//! CARGO_PROFILE_BENCH_CODEGEN_UNITS=16` to keep the build short, other builds running): 80 ms per
//! photo (≈ 12 photos/s).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use starling_contracts::BoundingBox;
use starling_core::responding::annotate::Mark;
use starling_core::responding::reply_image::{ReplyImageConfig, render};

fn bench(c: &mut Criterion) {
    let fixture = include_bytes!("../../offline/tests/fixtures/images/two_faces_composite.jpg");
    let photo = image::load_from_memory(fixture).unwrap().resize_exact(
        1362,
        735,
        image::imageops::FilterType::Triangle,
    );
    let mut jpeg = std::io::Cursor::new(Vec::new());
    photo.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    let jpeg = jpeg.into_inner();
    let face = |left, top, width, height| BoundingBox {
        width,
        height,
        left,
        top,
    };
    let marks = [
        Mark::Celebrity {
            bounding_box: face(0.184, 0.117, 0.111, 0.245),
            name: "Eileen Collins".into(),
        },
        Mark::Celebrity {
            bounding_box: face(0.683, 0.217, 0.184, 0.35),
            name: "Grace Hopper".into(),
        },
    ];
    let config = ReplyImageConfig::default();
    // Sanity: both faces are drawn.
    assert_eq!(
        render(&jpeg, &marks, &config).unwrap().drawn.labels.len(),
        2
    );

    let mut group = c.benchmark_group("reply_image");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decode_draw_encode_1mp", |b| {
        b.iter(|| black_box(render(black_box(&jpeg), &marks, &config).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
