//! `ReqwestFetcher` against a loopback axum server: bodies, redirects returned (not followed),
//! and the byte limit enforced both from Content-Length and while streaming.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use starling_core::analysis::media::{FetchError, HttpFetcher};
use starling_http::ReqwestFetcher;

const LIMIT: usize = 1024;

async fn server() -> String {
    let app = Router::new()
        .route("/ok", get(|| async { "hello" }))
        .route(
            "/moved",
            get(|| async {
                Response::builder()
                    .status(StatusCode::FOUND)
                    .header(header::LOCATION, "/ok")
                    .body(Body::empty())
                    .unwrap()
            }),
        )
        .route(
            // Streamed in chunks without a Content-Length: the limit is found while reading.
            "/stream",
            get(|| async {
                let chunks = (0..8).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 512]));
                Response::builder()
                    .body(Body::from_stream(futures::stream::iter(chunks)))
                    .unwrap()
            }),
        )
        .route(
            // Announces 10 MB, sends one chunk and then stalls: only refusing on the
            // Content-Length (before reading) answers quickly; reading would hit the timeout.
            "/declared",
            get(|| async {
                let first = futures::stream::iter([Ok::<_, std::io::Error>(vec![b'y'; 16])]);
                let stalled = futures::stream::pending::<Result<Vec<u8>, std::io::Error>>();
                Response::builder()
                    .header(header::CONTENT_LENGTH, "10000000")
                    .body(Body::from_stream(futures::StreamExt::chain(first, stalled)))
                    .unwrap()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn fetcher() -> ReqwestFetcher {
    ReqwestFetcher::new(Duration::from_secs(5))
}

#[tokio::test]
async fn a_200_body_is_returned() {
    let base = server().await;
    let got = fetcher().get(&format!("{base}/ok"), LIMIT).await.unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, b"hello");
    assert_eq!(got.location, None);
}

#[tokio::test]
async fn a_redirect_is_returned_with_its_location_not_followed() {
    let base = server().await;
    let got = fetcher()
        .get(&format!("{base}/moved"), LIMIT)
        .await
        .unwrap();
    assert_eq!(got.status, 302);
    assert_eq!(got.location.as_deref(), Some("/ok"));
    assert!(got.body.is_empty());
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_cut_off() {
    let base = server().await;
    let err = fetcher()
        .get(&format!("{base}/stream"), LIMIT)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: LIMIT });
    // Under a larger limit the same body is read whole.
    let got = fetcher()
        .get(&format!("{base}/stream"), 4096)
        .await
        .unwrap();
    assert_eq!(got.body.len(), 4096);
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_before_reading() {
    let base = server().await;
    let started = std::time::Instant::now();
    let err = fetcher()
        .get(&format!("{base}/declared"), LIMIT)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: LIMIT });
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_closed_port_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = fetcher()
        .get(&format!("http://{addr}/x"), LIMIT)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Transport(_)), "{err}");
}
