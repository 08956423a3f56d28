//! Set-up shared by the local runtime's end-to-end tests.

#![allow(dead_code, unused_imports, clippy::unwrap_used)]

pub mod up_process;

use std::path::Path;
use std::sync::Arc;

use starling_bus::{BusConfig, RoutingTable, SqliteBus, TargetRegistry};
use starling_core::ports::XCredentials;

/// The bus in `dir` with every local target started, as `starling up` wires it (no X user
/// credentials, so replies go to the outbox). Keep the registry alive while the bus delivers.
pub async fn start_local_runtime(dir: &Path) -> (Arc<SqliteBus>, TargetRegistry) {
    start_local_runtime_with(dir, Default::default()).await
}

/// [`start_local_runtime`] with the given options (a reply policy, a dry run, …).
pub async fn start_local_runtime_with(
    dir: &Path,
    options: starling_local::runtime::LocalOptions,
) -> (Arc<SqliteBus>, TargetRegistry) {
    let table = RoutingTable::embedded().unwrap();
    let bus = Arc::new(SqliteBus::open(dir, &table, BusConfig::default()).unwrap());
    let creds = XCredentials {
        api_secret: "s".into(),
        ..Default::default()
    };
    let targets = starling_local::runtime::local_targets(
        &starling_local::DataDir::new(dir),
        bus.clone(),
        &creds,
        options,
    )
    .unwrap();
    bus.start(&targets).await.unwrap();
    (bus, targets)
}

#[path = "../../../offline/tests/common/mod.rs"]
mod images;
pub use images::{FIXTURE_IMAGES, fixture_image};
