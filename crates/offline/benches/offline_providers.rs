//! Throughput of the offline analysis providers: texts per second for a typical tweet (language,
//! sentiment, entities and key phrases, as the analyse-message text stage asks for them) and images
//! per second for a 1-megapixel photo (decode, orient, detect faces).
//!
//! `cargo bench -p starling-local --bench offline_providers`
//!
//! On the 2-core development machine (2026-11-23, one thread, `CARGO_PROFILE_BENCH_LTO=false
//! CARGO_PROFILE_BENCH_CODEGEN_UNITS=16` to keep the build short): a tweet's full text analysis takes
//! 156 µs (≈ 6,400 tweets/s); a 1 MP JPEG's decode + face detection takes 197 ms (≈ 5 images/s).
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

criterion_group!(benches, text, images);
criterion_main!(benches);
