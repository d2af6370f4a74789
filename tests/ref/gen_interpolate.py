"""gen_interpolate.py: reference vectors for src/ops/interpolate.c.

F.interpolate(x, size=(Ho, Wo), mode="bilinear", align_corners=ac) with torch 1.13.1 CPU,
forward and the gradient of (out*dout).sum() w.r.t. x.

Two kinds of cases:
  small  "s<k>": random input and dout stored in full (odd sizes, thin maps that exercise one
         axis of a model size such as 384->224 or 96->384 at small cost);
  formula "f<k>": the model's full sizes (96x96->384x384, 384x384->224x224, ...); input and dout
         come from an integer formula that C reproduces bit for bit (fill_formula below), and
         only seeded subsets of the output and of din are stored (indices + values).
Per-axis weight tables extracted from torch (interpolating one-hot rows) are stored too, as
the nonzero (column, weight) pairs of each output row.
"""
import numpy as np
import torch
import torch.nn.functional as F

from refio import write_ref

torch.manual_seed(0)
torch.set_num_threads(1)
rng = np.random.default_rng(1234)


def fill_formula(n, mul, mod):
    """x[i] = fp32(fp32((i*mul) % mod) / fp32(mod)) - 0.5, every step IEEE fp32."""
    k = (np.arange(n, dtype=np.int64) * mul) % mod
    return (k.astype(np.float32) / np.float32(mod) - np.float32(0.5)).astype(np.float32)


def axis_table(n_in, n_out, ac):
    x = torch.eye(n_in).reshape(1, n_in, 1, n_in)
    y = F.interpolate(x, size=(1, n_out), mode="bilinear", align_corners=ac)[0, :, 0, :]
    return y.t().contiguous()  # [out, in]: the weight row of each output index


T = {}
meta = {}
small = [  # N, C, H, W, Ho, Wo
    (1, 2, 7, 7, 13, 13), (2, 1, 30, 11, 71, 5), (1, 1, 11, 30, 5, 71), (1, 1, 71, 71, 30, 30), (1, 3, 7, 13, 13, 7),
    (1, 2, 48, 5, 96, 3), (1, 1, 96, 7, 12, 5), (1, 1, 7, 96, 13, 24),
    (1, 1, 96, 5, 384, 3), (1, 1, 5, 96, 3, 384), (1, 1, 384, 3, 224, 5), (1, 1, 3, 384, 5, 224),
    (1, 2, 1, 1, 3, 3), (1, 1, 3, 3, 1, 1), (1, 2, 5, 5, 5, 9), (1, 1, 6, 4, 6, 4),
    (1, 1, 2, 9, 1, 17),
]
k = 0
for ac in (False, True):
    for (N, C, H, W, Ho, Wo) in small:
        x = torch.from_numpy(rng.standard_normal((N, C, H, W)).astype(np.float32)).requires_grad_()
        y = F.interpolate(x, size=(Ho, Wo), mode="bilinear", align_corners=ac)
        dy = torch.from_numpy(rng.standard_normal(y.shape).astype(np.float32))
        (y * dy).sum().backward()
        p = f"s{k}."
        T[p + "x"], T[p + "y"], T[p + "dy"], T[p + "dx"] = x.detach(), y.detach(), dy, x.grad
        T[p + "dims"] = np.array([N, C, H, W, Ho, Wo, int(ac)], dtype=np.int64)
        k += 1
meta["n_small"] = k

formula = [  # N, C, H, W, Ho, Wo : the model's sizes
    (1, 2, 48, 48, 96, 96), (1, 2, 96, 96, 12, 12), (1, 2, 96, 96, 24, 24), (1, 2, 96, 96, 48, 48),
    (1, 2, 96, 96, 6, 4), (1, 1, 96, 96, 384, 384), (1, 1, 384, 384, 224, 224),
]
k = 0
for ac in (False, True):
    for (N, C, H, W, Ho, Wo) in formula:
        x = torch.from_numpy(fill_formula(N * C * H * W, 7919, 2003).reshape(N, C, H, W)).requires_grad_()
        y = F.interpolate(x, size=(Ho, Wo), mode="bilinear", align_corners=ac)
        dy = torch.from_numpy(fill_formula(y.numel(), 104729, 1009).reshape(y.shape))
        (y * dy).sum().backward()
        n_out = y.numel()
        m = min(n_out, 512)
        idx = np.sort(rng.choice(n_out, size=m, replace=False)).astype(np.int64)
        p = f"f{k}."
        T[p + "idx"] = idx
        T[p + "y_sub"] = y.detach().reshape(-1)[torch.from_numpy(idx)]
        n_in = x.numel()
        m = min(n_in, 512)
        idx = np.sort(rng.choice(n_in, size=m, replace=False)).astype(np.int64)
        T[p + "didx"] = idx
        T[p + "dx_sub"] = x.grad.reshape(-1)[torch.from_numpy(idx)]
        T[p + "dims"] = np.array([N, C, H, W, Ho, Wo, int(ac)], dtype=np.int64)
        k += 1
meta["n_formula"] = k

k = 0
for ac in (False, True):
    for (n_in, n_out) in [(48, 96), (96, 12), (96, 24), (96, 48), (96, 6), (96, 4), (96, 384),
                          (384, 224), (7, 13), (30, 71), (71, 30), (1, 5), (5, 1), (13, 13)]:
        w = axis_table(n_in, n_out, ac).numpy()
        # sparse rows: the (at most two) nonzero columns of each output row, padded with -1/0
        cols = np.full((n_out, 2), -1, dtype=np.int64)
        vals = np.zeros((n_out, 2), dtype=np.float32)
        for d in range(n_out):
            nz = np.nonzero(w[d])[0]
            assert len(nz) <= 2
            cols[d, :len(nz)] = nz
            vals[d, :len(nz)] = w[d, nz]
        T[f"t{k}.cols"], T[f"t{k}.vals"] = cols, vals
        T[f"t{k}.dims"] = np.array([n_in, n_out, int(ac)], dtype=np.int64)
        k += 1
meta["n_tables"] = k
meta["formula"] = "x[i] = fp32((i*mul) % mod)/fp32(mod) - 0.5; x: mul 7919 mod 2003; dy: mul 104729 mod 1009"
write_ref("interpolate", T, meta)
