# Sourced by bundle.sh and synth-bundled.sh (from the repository root, with $root set): installs
# cargo-lambda from PyPI (pinned in ci/requirements-lambda.txt) into the project's .venv once per
# version of that file, and puts it on PATH.
venv=$root/.venv
stamp=$venv/.lambda-$(sha256sum ci/requirements-lambda.txt | cut -c1-16)
if [ ! -f "$stamp" ]; then
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r ci/requirements-lambda.txt
  rm -f "$venv"/.lambda-*
  touch "$stamp"
fi
export PATH=$venv/bin:$PATH
