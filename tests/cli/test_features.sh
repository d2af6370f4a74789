#!/bin/sh
# vct features: the log-mel of the shared case's WAV equals the case's audio_log_mel
# input bit for bit; --model adds VGGish features and embeddings with the right
# shapes; video containers work; bad input and usage errors exit 1 / 2 with a
# message naming the file.
VCT=${VCT_BIN:-build/vct}
CASE=../shared/conformance/cases/ss-reduced-1f
MEDIA=tests/ref/data/audio_media
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }

if "$VCT" features "$CASE/input_audio.wav" --out "$TMP/f.safetensors" --model "$CASE/model_best.pth" >/dev/null 2>"$TMP/err"; then
    if /usr/bin/python3 - "$CASE" "$TMP/f.safetensors" <<'PY'
import sys
import numpy as np
sys.path.insert(0, "../shared/conformance/harness")
from compare import read_safetensors
case, path = sys.argv[1:3]
d = read_safetensors(path)
ref = np.load(case + "/inputs.npz")["audio_log_mel"]
ok = d["log_mel"].shape == (1, 96, 64) and np.array_equal(d["log_mel"], ref[:, 0])
ok &= d["vggish_features"].shape == (1, 512, 6, 4) and d["audio_embeddings"].shape == (1, 256, 6, 4)
ok &= d["audio_feat"].shape == (1, 256) and abs(float(np.linalg.norm(d["audio_feat"])) - 1) < 1e-5
print("log-mel identical to the case input:", bool(np.array_equal(d["log_mel"], ref[:, 0])))
sys.exit(0 if ok else 1)
PY
    then ok "features --model on the case WAV"; else bad "features output differs from the case"; fi
else
    bad "features --model failed: $(cat "$TMP/err")"
fi
"$VCT" features tests/data/media/clip_1s2.mp4 --task s4 --out "$TMP/v.npy" >/dev/null 2>&1 && [ -s "$TMP/v.npy" ] &&
    ok "features from an mp4 video, fitted to s4" || bad "features from an mp4 video"
"$VCT" features "$MEDIA/audio_11k_chirp_s16_mono.wav" --out "$TMP/s.npy" 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "audio_11k_chirp_s16_mono.wav" "$TMP/err" && grep -q "0.975" "$TMP/err" && [ ! -e "$TMP/s.npy" ] &&
    ok "too-short audio: exit 1, file and minimum named, no output" || bad "too-short audio: $(cat "$TMP/err")"
"$VCT" features "$MEDIA/audio_bad_noaudio.mkv" --out "$TMP/n.npy" 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "audio_bad_noaudio.mkv" "$TMP/err" && ok "video without audio: exit 1 naming it" ||
    bad "video without audio: $(cat "$TMP/err")"
"$VCT" features README.md --out "$TMP/r.npy" 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "README.md" "$TMP/err" && ok "not audio: exit 1 naming it" || bad "not audio: $(cat "$TMP/err")"
"$VCT" features "$CASE/input_audio.wav" --out "$TMP/x.npy" --task bogus 2>/dev/null; [ $? -eq 2 ] && ok "bad --task: exit 2" || bad "bad --task"
"$VCT" features "$CASE/input_audio.wav" 2>/dev/null; [ $? -eq 2 ] && ok "missing --out: exit 2" || bad "missing --out"
"$VCT" features "$CASE/input_audio.wav" --out "$TMP/x.npy" --model "$CASE/model_best.pth" 2>/dev/null
[ $? -eq 2 ] && ok ".npy with --model: exit 2" || bad ".npy with --model"
exit $fail
