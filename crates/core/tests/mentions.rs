//! The mentions poller against a fake X that serves `GET /2/users/:id/mentions` over HTTP the way
//! X documents it: newest first, `since_id` and `start_time`, pages with `next_token`,
//! `x-rate-limit-*` headers and scripted 429s/503s. The real `XApi` client signs every request.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use starling_contracts::OutgoingEvent;
use starling_core::acl::{AclConfig, map_delivery};
use starling_core::ingress::Intake;
use starling_core::memory::{MemoryCheckpoints, MemoryIdempotency, MemoryPublisher};
use starling_core::ports::{EventPublisher, PublishError, PutOutcome, SystemClock, XCredentials};
use starling_core::publish::RetryPolicy;
use starling_core::secrets::StaticSecrets;
use starling_core::sources::{
    CheckpointStore, MENTIONS, PollError, PollerConfig, PostPoller, XApiMentions, XApiSearch,
    search_checkpoint,
};
use starling_x::api::{XApi, XApiConfig};
use starling_x::payload::parse_delivery_value;

const BOT: &str = "1111111111111111111";
const PAGE: usize = 10;

// ---------- the fake X ----------

#[derive(Default)]
struct FakeState {
    /// Posts mentioning the bot, oldest first.
    posts: Mutex<Vec<Value>>,
    users: Mutex<Vec<Value>>,
    /// Scripted answers (status, x-rate-limit-reset) for the next requests.
    script: Mutex<VecDeque<(u16, Option<i64>)>>,
    /// Every request: when, and its query.
    requests: Mutex<Vec<(Instant, HashMap<String, String>)>>,
}

async fn mentions(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    state
        .requests
        .lock()
        .unwrap()
        .push((Instant::now(), q.clone()));
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !auth.starts_with("OAuth ") || !auth.contains("oauth_signature=") {
        return (StatusCode::UNAUTHORIZED, r#"{"title":"Unauthorized"}"#).into_response();
    }
    for field in [
        "display_text_range",
        "entities",
        "referenced_tweets",
        "note_tweet",
    ] {
        assert!(q["tweet.fields"].split(',').any(|f| f == field), "{field}");
    }
    assert!(q["expansions"].split(',').any(|e| e == "author_id"));
    if let Some((status, reset)) = state.script.lock().unwrap().pop_front() {
        let mut r = (
            StatusCode::from_u16(status).unwrap(),
            json!({"title": "scripted", "detail": "scripted", "status": status}).to_string(),
        )
            .into_response();
        if let Some(reset) = reset {
            r.headers_mut()
                .insert("x-rate-limit-reset", reset.to_string().parse().unwrap());
            r.headers_mut()
                .insert("x-rate-limit-remaining", "0".parse().unwrap());
        }
        return r;
    }
    let since: Option<u128> = q.get("since_id").map(|s| s.parse().unwrap());
    let start: Option<DateTime<Utc>> = q
        .get("start_time")
        .map(|t| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc));
    let mut matching: Vec<Value> = state
        .posts
        .lock()
        .unwrap()
        .iter()
        .filter(|p| since.is_none_or(|s| p["id"].as_str().unwrap().parse::<u128>().unwrap() > s))
        .filter(|p| {
            start.is_none_or(|s| {
                DateTime::parse_from_rfc3339(p["created_at"].as_str().unwrap()).unwrap() >= s
            })
        })
        .cloned()
        .collect();
    matching.reverse();
    let offset: usize = q
        .get("pagination_token")
        .or_else(|| q.get("next_token"))
        .map(|t| t.trim_start_matches("page-").parse().unwrap())
        .unwrap_or(0);
    let page: Vec<Value> = matching.iter().skip(offset).take(PAGE).cloned().collect();
    if page.is_empty() {
        return Json(json!({"meta": {"result_count": 0}})).into_response();
    }
    let authors: Vec<&str> = page
        .iter()
        .map(|p| p["author_id"].as_str().unwrap())
        .collect();
    let users: Vec<Value> = state
        .users
        .lock()
        .unwrap()
        .iter()
        .filter(|u| authors.contains(&u["id"].as_str().unwrap()))
        .cloned()
        .collect();
    let mut meta = json!({
        "result_count": page.len(),
        "newest_id": page[0]["id"],
        "oldest_id": page[page.len() - 1]["id"],
    });
    if offset + PAGE < matching.len() {
        meta["next_token"] = json!(format!("page-{}", offset + PAGE));
    }
    Json(json!({"data": page, "includes": {"users": users}, "meta": meta})).into_response()
}

/// `GET /2/tweets/search/recent`: the same posts, for the query `#starling` only.
async fn search(
    state: State<Arc<FakeState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q.get("query").map(String::as_str), Some("#starling"));
    assert!(
        !q.contains_key("pagination_token"),
        "search pages with next_token"
    );
    mentions(state, headers, Query(q)).await
}

struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        (
            [
                ("content-type", "application/json"),
                ("x-rate-limit-limit", "300"),
                ("x-rate-limit-remaining", "299"),
            ],
            self.0.to_string(),
        )
            .into_response()
    }
}

struct FakeX {
    base: String,
    state: Arc<FakeState>,
}

impl FakeX {
    async fn start() -> Self {
        let state = Arc::new(FakeState::default());
        let app = axum::Router::new()
            .route(
                &format!("/2/users/{BOT}/mentions"),
                axum::routing::get(mentions),
            )
            .route("/2/tweets/search/recent", axum::routing::get(search))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, state }
    }

    /// `n` mentions of the bot by distinct authors, a second apart, ending now.
    fn hold_mentions(&self, n: usize) {
        let now = Utc::now();
        for i in 0..n {
            let id = format!("20807658135781{:05}", i + 1);
            let author = format!("30000000000000{:05}", i + 1);
            let text = format!("@ExampleUser question number {i} &amp; more");
            self.state.posts.lock().unwrap().push(json!({
                "id": id,
                "text": text,
                "author_id": author,
                "created_at": (now - TimeDelta::seconds((n - i) as i64)).format("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
                "conversation_id": id,
                "lang": "en",
                "display_text_range": [0, text.chars().count()],
                "entities": {"mentions": [{"start": 0, "end": 12, "username": "ExampleUser", "id": BOT}]},
                "edit_history_tweet_ids": [id],
            }));
            self.state.users.lock().unwrap().push(
                json!({"id": author, "username": format!("user{i}"), "name": format!("User {i}")}),
            );
        }
    }

    fn requests(&self) -> Vec<(Instant, HashMap<String, String>)> {
        self.state.requests.lock().unwrap().clone()
    }
}

// ---------- the rig ----------

/// Accepts the first `limit` events, then refuses everything (a bus going down mid-poll).
struct Flaky {
    inner: MemoryPublisher,
    limit: Mutex<usize>,
}

#[async_trait]
impl EventPublisher for Flaky {
    async fn put(&self, events: &[OutgoingEvent]) -> Result<PutOutcome, PublishError> {
        let allowed = {
            let mut limit = self.limit.lock().unwrap();
            let allowed = *limit >= events.len();
            if allowed {
                *limit -= events.len();
            }
            allowed
        };
        if !allowed {
            return Err(PublishError::Unavailable("bus down".into()));
        }
        self.inner.put(events).await
    }
}

fn acl() -> AclConfig {
    AclConfig {
        bot_user_id: Some(BOT.into()),
        ..AclConfig::default()
    }
}

fn no_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    }
}

struct Rig {
    x: FakeX,
    claims: Arc<MemoryIdempotency>,
    checkpoints: Arc<MemoryCheckpoints>,
}

impl Rig {
    async fn new() -> Self {
        Self {
            x: FakeX::start().await,
            claims: Arc::new(MemoryIdempotency::new()),
            checkpoints: Arc::new(MemoryCheckpoints::default()),
        }
    }

    /// A poller as a (re)started process would build it, over the rig's stores.
    fn poller(&self, bus: Arc<dyn EventPublisher>) -> PostPoller {
        let api = XApi::new(XApiConfig {
            api_base: self.x.base.clone(),
            upload_base: self.x.base.clone(),
            timeout: Duration::from_secs(5),
        });
        let secrets = StaticSecrets(XCredentials {
            api_key: "ck".into(),
            api_secret: "cs".into(),
            access_token: "at".into(),
            access_token_secret: "as".into(),
        });
        PostPoller::new(
            Arc::new(XApiMentions::new(api, secrets, BOT)),
            Intake::new(bus, no_retry()).with_dedup(self.claims.clone()),
            self.checkpoints.clone(),
            acl(),
            Arc::new(SystemClock),
            PollerConfig {
                interval: Duration::from_millis(200),
                ..PollerConfig::default()
            },
        )
    }
}

fn received(events: &[OutgoingEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.detail_type == "MESSAGE_RECEIVED")
        .map(|e| {
            e.detail["Twitter"]["TweetId"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

// ---------- scenarios ----------

#[tokio::test]
async fn twenty_five_mentions_become_twenty_five_messages_over_three_pages_oldest_first() {
    let rig = Rig::new().await;
    rig.x.hold_mentions(25);
    let bus = Arc::new(MemoryPublisher::new());
    let report = rig.poller(bus.clone()).poll_once().await.unwrap();
    assert_eq!((report.posts, report.pages), (25, 3));
    let ids = received(&bus.events());
    assert_eq!(ids.len(), 25);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "published oldest first");
    for e in bus
        .events()
        .iter()
        .filter(|e| e.detail_type == "MESSAGE_RECEIVED")
    {
        assert_eq!(e.detail["Summoned"], true, "{}", e.detail);
        // X escapes `&` in `text`; the message carries what the author typed.
        assert!(
            e.detail["Text"].as_str().unwrap().ends_with("& more"),
            "{}",
            e.detail
        );
    }
    assert_eq!(
        rig.checkpoints.load(MENTIONS).await.unwrap().as_deref(),
        Some("2080765813578100025")
    );
    // The first poll had no checkpoint: it asked for the last 15 minutes only.
    assert!(rig.x.requests()[0].1.contains_key("start_time"));
    // The next poll asks from the checkpoint and finds nothing new.
    let again = rig.poller(bus.clone()).poll_once().await.unwrap();
    assert_eq!(again.posts, 0);
    let last = rig.x.requests().last().unwrap().1.clone();
    assert_eq!(
        last.get("since_id").map(String::as_str),
        Some("2080765813578100025")
    );
    assert_eq!(received(&bus.events()).len(), 25);
}

#[tokio::test]
async fn a_poll_cut_off_midway_then_restarted_loses_and_repeats_nothing() {
    let rig = Rig::new().await;
    rig.x.hold_mentions(25);
    let flaky = Arc::new(Flaky {
        inner: MemoryPublisher::new(),
        // 10 items of two events each get through, then the bus is down.
        limit: Mutex::new(20),
    });
    let err = rig.poller(flaky.clone()).poll_once().await.unwrap_err();
    assert!(matches!(err, PollError::Unavailable(_)), "{err}");
    assert_eq!(received(&flaky.inner.events()).len(), 10);
    assert_eq!(rig.checkpoints.load(MENTIONS).await.unwrap(), None);
    // A new process, the bus back.
    *flaky.limit.lock().unwrap() = usize::MAX;
    let report = rig.poller(flaky.clone()).poll_once().await.unwrap();
    assert_eq!(report.intake.duplicates, 10);
    let mut ids = received(&flaky.inner.events());
    assert_eq!(ids.len(), 25);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25, "no post twice");
}

#[tokio::test]
async fn a_429_stops_every_request_until_the_reset() {
    let rig = Rig::new().await;
    rig.x.hold_mentions(3);
    let reset = Utc::now().timestamp() + 3;
    rig.x
        .state
        .script
        .lock()
        .unwrap()
        .push_back((429, Some(reset)));
    let bus = Arc::new(MemoryPublisher::new());
    let poller = Arc::new(rig.poller(bus.clone()));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = {
        let poller = poller.clone();
        tokio::spawn(async move { poller.run(stopped).await })
    };
    let started = Instant::now();
    while received(&bus.events()).len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the poller never recovered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    let requests = rig.x.requests();
    assert!(requests.len() >= 2);
    // The first request got the 429; the next one came only after the reset.
    let reset_at = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(reset as u64);
    let gap = requests[1].0 - requests[0].0;
    let needed = reset_at
        .duration_since(std::time::SystemTime::now() - started.elapsed())
        .unwrap_or_default();
    assert!(
        gap + Duration::from_millis(50) >= needed,
        "asked again after {gap:?}, the reset was {needed:?} after the 429"
    );
}

#[tokio::test]
async fn a_server_error_backs_off_and_a_refusal_stops_the_poller_with_x_words() {
    let rig = Rig::new().await;
    rig.x.hold_mentions(2);
    rig.x.state.script.lock().unwrap().push_back((503, None));
    rig.x.state.script.lock().unwrap().push_back((403, None));
    let bus = Arc::new(MemoryPublisher::new());
    let poller = rig.poller(bus.clone());
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let err = tokio::time::timeout(Duration::from_secs(10), poller.run(stopped))
        .await
        .expect("a refusal stops the poller")
        .unwrap_err();
    assert!(
        matches!(err, PollError::Refused(ref m) if m.contains("403")),
        "{err}"
    );
    assert_eq!(rig.x.requests().len(), 2);
    assert!(bus.events().is_empty());
}

#[tokio::test]
async fn the_same_post_by_webhook_and_by_poll_is_one_message_field_for_field() {
    // X's own sample post.mention.create, and the same post as the mentions read returns it.
    let webhook: Value = serde_json::from_str(include_str!(
        "../../x/tests/fixtures/x_activity_post_mention.json"
    ))
    .unwrap();
    let post = webhook["data"]["payload"].clone();
    let users = webhook["data"]["includes"]["users"].clone();
    let rig = Rig::new().await;
    rig.x.state.posts.lock().unwrap().push(post.clone());
    *rig.x.state.users.lock().unwrap() = users.as_array().unwrap().clone();
    // Its date is in the past: start from a checkpoint just before it.
    rig.checkpoints
        .save(MENTIONS, "2080765813578191302")
        .await
        .unwrap();

    let bus = Arc::new(MemoryPublisher::new());
    let by_webhook = map_delivery(&parse_delivery_value(&webhook).unwrap(), &acl());
    let webhook_received = by_webhook[0].events[1].clone();
    Intake::new(bus.clone(), no_retry())
        .with_dedup(rig.claims.clone())
        .publish(by_webhook)
        .await
        .unwrap();
    let report = rig.poller(bus.clone()).poll_once().await.unwrap();
    assert_eq!((report.posts, report.intake.duplicates), (1, 1));
    assert_eq!(received(&bus.events()), ["2080765813578191303"]);

    // Field for field, the poll maps the post to the webhook's MESSAGE_RECEIVED.
    let page = json!({"data": [post], "includes": {"users": users}, "meta": {"result_count": 1}});
    let body = &starling_x::payload::split_page(&page)[0];
    let by_poll = map_delivery(
        &parse_delivery_value(body).unwrap(),
        &AclConfig {
            source: starling_contracts::MessageSource::Mentions,
            ..acl()
        },
    );
    let poll_received = &by_poll[0].events[1];
    assert_eq!(poll_received.detail_type, "MESSAGE_RECEIVED");
    // Field for field but the way in, which each says.
    assert_eq!(webhook_received.detail["Source"], "webhook");
    assert_eq!(poll_received.detail["Source"], "mentions");
    let without_source = |d: &Value| {
        let mut d = d.clone();
        d.as_object_mut().unwrap().remove("Source");
        d
    };
    assert_eq!(
        without_source(&poll_received.detail),
        without_source(&webhook_received.detail)
    );
    // The one published is the webhook's, which came first.
    let published: Vec<_> = bus
        .events()
        .into_iter()
        .filter(|e| e.detail_type == "MESSAGE_RECEIVED")
        .collect();
    assert_eq!(published[0].detail["Source"], "webhook");
}

#[tokio::test]
async fn a_keyword_search_lands_its_posts_as_search_under_its_own_checkpoint() {
    let rig = Rig::new().await;
    rig.x.hold_mentions(12);
    let api = XApi::new(XApiConfig {
        api_base: rig.x.base.clone(),
        upload_base: rig.x.base.clone(),
        timeout: Duration::from_secs(5),
    });
    let secrets = StaticSecrets(XCredentials {
        api_key: "ck".into(),
        api_secret: "cs".into(),
        access_token: "at".into(),
        access_token_secret: "as".into(),
    });
    let bus = Arc::new(MemoryPublisher::new());
    let poller = PostPoller::new(
        Arc::new(XApiSearch::new(api, secrets, "#starling")),
        Intake::new(bus.clone(), no_retry()).with_dedup(rig.claims.clone()),
        rig.checkpoints.clone(),
        acl(),
        Arc::new(SystemClock),
        PollerConfig::default(),
    )
    .for_search("#starling");
    let report = poller.poll_once().await.unwrap();
    assert_eq!((report.posts, report.pages), (12, 2));
    let events = bus.events();
    let received: Vec<_> = events
        .iter()
        .filter(|e| e.detail_type == "MESSAGE_RECEIVED")
        .collect();
    assert_eq!(received.len(), 12);
    assert!(received.iter().all(|e| e.detail["Source"] == "search"));
    assert_eq!(
        rig.checkpoints
            .load(&search_checkpoint("#starling"))
            .await
            .unwrap()
            .as_deref(),
        Some("2080765813578100012")
    );
    // The mentions checkpoint is untouched.
    assert_eq!(rig.checkpoints.load(MENTIONS).await.unwrap(), None);
}
