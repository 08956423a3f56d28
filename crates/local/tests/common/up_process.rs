//! `starling up` as a child process of a test: on a port the server picked itself (`--port 0`,
//! read back from what it prints), killed when dropped.
//!
//! Picking a "free" port in the test and handing it over races with every other test doing the
//! same: a server that lost the race exits, and the test then talks to somebody else's server.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What `starling up` prints once it listens, before the address.
const LISTENING: &str = "Starling is listening on http://";

/// A running `starling up` (the built binary).
pub struct UpProcess {
    /// The process (its stdout is read by a thread of this struct).
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Everything the process prints to stdout, returned when it closes.
    printed: Option<JoinHandle<String>>,
}

impl UpProcess {
    /// Starts `starling up --port 0 --data-dir DIR ARGS…` with `env` added (the test's own
    /// consumer secret and dashboard token removed, `RUST_LOG=warn`) and waits until it
    /// listens.
    pub fn start(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_starling"))
            .args(["up", "--port", "0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .env_remove("STARLING_CONSUMER_SECRET")
            .env_remove("STARLING_DASHBOARD_TOKEN")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (found, listening) = mpsc::channel();
        let printed = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix(LISTENING)
                    && let Some(address) = rest.split('/').next()
                    && let Ok(address) = address.parse::<SocketAddr>()
                {
                    let _ = found.send(address.port());
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let port = loop {
            match listening.recv_timeout(Duration::from_millis(200)) {
                Ok(port) => break port,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(status) = child.try_wait().unwrap() {
                        panic!(
                            "starling up exited before listening ({status:?}): {}",
                            printed.join().unwrap()
                        );
                    }
                    assert!(
                        Instant::now() < deadline,
                        "starling up did not listen within 60 s"
                    );
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().unwrap();
                    panic!(
                        "starling up exited before listening ({status:?}): {}",
                        printed.join().unwrap()
                    );
                }
            }
        };
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            printed: Some(printed),
        }
    }

    /// Stops it with SIGTERM, asserts a clean exit within 30 s, and returns what it printed.
    pub fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit after SIGTERM: {status:?}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "starling up did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.printed.take().unwrap().join().unwrap()
    }

    /// The webhook's URL.
    pub fn webhook_url(&self) -> String {
        format!("{}/twitter", self.base)
    }
}

impl Drop for UpProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
