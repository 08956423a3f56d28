#!/usr/bin/env bash
# The CDK app's checks, from a fresh clone, idempotently, without an AWS account:
#   npm ci (only when node_modules is missing or older than package-lock.json)
#   → tsc --noEmit → jest (stack assertions, routes, IAM, cdk-nag) → cdk synth with bundling
#   skipped → cfn-lint over every synthesized template.
# Network: the npm registry (npm ci) and PyPI (cfn-lint into <repo>/.venv), first run only.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
CDK_DIR=$PWD
REPO=$(cd .. && pwd)
VENV=${STARLING_VENV:-$REPO/.venv}
export CDK_DISABLE_CLI_TELEMETRY=true CI=true
step() { printf '\n== %s (at %ss)\n' "$*" $((SECONDS - start)); }


start=$SECONDS
step "npm dependencies"
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.starling-lock.sha256
if [[ ! -d node_modules || ! -f $stamp || "$(cat "$stamp")" != "$lock_sum" ]]; then
  npm ci --no-audit --no-fund
  echo "$lock_sum" > "$stamp"
else
  echo "node_modules matches package-lock.json"
fi

step "type check (tsc --noEmit)"
npx --no-install tsc --noEmit

step "jest"
npx --no-install jest --ci

step "cdk synth (bundling skipped)"
rm -rf cdk.out
npx --no-install cdk synth --quiet --no-notices \
  -c skipBundling=true -c twitterAccountId=1234567890 >/dev/null
ls cdk.out/*.template.json

step "cfn-lint"
pin=$(grep -E '^cfn-lint==' "$REPO/ci/requirements.txt")
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
fi
if [[ "$("$VENV/bin/cfn-lint" --version 2>/dev/null | awk '{print $2}')" != "${pin#cfn-lint==}" ]]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$pin"
fi
"$VENV/bin/cfn-lint" --version
# The app as it is today, and the complete workspace the jest run synthesized (every Lambda,
# the state machine, table definitions): cfn-lint reads .cfnlintrc.yaml.
"$VENV/bin/cfn-lint" cdk.out/*.template.json
if compgen -G "cdk.out.test/complete/*.template.json" >/dev/null; then
  "$VENV/bin/cfn-lint" cdk.out.test/complete/*.template.json
fi

printf '\ncdk/test.sh: all checks passed in %ss\n' $((SECONDS - start))
