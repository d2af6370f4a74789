#!/bin/sh
# vct data check: a small valid AVSBench-semantic set (written by
# `test_avsbench --make-fixture`) passes; each kind of damage (missing mask,
# mask of another size, corrupt PNG, colour outside the palette, truncated WAV,
# empty split) exits 1 with a message naming the file, and the check writes
# nothing; usage errors exit 2.
VCT=${VCT_BIN:-build/vct}
FIX=${VCT_BUILD:-build}/tests/data/test_avsbench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }

if ! "$FIX" --make-fixture "$TMP/ds"; then
    echo "FAIL cannot make the fixture with $FIX"
    exit 1
fi
R=$TMP/ds/AVSBench_semantic
listing() { (cd "$TMP/ds" && find . -type f | sort | xargs md5sum) }

"$VCT" data check "$R" --task avss >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "OK: 0 problems" "$TMP/out" && grep -Eq "^test +1 +10 +10 " "$TMP/out"; then
    ok "valid AVSS set: exit 0, counts per split"
else
    bad "valid AVSS set: exit $rc: $(cat "$TMP/out" "$TMP/err")"
fi

# damage: CASE FILE(relative to R) WHAT-THE-MESSAGE-MUST-SAY, applied by the caller, then restored
expect_problem() { # name file must
    before=$(listing)
    "$VCT" data check "$R" --task avss >"$TMP/out" 2>"$TMP/err"
    rc=$?
    after=$(listing)
    if [ $rc -ne 1 ]; then
        bad "$1: exit $rc, expected 1: $(cat "$TMP/out" "$TMP/err")"
    elif ! grep -q "$2" "$TMP/out"; then
        bad "$1: no problem names $2: $(cat "$TMP/out")"
    elif ! grep "$2" "$TMP/out" | grep -q "$3"; then
        bad "$1: the message for $2 does not say '$3': $(grep "$2" "$TMP/out")"
    elif [ "$before" != "$after" ]; then
        bad "$1: the check changed the data folder"
    else
        ok "$1 -> $(grep "$2" "$TMP/out" | grep "$3" | head -1 | sed 's/^ *//' | cut -c1-150)"
    fi
}
M=v1m/clipB_0_5000/labels_rgb/3.png
cp "$R/$M" "$TMP/keep.png"
rm "$R/$M"
expect_problem "missing mask" "$M" "missing"
cp tests/data/avsbench/colour_ok_13x17.png "$R/$M"
expect_problem "mask of another size" "$M" "13x17"
head -c 60 "$TMP/keep.png" >"$R/$M"
expect_problem "corrupt PNG" "$M" "$M"
cp tests/data/avsbench/colour_off_palette_13x17.png "$R/$M"
expect_problem "wrong palette colour" "$M" "not one of the 71 AVSS palette colours"
cp "$TMP/keep.png" "$R/$M"
W=v2/clipC_0_10000/audio.wav
cp "$R/$W" "$TMP/keep.wav"
head -c 100000 "$TMP/keep.wav" >"$R/$W"
expect_problem "truncated wav" "$W" "truncated"
cp "$TMP/keep.wav" "$R/$W"
cp "$R/metadata.csv" "$TMP/keep.csv"
grep -v ",test," "$TMP/keep.csv" >"$R/metadata.csv"
expect_problem "empty split" "metadata.csv" "split 'test' is empty"
cp "$TMP/keep.csv" "$R/metadata.csv"
"$VCT" data check "$R" --task avss >/dev/null 2>&1 && ok "restored set passes again" || bad "restored set fails"

# S4 in the published layout: files present (--quick); the empty .pkl files are problems
"$VCT" data check "$TMP/ds/Single-source" --task s4 --quick >"$TMP/out" 2>&1 && ok "S4 --quick" ||
    bad "S4 --quick: $(cat "$TMP/out")"
"$VCT" data check "$TMP/ds/Single-source" --task s4 --split test >"$TMP/out" 2>&1
[ $? -eq 1 ] && grep -q "s4clip2.pkl" "$TMP/out" && ok "S4 unreadable .pkl named" || bad "S4 .pkl: $(cat "$TMP/out")"

# usage and missing inputs
"$VCT" data check "$R" >/dev/null 2>&1; [ $? -eq 2 ] && ok "no --task -> exit 2" || bad "no --task: want exit 2"
"$VCT" data verify "$R" --task avss >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown action -> exit 2" || bad "unknown action: want 2"
"$VCT" data check "$R" --task avss --split nope >/dev/null 2>&1; [ $? -eq 2 ] && ok "bad --split -> exit 2" || bad "bad --split"
"$VCT" data check "$TMP/nowhere" --task s4 2>"$TMP/err"; [ $? -eq 1 ] && grep -q "$TMP/nowhere" "$TMP/err" &&
    ok "missing folder -> exit 1 naming it" || bad "missing folder: $(cat "$TMP/err")"
"$VCT" data check "$TMP/ds" --task ms3 2>"$TMP/err"; [ $? -eq 1 ] && grep -q "ms3_meta_data.csv" "$TMP/err" &&
    ok "no MS3 index -> exit 1 naming the CSV" || bad "no MS3 index: $(cat "$TMP/err")"
"$VCT" data --help | grep -q "usage: vct data check" && ok "data --help" || bad "data --help"
exit $fail
