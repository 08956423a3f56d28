//! Test support shared by Starling's crates: real services on loopback, no mocks.
//!
//! - [`moto`]: a moto server (AWS's APIs over HTTP) started from the test virtualenv.
//! - [`lambda_runtime_api`]: a local Lambda Runtime API that hands events to a built Lambda binary;
//!   [`lambda_process`] runs that binary as Lambda would.
//! - [`aws_json`] and [`aws_rest`]: local endpoints speaking AWS's JSON-1.1 and REST-JSON protocols,
//!   for operations moto lacks; [`rekognition`], a stateful face-collection peer on the former.
//! - [`aws`]: SDK configurations for those endpoints, and the queue/bus/bucket set-up tests share.

pub mod aws;
pub mod aws_json;
pub mod aws_rest;
pub mod lambda_process;
pub mod lambda_runtime_api;
pub mod moto;
pub mod rekognition;

use std::path::PathBuf;

/// The workspace root (where `Cargo.toml`, `schemas/` and `.venv/` are).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
