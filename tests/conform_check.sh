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
# train.npz and optim.npz with only the entries whose manifest record has no tolerance
$PY - "$CASE" "$TMP/case" <<'PY'
import json, os, sys, numpy as np
case, out = sys.argv[1], sys.argv[2]
m = json.load(open(case + "/manifest.json"))
for f in ("train.npz", "optim.npz"):
    if not os.path.exists(f"{case}/{f}"):
        continue
    names = [t["name"] for t in m["tensors"] if t.get("file") == f and t.get("tol") is None]
    src = np.load(f"{case}/{f}")
    np.savez(f"{out}/{f}", **{n: src[n] for n in names})
    print(f"stripped {f}: {len(names)} input entries of {len(src.files)}")
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
# Every inference output of the case (issue 7): all entries of outputs.npz, none skipped;
# every optimizer entry (issue 14): all of optim.npz.
$PY "$HARNESS/compare.py" "$CASE" "$TMP/dump.safetensors" --file outputs.npz --file inputs.npz --file optim.npz
