//! With the `sql` feature the lake links DuckDB's prebuilt library (`DUCKDB_LIB_DIR`, set by
//! `.cargo/config.toml` to `ci/duckdb/lib`): installs it there when it is missing (npm, through
//! `scripts/duckdb.sh`) and records where it is in this package's binaries, tests and benches
//! (an rpath), so they run without `LD_LIBRARY_PATH`. Nothing to do with `duckdb-bundled`,
//! which compiles DuckDB from source, or without `sql`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    if std::env::var_os("CARGO_FEATURE_SQL").is_none()
        || std::env::var_os("CARGO_FEATURE_DUCKDB_BUNDLED").is_some()
    {
        return;
    }
    let Some(dir) = std::env::var_os("DUCKDB_LIB_DIR").map(PathBuf::from) else {
        panic!(
            "DUCKDB_LIB_DIR is not set: build inside the workspace (its .cargo/config.toml sets it), \
             set it to a directory holding DuckDB 1.5.6's library, or use --features duckdb-bundled"
        );
    };
    let lib = dir.join(if cfg!(target_os = "macos") {
        "libduckdb.dylib"
    } else {
        "libduckdb.so"
    });
    println!("cargo:rerun-if-changed={}", lib.display());
    if !lib.exists() {
        ensure_installed(&lib);
    }
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
}

/// Runs `scripts/duckdb.sh` (DuckDB's npm package for this platform) when the library is missing.
fn ensure_installed(lib: &Path) {
    // At run time, not `env!`: a build script built in another clone sharing the target
    // directory is reused as is, and a baked-in path would point at that clone.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let root = Path::new(&manifest_dir).join("../..");
    let script = root.join("scripts/duckdb.sh");
    let installed = script.exists()
        && Command::new("bash")
            .arg(&script)
            .status()
            .is_ok_and(|s| s.success());
    if !installed || !lib.exists() {
        panic!(
            "DuckDB's library is not at {} and `bash scripts/duckdb.sh` could not install it \
             (it needs npm and the npm registry); or build DuckDB from source with \
             --features duckdb-bundled",
            lib.display()
        );
    }
}
