//! The dashboard `starling up` serves beside the webhook (`/ui`, JSON under `/api`): live counts
//! per detail-type, sentiment, the latest messages with the bot's replies and annotated photos,
//! alerts, dead letters with redrive, replay, the `athena/` queries, health.
//!
//! Read-only except redrive and replay (POST). The page and its script are embedded in the binary
//! (no CDN, no request leaves the machine). Who may look is decided by [`Access`]: on loopback
//! with no token, only loopback host names are answered (a DNS-rebinding page cannot reach it);
//! with a token, every request carries it (a cookie set from `/ui?token=…`, or a bearer header).
//! The POSTs need a custom header and JSON, which no cross-site form can send, and no CORS header
//! is ever given.

mod api;
pub mod messages;
pub mod queries;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use starling_bus::SqliteBus;

use crate::blob::DiskBlobStore;
use crate::data_dir::DataDir;

/// The cookie that carries the dashboard token.
pub const TOKEN_COOKIE: &str = "starling_dashboard";
/// The header every POST must carry.
pub const REQUEST_HEADER: &str = "x-starling-dashboard";

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// Who may use the dashboard.
#[derive(Clone)]
pub struct Access {
    /// SHA-256 of the operator's token, when one is set.
    token: Option<[u8; 32]>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("token", &self.token.map(|_| "<redacted>"))
            .finish()
    }
}

/// Whether `starling up` serves the dashboard, given where it listens and the token.
#[derive(Debug, Clone)]
pub enum Availability {
    /// Served.
    On(Access),
    /// Not served, and why (printed at start).
    Off(String),
}

impl Access {
    /// The access rule for a server bound to `bind`: loopback needs no token; any other address
    /// serves the dashboard only with one.
    pub fn for_bind(bind: IpAddr, token: Option<&str>) -> Availability {
        let token = token.map(str::trim).filter(|t| !t.is_empty());
        match token {
            Some(t) if t.len() < 16 => Availability::Off(
                "the dashboard token is shorter than 16 characters: dashboard off".into(),
            ),
            Some(t) => Availability::On(Access {
                token: Some(digest(t)),
            }),
            None if bind.is_loopback() => Availability::On(Access { token: None }),
            None => Availability::Off(format!(
                "listening on {bind}, not loopback, and no --dashboard-token (STARLING_DASHBOARD_TOKEN) is set: dashboard off"
            )),
        }
    }

    /// No token: for a server on loopback only.
    pub fn loopback() -> Self {
        Self { token: None }
    }

    /// Whether requests must carry a token.
    pub fn needs_token(&self) -> bool {
        self.token.is_some()
    }

    fn accepts(&self, given: Option<&str>) -> bool {
        // Compared as SHA-256 digests: the comparison's timing tells nothing about the token.
        match (&self.token, given) {
            (None, _) => true,
            (Some(want), Some(given)) => digest(given) == *want,
            (Some(_), None) => false,
        }
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// What the dashboard reads.
pub struct Dashboard {
    bus: Arc<SqliteBus>,
    data_dir: DataDir,
    media: DiskBlobStore,
    started: Instant,
    access: Access,
    /// `true` once the server stops: live streams end, so a graceful shutdown is not held open.
    stopping: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("data_dir", &self.data_dir.root())
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Dashboard {
    /// A dashboard over the bus and data directory `starling up` runs on.
    pub fn new(bus: Arc<SqliteBus>, data_dir: DataDir, access: Access) -> Self {
        Self {
            media: DiskBlobStore::new(data_dir.media()),
            bus,
            data_dir,
            started: Instant::now(),
            access,
            stopping: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Whether requests must carry the operator's token.
    pub fn needs_token(&self) -> bool {
        self.access.needs_token()
    }

    /// Ends the live streams; call it when the server starts to shut down.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// The dashboard's routes (`/`, `/ui…`, `/api/…`), guarded by its [`Access`].
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/", get(|| async { Redirect::to("/ui") }))
            .route("/ui", get(index))
            .route("/ui/", get(index))
            .route(
                "/ui/app.js",
                get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
            )
            .route(
                "/ui/app.css",
                get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
            )
            .route("/api/summary", get(api::summary))
            .route("/api/sentiment", get(api::sentiment))
            .route("/api/messages", get(api::messages))
            .route("/api/alerts", get(api::alerts))
            .route("/api/dead-letters", get(api::dead_letters))
            .route("/api/dead-letters/redrive", post(api::redrive))
            .route("/api/replay", post(api::replay))
            .route("/api/queries", get(api::queries))
            .route("/api/queries/{name}", get(api::run_query))
            .route("/api/health", get(api::health))
            .route("/api/media/{*key}", get(api::media))
            .route("/api/live", get(api::live))
            .layer(middleware::from_fn_with_state(self.clone(), guard))
            .with_state(self)
    }
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            // Everything the page loads is its own; nothing may frame it.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        INDEX_HTML,
    )
        .into_response()
}

/// A JSON error answer.
pub(crate) fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": message.into() })),
    )
        .into_response()
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| value.to_string())
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_string())
}

fn query_token(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
}

/// Whether a Host header names this machine's loopback interface.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        // HTTP/1.0 without Host: not a browser on another origin.
        return true;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Access, DNS rebinding and CSRF checks in front of every dashboard route.
async fn guard(State(dashboard): State<Arc<Dashboard>>, request: Request, next: Next) -> Response {
    let access = &dashboard.access;
    let headers = request.headers();
    if !access.needs_token() && !loopback_host(headers) {
        return refuse(
            StatusCode::FORBIDDEN,
            "without a dashboard token the dashboard answers only loopback host names (localhost, 127.0.0.1, [::1])",
        );
    }
    if access.needs_token() {
        let path = request.uri().path();
        if (path == "/ui" || path == "/ui/")
            && let Some(given) = query_token(request.uri().query())
        {
            if !access.accepts(Some(&given)) {
                return refuse(StatusCode::UNAUTHORIZED, "wrong dashboard token");
            }
            // Keep the token out of the address bar and history: a cookie, then a clean URL.
            let cookie = format!("{TOKEN_COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/");
            return (
                StatusCode::SEE_OTHER,
                [
                    (header::SET_COOKIE, cookie),
                    (header::LOCATION, "/ui".into()),
                ],
            )
                .into_response();
        }
        let given = bearer_token(headers).or_else(|| cookie_token(headers));
        if !access.accepts(given.as_deref()) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "the dashboard needs its token: open /ui?token=… once, or send Authorization: Bearer …",
            );
        }
    }
    if request.method() == Method::POST
        && let Err(why) = same_origin_post(headers)
    {
        return refuse(StatusCode::FORBIDDEN, why);
    }
    next.run(request).await
}

/// A POST must be a script's own request: the custom header, JSON, and no other origin.
fn same_origin_post(headers: &HeaderMap) -> Result<(), &'static str> {
    if headers.get(REQUEST_HEADER).and_then(|v| v.to_str().ok()) != Some("1") {
        return Err("a dashboard POST needs the header X-Starling-Dashboard: 1");
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err("a dashboard POST must be Content-Type: application/json");
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err("a dashboard POST must come from the dashboard's own page");
    }
    if let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        let bare = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .unwrap_or(origin);
        if bare != host {
            return Err("a dashboard POST must come from the dashboard's own origin");
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn loopback_needs_no_token_elsewhere_one_is_required() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let any: IpAddr = "0.0.0.0".parse().unwrap();
        assert!(matches!(Access::for_bind(lo, None), Availability::On(a) if !a.needs_token()));
        assert!(matches!(Access::for_bind(any, None), Availability::Off(_)));
        assert!(matches!(
            Access::for_bind(any, Some("   ")),
            Availability::Off(_)
        ));
        assert!(matches!(
            Access::for_bind(any, Some("short")),
            Availability::Off(_)
        ));
        let Availability::On(access) = Access::for_bind(any, Some("a-long-enough-token")) else {
            panic!("a token turns it on")
        };
        assert!(access.accepts(Some("a-long-enough-token")));
        assert!(!access.accepts(Some("a-long-enough-tokeN")));
        assert!(!access.accepts(None));
        assert!(!format!("{access:?}").contains("long-enough"));
    }

    #[test]
    fn tokens_are_read_from_the_cookie_the_bearer_header_and_the_query() {
        let h = headers(&[("cookie", "a=b; starling_dashboard=tok%20en; c=d")]);
        assert_eq!(cookie_token(&h).as_deref(), Some("tok%20en"));
        let h = headers(&[("authorization", "Bearer abc")]);
        assert_eq!(bearer_token(&h).as_deref(), Some("abc"));
        assert_eq!(
            query_token(Some("x=1&token=a%2Bb+c")).as_deref(),
            Some("a+b c")
        );
        assert_eq!(query_token(Some("token=%zz")).as_deref(), Some("%zz"));
        assert_eq!(query_token(None), None);
    }

    #[test]
    fn only_loopback_host_names_pass_without_a_token() {
        for ok in [
            "localhost:3000",
            "127.0.0.1:3000",
            "[::1]:3000",
            "LOCALHOST",
            "127.0.0.1",
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, HeaderValue::from_str(ok).unwrap());
            assert!(loopback_host(&h), "{ok}");
        }
        for bad in [
            "evil.example:3000",
            "192.168.1.5:3000",
            "localhost.evil.example",
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, HeaderValue::from_str(bad).unwrap());
            assert!(!loopback_host(&h), "{bad}");
        }
    }

    #[test]
    fn a_post_needs_the_header_json_and_the_same_origin() {
        let good = [
            ("x-starling-dashboard", "1"),
            ("content-type", "application/json"),
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert!(same_origin_post(&headers(&good)).is_ok());
        let without = |skip: &str| {
            headers(
                &good
                    .iter()
                    .copied()
                    .filter(|(k, _)| *k != skip)
                    .collect::<Vec<_>>(),
            )
        };
        assert!(same_origin_post(&without("x-starling-dashboard")).is_err());
        assert!(same_origin_post(&without("content-type")).is_err());
        assert!(
            same_origin_post(&without("origin")).is_ok(),
            "older browsers omit Origin"
        );
        let cross = headers(&[
            ("x-starling-dashboard", "1"),
            ("content-type", "application/json"),
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example"),
        ]);
        assert!(same_origin_post(&cross).is_err());
        let site = headers(&[
            ("x-starling-dashboard", "1"),
            ("content-type", "application/json"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert!(same_origin_post(&site).is_err());
    }
}
