#!/usr/bin/env bash
# `cdk synth` with real bundling, end to end: cargo-lambda-cdk runs cargo-lambda (from PyPI,
# pinned in ci/requirements-lambda.txt) for every Lambda of the workspace, and CDK writes the
# assets it would upload to cdk/cdk.out-bundled/. Not part of the test command (it builds every
# Lambda with the release profile); the README says how long it takes here.
#
#   bash scripts/synth-bundled.sh              # x86_64 (this machine has no aarch64 std)
#   ARCH=arm64 bash scripts/synth-bundled.sh   # where an aarch64 toolchain (or zig) exists
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
ARCH=${ARCH:-x86_64}

source scripts/cargo-lambda.sh
# cargo-lambda reads its compiler from the environment: plain cargo (no zig, no Docker).
export CARGO_LAMBDA_COMPILER=cargo
export CDK_DISABLE_CLI_TELEMETRY=true CI=true

cd cdk
[ -d node_modules ] || npm ci --no-audit --no-fund
out=cdk.out-bundled
rm -rf "$out"
start=$(date +%s)
npx --no-install cdk synth --all --quiet --no-notices --output "$out" \
  -c architecture="$ARCH" -c twitterAccountId=1234567890 >/dev/null
took=$(( $(date +%s) - start ))

printf '\n| asset (bootstrap) | bytes | Lambda |\n|---|---:|---|\n'
count=0
for dir in "$out"/asset.*/; do
  [ -f "$dir/bootstrap" ] || continue
  count=$((count + 1))
  kind=$(file -b "$dir/bootstrap" | cut -d, -f1-2)
  printf '| %s | %s | %s |\n' "$(basename "$dir")" "$(stat -c %s "$dir/bootstrap")" "$kind"
done
printf '\n%d bundled assets in cdk/%s; synth with real bundling took %d s\n' "$count" "$out" "$took"
# A placeholder asset (skipBundling) is a shell script; a real one is an ELF executable.
if grep -l "synthesized with -c skipBundling" "$out"/asset.*/bootstrap >/dev/null 2>&1; then
  echo "a placeholder asset was synthesized: bundling did not run" >&2
  exit 1
fi
[ "$count" -gt 0 ] || { echo "no bundled asset found" >&2; exit 1; }
