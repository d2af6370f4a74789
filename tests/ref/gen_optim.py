"""gen_optim.py: reference vectors for src/train (adamw.c, sgd.c, grad_clip.c), torch 1.13 CPU,
float32, one thread.

adamw.<case>:  torch.optim.AdamW over G tensors of awkward sizes (tails of the 8/16-wide kernels),
               one param group per tensor with its own lr and weight decay (0 included), K steps;
               the lr of every group changes each step (as the scheduler changes it). Gradients of
               three magnitudes: O(1), O(1e-3) and O(1e-6) (the clipped regime where eps=1e-8 is
               not negligible). Cases: "plain" (amsgrad False, the official setting) and "ams".
               Stored: p0.<i>, g.<k>.<i>, after.<k>.<i>, lr [K,G] f64, wd [G] f64.
sgd.<case>:    torch.optim.SGD(groups, lr, momentum) the same way; cases "mom" (momentum 0.9) and
               "plain" (momentum 0).
norm.<n>:      x (randn), torch.norm(x) for many sizes n (the 8-lane AVX2 reduction).
clip.<case>:   clip_grad_norm_(tensors, max_norm): g.<i> before, total, coef (the clamp of
               max_norm / (total + 1e-6) as torch computes it), out.<i> after; cases "on"
               (clipped) and "off" (not clipped). clipnorm.<i> / clipvalue.<i>: the per-tensor
               detectron2 clippers (clip_grad_norm_(p, 0.5, 2.0), clip_grad_value_(p, 0.05)).
"""
import numpy as np
import torch

from refio import write_ref

torch.manual_seed(1234)
torch.set_num_threads(1)
T = {}
SIZES = [1, 7, 16, 17, 33, 100, 259, 1025]
K = 5


def make_grads(gen_scale):
    return [[torch.randn(n) * gen_scale[(i + k) % len(gen_scale)] for i, n in enumerate(SIZES)] for k in range(K)]


def run_opt(prefix, cls, kwargs_fn, lrs, wds, extra):
    params = [torch.nn.Parameter(torch.randn(n)) for n in SIZES]
    for i, p in enumerate(params):
        T[f"{prefix}.p0.{i}"] = p.detach().clone()
    groups = [{"params": [p], "lr": float(lrs[0][i]), "weight_decay": float(wds[i])} for i, p in enumerate(params)]
    opt = cls(groups, **extra)
    grads = make_grads([1.0, 1e-3, 1e-6])
    for k in range(K):
        for i, g in enumerate(opt.param_groups):
            g["lr"] = float(lrs[k][i])
        for i, p in enumerate(params):
            p.grad = grads[k][i].clone()
            T[f"{prefix}.g.{k}.{i}"] = grads[k][i]
        opt.step()
        for i, p in enumerate(params):
            T[f"{prefix}.after.{k}.{i}"] = p.detach().clone()
    T[f"{prefix}.lr"] = torch.tensor(lrs, dtype=torch.float64)
    T[f"{prefix}.wd"] = torch.tensor(wds, dtype=torch.float64)


G = len(SIZES)
lrs = [[1e-4 * (0.1 if i % 3 == 0 else 1.0) * (1 - k / 7) ** 0.9 for i in range(G)] for k in range(K)]
wds = [0.05 if i % 2 else 0.0 for i in range(G)]
wds[3] = 0.3
run_opt("adamw.plain", torch.optim.AdamW, None, lrs, wds, {})
run_opt("adamw.ams", torch.optim.AdamW, None, lrs, wds, {"amsgrad": True})
lrs_sgd = [[1e-2 * (0.5 if i % 2 else 1.0) * (1 - k / 9) for i in range(G)] for k in range(K)]
run_opt("sgd.mom", torch.optim.SGD, None, lrs_sgd, wds, {"lr": 0.01, "momentum": 0.9})
run_opt("sgd.plain", torch.optim.SGD, None, lrs_sgd, wds, {"lr": 0.01})

NORM_SIZES = list(range(1, 41)) + [63, 64, 65, 100, 1000, 4097, 33001]
for n in NORM_SIZES:
    x = torch.randn(n) * (10.0 ** float(np.random.RandomState(n).uniform(-7, 2)))
    T[f"norm.{n}.x"] = x
    T[f"norm.{n}.norm"] = torch.norm(x).reshape(1)
T["norm.sizes"] = torch.tensor(NORM_SIZES, dtype=torch.int64)

CLIP_SIZES = [5, 1, 300, 64, 17, 1031]
for case, max_norm in (("on", 0.01), ("off", 1e3)):
    gs = [torch.randn(n) * 0.3 for n in CLIP_SIZES]
    ps = [torch.nn.Parameter(torch.zeros(n)) for n in CLIP_SIZES]
    for i, (p, g) in enumerate(zip(ps, gs)):
        p.grad = g.clone()
        T[f"clip.{case}.g.{i}"] = g
    total = torch.nn.utils.clip_grad_norm_(ps, max_norm)
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    T[f"clip.{case}.total"] = total.reshape(1)
    T[f"clip.{case}.coef"] = coef.reshape(1)
    T[f"clip.{case}.max_norm"] = torch.tensor([max_norm], dtype=torch.float64)
    for i, p in enumerate(ps):
        T[f"clip.{case}.out.{i}"] = p.grad.clone()
for i, n in enumerate(CLIP_SIZES):
    g = torch.randn(n) * 0.3
    T[f"clipper.g.{i}"] = g
    p = torch.nn.Parameter(torch.zeros(n))
    p.grad = g.clone()
    torch.nn.utils.clip_grad_norm_(p, 0.5, 2.0)
    T[f"clipper.norm.{i}"] = p.grad.clone()
    p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(p, 0.05)
    T[f"clipper.value.{i}"] = p.grad.clone()

write_ref("optim", T, {"sizes": ",".join(map(str, SIZES)), "steps": str(K),
                       "clip_sizes": ",".join(map(str, CLIP_SIZES))})
