"""gen_msdeformattn.py: reference vectors for src/model/msdeformattn.c (the VCT pixel decoder).

Builds the OFFICIAL MSDeformAttnPixelDecoder (models/modeling/pixel_decoder/msdeformattn.py of
spyflying/VCT_AVS @ 9a18d2f, imported at run time from an export of that repository) at a small
size with perturbed weights (no constant tensor, so a dropped bias, norm affine or query path
shows), runs it on small odd-sized feature maps (batch 2) on the CPU (the official
ms_deform_attn_core_pytorch fallback, as the conformance harness), and writes:

  inputs   res2..res5; dout.mask_features, dout.ms.{0,1,2}
  outputs  mask_features, ms.{0,1,2} (multi_scale_features), spatial_shapes, level_start_index
  grads    (in msdeformattn_grads.safetensors) grad.<param> for every parameter and grad.res2..res5 of
           L = sum(mask_features*dout.mask_features) + sum_i sum(ms.i*dout.ms.i)
  params   param.<state_dict key> (the perturbed weights)
  pos.<H>x<W>  PositionEmbeddingSine(128, normalize=True) of an H x W map (fp32, 256 channels)

It also runs a float64 twin of the same module and records max|fp32 - fp64| per output in the
metadata (the C test's tolerances are set from these).

usage: /usr/bin/python3 gen_msdeformattn.py --official DIR --detectron2 DIR [--pypath DIR ...]
       (or VCT_OFFICIAL, VCT_DETECTRON2, VCT_PYPATH=dir:dir in the environment)
DIR is an export of the pinned revisions (see ../../../shared/conformance/harness/README.md):
  git -C <mirror> archive 9a18d2fd83906ae5ef42e8996dc7d1b46259debe | tar -x -C DIR
--pypath holds fvcore, iopath and yacs; the harness stubs (timm, MultiScaleDeformableAttention)
are appended to sys.path. Without the export this script prints "skipped" and keeps the
committed data.
"""
import argparse
import os
import sys
import types

import numpy as np
import torch

from refio import write_ref

HARNESS_STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                             "conformance", "harness", "stubs")

# the small configuration (the C test builds the same one)
CFG = dict(in_channels=[6, 10, 12, 16], conv_dim=64, mask_dim=16, n_heads=4, dim_ff=32, enc_layers=2)
SIZES = {"res2": (13, 11), "res3": (7, 6), "res4": (4, 3), "res5": (2, 3)}
B = 2
POS_SIZES = [(5, 7), (6, 4)]


def import_official(args):
    official = args.official or os.environ.get("VCT_OFFICIAL")
    d2 = args.detectron2 or os.environ.get("VCT_DETECTRON2")
    pypath = list(args.pypath or []) + [p for p in os.environ.get("VCT_PYPATH", "").split(":") if p]
    if not official or not d2 or not os.path.isdir(os.path.join(official, "models")):
        print("gen_msdeformattn.py: skipped (no export of the official VCT_AVS tree: pass --official and "
              "--detectron2, see the docstring); keeping the committed data")
        sys.exit(0)
    for p in [d2, official] + pypath:
        sys.path.insert(0, os.path.abspath(p))
    sys.path.append(os.path.abspath(HARNESS_STUBS))
    # import the pixel decoder without running models/__init__.py (which builds the whole
    # model, datasets and evaluators): register the parent packages by path only
    for name, sub in [("models", "models"), ("models.modeling", "models/modeling"),
                      ("models.modeling.transformer_decoder", "models/modeling/transformer_decoder")]:
        m = types.ModuleType(name)
        m.__path__ = [os.path.join(official, sub)]
        sys.modules[name] = m
    from detectron2.layers import ShapeSpec
    from models.modeling.pixel_decoder.msdeformattn import MSDeformAttnPixelDecoder
    from models.modeling.transformer_decoder.position_encoding import PositionEmbeddingSine
    return MSDeformAttnPixelDecoder, ShapeSpec, PositionEmbeddingSine


def perturb(model, gen):
    """move every parameter off its official init (zeros, ones, the offset grid) by a seeded amount"""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p.dtype)
            if p.dim() == 1 or name.endswith("level_embed"):
                p.add_(noise * 0.2)
            elif "sampling_offsets" in name or "attention_weights" in name:
                p.add_(noise * 0.08)
            else:
                p.add_(noise * (0.3 * float(p.std()) + 0.01))


def run(model, feats, douts):
    mf, _, ms = model.forward_features(feats)
    loss = (mf * douts["mask_features"]).sum()
    for i in range(3):
        loss = loss + (ms[i] * douts[f"ms.{i}"]).sum()
    loss.backward()
    return mf, ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--official")
    ap.add_argument("--detectron2")
    ap.add_argument("--pypath", action="append")
    args = ap.parse_args()
    Decoder, ShapeSpec, PosSine = import_official(args)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    names = ["res2", "res3", "res4", "res5"]
    shapes = {n: ShapeSpec(channels=c, stride=4 * 2 ** i) for i, (n, c) in enumerate(zip(names, CFG["in_channels"]))}
    model = Decoder(shapes, transformer_dropout=0.0, transformer_nheads=CFG["n_heads"],
                    transformer_dim_feedforward=CFG["dim_ff"], transformer_enc_layers=CFG["enc_layers"],
                    conv_dim=CFG["conv_dim"], mask_dim=CFG["mask_dim"], norm="GN",
                    transformer_in_features=["res3", "res4", "res5"], common_stride=4)
    gen = torch.Generator().manual_seed(1234)
    perturb(model, gen)
    model.train()  # dropout p = 0: train and eval compute the same; train keeps autograd simple
    feats = {n: torch.randn((B, CFG["in_channels"][i]) + SIZES[n], generator=gen).requires_grad_(True)
             for i, n in enumerate(names)}
    out_shapes = {"mask_features": (B, CFG["mask_dim"]) + SIZES["res2"],
                  "ms.0": (B, CFG["conv_dim"]) + SIZES["res5"], "ms.1": (B, CFG["conv_dim"]) + SIZES["res4"],
                  "ms.2": (B, CFG["conv_dim"]) + SIZES["res3"]}
    douts = {k: torch.randn(s, generator=gen) for k, s in out_shapes.items()}

    mf, ms = run(model, feats, douts)
    t = {}
    for n in names:
        t[n] = feats[n].detach()
        t["grad." + n] = feats[n].grad
    for k, v in douts.items():
        t["dout." + k] = v
    t["mask_features"] = mf.detach()
    for i in range(3):
        t[f"ms.{i}"] = ms[i].detach()
    sd = {}
    for k, p in model.named_parameters():
        t["param." + k] = p.detach().clone()
        t["grad." + k] = p.grad.clone()
        sd[k] = p
    n_params = sum(p.numel() for p in model.parameters())
    # spatial shapes / level start index as the official encoder computes them
    hw = [SIZES[n] for n in ["res5", "res4", "res3"]]
    t["spatial_shapes"] = np.array(hw, dtype=np.int64)
    t["level_start_index"] = np.array([0, hw[0][0] * hw[0][1], hw[0][0] * hw[0][1] + hw[1][0] * hw[1][1]],
                                      dtype=np.int64)
    pe = PosSine(128, normalize=True)  # the official 256-channel encoding
    for (h, w) in POS_SIZES:
        t[f"pos.{h}x{w}"] = pe(torch.zeros(1, 1, h, w))[0]

    # float64 twin: how far fp32 torch itself is from the exact result
    m64 = Decoder(shapes, transformer_dropout=0.0, transformer_nheads=CFG["n_heads"],
                  transformer_dim_feedforward=CFG["dim_ff"], transformer_enc_layers=CFG["enc_layers"],
                  conv_dim=CFG["conv_dim"], mask_dim=CFG["mask_dim"], norm="GN",
                  transformer_in_features=["res3", "res4", "res5"], common_stride=4).double()
    with torch.no_grad():
        for k, p in m64.named_parameters():
            p.copy_(sd[k].double())
    f64 = {n: feats[n].detach().double().requires_grad_(True) for n in names}
    # forward_features calls .float() on its inputs: a no-op on float64 tensors for the twin
    orig_float = torch.Tensor.float
    torch.Tensor.float = lambda x, *a, **k: x if x.dtype == torch.float64 else orig_float(x, *a, **k)
    torch.set_default_dtype(torch.float64)  # tensors the module creates (positions, masks)
    try:
        mf64, ms64 = run(m64, f64, {k: v.double() for k, v in douts.items()})
    finally:
        torch.Tensor.float = orig_float
        torch.set_default_dtype(torch.float32)
    meta = {"config": str(CFG), "sizes": str(SIZES), "batch": str(B), "n_params": str(n_params)}

    def err(a, b):
        return float((a.double() - b).abs().max()), float(b.abs().max())
    rows = [("mask_features", mf, mf64)] + [(f"ms.{i}", ms[i], ms64[i]) for i in range(3)]
    rows += [("grad." + n, feats[n].grad, f64[n].grad) for n in names]
    p64 = dict(m64.named_parameters())
    rows += [("grad." + k, p.grad, p64[k].grad) for k, p in model.named_parameters()]
    worst = 0.0
    for name, a, b in rows:
        e, s = err(a, b)
        worst = max(worst, e / max(s, 1e-30))
        meta["fp32_vs_fp64." + name] = f"{e:.3e} (scale {s:.3e})"
    print(f"worst fp32-vs-fp64 error relative to the tensor's max: {worst:.3e}")
    meta["fp32_vs_fp64.worst_rel"] = f"{worst:.3e}"
    # two files (each well under 1 MB): the gradients apart from everything else
    write_ref("msdeformattn", {k: v for k, v in t.items() if not k.startswith("grad.")}, meta)
    write_ref("msdeformattn_grads", {k: v for k, v in t.items() if k.startswith("grad.")}, meta)


if __name__ == "__main__":
    main()
