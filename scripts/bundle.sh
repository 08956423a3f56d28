#!/usr/bin/env bash
# Builds every Lambda of the workspace as AWS runs it — cargo-lambda, release profile (fat LTO),
# provided.al2023, x86_64 — zips each `bootstrap`, and fails when a zip grows past the budget.
#
#   bash scripts/bundle.sh                 # all Lambdas, budget 5 MB (5,000,000 bytes) per zip
#   BUDGET_BYTES=4000000 bash scripts/bundle.sh ingress alert
#   PROFILE=release-small bash scripts/bundle.sh   # another Cargo profile (Cargo.toml)
#
# cargo-lambda comes from PyPI (pinned in ci/requirements-lambda.txt) into the project's .venv.
# `--compiler cargo` builds with the installed toolchain (no zig, no Docker); this machine has no
# aarch64 standard library, so arm64 bundles (the CDK default) are built where it exists, with the
# same command and ARCH=arm64. Zips land in $LAMBDA_DIR (default: <target dir>/lambda), one
# directory per function with bootstrap and bootstrap.zip — what CDK would upload.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

source scripts/cargo-lambda.sh

BUDGET_BYTES=${BUDGET_BYTES:-5000000}
PROFILE=${PROFILE:-release}
ARCH=${ARCH:-x86_64}
target_dir=${CARGO_TARGET_DIR:-$root/target}
LAMBDA_DIR=${LAMBDA_DIR:-$target_dir/lambda}
case $ARCH in
  x86_64) arch_flag=--x86-64 ;;
  arm64) arch_flag=--arm64 ;;
  *) echo "ARCH must be x86_64 or arm64" >&2; exit 2 ;;
esac

if [ $# -gt 0 ]; then
  functions=("$@")
else
  functions=()
  for manifest in lambdas/*/Cargo.toml; do functions+=("$(basename "$(dirname "$manifest")")"); done
fi
for f in "${functions[@]}"; do
  [ -f "lambdas/$f/Cargo.toml" ] || { echo "no Lambda named $f (lambdas/$f)" >&2; exit 2; }
done

profile_flag=(--release)
[ "$PROFILE" = release ] || profile_flag=(--profile "$PROFILE")
start=$(date +%s)
# One function per build, as cargo-lambda-cdk builds them for `cdk deploy`: features unify per
# function, so a decoder one Lambda enables (download-media's GIF and WebP) stays out of the others.
for f in "${functions[@]}"; do
  cargo lambda build "${profile_flag[@]}" --compiler cargo "$arch_flag" --locked \
    --output-format zip --lambda-dir "$LAMBDA_DIR" -p "$f"
done
built=$(( $(date +%s) - start ))

printf '\n| Lambda | bootstrap | zip | budget |\n|---|---:|---:|---|\n'
over=0
for f in "${functions[@]}"; do
  zip=$LAMBDA_DIR/$f/bootstrap.zip
  [ -f "$zip" ] || { echo "cargo-lambda produced no $zip" >&2; exit 1; }
  # cargo-lambda keeps the unzipped binary out of the zip's directory; measure it from the zip.
  raw=$(python3 -c 'import sys, zipfile; print(sum(i.file_size for i in zipfile.ZipFile(sys.argv[1]).infolist()))' "$zip")
  size=$(stat -c %s "$zip")
  verdict=ok
  if [ "$size" -gt "$BUDGET_BYTES" ]; then verdict="OVER ($BUDGET_BYTES)"; over=1; fi
  printf '| %s | %.1f MB | %.2f MB | %s |\n' "$f" "$(echo "$raw / 1000000" | bc -l)" "$(echo "$size / 1000000" | bc -l)" "$verdict"
done
printf '\n%s profile, %s, built in %d s; zips in %s\n' "$PROFILE" "$ARCH" "$built" "$LAMBDA_DIR"
exit $over
