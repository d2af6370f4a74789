"""gen_ms_deform_attn.py: reference vectors for src/ops/ms_deform_attn.c.

The multi-scale deformable attention core with the semantics of the pure-PyTorch fallback
(`ms_deform_attn_core_pytorch` in Deformable DETR / Mask2Former, run by VCT on CPU), written
out here: per level, view the value as [N*M, D, H_l, W_l], grid_sample it (bilinear, zeros,
align_corners=False) at 2*loc-1, stack levels and points, multiply by the attention weights
and sum over (level, point). Forward plus gradients of (out*dout).sum() w.r.t. value,
sampling locations and attention weights (torch 1.13.1 autograd).
"""
import numpy as np
import torch
import torch.nn.functional as F

from refio import write_ref

torch.manual_seed(0)
torch.set_num_threads(1)
rng = np.random.default_rng(777)
f32 = np.float32


def msda_reference(value, shapes, loc, attw):
    N, S, M, D = value.shape
    _, Lq, _, L, P, _ = loc.shape
    per_level = value.split([int(h) * int(w) for h, w in shapes], dim=1)
    grids = 2 * loc - 1
    sampled = []
    for l, (h, w) in enumerate(shapes):
        # [N, H*W, M, D] -> [N*M, D, H, W]
        v = per_level[l].flatten(2).transpose(1, 2).reshape(N * M, D, int(h), int(w))
        # [N, Lq, M, P, 2] -> [N*M, Lq, P, 2]
        g = grids[:, :, :, l].transpose(1, 2).flatten(0, 1)
        sampled.append(F.grid_sample(v, g, mode="bilinear", padding_mode="zeros", align_corners=False))
    weights = attw.transpose(1, 2).reshape(N * M, 1, Lq, L * P)
    out = (torch.stack(sampled, dim=-2).flatten(-2) * weights).sum(-1).view(N, M * D, Lq)
    return out.transpose(1, 2).contiguous()


T, meta = {}, {}
cases = [  # N, M, D, shapes, P, Lq
    (2, 3, 5, [(6, 4), (3, 5), (7, 7)], 4, 13),      # L*P = 12 like the model
    (1, 2, 8, [(3, 3), (6, 6), (12, 12)], 4, 30),    # the model's level ratios, small
    (2, 1, 3, [(5, 7), (1, 9)], 3, 7),               # L*P = 6 (scalar sum path), a 1-row level
    (1, 4, 2, [(4, 4), (2, 3), (9, 1), (5, 5)], 4, 11),  # L*P = 16
    (1, 2, 4, [(13, 7)], 1, 71),                     # one level, one point
]
for k, (N, M, D, shapes, P, Lq) in enumerate(cases):
    L = len(shapes)
    S = sum(h * w for h, w in shapes)
    value = rng.standard_normal((N, S, M, D)).astype(f32)
    # locations: reference point + offset / size as the model forms them, partly outside
    loc = rng.uniform(-0.1, 1.1, (N, Lq, M, L, P, 2)).astype(f32)
    flat = loc.reshape(-1, L, P, 2)
    edges = [0.0, 1.0, 0.5, -0.05, 1.05]
    for i in range(min(len(flat), 12)):
        for l, (h, w) in enumerate(shapes):
            cands = edges + [0.5 / w, 1 - 0.5 / w, 1.0 / w]  # border centres, a pixel corner
            flat[i, l, 0] = (cands[i % len(cands)], cands[(i * 3 + 1) % len(cands)])
    logits = rng.standard_normal((N, Lq, M, L * P)).astype(f32)
    attw = torch.softmax(torch.from_numpy(logits), -1).reshape(N, Lq, M, L, P).numpy()
    vt = torch.from_numpy(value).requires_grad_()
    lt = torch.from_numpy(loc).requires_grad_()
    at = torch.from_numpy(attw).requires_grad_()
    sh = torch.tensor(shapes, dtype=torch.int64)
    out = msda_reference(vt, shapes, lt, at)
    dout = torch.from_numpy(rng.standard_normal(out.shape).astype(f32))
    (out * dout).sum().backward()
    p = f"c{k}."
    T[p + "value"], T[p + "loc"], T[p + "attw"], T[p + "out"], T[p + "dout"] = value, loc, attw, out.detach(), dout
    T[p + "dvalue"], T[p + "dloc"], T[p + "dattw"] = vt.grad, lt.grad, at.grad
    T[p + "shapes"] = sh
    T[p + "level_start"] = torch.cat([torch.zeros(1, dtype=torch.int64), (sh[:, 0] * sh[:, 1]).cumsum(0)[:-1]])
    T[p + "dims"] = np.array([N, S, M, D, L, P, Lq], dtype=np.int64)
meta["n_cases"] = len(cases)

# torch's float sum order over a contiguous row, for lengths the model and tests use
sums = []
for n in [1, 3, 4, 7, 8, 12, 16, 24, 33, 64, 100, 257, 1000]:
    x = (rng.standard_normal(n) * np.exp(rng.standard_normal(n))).astype(f32)
    T[f"sum{n}.x"] = x
    T[f"sum{n}.s"] = torch.from_numpy(x).sum().reshape(1)
    sums.append(n)
meta["sum_lengths"] = ",".join(str(n) for n in sums)
write_ref("ms_deform_attn", T, meta)
