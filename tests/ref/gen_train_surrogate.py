"""The official model's training-mode backward on a conformance case, with a
surrogate loss instead of the criterion, for tests/model/test_vct_train.c.

The case's model (model_best.pth, rebuilt with the harness: vctref.optim.load_case_model)
runs one training step exactly as run_ref.py does (model.train(), the case's recorded
drop-path and Gumbel draws replayed with vctref.capture.RandomDraws), but the
criterion is replaced by

    L = sum_o mean(out_o * R_o)

over out_o = pred_logits / pred_masks of every prediction (aux 0..L-1, final) and
feats.audio_feat / feats.proto_feat, with R_o = torch.randn(out_o.shape,
generator=torch.Generator().manual_seed(SEED + o)) in that order (o = 0, 1, ...):
the C test draws the same R_o with core/rng.c's torch_normal_f32. So every
gradient path of the model except the criterion (and criterion.logit_scale) is
checked against torch before the criterion exists. The same step runs on a float64
twin of the model (vctref.precision, as the case's tolerances are measured). Writes
OUT.npz: "loss", "loss64", and "grad.<name>" / "grad64.<name>" (float32 run /
float64 twin) for every trainable parameter (zeros where torch has none).

usage: gen_train_surrogate.py CASE_DIR OUT.npz   (needs VCT_OFFICIAL, VCT_DETECTRON2,
       VCT_PYPATH as tests/ref/gen_pvt.py; exits 77 without them)
"""
import argparse
import json
import os
import sys
import tempfile

SEED = 7700  # R_o seed base (test_vct_train.c: SURROGATE_SEED)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("out")
    ap.add_argument("--harness", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "../../../shared/conformance/harness"))
    a = ap.parse_args()
    official, d2 = os.environ.get("VCT_OFFICIAL", ""), os.environ.get("VCT_DETECTRON2", "")
    pypath = [p for p in os.environ.get("VCT_PYPATH", "").split(":") if p]
    if not official or not d2:
        print("gen_train_surrogate.py: skipped (set VCT_OFFICIAL, VCT_DETECTRON2, VCT_PYPATH)")
        sys.exit(77)
    sys.path.insert(0, os.path.abspath(a.harness))
    import run_ref as R  # the harness's driver (build, setup_env, prepare_train_clip)
    import numpy as np
    import torch
    from vctref import optim as O
    from vctref.capture import RandomDraws
    from vctref.inputs import make_clip, make_targets

    args = argparse.Namespace(official=official, detectron2=d2, pypath=pypath, threads=2)
    R.setup_env(args)
    bargs = O.build_args_from_case(args, a.case)
    cfg, _, model, _ = O.load_case_model(bargs, R, a.case)
    man = json.load(open(os.path.join(a.case, "manifest.json")))
    tz = np.load(os.path.join(a.case, "train.npz"))
    draws = RandomDraws.from_arrays({e["key"]: tz[e["key"]] for e in man["rng_draws"]}, man["rng_draws"])
    work = tempfile.mkdtemp(prefix="vct_surrogate_")
    clip, _ = make_clip(cfg, seed=bargs.input_seed, frames=bargs.frames, clip_type=bargs.clip_type,
                        audio_sr=bargs.audio_sr, audio_channels=bargs.audio_channels, work_dir=work)
    # the clip must be the case's (inputs.npz): the harness regenerates it from the seed
    inp = np.load(os.path.join(a.case, "inputs.npz"))
    assert np.array_equal(clip["images"].numpy(), inp["frames"]), "regenerated frames differ from inputs.npz"
    instances, _ = make_targets(cfg, clip, seed=bargs.input_seed)
    tclip = R.prepare_train_clip(model, cfg, clip, instances)

    def surrogate(outputs, targets, *rest):
        outs = []
        for aux in outputs["aux_outputs"]:
            outs += [aux["pred_logits"], aux["pred_masks"]]
        outs += [outputs["pred_logits"], outputs["pred_masks"]]
        if "feats" in outputs:
            outs += [outputs["feats"]["audio_feat"], outputs["feats"]["proto_feat"]]
        loss = 0
        for o, v in enumerate(outs):
            r = torch.randn(v.shape, generator=torch.Generator().manual_seed(SEED + o), dtype=torch.float32)
            loss = loss + (v * r).mean()
        return {"loss_surrogate": loss}

    def step(m, c):
        m.criterion.forward = surrogate
        m.criterion.weight_dict["loss_surrogate"] = 1.0
        m.train()
        m.zero_grad(set_to_none=True)
        rd = RandomDraws("replay", draws)
        hooks = rd.name_droppaths(m)
        with rd:
            total = sum(m([c]).values())
            total.backward()
        for h in hooks:
            h.remove()
        g = {n: (torch.zeros_like(p) if p.grad is None else p.grad).detach().double().numpy()
             for n, p in m.named_parameters() if p.requires_grad}
        return float(total), g, rd.pos

    from vctref import precision as P
    model64 = P.double_model(model)
    loss, g32, npos = step(model, tclip)
    with P.float64_mode():
        tclip64 = R.prepare_train_clip(model64, cfg, P.to_double_clip(clip), instances)
        loss64, g64, _ = step(model64, tclip64)
    out = {"loss": np.array([loss], np.float32), "loss64": np.array([loss64])}
    for n in g32:
        out["grad." + n] = g32[n].astype(np.float32)
        out["grad64." + n] = g64[n]
    total = loss
    np.savez(a.out, **out)
    print(f"gen_train_surrogate.py: loss {total:.6f} (float64 {loss64:.6f}), {len(g32)} gradients, {npos} draws "
          f"-> {a.out}")


if __name__ == "__main__":
    main()
