#!/bin/sh
# Make the audio test media under tests/ref/data/audio_media/ (committed; the C
# tests read them, tests/ref/gen_audio.py runs the official front end on them).
# Deterministic: sox in repeatable mode (-R) without dither (-D), ffmpeg with
# bitexact flags and one thread. Needs the Debian packages sox and ffmpeg
# (installed here with apt-get when missing). Re-running with the same sox/ffmpeg
# versions rewrites identical files; other versions may differ, which is why the
# files are committed and the reference data is made from the committed files.
set -e
cd "$(dirname "$0")"
OUT=data/audio_media
need=""
command -v sox >/dev/null 2>&1 || need="$need sox"
command -v ffmpeg >/dev/null 2>&1 || need="$need ffmpeg"
if [ -n "$need" ]; then
    echo "make_test_audio.sh: installing$need" >&2
    apt-get install -y $need >/dev/null
fi
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

S="sox -R -D -V1"
# --- WAV: rates 8, 11.025, 16, 22.05, 32, 44.1, 48 kHz; int16 / 24-bit / float; mono, stereo, 3 ch.
# 16 kHz files long enough for one VGGish example (>= 0.975 s), or three.
$S -n -r 16000 -b 16 -c 1 "$OUT/audio_16k_tones_s16_mono.wav" synth 1.2 sine 440 sine 3000 remix - gain -6
$S -n -r 16000 -b 16 -c 2 "$OUT/audio_16k_noise_s16_stereo.wav" synth 1.0 whitenoise pinknoise gain -3
$S -n -r 16000 -b 24 -c 1 "$OUT/audio_16k_chirp_s24_mono.wav" synth 1.0 sine 60-7900 gain -1
$S -n -r 16000 -e floating-point -b 32 -c 1 "$OUT/audio_16k_chirp_f32_mono.wav" synth 0.3 sine 200-6000 gain -2
$S -n -r 16000 -b 16 -c 3 "$OUT/audio_16k_mix_s16_3ch.wav" synth 0.25 sine 300 square 1000 whitenoise gain -1
# resampled inputs: chirps and noise at each rate
$S -n -r 8000 -b 16 -c 1 "$OUT/audio_8k_chirp_s16_mono.wav" synth 3.2 sine 30-3950 gain -2
$S -n -r 8000 -b 16 -c 1 "$OUT/audio_8k_noise_s16_mono.wav" synth 0.5 whitenoise gain -4
$S -n -r 11025 -b 16 -c 1 "$OUT/audio_11k_noise_s16_mono.wav" synth 1.0 whitenoise gain -3
$S -n -r 11025 -b 16 -c 1 "$OUT/audio_11k_chirp_s16_mono.wav" synth 0.4 sine 40-5500 gain -2
$S -n -r 22050 -b 16 -c 2 "$OUT/audio_22k_chirp_s16_stereo.wav" synth 0.4 sine 50-11000 sine 11000-50 gain -2
$S -n -r 22050 -b 16 -c 1 "$OUT/audio_22k_noise_s16_mono.wav" synth 0.4 whitenoise gain -3
$S -n -r 32000 -b 16 -c 1 "$OUT/audio_32k_noise_s16_mono.wav" synth 0.4 pinknoise gain -3
$S -n -r 32000 -b 24 -c 1 "$OUT/audio_32k_chirp_s24_mono.wav" synth 0.3 sine 50-15900 gain -2
$S -n -r 44100 -b 16 -c 1 "$OUT/audio_44k_chirp_s16_mono.wav" synth 0.4 sine 50-22000 gain -2
$S -n -r 44100 -b 16 -c 1 "$OUT/audio_44k_noise_s16_mono.wav" synth 0.3 whitenoise gain -3
$S -n -r 48000 -b 16 -c 2 "$OUT/audio_48k_noise_s16_stereo.wav" synth 0.25 whitenoise brownnoise gain -3
$S -n -r 48000 -b 16 -c 1 "$OUT/audio_48k_chirp_s16_mono.wav" synth 0.35 sine 50-23900 gain -2
# full scale (clips at +-32767/-32768), 16 kHz
$S -n -r 16000 -b 16 -c 1 "$OUT/audio_16k_square_s16_mono.wav" synth 0.2 square 700 gain 0

# --- other containers, from one 0.6 s stereo 44.1 kHz source (tone + chirp)
$S -n -r 44100 -b 16 -c 2 "$TMP/src.wav" synth 0.6 sine 440 sine 200-9000 gain -4
FF="ffmpeg -hide_banner -loglevel error -y -threads 1"
BX="-fflags +bitexact -flags:a +bitexact -map_metadata -1"
VX="-flags:v +bitexact"
$FF -i "$TMP/src.wav" $BX -c:a flac "$OUT/audio_c_flac.flac"
$FF -i "$TMP/src.wav" $BX -c:a libmp3lame -b:a 64k "$OUT/audio_c_mp3.mp3"
$FF -i "$TMP/src.wav" $BX -c:a aac -b:a 64k "$OUT/audio_c_aac.m4a"
$FF -i "$TMP/src.wav" $BX -c:a libvorbis -q:a 1 "$OUT/audio_c_vorbis.ogg"
$FF -i "$TMP/src.wav" $BX -ac 1 -c:a libopus -b:a 24k "$OUT/audio_c_opus.opus"
$FF -i "$TMP/src.wav" $BX -ar 48000 -ac 6 -c:a ac3 -b:a 192k "$OUT/audio_c_ac3_6ch.ac3"
V="-f lavfi -i testsrc=size=32x24:rate=5:duration=0.6"
$FF $V -i "$TMP/src.wav" $BX $VX -c:v mpeg4 -c:a aac -b:a 48k -shortest "$OUT/audio_c_mp4.mp4"
$FF $V -i "$TMP/src.wav" $BX $VX -c:v mpeg4 -ac 1 -ar 22050 -c:a libmp3lame -b:a 32k "$OUT/audio_c_mkv.mkv"
$FF $V -i "$TMP/src.wav" $BX $VX -c:v libvpx -b:v 50k -c:a libopus -b:a 24k "$OUT/audio_c_webm.webm"
$FF $V -i "$TMP/src.wav" $BX $VX -c:v mpeg4 -ar 8000 -c:a pcm_s16le "$OUT/audio_c_avi.avi"
# bad inputs: a video without audio, an mp3 cut 300 bytes short (damaged last frame)
$FF $V $BX $VX -c:v mpeg4 "$OUT/audio_bad_noaudio.mkv"
size=$(wc -c <"$OUT/audio_c_mp3.mp3")
head -c $((size - 300)) "$OUT/audio_c_mp3.mp3" >"$OUT/audio_bad_truncated.mp3"
ls -l "$OUT"
