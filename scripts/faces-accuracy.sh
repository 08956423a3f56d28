#!/usr/bin/env bash
# Measures offline known-faces identification (README, "Known faces"): assembles a set of
# public-domain photos from registry packages — the project's own fixtures (NASA's Eileen Collins,
# the U.S. Navy's Grace Hopper), the face_recognition 1.3.0 sdist's White House portraits (Barack
# Obama: three different photos; Joe Biden; downloaded from PyPI by hash, not committed) and, as
# strangers nobody enrolled, the 1927 Solvay Conference photograph inside the rustface crate —
# then enrols one photo per person and searches every other one:
#   cargo run -p starling-offline --example face_accuracy -- DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/starling/wheels"
mkdir -p "$cache"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  --require-hashes -r "$root/ci/models/accuracy-requirements.txt" -d "$cache"
set_dir="$(mktemp -d)"; trap 'rm -rf "$set_dir"' EXIT
tar xzf "$cache/face_recognition-1.3.0.tar.gz" -C "$set_dir" face_recognition-1.3.0/tests/test_images
photos="$set_dir/face_recognition-1.3.0/tests/test_images"
fixtures="$root/crates/offline/tests/fixtures/images"
solvay="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -path '*rustface-0.1.7/test.png' | head -n 1)"
if [ -z "$solvay" ]; then
  (cd "$root" && cargo fetch --locked >/dev/null)
  solvay="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -path '*rustface-0.1.7/test.png' | head -n 1)"
fi
d="$set_dir/set"
mkdir -p "$d/Barack Obama" "$d/Joe Biden" "$d/Eileen Collins" "$d/Grace Hopper" "$d/_strangers"
cp "$photos/obama.jpg" "$d/Barack Obama/enrol.jpg"
cp "$photos/obama2.jpg" "$photos/obama3.jpg" "$d/Barack Obama/"
cp "$photos/biden.jpg" "$d/Joe Biden/enrol.jpg"
cp "$fixtures/astronaut.png" "$d/Eileen Collins/enrol.png"
cp "$fixtures/grace_hopper.jpg" "$d/Grace Hopper/enrol.jpg"
cp "$solvay" "$d/_strangers/solvay-1927.png"
cd "$root"
cargo run --quiet -p starling-offline --example face_accuracy -- "$d"
