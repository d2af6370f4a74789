"""gen_lr_sched.py: reference LRs for src/train/lr_scheduler.c from detectron2's own schedulers.

For each case a detectron2 config (get_cfg + add_deeplab_config, as train_net.py setup() builds
it, then the case's SOLVER overrides) builds an SGD optimizer with two param groups (lr BASE_LR
and BASE_LR * 0.1, the backbone multiplier) and the scheduler with the DeepLab
`build_lr_scheduler` that train_net.py calls (WarmupPolyLR there, detectron2's
build_lr_scheduler otherwise: LRMultiplier over the fvcore schedules). The scheduler is put at
iteration it as the conformance harness does (last_epoch = it - 1; step()), and both groups' lr
is recorded for it = 0 .. MAX_ITER (the VCT case: every 97th of 0 .. 45000 and the last three).
Where detectron2 raises (StepWithFixedGamma at MAX_ITER) the record stops and the metadata says
at which iteration it raised.

Stored per case c: <c>.iters i64 [N], <c>.lr f64 [N, 2]; metadata <c>.solver_yaml = the SOLVER
node dumped by the config (what the C test parses), <c>.raises_at.

usage: /usr/bin/python3 gen_lr_sched.py --detectron2 DIR [--pypath DIR ...]
       (or VCT_DETECTRON2, VCT_PYPATH=dir:dir in the environment; --pypath holds fvcore, iopath,
       yacs). The harness stubs (pycocotools) are appended to sys.path. Without detectron2 this
       script prints "skipped" and keeps the committed data.
"""
import argparse
import os
import sys
import warnings

import torch

from refio import write_ref

HARNESS_STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                             "conformance", "harness", "stubs")

CASES = {
    "vct": dict(LR_SCHEDULER_NAME="WarmupPolyLR", MAX_ITER=45000, WARMUP_ITERS=0, WARMUP_FACTOR=1.0,
                POLY_LR_POWER=0.9, POLY_LR_CONSTANT_ENDING=0.0),
    "poly_warm_linear": dict(LR_SCHEDULER_NAME="WarmupPolyLR", MAX_ITER=1000, WARMUP_ITERS=100,
                             WARMUP_FACTOR=0.001, WARMUP_METHOD="linear", POLY_LR_POWER=0.9),
    "poly_const_ending": dict(LR_SCHEDULER_NAME="WarmupPolyLR", MAX_ITER=1000, WARMUP_ITERS=37,
                              WARMUP_FACTOR=0.1, WARMUP_METHOD="constant", POLY_LR_POWER=2.0,
                              POLY_LR_CONSTANT_ENDING=0.05),
    "multistep": dict(LR_SCHEDULER_NAME="WarmupMultiStepLR", MAX_ITER=1000, STEPS=(300, 700, 1200), GAMMA=0.1,
                      WARMUP_ITERS=50, WARMUP_FACTOR=0.001, WARMUP_METHOD="linear"),
    "multistep_rescale": dict(LR_SCHEDULER_NAME="WarmupMultiStepLR", MAX_ITER=1000, STEPS=(300, 700), GAMMA=0.5,
                              WARMUP_ITERS=100, WARMUP_FACTOR=0.01, WARMUP_METHOD="linear", RESCALE_INTERVAL=True),
    "cosine": dict(LR_SCHEDULER_NAME="WarmupCosineLR", MAX_ITER=1000, BASE_LR_END=1e-6, WARMUP_ITERS=50,
                   WARMUP_FACTOR=0.01, WARMUP_METHOD="linear"),
    "cosine_nowarm": dict(LR_SCHEDULER_NAME="WarmupCosineLR", MAX_ITER=777, BASE_LR_END=0.0, WARMUP_ITERS=0),
    "step_gamma": dict(LR_SCHEDULER_NAME="WarmupStepWithFixedGammaLR", MAX_ITER=1000, GAMMA=0.5, NUM_DECAYS=3,
                       WARMUP_ITERS=20, WARMUP_FACTOR=0.1, WARMUP_METHOD="constant"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detectron2", default=os.environ.get("VCT_DETECTRON2"))
    ap.add_argument("--pypath", action="append", default=[p for p in os.environ.get("VCT_PYPATH", "").split(":") if p])
    args = ap.parse_args()
    if not args.detectron2 or not os.path.isdir(os.path.join(args.detectron2, "detectron2")):
        print("gen_lr_sched.py: skipped (no detectron2 tree: pass --detectron2 or set VCT_DETECTRON2); "
              "keeping the committed data")
        return
    for p in [args.detectron2] + args.pypath:
        sys.path.insert(0, os.path.abspath(p))
    sys.path.append(os.path.abspath(HARNESS_STUBS))
    from detectron2.config import CfgNode, get_cfg
    from detectron2.projects.deeplab import add_deeplab_config, build_lr_scheduler

    T, meta = {}, {"cases": ",".join(CASES)}
    for name, over in CASES.items():
        cfg = get_cfg()
        add_deeplab_config(cfg)
        # the SOLVER keys the official add_maskformer2_config adds (models/config.py), so that the
        # dump is a complete solver config for the C side
        cfg.SOLVER.WEIGHT_DECAY_EMBED = 0.0
        cfg.SOLVER.OPTIMIZER = "ADAMW"
        cfg.SOLVER.BACKBONE_MULTIPLIER = 0.1
        cfg.SOLVER.BASE_LR = 1e-4
        for k, v in over.items():
            setattr(cfg.SOLVER, k, v)
        base = cfg.SOLVER.BASE_LR
        params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
        opt = torch.optim.SGD([{"params": [params[0]], "lr": base}, {"params": [params[1]], "lr": base * 0.1}], base)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = build_lr_scheduler(cfg, opt)
        m = cfg.SOLVER.MAX_ITER
        its = list(range(0, m + 1)) if m <= 1000 else sorted(set(range(0, m + 1, 97)) | {m - 2, m - 1, m})
        got, raises = [], -1
        for it in its:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sched.last_epoch = it - 1
                    sched.step()
            except (IndexError, ValueError, RuntimeError):
                raises = it
                break
            got.append([g["lr"] for g in opt.param_groups])
        T[f"{name}.iters"] = torch.tensor(its[:len(got)], dtype=torch.int64)
        T[f"{name}.lr"] = torch.tensor(got, dtype=torch.float64)
        meta[f"{name}.solver_yaml"] = CfgNode({"SOLVER": cfg.SOLVER}).dump()
        meta[f"{name}.raises_at"] = str(raises)
        meta[f"{name}.class"] = type(sched).__name__
    write_ref("lr_sched", T, meta)


if __name__ == "__main__":
    main()
