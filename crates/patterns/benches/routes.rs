//! Matching throughput: every route pattern of `schemas/routes.json` against a
//! realistic MESSAGE_ANALYSED event and a TWITTER_FAVOURITED event. Criterion
//! reports the rate in matches (pattern × event evaluations) per second.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use starling_patterns::Pattern;

const ROUTES_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/routes.json");
const MESSAGE_ANALYSED: &str = include_str!("../tests/fixtures/message_analysed.json");
const TWITTER_FAVOURITED: &str = include_str!("../tests/fixtures/twitter_favourited.json");

fn patterns() -> Vec<Pattern> {
    let text = std::fs::read_to_string(ROUTES_PATH).expect("schemas/routes.json is readable");
    let table: Value = serde_json::from_str(&text).expect("routes.json is JSON");
    table["routes"]
        .as_array()
        .expect("routes array")
        .iter()
        .map(|r| Pattern::from_value(&r["pattern"]).expect("route pattern compiles"))
        .collect()
}

fn bench_routes(c: &mut Criterion) {
    let patterns = patterns();
    let mut group = c.benchmark_group("routes");
    group.throughput(Throughput::Elements(patterns.len() as u64));
    for (name, text) in [
        ("MESSAGE_ANALYSED", MESSAGE_ANALYSED),
        ("TWITTER_FAVOURITED", TWITTER_FAVOURITED),
    ] {
        let event: Value = serde_json::from_str(text).expect("fixture is JSON");
        group.bench_function(name, |b| {
            b.iter(|| {
                patterns
                    .iter()
                    .filter(|p| p.matches(black_box(&event)))
                    .count()
            })
        });
    }
    group.finish();
}

fn bench_compile(c: &mut Criterion) {
    let text = std::fs::read_to_string(ROUTES_PATH).expect("schemas/routes.json is readable");
    let table: Value = serde_json::from_str(&text).expect("routes.json is JSON");
    let sources: Vec<String> = table["routes"]
        .as_array()
        .expect("routes array")
        .iter()
        .map(|r| r["pattern"].to_string())
        .collect();
    let mut group = c.benchmark_group("compile");
    group.throughput(Throughput::Elements(sources.len() as u64));
    group.bench_function("all routes", |b| {
        b.iter(|| {
            sources
                .iter()
                .filter(|s| Pattern::parse(black_box(s)).is_ok())
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_routes, bench_compile);
criterion_main!(benches);
