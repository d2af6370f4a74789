#!/bin/sh
# vct eval through the CLI (the metric values themselves are checked against the
# official code by tests/data/test_metrics): flags, the JSON schema, the HTML
# report, and bad inputs (missing prediction, prediction of another size,
# corrupt PNG, colour outside the palette, empty folder, a missing --model): each exits 1
# with a message naming the file and leaves no JSON/report (nor .tmp) behind;
# usage errors exit 2. Inputs come from `test_avsbench --make-fixture`.
# --data --model itself: tests/cli/test_eval_model.sh.
VCT=${VCT_BIN:-build/vct}
FIX=${VCT_BUILD:-build}/tests/data/test_avsbench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }

"$FIX" --make-fixture "$TMP/ds" || { echo "FAIL cannot make the fixture"; exit 1; }
GT=$TMP/ds/Single-source/s4_data/gt_masks
cp -r "$GT" "$TMP/pred"
FR=$TMP/ds/Single-source/s4_data/visual_frames

# a perfect PNG prediction: 1.0 in every flavour (as the official code gives, see avsbench.md §5)
"$VCT" eval --task s4 --gt "$GT" --pred "$TMP/pred" --json "$TMP/r.json" --report "$TMP/r.html" --frames "$FR" \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc -eq 0 ] && grep -Eq '^avsbench +1\.000000 +1\.000000' "$TMP/out" && grep -Eq '^vct +1\.000000 +1\.000000' "$TMP/out"; then
    ok "perfect S4 prediction: table"
else
    bad "perfect S4 prediction: exit $rc: $(cat "$TMP/out" "$TMP/err")"
fi
for k in '"task": "s4"' '"avsbench": {"M_J": 1,' '"vct": {"M_J": 1,' '"batch_independent": {"M_J": 1,' '"M_F": 1,'; do
    grep -qF "$k" "$TMP/r.json" && ok "json has $k" || bad "json lacks $k: $(cat "$TMP/r.json")"
done
if grep -q "<img alt=\"overlay\" src=\"data:image/png;base64," "$TMP/r.html" && grep -q "Worst" "$TMP/r.html" &&
    ! grep -q "no frame image" "$TMP/r.html"; then
    ok "report: overlay thumbnails over the video frames"
else
    bad "report lacks thumbnails or frames"
fi
"$VCT" eval --task s4 --gt "$GT" --pred "$TMP/pred" --flavour avsbench --json "$TMP/a.json" >/dev/null 2>&1
grep -q '"vct": {' "$TMP/a.json" && bad "--flavour avsbench: json holds vct" || ok "--flavour avsbench: json holds only it (+ ours)"

# --order: the DataLoader order by base name; an unknown video is an error naming it
printf 's4clip2\ns4clip0\ns4clip1\n' >"$TMP/order.txt"
"$VCT" eval --task s4 --gt "$GT" --pred "$TMP/pred" --order "$TMP/order.txt" >/dev/null 2>&1 && ok "--order by base name" ||
    bad "--order by base name"
printf 's4clip2\nnosuchclip\n' >"$TMP/order.txt"
"$VCT" eval --task s4 --gt "$GT" --pred "$TMP/pred" --order "$TMP/order.txt" 2>"$TMP/err" >/dev/null
[ $? -eq 1 ] && grep -q "nosuchclip" "$TMP/err" && ok "--order with an unknown video -> exit 1 naming it" ||
    bad "--order unknown: $(cat "$TMP/err")"

f=$(find "$TMP/pred" -name '*_3.png' | head -1)

# AVSS: the colour masks as ground truth and prediction
A=$TMP/ds/AVSBench_semantic
mkdir -p "$TMP/apred" && (cd "$A" && find . -name '*.png' | while read -r p; do mkdir -p "$TMP/apred/$(dirname "$p")"; cp "$p" "$TMP/apred/$p"; done)
"$VCT" eval --task avss --gt "$A" --pred "$TMP/apred" --json "$TMP/s.json" --report "$TMP/s.html" >"$TMP/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '"classes_seen": 3' "$TMP/s.json" && grep -q "M_J_noBg_official" "$TMP/s.json" &&
    ok "AVSS: json with per-class fields" || bad "AVSS eval: exit $rc: $(cat "$TMP/out")"

# bad inputs: exit 1, the file named, nothing written
expect_fail() { # name must-appear args...
    name=$1
    must=$2
    shift 2
    rm -f "$TMP/x.json" "$TMP/x.html"
    "$VCT" eval "$@" --json "$TMP/x.json" --report "$TMP/x.html" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc -ne 1 ]; then
        bad "$name: exit $rc, expected 1: $(cat "$TMP/err")"
    elif ! grep -q "$must" "$TMP/err"; then
        bad "$name: message does not name $must: $(cat "$TMP/err")"
    elif ls "$TMP"/x.* >/dev/null 2>&1; then
        bad "$name: left $(ls "$TMP"/x.*)"
    else
        ok "$name -> $(head -c 170 "$TMP/err")"
    fi
}
mv "$f" "$TMP/keep.png"
expect_fail "missing prediction" "$(basename "$f" .png)" --task s4 --gt "$GT" --pred "$TMP/pred"
cp tests/data/avsbench/binary_L_11x14.png "$f"
expect_fail "prediction of another size" "11x14" --task s4 --gt "$GT" --pred "$TMP/pred"
cp "$TMP/keep.png" "$f"
g=$(find "$GT" -name '*_2.png' | head -1)
cp "$g" "$TMP/keepg.png"
head -c 50 "$TMP/keepg.png" >"$g"
expect_fail "corrupt ground-truth PNG" "$(basename "$g")" --task s4 --gt "$GT" --pred "$TMP/pred"
cp tests/data/avsbench/binary_gray17_11x14.png "$g"
expect_fail "ground truth that is not 0/255" "value 17" --task s4 --gt "$GT" --pred "$TMP/pred"
cp "$TMP/keepg.png" "$g"
c=$(find "$A" -path '*labels_rgb/2.png' | head -1)
cp "$c" "$TMP/keepc.png"
cp tests/data/avsbench/colour_off_palette_13x17.png "$c"
expect_fail "colour outside the palette" "not one of the 71 AVSS palette colours" --task avss --gt "$A" --pred "$TMP/apred"
"$VCT" eval --task avss --gt "$A" --pred "$TMP/apred" --lenient-colours >"$TMP/out" 2>&1
# lenient: the colour counts as background, but the 13x17 mask now has another size than its prediction
grep -q "13x17" "$TMP/out" && ok "--lenient-colours decodes it (then the size differs)" || bad "lenient: $(cat "$TMP/out")"
cp "$TMP/keepc.png" "$c"
mkdir -p "$TMP/empty"
expect_fail "empty ground-truth folder" "$TMP/empty" --task s4 --gt "$TMP/empty" --pred "$TMP/pred"
expect_fail "missing prediction folder" "$TMP/nowhere" --task s4 --gt "$GT" --pred "$TMP/nowhere"
"$VCT" eval --data "$TMP/ds" --model "$TMP/model.pth" 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "model.pth: cannot open" "$TMP/err" && ok "--model: a missing checkpoint (exit 1): $(cat "$TMP/err")" ||
    bad "--model: $(cat "$TMP/err")"

# usage
"$VCT" eval --gt "$GT" --pred "$TMP/pred" >/dev/null 2>&1; [ $? -eq 2 ] && ok "no --task -> 2" || bad "no --task"
"$VCT" eval --task s5 --gt "$GT" --pred "$TMP/pred" >/dev/null 2>&1; [ $? -eq 2 ] && ok "bad --task -> 2" || bad "bad --task"
"$VCT" eval --task s4 --gt "$GT" --pred "$TMP/pred" --batch -1 >/dev/null 2>&1; [ $? -eq 2 ] && ok "--batch -1 -> 2" || bad "--batch -1"
"$VCT" eval --task s4 --gt "$GT" --pred "$TMP/pred" --flavour x >/dev/null 2>&1; [ $? -eq 2 ] && ok "bad --flavour -> 2" || bad "bad --flavour"
"$VCT" eval --help | grep -q "usage: vct eval" && ok "eval --help" || bad "eval --help"
exit $fail
