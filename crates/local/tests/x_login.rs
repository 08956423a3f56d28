//! `starling x login`, `token` and `subscriptions` through the built binary against a fake X
//! authorisation server on loopback: the authorisation URL carries an S256 challenge, the redirect
//! comes back to the CLI's loopback listener, the code is exchanged with the PKCE verifier (a wrong
//! one is refused), the tokens are kept 0600, a refresh rotates them, and a subscription is created
//! with the renewed user token.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_starling");

#[derive(Default)]
struct Fake {
    /// code → (challenge, redirect_uri)
    codes: Mutex<HashMap<String, (String, String)>>,
    subscriptions: Mutex<Vec<(String, Value)>>,
    /// Refresh tokens still valid (X rotates them: each works once).
    refresh: Mutex<std::collections::HashSet<String>>,
}

async fn authorize(
    State(fake): State<Arc<Fake>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "cid");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "offline.access"));
    fake.codes.lock().unwrap().insert(
        "code-1".into(),
        (q["code_challenge"].clone(), q["redirect_uri"].clone()),
    );
    Redirect::to(&format!(
        "{}?code=code-1&state={}",
        q["redirect_uri"], q["state"]
    ))
    .into_response()
}

fn form(body: &str) -> HashMap<String, String> {
    axum::extract::Query::<HashMap<String, String>>::try_from_uri(
        &format!("/?{body}").parse().unwrap(),
    )
    .unwrap()
    .0
}

async fn token(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: String) -> Response {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode("cid:csec");
    assert_eq!(
        headers.get("authorization").unwrap().to_str().unwrap(),
        format!("Basic {basic}")
    );
    let f = form(&body);
    let answer = |access: &str, refresh: &str| {
        Json(
            json!({"token_type": "bearer", "expires_in": 7200, "access_token": access,
            "refresh_token": refresh, "scope": "tweet.read tweet.write users.read offline.access"}),
        )
        .into_response()
    };
    match f["grant_type"].as_str() {
        "authorization_code" => {
            let Some((challenge, redirect)) = fake.codes.lock().unwrap().remove(&f["code"]) else {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": "invalid_grant"})),
                )
                    .into_response();
            };
            assert_eq!(f["redirect_uri"], redirect);
            let expected =
                starling_x::oauth2::Pkce::from_verifier(f["code_verifier"].clone()).challenge;
            if expected != challenge {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"error": "invalid_request", "error_description": "Value passed for the code verifier did not match"})),
                )
                    .into_response();
            }
            fake.refresh.lock().unwrap().insert("rt-1".into());
            answer("at-1", "rt-1")
        }
        "refresh_token" if fake.refresh.lock().unwrap().remove(&f["refresh_token"]) => {
            fake.refresh.lock().unwrap().insert("rt-2".into());
            answer("at-2", "rt-2")
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant", "error_description": "stale"})),
        )
            .into_response(),
    }
}

async fn subscribe(State(fake): State<Arc<Fake>>, headers: HeaderMap, body: String) -> Response {
    let auth = headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = serde_json::from_str(&body).unwrap();
    fake.subscriptions
        .lock()
        .unwrap()
        .push((auth, body.clone()));
    Json(json!({"data": {"subscription_id": "1976325569252868096", "event_type": body["event_type"], "filter": body["filter"]}}))
        .into_response()
}

struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        ([("content-type", "application/json")], self.0.to_string()).into_response()
    }
}

fn start_fake() -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = fake.clone();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let app = axum::Router::new()
                    .route("/i/oauth2/authorize", axum::routing::get(authorize))
                    .route("/2/oauth2/token", axum::routing::post(token))
                    .route("/2/activity/subscriptions", axum::routing::post(subscribe))
                    .with_state(state);
                axum::serve(tokio::net::TcpListener::from_std(listener).unwrap(), app)
                    .await
                    .unwrap();
            });
    });
    (base, fake)
}

fn starling(base: &str, dir: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("x")
        .args(args)
        .args(["--client-id", "cid", "--client-secret", "csec"])
        .args(["--x-api-base", base, "--data-dir"])
        .arg(dir);
    cmd
}

#[test]
fn login_exchanges_the_code_with_the_pkce_verifier_keeps_the_tokens_private_and_refreshes_them() {
    let (base, fake) = start_fake();
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut login = starling(&base, dir.path(), &["login"])
        .args(["--port", &port.to_string()])
        .args(["--authorize-url", &format!("{base}/i/oauth2/authorize")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(login.stdout.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map(Result::unwrap)
        .find(|l| l.starts_with("http"))
        .expect("the authorisation URL");
    assert!(
        url.contains("code_challenge=") && url.contains(&format!("127.0.0.1%3A{port}")),
        "{url}"
    );
    // The browser: X's page redirects to the CLI's loopback callback.
    let page = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async { reqwest::get(&url).await.unwrap().status() });
    assert!(page.is_success(), "{page}");
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = login.wait().unwrap();
    assert!(status.success(), "{rest:?}");
    let printed = rest.join("\n");
    assert!(printed.contains("Authorised"), "{printed}");
    assert!(
        !printed.contains("at-1") && !printed.contains("rt-1"),
        "tokens printed: {printed}"
    );

    let path = dir.path().join("x-oauth2.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        (
            stored["AccessToken"].as_str(),
            stored["RefreshToken"].as_str()
        ),
        (Some("at-1"), Some("rt-1"))
    );

    // Refresh rotates both tokens.
    let out = starling(&base, dir.path(), &["token", "--refresh"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        (
            stored["AccessToken"].as_str(),
            stored["RefreshToken"].as_str()
        ),
        (Some("at-2"), Some("rt-2"))
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("at-2"));

    // A subscription for the bot's mentions, with the user token.
    let out = starling(
        &base,
        dir.path(),
        &["subscriptions", "create", "--bot-user-id", "777"],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1976325569252868096"));
    let subs = fake.subscriptions.lock().unwrap().clone();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].0, "Bearer at-2");
    assert_eq!(subs[0].1["event_type"], "post.mention.create");
    assert_eq!(subs[0].1["filter"]["user_id"], "777");

    // A second refresh with the rotated-out token is refused with X's words.
    std::fs::write(&path, serde_json::to_string(&json!({"AccessToken": "x", "RefreshToken": "rt-1", "ExpiresAt": "2020-01-01T00:00:00Z", "Scope": ""})).unwrap()).unwrap();
    let out = starling(&base, dir.path(), &["token"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid_grant"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
