"""gen_norm.py: reference vectors for src/ops/norm.c (LayerNorm, GroupNorm,
detectron2 FrozenBatchNorm2d), forward and autograd gradients of
(out * dout).sum(), torch 1.13 CPU, float32.

Per case <c>: <c>.cfg (int64 sizes), <c>.eps (float64 [1]), inputs, outputs and
gradients. Run with /usr/bin/python3 (see make_ref.sh)."""
import torch
import torch.nn.functional as F

from refio import write_ref

torch.manual_seed(1234)
torch.set_num_threads(1)
T = {}


def layernorm_case(name, N, C, eps, affine, shift=0.0, scale=1.0):
    x = (torch.randn(N, C) * scale + shift).requires_grad_()
    w = (1 + 0.5 * torch.randn(C)).requires_grad_() if affine else None
    b = (0.5 * torch.randn(C)).requires_grad_() if affine else None
    out = F.layer_norm(x, (C,), w, b, eps)
    _, mean, rstd = torch.native_layer_norm(x.detach(), (C,), w, b, eps)
    dout = torch.randn(N, C)
    (out * dout).sum().backward()
    T[name + ".cfg"] = torch.tensor([N, C, int(affine)], dtype=torch.int64)
    T[name + ".eps"] = torch.tensor([eps], dtype=torch.float64)
    T[name + ".x"] = x.detach()
    T[name + ".out"] = out.detach()
    T[name + ".mean"] = mean.reshape(N)
    T[name + ".rstd"] = rstd.reshape(N)
    T[name + ".dout"] = dout
    T[name + ".dx"] = x.grad
    if affine:
        T[name + ".w"], T[name + ".b"] = w.detach(), b.detach()
        T[name + ".dw"], T[name + ".db"] = w.grad, b.grad


def groupnorm_case(name, N, C, H, W, G, eps, affine):
    x = (torch.randn(N, C, H, W) * 2 + 0.3).requires_grad_()
    gn = torch.nn.GroupNorm(G, C, eps=eps, affine=affine)
    if affine:
        with torch.no_grad():
            gn.weight.copy_(1 + 0.5 * torch.randn(C))
            gn.bias.copy_(0.5 * torch.randn(C))
    out = gn(x)
    dout = torch.randn(N, C, H, W)
    (out * dout).sum().backward()
    xd = x.detach().reshape(N, G, -1).double()
    mean = xd.mean(-1)
    rstd = 1 / torch.sqrt(xd.var(-1, unbiased=False) + eps)
    T[name + ".cfg"] = torch.tensor([N, C, H * W, G, int(affine)], dtype=torch.int64)
    T[name + ".eps"] = torch.tensor([eps], dtype=torch.float64)
    T[name + ".x"] = x.detach()
    T[name + ".out"] = out.detach()
    T[name + ".mean"] = mean.float()
    T[name + ".rstd"] = rstd.float()
    T[name + ".dout"] = dout
    T[name + ".dx"] = x.grad
    if affine:
        T[name + ".w"], T[name + ".b"] = gn.weight.detach(), gn.bias.detach()
        T[name + ".dw"], T[name + ".db"] = gn.weight.grad, gn.bias.grad


def frozen_bn_case(name, N, C, H, W, eps):
    x = torch.randn(N, C, H, W).requires_grad_()
    w = 1 + 0.5 * torch.randn(C)
    b = 0.5 * torch.randn(C)
    rm = 0.5 * torch.randn(C)
    rv = 0.1 + torch.rand(C) * 2
    rv[0] = 0.0  # eps alone keeps it finite
    # detectron2 FrozenBatchNorm2d.forward (requires_grad branch, v0.6):
    scale = w * (rv + eps).rsqrt()
    shift = b - rm * scale
    out = x * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)
    # no-grad branch (and newer detectron2 for both): eval-mode batch_norm
    out_bn = F.batch_norm(x.detach(), rm, rv, w, b, training=False, eps=eps)
    dout = torch.randn(N, C, H, W)
    (out * dout).sum().backward()
    T[name + ".cfg"] = torch.tensor([N, C, H * W], dtype=torch.int64)
    T[name + ".eps"] = torch.tensor([eps], dtype=torch.float64)
    T[name + ".x"] = x.detach()
    T[name + ".w"], T[name + ".b"], T[name + ".rm"], T[name + ".rv"] = w, b, rm, rv
    T[name + ".out"] = out.detach()
    T[name + ".out_bn"] = out_bn
    T[name + ".dout"] = dout
    T[name + ".dx"] = x.grad


layernorm_case("ln_a", 13, 71, 1e-5, True)
layernorm_case("ln_b", 7, 30, 1e-6, True, shift=10.0, scale=0.1)  # PVT eps, offset mean
layernorm_case("ln_c", 5, 13, 1e-5, False)
layernorm_case("ln_d", 3, 7, 1e-5, True, scale=0.0)  # constant rows: var 0, rstd 1/sqrt(eps)
groupnorm_case("gn_a", 2, 12, 7, 13, 4, 1e-5, True)
groupnorm_case("gn_b", 1, 30, 3, 5, 15, 1e-5, True)
groupnorm_case("gn_c", 2, 6, 4, 4, 1, 1e-5, False)
frozen_bn_case("fbn_a", 2, 7, 5, 13, 1e-5)
write_ref("norm", T, {"cases": "ln_a ln_b ln_c ln_d gn_a gn_b gn_c fbn_a"})
