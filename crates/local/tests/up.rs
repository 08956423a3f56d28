//! `starling up` and `starling send` through the built binary: CRC, signed deliveries onto the
//! durable bus, every refusal's status, and a clean stop on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_starling");

mod common;

use common::up_process::UpProcess;

fn up(data_dir: &std::path::Path, extra_env: &[(&str, &str)]) -> UpProcess {
    UpProcess::start(data_dir, &[], extra_env)
}

fn starling(args: &[&str], data_dir: &std::path::Path) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("STARLING_CONSUMER_SECRET")
        .output()
        .unwrap()
}

fn fixture(name: &str) -> String {
    format!("{}/../x/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn post(url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> u16 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new().post(url).body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap().status().as_u16()
    })
}

#[test]
fn crc_and_signed_deliveries_land_on_the_bus_and_refusals_get_their_status() {
    let dir = tempfile::tempdir().unwrap();
    let server = up(dir.path(), &[("STARLING_MAX_BODY_BYTES", "65536")]);

    let crc = starling(
        &["send", "--crc", "--url", &server.webhook_url()],
        dir.path(),
    );
    assert!(
        crc.status.success(),
        "{}",
        String::from_utf8_lossy(&crc.stderr)
    );

    let sent = starling(
        &[
            "send",
            &fixture("account_activity_all_kinds.json"),
            "--url",
            &server.webhook_url(),
        ],
        dir.path(),
    );
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert!(
        String::from_utf8_lossy(&sent.stdout).starts_with("200 {\"accepted\":14,\"duplicates\":0}"),
        "{}",
        String::from_utf8_lossy(&sent.stdout)
    );

    assert_eq!(post(&server.webhook_url(), &[], b"{}".to_vec()), 401);
    assert_eq!(
        post(
            &server.webhook_url(),
            &[("x-twitter-webhooks-signature", "sha256=AAAA")],
            b"{}".to_vec()
        ),
        401
    );
    let secret = std::fs::read_to_string(dir.path().join("consumer-secret")).unwrap();
    let bad = b"{not json".to_vec();
    let sig = starling_x::webhook::sign(secret.trim().as_bytes(), &bad);
    assert_eq!(
        post(
            &server.webhook_url(),
            &[("x-twitter-webhooks-signature", &sig)],
            bad
        ),
        400
    );
    assert_eq!(post(&server.webhook_url(), &[], vec![b' '; 70_000]), 413);

    let listed = starling(&["events", "list", "--limit", "100"], dir.path());
    let table = String::from_utf8_lossy(&listed.stdout);
    for kind in starling_contracts::detail_type::TWITTER_KINDS {
        assert!(table.contains(kind), "{kind} missing from\n{table}");
    }
    assert_eq!(table.matches("MESSAGE_RECEIVED").count(), 1, "{table}");

    // The received message is analysed by the analyse-message state machine, offline.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let listed = starling(&["events", "list", "--limit", "100"], dir.path());
        let table = String::from_utf8_lossy(&listed.stdout).to_string();
        if table.contains("MESSAGE_ANALYSED") {
            assert!(!table.contains("MESSAGE_ANALYSIS_FAILED"), "{table}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no MESSAGE_ANALYSED within 90 s:\n{table}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn sigterm_stops_the_server_cleanly_and_the_secret_is_reused_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = up(dir.path(), &[]);
    let first = std::fs::read_to_string(dir.path().join("consumer-secret")).unwrap();
    let out = server.stop();
    assert!(out.contains("generated a consumer secret"), "{out}");
    assert!(out.contains("Stopped cleanly."), "{out}");

    let server = up(dir.path(), &[]);
    let crc = starling(
        &["send", "--crc", "--url", &server.webhook_url()],
        dir.path(),
    );
    assert!(crc.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("consumer-secret")).unwrap(),
        first
    );
}
