#!/bin/sh
# bench_swin.sh BUILD [--embed E --depths a,b,c,d --heads a,b,c,d --size S --runs R]:
# Swin forward per frame (inference) and peak memory, vct next to the official PyTorch
# module, in the same run and with the same thread count. Defaults: Swin-B at 384.
# The PyTorch side needs the official export: source the env.sh that scripts/harness_env.sh writes.
BUILD=${1:-build}
shift
cd "$(dirname "$0")/.." || exit 2
THREADS=${VCT_THREADS:-${OMP_NUM_THREADS:-$(nproc)}}
BIN=$BUILD/bench/bench_swin
[ -x "$BIN" ] || { echo "bench_swin.sh: $BIN is missing (make bench builds it)" >&2; exit 1; }
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $THREADS threads on both sides"
echo "== vct ($BIN)"
VCT_THREADS=$THREADS "$BIN" "$@" | tee /tmp/bench_swin_vct.$$ || exit 1
echo "== PyTorch (official swinb.py SwinTransformer)"
OMP_NUM_THREADS=$THREADS /usr/bin/python3 bench/bench_swin_torch.py --threads "$THREADS" "$@" | tee /tmp/bench_swin_torch.$$
awk '$1 == "RESULT" { for (i = 2; i < NF; i++) v[$2, $i] = $(i + 1); name[NR] = $2 }
     END { for (k in name) if (name[k] ~ /torch/) t = name[k]; else o = name[k]
           if (t != "" && o != "") printf "speed-up vct/torch: %.2fx per frame; peak RSS vct %s MiB, torch %s MiB\n",
               v[t, "ms_per_frame"] / v[o, "ms_per_frame"], v[o, "peak_rss_mib"], v[t, "peak_rss_mib"] }' \
    /tmp/bench_swin_vct.$$ /tmp/bench_swin_torch.$$
rm -f /tmp/bench_swin_vct.$$ /tmp/bench_swin_torch.$$
