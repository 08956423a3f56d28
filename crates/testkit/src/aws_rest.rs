//! A local endpoint speaking an AWS REST-JSON protocol (operation chosen by method and path, JSON
//! bodies, errors named by the `x-amzn-ErrorType` header), for services moto does not implement —
//! Lex runtime V2's `RecognizeText`, for one. Every request is recorded so tests can assert what the
//! adapter sent: method, path, headers (the SigV4 `Authorization` among them) and body.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use serde_json::{Value, json};

/// One request as the endpoint received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RestRequest {
    /// `POST`, `GET`, …
    pub method: String,
    /// The path, percent-encoded as sent (e.g. `/bots/B/botAliases/A/botLocales/en_US/sessions/s/text`).
    pub path: String,
    /// Headers, names lower-cased (a repeated header keeps its last value).
    pub headers: HashMap<String, String>,
    /// The body as JSON (`Null` when empty, a string when not JSON).
    pub body: Value,
}

impl RestRequest {
    /// A header's value (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// What the endpoint answers.
#[derive(Debug, Clone, PartialEq)]
pub struct RestResponse {
    /// The HTTP status.
    pub status: u16,
    /// `x-amzn-ErrorType`, for an error.
    pub error_type: Option<String>,
    /// The JSON body.
    pub body: Value,
}

impl RestResponse {
    /// 200 with `body`.
    pub fn ok(body: Value) -> Self {
        Self {
            status: 200,
            error_type: None,
            body,
        }
    }

    /// An AWS error as REST-JSON services send it: `status`, `x-amzn-ErrorType: <error_type>`, and
    /// `{"message": …}`.
    pub fn error(status: u16, error_type: &str, message: &str) -> Self {
        Self {
            status,
            error_type: Some(error_type.to_string()),
            body: json!({ "message": message }),
        }
    }
}

/// Decides the answer to a request.
pub type Responder = Arc<dyn Fn(&RestRequest) -> RestResponse + Send + Sync>;

#[derive(Clone)]
struct Inner {
    responder: Responder,
    requests: Arc<Mutex<Vec<RestRequest>>>,
}

/// A running endpoint.
#[derive(Clone)]
pub struct AwsRestJsonEndpoint {
    inner: Inner,
    /// `http://127.0.0.1:port`.
    pub url: String,
}

impl AwsRestJsonEndpoint {
    /// Starts an endpoint answering every request (any method, any path) with `responder`.
    pub async fn start(
        responder: impl Fn(&RestRequest) -> RestResponse + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let inner = Inner {
            responder: Arc::new(responder),
            requests: Arc::default(),
        };
        let app = Router::new().fallback(handle).with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { inner, url })
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RestRequest> {
        self.inner
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

async fn handle(
    State(inner): State<Inner>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    let request = RestRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        },
    };
    if let Ok(mut r) = inner.requests.lock() {
        r.push(request.clone());
    }
    let answer = (inner.responder)(&request);
    let mut out = HeaderMap::new();
    out.insert("content-type", HeaderValue::from_static("application/json"));
    out.insert(
        "x-amzn-requestid",
        HeaderValue::from_static("00000000-0000-0000-0000-000000000000"),
    );
    if let Some(t) = answer.error_type.as_deref()
        && let Ok(v) = HeaderValue::from_str(t)
    {
        out.insert("x-amzn-errortype", v);
    }
    (
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        out,
        answer.body.to_string(),
    )
}

/// A Lex runtime V2 `RecognizeText` answer as the API reference documents it: `messages` (each
/// `(content, contentType)`), the session state with the intent (`Fulfilled`, dialog closed), one
/// interpretation with its confidence, and the session id.
pub fn lex_recognize_text_answer(
    session_id: &str,
    intent: &str,
    confidence: f64,
    messages: &[(&str, &str)],
) -> Value {
    json!({
        "messages": messages
            .iter()
            .map(|(content, kind)| json!({"content": content, "contentType": kind}))
            .collect::<Vec<_>>(),
        "sessionState": {
            "dialogAction": {"type": "Close"},
            "intent": {"name": intent, "slots": {}, "state": "Fulfilled", "confirmationState": "None"},
            "sessionAttributes": {},
            "originatingRequestId": "00000000-0000-0000-0000-000000000000"
        },
        "interpretations": [
            {"intent": {"name": intent, "slots": {}, "state": "Fulfilled", "confirmationState": "None"},
             "nluConfidence": {"score": confidence},
             "interpretationSource": "Lex"},
            {"intent": {"name": "FallbackIntent", "slots": {}}}
        ],
        "sessionId": session_id
    })
}
