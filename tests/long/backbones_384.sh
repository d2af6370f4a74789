#!/bin/sh
# Long suite: the paper's other VCT backbones at full size against their PyTorch modules.
#   ResNet-50 (detectron2 build_resnet_backbone, Mask2Former's R50 settings) and
#   PVT-v2-B5 (build_pvtv2_b5_backbone of the official pvtv2.py), one 384x384 image,
#   perturbed random weights: outputs and every parameter gradient on the training tape
#   (tests/backbone/test_resnet --full, test_pvt --full; PVT without drop path, which the
#   small case covers). ResNet gradients are judged against a float64 twin (ReLU kinks,
#   see docs/backbones.md).
# The references are generated here at run time (gen_resnet.py / gen_pvt.py --full;
# ~350 MB and ~1 GB, never committed) into a temporary directory and removed after.
# Needs Debian's /usr/bin/python3 with torch and the exports named by VCT_OFFICIAL,
# VCT_DETECTRON2 and VCT_PYPATH (see tests/ref/gen_pvt.py); without them it prints
# "skipped" and exits 77, which tests/run_tests.sh counts as skipped, not passed. About 15 minutes and 5 GiB on 2 loaded cores.
# usage: sh tests/long/backbones_384.sh [BUILD_DIR]     (from any directory)
cd "$(dirname "$0")/../.." || exit 2
BUILD=${1:-${VCT_BUILD:-build}}
PY=/usr/bin/python3
if ! $PY -c 'import torch' 2>/dev/null; then
    echo "backbones_384: skipped (no torch for $PY)"
    exit 77
fi
if [ -z "$VCT_OFFICIAL" ] || [ -z "$VCT_DETECTRON2" ]; then
    echo "backbones_384: skipped (set VCT_OFFICIAL, VCT_DETECTRON2 and VCT_PYPATH to the exports; see tests/ref/gen_pvt.py)"
    exit 77
fi
for t in test_resnet test_pvt; do
    [ -x "$BUILD/tests/backbone/$t" ] || { echo "backbones_384: $BUILD/tests/backbone/$t not built (make tests)"; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vct_backbones_384.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
fail=0
check() { # test reference: run the comparison, show all but the PASS lines
    "$BUILD/tests/backbone/$1" --full "$2" >"$TMP/$1.log" 2>&1 || fail=1
    grep -v '^PASS' "$TMP/$1.log"
}
echo "== ResNet-50 at 384 (reference + float64 twin: gen_resnet.py --full)"
start=$(date +%s)
if $PY tests/ref/gen_resnet.py --full "$TMP/resnet50_384.safetensors"; then
    check test_resnet "$TMP/resnet50_384.safetensors"
else
    echo "FAIL gen_resnet.py --full"; fail=1
fi
rm -f "$TMP/resnet50_384.safetensors"
echo "   ($(($(date +%s) - start)) s)"
echo "== PVT-v2-B5 at 384 (reference: gen_pvt.py --full)"
start=$(date +%s)
if $PY tests/ref/gen_pvt.py --full "$TMP/pvt_b5_384.safetensors"; then
    check test_pvt "$TMP/pvt_b5_384.safetensors"
else
    echo "FAIL gen_pvt.py --full"; fail=1
fi
echo "   ($(($(date +%s) - start)) s)"
[ "$fail" = 0 ] && echo "backbones_384: ok" || echo "backbones_384: FAILED"
exit $fail
