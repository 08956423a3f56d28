//! A local Lambda Runtime API: serves one queued event per `next` call to a real Lambda binary and
//! records what it answers — the same protocol the Lambda service speaks to `lambda_runtime`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::Notify;

/// What the function answered for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST /invocation/{id}/response`.
    Response(Value),
    /// `POST /invocation/{id}/error` (or `/init/error`).
    Error(Value),
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<(String, Value)>,
    outcomes: Vec<(String, Outcome)>,
}

/// A running Runtime API on loopback.
#[derive(Clone)]
pub struct RuntimeApi {
    inner: Arc<Mutex<Inner>>,
    ready: Arc<Notify>,
    answered: Arc<Notify>,
    /// `host:port` to pass as `AWS_LAMBDA_RUNTIME_API`.
    pub address: SocketAddr,
}

impl RuntimeApi {
    /// Starts the server on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let api = Self {
            inner: Arc::default(),
            ready: Arc::new(Notify::new()),
            answered: Arc::new(Notify::new()),
            address,
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(api)
    }

    /// Queues an event and waits for the function's answer to it.
    pub async fn invoke(&self, event: Value) -> Outcome {
        let id = format!(
            "req-{}",
            self.inner
                .lock()
                .map(|i| i.outcomes.len() + i.queue.len())
                .unwrap_or(0)
        );
        if let Ok(mut inner) = self.inner.lock() {
            inner.queue.push_back((id.clone(), event));
        }
        self.ready.notify_one();
        loop {
            let answered = self.answered.notified();
            if let Some(o) = self.outcome(&id) {
                return o;
            }
            answered.await;
        }
    }

    fn outcome(&self, id: &str) -> Option<Outcome> {
        let inner = self.inner.lock().ok()?;
        inner
            .outcomes
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, o)| o.clone())
    }

    fn record(&self, id: String, outcome: Outcome) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.outcomes.push((id, outcome));
        }
        self.answered.notify_waiters();
    }
}

async fn next(State(api): State<RuntimeApi>) -> (HeaderMap, String) {
    loop {
        let ready = api.ready.notified();
        let item = api.inner.lock().ok().and_then(|mut i| i.queue.pop_front());
        if let Some((id, event)) = item {
            let mut headers = HeaderMap::new();
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() + 30_000)
                .unwrap_or(0);
            for (k, v) in [
                ("lambda-runtime-aws-request-id", id.clone()),
                ("lambda-runtime-deadline-ms", deadline.to_string()),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:test".into(),
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000".into(),
                ),
            ] {
                if let Ok(v) = HeaderValue::from_str(&v) {
                    headers.insert(k, v);
                }
            }
            return (headers, event.to_string());
        }
        ready.await;
    }
}

fn parse(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(
    State(api): State<RuntimeApi>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    api.record(id, Outcome::Response(parse(&body)));
    StatusCode::ACCEPTED
}

async fn error(State(api): State<RuntimeApi>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    api.record(id, Outcome::Error(parse(&body)));
    StatusCode::ACCEPTED
}

async fn init_error(State(api): State<RuntimeApi>, body: Bytes) -> StatusCode {
    api.record("init".into(), Outcome::Error(parse(&body)));
    StatusCode::ACCEPTED
}
