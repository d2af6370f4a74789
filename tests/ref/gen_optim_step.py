"""gen_optim_step.py: the OFFICIAL optimizer end to end on a tiny model, for tests/train/test_optimizer.c.

A small torch module tree with the official module names and types where build_optimizer's rules
look (a Swin-like `backbone` with LayerNorm / relative_position_bias_table / Linear / Conv2d, a
`pre_sam_backbone`, `scale_factor_module`, a frozen `audio_backbone`, `sem_seg_head` with a pixel
decoder (GroupNorm, a bare level_embed Parameter), the audio MLP (`embeddings.0`, a Linear), the
predictor (2 self / cross / FFN layers with nn.MultiheadAttention, decoder_norm, nn.Embedding
query_feat / query_embed / level_embed, class_embed, visual_query_block.prototype (Embedding),
audio_proj, proto_proj) and `criterion.logit_scale` (0-dim)). The optimizer and the scheduler are
built by the official train_net.py Trainer.build_optimizer / build_lr_scheduler (imported through
the conformance harness, not re-implemented), from the official config functions with SOLVER set
to the VCT values except MAX_ITER 10 and a 3-iteration linear warm-up (factor 0.1). K = 4 steps
with seeded gradients of alternating scale (clipping active on steps 0 and 2), each followed by
scheduler.step(), as detectron2's trainer does.

Stored: p0.<name> (every parameter, frozen too), g.<k>.<name> (trainable), after.<name> (every
parameter after the K steps), lr f64 [K+1, G] (group order), wd f64 [G], grad_norm f32 [K],
clip_coef f32 [K]; metadata group_order (comma-separated names), solver_yaml (the SOLVER node).

usage: /usr/bin/python3 gen_optim_step.py --official DIR --detectron2 DIR [--pypath DIR ...]
       (or VCT_OFFICIAL, VCT_DETECTRON2, VCT_PYPATH). Without them: "skipped", data kept.
"""
import argparse
import math
import os
import sys

import torch
import torch.nn as nn

from refio import write_ref

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "conformance",
                       "harness")
K = 4
SCALES = [4e-3, 1e-4, 2e-3, 5e-5]  # global norm >> 0.01, << 0.01, ...


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(5)
        self.attn = nn.Module()
        self.attn.relative_position_bias_table = nn.Parameter(torch.randn(9, 2))
        self.attn.qkv = nn.Linear(5, 6)


class Swin(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(2, 5, 2)
        self.layers = nn.ModuleList([nn.Module()])
        self.layers[0].blocks = nn.ModuleList([Block(), Block()])
        self.norm0 = nn.LayerNorm(5)


def layer(kind):
    m = nn.Module()
    if kind == "ffn":
        m.linear1 = nn.Linear(4, 6)
        m.linear2 = nn.Linear(6, 4)
    else:
        setattr(m, "self_attn" if kind == "sa" else "multihead_attn", nn.MultiheadAttention(4, 2))
    m.norm = nn.LayerNorm(4)
    return m


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Swin()
        self.pre_sam_backbone = Swin()
        self.scale_factor_module = nn.ModuleList([nn.Module()])
        self.scale_factor_module[0].fc1 = nn.Linear(5, 3)
        self.audio_backbone = nn.Module()
        self.audio_backbone.features = nn.Sequential(nn.Conv2d(1, 2, 3))
        head = nn.Module()
        head.pixel_decoder = nn.Module()
        head.pixel_decoder.transformer = nn.Module()
        head.pixel_decoder.transformer.level_embed = nn.Parameter(torch.randn(3, 4))
        head.pixel_decoder.adapter_1 = nn.Conv2d(5, 4, 1)
        head.pixel_decoder.adapter_1.norm = nn.GroupNorm(2, 4)
        head.audio_transformation = nn.Module()
        head.audio_transformation.embeddings = nn.Sequential(nn.Linear(6, 4))
        p = nn.Module()
        p.transformer_self_attention_layers = nn.ModuleList([layer("sa"), layer("sa")])
        p.transformer_cross_attention_layers = nn.ModuleList([layer("ca"), layer("ca")])
        p.transformer_ffn_layers = nn.ModuleList([layer("ffn"), layer("ffn")])
        p.decoder_norm = nn.LayerNorm(4)
        p.query_feat = nn.Embedding(3, 4)
        p.query_embed = nn.Embedding(3, 4)
        p.level_embed = nn.Embedding(4, 4)
        p.class_embed = nn.Linear(4, 5)
        p.visual_query_block = nn.Module()
        p.visual_query_block.prototype = nn.Embedding(5, 4)
        p.audio_proj = nn.Linear(4, 4, bias=False)
        p.proto_proj = nn.Linear(4, 4, bias=False)
        head.predictor = p
        self.sem_seg_head = head
        self.criterion = nn.Module()
        self.criterion.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        for q in self.audio_backbone.parameters():
            q.requires_grad = False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--official", default=os.environ.get("VCT_OFFICIAL"))
    ap.add_argument("--detectron2", default=os.environ.get("VCT_DETECTRON2"))
    ap.add_argument("--pypath", action="append", default=[p for p in os.environ.get("VCT_PYPATH", "").split(":") if p])
    args = ap.parse_args()
    if not args.official or not args.detectron2 or not os.path.isdir(os.path.join(args.official, "models")):
        print("gen_optim_step.py: skipped (no export of the official tree: pass --official and --detectron2); "
              "keeping the committed data")
        return
    sys.path.insert(0, os.path.abspath(HARNESS))
    from vctref import paths
    from vctref.optim import build_official, import_train_net

    paths.setup(args.official, args.detectron2, args.pypath)
    TN = import_train_net(args.official)
    cfg = TN.get_cfg()
    TN.add_deeplab_config(cfg)
    TN.add_audio_config(cfg)
    TN.add_fuse_config(cfg)
    TN.add_maskformer2_config(cfg)
    S = cfg.SOLVER
    S.OPTIMIZER, S.BASE_LR, S.WEIGHT_DECAY, S.WEIGHT_DECAY_NORM, S.WEIGHT_DECAY_EMBED = "ADAMW", 1e-4, 0.05, 0.0, 0.0
    S.BACKBONE_MULTIPLIER = 0.1
    S.CLIP_GRADIENTS.ENABLED, S.CLIP_GRADIENTS.CLIP_TYPE, S.CLIP_GRADIENTS.CLIP_VALUE = True, "full_model", 0.01
    S.LR_SCHEDULER_NAME, S.MAX_ITER, S.POLY_LR_POWER, S.POLY_LR_CONSTANT_ENDING = "WarmupPolyLR", 10, 0.9, 0.0
    S.WARMUP_ITERS, S.WARMUP_FACTOR, S.WARMUP_METHOD = 3, 0.1, "linear"

    torch.manual_seed(99)
    torch.set_num_threads(1)
    model = Tiny()
    with torch.no_grad():  # no constant tensor (norm weights 1, biases 0)
        for q in model.parameters():
            q.add_(torch.randn(q.shape) * 0.1)
    names = {id(q): n for n, q in model.named_parameters()}
    T = {f"p0.{n}": q.detach().clone() for n, q in model.named_parameters()}
    opt, sched, _ = build_official(TN, cfg, model)
    params = [g["params"][0] for g in opt.param_groups]
    order = [names[id(q)] for q in params]
    lr, norms, coefs = [], [], []
    orig = torch.nn.utils.clip_grad_norm_

    def clip(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
        total = orig(parameters, max_norm, norm_type, error_if_nonfinite)
        norms.append(float(total))
        coefs.append(float(torch.clamp(float(max_norm) / (total + 1e-6), max=1.0)))
        return total

    gen = torch.Generator().manual_seed(5)
    for k in range(K):
        lr.append([g["lr"] for g in opt.param_groups])
        for n, q in zip(order, params):
            g = torch.randn(q.shape, generator=gen) * SCALES[k]
            q.grad = g.clone()
            T[f"g.{k}.{n}"] = g
        torch.nn.utils.clip_grad_norm_ = clip
        try:
            opt.step()
        finally:
            torch.nn.utils.clip_grad_norm_ = orig
        sched.step()
    lr.append([g["lr"] for g in opt.param_groups])
    for n, q in model.named_parameters():
        T[f"after.{n}"] = q.detach().clone()
    T["lr"] = torch.tensor(lr, dtype=torch.float64)
    T["wd"] = torch.tensor([g["weight_decay"] for g in opt.param_groups], dtype=torch.float64)
    T["grad_norm"] = torch.tensor(norms, dtype=torch.float32)
    T["clip_coef"] = torch.tensor(coefs, dtype=torch.float32)
    from detectron2.config import CfgNode
    write_ref("optim_step", T, {"group_order": ",".join(order), "steps": str(K),
                                "solver_yaml": CfgNode({"SOLVER": cfg.SOLVER}).dump(),
                                "clipped": ",".join(str(int(c < 1)) for c in coefs)})


if __name__ == "__main__":
    main()
