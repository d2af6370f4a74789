#!/bin/sh
# vct inspect: the shared checkpoint's listing matches torch's tensor by tensor
# (name, dtype, shape, FNV-1a hash exactly; sum to 1e-9 relative), every file of
# the hostile corpus tests/data/bad/ exits 1 with a message naming the file and
# executes nothing, and usage errors exit 2.
VCT=${VCT_BIN:-build/vct}
CKPT=../shared/conformance/cases/ss-reduced-1f/model_best.pth
REF=tests/ref/data/inspect_ss-reduced-1f.tsv
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }

if "$VCT" inspect "$CKPT" >"$TMP/ours.tsv" 2>"$TMP/err"; then
    grep -v '^#' "$TMP/ours.tsv" >"$TMP/o"
    grep -v '^#' "$REF" >"$TMP/r"
    if [ "$(wc -l <"$TMP/o")" -ne "$(wc -l <"$TMP/r")" ] || [ "$(wc -l <"$TMP/r")" -lt 400 ]; then
        bad "inspect: $(wc -l <"$TMP/o") tensors listed, torch lists $(wc -l <"$TMP/r")"
    elif paste "$TMP/o" "$TMP/r" | awk -F'\t' '
        { if ($1 != $6 || $2 != $7 || $3 != $8 || $5 != $10) { print "mismatch: " $0; bad++ }
          d = $4 - $9; if (d < 0) d = -d; s = $9 < 0 ? -$9 : $9; if (s < 1) s = 1
          if (d > 1e-9 * s) { print "sum mismatch: " $1 " " $4 " vs " $9; bad++ } n++ }
        END { print n " tensors compared"; exit bad > 0 }'; then
        ok "inspect matches torch on every tensor of $CKPT"
    else
        bad "inspect listing differs from torch's"
    fi
else
    bad "inspect $CKPT failed: $(cat "$TMP/err")"
fi

# the hostile corpus: exit 1, a message naming the file, no code executed
rm -f /tmp/vct_pwned_*
n=0
for f in tests/data/bad/*; do
    case "$f" in *.py | *.md | *.txt) continue ;; esac
    [ -f "$f" ] || continue
    n=$((n + 1))
    "$VCT" inspect "$f" >/dev/null 2>"$TMP/err"
    rc=$?
    base=$(basename "$f")
    if [ $rc -ne 1 ]; then
        bad "inspect $f: exit $rc, expected 1 ($(cat "$TMP/err"))"
    elif ! grep -q "$base" "$TMP/err"; then
        bad "inspect $f: message does not name the file: $(cat "$TMP/err")"
    else
        ok "inspect $base -> $(head -c 160 "$TMP/err")"
    fi
done
if ls /tmp/vct_pwned_* >/dev/null 2>&1; then bad "a hostile pickle executed code: $(ls /tmp/vct_pwned_*)"; fi
[ $n -ge 10 ] || bad "hostile corpus has only $n files"

# usage errors
"$VCT" inspect >/dev/null 2>&1; [ $? -eq 2 ] && ok "no argument -> exit 2" || bad "no argument: want exit 2"
"$VCT" inspect --bogus x >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown option -> exit 2" || bad "unknown option: want exit 2"
"$VCT" inspect /nonexistent/file.pth 2>"$TMP/err"; [ $? -eq 1 ] && grep -q "/nonexistent/file.pth" "$TMP/err" &&
    ok "missing file -> exit 1 naming it" || bad "missing file: want exit 1 naming it"
"$VCT" nosuchcommand >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown command -> exit 2" || bad "unknown command: want exit 2"
"$VCT" inspect --help | grep -q "usage: vct inspect" && ok "inspect --help" || bad "inspect --help"
exit $fail
