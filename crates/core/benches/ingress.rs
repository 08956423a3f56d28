//! Verify + parse + map of a typical 3 KB Account Activity delivery (one post with a photo).
//! Run: `cargo bench -p starling-core --bench ingress`.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use starling_core::acl::AclConfig;
use starling_core::ingress::{IngressConfig, accept_delivery};

fn bench(c: &mut Criterion) {
    // X sends compact JSON: ~3.2 KB for this delivery.
    let pretty: serde_json::Value =
        serde_json::from_slice(include_bytes!("fixtures/delivery_3kb.json")).unwrap();
    let body = serde_json::to_vec(&pretty).unwrap();
    let body = body.as_slice();
    let secret = b"bench-consumer-secret";
    let signature = starling_x::webhook::sign(secret, body);
    let config = IngressConfig {
        acl: AclConfig {
            bot_user_id: Some("1000".into()),
            include_retweets: false,
            bot_username: None,
            ..AclConfig::default()
        },
        ..Default::default()
    };
    // Sanity: the delivery is accepted and yields the raw event plus MESSAGE_RECEIVED.
    let events = accept_delivery(secret, Some(signature.as_bytes()), body, &config).unwrap();
    assert_eq!(events.len(), 2);

    let mut group = c.benchmark_group("ingress");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("verify_parse_map_3kb", |b| {
        b.iter(|| {
            accept_delivery(
                secret,
                Some(signature.as_bytes()),
                std::hint::black_box(body),
                &config,
            )
            .unwrap()
        })
    });
    group.bench_function("stage_verify_signature", |b| {
        b.iter(|| {
            starling_x::webhook::verify_signature(
                secret,
                Some(signature.as_bytes()),
                std::hint::black_box(body),
            )
        })
    });
    group.bench_function("stage_parse_delivery", |b| {
        b.iter(|| starling_x::payload::parse_delivery(std::hint::black_box(body)).unwrap())
    });
    let delivery = starling_x::payload::parse_delivery(body).unwrap();
    group.bench_function("stage_map_events", |b| {
        b.iter(|| {
            starling_core::acl::events_for_delivery(std::hint::black_box(&delivery), &config.acl)
        })
    });
    group.bench_function("stage_json_value_only", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(std::hint::black_box(body)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
