"""gen_pvt.py: reference vectors for tests/backbone/test_pvt.c, from the OFFICIAL PVT-v2
(models/modeling/backbone/pvtv2.py of spyflying/VCT_AVS @ 9a18d2f, imported at run time from
an export; nothing of it is copied here).

usage: /usr/bin/python3 tests/ref/gen_pvt.py [--official DIR] [--detectron2 DIR] [--pypath DIR ...]
                                             [--full OUT]
       (or VCT_OFFICIAL, VCT_DETECTRON2, VCT_PYPATH=dir:dir in the environment)
  --official    an export of github spyflying/VCT_AVS @ 9a18d2fd83906ae5ef42e8996dc7d1b46259debe
  --detectron2  an export of facebookresearch/detectron2 @ b15f64ec4429e23a148972175a0207c5a9ab84cf
                (pvtv2.py imports detectron2's Backbone, registry, FPN and ShapeSpec)
  --pypath      directories holding fvcore, iopath and yacs; the conformance harness stubs (timm,
                pycocotools) are appended to sys.path
  --full        write the full-size check instead (build_pvtv2_b5_backbone at 384x384, batch 1) to
                OUT (tests/long/backbones_384.sh; about 700 MB, never committed). Gradients in
                eval mode (no drop path: with batch 1 a dropped block has all-zero gradients,
                which would hide it; the small case covers drop path); --size changes the side
Without the exports it prints "skipped" and keeps the committed data.

Small case (pvt.safetensors): PyramidVisionTransformerV2(embed_dims [8,16,24,32], num_heads
[1,2,3,4] (head dim 8: the scale 8^-0.5 is not a power of two, so where it is applied shows),
mlp_ratios [4,2,2,3], depths [1,2,2,1], sr_ratios [8,4,2,1], qkv_bias True, LN eps 1e-6,
drop_path_rate 0.3), images [2,3,64,53]: stage maps 16x14, 8x7, 4x4, 2x2, reduced key maps
2x1, 2x1, 2x2 (odd sizes: the strided convs floor; at least two keys everywhere, so q and k
get gradients). Every float parameter is moved off its init (trunc-normal / zero / one /
fan-out normal): 2-d weights get noise of std 1/sqrt(fan_in), the rest as gen_swin.py; then
the patch embeddings (conv and norm), attn.proj, attn.sr and mlp.fc2 are scaled by 0.01, so
the LayerNorm inputs have variance ~1e-4 and every LayerNorm eps shows.
Train mode with drop path; the keep masks are recorded in draw order as rng.NNNN.droppath_keep
(timm 0.6.5 drop_path re-stated with a recorder, as the harness stub). Writes the state_dict
under backbone.<key>, images, the train-mode res2..res5, eval.res2..res5 (eval mode: no drop
path), dout.*, grad.<param> of L = sum_k <res_k, dout_k>, grad.images, and dpr_b5 =
float32 torch.linspace(0, 0.1, 52) (B5's drop-path rates).
"""
import argparse
import importlib.util
import os
import sys
import types
from functools import partial

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refio import write_ref, write_safetensors, FORMAT_VERSION  # noqa: E402

HARNESS_STUBS = os.path.join(HERE, "..", "..", "..", "shared", "conformance", "harness", "stubs")
DRAWS = []


def import_pvt(args):
    official = args.official or os.environ.get("VCT_OFFICIAL", "")
    d2 = args.detectron2 or os.environ.get("VCT_DETECTRON2", "")
    pypath = list(args.pypath or []) + [p for p in os.environ.get("VCT_PYPATH", "").split(":") if p]
    src = os.path.join(official, "models", "modeling", "backbone", "pvtv2.py")
    if not os.path.isfile(src) or not os.path.isfile(os.path.join(d2, "detectron2", "__init__.py")):
        print("gen_pvt.py: skipped (no export of the official VCT_AVS tree and detectron2: pass --official, "
              "--detectron2 and --pypath, see the docstring); keeping the committed data")
        sys.exit(0)
    for p in [d2] + pypath:
        sys.path.insert(0, os.path.abspath(p))
    sys.path.append(os.path.abspath(HARNESS_STUBS))
    spec = importlib.util.spec_from_file_location("vct_pvtv2", src)  # not via models/__init__.py
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    timm_layers = sys.modules["timm.models.layers"]

    def drop_path_rec(x, drop_prob=0.0, training=False, scale_by_keep=True):
        """timm 0.6.5 drop_path (as the harness stub) that records its keep mask"""
        if drop_prob == 0.0 or not training:
            return x
        keep_prob = 1 - drop_prob
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
        DRAWS.append(random_tensor.clone())
        if keep_prob > 0.0 and scale_by_keep:
            random_tensor.div_(keep_prob)
        return x * random_tensor

    timm_layers.drop_path = drop_path_rec  # DropPath.forward looks it up at call time
    return mod


class Net(nn.Module):
    """state_dict keys as in VCT: backbone.<pvtv2 key>"""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        return self.backbone(x)


def perturb(net, gen, eps_visible):
    with torch.no_grad():
        for name, p in net.named_parameters():
            if p.dim() == 2:
                p.add_(torch.randn(p.shape, generator=gen) / p.shape[1] ** 0.5)
                continue
            std = p.std().item() if p.numel() > 1 else 0.0
            if std > 0:
                p.add_(0.1 * std * torch.randn(p.shape, generator=gen))
            else:
                c = p.flatten()[0].item()
                p.add_((0.1 * abs(c) if c != 0 else 0.05) * torch.randn(p.shape, generator=gen))
            assert p.numel() == 1 or p.std().item() > 0, name
        if eps_visible:
            # token stream and LayerNorm inputs ~100x smaller (variance ~1e-4): the
            # LayerNorm eps (1e-6 in norm_layer, 1e-5 in the patch and sr norms) matters
            for name, p in net.named_parameters():
                if any(k in name for k in ("patch_embed", "attn.proj.", "mlp.fc2.", "attn.sr.")) and \
                        "norm." not in name:
                    p.mul_(0.01)
                elif "patch_embed" in name and "norm." in name:
                    p.mul_(0.01)


def run(net, images, gen, want_drop, train=True):
    """eval outputs, then train mode on the tape with recorded draws; seed chosen so that at
    least one keep mask drops (when want_drop). train=False: the gradients in eval mode too
    (no drop path)"""
    out = {}
    net.eval()
    with torch.no_grad():
        ev = net(images)
    net.train(train)
    seed = 0
    for seed in range(200 if train else 0):
        DRAWS.clear()
        torch.manual_seed(seed)
        with torch.no_grad():
            net(images)
        allm = torch.cat([d.flatten() for d in DRAWS]) if DRAWS else torch.ones(1)
        if not want_drop or (allm.min() == 0 and allm.max() == 1):
            break
    DRAWS.clear()
    torch.manual_seed(seed)
    x = images.clone().requires_grad_(True)
    feats = net(x)
    douts = {k: torch.randn(v.shape, generator=gen) for k, v in feats.items()}
    loss = sum((feats[k] * douts[k]).sum() for k in feats)
    loss.backward()
    for k in feats:
        out[k] = feats[k].detach()
        out["eval." + k] = ev[k]
        out["dout." + k] = douts[k]
    out["images"] = images
    out["grad.images"] = x.grad
    for k, v in net.state_dict().items():
        out[k] = v.clone()
    for k, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().max() > 0, k
        out["grad." + k] = p.grad
    for i, d in enumerate(DRAWS):
        out[f"rng.{i:04d}.droppath_keep"] = d.float()
    return out, seed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--official")
    ap.add_argument("--detectron2")
    ap.add_argument("--pypath", action="append")
    ap.add_argument("--full")
    ap.add_argument("--size", type=int, default=384, help="with --full: the image side (384)")
    args = ap.parse_args()
    pvtv2 = import_pvt(args)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    outf = ["res2", "res3", "res4", "res5"]

    if args.full:
        cfg = types.SimpleNamespace(MODEL=types.SimpleNamespace(PVT=types.SimpleNamespace(OUT_FEATURES=outf)))
        torch.manual_seed(0)
        net = Net(pvtv2.build_pvtv2_b5_backbone(cfg, None))
        gen = torch.Generator().manual_seed(21)
        perturb(net, gen, False)
        images = torch.randn(1, 3, args.size, args.size, generator=gen)
        out, seed = run(net, images, gen, want_drop=False, train=False)
        m = {"format_version": FORMAT_VERSION, "generator": os.path.basename(sys.argv[0]),
             "torch": torch.__version__, "draw_seed": seed, "n_draws": len(DRAWS)}
        write_safetensors(args.full, out, m)
        print(f"wrote {args.full} ({len(out)} tensors, {len(DRAWS)} draws)")
        return

    torch.manual_seed(0)
    bb = pvtv2.PyramidVisionTransformerV2(
        embed_dims=[8, 16, 24, 32], num_heads=[1, 2, 3, 4], mlp_ratios=[4, 2, 2, 3], qkv_bias=True,
        norm_layer=partial(nn.LayerNorm, eps=1e-6), depths=[1, 2, 2, 1], sr_ratios=[8, 4, 2, 1],
        drop_rate=0.0, drop_path_rate=0.3, out_features=outf)
    net = Net(bb)
    gen = torch.Generator().manual_seed(3)
    perturb(net, gen, True)
    images = torch.randn(2, 3, 64, 53, generator=gen)
    out, seed = run(net, images, gen, want_drop=True)
    out["dpr_b5"] = torch.linspace(0, 0.1, 3 + 6 + 40 + 3)  # B5's stochastic-depth rule, float32
    write_ref("pvt", out, {"draw_seed": seed, "embed_dims": "8,16,24,32", "num_heads": "1,2,3,4",
                           "mlp_ratios": "4,2,2,3", "depths": "1,2,2,1", "sr_ratios": "8,4,2,1",
                           "drop_path_rate": 0.3})


if __name__ == "__main__":
    main()
