//! The dashboard through the built binary: who may open it (token, loopback), that the JSON
//! matches the log, and that an open live stream never holds up a clean stop. The page itself is
//! tested in a real browser by `tests/browser/dashboard.test.mjs`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::Value;

const TOKEN: &str = "dashboard-token-for-the-test";

mod common;

use common::up_process::UpProcess;

fn up(data_dir: &std::path::Path, args: &[&str]) -> UpProcess {
    UpProcess::start(data_dir, args, &[])
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn with_a_token_every_request_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = up(dir.path(), &["--dashboard-token", TOKEN]);
    let http = client();
    let summary = format!("{}/api/summary", server.base);
    assert_eq!(http.get(&summary).send().await.unwrap().status(), 401);
    let wrong = http.get(&summary).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert!(!body.to_string().contains(TOKEN));

    let ok = http.get(&summary).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["head"], 0);
    assert_eq!(body["minutes"].as_array().unwrap().len(), 60);

    // The browser's way: the token once in the URL, then a cookie and a clean address.
    let login = http
        .get(format!("{}/ui?token={TOKEN}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/ui");
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let pair = cookie.split(';').next().unwrap().to_string();
    let page = http
        .get(format!("{}/ui", server.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert!(page.text().await.unwrap().contains("/ui/app.js"));
    let bad_login = http
        .get(format!("{}/ui?token=wrong", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_login.status(), 401);

    // With a token, any Host may ask (the token is the guard) — but a POST still needs the
    // dashboard's own header.
    let post = http
        .post(format!("{}/api/dead-letters/redrive", server.base))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 403);
    let post = http
        .post(format!("{}/api/dead-letters/redrive", server.base))
        .bearer_auth(TOKEN)
        .header("x-starling-dashboard", "1")
        .json(&serde_json::json!({"route": "no-such-route"}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 400, "an unknown route is the caller's error");
    let out = server.stop();
    assert!(out.contains("every request needs the token"), "{out}");
    assert!(!out.contains(TOKEN), "the token is never printed: {out}");
}

#[tokio::test]
async fn off_loopback_without_a_token_there_is_no_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let server = up(dir.path(), &["--bind", "0.0.0.0"]);
    let status = client()
        .get(format!("{}/api/summary", server.base))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);
    let healthz = client()
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200, "the webhook side still serves");
    let out = server.stop();
    assert!(out.contains("dashboard off"), "{out}");
}

#[tokio::test]
async fn an_open_live_stream_does_not_hold_up_a_clean_stop() {
    let dir = tempfile::tempdir().unwrap();
    let server = up(dir.path(), &[]);
    let mut live = client()
        .get(format!("{}/api/live", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    let first = live.chunk().await.unwrap().unwrap();
    let first = String::from_utf8_lossy(&first).to_string();
    assert!(
        first.contains("event: head") && first.contains("\"head\":0"),
        "{first}"
    );
    let out = server.stop();
    assert!(out.contains("Dashboard: http://127.0.0.1:"), "{out}");
    assert!(out.contains("Stopped cleanly."), "{out}");
    // A clean stop also compacts the lake's silver layer (an empty lake: empty tables).
    assert!(
        out.contains("Silver layer rewritten from 0 bronze events"),
        "{out}"
    );
    for table in ["events_silver", "posts", "users"] {
        let current = dir.path().join("lake/silver").join(table).join("CURRENT");
        assert!(current.exists(), "{}", current.display());
    }
}
