#!/bin/sh
# vct conform's training stage on copies of the shared case: a case without
# train.npz runs inference only and says so; a train.npz without the recorded
# draws, missing one draw, or with one of another shape, and a manifest whose
# draw call site differs from the model's, each exit 1 with a message naming the
# problem (and the draw / site).
VCT=${VCT_BIN:-build/vct}
CASE=../shared/conformance/cases/ss-reduced-1f
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }

# mk NAME [MODE]: a copy of the case's readable files; train.npz reduced to its inputs,
# then edited by MODE (none | nodraws | missing | shape | site)
mk() {
    mkdir -p "$TMP/$1"
    for f in model_best.pth config.yaml inputs.npz input_audio.wav; do ln -s "$(realpath "$CASE/$f")" "$TMP/$1/$f"; done
    $PY - "$CASE" "$TMP/$1" "$2" <<'PY'
import json, sys, numpy as np
case, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
m = json.load(open(case + "/manifest.json"))
names = [t["name"] for t in m["tensors"] if t.get("file") == "train.npz" and t.get("tol") is None]
src = np.load(case + "/train.npz")
keep = {n: src[n] for n in names}
if mode == "nodraws":
    keep = {n: v for n, v in keep.items() if not n.startswith("rng.")}
elif mode == "missing":
    del keep["rng.0005.droppath_keep"]
elif mode == "shape":
    keep["rng.0028.gumbel"] = keep["rng.0028.gumbel"][..., :100]
elif mode == "site":
    m["rng_draws"][28]["site"] = "other.py:elsewhere:1"
if mode != "none":
    np.savez(out + "/train.npz", **keep)
json.dump(m, open(out + "/manifest.json", "w"))
PY
}

mk notrain none
if "$VCT" conform "$TMP/notrain" --dump "$TMP/n.safetensors" >"$TMP/out" 2>"$TMP/err"; then
    if grep -q "no train.npz: inference only" "$TMP/err" &&
        $PY -c "import sys; sys.path.insert(0, '../shared/conformance/harness'); from compare import read_safetensors as r; d = r('$TMP/n.safetensors'); sys.exit(any(k.startswith(('train_fwd.', 'loss.', 'grad')) for k in d) or 'pred_masks' not in d)"; then
        ok "no train.npz: inference only, said so, no training entries"
    else bad "no train.npz: $(cat "$TMP/err" | tail -3)"; fi
else bad "no train.npz: conform failed: $(tail -3 "$TMP/err")"; fi

expect_err() { # name dir needle...
    name=$1 dir=$2
    shift 2
    "$VCT" conform "$TMP/$dir" --dump "$TMP/$dir.safetensors" >/dev/null 2>"$TMP/err"
    rc=$?
    for n in "$@"; do grep -qF -- "$n" "$TMP/err" || { bad "$name: exit $rc, message lacks '$n': $(tail -2 "$TMP/err")"; return; }; done
    [ $rc -eq 1 ] && [ ! -e "$TMP/$dir.safetensors" ] && ok "$name: exit 1, '$*'" || bad "$name: exit $rc"
}
mk nodraws nodraws
expect_err "train.npz without draws" nodraws "stage train" "no recorded random draws" "train.npz"
mk missing missing
expect_err "train.npz missing a draw" missing "lacks the recorded draw 'rng.0005.droppath_keep'" "backbone.layers.1.blocks.1.drop_path"
mk shape shape
expect_err "a draw of another shape" shape "rng.0028.gumbel" "shape [1,1,16,100]" "lists [1,1,16,9216]"
mk site site
expect_err "a draw at another call site" site "draw 28" "other.py:elsewhere:1" "group_attention.py:gumbel_softmax"
exit $fail
