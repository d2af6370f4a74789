#!/bin/sh
# bench_audio.sh [BUILD]: the audio path for a 10 s clip (file -> log-mel examples ->
# VGGish features), ours (BUILD/bench/bench_audio) next to the official Python front end
# and torchvggish (bench/bench_audio_torch.py) in the same run, on the same WAV files and
# the same weights, as a table with ratios, plus the max difference of the outputs.
# `make bench` builds BUILD/bench/bench_audio (and runs it alone); build it with
# `make build/bench/bench_audio`.
# The official code: an export of spyflying/VCT_AVS in $VCT_OFFICIAL_REPO or $VCT_OFFICIAL
#   (git -C MIRROR archive 9a18d2fd83906ae5ef42e8996dc7d1b46259debe | tar -x -C DIR).
# Weights: $VCT_BENCH_MODEL, default the shared case's model_best.pth (random VGGish
# weights on our side and torch's default init on theirs when it is missing).
# Threads: $VCT_THREADS, else $OMP_NUM_THREADS, else all cores, for both sides.
set -e
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN=$BUILD/bench/bench_audio
if [ ! -x "$BIN" ]; then
    echo "bench_audio.sh: $BIN is missing (make $BIN builds it)" >&2
    exit 1
fi
THREADS=${VCT_THREADS:-${OMP_NUM_THREADS:-$(nproc)}}
MODEL=${VCT_BENCH_MODEL:-../shared/conformance/cases/ss-reduced-1f/model_best.pth}
OFFICIAL=${VCT_OFFICIAL_REPO:-${VCT_OFFICIAL:-}}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "== ours ($BIN), $THREADS threads"
VCT_THREADS=$THREADS "$BIN" --clips "$TMP" --model "$MODEL" --dump | tee "$TMP/vct.txt"
echo "== official (/usr/bin/python3 bench/bench_audio_torch.py), $THREADS threads"
if [ -z "$OFFICIAL" ]; then
    echo "INFO official side skipped: set VCT_OFFICIAL_REPO to an export of the official repo" | tee "$TMP/off.txt"
elif [ ! -x /usr/bin/python3 ]; then
    echo "INFO official side skipped: /usr/bin/python3 missing" | tee "$TMP/off.txt"
else
    OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS NUMBA_NUM_THREADS=$THREADS \
        /usr/bin/python3 bench/bench_audio_torch.py --official "$OFFICIAL" --clips "$TMP" \
        --model "$MODEL" --threads "$THREADS" | tee "$TMP/off.txt"
fi

echo
echo "seconds for a 10 s clip (best of >= 5 runs; first call in parentheses); ratio: official / ours"
cat "$TMP/vct.txt" "$TMP/off.txt" | awk '
    $1 == "RESULT" {
        k = $2 " " $3
        if (!(k in seen)) { seen[k] = 1; order[n++] = k }
        best[k "," $4] = $5; first[k "," $4] = $6
    }
    function v(k) { return (k in best) ? sprintf("%8.3f (%6.3f)", best[k], first[k]) : sprintf("%17s", "-") }
    function r(k) {
        if (k ",ours" in best && k ",official" in best && best[k ",ours"] > 0)
            return sprintf("%7.2fx", best[k ",official"] / best[k ",ours"])
        return sprintf("%8s", "-")
    }
    END {
        printf "%-16s %-11s %17s %17s %8s\n", "clip", "stage", "ours", "official", "off/ours"
        for (i = 0; i < n; i++) {
            split(order[i], p, " ")
            printf "%-16s %-11s %s %s %s\n", p[1], p[2], v(order[i] ",ours"), v(order[i] ",official"), r(order[i])
        }
    }'
grep -h '^INFO' "$TMP/vct.txt" "$TMP/off.txt" | sed 's/^INFO /  /'
