//! `starling up`'s egress talks to whatever X `STARLING_X_API_BASE` names: a fake X on loopback
//! receives the OAuth-signed reply and its answer becomes TWEET_SENT.
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
    let egress = local_egress(&DataDir::new(dir.path()), &creds, x_api, false).unwrap();
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
