#!/bin/sh
# The conformance check of `make test`: run `vct conform` on a stripped copy of
# the shared case (only the files conform may read, train.npz reduced to its
# input entries) and judge the dump with the official compare.py, restricted to
# the names of the modules that exist (tests/conform_required.txt). A module
# that lands adds its prefixes there; the check never uses --allow-missing.
BUILD=${1:-build}
VCT=$BUILD/vct
CASE=../shared/conformance/cases/ss-reduced-1f
HARNESS=../shared/conformance/harness
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
set -e
mkdir "$TMP/case"
for f in model_best.pth config.yaml inputs.npz input_audio.wav manifest.json; do ln -s "$(realpath "$CASE/$f")" "$TMP/case/$f"; done
# train.npz with only the entries whose manifest record has no tolerance
$PY - "$CASE" "$TMP/case/train.npz" <<'PY'
import json, sys, numpy as np
case, out = sys.argv[1], sys.argv[2]
m = json.load(open(case + "/manifest.json"))
names = [t["name"] for t in m["tensors"] if t.get("file") == "train.npz" and t.get("tol") is None]
src = np.load(case + "/train.npz")
np.savez(out, **{n: src[n] for n in names})
print(f"stripped train.npz: {len(names)} input entries of {len(src.files)}")
PY
"$VCT" conform "$TMP/case" --dump "$TMP/dump.safetensors"
REQ=$(grep -v '^#' tests/conform_required.txt | tr '\n' ' ')
if [ -z "$(echo "$REQ" | tr -d ' ')" ]; then
    echo "conform_check: tests/conform_required.txt lists no prefix; every module has landed, so an empty list is a mistake" >&2
    exit 1
fi
# shellcheck disable=SC2086
$PY "$HARNESS/compare.py" "$CASE" "$TMP/dump.safetensors" --only $REQ >"$TMP/only.txt" || { cat "$TMP/only.txt"; exit 1; }
echo "required prefixes: $(tail -1 "$TMP/only.txt")"
# Every inference output of the case (issue 7): all entries of outputs.npz, none skipped.
$PY "$HARNESS/compare.py" "$CASE" "$TMP/dump.safetensors" --file outputs.npz --file inputs.npz
