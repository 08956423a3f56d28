//! The dashboard's JSON endpoints (README, "Dashboard"): one handler per panel, all read-only
//! except redrive and replay.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use starling_bus::BusError;

use super::messages::{FOLLOW_UPS, assemble};
use super::queries::{NAMED_QUERIES, find};
use super::{Dashboard, refuse};

type Shared = State<Arc<Dashboard>>;

fn bus_failed(e: BusError) -> Response {
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the event log: {e}"),
    )
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// `GET /api/summary`: counts per detail-type and the last hour per minute.
pub async fn summary(State(d): Shared) -> Response {
    let (types, minutes, head) =
        match tokio::try_join!(d.bus.type_counts(), d.bus.per_minute(60), d.bus.head()) {
            Ok(found) => found,
            Err(e) => return bus_failed(e),
        };
    Json(json!({ "nowMs": ms(Utc::now()), "head": head, "types": types, "minutes": minutes }))
        .into_response()
}

/// How many of something to show.
#[derive(Debug, Deserialize)]
pub struct Limit {
    limit: Option<usize>,
}

/// A time window in hours.
#[derive(Debug, Deserialize)]
pub struct Hours {
    hours: Option<u32>,
}

const SENTIMENTS: [&str; 4] = ["POSITIVE", "NEGATIVE", "NEUTRAL", "MIXED"];

/// `GET /api/sentiment?hours=24`: analysed messages per hour and per language, by sentiment.
pub async fn sentiment(State(d): Shared, Query(q): Query<Hours>) -> Response {
    let hours = q.hours.unwrap_or(24).clamp(1, 24 * 14);
    let rows = match d.bus.sentiment(hours).await {
        Ok(rows) => rows,
        Err(e) => return bus_failed(e),
    };
    const HOUR: i64 = 3_600_000;
    let last = ms(Utc::now()).div_euclid(HOUR) * HOUR;
    let first = last - (i64::from(hours) - 1) * HOUR;
    let empty = || {
        SENTIMENTS
            .iter()
            .map(|s| ((*s).to_string(), 0i64))
            .collect::<BTreeMap<_, _>>()
    };
    let mut buckets: BTreeMap<i64, BTreeMap<String, i64>> = (0..i64::from(hours))
        .map(|i| (first + i * HOUR, empty()))
        .collect();
    let mut languages: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for row in rows {
        if let Some(bucket) = buckets.get_mut(&row.hour_ms) {
            *bucket.entry(row.sentiment.clone()).or_default() += row.count;
        }
        *languages
            .entry(row.language)
            .or_insert_with(empty)
            .entry(row.sentiment)
            .or_default() += row.count;
    }
    let buckets: Vec<Value> = buckets
        .into_iter()
        .map(|(hour, counts)| {
            let mut v = json!(counts);
            v["hourMs"] = json!(hour);
            v
        })
        .collect();
    let mut by_language: Vec<Value> = languages
        .into_iter()
        .map(|(language, counts)| {
            let total: i64 = counts.values().sum();
            let mut v = json!(counts);
            v["language"] = json!(language);
            v["total"] = json!(total);
            v
        })
        .collect();
    by_language.sort_by_key(|v| std::cmp::Reverse(v["total"].as_i64().unwrap_or_default()));
    Json(json!({ "hours": hours, "buckets": buckets, "byLanguage": by_language })).into_response()
}

/// `GET /api/messages?limit=50`: the latest messages with their analysis and reply.
pub async fn messages(State(d): Shared, Query(q): Query<Limit>) -> Response {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let received = match d.bus.latest_of_types(&["MESSAGE_RECEIVED"], 0, limit).await {
        Ok(r) => r,
        Err(e) => return bus_failed(e),
    };
    let since = received.last().map_or(i64::MAX, |e| e.seq);
    // What followed the oldest shown message; a busy log is cut at a bound, so a message whose
    // follow-ups lie beyond it shows as pending rather than costing an unbounded read.
    let follow_ups = match d.bus.latest_of_types(&FOLLOW_UPS, since, 40 * limit).await {
        Ok(r) => r,
        Err(e) => return bus_failed(e),
    };
    Json(json!({ "messages": assemble(&received, &follow_ups) })).into_response()
}

/// Reads at most the last `max_bytes` of a JSON-lines file and returns its last `limit` objects,
/// newest first. A missing file has none.
fn tail_json_lines(path: &Path, limit: usize, max_bytes: u64) -> std::io::Result<Vec<Value>> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let start = len.saturating_sub(max_bytes);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(max_bytes).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<&str> = text.lines().collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0); // cut mid-line
    }
    Ok(lines
        .iter()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .take(limit)
        .collect())
}

/// `GET /api/alerts?limit=50`: the latest alerts from `alerts.jsonl`, newest first.
pub async fn alerts(State(d): Shared, Query(q): Query<Limit>) -> Response {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let path = d.data_dir.alerts();
    let read = tokio::task::spawn_blocking(move || tail_json_lines(&path, limit, 2 << 20)).await;
    match read {
        Ok(Ok(found)) => {
            let alerts: Vec<Value> = found
                .into_iter()
                .map(|a| {
                    json!({
                        "time": a.get("Time"),
                        "subject": a.get("Subject"),
                        "message": a.get("Message"),
                        "attributes": a.get("Attributes"),
                    })
                })
                .collect();
            Json(json!({ "alerts": alerts })).into_response()
        }
        Ok(Err(e)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("alerts: {e}")),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /api/dead-letters`: the dead letters (the newest 500) and the count per route.
pub async fn dead_letters(State(d): Shared) -> Response {
    let all = match d.bus.dead_letters(None).await {
        Ok(all) => all,
        Err(e) => return bus_failed(e),
    };
    let mut routes: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &all {
        *routes.entry(l.route.as_str()).or_default() += 1;
    }
    let routes: Vec<Value> = routes
        .into_iter()
        .map(|(route, count)| json!({ "route": route, "count": count }))
        .collect();
    let letters: Vec<Value> = all
        .iter()
        .rev()
        .take(500)
        .map(|l| {
            json!({
                "id": l.id,
                "route": l.route,
                "eventSeq": l.event_seq,
                "eventId": l.event.id,
                "detailType": l.event.detail_type,
                "attempts": l.attempts,
                "error": l.error,
                "failedAt": l.failed_at.to_rfc3339(),
                "redriveQueued": l.redrive_queued,
            })
        })
        .collect();
    Json(json!({ "routes": routes, "deadLetters": letters })).into_response()
}

/// The body of a redrive: one route, or every route when absent.
#[derive(Debug, Deserialize)]
pub struct RedriveBody {
    route: Option<String>,
}

/// `POST /api/dead-letters/redrive`: `starling dlq redrive`, for one route or all.
pub async fn redrive(
    State(d): Shared,
    body: Result<Json<RedriveBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e.body_text()),
    };
    match d
        .bus
        .redrive(body.route.as_deref().filter(|r| !r.is_empty()))
        .await
    {
        Ok(queued) => Json(json!({ "queued": queued })).into_response(),
        Err(e @ BusError::UnknownRoute { .. }) => refuse(StatusCode::BAD_REQUEST, e.to_string()),
        Err(e) => bus_failed(e),
    }
}

/// The body of a replay.
#[derive(Debug, Deserialize)]
pub struct ReplayBody {
    from: String,
    to: String,
    route: Option<String>,
}

/// `POST /api/replay`: `starling replay` over a time range, to one route or every matching one.
pub async fn replay(
    State(d): Shared,
    body: Result<Json<ReplayBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let time = |name: &str, s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("{name}: not an RFC 3339 time ({e})"))
    };
    let (from, to) = match (time("from", &body.from), time("to", &body.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(why), _) | (_, Err(why)) => return refuse(StatusCode::BAD_REQUEST, why),
    };
    if to < from {
        return refuse(StatusCode::BAD_REQUEST, "`to` is before `from`");
    }
    match d
        .bus
        .replay(from, to, body.route.as_deref().filter(|r| !r.is_empty()))
        .await
    {
        Ok(report) => {
            let queued: Vec<Value> = report
                .queued
                .iter()
                .map(|(route, count)| json!({ "route": route, "count": count }))
                .collect();
            Json(json!({ "events": report.events, "queued": queued, "total": report.total() }))
                .into_response()
        }
        Err(e @ BusError::UnknownRoute { .. }) => refuse(StatusCode::BAD_REQUEST, e.to_string()),
        Err(e) => bus_failed(e),
    }
}

/// `GET /api/queries`: the `athena/` named queries.
pub async fn queries() -> Response {
    let list: Vec<Value> = NAMED_QUERIES
        .iter()
        .map(|q| json!({ "name": q.name, "file": q.file(), "question": q.question() }))
        .collect();
    let available = cfg!(feature = "sql");
    let mut answer = json!({ "queries": list, "available": available });
    if !available {
        answer["reason"] = json!("this starling was built without the `sql` feature (DuckDB)");
    }
    Json(answer).into_response()
}

/// `GET /api/queries/{name}`: runs one named query over the lake, read-only.
pub async fn run_query(State(d): Shared, UrlPath(name): UrlPath<String>) -> Response {
    let Some(query) = find(&name) else {
        return refuse(StatusCode::NOT_FOUND, format!("no named query {name:?}"));
    };
    run_named(d.data_dir.lake(), query).await
}

#[cfg(feature = "sql")]
async fn run_named(
    lake: std::path::PathBuf,
    query: &'static super::queries::NamedQuery,
) -> Response {
    let ran = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let engine = starling_lake::LakeEngine::open(&lake, &starling_lake::embedded_tables()?)?;
        let result = engine.query(query.sql)?;
        Ok::<_, starling_lake::QueryError>((result, started.elapsed()))
    })
    .await;
    match ran {
        Ok(Ok((result, took))) => Json(json!({
            "name": query.name,
            "question": query.question(),
            "columns": result.columns,
            "rows": result.rows,
            "elapsedMs": took.as_secs_f64() * 1000.0,
        }))
        .into_response(),
        Ok(Err(e)) => refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{}: {e}", query.file()),
        ),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[cfg(not(feature = "sql"))]
async fn run_named(_: std::path::PathBuf, _: &'static super::queries::NamedQuery) -> Response {
    refuse(
        StatusCode::NOT_IMPLEMENTED,
        "this starling was built without the `sql` feature (DuckDB)",
    )
}

/// Files and bytes under a directory (what is readable).
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    final_parts: u64,
    in_progress: u64,
    bytes: u64,
}

fn usage(root: &Path) -> Usage {
    let mut u = Usage::default();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
                continue;
            }
            u.bytes += meta.len();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(starling_lake::writer::IN_PROGRESS_SUFFIX) {
                u.in_progress += 1;
            } else if !name.starts_with('.') {
                u.final_parts += 1;
            }
        }
    }
    u
}

/// `GET /api/health`: routes, retries pending, the lake, the disk.
pub async fn health(State(d): Shared) -> Response {
    let progress = match d.bus.progress().await {
        Ok(p) => p,
        Err(e) => return bus_failed(e),
    };
    let root = d.data_dir.root().to_path_buf();
    let lake_root = d.data_dir.lake();
    let sizes = tokio::task::spawn_blocking(move || {
        let lake = usage(&lake_root.join(starling_lake::writer::EVENTS_PREFIX));
        let all = usage(&root);
        let free = rustix::fs::statvfs(&root)
            .ok()
            .map(|s| s.f_bavail.saturating_mul(s.f_frsize));
        (lake, all, free)
    })
    .await;
    let Ok((lake, all, free)) = sizes else {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "measuring the data directory failed",
        );
    };
    let retries: i64 = progress.routes.iter().map(|r| r.queued).sum();
    Json(json!({
        "head": progress.head,
        "uptimeSecs": d.started.elapsed().as_secs(),
        "routes": progress.routes,
        "retriesPending": retries,
        "lake": { "finalParts": lake.final_parts, "inProgressParts": lake.in_progress, "bytes": lake.bytes },
        "disk": { "dataDirBytes": all.bytes, "freeBytes": free },
    }))
    .into_response()
}

/// `GET /api/media/{key}`: an image from the media store (the photos and the annotated replies).
pub async fn media(State(d): Shared, UrlPath(key): UrlPath<String>) -> Response {
    if !(key.starts_with("annotated/") || key.starts_with("media/")) {
        return refuse(
            StatusCode::NOT_FOUND,
            "only media/ and annotated/ keys are served",
        );
    }
    let Ok(path) = d.media.path_of(&key) else {
        return refuse(StatusCode::NOT_FOUND, "not a media key");
    };
    let content_type = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            refuse(StatusCode::NOT_FOUND, format!("no media {key}"))
        }
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("{key}: {e}")),
    }
}

/// The quickest a live view hears of new events, and how often it looks when nothing wakes it
/// (events put by another process).
const LIVE_DEBOUNCE: Duration = Duration::from_millis(500);
const LIVE_POLL: Duration = Duration::from_secs(2);

/// `GET /api/live`: server-sent `head` events when the log grows (at most every 500 ms).
pub async fn live(State(d): Shared) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = d.bus.watch_log();
    let stopping = d.stopping.subscribe();
    let stream = futures::stream::unfold(
        (d, changes, stopping, None::<i64>),
        |(d, mut changes, mut stopping, last)| async move {
            loop {
                if *stopping.borrow() {
                    return None;
                }
                if last.is_some() {
                    // Either this process put something, or a slow look finds another's puts.
                    tokio::select! {
                        _ = tokio::time::timeout(LIVE_POLL, changes.changed()) => {}
                        _ = stopping.changed() => return None,
                    }
                    tokio::time::sleep(LIVE_DEBOUNCE).await;
                    changes.mark_unchanged();
                }
                let head = d.bus.head().await.unwrap_or_default();
                if last != Some(head) {
                    let event = Event::default()
                        .event("head")
                        .data(json!({ "head": head, "nowMs": ms(Utc::now()) }).to_string());
                    return Some((Ok(event), (d, changes, stopping, Some(head))));
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_of_a_json_lines_file_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.jsonl");
        assert!(tail_json_lines(&path, 5, 1 << 20).unwrap().is_empty());
        let lines: String = (0..100).map(|n| format!("{{\"n\":{n}}}\n")).collect();
        std::fs::write(&path, lines).unwrap();
        let last = tail_json_lines(&path, 3, 1 << 20).unwrap();
        assert_eq!(last, [json!({"n": 99}), json!({"n": 98}), json!({"n": 97})]);
        // Reading only the end: the cut first line is dropped, never misparsed.
        let cut = tail_json_lines(&path, 1000, 30).unwrap();
        assert!(cut.len() < 5 && cut[0] == json!({"n": 99}));
    }

    #[test]
    fn lake_usage_tells_final_from_in_progress_parts() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("detail_type=A/dt=2026-12-07/hour=10");
        std::fs::create_dir_all(&part).unwrap();
        std::fs::write(part.join("a.json"), "{}\n").unwrap();
        std::fs::write(
            part.join(format!(".b{}", starling_lake::writer::IN_PROGRESS_SUFFIX)),
            "{}\n{}\n",
        )
        .unwrap();
        let u = usage(dir.path());
        assert_eq!((u.final_parts, u.in_progress, u.bytes), (1, 1, 9));
    }
}
