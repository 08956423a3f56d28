//! A local endpoint speaking an AWS JSON-1.1 protocol (`X-Amz-Target` dispatch), for operations
//! moto does not implement. Each operation answers with a response shaped as AWS documents it;
//! every request is recorded so tests can assert what the adapter sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// An operation's behaviour: request body → (status, response body).
pub type Operation = Arc<dyn Fn(&Value) -> (u16, Value) + Send + Sync>;

#[derive(Clone)]
struct Inner {
    operations: Arc<HashMap<String, Operation>>,
    requests: Arc<Mutex<Vec<(String, Value)>>>,
    targets: Arc<Mutex<Vec<String>>>,
}

/// A running endpoint.
#[derive(Clone)]
pub struct AwsJsonEndpoint {
    inner: Inner,
    /// `http://127.0.0.1:port`.
    pub url: String,
}

impl AwsJsonEndpoint {
    /// Starts an endpoint answering `Prefix.Operation` targets with the given operations
    /// (keyed by operation name, e.g. `DetectEntities`).
    pub async fn start(operations: HashMap<String, Operation>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let inner = Inner {
            operations: Arc::new(operations),
            requests: Arc::default(),
            targets: Arc::default(),
        };
        let app = Router::new()
            .route("/", post(handle))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { inner, url })
    }

    /// Every request received so far: (operation, body).
    pub fn requests(&self) -> Vec<(String, Value)> {
        self.inner
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Every request's whole `X-Amz-Target` header so far (`Service_Version.Operation`), in order.
    pub fn targets(&self) -> Vec<String> {
        self.inner
            .targets
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
    }
}

async fn handle(
    State(inner): State<Inner>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let operation = target.rsplit('.').next().unwrap_or_default().to_string();
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Ok(mut r) = inner.requests.lock() {
        r.push((operation.clone(), request.clone()));
    }
    if let Ok(mut t) = inner.targets.lock() {
        t.push(target.to_string());
    }
    let mut out = HeaderMap::new();
    out.insert(
        "content-type",
        axum::http::HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    let (status, body) = match inner.operations.get(&operation) {
        Some(op) => op(&request),
        None => (
            400,
            serde_json::json!({"__type": "UnknownOperationException", "message": format!("{operation} is not served here")}),
        ),
    };
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        out,
        body.to_string(),
    )
}
