#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ one after another, each seeded from the project's fixtures,
# and prints a table: target, executions, exec/s, seconds, crashes, coverage.
#
#   scripts/fuzz.sh [--seconds N | --runs N] [target…]     (default: --seconds 60, every target)
#
# Installs the pinned cargo-fuzz if it is missing (idempotent) and builds with the nightly toolchain
# into FUZZ_TARGET_DIR (default: ${XDG_CACHE_HOME:-~/.cache}/starling/fuzz-target, never the
# repository's target/). One fuzzer runs at a time, one job each. Corpora grow in fuzz/corpus/
# (not committed); a crash leaves its input in fuzz/artifacts/<target>/, printed with the
# fuzzer's last lines, and the script exits 1 after running the other targets.
#
# Targets are built without a sanitizer (FUZZ_SANITIZER=none): every Starling crate forbids
# `unsafe`, so AddressSanitizer would find nothing there and halve the executions; set
# FUZZ_SANITIZER=address to check the dependencies' unsafe code (a separate build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO_FUZZ_VERSION=0.13.2
toolchain=${FUZZ_TOOLCHAIN:-nightly}
sanitizer=${FUZZ_SANITIZER:-none}
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/starling/fuzz-target}

# target → dictionary, longest input (bytes; default: from the seeds, at least 4096), timeout
# per input (s, default 10). The order is the run order, cheapest first.
all=(weighted_text oauth_encoding crc_token lake_record event_pattern jsonpath_intrinsics
  webhook_events asl_definition media_decode)
declare -A dict=(
  [weighted_text]=text [oauth_encoding]=text [crc_token]=text [lake_record]=json
  [event_pattern]=pattern [jsonpath_intrinsics]=states [webhook_events]=json
  [asl_definition]=states [media_decode]=media
)
declare -A max_len=([weighted_text]=600 [oauth_encoding]=256 [crc_token]=256)
declare -A timeout=([media_decode]=60)

usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
limit=(-max_total_time=60)
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) [ $# -ge 2 ] || usage; limit=(-max_total_time="$2"); shift 2 ;;
    --runs) [ $# -ge 2 ] || usage; limit=(-runs="$2"); shift 2 ;;
    -h | --help) usage ;;
    -*) usage ;;
    *)
      [ -n "${dict[$1]:-}" ] || { echo "unknown target $1; known: ${all[*]}" >&2; exit 2; }
      targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

if ! cargo "+$toolchain" fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
  env -u CARGO_TARGET_DIR cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --quiet
fi

# fuzz/Cargo.lock is committed: fail if it no longer matches fuzz/Cargo.toml, as --locked would.
cargo "+$toolchain" fetch --locked --quiet --manifest-path fuzz/Cargo.toml || {
  echo "fuzz/Cargo.lock is out of date: run cargo update --workspace --manifest-path fuzz/Cargo.toml" >&2
  exit 1
}
# 16 codegen units instead of cargo-fuzz's 1: a much shorter first build for slightly slower runs.
build=(--fuzz-dir fuzz -s "$sanitizer" --codegen-units 16)
profile=release
# FUZZ_DEV=1: an unoptimised build (cargo fuzz --dev), minutes shorter from cold and far slower
# per execution: what the test command's brief regression runs use; long runs should not.
if [ "${FUZZ_DEV:-0}" = 1 ]; then
  build+=(--dev)
  profile=debug
fi
echo "building the fuzz targets (sanitizer: $sanitizer) in $CARGO_TARGET_DIR" >&2
cargo "+$toolchain" fuzz build "${build[@]}"

bin_dir=$CARGO_TARGET_DIR/$(rustc "+$toolchain" -vV | sed -n 's/^host: //p')/$profile
logs=$CARGO_TARGET_DIR/logs/$profile
mkdir -p "$logs"
python3 fuzz/seed.py fuzz/corpus "${targets[@]}" >&2

rows=()
failed=0
for target in "${targets[@]}"; do
  log=$logs/$target.log
  echo "fuzzing $target (${limit[*]}; log: $log)" >&2
  start=$(date +%s)
  status=0
  options=("${limit[@]}" -dict="fuzz/dict/${dict[$target]}.dict" -timeout="${timeout[$target]:-10}"
    -rss_limit_mb=2048 -reload=0 -print_final_stats=1)
  [ -z "${max_len[$target]:-}" ] || options+=(-max_len="${max_len[$target]}")
  # The binary cargo fuzz built, run directly: a source edited meanwhile rebuilds nothing mid-run.
  mkdir -p "fuzz/artifacts/$target"
  "$bin_dir/$target" -artifact_prefix="fuzz/artifacts/$target/" "${options[@]}" "fuzz/corpus/$target" \
    >"$log" 2>&1 || status=$?
  elapsed=$(($(date +%s) - start))
  runs=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$log" | tail -1)
  rate=$(awk '/^stat::average_exec_per_sec:/ {print $2}' "$log" | tail -1)
  # The last status line ("#N ... cov: C ft: F ..."): executions when there are no final stats.
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+) ft: ([0-9]+).*/\1 edges, \2 features/p' <<<"$last")
  [ -n "$runs" ] || runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
  crashes=0
  if [ "$status" -ne 0 ]; then
    crashes=1
    failed=1
    echo "::error:: $target failed (exit $status):" >&2
    # The panic or libFuzzer's verdict, and where the input was written (no backtrace frames).
    grep -hE -A3 'panicked at|== ERROR: libFuzzer|Test unit written to' "$log" \
      | grep -vE '^ +([0-9]+: | at )' | cut -c1-300 | head -n 40 >&2 || true
  fi
  rows+=("$(printf '%-20s %14s %10s %8s %8s  %s' "$target" "${runs:-?}" "${rate:-?}" "$elapsed" "$crashes" "${cov:-?}")")
done

printf '\n%-20s %14s %10s %8s %8s  %s\n' target executions exec/s seconds crashes coverage
printf '%s\n' "${rows[@]}"
if [ "$failed" -ne 0 ]; then
  echo "a fuzz target crashed: the input is under fuzz/artifacts/ (above); reproduce with" \
    "$bin_dir/<target> <artifact>" >&2
fi
exit "$failed"
