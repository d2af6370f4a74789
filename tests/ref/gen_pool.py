"""gen_pool.py: reference vectors for src/ops/pool.c: F.max_pool2d (with
indices) and F.avg_pool2d on NCHW, forward and autograd gradients of
(out*dout).sum(), torch 1.13 CPU, float32, ceil_mode False.

<case>.cfg = [N, C, H, W, kh, kw, sh, sw, ph, pw, exclude_pad]. mp_c has many
ties (integer values, overlapping windows): the first index must win; mp_nan
has NaNs (they win over numbers)."""
import torch
import torch.nn.functional as F

from refio import write_ref

torch.manual_seed(2024)
torch.set_num_threads(1)
T = {}


def cfg(name, x, k, s, p, exclude=0):
    N, C, H, W = x.shape
    T[name + ".cfg"] = torch.tensor([N, C, H, W, k[0], k[1], s[0], s[1], p[0], p[1], exclude],
                                    dtype=torch.int64)
    T[name + ".x"] = x.clone()


def max_case(name, x, k, s, p):
    cfg(name, x, k, s, p)
    xr = x.clone().requires_grad_()
    out, idx = F.max_pool2d(xr, k, s, p, return_indices=True)
    dout = torch.randn_like(out)
    (out * dout).sum().backward()
    T[name + ".out"], T[name + ".idx"] = out.detach(), idx
    T[name + ".dout"], T[name + ".dx"] = dout, xr.grad


def avg_case(name, x, k, s, p, include_pad=True):
    cfg(name, x, k, s, p, 0 if include_pad else 1)
    xr = x.clone().requires_grad_()
    out = F.avg_pool2d(xr, k, s, p, count_include_pad=include_pad)
    dout = torch.randn_like(out)
    (out * dout).sum().backward()
    T[name + ".out"], T[name + ".dout"], T[name + ".dx"] = out.detach(), dout, xr.grad


max_case("mp_a", torch.randn(2, 3, 13, 30), (2, 2), (2, 2), (0, 0))  # VGGish MaxPool2d(2, 2)
max_case("mp_b", torch.randn(1, 2, 7, 13), (3, 3), (2, 2), (1, 1))
max_case("mp_c", torch.randint(0, 3, (2, 2, 7, 13)).float(), (3, 3), (1, 1), (1, 1))
x = torch.randn(1, 3, 13, 7)
x[0, 0, :4, :] = float("-inf")
max_case("mp_d", x, (3, 2), (2, 1), (1, 0))
x = torch.randn(1, 1, 7, 7)
x[0, 0, 1, 1] = float("nan")
x[0, 0, 4, 5] = float("nan")
x[0, 0, 4, 6] = float("nan")
max_case("mp_nan", x, (2, 2), (2, 2), (0, 0))
avg_case("ap_a", torch.randn(2, 3, 13, 30), (2, 2), (2, 2), (0, 0))
avg_case("ap_b", torch.randn(1, 2, 7, 13), (3, 3), (2, 2), (1, 1))
avg_case("ap_c", torch.randn(1, 2, 7, 13), (3, 3), (2, 2), (1, 1), include_pad=False)
avg_case("ap_d", torch.randn(2, 1, 13, 7), (3, 2), (1, 2), (1, 1))
write_ref("pool", T, {"cases": "mp_a mp_b mp_c mp_d mp_nan ap_a ap_b ap_c ap_d"})
