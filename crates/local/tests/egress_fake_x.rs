//! `starling up`'s egress talks to whatever X `STARLING_X_API_BASE` names: a fake X on loopback
//! receives the OAuth-signed reply and its answer becomes TWEET_SENT. A fake X that takes a post
//! and loses the answer (a dropped connection, a 201 with an empty body) still ends with exactly
//! one post after every retry, with the claims in the real SQLite file.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use starling_contracts::SendTweet;
use starling_core::ports::XCredentials;
use starling_local::DataDir;
use starling_local::runtime::local_egress;
use starling_x::api::XApiConfig;

type Seen = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

async fn create_post(
    State(seen): State<Seen>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    seen.lock()
        .unwrap()
        .push((auth, serde_json::from_slice(&body).unwrap_or_default()));
    (
        StatusCode::CREATED,
        r#"{"data":{"id":"1990000000000000777","text":"ok"}}"#.into(),
    )
}

#[tokio::test]
async fn replies_go_to_the_configured_x_and_its_answer_is_tweet_sent() {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/2/tweets", post(create_post))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let creds = XCredentials {
        api_key: "ck".into(),
        api_secret: "cs".into(),
        access_token: "at".into(),
        access_token_secret: "as".into(),
    };
    let x_api = XApiConfig {
        api_base: base.clone(),
        upload_base: base,
        ..Default::default()
    };
    let egress = local_egress(
        &DataDir::new(dir.path()),
        &creds,
        x_api,
        Some("7777"),
        false,
    )
    .unwrap();
    let send = SendTweet {
        text: "Here is a fact for you.".into(),
        reply_to_tweet_id: "1990000000000000001".into(),
        reply_to_user_id: "7".into(),
        reply_to_username: Some("ada".into()),
        image_keys: vec![],
        idempotency_key: "reply-text:1990000000000000001".into(),
    };
    let event = egress.handle(&send).await.unwrap();
    assert_eq!(event.detail_type, "TWEET_SENT");
    assert_eq!(event.detail["TweetId"], "1990000000000000777");

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one request reached the fake X");
    let (auth, body) = &seen[0];
    assert!(
        auth.starts_with("OAuth ") && auth.contains("oauth_token=\"at\""),
        "{auth}"
    );
    assert_eq!(body["reply"]["in_reply_to_tweet_id"], "1990000000000000001");
    assert!(
        !dir.path().join("outbox").exists(),
        "nothing went to the outbox"
    );
}

/// A fake X that keeps the posts it creates and serves the bot's timeline; the first post's
/// answer is lost as `first`.
#[derive(Clone, Default)]
struct Keeper {
    posts: Arc<Mutex<Vec<(String, String)>>>,
    first: Arc<Mutex<Option<&'static str>>>,
    timeline_reads: Arc<Mutex<usize>>,
}

async fn keep_post(State(k): State<Keeper>, body: Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = {
        let mut posts = k.posts.lock().unwrap();
        let id = format!("19900000000000009{:02}", posts.len());
        posts.push((
            id.clone(),
            body["reply"]["in_reply_to_tweet_id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ));
        id
    };
    match k.first.lock().unwrap().take() {
        Some("empty") => StatusCode::CREATED.into_response(),
        Some("drop") => {
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{\"data\":")),
                Err(std::io::Error::other("connection dropped")),
            ];
            let mut r =
                axum::body::Body::from_stream(futures::stream::iter(chunks)).into_response();
            *r.status_mut() = StatusCode::CREATED;
            r
        }
        _ => (
            StatusCode::CREATED,
            format!(r#"{{"data":{{"id":"{id}","text":"ok"}}}}"#),
        )
            .into_response(),
    }
}

async fn timeline(State(k): State<Keeper>) -> (StatusCode, String) {
    *k.timeline_reads.lock().unwrap() += 1;
    let data: Vec<serde_json::Value> = k
        .posts
        .lock()
        .unwrap()
        .iter()
        .rev()
        .map(|(id, to)| {
            serde_json::json!({"id": id, "text": "…",
                "referenced_tweets": [{"type": "replied_to", "id": to}]})
        })
        .collect();
    let count = data.len();
    (
        StatusCode::OK,
        serde_json::json!({"data": data, "meta": {"result_count": count}}).to_string(),
    )
}

async fn one_post_after(first: &'static str) {
    let keeper = Keeper::default();
    *keeper.first.lock().unwrap() = Some(first);
    let app = Router::new()
        .route("/2/tweets", post(keep_post))
        .route("/2/users/7777/tweets", axum::routing::get(timeline))
        .with_state(keeper.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let creds = XCredentials {
        api_key: "ck".into(),
        api_secret: "cs".into(),
        access_token: "at".into(),
        access_token_secret: "as".into(),
    };
    let send = SendTweet {
        text: "Here is a fact for you.".into(),
        reply_to_tweet_id: "1990000000000000001".into(),
        reply_to_user_id: "7".into(),
        reply_to_username: Some("ada".into()),
        image_keys: vec![],
        idempotency_key: format!("reply-text:{first}"),
    };
    let mut outcomes = Vec::new();
    // The bus's retries, each as a fresh process over the same data directory would make them.
    for _ in 0..4 {
        let egress = local_egress(
            &DataDir::new(dir.path()),
            &creds,
            XApiConfig {
                api_base: base.clone(),
                upload_base: base.clone(),
                ..Default::default()
            },
            Some("7777"),
            false,
        )
        .unwrap();
        outcomes.push(
            egress
                .handle(&send)
                .await
                .map(|e| e.detail["TweetId"].clone()),
        );
    }
    let posts = keeper.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "{first}: {posts:?} {outcomes:?}");
    assert!(outcomes[0].is_err(), "{first}: {outcomes:?}");
    for outcome in &outcomes[1..] {
        assert_eq!(
            outcome.as_ref().unwrap(),
            &posts[0].0,
            "{first}: {outcomes:?}"
        );
    }
    assert_eq!(*keeper.timeline_reads.lock().unwrap(), 1, "{first}");
}

#[tokio::test]
async fn a_post_whose_connection_drops_exists_once_after_all_retries() {
    one_post_after("drop").await;
}

#[tokio::test]
async fn a_post_answered_201_with_an_empty_body_exists_once_after_all_retries() {
    one_post_after("empty").await;
}
