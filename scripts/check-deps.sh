#!/usr/bin/env bash
# The dependency rule of ARCHITECTURE.md, checked with `cargo tree` (normal and build dependencies,
# not dev-dependencies): the logic and engine crates import no AWS SDK, no Lambda runtime and no
# DuckDB, and no crate imports one drawn above it. Fails naming the offending path.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Crates no logic or engine crate may reach (regular expressions over package names).
sdk='^(aws-config|aws-sdk-[a-z0-9]+|aws-smithy-[a-z-]+|aws-types|aws-runtime|lambda_[a-z_]+|aws_lambda_events|duckdb|libduckdb-sys)$'

# crate -> what it must not reach: the SDK set, plus the Starling crates above it in the picture.
declare -A forbidden=(
  [starling-contracts]="$sdk|^starling-(x|core|aws|bus|lake|offline|http|patterns|states|testkit)$|^starling$"
  [starling-x]="$sdk|^starling-(contracts|core|aws|bus|lake|offline|http|patterns|states|testkit)$|^starling$"
  [starling-patterns]="$sdk|^starling-(contracts|x|core|aws|bus|lake|offline|http|states|testkit)$|^starling$"
  [starling-states]="$sdk|^starling-(contracts|x|core|aws|bus|lake|offline|http|patterns|testkit)$|^starling$"
  [starling-core]="$sdk|^starling-(aws|bus|lake|offline|http|testkit)$|^starling$"
  [starling-bus]="$sdk|^starling-(aws|lake|offline|http|testkit)$|^starling$"
  [starling-lake]="$sdk|^starling-(aws|bus|offline|http|testkit)$|^starling$"
  [starling-offline]="$sdk|^starling-(aws|bus|lake|http|testkit)$|^starling$"
  [starling-http]="$sdk|^starling-(aws|bus|lake|offline|testkit)$|^starling$"
  [starling-aws]="duckdb|libduckdb-sys|^starling-(bus|lake|offline|testkit)$|^starling$"
)

failed=0
for crate in "${!forbidden[@]}"; do
  pattern=${forbidden[$crate]}
  # One package per line, name only, deduplicated.
  packages=$(cargo tree --locked -p "$crate" -e normal,build --prefix none --format '{p}' \
    | awk '{print $1}' | sort -u)
  bad=$(grep -E "$pattern" <<<"$packages" || true)
  if [ -n "$bad" ]; then
    failed=1
    for b in $bad; do
      echo "$crate must not depend on $b; the path:" >&2
      cargo tree --locked -p "$crate" -e normal,build -i "$b" >&2 || true
    done
  else
    printf 'ok %-20s %3d packages, none forbidden\n' "$crate" "$(wc -l <<<"$packages")"
  fi
done
exit $failed
