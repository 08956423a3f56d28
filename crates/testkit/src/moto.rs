//! A moto server for tests: `STARLING_MOTO_ENDPOINT` when the test command started one, otherwise
//! one started here from the test virtualenv and stopped when the test process exits.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();

/// The endpoint URL of a running moto server, e.g. `http://127.0.0.1:5123`.
///
/// Panics with instructions when moto is not installed: these tests must not silently pass.
pub fn endpoint() -> String {
    match ENDPOINT.get_or_init(start) {
        Ok(url) => url.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// The variables that point an AWS SDK at moto (for child processes too).
pub fn aws_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", url.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

fn start() -> Result<String, String> {
    if let Ok(url) = std::env::var("STARLING_MOTO_ENDPOINT")
        && !url.is_empty()
    {
        return Ok(url);
    }
    let venv = std::env::var("STARLING_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| crate::workspace_root().join(".venv"));
    let server = venv.join("bin/moto_server");
    if !server.exists() {
        return Err(format!(
            "moto is not installed at {}; run the test command (bash scripts/test.sh), which creates the virtualenv",
            server.display()
        ));
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    // moto runs under a shell that waits on our stdin: when this test process exits, the pipe closes,
    // `read` returns and the shell stops moto. No server outlives its tests.
    let script = format!(
        "'{}' -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; read _; kill $pid",
        server.display()
    );
    let child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start moto: {e}"))?;
    // Keep the stdin pipe open for the life of the process.
    std::mem::forget(child);
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            use std::io::Write;
            let _ = s.write_all(b"GET /moto-api/ HTTP/1.0\r\n\r\n");
            let mut buf = [0u8; 12];
            if s.read_exact(&mut buf).is_ok() {
                return Ok(format!("http://127.0.0.1:{port}"));
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("moto did not start within 30 s".into())
}
