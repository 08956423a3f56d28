//! `starling up` as a child process of a test: on a free loopback port, killed when dropped.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `starling up` (the built binary).
pub struct UpProcess {
    /// The process; its stdout is piped.
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl UpProcess {
    /// Starts `starling up --port <free port> --data-dir DIR ARGS…` with `env` added (the test's
    /// own consumer secret and dashboard token removed, `RUST_LOG=warn`) and waits until it
    /// listens.
    pub fn start(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_starling"))
            .args(["up", "--port", &port.to_string(), "--data-dir"])
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
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "starling up did not listen within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
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
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        out
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
