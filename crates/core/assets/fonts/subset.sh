#!/usr/bin/env bash
# Rebuilds DejaVuSans-Bold-subset.ttf, the face reply-image writes names in, from Debian's
# DejaVu Sans Bold (package fonts-dejavu-core 2.37-6) with fontTools' subsetter (pinned by hash in
# requirements.txt). The output is byte-identical for the same input and fontTools.
#
#   bash crates/core/assets/fonts/subset.sh [SOURCE.ttf]
#
# Kept: Latin (Basic, Latin-1, Extended-A/B, Extended Additional: Western, Central and Eastern
# European, Vietnamese, Turkish, …), IPA and spacing modifiers, combining marks, Greek, Cyrillic
# (with its supplement), general punctuation (the … that cuts a long name), currency signs, ™ and
# the replacement character. Dropped: the scripts ab_glyph cannot lay out properly anyway (Arabic
# needs shaping, Hebrew right-to-left order), symbols, box drawing, Braille, and the TrueType hinting
# instructions (ab_glyph does not hint). 709 KB → 117 KB: reply-image's zip is the budget's concern.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source=${1:-/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf}
expected=0d977336a6d5fba34eab8e3199eb218327161b5143749f802982c2bc34df0c96
echo "$expected  $source" | sha256sum -c --quiet - || {
  echo "$source is not DejaVu Sans Bold 2.37 (fonts-dejavu-core 2.37-6): apt-get install fonts-dejavu-core" >&2
  exit 1
}
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --no-deps --require-hashes -r "$here/requirements.txt"
"$venv/bin/pyftsubset" "$source" \
  --unicodes="U+0020-007E,U+00A0-024F,U+0250-02FF,U+0300-036F,U+0370-03FF,U+0400-052F,U+1E00-1EFF,U+2000-206F,U+20A0-20CF,U+2122,U+FFFD" \
  --layout-features='*' --no-hinting --output-file="$here/DejaVuSans-Bold-subset.ttf"
sha256sum "$here/DejaVuSans-Bold-subset.ttf"
