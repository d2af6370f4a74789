#!/bin/sh
# vct convert: the safetensors checkpoint lists the same tensors (name, dtype,
# shape, byte hash) as the official .pth, carries versioned metadata and the
# config, and works as --model; bad input exits 1/2 with nothing half-written.
VCT=${VCT_BIN:-build/vct}
CASE=../shared/conformance/cases/ss-reduced-1f
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }
"$VCT" convert "$CASE/model_best.pth" "$TMP/m.safetensors" --config "$CASE/config.yaml" >/dev/null || bad "convert failed"
"$VCT" inspect "$TMP/m.safetensors" | grep -v '^#' | cut -f1,2,3,5 >"$TMP/a"
"$VCT" inspect "$CASE/model_best.pth" | grep -v '^#' | cut -f1,2,3,5 >"$TMP/b"
[ -s "$TMP/a" ] && cmp -s "$TMP/a" "$TMP/b" && ok "same tensors and bytes as the .pth ($(wc -l <"$TMP/a"))" || bad "listings differ"
head -c 2000000 "$TMP/m.safetensors" | grep -a -q '"format_version":"1"' && head -c 2000000 "$TMP/m.safetensors" |
    grep -a -q 'detectron2_config' && ok "metadata: format version and config" || bad "metadata missing"
"$VCT" features "$CASE/input_audio.wav" --out "$TMP/f1.safetensors" --model "$TMP/m.safetensors" >/dev/null &&
    "$VCT" features "$CASE/input_audio.wav" --out "$TMP/f2.safetensors" --model "$CASE/model_best.pth" >/dev/null &&
    [ "$("$VCT" inspect "$TMP/f1.safetensors" | cut -f5 | tail -n +3)" = "$("$VCT" inspect "$TMP/f2.safetensors" | cut -f5 | tail -n +3)" ] &&
    ok "the converted checkpoint gives the same features" || bad "features differ between .pth and .safetensors"
"$VCT" convert "$CASE/model_best.pth" "$TMP/m.bin" 2>/dev/null; [ $? -eq 2 ] && ok "non-safetensors output: exit 2" || bad "output name"
"$VCT" convert tests/data/bad/$(ls tests/data/bad | grep -v '\.py$' | head -1) "$TMP/x.safetensors" 2>"$TMP/err"
[ $? -eq 1 ] && [ ! -e "$TMP/x.safetensors" ] && [ ! -e "$TMP/x.safetensors.tmp" ] && ok "hostile input: exit 1, nothing written" ||
    bad "hostile input: $(cat "$TMP/err")"
"$VCT" convert "$CASE/model_best.pth" /nonexistent-dir/m.safetensors 2>"$TMP/err"
[ $? -eq 1 ] && grep -q nonexistent-dir "$TMP/err" && ok "unwritable output: exit 1 naming it" || bad "unwritable output"
exit $fail
