//! A built Lambda binary run as the Lambda service runs it: a clean environment with the
//! `AWS_LAMBDA_*` variables, pointed at a [`RuntimeApi`]. Its stderr (the Lambda's logs) is read
//! continuously, so a chatty function never blocks on a full pipe, and kept for assertions; the
//! process is killed when the handle is dropped, so a failing test leaves nothing running.
#![allow(clippy::expect_used)]

use std::ffi::OsStr;
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::lambda_runtime_api::{Outcome, RuntimeApi};

/// How long [`invoke`] and [`LambdaProcess::exit`] wait before failing the test.
pub const WAIT: Duration = Duration::from_secs(30);

/// A command for the Lambda binary `binary` (use `env!("CARGO_BIN_EXE_<name>")`) named
/// `function_name`, talking to `api`, with nothing of the test's environment but `PATH`. Add the
/// function's variables (and [`crate::moto::aws_env`]) before [`LambdaProcess::spawn`].
pub fn lambda_command(binary: impl AsRef<OsStr>, function_name: &str, api: &RuntimeApi) -> Command {
    let mut cmd = Command::new(binary);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", function_name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{function_name}"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// A running Lambda binary.
pub struct LambdaProcess {
    child: Child,
    stderr: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl LambdaProcess {
    /// Spawns `cmd` (from [`lambda_command`]).
    pub fn spawn(cmd: &mut Command) -> Self {
        let mut child = cmd
            .stderr(Stdio::piped())
            .spawn()
            .expect("the Lambda binary is built by cargo test");
        let stderr: Arc<Mutex<Vec<u8>>> = Arc::default();
        let reader = child.stderr.take().map(|mut pipe| {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut s) = sink.lock() {
                        s.extend_from_slice(&buf[..n]);
                    }
                }
            })
        });
        Self {
            child,
            stderr,
            reader,
        }
    }

    /// What the function logged so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .map(|s| String::from_utf8_lossy(&s).into_owned())
            .unwrap_or_default()
    }

    /// Waits (at most [`WAIT`]) for the process to exit by itself — a failed init — and returns
    /// its status and everything it logged.
    pub async fn exit(mut self) -> (ExitStatus, String) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("the Lambda process's status") {
                if let Some(r) = self.reader.take() {
                    let _ = tokio::task::spawn_blocking(move || r.join()).await;
                }
                return (status, self.stderr());
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the Lambda did not exit within {WAIT:?}; it logged:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for LambdaProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Hands `event` to the function through `api` and returns its answer, failing the test if none
/// comes within [`WAIT`].
pub async fn invoke(api: &RuntimeApi, event: Value) -> Outcome {
    tokio::time::timeout(WAIT, api.invoke(event))
        .await
        .unwrap_or_else(|_| panic!("the Lambda did not answer within {WAIT:?}"))
}
