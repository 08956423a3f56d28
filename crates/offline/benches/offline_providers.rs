//! Throughput of the offline analysis providers: texts per second for a typical tweet (language,
//! sentiment, entities and key phrases, as the analyse-message text stage asks for them) and images
//! per second for a 1-megapixel photo (decode, orient, detect faces).
//!
//! `cargo bench -p starling-local --bench offline_providers`
//!
//! On the 2-core development machine (2026-11-23, one thread, `CARGO_PROFILE_BENCH_LTO=false
//! CARGO_PROFILE_BENCH_CODEGEN_UNITS=16` to keep the build short): a tweet's full text analysis takes
//! 156 µs (≈ 6,400 tweets/s); a 1 MP JPEG's decode + face detection takes 197 ms (≈ 5 images/s).
//! OCR of a 1280×800 image with four lines of text (`-- ocr`) takes 880 ms (2026-12-07, same settings).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use starling_core::memory::MemoryBlobStore;
use starling_core::ports::{BlobStore, ImageAnalyzer, ImageRef, TextAnalyzer};
use starling_offline::{OfflineImageAnalyzer, OfflineTextAnalyzer};

const TWEET: &str = "Just landed in Lisbon ✈️ and the food is AMAZING, but the hotel lost our booking 😤 \
@AcmeHotels please sort this out before Friday. Paid $240 for 2 nights! #travel https://t.co/abc123";

fn text(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let analyzer = OfflineTextAnalyzer::new();
    let mut group = c.benchmark_group("offline_text");
    group.throughput(Throughput::Elements(1));
    group.bench_function("tweet_full_analysis", |b| {
        b.iter(|| {
            rt.block_on(async {
                let lang = analyzer.detect_language(black_box(TWEET)).await.unwrap();
                let code = lang.first().map_or("en", |l| l.code.as_str());
                let sentiment = analyzer.sentiment(TWEET, code).await.unwrap();
                let entities = analyzer.entities(TWEET, code).await.unwrap();
                let phrases = analyzer.key_phrases(TWEET, code).await.unwrap();
                black_box((sentiment, entities, phrases))
            })
        })
    });
    group.finish();
}

fn images(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    // A 1-megapixel JPEG (1000×1000) made from the public-domain astronaut portrait.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/images/astronaut.png"
    );
    let photo = image::open(fixture).unwrap().resize_exact(
        1000,
        1000,
        image::imageops::FilterType::Triangle,
    );
    let mut jpeg = Vec::new();
    photo
        .to_rgb8()
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let store = Arc::new(MemoryBlobStore::new());
    rt.block_on(store.put("media/1mp.jpg", jpeg, "image/jpeg"))
        .unwrap();
    let image = ImageRef {
        bucket: store.bucket(),
        key: "media/1mp.jpg".into(),
    };
    let analyzer = OfflineImageAnalyzer::new(store);
    let faces = rt
        .block_on(analyzer.recognize_celebrities(&image))
        .unwrap()
        .1;
    assert_eq!(
        faces.len(),
        1,
        "the benchmark photo should show its one face: {faces:?}"
    );

    let mut group = c.benchmark_group("offline_image");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    group.bench_function("1mp_jpeg_faces", |b| {
        b.iter(|| {
            rt.block_on(analyzer.recognize_celebrities(black_box(&image)))
                .unwrap()
        })
    });
    group.finish();
}

fn ocr(c: &mut Criterion) {
    // A 1280×800 (1 MP) screenshot-like image: four lines of dark text on white, 28–40 px.
    let font = ab_glyph::FontRef::try_from_slice(include_bytes!(
        "../../core/assets/fonts/DejaVuSans-Bold-subset.ttf"
    ))
    .unwrap();
    let mut image = image::RgbImage::from_pixel(1280, 800, image::Rgb([255, 255, 255]));
    let lines = [
        ("Breaking: Starling reads text in images", 40.0, 80),
        ("Offline OCR with PP-OCRv4 and tract", 32.0, 240),
        ("No cloud account needed since 2026", 32.0, 400),
        ("Reply STOP to opt out of replies", 28.0, 560),
    ];
    for (text, px, y) in lines {
        imageproc::drawing::draw_text_mut(
            &mut image,
            image::Rgb([20, 20, 30]),
            80,
            y,
            px,
            &font,
            text,
        );
    }
    let found = starling_offline::image::ocr::detect_text(&image).unwrap();
    assert_eq!(
        found.iter().filter(|d| d.kind == "LINE").count(),
        4,
        "the benchmark image should read as its four lines: {found:?}"
    );
    let mut group = c.benchmark_group("offline_ocr");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    group.bench_function("1280x800_4_lines", |b| {
        b.iter(|| starling_offline::image::ocr::detect_text(black_box(&image)).unwrap())
    });
    group.finish();
}

/// Known faces and moderation on the two-face composite (1112×600): the embeddings of both faces
/// SeetaFace found (what a gallery search costs beyond detection), and the NSFW classifier's
/// verdict from the photo's bytes (decode, resize to 224², classify).
fn faces_and_moderation(c: &mut Criterion) {
    use starling_offline::image::{decode, faces, known};
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/images/two_faces_composite.jpg"
    ))
    .unwrap();
    let rgb = decode::decode(&bytes).unwrap().image.into_rgb8();
    let gray = image::DynamicImage::ImageRgb8(rgb.clone()).into_luma8();
    let boxes: Vec<_> = faces::detect(&gray)
        .unwrap()
        .into_iter()
        .map(|f| f.bounding_box)
        .collect();
    assert_eq!(boxes.len(), 2);
    let mut group = c.benchmark_group("offline_vision");
    group.sample_size(20);
    group.bench_function("embed_2_faces", |b| {
        b.iter(|| black_box(known::embed(&rgb, &boxes).unwrap()))
    });
    group.bench_function("nsfw_classify_photo", |b| {
        b.iter(|| black_box(starling_offline::moderation::classify(&bytes).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, text, images, ocr, faces_and_moderation);
criterion_main!(benches);
