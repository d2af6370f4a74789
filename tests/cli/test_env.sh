#!/bin/sh
# The environment variables vct reads are validated at start-up: a bad VCT_THREADS
# or VCT_GEMM is a usage error (exit 2) whose message names the variable and the
# value, before any work; good values run.
VCT=${VCT_BIN:-build/vct}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }

for v in 0 -1 2x x "1 2" 99999999999999999999 4097; do
    VCT_THREADS="$v" "$VCT" --version >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc -eq 2 ] && grep -q "VCT_THREADS='$v'" "$TMP/err" && [ ! -s "$TMP/out" ] &&
        ok "VCT_THREADS='$v': exit 2, named" || bad "VCT_THREADS='$v': exit $rc: $(cat "$TMP/err")"
done
for v in 1 2 4096; do
    VCT_THREADS=$v "$VCT" --version >/dev/null 2>"$TMP/err" && ok "VCT_THREADS=$v accepted" ||
        bad "VCT_THREADS=$v refused: $(cat "$TMP/err")"
done
VCT_THREADS= "$VCT" --version >/dev/null 2>&1 && ok "empty VCT_THREADS: as unset" || bad "empty VCT_THREADS refused"
for v in foo ONEDNNX mkl; do
    VCT_GEMM=$v "$VCT" --version >/dev/null 2>"$TMP/err"
    rc=$?
    [ $rc -eq 2 ] && grep -q "VCT_GEMM" "$TMP/err" && grep -q "'$v'" "$TMP/err" &&
        ok "VCT_GEMM=$v: exit 2, named" || bad "VCT_GEMM=$v: exit $rc: $(cat "$TMP/err")"
done
for v in onednn openblas naive; do
    VCT_GEMM=$v "$VCT" --version >/dev/null 2>"$TMP/err" && ok "VCT_GEMM=$v accepted" ||
        bad "VCT_GEMM=$v refused: $(cat "$TMP/err")"
done
exit $fail
