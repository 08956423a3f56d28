//! One description of an AWS SDK error for every adapter: the service's error code, when the
//! service answered, and a message naming the operation (never a request's content).

use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};

/// `(code, "op: code: message")`, or `(None, "op: could not reach service")`.
pub(crate) fn describe<E: ProvideErrorMetadata, R>(
    service: &str,
    op: &str,
    err: &SdkError<E, R>,
) -> (Option<String>, String) {
    match err.as_service_error() {
        Some(se) => {
            let code = se.code().unwrap_or("Unknown");
            (
                Some(code.to_string()),
                format!("{op}: {code}: {}", se.message().unwrap_or_default()),
            )
        }
        None => (None, format!("{op}: could not reach {service}")),
    }
}
