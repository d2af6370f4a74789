#!/bin/sh
# bench_gemm.sh BUILD: GEMM GFLOP/s of vct's wrapper (onednn, openblas, naive) next to
# torch.matmul measured in the same run, as a table with ratios.
# `make bench-gemm` builds BUILD/bench/bench_gemm and runs this. Threads: $VCT_THREADS,
# else $OMP_NUM_THREADS, else all cores, for both vct and torch.
set -e
BUILD=${1:-build}
cd "$(dirname "$0")/.."
BIN=$BUILD/bench/bench_gemm
if [ ! -x "$BIN" ]; then
    echo "bench_gemm.sh: $BIN is missing (make bench-gemm builds it)" >&2
    exit 1
fi
THREADS=${VCT_THREADS:-${OMP_NUM_THREADS:-$(nproc)}}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "== vct GEMM wrapper ($BIN), $THREADS threads"
VCT_THREADS=$THREADS "$BIN" | tee "$TMP/vct.txt"
echo "== torch.matmul (/usr/bin/python3 bench/bench_gemm_torch.py), $THREADS threads"
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 bench/bench_gemm_torch.py --threads "$THREADS" | tee "$TMP/torch.txt"
else
    echo "INFO torch unavailable (/usr/bin/python3 missing)" | tee "$TMP/torch.txt"
fi

echo
echo "GFLOP/s (best of >= 3 runs; M x N x K, batch x (M x N x K)); ratios: ours / other"
cat "$TMP/vct.txt" "$TMP/torch.txt" | awk '
    $1 == "RESULT" {
        if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2; desc[$2] = $NF }
        g[$2 "," $3] = $4
    }
    function v(k) { return (k in g) ? sprintf("%9.1f", g[k]) : sprintf("%9s", "-") }
    function r(a, b) { return (a in g && b in g && g[b] > 0) ? sprintf("%9.2fx", g[a] / g[b]) : sprintf("%10s", "-") }
    END {
        printf "%-18s %9s %9s %9s %9s | %10s %10s %10s\n", "shape", "onednn", "openblas", "naive",
               "torch", "dnnl/trch", "oblas/trch", "dnnl/oblas"
        for (i = 0; i < n; i++) {
            s = order[i]
            printf "%-18s %s %s %s %s | %s %s %s\n", desc[s], v(s ",onednn"), v(s ",openblas"),
                   v(s ",naive"), v(s ",torch"), r(s ",onednn", s ",torch"),
                   r(s ",openblas", s ",torch"), r(s ",onednn", s ",openblas")
        }
    }'
grep -h '^INFO' "$TMP/vct.txt" "$TMP/torch.txt" | sed 's/^INFO /  /'
