#!/usr/bin/env bash
# Runs every Starling test from a fresh clone. Installs what the tests need first, idempotently:
# a Python virtualenv (.venv) with the pinned tools in ci/requirements.txt (moto, …), then starts
# one moto server for the AWS adapter tests, then format, lint, Rust tests, and the CDK app's tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
step() { printf '\n==> %s\n' "$*"; }

# STARLING_VENV: where the virtualenv lives (.ci/run keeps it in the user's cache, next to the
# shared target dir, so a fresh clone does not reinstall it); <repo>/.venv otherwise.
venv=${STARLING_VENV:-$root/.venv}
step "Python tools in $venv (ci/requirements.txt)"
stamp=$venv/.installed-$(sha256sum ci/requirements.txt | cut -c1-16)
if [ ! -f "$stamp" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r ci/requirements.txt
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi
export STARLING_VENV=$venv

step "moto server (AWS APIs over HTTP, loopback only)"
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_log=$(mktemp -t starling-moto.XXXXXX)
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$moto_log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; rm -f "$moto_log"' EXIT
"$venv/bin/python" - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(600):  # up to ~2 minutes: importing moto is slow on a loaded machine
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit("moto did not start")
PY
export STARLING_MOTO_ENDPOINT=http://127.0.0.1:$port

step "Node tools (ci/node: asl-validator) and the state machine definitions"
if [ ! -d ci/node/node_modules ] || [ ci/node/package-lock.json -nt ci/node/node_modules ]; then
  (cd ci/node && npm ci --no-audit --no-fund --loglevel=error)
fi
for definition in statemachines/*.asl.json; do
  ci/node/node_modules/.bin/asl-validator --json-path "$definition"
done

step "Athena named queries and the silver tables (athena/*.sql, athena/silver/*.sql) parse as Trino SQL (sqlglot)"
"$venv/bin/python" - athena/*.sql athena/silver/*.sql <<'PY'
import sys
import sqlglot
from sqlglot.errors import ErrorLevel
failed = False
for path in sys.argv[1:]:
    sql = open(path, encoding="utf-8").read()
    if not sql.lstrip().startswith("--"):
        print(f"{path}: must start with a comment saying what it answers", file=sys.stderr)
        failed = True
    try:
        statements = [s for s in sqlglot.parse(sql, read="trino", error_level=ErrorLevel.RAISE) if s is not None]
        if len(statements) != 1:
            raise ValueError(f"expected one statement, found {len(statements)}")
        print(f"ok {path}")
    except Exception as e:
        print(f"{path}: not valid Trino SQL: {e}", file=sys.stderr)
        failed = True
sys.exit(1 if failed else 0)
PY

step "DuckDB's prebuilt library for the local SQL engine (scripts/duckdb.sh: DuckDB's npm package)"
bash scripts/duckdb.sh

step "dependency rule (ARCHITECTURE.md): no SDK, Lambda runtime or DuckDB below the adapters"
bash scripts/check-deps.sh

step "format and lint"
cargo fmt --all --check
# With `starling/aws` (`starling faces --aws`) in both, so clippy and the tests share one feature
# set and one build of every dependency.
cargo clippy --workspace --all-targets --locked --features starling/aws -- -D warnings

step "Rust tests"
cargo test --workspace --locked --features starling/aws
# starling-core as reply-image and analyse-image build it: without `gif-webp` (the workspace run
# above has it on, through the local runtime), so the refusal of GIF and WebP is tested too.
cargo test -p starling-core --locked --lib analysis::decode

step "the dashboard in a real browser (Debian's chromium, driven by playwright-core from ci/node)"
if ! command -v chromium >/dev/null 2>&1; then
  # No browser download: Debian's package. As root in CI; through sudo elsewhere.
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
target_dir=${CARGO_TARGET_DIR:-$root/target}
STARLING_BIN=$target_dir/debug/starling CHROMIUM=$(command -v chromium) \
  ARTIFACTS_DIR=$target_dir/browser-artifacts \
  node --test crates/local/tests/browser/dashboard.test.mjs

# The fuzz smoke run (one core: libFuzzer runs one target at a time) beside the CDK checks
# (node, mostly one core too) rather than after them. It is a regression check — every seed and
# past crash input runs first — with 5 s of mutation per target; searches are run by hand
# (scripts/fuzz.sh --seconds 300). 9 × 10 s had made it the run's last minute and a half, past
# #17's 8 minutes for a warm run. Its output is held in a log and shown whole when both are done.
step "fuzz targets, 5 s each from the seeds (scripts/fuzz.sh: nightly, cargo-fuzz installed if missing, unoptimised build), beside the CDK checks"
fuzz_log=$(mktemp -t starling-fuzz.XXXXXX)
FUZZ_DEV=1 FUZZ_TARGET_DIR=${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:+${CARGO_TARGET_DIR%/*}/fuzz-target}} \
  bash scripts/fuzz.sh --seconds 5 >"$fuzz_log" 2>&1 &
fuzz_pid=$!
trap 'kill "$moto_pid" "$fuzz_pid" 2>/dev/null || true; rm -f "$moto_log" "$fuzz_log"' EXIT

cdk_status=0
if [ -f cdk/test.sh ]; then
  step "CDK app: synth, jest, cdk-nag, cfn-lint"
  bash cdk/test.sh || cdk_status=$?
fi

fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?
step "fuzz targets: their output"
cat "$fuzz_log"
[ "$fuzz_status" = 0 ] || { echo "the fuzz smoke run failed (exit $fuzz_status)" >&2; exit "$fuzz_status"; }
[ "$cdk_status" = 0 ] || { echo "the CDK checks failed (exit $cdk_status)" >&2; exit "$cdk_status"; }
