"""gen_swin.py: reference vectors for tests/backbone/test_swin.c, from the OFFICIAL
module definitions imported at run time (nothing of them is copied here).

usage: /usr/bin/python3 tests/ref/gen_swin.py [OFFICIAL_DIR [STUBS_DIR]]
  OFFICIAL_DIR  an export of github spyflying/VCT_AVS @ 9a18d2fd83906ae5ef42e8996dc7d1b46259debe
                (git -C <mirror> archive 9a18d2fd... | tar -x -C OFFICIAL_DIR)
  STUBS_DIR     the conformance harness stubs (timm stand-in); default
                ../shared/conformance/harness/stubs next to the repository
OFFICIAL_DIR defaults to $VCT_OFFICIAL (so `VCT_OFFICIAL=... make ref` regenerates it); without
either it says so and exits 0 without writing anything.

What it builds (small, so padding happens everywhere):
  backbone = swinb.SwinTransformer(patch 4, embed 16, depths [2,2], heads [1,2], window 7,
             mlp ratio 2, drop path 0.3, out_indices (0,1)), pre_sam_backbone = a second one,
  scale_factor_module = [misc.channel_weighted_block(16), (32)],
  images, maskige [2,3,37,41] -> tokens 10x11 (patch pad) -> windows on 14x14 (attention pad),
  patch merging of 10x11 (odd: pad) -> 5x6 -> one padded 7x7 window with the shift.
Every float parameter is perturbed (none constant). VCT.forward's fusion is re-stated
(F + g * P, three lines). Train mode with drop path; the keep masks are recorded in
draw order under rng.NNNN.droppath_keep (timm 0.6.5 drop_path re-stated with a recorder).
Writes: the parameters under their state_dict keys, the relative_position_index buffers
of the backbone, inputs, train-mode outputs, eval-mode outputs, the loss weights dout.*,
grad.<param>, grad.images, grad.maskige, and torch.linspace drop-path rates.
"""
import importlib.util
import os
import sys
import types

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refio import write_ref  # noqa: E402

OFFICIAL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("VCT_OFFICIAL", "")
if not os.path.isdir(os.path.join(OFFICIAL, "models")):
    print("gen_swin.py: skipped: give the export of the official VCT_AVS code as the first argument "
          "or in $VCT_OFFICIAL")
    sys.exit(0)
STUBS = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "..", "..", "shared", "conformance", "harness", "stubs")
sys.path.insert(0, STUBS)

# swinb.py imports detectron2.modeling for the D2 wrapper only; misc.py imports torchvision
# for a helper we do not call. Minimal stand-ins:
d2 = types.ModuleType("detectron2")
d2m = types.ModuleType("detectron2.modeling")


class _Registry:
    def register(self, *a):
        return lambda c: c


d2m.BACKBONE_REGISTRY = _Registry()
d2m.Backbone = nn.Module
d2m.ShapeSpec = lambda **kw: kw
d2.modeling = d2m
sys.modules.setdefault("detectron2", d2)
sys.modules.setdefault("detectron2.modeling", d2m)
tv = types.ModuleType("torchvision")
tv._is_tracing = lambda: False
sys.modules.setdefault("torchvision", tv)


def load(name, rel):
    spec = importlib.util.spec_from_file_location(name, os.path.join(OFFICIAL, rel))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


swinb = load("vct_swinb", "models/modeling/backbone/swinb.py")
misc = load("vct_misc", "models/utils/misc.py")
timm_layers = sys.modules["timm.models.layers"]

# ---- drop path with a recorder (timm 0.6.5 semantics, as the harness stub) ----
DRAWS = []


def drop_path_rec(x, drop_prob=0.0, training=False, scale_by_keep=True):
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

CFG = dict(pretrain_img_size=224, patch_size=4, in_chans=3, embed_dim=16, depths=[2, 2], num_heads=[1, 2],
           window_size=7, mlp_ratio=2.0, qkv_bias=True, qk_scale=None, drop_rate=0.0, attn_drop_rate=0.0,
           drop_path_rate=0.3, norm_layer=nn.LayerNorm, ape=False, patch_norm=True, out_indices=(0, 1))


class Net(nn.Module):
    """the parameter layout of VCT for these modules: backbone, pre_sam_backbone, scale_factor_module"""

    def __init__(self):
        super().__init__()
        self.backbone = swinb.SwinTransformer(**CFG)
        self.pre_sam_backbone = swinb.SwinTransformer(**CFG)
        self.scale_factor_module = nn.ModuleList([misc.channel_weighted_block(d) for d in (16, 32)])

    def forward(self, images, maskige):
        feats = self.backbone(images)
        pre = self.pre_sam_backbone(maskige)
        gates = [m(pre[k]) for k, m in zip(pre.keys(), self.scale_factor_module)]
        fused = {k: feats[k] + gates[i] * pre[k] for i, k in enumerate(feats.keys())}  # VCT.forward
        return feats, pre, gates, fused


torch.manual_seed(0)
net = Net()
g = torch.Generator().manual_seed(1)
with torch.no_grad():
    for name, p in net.named_parameters():
        std = p.std().item() if p.numel() > 1 else 0.0
        if std > 0:
            p.add_(0.1 * std * torch.randn(p.shape, generator=g))
        else:
            c = p.flatten()[0].item()
            p.add_((0.1 * abs(c) if c != 0 else 0.05) * torch.randn(p.shape, generator=g))
        assert p.numel() == 1 or p.std().item() > 0, name
    # the gates have 1 and 2 hidden units here: keep their ReLU active so that fc1/fc2 get gradients
    for m in net.scale_factor_module:
        m.fc1.bias.copy_(0.5 + 0.05 * torch.randn(m.fc1.bias.shape, generator=g))

B, H, W = 2, 37, 41
images = torch.randn(B, 3, H, W, generator=g).requires_grad_(True)
maskige = torch.randn(B, 3, H, W, generator=g).requires_grad_(True)

# train mode; pick the draw seed so that the masks both keep and drop somewhere
for seed in range(100):
    DRAWS.clear()
    torch.manual_seed(seed)
    net.train()
    with torch.no_grad():
        net(images, maskige)
    allm = torch.cat([d.flatten() for d in DRAWS])
    if allm.min() == 0 and allm.max() == 1 and all(d.numel() == B for d in DRAWS):
        break
DRAWS.clear()
torch.manual_seed(seed)
feats, pre, gates, fused = net(images, maskige)
assert len(DRAWS) == 12, len(DRAWS)  # 3 blocks with a rate > 0, two draws each, two Swins
dout = {k: torch.randn(v.shape, generator=g) for k, v in fused.items()}
loss = sum((fused[k] * dout[k]).sum() for k in fused)
loss.backward()
for name, p in net.named_parameters():
    assert p.grad is not None and p.grad.abs().max() > 0, name + ": zero gradient, the test could not see it"

out = {"images": images, "maskige": maskige}
for i, k in enumerate(feats.keys()):
    out[f"train.backbone.{k}"] = feats[k]
    out[f"train.pre_sam_backbone.{k}"] = pre[k]
    out[f"train.pre_sam_scale.{i}"] = gates[i]
    out[f"train.fused.{k}"] = fused[k]
    out[f"dout.{k}"] = dout[k]
for i, d in enumerate(DRAWS):
    out[f"rng.{i:04d}.droppath_keep"] = d.reshape(B, 1, 1)
for name, p in net.named_parameters():
    out[name] = p
    out["grad." + name] = p.grad
for name, b in net.named_buffers():
    if name.startswith("backbone.") and name.endswith("relative_position_index"):
        out[name] = b
out["grad.images"] = images.grad
out["grad.maskige"] = maskige.grad

net.eval()
with torch.no_grad():
    feats, pre, gates, fused = net(images, maskige)
for i, k in enumerate(feats.keys()):
    out[f"eval.backbone.{k}"] = feats[k]
    out[f"eval.pre_sam_scale.{i}"] = gates[i]
    out[f"eval.fused.{k}"] = fused[k]

# drop-path rates: torch.linspace(0, rate, n) (float32; .item() widens exactly) for n = 1..64
for rate in (0.3, 0.2, 0.1, 0.5):
    out[f"dpr.{rate}"] = torch.cat([torch.linspace(0, rate, n) for n in range(1, 65)])  # n = 1, 2, ... concatenated

write_ref("swin", out, {"config": "patch 4, embed 16, depths [2,2], heads [1,2], window 7, mlp ratio 2, drop path 0.3",
                        "draw_seed": seed, "official": "spyflying/VCT_AVS@9a18d2f swinb.py, utils/misc.py"})
