//! Aggregates over the log for the dashboard: counts per detail-type in time windows, events per
//! minute, the sentiment of analysed messages, where every route stands. All read through the
//! store's read-only connection, so an open dashboard never holds up a put or a delivery.
//!
//! Windows are counted by when the bus accepted an event (`put_ms`), which grows with the log's
//! sequence: a window's start is found by a binary search over the sequence (a few point lookups
//! on the primary key), and everything after it is a range scan — no full scan of a large log but
//! the per-type totals, which read the `(detail_type, seq)` index only.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::error::BusError;
use super::store::{LoggedEvent, Store, limit_param, logged_event};
use super::{SqliteBus, StoredEvent};

/// How many events of one detail-type the log holds, in all and in the recent windows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeCount {
    /// The detail-type.
    pub detail_type: String,
    /// Events of this type in the whole log.
    pub total: i64,
    /// Accepted in the last 5 minutes.
    pub last5m: i64,
    /// Accepted in the last hour.
    pub last_hour: i64,
    /// Accepted in the last 24 hours.
    pub last_day: i64,
}

/// Events accepted in one minute, per detail-type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MinuteCount {
    /// The minute's start, epoch milliseconds.
    pub minute_ms: i64,
    /// Events per detail-type (types with none left out).
    pub counts: BTreeMap<String, i64>,
}

/// Analysed messages of one hour (or in all, per language), per sentiment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentimentCount {
    /// The hour's start (epoch milliseconds) — or 0 in a per-language total.
    pub hour_ms: i64,
    /// The message's language (`und` when the analysis named none).
    pub language: String,
    /// POSITIVE, NEGATIVE, NEUTRAL or MIXED.
    pub sentiment: String,
    /// Messages.
    pub count: i64,
}

/// Where one route stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteProgress {
    /// The route.
    pub route: String,
    /// The last log sequence the route has finished with.
    pub cursor: i64,
    /// Events in the log after the cursor (not all of them match the route).
    pub lag: i64,
    /// Replays and redrives queued for it.
    pub queued: i64,
    /// Its dead letters.
    pub dead_letters: i64,
}

/// The whole log's progress: its head and every route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogProgress {
    /// The log's last sequence.
    pub head: i64,
    /// Every route of the routing table, in its order.
    pub routes: Vec<RouteProgress>,
}

/// Per route: (cursor, queued redeliveries, dead letters).
type RouteNumbers = BTreeMap<String, (i64, i64, i64)>;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

impl Store {
    /// The first sequence accepted at or after `put_ms` (the head + 1 when none was).
    fn first_seq_since(conn: &rusqlite::Connection, put_ms: i64) -> rusqlite::Result<i64> {
        let (mut lo, mut hi): (i64, i64) = conn.query_row(
            "SELECT COALESCE(MIN(seq), 1), COALESCE(MAX(seq), 0) + 1 FROM events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut at =
            conn.prepare_cached("SELECT put_ms FROM events WHERE seq >= ?1 ORDER BY seq LIMIT 1")?;
        // Invariant: every seq < lo was accepted before `put_ms`; hi is at or after it.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let put: Option<i64> = at.query_row([mid], |r| r.get(0)).optional()?;
            match put {
                Some(p) if p < put_ms => lo = mid + 1,
                _ => hi = mid,
            }
        }
        Ok(lo)
    }

    /// Per-type counts in all and since each of `[5 min, hour, day]` before `now_ms`.
    pub(crate) fn type_counts(&self, now_ms: i64) -> Result<Vec<TypeCount>, BusError> {
        self.read(|conn| {
            let tx = conn.transaction()?;
            let five = Self::first_seq_since(&tx, now_ms - 5 * MINUTE_MS)?;
            let hour = Self::first_seq_since(&tx, now_ms - HOUR_MS)?;
            let day = Self::first_seq_since(&tx, now_ms - 24 * HOUR_MS)?;
            let counts = tx
                .prepare(
                    "SELECT detail_type, COUNT(*), SUM(seq >= ?1), SUM(seq >= ?2), SUM(seq >= ?3)
                     FROM events GROUP BY detail_type ORDER BY detail_type",
                )?
                .query_map(params![five, hour, day], |r| {
                    Ok(TypeCount {
                        detail_type: r.get(0)?,
                        total: r.get(1)?,
                        last5m: r.get(2)?,
                        last_hour: r.get(3)?,
                        last_day: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.commit()?;
            Ok(counts)
        })
    }

    /// Events per minute and detail-type for the `minutes` minutes up to `now_ms`, oldest first,
    /// every minute present.
    pub(crate) fn per_minute(
        &self,
        now_ms: i64,
        minutes: u32,
    ) -> Result<Vec<MinuteCount>, BusError> {
        let last = now_ms.div_euclid(MINUTE_MS);
        let first = last - i64::from(minutes.max(1)) + 1;
        let mut out: Vec<MinuteCount> = (first..=last)
            .map(|m| MinuteCount {
                minute_ms: m * MINUTE_MS,
                counts: BTreeMap::new(),
            })
            .collect();
        let rows = self.read(|conn| {
            let tx = conn.transaction()?;
            let since = Self::first_seq_since(&tx, first * MINUTE_MS)?;
            let rows = tx
                .prepare(
                    "SELECT put_ms / 60000, detail_type, COUNT(*) FROM events
                     WHERE seq >= ?1 GROUP BY 1, 2",
                )?
                .query_map([since], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<(i64, String, i64)>>>()?;
            tx.commit()?;
            Ok(rows)
        })?;
        for (minute, detail_type, count) in rows {
            if let Some(slot) = usize::try_from(minute - first)
                .ok()
                .and_then(|i| out.get_mut(i))
            {
                slot.counts.insert(detail_type, count);
            }
        }
        Ok(out)
    }

    /// MESSAGE_ANALYSED events accepted since `since_ms`, per hour, language and sentiment.
    pub(crate) fn sentiment(&self, since_ms: i64) -> Result<Vec<SentimentCount>, BusError> {
        self.read(|conn| {
            let tx = conn.transaction()?;
            let since = Self::first_seq_since(&tx, since_ms)?;
            let rows = tx
                .prepare(
                    "SELECT put_ms / 3600000 * 3600000 AS hour,
                            COALESCE(json_extract(envelope, '$.detail.Analysis.Language'), 'und'),
                            json_extract(envelope, '$.detail.Analysis.TextSentiment') AS sentiment,
                            COUNT(*)
                     FROM events
                     WHERE detail_type = 'MESSAGE_ANALYSED' AND seq >= ?1 AND sentiment IS NOT NULL
                     GROUP BY 1, 2, 3",
                )?
                .query_map([since], |r| {
                    Ok(SentimentCount {
                        hour_ms: r.get(0)?,
                        language: r.get(1)?,
                        sentiment: r.get(2)?,
                        count: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.commit()?;
            Ok(rows)
        })
    }

    /// The latest `limit` events of any of `types` with a sequence of at least `since_seq`,
    /// newest first.
    pub(crate) fn latest_of_types(
        &self,
        types: &[&str],
        since_seq: i64,
        limit: usize,
    ) -> Result<Vec<LoggedEvent>, BusError> {
        let types = serde_json::to_string(types).unwrap_or_else(|_| "[]".into());
        self.read(|conn| {
            let mut q = conn.prepare_cached(
                "SELECT seq, put_ms, envelope, detail_type FROM events
                 WHERE detail_type IN (SELECT value FROM json_each(?1)) AND seq >= ?2
                 ORDER BY seq DESC LIMIT ?3",
            )?;
            let rows = q.query_map(params![types, since_seq, limit_param(limit)], logged_event)?;
            rows.collect()
        })
    }

    /// The head, each route's cursor, queued redeliveries and dead letters.
    pub(crate) fn route_progress(&self) -> Result<(i64, RouteNumbers), BusError> {
        self.read(|conn| {
            let tx = conn.transaction()?;
            let head: i64 =
                tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
            let mut routes = RouteNumbers::new();
            for (sql, slot) in [
                ("SELECT route, seq FROM cursors", 0),
                ("SELECT route, COUNT(*) FROM redeliveries GROUP BY route", 1),
                ("SELECT route, COUNT(*) FROM dead_letters GROUP BY route", 2),
            ] {
                let mut q = tx.prepare(sql)?;
                let rows =
                    q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
                for row in rows {
                    let (route, n) = row?;
                    let entry = routes.entry(route).or_default();
                    match slot {
                        0 => entry.0 = n,
                        1 => entry.1 = n,
                        _ => entry.2 = n,
                    }
                }
            }
            tx.commit()?;
            Ok((head, routes))
        })
    }
}

impl SqliteBus {
    /// Events per detail-type: in all, and accepted in the last 5 minutes, hour and day.
    pub async fn type_counts(&self) -> Result<Vec<TypeCount>, BusError> {
        let now = chrono::Utc::now().timestamp_millis();
        self.blocking(move |s| s.type_counts(now)).await
    }

    /// Events accepted per minute and detail-type over the last `minutes` minutes, oldest first.
    pub async fn per_minute(&self, minutes: u32) -> Result<Vec<MinuteCount>, BusError> {
        let now = chrono::Utc::now().timestamp_millis();
        self.blocking(move |s| s.per_minute(now, minutes)).await
    }

    /// Analysed messages accepted in the last `hours` hours, per hour, language and sentiment.
    pub async fn sentiment(&self, hours: u32) -> Result<Vec<SentimentCount>, BusError> {
        let since = chrono::Utc::now().timestamp_millis() - i64::from(hours) * HOUR_MS;
        self.blocking(move |s| s.sentiment(since)).await
    }

    /// The latest `limit` events of the given detail-types at or after log sequence `since_seq`,
    /// newest first.
    pub async fn latest_of_types(
        &self,
        types: &[&str],
        since_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, BusError> {
        let types: Vec<String> = types.iter().map(|t| (*t).to_string()).collect();
        let rows = self
            .blocking(move |s| {
                let names: Vec<&str> = types.iter().map(String::as_str).collect();
                s.latest_of_types(&names, since_seq, limit)
            })
            .await?;
        rows.into_iter().map(super::archive::stored_event).collect()
    }

    /// The log's last sequence (0 when empty).
    pub async fn head(&self) -> Result<i64, BusError> {
        self.blocking(|s| {
            s.read(|c| c.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0)))
        })
        .await
    }

    /// The log's head and where every route of the routing table stands.
    pub async fn progress(&self) -> Result<LogProgress, BusError> {
        let (head, mut known) = self.blocking(Store::route_progress).await?;
        let routes = self
            .routes()
            .iter()
            .map(|r| {
                let (cursor, queued, dead_letters) = known.remove(r.name()).unwrap_or_default();
                RouteProgress {
                    route: r.name().to_string(),
                    cursor,
                    lag: (head - cursor).max(0),
                    queued,
                    dead_letters,
                }
            })
            .collect();
        Ok(LogProgress { head, routes })
    }

    /// A receiver that changes whenever there is new work for the bus: events put (by this
    /// process), replays or redrives queued. For live views; read [`progress`](Self::progress)
    /// for the numbers.
    pub fn watch_log(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.wake.subscribe()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;
    use starling_contracts::OutgoingEvent;
    use starling_core::ports::EventPublisher;

    use super::*;
    use crate::{BusConfig, Route, RoutingTable, TargetRef, TargetRegistry, target_fn};

    fn bus(dir: &std::path::Path) -> SqliteBus {
        let table = RoutingTable {
            bus: "Test".into(),
            routes: ["analysed", "all"]
                .iter()
                .map(|name| Route {
                    name: (*name).into(),
                    description: String::new(),
                    pattern: if *name == "analysed" {
                        json!({"detail-type": ["MESSAGE_ANALYSED"]})
                    } else {
                        json!({"source": [{"prefix": ""}]})
                    },
                    target: TargetRef {
                        kind: "test".into(),
                        name: (*name).into(),
                    },
                })
                .collect(),
        };
        SqliteBus::open(dir, &table, BusConfig::default()).unwrap()
    }

    fn analysed(language: &str, sentiment: Option<&str>) -> OutgoingEvent {
        let mut analysis = json!({ "Language": language });
        if let Some(s) = sentiment {
            analysis["TextSentiment"] = json!(s);
        }
        OutgoingEvent::new("test", "MESSAGE_ANALYSED", json!({ "Analysis": analysis })).unwrap()
    }

    async fn put(bus: &SqliteBus, events: Vec<OutgoingEvent>) {
        let outcome = bus.put(&events).await.unwrap();
        assert!(outcome.failed.is_empty());
    }

    #[tokio::test]
    async fn counts_windows_minutes_and_sentiment_agree_with_what_was_put() {
        let dir = tempfile::tempdir().unwrap();
        let bus = bus(dir.path());
        assert!(bus.type_counts().await.unwrap().is_empty());
        let mut events = vec![
            analysed("en", Some("POSITIVE")),
            analysed("en", Some("POSITIVE")),
            analysed("en", Some("NEGATIVE")),
            analysed("de", Some("NEUTRAL")),
            // An image-only analysis has no text sentiment: not counted.
            analysed("en", None),
        ];
        for n in 0..3 {
            events.push(OutgoingEvent::new("test", "MESSAGE_RECEIVED", json!({ "n": n })).unwrap());
        }
        put(&bus, events).await;

        let counts = bus.type_counts().await.unwrap();
        let types: Vec<(&str, i64, i64, i64, i64)> = counts
            .iter()
            .map(|c| {
                (
                    c.detail_type.as_str(),
                    c.total,
                    c.last5m,
                    c.last_hour,
                    c.last_day,
                )
            })
            .collect();
        assert_eq!(
            types,
            [
                ("MESSAGE_ANALYSED", 5, 5, 5, 5),
                ("MESSAGE_RECEIVED", 3, 3, 3, 3)
            ]
        );

        let minutes = bus.per_minute(60).await.unwrap();
        assert_eq!(minutes.len(), 60);
        assert!(
            minutes
                .windows(2)
                .all(|w| w[1].minute_ms - w[0].minute_ms == 60_000)
        );
        let summed: i64 = minutes.iter().flat_map(|m| m.counts.values()).sum();
        assert_eq!(summed, 8);

        let mut sentiment: Vec<(String, String, i64)> = bus
            .sentiment(24)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.language, s.sentiment, s.count))
            .collect();
        sentiment.sort();
        assert_eq!(
            sentiment,
            [
                ("de".into(), "NEUTRAL".into(), 1),
                ("en".into(), "NEGATIVE".into(), 1),
                ("en".into(), "POSITIVE".into(), 2)
            ]
        );
    }

    #[tokio::test]
    async fn the_window_start_is_found_by_acceptance_time() {
        let dir = tempfile::tempdir().unwrap();
        let bus = bus(dir.path());
        put(&bus, vec![analysed("en", Some("MIXED"))]).await;
        let store = &bus.inner.store;
        let now = chrono::Utc::now().timestamp_millis();
        // Everything was accepted before "an hour from now": the window starts past the head.
        let later = store
            .read(|c| Store::first_seq_since(c, now + HOUR_MS))
            .unwrap();
        assert_eq!(later, 2);
        let earlier = store
            .read(|c| Store::first_seq_since(c, now - HOUR_MS))
            .unwrap();
        assert_eq!(earlier, 1);
        // Counting from an hour ahead, nothing is recent.
        let counts = store.type_counts(now + 2 * 24 * HOUR_MS).unwrap();
        assert_eq!((counts[0].total, counts[0].last_day), (1, 0));
    }

    #[tokio::test]
    async fn latest_of_types_and_progress() {
        let dir = tempfile::tempdir().unwrap();
        let bus = bus(dir.path());
        let mut events = Vec::new();
        for n in 0..4 {
            events.push(OutgoingEvent::new("test", "A", json!({ "n": n })).unwrap());
            events.push(OutgoingEvent::new("test", "B", json!({ "n": n })).unwrap());
        }
        put(&bus, events).await;
        let latest = bus.latest_of_types(&["A"], 0, 3).await.unwrap();
        let ns: Vec<i64> = latest
            .iter()
            .map(|e| e.envelope.detail["n"].as_i64().unwrap())
            .collect();
        assert_eq!(ns, [3, 2, 1], "newest first, only A, at most 3");
        assert!(bus.latest_of_types(&["A", "B"], 8, 10).await.unwrap().len() == 1);

        let before = bus.progress().await.unwrap();
        assert_eq!(before.head, 8);
        assert_eq!(
            before
                .routes
                .iter()
                .map(|r| r.route.as_str())
                .collect::<Vec<_>>(),
            ["analysed", "all"]
        );
        let mut changes = bus.watch_log();
        let targets = TargetRegistry::new()
            .with_route("analysed", target_fn(|_| async { Ok(()) }))
            .with_route("all", target_fn(|_| async { Ok(()) }));
        bus.start(&targets).await.unwrap();
        put(
            &bus,
            vec![OutgoingEvent::new("test", "A", json!({})).unwrap()],
        )
        .await;
        assert!(
            changes.has_changed().unwrap(),
            "a put is seen by the watchers"
        );
        bus.wait_idle(std::time::Duration::from_secs(30))
            .await
            .unwrap();
        let after = bus.progress().await.unwrap();
        let all = after.routes.iter().find(|r| r.route == "all").unwrap();
        assert_eq!((after.head, all.cursor, all.lag), (9, 9, 0));
        changes.mark_unchanged();
        bus.shutdown().await.unwrap();
    }
}
