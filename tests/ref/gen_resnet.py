"""gen_resnet.py: reference vectors for tests/backbone/test_resnet.c, from detectron2's OWN
ResNet backbone (detectron2/modeling/backbone/resnet.py build_resnet_backbone with
FrozenBatchNorm2d, imported at run time from an export; nothing of it is copied here).

usage: /usr/bin/python3 tests/ref/gen_resnet.py [--detectron2 DIR] [--pypath DIR ...] [--full OUT]
       (or VCT_DETECTRON2 and VCT_PYPATH=dir:dir in the environment)
  DIR      an export of github facebookresearch/detectron2 @ b15f64ec4429e23a148972175a0207c5a9ab84cf
           (git -C <mirror> archive b15f64ec... | tar -x -C DIR)
  --pypath directories holding fvcore, iopath and yacs (see ../../../shared/conformance/harness/README.md);
           the harness stubs (pycocotools, import only) are appended to sys.path
  --full   write the full-size check instead (Mask2Former's R50 at 384x384, batch 1) to OUT
           (tests/long/backbones_384.sh; ~350 MB, never committed), with the gradients of a
           float64 twin of the network as grad64.* (see twin64); --size changes the side
Without the export it prints "skipped" and keeps the committed data.

What it builds (all through build_resnet_backbone on a detectron2 config, then the stages cut
to fewer blocks by deleting trailing blocks of the built nn.Sequential stages):
  a: the Mask2Former R50 settings (NORM FrozenBN, STRIDE_IN_1X1 False, FREEZE_AT 0,
     RES5_DILATION 1, NUM_GROUPS 1) at reduced widths: stem 8, res2 16, width/group 4,
     blocks [2,1,2,1]; images [2,3,37,41] (odd sizes: every conv and the max pool floor)
  b: the other code paths: STRIDE_IN_1X1 True, NUM_GROUPS 2 x WIDTH_PER_GROUP 2, RES5_DILATION 2,
     FREEZE_AT 2,
     stem 16 = res2 16 (res2.0 has no shortcut), blocks [1,2,1,2]; images [1,3,29,35]
Every conv weight and every FrozenBN buffer (weight, bias, running_mean, running_var) is
perturbed off its init, so no tensor is constant; in a and b the convs are then scaled by
0.01 and the BN statistics to match (running_var ~1e-4), so FrozenBN's eps matters. The input requires grad, so FrozenBN runs
its x * scale + bias branch (the C form); the no-grad F.batch_norm branch is recorded as eval.*.
Writes (a in resnet.safetensors, b in resnet_b.safetensors): the state_dict under
"backbone.<key>", images, res2..res5, eval.res2..res5, dout.res2..res5, grad.<param> of
L = sum_k <res_k, dout_k> and grad.images; metadata: the config and the full merged
detectron2 config (yaml) of Mask2Former's R50 and of detectron2's defaults (for the C
config reader).
"""
import argparse
import copy
import os
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refio import write_ref, write_safetensors, FORMAT_VERSION  # noqa: E402

HARNESS_STUBS = os.path.join(HERE, "..", "..", "..", "shared", "conformance", "harness", "stubs")


def import_d2(args):
    d2 = args.detectron2 or os.environ.get("VCT_DETECTRON2", "")
    pypath = list(args.pypath or []) + [p for p in os.environ.get("VCT_PYPATH", "").split(":") if p]
    if not d2 or not os.path.isfile(os.path.join(d2, "detectron2", "__init__.py")):
        print("gen_resnet.py: skipped (no export of detectron2: pass --detectron2 and --pypath, see the "
              "docstring); keeping the committed data")
        sys.exit(0)
    for p in [d2] + pypath:
        sys.path.insert(0, os.path.abspath(p))
    sys.path.append(os.path.abspath(HARNESS_STUBS))  # pycocotools (import only)
    from detectron2.config import get_cfg
    from detectron2.layers import ShapeSpec
    from detectron2.modeling.backbone.resnet import build_resnet_backbone
    return get_cfg, ShapeSpec, build_resnet_backbone


def mask2former_r50(get_cfg):
    """MODEL.* of Mask2Former's R50 configs (configs/*/Base-*.yaml): FREEZE_AT 0, DEPTH 50,
    STEM_OUT_CHANNELS 64, STRIDE_IN_1X1 False, OUT_FEATURES res2..res5, NORM left at FrozenBN"""
    cfg = get_cfg()
    cfg.MODEL.BACKBONE.NAME = "build_resnet_backbone"
    cfg.MODEL.BACKBONE.FREEZE_AT = 0
    cfg.MODEL.RESNETS.DEPTH = 50
    cfg.MODEL.RESNETS.STEM_OUT_CHANNELS = 64
    cfg.MODEL.RESNETS.STRIDE_IN_1X1 = False
    cfg.MODEL.RESNETS.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
    cfg.MODEL.PIXEL_MEAN = [123.675, 116.280, 103.530]
    cfg.MODEL.PIXEL_STD = [58.395, 57.120, 57.375]
    return cfg


class Net(nn.Module):
    """state_dict keys as in VCT: backbone.<detectron2 key>"""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        return self.backbone(x)


def build(get_cfg, ShapeSpec, build_resnet_backbone, cfg, blocks):
    torch.manual_seed(0)
    bb = build_resnet_backbone(cfg, ShapeSpec(channels=3))
    if blocks is not None:
        for s, n in enumerate(blocks):
            stage = getattr(bb, f"res{s + 2}")
            while len(stage) > n:
                del stage[len(stage) - 1]
    return Net(bb)


def perturb(net, gen, eps_visible):
    """every float tensor of the state_dict off its init; FrozenBN stays a sane affine map"""
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if not t.is_floating_point():
                continue
            noise = torch.randn(t.shape, generator=gen)
            if name.endswith("norm.weight"):
                t.copy_(1.0 + 0.15 * noise)
            elif name.endswith("norm.bias") or name.endswith("running_mean"):
                t.copy_(0.1 * noise)
            elif name.endswith("running_var"):
                t.copy_(1.0 + 0.3 * torch.rand(t.shape, generator=gen))
            else:
                t.add_(0.1 * t.std() * noise)
            assert t.numel() == 1 or t.std().item() > 0, name
        if eps_visible:
            # every conv 100x smaller and its FrozenBN statistics to match (mean / 100,
            # var / 1e4): the same function, except that eps (1e-5) is now ~10% of
            # running_var + eps, so a wrong eps shows
            sd = net.state_dict()
            for name, t in sd.items():
                if name.endswith("running_var"):
                    base = name[: -len("norm.running_var")]
                    sd[base + "weight"].mul_(0.01)
                    sd[base + "norm.running_mean"].mul_(0.01)
                    t.mul_(1e-4)


def run(net, images, gen):
    out = {}
    with torch.no_grad():
        ev = net(images)
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
    n_params = 0
    for k, p in net.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and p.grad.abs().max() > 0, k
            out["grad." + k] = p.grad
            n_params += 1
    return out, n_params


def twin64(net, images, out):
    """the same network in float64 on the same input and douts: out64.res*, grad64.<param>,
    grad64.images (stored as float32). ReLU and max-pool kinks make float32 gradients of a full-size ResNet
    differ from the float64 ones by up to a few % in places (one pre-activation within
    rounding of 0 switches a whole row of a weight gradient), torch's own float32 included;
    the long check judges the C gradients against this twin, next to torch's float32 spread."""
    net64 = copy.deepcopy(net).double()
    x = images.double().requires_grad_(True)
    feats = net64(x)
    loss = sum((feats[k] * out["dout." + k].double()).sum() for k in feats)
    loss.backward()
    for k in feats:
        out["out64." + k] = feats[k].detach().float()
    for k, p in net64.named_parameters():
        if p.requires_grad:
            out["grad64." + k] = p.grad.float()
    out["grad64.images"] = x.grad.float()


def meta_of(cfg, blocks, extra):
    r = cfg.MODEL.RESNETS
    m = {"stem_out_channels": r.STEM_OUT_CHANNELS, "res2_out_channels": r.RES2_OUT_CHANNELS,
         "num_groups": r.NUM_GROUPS, "width_per_group": r.WIDTH_PER_GROUP,
         "blocks": ",".join(str(b) for b in blocks), "stride_in_1x1": int(r.STRIDE_IN_1X1),
         "res5_dilation": r.RES5_DILATION, "freeze_at": cfg.MODEL.BACKBONE.FREEZE_AT}
    m.update(extra)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detectron2")
    ap.add_argument("--pypath", action="append")
    ap.add_argument("--full")
    ap.add_argument("--size", type=int, default=384, help="with --full: the image side (384)")
    args = ap.parse_args()
    get_cfg, ShapeSpec, build_resnet_backbone = import_d2(args)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

    if args.full:
        cfg = mask2former_r50(get_cfg)
        net = build(get_cfg, ShapeSpec, build_resnet_backbone, cfg, None)
        gen = torch.Generator().manual_seed(11)
        perturb(net, gen, False)
        images = torch.randn(1, 3, args.size, args.size, generator=gen)
        out, n = run(net, images, gen)
        twin64(net, images, out)
        m = {"format_version": FORMAT_VERSION, "generator": os.path.basename(sys.argv[0]),
             "torch": torch.__version__}
        m.update(meta_of(cfg, [3, 4, 6, 3], {"n_params": n}))
        write_safetensors(args.full, out, m)
        print(f"wrote {args.full} ({len(out)} tensors)")
        return

    yaml_m2f = mask2former_r50(get_cfg).dump()
    d2def = get_cfg()
    d2def.MODEL.RESNETS.OUT_FEATURES = ["res2", "res3", "res4", "res5"]
    yaml_d2 = d2def.dump()

    # a: Mask2Former's settings, reduced widths and blocks
    cfg = mask2former_r50(get_cfg)
    cfg.MODEL.RESNETS.STEM_OUT_CHANNELS = 8
    cfg.MODEL.RESNETS.RES2_OUT_CHANNELS = 16
    cfg.MODEL.RESNETS.WIDTH_PER_GROUP = 4
    blocks = [2, 1, 2, 1]
    net = build(get_cfg, ShapeSpec, build_resnet_backbone, cfg, blocks)
    gen = torch.Generator().manual_seed(1)
    perturb(net, gen, True)
    images = torch.randn(2, 3, 37, 41, generator=gen)
    out, n = run(net, images, gen)
    write_ref("resnet", out, meta_of(cfg, blocks, {"n_params": n, "config_mask2former_r50": yaml_m2f,
                                                     "config_detectron2_default": yaml_d2}))

    # b: the remaining code paths
    cfg = mask2former_r50(get_cfg)
    cfg.MODEL.BACKBONE.FREEZE_AT = 2
    cfg.MODEL.RESNETS.STRIDE_IN_1X1 = True
    cfg.MODEL.RESNETS.NUM_GROUPS = 2
    cfg.MODEL.RESNETS.WIDTH_PER_GROUP = 2
    cfg.MODEL.RESNETS.RES5_DILATION = 2
    cfg.MODEL.RESNETS.STEM_OUT_CHANNELS = 16
    cfg.MODEL.RESNETS.RES2_OUT_CHANNELS = 16
    blocks = [1, 2, 1, 2]
    net = build(get_cfg, ShapeSpec, build_resnet_backbone, cfg, blocks)
    gen = torch.Generator().manual_seed(2)
    perturb(net, gen, True)
    images = torch.randn(1, 3, 29, 35, generator=gen)
    out, n = run(net, images, gen)
    write_ref("resnet_b", out, meta_of(cfg, blocks, {"n_params": n}))


if __name__ == "__main__":
    main()
