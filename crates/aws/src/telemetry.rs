//! Logs: JSON lines on Lambda (CloudWatch parses them), human-readable elsewhere.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once. `RUST_LOG` filters (default `info`).
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let on_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = if on_lambda {
        // CloudWatch stamps each line; the request id comes from lambda_runtime's span.
        builder
            .json()
            .with_current_span(true)
            .without_time()
            .with_ansi(false)
            .try_init()
    } else {
        builder.try_init()
    };
    // Already installed (tests, or a second call): keep the first.
    let _ = result;
}
