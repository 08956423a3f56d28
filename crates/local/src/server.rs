//! The local webhook server behind `starling up`: `GET/POST /twitter` answered by the same
//! `starling_core::ingress::Ingress` as the Lambda, `/healthz`, and the dashboard when served.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use starling_core::ingress::{Ingress, IngressRequest, crc_token_from_query};

use crate::dashboard::Dashboard;

/// The router: `/twitter` (webhook), `/healthz`, and the dashboard's routes when given one.
pub fn router(ingress: Arc<Ingress>, dashboard: Option<Arc<Dashboard>>) -> Router {
    // Let bodies one byte over the ingress limit through, so the ingress answers 413 itself
    // (with its JSON error) instead of axum's plain-text rejection.
    let limit = ingress.config().max_body_bytes.saturating_add(1);
    let webhook = Router::new()
        .route("/twitter", get(webhook).post(webhook))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(ingress);
    match dashboard {
        Some(dashboard) => webhook.merge(dashboard.router()),
        None => webhook,
    }
}

async fn webhook(
    State(ingress): State<Arc<Ingress>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = crc_token_from_query(uri.query());
    let answer = ingress
        .handle(IngressRequest {
            method: &method,
            crc_token: token.as_deref(),
            headers: &headers,
            body: &body,
        })
        .await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body,
    )
        .into_response()
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ingress: Arc<Ingress>,
    dashboard: Option<Arc<Dashboard>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(ingress, dashboard).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
