#!/bin/sh
# vct segment on the shared conformance case: its frame and Maskige written as PNGs
# and its WAV reproduce the case's sem_seg_argmax exactly (the 224 PNG decoded back
# to class ids) and pred_logits / pred_masks / sem_seg within the case's tolerances
# (compare.py on --dump); the own-size PNG and the JSON; and bad inputs (no Maskige,
# frames of two sizes, a frame missing, a Maskige of another size, audio too short, a truncated
# checkpoint, a wrong-shape or missing tensor, another task) each exit non-zero with a message
# naming the problem, leaving nothing written. Needs python3 + numpy (no PIL).
VCT=${VCT_BIN:-build/vct}
CASE=../shared/conformance/cases/ss-reduced-1f
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }
# nothing written: no file at all under DIR (it may not exist)
empty() { [ ! -e "$1" ] || [ -z "$(find "$1" -type f)" ]; }

COMMON=$(cd tests/common && pwd)
cat >"$TMP/inputs.py" <<'PY'
import sys
import numpy as np
sys.path.insert(0, sys.argv[3])
from png import write_png
if __name__ == "__main__":
    case, tmp = sys.argv[1], sys.argv[2]
    d = np.load(case + "/inputs.npz")
    import os
    for sub in ("frames", "maskige", "small", "extra"): os.makedirs(f"{tmp}/{sub}", exist_ok=True)
    f, m = d["frames"][0].transpose(1, 2, 0), d["pre_masks"][0].transpose(1, 2, 0)
    write_png(f"{tmp}/frames/0.png", np.ascontiguousarray(f))
    write_png(f"{tmp}/maskige/0_mask_color.png", np.ascontiguousarray(m))
    write_png(f"{tmp}/small/0_mask_color.png", np.ascontiguousarray(m[:200, :300]))   # another size
    write_png(f"{tmp}/extra/0_mask_color.png", np.ascontiguousarray(m))               # 2 Maskiges, 1 frame
    write_png(f"{tmp}/extra/1_mask_color.png", np.ascontiguousarray(m))
    os.makedirs(f"{tmp}/mixed", exist_ok=True)                                         # frames of two sizes
    write_png(f"{tmp}/mixed/0.png", np.ascontiguousarray(f))
    write_png(f"{tmp}/mixed/1.png", np.ascontiguousarray(f[:300, :200]))
    import wave
    with wave.open(f"{tmp}/short.wav", "wb") as wv:                                    # 0.5 s: no VGGish example
        wv.setnchannels(1); wv.setsampwidth(2); wv.setframerate(16000); wv.writeframes(b"\0\1" * 8000)
PY
$PY "$TMP/inputs.py" "$CASE" "$TMP" "$COMMON" || { echo "FAIL could not build the inputs"; exit 1; }
M="$CASE/model_best.pth"
A="$CASE/input_audio.wav"

# 1. the case, end to end
"$VCT" segment --frames "$TMP/frames" --audio "$A" --maskige "$TMP/maskige" --model "$M" --task avss \
    --out "$TMP/out" --dump "$TMP/dump.safetensors" >"$TMP/log" 2>&1 || { cat "$TMP/log"; bad "segment on the case"; }
# fewer frames than the task's clips (1 of avss's 5 or 10): documented behaviour, a warning, and
# each frame segmented on its own exactly as the official model does (the check below)
grep -q "warning: segment: 1 frame(s); avss clips have 5 or 10" "$TMP/log" &&
    ok "fewer frames than the task's clip: warned, and the frame matches the official model" || bad "no frame-count warning"
$PY - "$CASE" "$TMP" "$COMMON" <<'PY' && ok "masks_224/0.png decodes to the case's sem_seg_argmax exactly; masks/0.png is 384x384" || bad "mask PNGs"
import sys, json; sys.path.insert(0, sys.argv[3]); from png import read_png; import numpy as np
case, tmp = sys.argv[1:3]
ref = np.load(case + "/outputs.npz")["sem_seg_argmax"][0]
got = read_png(tmp + "/out/masks_224/0.png")
assert got.shape == (224, 224), got.shape
n = int((got != ref).sum()); print("224 mismatches:", n, "classes:", sorted(set(got.ravel().tolist()))); assert n == 0
own = read_png(tmp + "/out/masks/0.png"); assert own.shape == (384, 384), own.shape
j = json.load(open(tmp + "/out/segment.json"))
f = j["frames"][0]
assert j["task"] == "avss" and j["classes"] == 71 and f["mask_224"] == "masks_224/0.png" and f["width"] == f["height"] == 384
cnt = {c["id"]: c["pixels"] for c in f["classes_224"]}
assert cnt == {int(k): int(v) for k, v in zip(*np.unique(ref, return_counts=True))}, cnt
assert "network_per_frame_s" in j["timings"]
PY
$PY ../shared/conformance/harness/compare.py "$CASE" "$TMP/dump.safetensors" --only pred_logits pred_masks sem_seg \
    sem_seg_argmax >"$TMP/cmp" 2>&1 && ok "--dump: $(tail -1 "$TMP/cmp")" || { cat "$TMP/cmp"; bad "compare.py on the dump"; }
[ -z "$(find "$TMP/out" -name '*.tmp')" ] && ok "no .tmp left" || bad ".tmp files left"

# 2. bad inputs: a message naming the problem, non-zero exit, nothing written
try() { # name expected-exit grep-pattern args...
    name=$1 code=$2 pat=$3; shift 3
    rm -rf "$TMP/o"
    "$VCT" segment "$@" --out "$TMP/o" >"$TMP/log" 2>"$TMP/err"; rc=$?
    if [ $rc -eq "$code" ] && grep -q -- "$pat" "$TMP/err" && empty "$TMP/o"; then ok "$name: exit $rc: $(tail -1 "$TMP/err")"
    else bad "$name: exit $rc (want $code); stderr: $(cat "$TMP/err")"; fi
}
try "no --maskige" 2 "no --maskige.*Semantic-SAM.*--maskige-fallback blank" --frames "$TMP/frames" --audio "$A" --model "$M"
try "frames of different sizes" 1 "1.png: frame of 200x300.*every frame and Maskige of a clip must have one size" \
    --frames "$TMP/mixed" --audio "$A" --maskige "$TMP/extra" --model "$M"
try "a frame missing" 1 "1_mask_color.png: a Maskige without a frame" --frames "$TMP/frames" --audio "$A" \
    --maskige "$TMP/extra" --model "$M"
try "Maskige of another size" 1 "0_mask_color.png: Maskige of 300x200.*is 384x384" --frames "$TMP/frames" --audio "$A" \
    --maskige "$TMP/small" --model "$M"
try "audio too short" 1 "short.wav: 0.500 s of audio gives 0 VGGish example.*shorter than the clip" \
    --frames "$TMP/frames" --audio "$TMP/short.wav" --maskige "$TMP/maskige" --model "$M"
head -c 3000000 "$M" >"$TMP/trunc.pth"
try "truncated checkpoint" 1 "trunc.pth" --frames "$TMP/frames" --audio "$A" --maskige "$TMP/maskige" \
    --model "$TMP/trunc.pth" --config "$CASE/config.yaml"
try "another task" 1 "task s4, but .* is an avss model" --frames "$TMP/frames" --audio "$A" --maskige "$TMP/maskige" \
    --model "$M" --task s4
# a safetensors checkpoint (config in its metadata) with one tensor transposed
"$VCT" convert "$M" "$TMP/m.safetensors" --config "$CASE/config.yaml" >/dev/null || bad "convert"
$PY - "$TMP/m.safetensors" "$TMP/wrong.safetensors" <<'PY' || bad "could not make the wrong-shape checkpoint"
import json, struct, sys
d = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", d[:8])[0]; h = json.loads(d[8:8 + n])
k = "sem_seg_head.predictor.class_embed.weight"; assert h[k]["shape"] == [72, 256], h[k]
h[k]["shape"] = [256, 72]
b = json.dumps(h).encode(); b += b" " * (-len(b) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(b)) + b + d[8 + n:])
PY
try "wrong-shape tensor" 1 "wrong.safetensors: tensor 'sem_seg_head.predictor.class_embed.weight': shape \[256,72\], expected \[72,256\]" \
    --frames "$TMP/frames" --audio "$A" --maskige "$TMP/maskige" --model "$TMP/wrong.safetensors"
$PY - "$TMP/m.safetensors" "$TMP/missing.safetensors" <<'PY' || bad "could not make the missing-tensor checkpoint"
import json, struct, sys
d = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", d[:8])[0]; h = json.loads(d[8:8 + n])
del h["sem_seg_head.predictor.class_embed.bias"]  # its bytes stay, unreferenced
b = json.dumps(h).encode(); b += b" " * (-len(b) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(b)) + b + d[8 + n:])
PY
try "missing tensor" 1 "missing.safetensors: tensor 'sem_seg_head.predictor.class_embed.bias' is missing" \
    --frames "$TMP/frames" --audio "$A" --maskige "$TMP/maskige" --model "$TMP/missing.safetensors" --task avss
# the unchanged converted checkpoint loads with the config from its metadata (no --config)
mkdir "$TMP/alone" && cp "$TMP/m.safetensors" "$TMP/alone/" &&
    "$VCT" segment --frames "$TMP/frames" --audio "$A" --maskige-fallback blank --model "$TMP/alone/m.safetensors" \
        --out "$TMP/blank" >"$TMP/log" 2>&1 && grep -q '"maskige":.*fallback blank' "$TMP/blank/segment.json" &&
    ok "safetensors with its own config; --maskige-fallback blank is recorded in the JSON" ||
    { cat "$TMP/log"; bad "safetensors / fallback run"; }
exit $fail
