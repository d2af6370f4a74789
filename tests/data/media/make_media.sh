#!/bin/sh
# Makes the small media files the CLI tests use (deterministic; needs ffmpeg):
#   clip_1s2.mp4  1.2 s, 64x48 testsrc video at 5 fps + a 440 Hz tone (AAC 32 kb/s, 16 kHz mono)
set -e
cd "$(dirname "$0")"
ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc=size=64x48:rate=5:duration=1.2" \
    -f lavfi -i "sine=frequency=440:sample_rate=16000:duration=1.2" \
    -c:v mpeg4 -q:v 10 -c:a aac -b:a 32k -ac 1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
    -map_metadata -1 clip_1s2.mp4
ls -l clip_1s2.mp4
