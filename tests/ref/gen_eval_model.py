"""gen_eval_model.py: the official VCT test loop on SynthAVS sets, the reference
for `vct eval --data DIR --model FILE` (tests/cli/test_eval_model.sh).

For AVSS (the shared case's seeded checkpoint) and S4 (an S4 checkpoint derived
from it: class head rows {0, 1, 71}, 23 category prototypes, S4 config), it runs
what VCT's train_net.py test does, with the official code imported from an
export (never copied):
  the dataset list (register_avss_sem.load_avss_semantic /
  register_avss4_sem.load_avss4_semantic) -> the test mapper
  (AVSS_/AVSS4_SemanticDatasetMapper, is_train=False) -> the model (eval, one clip
  a batch, as detectron2's test loader) -> SemSegEvaluator_SS / SemSegEvaluator
  .process, then .evaluate (its round(., 4) lifted to keep every digit).
The sets are made by `vct synth` (byte-identical for a seed), so the C test makes
the same ones. CUDA calls of the evaluators (.cuda()) run on the CPU.

usage: gen_eval_model.py --official DIR --detectron2 DIR [--pypath DIR ...]
                         [--vct ../../build/vct] [--case DIR]
       (or VCT_OFFICIAL, VCT_DETECTRON2, VCT_PYPATH=dir:dir in the environment;
       docs/conformance.md tells how to export them)
       [--task-case ms3=CASE --task-case s4=CASE --local-out local.json]
writes tests/ref/data/eval_model.json (AVSS and S4 from the shared case); --task-case
also scores a harness-made case with its own checkpoint on that task's set (MS3:
clips 10, seed 13), into --local-out only (CI has no such case). Without the export, or without a built vct,
it prints "skipped" and keeps the committed file. About 2 minutes on one core.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# the sets and the S4 derivation; tests/cli/test_eval_model.sh uses the same values
SETS = {"avss": {"clips": 10, "seed": 11}, "s4": {"clips": 10, "seed": 12}, "ms3": {"clips": 10, "seed": 13}}
# The seeded AVSS model never predicts background, which leaves M_J = M_F = 0 on any set: raising
# the background logit of every query by this much makes it predict background on most pixels and
# class 12 on the rest (a test of the scores, not of the model).
AVSS_BACKGROUND_BIAS = 1.5
S4_ROWS = [0, 1, 71]
S4_PROTOTYPES = 23
AUDIO_MLP_MIDDLE = 256  # a reduced case's audio MLP (its manifest records the override)


def derive(state, task):
    s = state.copy()
    s._metadata = state._metadata  # the version records: without them the head "upgrades" old key names
    if task == "avss":
        k = "sem_seg_head.predictor.class_embed.bias"
        s[k] = s[k].clone()
        s[k][0] += AVSS_BACKGROUND_BIAS
        return s
    for k in ("sem_seg_head.predictor.class_embed.weight", "sem_seg_head.predictor.class_embed.bias",
              "criterion.empty_weight"):
        s[k] = s[k][S4_ROWS].clone()
    k = "sem_seg_head.predictor.visual_query_block.prototype.weight"
    s[k] = s[k][:S4_PROTOTYPES].clone()
    return s


def run_task(task, args, tmp, vr, case=None):
    """case: a harness-made case of this task (its own checkpoint, config `--config T
    --reduced`); None: the shared AVSS case, derived for the task as above."""
    from detectron2.data import DatasetCatalog, MetadataCatalog

    spec = SETS[task]
    data = os.path.join(tmp, task + ("_case" if case else ""))
    subprocess.run([args.vct, "synth", "--task", task, "--layout", "vct", "--out", data, "--clips",
                    str(spec["clips"]), "--seed", str(spec["seed"])], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    opts = []
    if task == "s4" and not case:
        opts = ["INPUT.DATASET_MAPPER_NAME", "avss4_semantic", "MODEL.SEM_SEG_HEAD.NUM_CLASSES", "2",
                "MODEL.FUSE_CONFIG.NUM_FRAMES", "5"]
    vggish = vr.build.write_random_vggish(os.path.join(tmp, "vggish.pth"), 0)
    # the case was made with `case --config ss --reduced` (its manifest's made_with); its config.yaml
    # is detectron2's dump, which holds keys the schema refuses, so the config is rebuilt the same way
    made = json.load(open(os.path.join(case, "manifest.json")))["made_with"] if case else {"config": "ss",
                                                                                          "reduced": True}
    reduced = made["reduced"]
    cfg = vr.build.build_cfg(vr.build.resolve_config(args.official, made["config"]), reduced=reduced, opts=opts,
                             vggish_path=vggish)
    middle = AUDIO_MLP_MIDDLE if reduced and not made.get("keep_audio_mlp") else None  # as run_ref.py builds it
    model = vr.build.build_model(cfg, 0, audio_mlp_middle=middle)
    ck = torch.load(os.path.join(case or args.case, "model_best.pth"), map_location="cpu")
    state = ck.get("model", ck)
    if not case:
        state = derive(state, task)
    missing, _unexpected = model.load_state_dict(state, strict=False)
    # VGGish's fully connected "embeddings" are built but never run (VCT takes the conv features)
    missing = [k for k in missing if not k.startswith("audio_backbone.embeddings.")]
    if missing:
        raise SystemExit(f"{task}: checkpoint lacks {missing}")
    model.eval()

    name = f"vct_ref_{task}_{'case' if case else 'shared'}_test"
    if task == "avss":
        import pandas as pd
        from models.data.datasets.register_avss_sem import load_avss_semantic
        from models.data.dataset_mappers.avss_semantic_dataset_mapper import AVSS_SemanticDatasetMapper as Mapper
        from models.evaluation.sem_seg_evaluation_ss import SemSegEvaluator_SS as Evaluator
        from models.evaluation import sem_seg_evaluation_ss as evmod
        df = pd.read_csv(os.path.join(data, "metadata.csv"), sep=",")
        dicts = load_avss_semantic(df[df["split"] == "test"], data, "test",
                                   os.path.join(data, "pre_SAM_mask/AVSBench_semantic"))
        classes = list(json.load(open(os.path.join(data, "label2idx.json"))).keys())
    elif task == "ms3":
        from models.data.datasets.register_avsms3_sem import load_avsms3_semantic
        from models.data.dataset_mappers.avsms3_semantic_dataset_mapper import AVSMS3_SemanticDatasetMapper as Mapper
        from models.evaluation.sem_seg_evaluation import SemSegEvaluator as Evaluator
        from models.evaluation import sem_seg_evaluation as evmod
        r224, r384 = os.path.join(data, "ms3_data"), os.path.join(data, "ms3_data_384")
        dicts = load_avsms3_semantic(os.path.join(r384, "visual_frames_384"), os.path.join(r384, "gt_masks_224", "test"),
                                     os.path.join(r224, "audio_log_mel", "test"), os.path.join(r384, "pre_SAM_mask_384"),
                                     "test")
        classes = ["background", "object"]
    else:
        from models.data.datasets.register_avss4_sem import load_avss4_semantic
        from models.data.dataset_mappers.avss4_semantic_dataset_mapper import AVSS4_SemanticDatasetMapper as Mapper
        from models.evaluation.sem_seg_evaluation import SemSegEvaluator as Evaluator
        from models.evaluation import sem_seg_evaluation as evmod
        r224, r384 = os.path.join(data, "s4_data"), os.path.join(data, "s4_data_384")
        dicts = load_avss4_semantic(os.path.join(r384, "visual_frames_384", "test"),
                                    os.path.join(r384, "gt_masks_224", "test"),
                                    os.path.join(r224, "audio_log_mel", "test"),
                                    os.path.join(r384, "pre_SAM_mask_384", "test"), "test")
        classes = ["background", "object"]
    if name not in DatasetCatalog.list():
        DatasetCatalog.register(name, lambda d=dicts: d)
        MetadataCatalog.get(name).set(stuff_classes=classes, ignore_label=255)
    # the mappers read ignore_label from the metadata of cfg.DATASETS.TRAIN[0]
    train_meta = MetadataCatalog.get(cfg.DATASETS.TRAIN[0])
    if not hasattr(train_meta, "ignore_label"):
        train_meta.set(ignore_label=255)
    evmod.round = lambda x, n=None: x  # every digit, not evaluate()'s 4 decimals
    ev = Evaluator(name, distributed=True, output_dir=os.path.join(tmp, f"ev_{task}"))
    ev.reset()
    mapper = Mapper(cfg, False)
    videos = []
    t0 = time.perf_counter()
    with torch.no_grad():
        for d in dicts:
            inputs = [mapper(copy.deepcopy(d))]
            outputs = model(inputs)
            ev.process(inputs, outputs)
            videos.append(os.path.dirname(d["file_names"][0]))
    seconds = time.perf_counter() - t0
    print(f"{task}: the official loop took {seconds:.1f} s for {sum(len(d['file_names']) for d in dicts)} frames "
          f"(mapper, model, evaluator; 1 thread)")
    res = ev.evaluate()["sem_seg"]
    return {"synth": dict(spec, task=task, layout="vct"), "split": "test", "clips": len(dicts),
            "frames": sum(len(d["file_names"]) for d in dicts), "M_J": float(res["mIoU"]),
            "M_F": float(res["f_score"]), "videos": [os.path.relpath(v, data) for v in videos]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--official", default=os.environ.get("VCT_OFFICIAL"))
    ap.add_argument("--detectron2", default=os.environ.get("VCT_DETECTRON2"))
    ap.add_argument("--pypath", action="append",
                    default=[p for p in os.environ.get("VCT_PYPATH", "").split(":") if p])
    ap.add_argument("--vct", default=os.path.join(ROOT, "build", "vct"))
    ap.add_argument("--case", default=os.path.join(ROOT, "..", "shared", "conformance", "cases", "ss-reduced-1f"))
    ap.add_argument("--task-case", action="append", default=[], metavar="TASK=CASE",
                    help="also score a harness-made case of TASK (s4, ms3) with its own checkpoint on TASK's set; "
                         "printed and written to --local-out, not to the committed file (CI has no such case)")
    ap.add_argument("--local-out", default=None, help="JSON for the --task-case results")
    args = ap.parse_args()
    if not args.official or not args.detectron2 or not os.path.isdir(os.path.join(args.official, "models")):
        print("gen_eval_model.py: skipped (no export of the official VCT_AVS tree: pass --official and "
              "--detectron2); keeping the committed data")
        return
    if not os.access(args.vct, os.X_OK):
        print(f"gen_eval_model.py: skipped ({args.vct} is not built: run make first); keeping the committed data")
        return
    sys.path.insert(0, os.path.join(ROOT, "..", "shared", "conformance", "harness"))
    import vctref.build
    import vctref.paths
    vctref.paths.setup(args.official, args.detectron2, args.pypath)
    import models  # noqa: F401  (registers the official meta-architecture and heads)
    torch.set_num_threads(1)
    torch.Tensor.cuda = lambda self, *a, **k: self  # the evaluators move ground truths to CUDA
    out = {"generator": os.path.basename(__file__), "torch": torch.__version__,
           "case": os.path.basename(os.path.normpath(args.case))}
    local = {}
    with tempfile.TemporaryDirectory() as tmp:
        for task in ("avss", "s4"):
            out[task] = run_task(task, args, tmp, vctref)
            print(f"{task}: {out[task]['clips']} clips, {out[task]['frames']} frames: "
                  f"M_J {out[task]['M_J']:.9g} M_F {out[task]['M_F']:.9g}")
        for tc in args.task_case:
            task, case = tc.split("=", 1)
            local[task] = run_task(task, args, tmp, vctref, case=case)
            local[task]["case"] = case
            print(f"{task} (case {case}): {local[task]['clips']} clips, {local[task]['frames']} frames: "
                  f"M_J {local[task]['M_J']:.9g} M_F {local[task]['M_F']:.9g}")
    if local and args.local_out:
        with open(args.local_out, "w") as f:
            json.dump(local, f, indent=1, sort_keys=True)
            f.write("\n")
    path = os.path.join(HERE, "data", "eval_model.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("wrote", path)


if __name__ == "__main__":
    main()
