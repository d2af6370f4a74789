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
command -v espeak-ng >/dev/null 2>&1 || need="$need espeak-ng"
command -v fluidsynth >/dev/null 2>&1 || need="$need fluidsynth"
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || need="$need fluid-soundfont-gm"
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

# --- coverage sources (tests/audio/test_coverage.c derives WAVs from them at test time:
# other durations by tiling, other channel counts and int16/24-bit/float formats;
# tests/ref/gen_audio.py derives the same bytes). FLAC keeps them small.
#   speech: espeak-ng (native 22.05 kHz mono), and sox-resampled to 16 and 8 kHz
#   note:   fluidsynth, GM piano middle C (0.5 s held), no reverb/chorus, one core,
#           rendered at 44.1, 48 and 16 kHz stereo, cut to 1.2 s
espeak-ng -v en-us -s 170 -w "$TMP/speech.wav" "Hello, audio world."
ffmpeg -hide_banner -loglevel error -y -threads 1 -i "$TMP/speech.wav" $BX -c:a flac "$OUT/src_speech_22k_mono.flac"
$S "$TMP/speech.wav" -r 16000 "$TMP/speech16.wav"
$S "$TMP/speech.wav" -r 8000 "$TMP/speech8.wav"
$FF -i "$TMP/speech16.wav" $BX -c:a flac "$OUT/src_speech_16k_mono.flac"
$FF -i "$TMP/speech8.wav" $BX -c:a flac "$OUT/src_speech_8k_mono.flac"
# a one-note MIDI file: format 0, 480 ticks per quarter (120 bpm: 0.5 s), piano, C4
# velocity 100 held 480 ticks, end of track 480 ticks later
printf 'MThd\000\000\000\006\000\000\000\001\001\340MTrk\000\000\000\021' >"$TMP/note.mid"
printf '\000\300\000\000\220\074\144\203\140\200\074\100\203\140\377\057\000' >>"$TMP/note.mid"
for r in 44100:44k 48000:48k 16000:16k; do
    fluidsynth -q -n -i -R 0 -C 0 -g 0.8 -r "${r%%:*}" -o synth.cpu-cores=1 -T wav -O s16 \
        -F "$TMP/note.wav" /usr/share/sounds/sf2/FluidR3_GM.sf2 "$TMP/note.mid" >/dev/null
    $S "$TMP/note.wav" "$TMP/note_cut.wav" trim 0 1.2
    $FF -i "$TMP/note_cut.wav" $BX -c:a flac "$OUT/src_note_${r#*:}_stereo.flac"
done
# coverage containers (the reference is the official front end on `ffmpeg -i F -c:a pcm_s16le`)
$FF -i "$OUT/src_speech_22k_mono.flac" $BX -c:a libmp3lame -b:a 48k "$OUT/cov_speech_mp3.mp3"
$FF -stream_loop 3 -i "$OUT/src_speech_22k_mono.flac" $BX -t 5 -c:a libopus -b:a 24k "$OUT/cov_speech_opus_5s.opus"
$FF -i "$OUT/src_note_44k_stereo.flac" $BX -c:a aac -b:a 64k "$OUT/cov_note_aac.m4a"
$FF -i "$OUT/src_note_48k_stereo.flac" $BX -c:a ac3 -b:a 96k "$OUT/cov_note_ac3.ac3"
ls -l "$OUT"
