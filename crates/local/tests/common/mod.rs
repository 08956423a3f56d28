//! Set-up shared by the local runtime's end-to-end tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;

use starling_core::ports::XCredentials;
use starling_local::bus::{BusConfig, RoutingTable, SqliteBus, TargetRegistry};

/// The bus in `dir` with every local target started, as `starling up` wires it (no X user
/// credentials, so replies go to the outbox). Keep the registry alive while the bus delivers.
pub async fn start_local_runtime(dir: &Path) -> (Arc<SqliteBus>, TargetRegistry) {
    let table = RoutingTable::embedded().unwrap();
    let bus = Arc::new(SqliteBus::open(dir, &table, BusConfig::default()).unwrap());
    let creds = XCredentials {
        api_secret: "s".into(),
        ..Default::default()
    };
    let targets = starling_local::runtime::local_targets(dir, bus.clone(), &creds, None).unwrap();
    bus.start(&targets).await.unwrap();
    (bus, targets)
}

/// A test photo from `tests/fixtures/images` (see its SOURCES.md).
pub fn fixture_image(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/images")
            .join(name),
    )
    .unwrap()
}
