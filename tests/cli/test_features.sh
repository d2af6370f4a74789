#!/bin/sh
# vct features: the log-mel of the shared case's WAV equals the case's audio_log_mel
# input bit for bit; --model adds VGGish features and embeddings with the right
# shapes; video containers work; bad input (no audio stream, empty, truncated, not media,
# 1 sample, 0.3 s, 384 kHz, NaN floats) and usage errors exit 1 / 2 with a message naming
# the file and the problem, and no sanitizer report when VCT_BIN is an ASan build.
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

# ---- bad inputs: exit 1, a message naming the file and the problem, no sanitizer report,
# no output. Fixtures are made here (silence is enough: the checks come before any
# arithmetic on the samples); le16/le32 write little-endian integers with printf.
le16() { printf "\\$(printf %o $(($1 & 255)))\\$(printf %o $((($1 >> 8) & 255)))"; }
le32() { le16 $(($1 & 65535)); le16 $((($1 >> 16) & 65535)); }
# wav FILE RATE CHANNELS BITS FORMAT(1 pcm, 3 float) DATA_BYTES_CLAIMED: the 44-byte header
wav() {
    ba=$(($3 * $4 / 8))
    { printf RIFF; le32 $((36 + $6)); printf 'WAVEfmt '; le32 16; le16 $5; le16 $3; le32 $2
      le32 $(($2 * ba)); le16 $ba; le16 $4; printf data; le32 $6; } >"$1"
}
F=$TMP/fx
mkdir -p "$F"
: >"$F/empty.wav"
wav "$F/one_sample.wav" 16000 1 16 1 2 && head -c 2 /dev/zero >>"$F/one_sample.wav"
wav "$F/short_0.3s.wav" 16000 1 16 1 9600 && head -c 9600 /dev/zero >>"$F/short_0.3s.wav"
wav "$F/rate_384k.wav" 384000 1 16 1 844800 && head -c 844800 /dev/zero >>"$F/rate_384k.wav"
# 1.2 s of float silence with one NaN (00 00 c0 7f) at sample 1000
wav "$F/nan.wav" 16000 1 32 3 76800 && { head -c 4000 /dev/zero; printf '\000\000\300\177'; head -c 72796 /dev/zero; } >>"$F/nan.wav"
# +-Inf clip in the official reader (well defined): accepted
wav "$F/inf.wav" 16000 1 32 3 76800 && { head -c 4000 /dev/zero; printf '\000\000\200\177\000\000\200\377'; head -c 72792 /dev/zero; } >>"$F/inf.wav"
# truncated: inside the header; the data cut to 0.5 s of a claimed 2 s; an mp3 cut to 300 bytes
wav "$F/cut_header.wav" 16000 1 16 1 64000 && head -c 20 "$F/cut_header.wav" >"$F/cut_header.tmp" && mv "$F/cut_header.tmp" "$F/cut_header.wav"
wav "$F/cut_data_0.5s.wav" 16000 1 16 1 64000 && head -c 16000 /dev/zero >>"$F/cut_data_0.5s.wav"
wav "$F/cut_data_1.2s.wav" 16000 1 16 1 64000 && head -c 38400 /dev/zero >>"$F/cut_data_1.2s.wav"
head -c 300 "$MEDIA/audio_c_mp3.mp3" >"$F/cut_300.mp3"
head -c 3000 /dev/urandom >"$F/random.bin"

sanitizer() { grep -q 'Sanitizer\|runtime error' "$1"; }
# bad_input NAME FILE NEEDLE [options...]
bad_input() {
    name=$1 file=$2 needle=$3
    shift 3
    rm -f "$TMP/b.npy"
    "$VCT" features "$file" --out "$TMP/b.npy" "$@" >/dev/null 2>"$TMP/err"
    rc=$?
    if [ $rc -eq 1 ] && grep -qF "$file" "$TMP/err" && grep -qF -- "$needle" "$TMP/err" && ! sanitizer "$TMP/err" &&
        [ ! -e "$TMP/b.npy" ]; then
        ok "bad input, $name: exit 1: $(grep -F "$file" "$TMP/err" | tail -1)"
    else
        bad "bad input, $name: exit $rc, wanted 1 and a message with '$file' and '$needle': $(cat "$TMP/err")"
    fi
}
bad_input "no audio stream" "$MEDIA/audio_bad_noaudio.mkv" "no audio stream"
bad_input "zero-length file" "$F/empty.wav" "empty file"
bad_input "truncated in the header" "$F/cut_header.wav" "cannot open as audio or video"
bad_input "truncated mp3 (300 bytes)" "$F/cut_300.mp3" "cannot read the stream info"
bad_input "truncated WAV, 0.5 s left" "$F/cut_data_0.5s.wav" "0.500 s of audio"
bad_input "truncated mp3, 0.58 s left" "$MEDIA/audio_bad_truncated.mp3" "one VGGish example needs 0.975 s"
bad_input "non-media file (text)" README.md "cannot open as audio or video"
bad_input "non-media file (random bytes)" "$F/random.bin" "cannot"
bad_input "1-sample file" "$F/one_sample.wav" "(1 sample at 16000 Hz)"
bad_input "1-sample file, --task s4" "$F/one_sample.wav" "(1 sample at 16000 Hz)" --task s4
bad_input "0.3 s file" "$F/short_0.3s.wav" "0.300 s of audio"
bad_input "384 kHz file" "$F/rate_384k.wav" "384000 Hz is outside the supported 4000-192000 Hz"
bad_input "384 kHz file, --task avss" "$F/rate_384k.wav" "384000 Hz is outside the supported" --task avss
bad_input "float WAV with a NaN" "$F/nan.wav" "float sample 1000 (channel 0) is NaN"
bad_input "missing file" "$F/no_such.wav" "cannot open"
# a WAV cut short of its header but holding an example: a warning naming it, exit 0
"$VCT" features "$F/cut_data_1.2s.wav" --out "$TMP/c.npy" >/dev/null 2>"$TMP/err"
[ $? -eq 0 ] && [ -s "$TMP/c.npy" ] && grep -qF "cut_data_1.2s.wav: the file is shorter than its WAV header" "$TMP/err" &&
    ! sanitizer "$TMP/err" && ok "truncated WAV with 1.2 s left: warning, exit 0" || bad "truncated WAV, 1.2 s left: $(cat "$TMP/err")"
"$VCT" features "$F/inf.wav" --out "$TMP/i.npy" >/dev/null 2>"$TMP/err"
[ $? -eq 0 ] && [ -s "$TMP/i.npy" ] && ! sanitizer "$TMP/err" && ok "float WAV with +-Inf: clipped as the official reader does, exit 0" ||
    bad "float WAV with +-Inf: $(cat "$TMP/err")"

"$VCT" features "$CASE/input_audio.wav" --out "$TMP/x.npy" --task bogus 2>/dev/null; [ $? -eq 2 ] && ok "bad --task: exit 2" || bad "bad --task"
"$VCT" features "$CASE/input_audio.wav" 2>/dev/null; [ $? -eq 2 ] && ok "missing --out: exit 2" || bad "missing --out"
"$VCT" features "$CASE/input_audio.wav" --out "$TMP/x.npy" --model "$CASE/model_best.pth" 2>/dev/null
[ $? -eq 2 ] && ok ".npy with --model: exit 2" || bad ".npy with --model"
exit $fail
