#!/bin/sh
# vct eval --data DIR --model FILE: the model run over a SynthAVS split, then scored.
#  - AVSS with the shared case's (seeded) checkpoint, its background logit raised by 1.5
#    (else it never predicts background and every score is 0), S4 with an S4 checkpoint
#    derived from it (class head rows 0, 1, 71; 23 category prototypes; S4 config), as
#    tests/ref/gen_eval_model.py derives them;
#  - M_J and M_F (the vct flavour) equal the official VCT test loop's (dataset loader,
#    mapper, model, SemSegEvaluator[_SS]) on the same sets: tests/ref/data/eval_model.json;
#  - each prediction file equals what VCT's evaluator computes from the sem_seg that
#    `vct segment --dump` gives for the same clip: softmax(sem_seg)[1] (S4) and
#    argmax(softmax(sem_seg)) (AVSS), bit for bit when torch is installed, else
#    against numpy in float64 (tolerance 2e-7; argmax ties only between scores closer
#    than 1e-5);
#  - each ground-truth file equals the data set's 224 mask (0/255 -> 0/1, class ids);
#  - the JSON equals `vct eval --pred OUT/pred --gt OUT/gt` on the kept folder, and
#    OUT/eval.json; the HTML report has thumbnails;
#  - bad inputs exit non-zero with a message naming the problem and leave no --out
#    (nor OUT.partial) behind;
#  - a run that stops on clip 2 keeps clip 1 in OUT.partial; OUT.partial is refused
#    without --resume or with other options; --resume runs clip 2 and scores as a run
#    that never stopped.
# Needs python3 + numpy.
VCT=${VCT_BIN:-build/vct}
CASE=../shared/conformance/cases/ss-reduced-1f
PY=/usr/bin/python3
COMMON=$(cd tests/common && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
ok() { echo "PASS $1"; }
bad() { echo "FAIL $1"; fail=1; }
M0="$CASE/model_best.pth"
M="$TMP/ss.safetensors"

REF=tests/ref/data/eval_model.json
# the sets of the reference (synth is byte-identical for a seed)
"$VCT" synth --task avss --layout vct --out "$TMP/ss" --clips 10 --seed 11 >/dev/null 2>&1 || bad "synth avss"
"$VCT" synth --task s4 --layout vct --out "$TMP/s4" --clips 10 --seed 12 >/dev/null 2>&1 || bad "synth s4"

# the checkpoints of the reference: AVSS with background + 1.5; S4 = classes {background,
# object, no-object} = rows 0, 1, 71 of the AVSS head
"$VCT" convert "$M0" "$TMP/ss0.safetensors" --config "$CASE/config.yaml" >/dev/null 2>&1 || bad "convert"
$PY - "$TMP/ss0.safetensors" "$TMP/s4.safetensors" "$COMMON" "$TMP/ss.safetensors" <<'PY' || bad "could not derive the checkpoints"
import json, sys
sys.path.insert(0, sys.argv[3]); import safetensors_np as st; import numpy as np
t, meta = st.read(sys.argv[1])
b = dict(t); b["sem_seg_head.predictor.class_embed.bias"] = t["sem_seg_head.predictor.class_embed.bias"].copy()
b["sem_seg_head.predictor.class_embed.bias"][0] += np.float32(1.5)
st.write(sys.argv[4], b, meta)
rows = [0, 1, 71]
for k in ("sem_seg_head.predictor.class_embed.weight", "sem_seg_head.predictor.class_embed.bias", "criterion.empty_weight"):
    t[k] = t[k][rows]
k = "sem_seg_head.predictor.visual_query_block.prototype.weight"; t[k] = t[k][:23]  # S4: 23 category prototypes
cfg = json.loads(meta["detectron2_config"])
cfg["INPUT"]["DATASET_MAPPER_NAME"] = "avss4_semantic"
cfg["MODEL"]["SEM_SEG_HEAD"]["NUM_CLASSES"] = 2
def frames5(o):
    for k, v in (o.items() if isinstance(o, dict) else []):
        if k == "NUM_FRAMES": o[k] = 5
        else: frames5(v)
frames5(cfg)
meta["detectron2_config"] = json.dumps(cfg)
st.write(sys.argv[2], t, meta)
PY

# 1. AVSS and S4 end to end, predictions kept
for task in avss s4; do
    if [ $task = avss ]; then data="$TMP/ss" model="$M"; else data="$TMP/s4" model="$TMP/s4.safetensors"; fi
    out="$TMP/out_$task"
    if "$VCT" eval --data "$data" --model "$model" --out "$out" --json "$TMP/$task.json" --report "$TMP/$task.html" \
        --progress >"$TMP/$task.stdout" 2>"$TMP/$task.log"; then
        ok "$task: vct eval --data --model ($(grep -o '[0-9]* clips, [0-9]* frames in [0-9.]* s' "$TMP/$task.log"))"
    else
        cat "$TMP/$task.log"; bad "$task: vct eval --data --model"; continue
    fi
    grep -q "^vct " "$TMP/$task.stdout" && grep -q "^ours (batch-indep.)" "$TMP/$task.stdout" || bad "$task: no score table"
    [ ! -e "$out.partial" ] && [ -f "$out/predict.json" ] && [ -f "$out/order.txt" ] && cmp -s "$TMP/$task.json" "$out/eval.json" &&
        ok "$task: --out holds pred/, gt/, order.txt, predict.json and eval.json (= --json); no .partial left" ||
        bad "$task: --out contents"
    grep -q "<img" "$TMP/$task.html" && ok "$task: HTML report with thumbnails" || bad "$task: report has no thumbnails"
    $PY - "$TMP/$task.json" "$REF" $task "$out/order.txt" <<'PY' >"$TMP/ref.out" 2>&1 &&
import json, sys
got, ref = json.load(open(sys.argv[1]))["vct"], json.load(open(sys.argv[2]))[sys.argv[3]]
videos = [l.strip() for l in open(sys.argv[4])]
assert len(videos) == ref["clips"] and got["frames"] == ref["frames"], (videos, got, ref)
d = max(abs(got["M_J"] - ref["M_J"]), abs(got["M_F"] - ref["M_F"]))
print(f"M_J {got['M_J']:.9f} M_F {got['M_F']:.9f}; official {ref['M_J']:.9f} {ref['M_F']:.9f}; |diff| {d:.1e}")
assert d <= 1e-6, d
PY
        ok "$task: = the official VCT test loop on the same set ($(tail -1 "$TMP/ref.out"))" ||
        { cat "$TMP/ref.out"; bad "$task: differs from the official test loop"; }

    # the same clip through vct segment: its sem_seg, as VCT's evaluator turns it into predictions
    clip=$(head -1 "$out/order.txt")
    if [ $task = avss ]; then
        uid=${clip#*/} sub=${clip%%/*}
        frames="$data/$sub/$uid/processed_frames_384" masks="$data/pre_SAM_mask/AVSBench_semantic/$sub/$uid/processed_frames_384"
        wav="$data/$sub/$uid/audio.wav" labels="$data/$sub/$uid/processed_labels_semantic"
    else
        frames="$data/s4_data_384/visual_frames_384/test/$clip" masks="$data/s4_data_384/pre_SAM_mask_384/test/$clip"
        wav="$data/s4_data/audio_wav/test/$clip.wav" labels="$data/s4_data_384/gt_masks_224/test/$clip"
    fi
    "$VCT" segment --frames "$frames" --audio "$wav" --maskige "$masks" --model "$model" --out "$TMP/seg_$task" \
        --dump "$TMP/seg_$task.safetensors" >"$TMP/seg.log" 2>&1 || { cat "$TMP/seg.log"; bad "$task: vct segment"; continue; }
    $PY - "$TMP/seg_$task.safetensors" "$out" "$clip" "$labels" "$task" "$COMMON" <<'PY' >"$TMP/check.out" 2>&1 &&
import os, sys
dump, out, clip, labels, task, common = sys.argv[1:7]
sys.path.insert(0, common); import safetensors_np as st; from png import read_png; import numpy as np
sem = st.read(dump)[0]["sem_seg"].astype(np.float32)            # [T,K,224,224]
stems = sorted((f[:-4] for f in os.listdir(f"{out}/pred/{clip}")), key=lambda s: [int(x) for x in s.split("_") if x.isdigit()])
assert len(stems) == sem.shape[0], (stems, sem.shape)
try:
    import torch; exact = True
except ImportError:
    exact = False
worst, ties = 0.0, 0
for t, s in enumerate(stems):
    pred = np.load(f"{out}/pred/{clip}/{s}.npy"); gt = np.load(f"{out}/gt/{clip}/{s}.npy")
    assert pred.shape == gt.shape == (224, 224) and gt.dtype == np.uint8, (pred.shape, gt.shape, gt.dtype)
    lab = read_png(f"{labels}/{s}.png")
    want_gt = lab // 255 if task == "s4" else lab
    assert (gt == want_gt).all(), f"{s}: ground truth differs from {labels}/{s}.png"
    x = sem[t]
    if task == "s4":
        assert pred.dtype == np.float32
        if exact:
            want = torch.softmax(torch.from_numpy(sem), dim=1)[t, 1].numpy()
            assert (pred == want).all(), f"{s}: {(pred != want).sum()} probabilities differ from torch.softmax"
        x64 = x.astype(np.float64); want = 1 / (1 + np.exp(x64[0] - x64[1]))
        worst = max(worst, float(np.abs(pred - want).max()))
        assert worst < 2e-7, worst
    else:
        assert pred.dtype == np.uint8
        if exact:
            want = torch.softmax(torch.from_numpy(sem), dim=1)[t].argmax(dim=0).numpy()
            assert (pred == want).all(), f"{s}: {(pred != want).sum()} labels differ from torch"
        raw = x.argmax(axis=0); diff = pred != raw
        top = np.take_along_axis(x, raw[None], 0)[0]; chosen = np.take_along_axis(x, pred[None].astype(np.int64), 0)[0]
        assert (np.abs(top - chosen)[diff] < 1e-5).all(), "a label differs from the argmax by more than a tie"
        ties += int(diff.sum())
print(f"{len(stems)} frames; {'bit-exact vs torch, ' if exact else ''}max |p - numpy| {worst:.1e}, argmax ties {ties}")
PY
        ok "$task: pred/ = VCT's evaluator on vct segment's sem_seg, gt/ = the data set's masks ($(tail -1 "$TMP/check.out"))" ||
        { cat "$TMP/check.out"; bad "$task: predictions or ground truth"; }

    # the kept folder scores the same with --pred/--gt
    "$VCT" eval --task $task --pred "$out/pred" --gt "$out/gt" --order "$out/order.txt" --pred-kind prob \
        --json "$TMP/again.json" >/dev/null 2>"$TMP/again.log" || { cat "$TMP/again.log"; bad "$task: rescoring"; }
    $PY - "$TMP/$task.json" "$TMP/again.json" <<'PY' && ok "$task: --pred OUT/pred --gt OUT/gt gives the same scores" ||
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("avsbench", "vct", "batch_independent"):
    assert a[k] == b[k], (k, a[k], b[k])
PY
        bad "$task: rescoring differs"
done

# 2. bad inputs: message, non-zero exit, no --out and no .partial
try() { # name expected-exit grep-pattern args...
    name=$1 code=$2 pat=$3; shift 3
    rm -rf "$TMP/o" "$TMP/o.partial"
    "$VCT" eval "$@" >"$TMP/stdout" 2>"$TMP/err"; rc=$?
    if [ $rc -eq "$code" ] && grep -q -- "$pat" "$TMP/err" && [ ! -e "$TMP/o" ] && [ ! -e "$TMP/o.partial" ]; then
        ok "$name: exit $rc: $(tail -1 "$TMP/err")"
    else
        bad "$name: exit $rc (want $code); stderr: $(cat "$TMP/err")"
    fi
}
try "--data without --model" 2 "go together" --data "$TMP/ss" --out "$TMP/o"
try "--pred with --data" 2 "--pred scores saved predictions" --data "$TMP/ss" --model "$M" --pred x --out "$TMP/o"
try "--out with --pred" 2 "--out goes with --data --model" --task s4 --pred x --gt y --out "$TMP/o"
try "another task" 1 "task s4, but .* is an avss model" --data "$TMP/ss" --model "$M" --task s4 --out "$TMP/o"
try "a data set of another task" 1 "ss/s4_data_384/visual_frames_384: folder not found" --data "$TMP/ss" --model "$TMP/s4.safetensors" --out "$TMP/o"
try "the avsbench layout has no Maskiges" 1 "the avsbench layout has none" --data "$TMP/ss" --model "$M" --layout avsbench --out "$TMP/o"
cp -r "$TMP/ss" "$TMP/ss_bad"
uid=$(head -1 "$TMP/out_avss/order.txt"); uid=${uid#*/}
mk=$(find "$TMP/ss_bad/pre_SAM_mask" -path "*/$uid/processed_frames_384/1_mask_color.png")
rm "$mk"
try "a missing Maskige" 1 "1_mask_color.png" --data "$TMP/ss_bad" --model "$M" --out "$TMP/o"
cp -r "$TMP/ss" "$TMP/ss_bad2"
pkl=$(find "$TMP/ss_bad2" -path "*/$uid/*" -name audio.pkl)
head -c 3000 "$pkl" >"$TMP/p" && mv "$TMP/p" "$pkl"
try "a truncated audio.pkl" 1 "audio.pkl" --data "$TMP/ss_bad2" --model "$M" --out "$TMP/o"
cp -r "$TMP/s4" "$TMP/s4_noval" && rm -rf "$TMP/s4_noval/s4_data_384/visual_frames_384/val/"*
try "an empty split" 1 "val split .* has no clips" --data "$TMP/s4_noval" --model "$TMP/s4.safetensors" --split val \
    --out "$TMP/o"
# 3. a run that stops keeps its finished clips in OUT.partial; --resume continues it
cp -r "$TMP/s4" "$TMP/s4_stop"
second=$(sed -n 2p "$TMP/out_s4/order.txt"); name=${second#*/}
mk="$TMP/s4_stop/s4_data_384/pre_SAM_mask_384/test/$second/${name}_1_mask_color.png"
mv "$mk" "$TMP/held.png"
"$VCT" eval --data "$TMP/s4_stop" --model "$TMP/s4.safetensors" --out "$TMP/r" 2>"$TMP/err"; rc=$?
first=$(head -1 "$TMP/out_s4/order.txt")
[ $rc -eq 1 ] && grep -q "run again with --resume" "$TMP/err" && [ ! -e "$TMP/r" ] && [ -d "$TMP/r.partial/pred/$first" ] &&
    [ ! -e "$TMP/r.partial/pred/$second" ] && ok "a run that stops on clip 2 keeps clip 1 in OUT.partial, no OUT" ||
    bad "stopped run: exit $rc: $(cat "$TMP/err")"
"$VCT" eval --data "$TMP/s4_stop" --model "$TMP/s4.safetensors" --out "$TMP/r" 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q "continue it with --resume" "$TMP/err" && ok "OUT.partial without --resume is refused" ||
    bad "no --resume: exit $rc: $(cat "$TMP/err")"
"$VCT" eval --data "$TMP/s4_stop" --model "$TMP/s4.safetensors" --out "$TMP/r" --resume --limit 1 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q "made by another run" "$TMP/err" && [ -d "$TMP/r.partial/pred/$first" ] &&
    ok "--resume with other options is refused, OUT.partial kept" || bad "--resume other options: exit $rc: $(cat "$TMP/err")"
mv "$TMP/held.png" "$mk"
"$VCT" eval --data "$TMP/s4_stop" --model "$TMP/s4.safetensors" --out "$TMP/r" --resume >/dev/null 2>"$TMP/err"; rc=$?
[ $rc -eq 0 ] && grep -q "resumed: 1 of 2 clips were already done" "$TMP/err" && [ ! -e "$TMP/r.partial" ] &&
    cmp -s "$TMP/r/eval.json" "$TMP/out_s4/eval.json" 2>/dev/null ||
    $PY - "$TMP/r/eval.json" "$TMP/out_s4/eval.json" <<'PY' && ok "--resume runs clip 2 only and scores as the run that never stopped" ||
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert all(a[k] == b[k] for k in ("avsbench", "vct", "batch_independent")), (a, b)
PY
    bad "resume: exit $rc: $(cat "$TMP/err")"
mkdir "$TMP/o" && echo x >"$TMP/o/keep"
"$VCT" eval --data "$TMP/ss" --model "$M" --out "$TMP/o" 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q "not an empty folder" "$TMP/err" && [ "$(ls "$TMP/o")" = keep ] && [ ! -e "$TMP/o.partial" ] &&
    ok "a non-empty --out is refused and left as it was" || bad "non-empty --out: exit $rc: $(cat "$TMP/err")"
# without --out nothing is kept: the temporary folder is gone afterwards
before=$(ls "${TMPDIR:-/tmp}" | grep -c '^vct-eval-')
"$VCT" eval --data "$TMP/s4" --model "$TMP/s4.safetensors" --limit 1 >/dev/null 2>&1 || bad "eval without --out"
after=$(ls "${TMPDIR:-/tmp}" | grep -c '^vct-eval-')
[ "$before" = "$after" ] && ok "without --out the temporary predictions are removed" || bad "temporary folder left"
exit $fail
