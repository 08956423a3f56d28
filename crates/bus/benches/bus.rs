//! Throughput of the local bus through its SQLite log: events appended per second (puts of 10,
//! each committed with `synchronous=FULL`), appended then delivered to a no-op target, and a
//! backlog delivered (the dispatcher alone).
//!
//! `cargo bench -p starling-local --bench bus`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use starling_bus::{
    BusConfig, Route, RoutingTable, SqliteBus, TargetRef, TargetRegistry, target_fn,
};
use starling_contracts::OutgoingEvent;
use starling_core::ports::EventPublisher;
use tokio::runtime::Runtime;

/// Puts per delivered-throughput iteration (so 100 events).
const PUTS_PER_ITER: usize = 10;
/// Events in the log before a delivery-only iteration starts the bus.
const DELIVER_BACKLOG: usize = 1000;

fn batch(source: &str, detail_type: &str) -> Vec<OutgoingEvent> {
    (0..10)
        .map(|n| {
            OutgoingEvent::new(
                source,
                detail_type,
                json!({"Text": "a tweet-sized message, give or take", "n": n,
                       "Author": "someone", "Twitter": {"TweetId": "1", "UserId": "2"}}),
            )
            .unwrap()
        })
        .collect()
}

fn one_route() -> RoutingTable {
    RoutingTable {
        bus: "Bench".into(),
        routes: vec![Route {
            name: "all".into(),
            description: String::new(),
            pattern: json!({"source": ["bench"]}),
            target: TargetRef {
                kind: "noop".into(),
                name: "noop".into(),
            },
        }],
    }
}

fn noop_everywhere(table: &RoutingTable) -> TargetRegistry {
    let noop = target_fn(|_| async { Ok(()) });
    table.routes.iter().fold(TargetRegistry::new(), |r, route| {
        r.with_route(&route.name, noop.clone())
    })
}

fn bench_bus(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let mut group = c.benchmark_group("bus");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));

    // Appending only: no dispatchers running.
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(dir.path(), &one_route(), BusConfig::default()).unwrap();
    let events = batch("bench", "BENCH");
    group.throughput(Throughput::Elements(10));
    group.bench_function("append (puts of 10)", |b| {
        b.iter(|| rt.block_on(bus.put(&events)).unwrap())
    });

    // Puts of one event (a webhook delivery each): 32 one after another (a commit each, as every
    // put was committed before group commit) and 32 at once (committed together while a sync runs).
    let single = vec![events[0].clone()];
    let bus = std::sync::Arc::new(bus);
    group.throughput(Throughput::Elements(32));
    group.bench_function("32 puts of 1, one after another", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..32 {
                    bus.put(&single).await.unwrap();
                }
            })
        })
    });
    group.bench_function("32 puts of 1 at once (group commit)", |b| {
        b.iter(|| {
            rt.block_on(async {
                let puts: Vec<_> = (0..32)
                    .map(|_| {
                        let bus = bus.clone();
                        let single = single.clone();
                        tokio::spawn(async move { bus.put(&single).await.unwrap() })
                    })
                    .collect();
                for put in puts {
                    put.await.unwrap();
                }
            })
        })
    });

    // Appended and delivered: one route, a no-op target.
    let dir = tempfile::tempdir().unwrap();
    let table = one_route();
    let bus = SqliteBus::open(dir.path(), &table, BusConfig::default()).unwrap();
    rt.block_on(bus.start(&noop_everywhere(&table))).unwrap();
    group.throughput(Throughput::Elements((10 * PUTS_PER_ITER) as u64));
    group.bench_function("append+deliver, 1 route", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..PUTS_PER_ITER {
                    bus.put(&events).await.unwrap();
                }
                bus.wait_idle(Duration::from_secs(120)).await.unwrap();
            })
        })
    });
    rt.block_on(bus.shutdown()).unwrap();

    // Appended and delivered through the repository's seven routes: a MESSAGE_RECEIVED
    // matches three of them (catch-all-log, analyse-message, lake).
    let dir = tempfile::tempdir().unwrap();
    let table = RoutingTable::embedded().unwrap();
    let bus = SqliteBus::open(dir.path(), &table, BusConfig::default()).unwrap();
    rt.block_on(bus.start(&noop_everywhere(&table))).unwrap();
    let received = batch("starling.twitter", "MESSAGE_RECEIVED");
    group.bench_function("append+deliver, routes.json", |b| {
        b.iter(|| {
            rt.block_on(async {
                for _ in 0..PUTS_PER_ITER {
                    bus.put(&received).await.unwrap();
                }
                bus.wait_idle(Duration::from_secs(120)).await.unwrap();
            })
        })
    });
    rt.block_on(bus.shutdown()).unwrap();

    // Delivery alone: events already in the log, timed from start to idle (one route, no-op).
    let dir = tempfile::tempdir().unwrap();
    let table = one_route();
    let bus = SqliteBus::open(dir.path(), &table, BusConfig::default()).unwrap();
    let targets = noop_everywhere(&table);
    group.throughput(Throughput::Elements(DELIVER_BACKLOG as u64));
    group.bench_function("deliver a backlog, 1 route", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                rt.block_on(async {
                    for _ in 0..DELIVER_BACKLOG / 10 {
                        bus.put(&events).await.unwrap();
                    }
                    let started = std::time::Instant::now();
                    bus.start(&targets).await.unwrap();
                    bus.wait_idle(Duration::from_secs(120)).await.unwrap();
                    total += started.elapsed();
                    bus.shutdown().await.unwrap();
                });
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench_bus);
criterion_main!(benches);
