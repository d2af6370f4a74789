#!/bin/sh
# Long suite: the whole-model backward of a training step against the official
# model, before/besides the criterion. tests/ref/gen_train_surrogate.py runs the
# official model in training mode on the shared case (its recorded drop-path and
# Gumbel draws replayed) with a surrogate loss sum_o mean(out_o * R_o) over every
# prediction and the PAC features, in float32 and on a float64 twin;
# tests/model/test_vct_train then checks all 424 gradients with the conformance
# README's tolerance rule. About 30 s and 3 GiB.
# Needs Debian's /usr/bin/python3 with torch and VCT_OFFICIAL, VCT_DETECTRON2,
# VCT_PYPATH (see tests/ref/gen_pvt.py); without them it exits 77 (skipped).
# usage: sh tests/long/train_surrogate.sh [BUILD_DIR]
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-${VCT_BUILD:-build}}
PY=/usr/bin/python3
CASE=../shared/conformance/cases/ss-reduced-1f
if ! $PY -c 'import torch' 2>/dev/null; then
    echo "train_surrogate: skipped (no torch for $PY)"
    exit 77
fi
if [ -z "$VCT_OFFICIAL" ] || [ -z "$VCT_DETECTRON2" ]; then
    echo "train_surrogate: skipped (set VCT_OFFICIAL, VCT_DETECTRON2 and VCT_PYPATH to the exports)"
    exit 77
fi
[ -x "$BUILD/tests/model/test_vct_train" ] || { echo "train_surrogate: $BUILD/tests/model/test_vct_train not built (make tests)"; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vct_train_surrogate.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
$PY tests/ref/gen_train_surrogate.py "$CASE" "$TMP/surrogate.npz" || exit 1
"$BUILD/tests/model/test_vct_train" "$TMP/surrogate.npz" >"$TMP/log" 2>&1
rc=$?
grep -v '^PASS' "$TMP/log"
exit $rc
