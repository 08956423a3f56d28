//! The public-domain test photos (`crates/offline/tests/fixtures/images`, see its SOURCES.md),
//! shared with `starling-local`'s tests through `#[path]`: the path is spelled from any sibling
//! crate's manifest directory, so one helper serves both.

#![allow(dead_code, clippy::unwrap_used)]

/// The directory of the test photos.
pub const FIXTURE_IMAGES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../offline/tests/fixtures/images"
);

/// A test photo by file name.
pub fn fixture_image(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(FIXTURE_IMAGES).join(name)).unwrap()
}
