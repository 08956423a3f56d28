#!/usr/bin/env bash
# Installs the offline OCR models, idempotently: the three PP-OCR ONNX files inside the PyPI wheel
# rapidocr-onnxruntime 1.4.4 (Apache-2.0; pinned by hash in ci/models/requirements.txt), checked
# against crates/offline/models/ocr/models.sha256 and put beside it. crates/offline/build.rs runs
# this when they are missing; the models are then compiled into the binary. The face and
# moderation models are committed (crates/offline/models/convert/ rebuilds them).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/crates/offline/models/ocr"
cd "$dest"
if sha256sum --quiet -c models.sha256 >/dev/null 2>&1; then
  echo "OCR models: $dest"; exit 0
fi
wheels="${XDG_CACHE_HOME:-$HOME/.cache}/starling/wheels"
mkdir -p "$wheels"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
  --require-hashes -r "$root/ci/models/requirements.txt" -d "$wheels"
python3 - "$wheels/rapidocr_onnxruntime-1.4.4-py3-none-any.whl" "$dest" <<'PY'
import sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("rapidocr_onnxruntime/models/") and name.endswith(".onnx"):
            tmp = os.path.join(dest, os.path.basename(name) + ".part")
            with z.open(name) as src, open(tmp, "wb") as out:
                out.write(src.read())
            os.replace(tmp, tmp[:-5])
PY
sha256sum --quiet -c models.sha256
echo "OCR models: $dest"
