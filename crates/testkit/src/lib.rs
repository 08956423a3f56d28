//! Test support shared by Starling's crates: real services on loopback, no mocks.
//!
//! - [`moto`]: a moto server (AWS's APIs over HTTP) started from the test virtualenv.
//! - [`lambda_runtime_api`]: a local Lambda Runtime API that hands events to a built Lambda binary.

pub mod aws_json;
pub mod lambda_runtime_api;
pub mod moto;

use std::path::PathBuf;

/// The workspace root (where `Cargo.toml`, `schemas/` and `.venv/` are).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
