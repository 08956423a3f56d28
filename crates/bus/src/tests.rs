//! Behaviour of the bus: ordering, cursors, retries, dead letters, redrive, replay, durability.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::*;

/// Generous: the machine running the tests may be busy.
const PATIENCE: Duration = Duration::from_secs(60);

fn table(routes: &[(&str, Value)]) -> RoutingTable {
    RoutingTable {
        bus: "Test".into(),
        routes: routes
            .iter()
            .map(|(name, pattern)| Route {
                name: (*name).into(),
                description: String::new(),
                pattern: pattern.clone(),
                target: TargetRef {
                    kind: "test".into(),
                    name: (*name).into(),
                },
            })
            .collect(),
    }
}

fn fast_config(max_retries: u32) -> BusConfig {
    BusConfig {
        retry: RetryPolicy {
            max_retries,
            max_event_age: Duration::from_secs(3600),
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_defer: Duration::from_secs(5),
        },
        poll_interval: Duration::from_millis(50),
        ..BusConfig::default()
    }
}

fn event(source: &str, n: u64) -> OutgoingEvent {
    OutgoingEvent::new(source, "TEST", json!({ "n": n })).unwrap()
}

fn at(source: &str, n: u64, time: &str) -> OutgoingEvent {
    OutgoingEvent {
        time: Some(time.parse().unwrap()),
        ..event(source, n)
    }
}

/// A target that records what it receives.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Envelope>>>);

impl Recorder {
    fn target(&self) -> Arc<dyn Target> {
        let seen = self.0.clone();
        target_fn(move |e| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(e);
                Ok(())
            }
        })
    }

    fn ns(&self) -> Vec<u64> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.detail["n"].as_u64().unwrap())
            .collect()
    }
}

async fn put_all(bus: &SqliteBus, events: Vec<OutgoingEvent>) {
    for chunk in events.chunks(10) {
        let outcome = bus.put(chunk).await.unwrap();
        assert!(outcome.failed.is_empty(), "{outcome:?}");
    }
}

async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn events_are_delivered_once_each_in_put_order() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[("all", json!({"source": ["test"]}))]),
        fast_config(0),
    )
    .unwrap();
    let rec = Recorder::default();
    bus.start(&TargetRegistry::new().with_route("all", rec.target()))
        .await
        .unwrap();
    put_all(&bus, (0..57).map(|n| event("test", n)).collect()).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(rec.ns(), (0..57).collect::<Vec<_>>());
    let envelope = rec.0.lock().unwrap()[0].clone();
    assert_eq!(envelope.account, LOCAL_ACCOUNT);
    assert_eq!(envelope.region, LOCAL_REGION);
    assert_eq!(envelope.version, "0");
    assert_eq!(envelope.id.len(), 36, "a uuid: {}", envelope.id);
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn only_events_matching_a_route_reach_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[
            ("a", json!({"source": ["a"]})),
            ("b", json!({"source": ["b"]})),
        ]),
        fast_config(0),
    )
    .unwrap();
    let (a, b) = (Recorder::default(), Recorder::default());
    bus.start(
        &TargetRegistry::new()
            .with_target("test", "a", a.target())
            .with_target("test", "b", b.target()),
    )
    .await
    .unwrap();
    put_all(
        &bus,
        (0..20)
            .map(|n| event(if n % 3 == 0 { "a" } else { "b" }, n))
            .collect(),
    )
    .await;
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(a.ns(), (0..20).filter(|n| n % 3 == 0).collect::<Vec<_>>());
    assert_eq!(b.ns(), (0..20).filter(|n| n % 3 != 0).collect::<Vec<_>>());
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn refused_entries_are_reported_one_by_one_and_the_rest_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(dir.path(), &table(&[]), fast_config(0)).unwrap();
    let big = "x".repeat(MAX_PUT_EVENTS_BYTES);
    let entries = vec![
        event("test", 0),
        OutgoingEvent {
            source: String::new(),
            ..event("test", 1)
        },
        OutgoingEvent {
            detail_type: " ".into(),
            ..event("test", 2)
        },
        OutgoingEvent {
            detail: json!([1, 2]),
            ..event("test", 3)
        },
        OutgoingEvent::new("test", "TEST", json!({ "big": big })).unwrap(),
        event("test", 5),
    ];
    let results = bus.put_entries(&entries).await.unwrap();
    let codes: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().err().map(|f| (f.index, f.code.as_str())))
        .collect();
    assert_eq!(
        codes,
        [
            None,
            Some((1, "InvalidArgument")),
            Some((2, "InvalidArgument")),
            Some((3, "MalformedDetail")),
            Some((4, "InvalidArgument")),
            None
        ]
    );
    let too_big = results[4].as_ref().unwrap_err();
    assert!(too_big.message.contains("262144"), "{}", too_big.message);
    let stored = bus.events(None, 100).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].envelope.id, results[0].as_ref().unwrap().id);
    assert!(stored[0].seq < stored[1].seq);

    let outcome = bus.put(&entries).await.unwrap();
    assert_eq!(
        outcome.failed.iter().map(|f| f.index).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let eleven: Vec<_> = (0..11).map(|n| event("test", n)).collect();
    assert!(matches!(
        bus.put(&eleven).await,
        Err(PublishError::Rejected(_))
    ));
}

#[tokio::test]
async fn a_failing_route_does_not_hold_up_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[
            ("broken", json!({"source": ["test"]})),
            ("fine", json!({"source": ["test"]})),
        ]),
        fast_config(1_000_000),
    )
    .unwrap();
    let broken_calls = Arc::new(AtomicU32::new(0));
    let calls = broken_calls.clone();
    let broken = target_fn(move |_| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Err(DeliveryError::Retryable("down".into())) }
    });
    let fine = Recorder::default();
    bus.start(
        &TargetRegistry::new()
            .with_route("broken", broken)
            .with_route("fine", fine.target()),
    )
    .await
    .unwrap();
    put_all(&bus, (0..30).map(|n| event("test", n)).collect()).await;
    eventually("the healthy route has everything", || fine.ns().len() == 30).await;
    assert_eq!(fine.ns(), (0..30).collect::<Vec<_>>());
    eventually("the broken route has retried", || {
        broken_calls.load(Ordering::SeqCst) > 3
    })
    .await;
    let err = bus.wait_idle(Duration::from_millis(200)).await.unwrap_err();
    assert!(
        err.to_string().contains("broken is 30 event(s) behind"),
        "{err}"
    );
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_failed_delivery_is_retried_until_it_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[("flaky", json!({"source": ["test"]}))]),
        fast_config(3),
    )
    .unwrap();
    let attempts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let rec = Recorder::default();
    let (seen, log) = (attempts.clone(), rec.0.clone());
    let flaky = target_fn(move |e| {
        let (seen, log) = (seen.clone(), log.clone());
        async move {
            let mut seen = seen.lock().unwrap();
            let n = seen.entry(e.id.clone()).or_default();
            *n += 1;
            if *n < 3 {
                return Err(DeliveryError::Retryable(format!("attempt {n} fails")));
            }
            log.lock().unwrap().push(e);
            Ok(())
        }
    });
    bus.start(&TargetRegistry::new().with_route("flaky", flaky))
        .await
        .unwrap();
    put_all(&bus, (0..5).map(|n| event("test", n)).collect()).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(rec.ns(), [0, 1, 2, 3, 4]);
    assert!(attempts.lock().unwrap().values().all(|n| *n == 3));
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_deferral_waits_until_asked_and_spends_no_retry() {
    let dir = tempfile::tempdir().unwrap();
    // No retries at all: a failure would dead-letter at once; deferrals must not.
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[("limited", json!({"source": ["test"]}))]),
        fast_config(0),
    )
    .unwrap();
    let calls: Arc<Mutex<Vec<std::time::Instant>>> = Arc::default();
    let rec = Recorder::default();
    let (seen, log) = (calls.clone(), rec.0.clone());
    let limited = target_fn(move |e| {
        let (seen, log) = (seen.clone(), log.clone());
        async move {
            let mut seen = seen.lock().unwrap();
            seen.push(std::time::Instant::now());
            if seen.len() < 4 {
                return Err(DeliveryError::Deferred {
                    reason: "rate limited".into(),
                    until: chrono::Utc::now() + chrono::TimeDelta::milliseconds(150),
                });
            }
            log.lock().unwrap().push(e);
            Ok(())
        }
    });
    bus.start(&TargetRegistry::new().with_route("limited", limited))
        .await
        .unwrap();
    put_all(&bus, vec![event("test", 7)]).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(rec.ns(), [7]);
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 4);
    // Each deferral waited for its `until`, far longer than the 1-5 ms retry backoff.
    for pair in calls.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(140),
            "{:?}",
            pair[1] - pair[0]
        );
    }
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_event_that_stopped_the_process_crash_limit_times_is_dead_lettered_untried() {
    let dir = tempfile::tempdir().unwrap();
    let routes = table(&[("fragile", json!({"source": ["test"]}))]);
    let config = BusConfig {
        crash_limit: 2,
        ..fast_config(3)
    };
    // Two runs died while delivering the first event, seq 1 (they noted the start, never the
    // end).
    let bus = SqliteBus::open(dir.path(), &routes, config.clone()).unwrap();
    put_all(&bus, vec![event("test", 0), event("test", 1)]).await;
    drop(bus);
    {
        let store = crate::store::Store::open(dir.path()).unwrap();
        for expected in 1..=2 {
            assert_eq!(
                store.begin_delivery("fragile", "event", 1).unwrap(),
                expected
            );
        }
    }
    let bus = SqliteBus::open(dir.path(), &routes, config).unwrap();
    let rec = Recorder::default();
    bus.start(&TargetRegistry::new().with_route("fragile", rec.target()))
        .await
        .unwrap();
    put_all(&bus, vec![event("test", 2)]).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    // Event 0 is the first after the cursor: refused untried; the rest flow.
    assert_eq!(rec.ns(), [1, 2]);
    let dead = bus.dead_letters(None).await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].event.detail["n"], 0);
    assert!(
        dead[0].error.contains("stopped 2 times"),
        "{}",
        dead[0].error
    );
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_delivery_start_is_counted_per_item_and_forgotten_when_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(dir.path()).unwrap();
    assert_eq!(store.begin_delivery("r", "event", 5).unwrap(), 1);
    assert_eq!(store.begin_delivery("r", "event", 5).unwrap(), 2);
    // Another item (the cursor moved on), another kind, another route: counted afresh.
    assert_eq!(store.begin_delivery("r", "event", 6).unwrap(), 1);
    assert_eq!(store.begin_delivery("r", "redelivery", 6).unwrap(), 1);
    assert_eq!(store.begin_delivery("s", "event", 6).unwrap(), 1);
    store.end_delivery("r").unwrap();
    assert_eq!(store.begin_delivery("r", "redelivery", 6).unwrap(), 1);
}

#[test]
fn a_deferral_is_clamped_between_the_base_delay_and_max_defer() {
    let policy = RetryPolicy::default();
    let now = chrono::Utc::now();
    assert_eq!(
        policy.defer_until(now - chrono::TimeDelta::seconds(5), now),
        policy.base_delay
    );
    assert_eq!(
        policy.defer_until(now + chrono::TimeDelta::seconds(90), now),
        Duration::from_secs(90)
    );
    assert_eq!(
        policy.defer_until(now + chrono::TimeDelta::hours(2), now),
        Duration::from_secs(15 * 60)
    );
}

#[tokio::test]
async fn exhausted_retries_dead_letter_the_event_with_its_error_and_delivery_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[("picky", json!({"source": ["test"]}))]),
        fast_config(2),
    )
    .unwrap();
    let rec = Recorder::default();
    let log = rec.0.clone();
    let picky = target_fn(move |e| {
        let log = log.clone();
        async move {
            match e.detail["n"].as_u64() {
                Some(1) => Err(DeliveryError::Retryable("throttled".into())),
                Some(3) => Err(DeliveryError::Permanent("malformed".into())),
                Some(4) => panic!("handler bug"),
                _ => {
                    log.lock().unwrap().push(e);
                    Ok(())
                }
            }
        }
    });
    bus.start(&TargetRegistry::new().with_route("picky", picky))
        .await
        .unwrap();
    put_all(&bus, (0..6).map(|n| event("test", n)).collect()).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(rec.ns(), [0, 2, 5]);
    let dead = bus.dead_letters(None).await.unwrap();
    let summary: Vec<_> = dead
        .iter()
        .map(|d| {
            (
                d.route.as_str(),
                d.event.detail["n"].as_u64().unwrap(),
                d.attempts,
            )
        })
        .collect();
    assert_eq!(summary, [("picky", 1, 3), ("picky", 3, 1), ("picky", 4, 3)]);
    assert_eq!(dead[0].error, "throttled");
    assert_eq!(dead[1].error, "malformed (not retried)");
    assert!(dead[2].error.contains("handler bug"), "{}", dead[2].error);
    assert!(!dead[0].redrive_queued);
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn redrive_redelivers_dead_letters_and_removes_them_once_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[
            ("r", json!({"source": ["test"]})),
            ("other", json!({"source": ["test"]})),
        ]),
        fast_config(1),
    )
    .unwrap();
    let healthy = Arc::new(AtomicBool::new(false));
    let rec = Recorder::default();
    let (ok, log) = (healthy.clone(), rec.0.clone());
    let target = target_fn(move |e| {
        let (ok, log) = (ok.clone(), log.clone());
        async move {
            if !ok.load(Ordering::SeqCst) {
                return Err(DeliveryError::Retryable("outage".into()));
            }
            log.lock().unwrap().push(e);
            Ok(())
        }
    });
    let other = Recorder::default();
    bus.start(
        &TargetRegistry::new()
            .with_route("r", target)
            .with_route("other", other.target()),
    )
    .await
    .unwrap();
    put_all(&bus, (0..3).map(|n| event("test", n)).collect()).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(bus.dead_letters(Some("r")).await.unwrap().len(), 3);

    // Still failing: the dead letters stay, with their attempts updated.
    assert_eq!(bus.redrive(Some("r")).await.unwrap(), 3);
    bus.wait_idle(PATIENCE).await.unwrap();
    let dead = bus.dead_letters(None).await.unwrap();
    assert_eq!(dead.len(), 3);
    assert!(dead.iter().all(|d| d.attempts == 2 && !d.redrive_queued));

    healthy.store(true, Ordering::SeqCst);
    assert_eq!(bus.redrive(None).await.unwrap(), 3);
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(rec.ns(), [0, 1, 2]);
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
    assert_eq!(other.ns(), [0, 1, 2], "the other route is untouched");
    assert!(matches!(
        bus.redrive(Some("nope")).await,
        Err(BusError::UnknownRoute { .. })
    ));
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn replay_redelivers_a_time_range_to_matching_routes_or_one_route() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[
            ("a", json!({"source": ["test"]})),
            ("b", json!({"source": ["test"]})),
            ("none", json!({"source": ["elsewhere"]})),
        ]),
        fast_config(0),
    )
    .unwrap();
    let (a, b) = (Recorder::default(), Recorder::default());
    let none = Recorder::default();
    bus.start(
        &TargetRegistry::new()
            .with_route("a", a.target())
            .with_route("b", b.target())
            .with_route("none", none.target()),
    )
    .await
    .unwrap();
    put_all(
        &bus,
        vec![
            at("test", 0, "2026-11-20T10:00:00Z"),
            at("test", 1, "2026-11-21T10:00:00Z"),
            at("test", 2, "2026-11-22T10:00:00Z"),
            at("test", 3, "2026-11-23T10:00:00Z"),
        ],
    )
    .await;
    bus.wait_idle(PATIENCE).await.unwrap();
    let first_ids: Vec<String> = a.0.lock().unwrap().iter().map(|e| e.id.clone()).collect();

    let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let report = bus
        .replay(t("2026-11-21T10:00:00Z"), t("2026-11-22T10:00:00Z"), None)
        .await
        .unwrap();
    assert_eq!(report.events, 2);
    assert_eq!(report.queued, [("a".to_string(), 2), ("b".to_string(), 2)]);
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(a.ns(), [0, 1, 2, 3, 1, 2]);
    assert_eq!(b.ns(), [0, 1, 2, 3, 1, 2]);
    let replayed_ids: Vec<String> = a.0.lock().unwrap()[4..]
        .iter()
        .map(|e| e.id.clone())
        .collect();
    assert_eq!(replayed_ids, first_ids[1..3], "replays keep the event ids");

    let report = bus
        .replay(
            t("2026-11-23T00:00:00Z"),
            t("2026-11-24T00:00:00Z"),
            Some("b"),
        )
        .await
        .unwrap();
    assert_eq!(report.total(), 1);
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(a.ns().len(), 6);
    assert_eq!(b.ns(), [0, 1, 2, 3, 1, 2, 3]);
    assert!(none.ns().is_empty());
    assert!(matches!(
        bus.replay(t("2026-11-20T00:00:00Z"), Utc::now(), Some("c"))
            .await,
        Err(BusError::UnknownRoute { .. })
    ));
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn events_and_cursors_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let routes = table(&[("all", json!({"source": ["test"]}))]);
    {
        let bus = SqliteBus::open(dir.path(), &routes, fast_config(0)).unwrap();
        put_all(&bus, (0..5).map(|n| event("test", n)).collect()).await;
        // No dispatcher ran: nothing delivered yet.
    }
    let first = Recorder::default();
    {
        let bus = SqliteBus::open(dir.path(), &routes, fast_config(0)).unwrap();
        bus.start(&TargetRegistry::new().with_route("all", first.target()))
            .await
            .unwrap();
        bus.wait_idle(PATIENCE).await.unwrap();
        bus.shutdown().await.unwrap();
    }
    assert_eq!(first.ns(), [0, 1, 2, 3, 4]);
    let second = Recorder::default();
    let bus = SqliteBus::open(dir.path(), &routes, fast_config(0)).unwrap();
    bus.start(&TargetRegistry::new().with_route("all", second.target()))
        .await
        .unwrap();
    put_all(&bus, vec![event("test", 5)]).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(second.ns(), [5], "delivered events are not delivered again");
    assert_eq!(bus.events(None, 3).await.unwrap().len(), 3);
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_route_without_a_target_keeps_its_events_until_one_is_registered() {
    let dir = tempfile::tempdir().unwrap();
    let routes = table(&[
        ("served", json!({"source": ["test"]})),
        ("unserved", json!({"source": ["test"]})),
    ]);
    let bus = SqliteBus::open(dir.path(), &routes, fast_config(0)).unwrap();
    let served = Recorder::default();
    let report = bus
        .start(&TargetRegistry::new().with_route("served", served.target()))
        .await
        .unwrap();
    assert_eq!(report.delivering, ["served"]);
    assert_eq!(report.waiting, ["unserved"]);
    put_all(&bus, (0..4).map(|n| event("test", n)).collect()).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    bus.shutdown().await.unwrap();

    let late = Recorder::default();
    bus.start(&TargetRegistry::new().with_route("unserved", late.target()))
        .await
        .unwrap();
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(late.ns(), [0, 1, 2, 3]);
    assert_eq!(served.ns(), [0, 1, 2, 3]);
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_new_route_starts_at_the_head_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    {
        let bus = SqliteBus::open(
            dir.path(),
            &table(&[("old", json!({"source": ["test"]}))]),
            fast_config(0),
        )
        .unwrap();
        put_all(&bus, vec![event("test", 0), event("test", 1)]).await;
    }
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[
            ("old", json!({"source": ["test"]})),
            ("new", json!({"source": ["test"]})),
        ]),
        fast_config(0),
    )
    .unwrap();
    let (old, new) = (Recorder::default(), Recorder::default());
    bus.start(
        &TargetRegistry::new()
            .with_route("old", old.target())
            .with_route("new", new.target()),
    )
    .await
    .unwrap();
    put_all(&bus, vec![event("test", 2)]).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(old.ns(), [0, 1, 2]);
    assert_eq!(new.ns(), [2]);
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn only_one_bus_delivers_from_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let routes = table(&[("all", json!({"source": ["test"]}))]);
    let first = SqliteBus::open(dir.path(), &routes, fast_config(0)).unwrap();
    let second = SqliteBus::open(dir.path(), &routes, fast_config(0)).unwrap();
    let registry = TargetRegistry::new().with_route("all", Recorder::default().target());
    first.start(&registry).await.unwrap();
    assert!(matches!(
        first.start(&registry).await,
        Err(BusError::AlreadyStarted)
    ));
    assert!(matches!(
        second.start(&registry).await,
        Err(BusError::Locked { .. })
    ));
    // A second handle can still put; the delivering bus picks the events up by polling.
    put_all(&second, vec![event("test", 0)]).await;
    first.wait_idle(PATIENCE).await.unwrap();
    first.shutdown().await.unwrap();
    second.start(&registry).await.unwrap();
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_abandons_a_retry_backoff_and_the_event_is_delivered_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let routes = table(&[("all", json!({"source": ["test"]}))]);
    let mut config = fast_config(10);
    config.retry.base_delay = Duration::from_secs(3600);
    config.retry.max_delay = Duration::from_secs(3600);
    let bus = SqliteBus::open(dir.path(), &routes, config).unwrap();
    let tried = Arc::new(AtomicU32::new(0));
    let count = tried.clone();
    bus.start(&TargetRegistry::new().with_route(
        "all",
        target_fn(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
            async { Err(DeliveryError::Retryable("later".into())) }
        }),
    ))
    .await
    .unwrap();
    put_all(&bus, vec![event("test", 7)]).await;
    eventually("the first attempt failed", || {
        tried.load(Ordering::SeqCst) == 1
    })
    .await;
    tokio::time::timeout(PATIENCE, bus.shutdown())
        .await
        .expect("shutdown does not wait for the backoff")
        .unwrap();
    let rec = Recorder::default();
    bus.start(&TargetRegistry::new().with_route("all", rec.target()))
        .await
        .unwrap();
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(rec.ns(), [7]);
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn wait_idle_on_a_bus_that_is_not_started_returns_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[("all", json!({"source": ["test"]}))]),
        fast_config(0),
    )
    .unwrap();
    put_all(&bus, vec![event("test", 0)]).await;
    bus.wait_idle(Duration::ZERO).await.unwrap();
}

#[tokio::test]
async fn an_event_older_than_the_max_age_is_dead_lettered_however_many_retries_remain() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast_config(u32::MAX);
    config.retry.max_event_age = Duration::from_millis(50);
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[("all", json!({"source": ["test"]}))]),
        config,
    )
    .unwrap();
    bus.start(&TargetRegistry::new().with_route(
        "all",
        target_fn(|_| async { Err(DeliveryError::Retryable("still down".into())) }),
    ))
    .await
    .unwrap();
    put_all(&bus, vec![event("test", 0)]).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    let dead = bus.dead_letters(Some("all")).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].error, "still down");
    bus.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_target_that_never_answers_times_out_and_is_dead_lettered() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = fast_config(1);
    config.delivery_timeout = Duration::from_millis(20);
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[("all", json!({"source": ["test"]}))]),
        config,
    )
    .unwrap();
    bus.start(&TargetRegistry::new().with_route("all", target_fn(|_| std::future::pending())))
        .await
        .unwrap();
    put_all(&bus, vec![event("test", 0)]).await;
    bus.wait_idle(PATIENCE).await.unwrap();
    let dead = bus.dead_letters(None).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 2);
    assert!(
        dead[0].error.contains("did not answer"),
        "{}",
        dead[0].error
    );
    bus.shutdown().await.unwrap();
}

/// A target taking batches of up to `max`, recording each call's size; `fail_batches` makes every
/// batch call fail (each event then comes one at a time), and an event whose `n` is `poison` is
/// refused for good.
#[derive(Clone, Default)]
struct Batcher {
    calls: Arc<Mutex<Vec<usize>>>,
    seen: Arc<Mutex<Vec<u64>>>,
    fail_batches: Arc<AtomicBool>,
    poison: Option<u64>,
}

#[async_trait::async_trait]
impl Target for Batcher {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        let n = event.detail["n"].as_u64().unwrap();
        if Some(n) == self.poison {
            return Err(DeliveryError::Permanent(format!("{n} is poison")));
        }
        self.calls.lock().unwrap().push(1);
        self.seen.lock().unwrap().push(n);
        Ok(())
    }

    fn max_batch(&self) -> usize {
        16
    }

    /// All or nothing, as the lake's group commit.
    async fn deliver_batch(&self, events: &[Envelope]) -> Vec<Result<(), DeliveryError>> {
        if self.fail_batches.load(Ordering::SeqCst)
            || events
                .iter()
                .any(|e| Some(e.detail["n"].as_u64().unwrap()) == self.poison)
        {
            return vec![Err(DeliveryError::Retryable("the batch failed".into())); events.len()];
        }
        self.calls.lock().unwrap().push(events.len());
        self.seen
            .lock()
            .unwrap()
            .extend(events.iter().map(|e| e.detail["n"].as_u64().unwrap()));
        vec![Ok(()); events.len()]
    }
}

#[tokio::test]
async fn events_waiting_together_go_to_a_batching_target_in_order_in_batches_after_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[(
            "evens",
            json!({"detail": {"n": [{"numeric": [">=", 0]}]}, "source": ["test"]}),
        )]),
        fast_config(0),
    )
    .unwrap();
    // Written before the bus starts, so they are all waiting at once; odd sources are skipped.
    let mut events = Vec::new();
    for n in 0..100 {
        events.push(event("test", n));
        events.push(event("other", 1000 + n));
    }
    put_all(&bus, events).await;
    let target = Batcher::default();
    bus.start(&TargetRegistry::new().with_route("evens", Arc::new(target.clone())))
        .await
        .unwrap();
    bus.wait_idle(PATIENCE).await.unwrap();
    assert_eq!(*target.seen.lock().unwrap(), (0..100).collect::<Vec<_>>());
    let calls = target.calls.lock().unwrap().clone();
    // The first delivery after a start goes alone (the crash guard notes it), then batches.
    assert_eq!(calls[0], 1, "{calls:?}");
    assert!(calls[1..].iter().all(|n| *n <= 16), "{calls:?}");
    assert!(calls.len() <= 1 + 99usize.div_ceil(16) + 2, "{calls:?}");
    assert!(bus.dead_letters(None).await.unwrap().is_empty());

    // Nothing is delivered twice after a restart: the cursor moved past each batch.
    bus.shutdown().await.unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[(
            "evens",
            json!({"detail": {"n": [{"numeric": [">=", 0]}]}, "source": ["test"]}),
        )]),
        fast_config(0),
    )
    .unwrap();
    let again = Batcher::default();
    bus.start(&TargetRegistry::new().with_route("evens", Arc::new(again.clone())))
        .await
        .unwrap();
    bus.wait_idle(PATIENCE).await.unwrap();
    assert!(again.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_batch_is_delivered_one_event_at_a_time_and_only_the_bad_event_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[("all", json!({"source": ["test"]}))]),
        fast_config(0),
    )
    .unwrap();
    put_all(&bus, (0..40).map(|n| event("test", n)).collect()).await;
    let target = Batcher {
        poison: Some(20),
        ..Batcher::default()
    };
    bus.start(&TargetRegistry::new().with_route("all", Arc::new(target.clone())))
        .await
        .unwrap();
    bus.wait_idle(PATIENCE).await.unwrap();
    let expected: Vec<u64> = (0..40).filter(|n| *n != 20).collect();
    assert_eq!(*target.seen.lock().unwrap(), expected);
    let dead = bus.dead_letters(None).await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(dead[0].error.contains("20 is poison"), "{dead:?}");
    // The batch holding the poison was delivered event by event; the others went whole.
    let calls = target.calls.lock().unwrap().clone();
    assert!(calls.iter().any(|n| *n > 1), "{calls:?}");
    assert!(calls.iter().filter(|n| **n == 1).count() >= 2, "{calls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_puts_committed_together_each_get_their_own_events_and_sequence_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let bus = Arc::new(
        SqliteBus::open(
            dir.path(),
            &table(&[("all", json!({"source": ["test"]}))]),
            fast_config(0),
        )
        .unwrap(),
    );
    // 64 puts at once, of 1 to 3 events each: they share commits, never each other's numbers.
    let puts: Vec<_> = (0..64u64)
        .map(|p| {
            let bus = bus.clone();
            tokio::spawn(async move {
                let events: Vec<OutgoingEvent> =
                    (0..=p % 3).map(|i| event("test", p * 10 + i)).collect();
                let accepted = bus.put_entries(&events).await.unwrap();
                (
                    p,
                    accepted.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
                )
            })
        })
        .collect();
    let mut by_seq = HashMap::new();
    for put in puts {
        let (p, accepted) = put.await.unwrap();
        assert_eq!(accepted.len() as u64, p % 3 + 1);
        // A put's events are contiguous in the log, in the order given.
        for pair in accepted.windows(2) {
            assert_eq!(pair[1].seq, pair[0].seq + 1, "{accepted:?}");
        }
        for (i, a) in accepted.iter().enumerate() {
            assert!(
                by_seq
                    .insert(a.seq, (p * 10 + i as u64, a.id.clone()))
                    .is_none()
            );
        }
    }
    let logged = bus.events(None, 1000).await.unwrap();
    assert_eq!(logged.len(), by_seq.len());
    for stored in logged {
        let (n, id) = &by_seq[&stored.seq];
        assert_eq!(stored.envelope.detail["n"].as_u64(), Some(*n));
        assert_eq!(&stored.envelope.id, id);
    }
}

/// A target whose events are independent: it delivers every event of a batch it can and fails
/// only the ones whose `n` is a multiple of 7, once each.
#[derive(Clone, Default)]
struct Independent {
    seen: Arc<Mutex<Vec<u64>>>,
    failed_once: Arc<Mutex<Vec<u64>>>,
    batches: Arc<AtomicU32>,
}

#[async_trait::async_trait]
impl Target for Independent {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        self.seen
            .lock()
            .unwrap()
            .push(event.detail["n"].as_u64().unwrap());
        Ok(())
    }

    fn max_batch(&self) -> usize {
        8
    }

    async fn deliver_batch(&self, events: &[Envelope]) -> Vec<Result<(), DeliveryError>> {
        self.batches.fetch_add(1, Ordering::SeqCst);
        events
            .iter()
            .map(|e| {
                let n = e.detail["n"].as_u64().unwrap();
                let mut failed = self.failed_once.lock().unwrap();
                if n % 7 == 0 && !failed.contains(&n) {
                    failed.push(n);
                    return Err(DeliveryError::Retryable(format!("{n} failed once")));
                }
                self.seen.lock().unwrap().push(n);
                Ok(())
            })
            .collect()
    }
}

#[tokio::test]
async fn in_a_batch_only_the_events_that_failed_are_delivered_again() {
    let dir = tempfile::tempdir().unwrap();
    let bus = SqliteBus::open(
        dir.path(),
        &table(&[("all", json!({"source": ["test"]}))]),
        fast_config(3),
    )
    .unwrap();
    put_all(&bus, (1..=50).map(|n| event("test", n)).collect()).await;
    let target = Independent::default();
    bus.start(&TargetRegistry::new().with_route("all", Arc::new(target.clone())))
        .await
        .unwrap();
    bus.wait_idle(PATIENCE).await.unwrap();
    let mut seen = target.seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        50,
        "each event delivered exactly once: {seen:?}"
    );
    seen.sort_unstable();
    assert_eq!(seen, (1..=50).collect::<Vec<_>>());
    assert!(target.batches.load(Ordering::SeqCst) >= 6);
    assert!(bus.dead_letters(None).await.unwrap().is_empty());
}
