#!/usr/bin/env bash
# Installs the prebuilt DuckDB library the local SQL engine links (`starling query`, the lake's
# silver compaction, the dashboard's query runner), idempotently: DuckDB's own npm package for this
# platform (ci/duckdb/package-lock.json pins it, with its hash), linked into ci/duckdb/lib/, where
# .cargo/config.toml points DUCKDB_LIB_DIR. Building DuckDB's C++ from source instead took most of
# a first build here (README, "The two commands"); `--features duckdb-bundled` still does that,
# for a platform without a package.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../ci/duckdb"

case "$(uname -s)" in
  Linux) lib=libduckdb.so ;;
  Darwin) lib=libduckdb.dylib ;;
  *) echo "no prebuilt DuckDB for $(uname -s) here: build it from source with --features duckdb-bundled" >&2; exit 1 ;;
esac

if [ ! -e "lib/$lib" ] || [ package-lock.json -nt "lib/$lib" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  found=$(find node_modules/@duckdb -maxdepth 2 -name "$lib" | head -n 1)
  if [ -z "$found" ]; then
    echo "npm installed no $lib for this platform ($(uname -sm)): build DuckDB from source with --features duckdb-bundled" >&2
    exit 1
  fi
  mkdir -p lib
  ln -sfn "../$found" "lib/$lib"
  touch -h "lib/$lib"
fi
echo "DuckDB library: $PWD/lib/$lib"
