//! Egress end to end against a local fake X API whose every request's OAuth 1.0a signature is
//! checked by an independent implementation (Python's oauthlib, `fixtures/oauth_verify.py`).
//!
//! The fake runs on 127.0.0.1:0; the real `XApi` client and `XApiPoster` talk to it over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use starling_contracts::{SendTweet, TweetFailed, TweetSent, detail_type};
use starling_core::egress::{Egress, EgressConfig, EgressError, XApiPoster};
use starling_core::memory::{MemoryBlobStore, MemoryIdempotency};
use starling_core::ports::{BlobStore, SystemClock, XCredentials};
use starling_core::secrets::StaticSecrets;
use starling_x::api::{XApi, XApiConfig};
use tokio::io::AsyncWriteExt;

const CONSUMER_KEY: &str = "fake-consumer-key";
const CONSUMER_SECRET: &str = "fake consumer secret/+=&";
const TOKEN: &str = "1234-fake-access-token";
const TOKEN_SECRET: &str = "fake token secret ☃";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n fake png";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];

// ---------- the fake X API ----------

/// One request as the fake saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    body: Value,
    signature_ok: bool,
    reason: String,
}

/// A scripted answer for the next request to a path.
#[derive(Debug, Clone)]
struct Scripted {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
}

/// How the fake answers a post it has created (the next one; normally 201 with its id).
#[derive(Debug, Clone, Copy)]
enum AfterPosting {
    /// 201 with an empty body.
    Empty201,
    /// 201, part of the body, then the connection drops.
    Drop,
    /// Nothing until long after the client's timeout.
    Hang,
    /// 503, though the post was created.
    Error503,
}

/// A post the fake holds, as X keeps the bot's posts.
#[derive(Debug, Clone)]
struct Posted {
    id: String,
    in_reply_to: String,
    at: DateTime<Utc>,
}

#[derive(Default)]
struct FakeState {
    seen: Mutex<Vec<Seen>>,
    script: Mutex<HashMap<String, VecDeque<Scripted>>>,
    after_posting: Mutex<VecDeque<AfterPosting>>,
    posts: Mutex<Vec<Posted>>,
    /// The posts the bot reposted (X keeps one repost per account and post).
    reposts: Mutex<Vec<String>>,
    nonces: Mutex<HashSet<String>>,
    next_id: Mutex<u64>,
}

struct FakeX {
    base: String,
    state: Arc<FakeState>,
}

impl FakeX {
    async fn start() -> Self {
        let state = Arc::new(FakeState::default());
        let app = axum::Router::new()
            .fallback(fake_handler)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, state }
    }

    fn script(&self, path: &str, answer: Scripted) {
        self.state
            .script
            .lock()
            .unwrap()
            .entry(path.into())
            .or_default()
            .push_back(answer);
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    /// The next post is created, then answered as `how`.
    fn after_posting(&self, how: AfterPosting) {
        self.state.after_posting.lock().unwrap().push_back(how);
    }

    /// The posts that exist on the fake X.
    fn posts(&self) -> Vec<Posted> {
        self.state.posts.lock().unwrap().clone()
    }

    fn api(&self) -> XApi {
        XApi::new(XApiConfig {
            api_base: self.base.clone(),
            upload_base: format!("{}/", self.base),
            timeout: Duration::from_secs(2),
        })
    }
}

const BOT_USER_ID: &str = "1234";
const TIMELINE: &str = "/2/users/1234/tweets";
const RETWEETS: &str = "/2/users/1234/retweets";

fn venv_python() -> PathBuf {
    let venv = std::env::var("STARLING_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "no Python at {}; run the test command (bash scripts/test.sh), which creates the \
         virtualenv from ci/requirements.txt (oauthlib), or set STARLING_VENV",
        python.display()
    );
    python
}

/// Asks oauthlib whether the request is signed with the fake's credentials.
async fn verify_with_oauthlib(
    method: &Method,
    url: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> (bool, String) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let input = json!({
        "method": method.as_str(),
        "url": url,
        "authorization": header("authorization"),
        "content_type": header("content-type"),
        "body": String::from_utf8_lossy(body),
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "token": TOKEN,
        "token_secret": TOKEN_SECRET,
        "now": Utc::now().timestamp(),
    });
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oauth_verify.py");
    let mut child = tokio::process::Command::new(venv_python())
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the oauthlib verifier");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    let verdict: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "oauthlib verifier failed (is oauthlib installed in the venv?): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        verdict["ok"].as_bool().unwrap(),
        verdict["reason"].as_str().unwrap_or_default().to_string(),
    )
}

async fn fake_handler(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let url = format!("http://{host}{uri}");
    let (mut ok, mut reason) = verify_with_oauthlib(&method, &url, &headers, &body).await;
    // A nonce is good for one request only.
    if ok {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let nonce = auth
            .split(", ")
            .find_map(|f| f.strip_prefix("oauth_nonce=\""))
            .unwrap_or_default()
            .trim_end_matches('"')
            .to_string();
        if !state.nonces.lock().unwrap().insert(nonce) {
            ok = false;
            reason = "oauth_nonce replayed".into();
        }
    }
    let path = uri.path().to_string();
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state.seen.lock().unwrap().push(Seen {
        path: path.clone(),
        body: parsed.clone(),
        signature_ok: ok,
        reason: reason.clone(),
    });
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            JsonBody(json!({"title": "Unauthorized", "detail": reason, "type": "about:blank", "status": 401})),
        )
            .into_response();
    }
    let scripted = state
        .script
        .lock()
        .unwrap()
        .get_mut(&path)
        .and_then(VecDeque::pop_front);
    if let Some(s) = scripted {
        let mut response =
            (StatusCode::from_u16(s.status).unwrap(), JsonBody(s.body)).into_response();
        for (k, v) in s.headers {
            response.headers_mut().insert(k, v.parse().unwrap());
        }
        return response;
    }
    let id = {
        let mut n = state.next_id.lock().unwrap();
        *n += 1;
        *n
    };
    match path.as_str() {
        "/2/media/upload" => {
            assert_eq!(parsed["media_category"], "tweet_image");
            (
                StatusCode::OK,
                JsonBody(json!({"data": {"id": format!("77{id}"), "media_key": format!("3_77{id}"), "size": 10, "expires_after_secs": 86400}})),
            )
                .into_response()
        }
        "/2/tweets" => {
            let post_id = format!("99{id}");
            state.posts.lock().unwrap().push(Posted {
                id: post_id.clone(),
                in_reply_to: parsed["reply"]["in_reply_to_tweet_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                at: Utc::now(),
            });
            let answer = json!({"data": {"id": post_id, "text": parsed["text"]}});
            let how = state.after_posting.lock().unwrap().pop_front();
            match how {
                None => (StatusCode::CREATED, JsonBody(answer)).into_response(),
                Some(AfterPosting::Empty201) => StatusCode::CREATED.into_response(),
                Some(AfterPosting::Error503) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    JsonBody(json!({"title": "Service Unavailable", "detail": "try later"})),
                )
                    .into_response(),
                Some(AfterPosting::Hang) => {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    (StatusCode::CREATED, JsonBody(answer)).into_response()
                }
                Some(AfterPosting::Drop) => {
                    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                        Ok(Bytes::from_static(b"{\"data\":{\"id\":\"")),
                        Err(std::io::Error::other("connection dropped")),
                    ];
                    let mut response = axum::body::Body::from_stream(futures::stream::iter(chunks))
                        .into_response();
                    *response.status_mut() = StatusCode::CREATED;
                    response
                }
            }
        }
        RETWEETS => {
            // POST /2/users/:id/retweets {"tweet_id"}: one repost per post, a second changes nothing.
            assert_eq!(method, Method::POST);
            let post = parsed["tweet_id"].as_str().unwrap_or_default().to_string();
            let mut reposts = state.reposts.lock().unwrap();
            if !reposts.contains(&post) {
                reposts.push(post.clone());
            }
            (
                StatusCode::OK,
                JsonBody(json!({"data": {"retweeted": true, "rest_id": format!("55{post}")}})),
            )
                .into_response()
        }
        TIMELINE => {
            // GET /2/users/:id/tweets: the bot's posts since start_time, newest first.
            let query: HashMap<String, String> =
                axum::extract::Query::try_from_uri(&uri).unwrap().0;
            assert_eq!(
                query.get("tweet.fields").map(String::as_str),
                Some("referenced_tweets")
            );
            let start = query
                .get("start_time")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
                .expect("start_time is set");
            let mut posts: Vec<Value> = state
                .posts
                .lock()
                .unwrap()
                .iter()
                .filter(|p| p.at >= start)
                .map(|p| {
                    json!({
                        "id": p.id,
                        "text": "…",
                        "edit_history_tweet_ids": [p.id],
                        "referenced_tweets": [{"type": "replied_to", "id": p.in_reply_to}],
                    })
                })
                .collect();
            posts.reverse();
            let count = posts.len();
            let body = if posts.is_empty() {
                json!({"meta": {"result_count": 0}})
            } else {
                json!({"data": posts, "meta": {"result_count": count}})
            };
            (StatusCode::OK, JsonBody(body)).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            JsonBody(json!({"title": "Not Found", "detail": path})),
        )
            .into_response(),
    }
}

/// A JSON answer (axum's `json` feature is off in the workspace).
struct JsonBody(Value);

impl IntoResponse for JsonBody {
    fn into_response(self) -> Response {
        ([("content-type", "application/json")], self.0.to_string()).into_response()
    }
}

// ---------- test adapters ----------

struct Rig {
    x: FakeX,
    blobs: Arc<MemoryBlobStore>,
    store: Arc<MemoryIdempotency>,
    egress: Egress,
}

fn credentials(token_secret: &str) -> XCredentials {
    XCredentials {
        api_key: CONSUMER_KEY.into(),
        api_secret: CONSUMER_SECRET.into(),
        access_token: TOKEN.into(),
        access_token_secret: token_secret.into(),
    }
}

fn config() -> EgressConfig {
    EgressConfig {
        max_rate_limit_wait: Duration::from_secs(3),
        lease: Duration::from_secs(300),
        ..EgressConfig::default()
    }
}

/// Egress over `x` and `store`, as a second delivery (another Lambda, a restart) would have it.
fn egress_over(x: &FakeX, store: Arc<MemoryIdempotency>, config: EgressConfig) -> Egress {
    let poster = XApiPoster::new(
        x.api(),
        StaticSecrets(credentials(TOKEN_SECRET)),
        BOT_USER_ID,
    );
    Egress::new(
        Arc::new(poster),
        Arc::new(MemoryBlobStore::default()),
        store,
        Arc::new(SystemClock),
        config,
    )
}

async fn rig_with(token_secret: &str) -> Rig {
    let x = FakeX::start().await;
    let blobs = Arc::new(MemoryBlobStore::default());
    let store = Arc::new(MemoryIdempotency::default());
    let poster = XApiPoster::new(
        x.api(),
        StaticSecrets(credentials(token_secret)),
        BOT_USER_ID,
    );
    let egress = Egress::new(
        Arc::new(poster),
        blobs.clone(),
        store.clone(),
        Arc::new(SystemClock),
        config(),
    );
    Rig {
        x,
        blobs,
        store,
        egress,
    }
}

async fn rig() -> Rig {
    rig_with(TOKEN_SECRET).await
}

fn send(key: &str) -> SendTweet {
    SendTweet {
        text: "@alice Here is a joke for you.".into(),
        reply_to_tweet_id: "1850000000000000001".into(),
        reply_to_user_id: "42".into(),
        reply_to_username: Some("alice".into()),
        image_keys: Vec::new(),
        idempotency_key: key.into(),
    }
}

fn rate_limited(reset_at: i64) -> Scripted {
    Scripted {
        status: 429,
        headers: vec![
            ("x-rate-limit-reset", reset_at.to_string()),
            ("x-rate-limit-remaining", "0".into()),
        ],
        body: json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}),
    }
}

fn all_signatures_verified(x: &FakeX) {
    let seen = x.seen();
    assert!(!seen.is_empty());
    for s in &seen {
        assert!(
            s.signature_ok,
            "{} was not verified by oauthlib: {}",
            s.path, s.reason
        );
    }
}

// ---------- scenarios ----------

#[tokio::test]
async fn a_repost_is_signed_names_the_post_and_repeating_it_reposts_nothing_twice() {
    use starling_core::ports::{XError, XPoster};
    let rig = rig().await;
    let poster = XApiPoster::new(
        rig.x.api(),
        StaticSecrets(credentials(TOKEN_SECRET)),
        BOT_USER_ID,
    );
    let first = poster.repost("1850000000000000007").await.unwrap();
    assert_eq!(first.as_deref(), Some("551850000000000000007"));
    poster.repost("1850000000000000007").await.unwrap();
    assert_eq!(
        *rig.x.state.reposts.lock().unwrap(),
        ["1850000000000000007"]
    );
    assert_eq!(
        rig.x.seen_at(RETWEETS)[0].body,
        json!({"tweet_id": "1850000000000000007"})
    );
    all_signatures_verified(&rig.x);

    rig.x.script(
        RETWEETS,
        Scripted {
            status: 403,
            headers: vec![],
            body: json!({"title": "Forbidden", "detail": "You cannot repost this post.", "type": "about:blank", "status": 403}),
        },
    );
    match poster.repost("1850000000000000008").await {
        Err(XError::Rejected {
            status: 403,
            detail,
            ..
        }) => {
            assert!(detail.contains("cannot repost"), "{detail}")
        }
        other => panic!("a 403 must be a refusal: {other:?}"),
    }
    let reset = Utc::now().timestamp() + 600;
    rig.x.script(RETWEETS, rate_limited(reset));
    match poster.repost("1850000000000000008").await {
        Err(XError::RateLimited { reset_at: Some(at) }) => assert_eq!(at.timestamp(), reset),
        other => panic!("a 429 must carry its reset: {other:?}"),
    }
}

#[tokio::test]
async fn images_are_uploaded_then_the_reply_carries_their_media_ids() {
    let rig = rig().await;
    rig.blobs
        .put("annotated/1.png", PNG.to_vec(), "image/png")
        .await
        .unwrap();
    rig.blobs
        .put("annotated/2.jpg", JPEG.to_vec(), "image/jpeg")
        .await
        .unwrap();
    let mut request = send("k-images");
    request.image_keys = vec!["annotated/1.png".into(), "annotated/2.jpg".into()];

    let event = rig.egress.handle(&request).await.unwrap();

    let seen = rig.x.seen();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["/2/media/upload", "/2/media/upload", "/2/tweets"]);
    assert_eq!(seen[0].body["media_type"], "image/png");
    assert_eq!(seen[1].body["media_type"], "image/jpeg");
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(seen[0].body["media"].as_str().unwrap())
        .unwrap();
    assert_eq!(decoded, PNG);
    let reply = &seen[2].body;
    assert_eq!(reply["media"]["media_ids"], json!(["771", "772"]));
    assert_eq!(
        reply["reply"]["in_reply_to_tweet_id"],
        "1850000000000000001"
    );
    assert_eq!(reply["text"], "@alice Here is a joke for you.");
    all_signatures_verified(&rig.x);

    assert_eq!(event.detail_type, detail_type::TWEET_SENT);
    assert_eq!(event.source, "starling.egress");
    let sent: TweetSent = serde_json::from_value(event.detail).unwrap();
    assert_eq!(sent.tweet_id, "993");
    assert_eq!(sent.idempotency_key, "k-images");
}

#[tokio::test]
async fn a_duplicate_send_tweet_replies_once_and_republishes_the_outcome() {
    let rig = rig().await;
    let first = rig.egress.handle(&send("k-dup")).await.unwrap();
    let second = rig.egress.handle(&send("k-dup")).await.unwrap();
    assert_eq!(rig.x.seen_at("/2/tweets").len(), 1);
    assert_eq!(first.detail, second.detail);
    assert_eq!(first.resources, second.resources);
    assert_eq!(second.detail_type, detail_type::TWEET_SENT);
    all_signatures_verified(&rig.x);
}

#[tokio::test]
async fn a_long_reply_is_fitted_to_280_keeping_the_mention() {
    let rig = rig().await;
    let mut request = send("k-long");
    request.text = format!("@alice {}", "日本語のテキスト".repeat(40));
    rig.egress.handle(&request).await.unwrap();
    let text = rig.x.seen_at("/2/tweets")[0].body["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.starts_with("@alice "));
    assert!(text.ends_with('…'));
    assert!(starling_x::text::fits(&text));
}

#[tokio::test]
async fn a_429_whose_reset_has_passed_is_retried_at_once() {
    let rig = rig().await;
    rig.x
        .script("/2/tweets", rate_limited(Utc::now().timestamp() - 5));
    let event = rig.egress.handle(&send("k-429-past")).await.unwrap();
    assert_eq!(event.detail_type, detail_type::TWEET_SENT);
    assert_eq!(rig.x.seen_at("/2/tweets").len(), 2);
    all_signatures_verified(&rig.x);
}

#[tokio::test]
async fn a_429_resetting_soon_is_waited_out_then_retried_once() {
    let rig = rig().await;
    rig.x
        .script("/2/tweets", rate_limited(Utc::now().timestamp() + 1));
    let started = std::time::Instant::now();
    let event = rig.egress.handle(&send("k-429-soon")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(event.detail_type, detail_type::TWEET_SENT);
    assert_eq!(rig.x.seen_at("/2/tweets").len(), 2);
    all_signatures_verified(&rig.x);
}

#[tokio::test]
async fn a_second_429_after_the_wait_is_deferred_to_a_retry() {
    let rig = rig().await;
    rig.x
        .script("/2/tweets", rate_limited(Utc::now().timestamp() - 1));
    rig.x
        .script("/2/tweets", rate_limited(Utc::now().timestamp() - 1));
    let err = rig.egress.handle(&send("k-429-twice")).await.unwrap_err();
    assert!(matches!(err, EgressError::RateLimited { .. }));
    assert!(err.is_retryable());
    assert_eq!(rig.x.seen_at("/2/tweets").len(), 2);
}

#[tokio::test]
async fn a_429_resetting_later_releases_the_claim_and_asks_for_a_retry() {
    let rig = rig().await;
    let reset = Utc::now().timestamp() + 900;
    rig.x.script("/2/tweets", rate_limited(reset));
    let err = rig.egress.handle(&send("k-later")).await.unwrap_err();
    assert_eq!(
        err,
        EgressError::RateLimited {
            retry_after: DateTime::from_timestamp(reset, 0)
        }
    );
    // Released: nothing recorded for the key, so the retry posts.
    assert!(!rig.store.holds("k-later"));
    assert_eq!(rig.x.seen_at("/2/tweets").len(), 1);
    let event = rig.egress.handle(&send("k-later")).await.unwrap();
    assert_eq!(event.detail_type, detail_type::TWEET_SENT);
    all_signatures_verified(&rig.x);
}

#[tokio::test]
async fn a_403_becomes_tweet_failed_with_x_detail_and_is_not_retried() {
    let rig = rig().await;
    rig.x.script(
        "/2/tweets",
        Scripted {
            status: 403,
            headers: vec![],
            body: json!({
                "title": "Forbidden",
                "detail": "You are not allowed to create a Tweet with duplicate content.",
                "type": "about:blank",
                "status": 403
            }),
        },
    );
    let event = rig.egress.handle(&send("k-403")).await.unwrap();
    assert_eq!(event.detail_type, detail_type::TWEET_FAILED);
    let failed: TweetFailed = serde_json::from_value(event.detail.clone()).unwrap();
    assert!(failed.error.contains("403"), "{}", failed.error);
    assert!(
        failed
            .error
            .contains("You are not allowed to create a Tweet with duplicate content."),
        "{}",
        failed.error
    );
    // A redelivery republishes the failure without calling X again.
    let again = rig.egress.handle(&send("k-403")).await.unwrap();
    assert_eq!(again.detail, event.detail);
    assert_eq!(rig.x.seen_at("/2/tweets").len(), 1);
    all_signatures_verified(&rig.x);
}

#[tokio::test]
async fn a_server_error_on_the_post_is_uncertain_x_is_read_and_then_the_reply_posted() {
    let rig = rig().await;
    rig.x.script(
        "/2/tweets",
        Scripted {
            status: 503,
            headers: vec![],
            body: json!({"title": "Service Unavailable", "detail": "try later"}),
        },
    );
    let err = rig.egress.handle(&send("k-503")).await.unwrap_err();
    assert!(
        matches!(err, EgressError::Retry(ref m) if m.contains("503")),
        "{err}"
    );
    // Within the settle time, a look that finds nothing waits instead of posting.
    let err = rig.egress.handle(&send("k-503")).await.unwrap_err();
    let EgressError::Wait { until, .. } = err else {
        panic!("{err:?}")
    };
    assert!(
        until > Utc::now() + chrono::TimeDelta::seconds(50),
        "{until}"
    );
    assert!(rig.x.posts().is_empty());
    // After it, X still shows nothing: posted once.
    let settled = egress_over(
        &rig.x,
        rig.store.clone(),
        EgressConfig {
            settle: Duration::ZERO,
            ..config()
        },
    );
    let event = settled.handle(&send("k-503")).await.unwrap();
    assert_eq!(event.detail_type, detail_type::TWEET_SENT);
    assert_eq!(rig.x.posts().len(), 1);
    assert_eq!(rig.x.seen_at(TIMELINE).len(), 2);
    all_signatures_verified(&rig.x);
}

/// The test: X takes the post and the answer never arrives whole; however often the
/// SEND_TWEET is retried, one post exists on X, and TWEET_SENT names it.
async fn exactly_one_post_after(how: AfterPosting, key: &str) {
    let rig = rig().await;
    rig.x.after_posting(how);
    let err = rig.egress.handle(&send(key)).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(
        matches!(err, EgressError::Retry(ref m) if m.contains("looks for the reply")),
        "{how:?}: {err}"
    );
    assert_eq!(rig.x.posts().len(), 1, "{how:?}");
    // Redeliveries, each as a new process would: the first finds the post on X.
    let mut sent = Vec::new();
    for _ in 0..3 {
        let egress = egress_over(&rig.x, rig.store.clone(), config());
        let event = egress.handle(&send(key)).await.unwrap();
        assert_eq!(event.detail_type, detail_type::TWEET_SENT, "{how:?}");
        sent.push(
            serde_json::from_value::<TweetSent>(event.detail)
                .unwrap()
                .tweet_id,
        );
    }
    let posts = rig.x.posts();
    assert_eq!(posts.len(), 1, "{how:?}: {posts:?}");
    assert!(
        sent.iter().all(|id| *id == posts[0].id),
        "{sent:?} {posts:?}"
    );
    // One look on X; after it the outcome is recorded.
    assert_eq!(rig.x.seen_at(TIMELINE).len(), 1, "{how:?}");
    all_signatures_verified(&rig.x);
}

#[tokio::test]
async fn a_post_accepted_then_the_connection_dropped_exists_once() {
    exactly_one_post_after(AfterPosting::Drop, "k-drop").await;
}

#[tokio::test]
async fn a_post_answered_201_with_an_empty_body_exists_once() {
    exactly_one_post_after(AfterPosting::Empty201, "k-empty").await;
}

#[tokio::test]
async fn a_post_whose_answer_times_out_exists_once() {
    exactly_one_post_after(AfterPosting::Hang, "k-hang").await;
}

#[tokio::test]
async fn a_post_created_despite_a_503_exists_once() {
    exactly_one_post_after(AfterPosting::Error503, "k-503-created").await;
}

#[tokio::test]
async fn an_attempt_that_died_while_posting_is_found_after_its_lease() {
    let rig = rig().await;
    // A delivery claimed the key, marked it and posted, then its process died.
    let now = Utc::now();
    let past = now - chrono::TimeDelta::seconds(400);
    use starling_core::ports::IdempotencyStore;
    rig.store
        .claim(
            "k-dead",
            "dead",
            past,
            past + chrono::TimeDelta::seconds(300),
        )
        .await
        .unwrap();
    rig.store
        .mark_uncertain("k-dead", "dead", past)
        .await
        .unwrap();
    rig.x.state.posts.lock().unwrap().push(Posted {
        id: "9912345".into(),
        in_reply_to: send("k-dead").reply_to_tweet_id,
        at: past,
    });
    let event = rig.egress.handle(&send("k-dead")).await.unwrap();
    let sent: TweetSent = serde_json::from_value(event.detail).unwrap();
    assert_eq!(sent.tweet_id, "9912345");
    assert_eq!(rig.x.posts().len(), 1);
    assert!(rig.x.seen_at("/2/tweets").is_empty());
    all_signatures_verified(&rig.x);
}

#[tokio::test]
async fn an_attempt_past_its_deadline_is_abandoned_as_uncertain() {
    let rig = rig().await;
    rig.x.after_posting(AfterPosting::Hang);
    let slow = Egress::new(
        Arc::new(XApiPoster::new(
            XApi::new(XApiConfig {
                api_base: rig.x.base.clone(),
                upload_base: rig.x.base.clone(),
                timeout: Duration::from_secs(20),
            }),
            StaticSecrets(credentials(TOKEN_SECRET)),
            BOT_USER_ID,
        )),
        Arc::new(MemoryBlobStore::default()),
        rig.store.clone(),
        Arc::new(SystemClock),
        EgressConfig {
            attempt_deadline: Duration::from_secs(1),
            ..config()
        },
    );
    let err = slow.handle(&send("k-deadline")).await.unwrap_err();
    assert!(
        matches!(err, EgressError::Retry(ref m) if m.contains("longer than 1 s")),
        "{err}"
    );
    let event = rig.egress.handle(&send("k-deadline")).await.unwrap();
    assert_eq!(event.detail_type, detail_type::TWEET_SENT);
    assert_eq!(rig.x.posts().len(), 1);
}

#[tokio::test]
async fn a_lease_not_longer_than_the_deadline_is_raised() {
    let x = FakeX::start().await;
    let egress = egress_over(
        &x,
        Arc::new(MemoryIdempotency::default()),
        EgressConfig {
            attempt_deadline: Duration::from_secs(120),
            lease: Duration::from_secs(15),
            ..EgressConfig::default()
        },
    );
    assert!(egress.config().lease > egress.config().attempt_deadline);
}

#[tokio::test]
async fn a_missing_image_fails_the_reply_without_posting() {
    let rig = rig().await;
    let mut request = send("k-missing");
    request.image_keys = vec!["annotated/gone.png".into()];
    let event = rig.egress.handle(&request).await.unwrap();
    assert_eq!(event.detail_type, detail_type::TWEET_FAILED);
    assert!(rig.x.seen().is_empty());
}

#[tokio::test]
async fn a_wrong_token_secret_is_rejected_by_the_independent_verifier() {
    let rig = rig_with("not the token secret").await;
    let event = rig.egress.handle(&send("k-badsig")).await.unwrap();
    let seen = rig.x.seen();
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].signature_ok);
    assert!(
        seen[0].reason.contains("oauth_signature does not match"),
        "{}",
        seen[0].reason
    );
    assert_eq!(event.detail_type, detail_type::TWEET_FAILED);
    let failed: TweetFailed = serde_json::from_value(event.detail).unwrap();
    assert!(failed.error.contains("401"), "{}", failed.error);
    // X's error is reported, never the credentials.
    assert!(!failed.error.contains("not the token secret"));
    assert!(!failed.error.contains(CONSUMER_SECRET));
}

#[tokio::test]
async fn a_send_tweet_without_idempotency_key_is_unusable() {
    let rig = rig().await;
    let err = rig.egress.handle(&send("  ")).await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(rig.x.seen().is_empty());
}

#[tokio::test]
async fn an_absurd_lease_does_not_overflow_the_clock() {
    let x = FakeX::start().await;
    let egress = Egress::new(
        Arc::new(XApiPoster::new(
            x.api(),
            StaticSecrets(credentials(TOKEN_SECRET)),
            BOT_USER_ID,
        )),
        Arc::new(MemoryBlobStore::default()),
        Arc::new(MemoryIdempotency::default()),
        Arc::new(SystemClock),
        EgressConfig {
            max_rate_limit_wait: Duration::MAX,
            lease: Duration::MAX,
            ..EgressConfig::default()
        },
    );
    let event = egress.handle(&send("k-lease")).await.unwrap();
    assert_eq!(event.detail_type, detail_type::TWEET_SENT);
}

#[tokio::test]
async fn a_dry_run_posts_nothing_and_records_the_reply_as_suppressed_once() {
    let egress = Egress::new(
        Arc::new(starling_core::egress::DryRunPoster::default()),
        Arc::new(MemoryBlobStore::default()),
        Arc::new(MemoryIdempotency::default()),
        Arc::new(SystemClock),
        EgressConfig {
            dry_run: true,
            ..EgressConfig::default()
        },
    );
    let first = egress.handle(&send("k-dry")).await.unwrap();
    assert_eq!(first.detail_type, "REPLY_SUPPRESSED");
    assert_eq!(first.source, "starling.egress");
    assert_eq!(first.detail["Reason"], "dry-run");
    assert!(
        first.detail["Text"]
            .as_str()
            .unwrap()
            .contains("Here is a joke for you.")
    );
    assert!(
        first.detail["Detail"]
            .as_str()
            .unwrap()
            .contains("dry-run-0"),
        "{}",
        first.detail
    );
    // A redelivered SEND_TWEET republishes the recorded outcome: still no post, same event.
    let again = egress.handle(&send("k-dry")).await.unwrap();
    assert_eq!(again.detail, first.detail);
}
