//! With the `sql` feature `starling` links DuckDB's prebuilt library (`DUCKDB_LIB_DIR`, which
//! starling-lake's build script installs): records where it is in the binary and the tests (an
//! rpath), so `starling` runs without `LD_LIBRARY_PATH`.

fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    if std::env::var_os("CARGO_FEATURE_SQL").is_none()
        || std::env::var_os("CARGO_FEATURE_DUCKDB_BUNDLED").is_some()
    {
        return;
    }
    if let Some(dir) = std::env::var_os("DUCKDB_LIB_DIR") {
        println!(
            "cargo:rustc-link-arg=-Wl,-rpath,{}",
            std::path::Path::new(&dir).display()
        );
    }
}
