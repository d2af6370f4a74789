#!/bin/sh
# vct synth: small SynthAVS sets in both layouts are written with a summary line,
# pass `vct data check`, are byte-identical for the same seed (also with one
# thread), and their .pkl files load with Python's pickle (torch) to exactly the
# log-mel `vct features` computes from the WAV (when /usr/bin/python3 has torch).
# Usage errors exit 2, a non-empty output folder is refused without writing.
VCT=${VCT_BIN:-build/vct}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }

data_check() { # dir task layout name
    "$VCT" data check "$1" --task "$2" --layout "$3" >"$TMP/check.out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -q "OK: 0 problems" "$TMP/check.out"; then
        ok "$4: vct data check"
    else
        bad "$4: vct data check (exit $rc)"
        tail -20 "$TMP/check.out"
    fi
}

for task in s4 avss; do
    for layout in avsbench vct; do
        d="$TMP/$task-$layout"
        if "$VCT" synth --task $task --layout $layout --out "$d" --clips 3 --seed 5 >"$TMP/out" 2>"$TMP/err" &&
            grep -q "3 clips (train 1, val 1, test 1)" "$TMP/out"; then
            ok "$task/$layout: written ($(sed 's/.*frames, //; s/ in .*//' "$TMP/out"))"
        else
            bad "$task/$layout: vct synth failed: $(cat "$TMP/err")"
            continue
        fi
        data_check "$d" $task $layout "$task/$layout"
    done
done

# determinism: same seed again with one thread, byte for byte
VCT_THREADS=1 "$VCT" synth --task avss --layout vct --out "$TMP/again" --clips 3 --seed 5 >/dev/null 2>&1 &&
    diff -r "$TMP/avss-vct" "$TMP/again" >/dev/null && ok "same seed, one thread: identical files" ||
    bad "same seed gave different files"
"$VCT" synth --task avss --layout vct --out "$TMP/other" --clips 3 --seed 6 >/dev/null 2>&1 &&
    ! diff -r "$TMP/avss-vct" "$TMP/other" >/dev/null && ok "another seed: other files" || bad "seed 6 = seed 5"

# the pickles, as the official loaders read them
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    /usr/bin/python3 scripts/official_pkl.py "$TMP/s4-avsbench" --task s4 --vct "$VCT" --check >"$TMP/py" 2>&1 &&
        grep -q "3 .pkl checked, 0 differ" "$TMP/py" && ok "S4 .pkl = vct features of the WAV (pickle.load)" ||
        bad "S4 pickles: $(cat "$TMP/py")"
    /usr/bin/python3 scripts/official_pkl.py "$TMP/avss-vct" --task avss --vct "$VCT" --check >"$TMP/py" 2>&1 &&
        grep -q "3 .pkl checked, 0 differ" "$TMP/py" && ok "AVSS audio.pkl = vct features of the WAV (pickle.load)" ||
        bad "AVSS pickles: $(cat "$TMP/py")"
else
    bad "pickle check: /usr/bin/python3 has no torch (scripts/install-deps.sh installs python3-torch)"
fi

# usage errors and refusals
"$VCT" synth --clips 3 >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q -- "--out" "$TMP/err" && ok "no --out: exit 2" || bad "no --out"
"$VCT" synth --out "$TMP/x" --task s5 >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q "s5" "$TMP/err" && [ ! -e "$TMP/x" ] && ok "bad --task: exit 2, nothing written" || bad "bad --task"
"$VCT" synth --out "$TMP/x" --clips 2 >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && [ ! -e "$TMP/x" ] && ok "--clips 2: exit 2, nothing written" || bad "--clips 2"
before=$(find "$TMP/s4-avsbench" | wc -l)
"$VCT" synth --out "$TMP/s4-avsbench" --clips 3 --seed 9 >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q "not empty" "$TMP/err" && [ "$(find "$TMP/s4-avsbench" | wc -l)" = "$before" ] &&
    ok "non-empty folder: exit 2, nothing written" || bad "non-empty folder: $(cat "$TMP/err")"
"$VCT" synth --help | grep -q -- "--layout" && ok "--help" || bad "--help"
exit $fail
