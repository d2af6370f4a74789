"""gen_activation.py: reference vectors for src/ops/activation.c: GELU (exact
erf form), ReLU, sigmoid, forward and autograd gradients of (out*dout).sum(),
torch 1.13 CPU, float32.

x: [13*71] randn*3 with exact zeros (ReLU kink), huge magnitudes and
saturation ranges. tiny: a sweep of tiny negative and positive x where fp32
sigmoid rounds to exactly 0.5 (model.md §4 item 10)."""
import torch
import torch.nn.functional as F

from refio import write_ref

torch.manual_seed(777)
torch.set_num_threads(1)
T = {}

x = torch.randn(13 * 71) * 3
x[::37] = 0.0
x[5], x[6], x[7], x[8] = 100.0, -100.0, 1e30, -1e30
x[100:140] = torch.linspace(-110, 110, 40)   # sigmoid saturation, exp overflow
x[200:230] = torch.linspace(-1e-6, 1e-6, 30)
T["x"] = x
for op, fn in (("gelu", F.gelu), ("relu", F.relu), ("sigmoid", torch.sigmoid)):
    xr = x.clone().requires_grad_()
    out = fn(xr)
    dout = torch.randn_like(x)
    (out * dout).sum().backward()
    T[op + ".out"] = out.detach()
    T[op + ".dout"] = dout
    T[op + ".dx"] = xr.grad

# torch's AVX2 erf is a polynomial (abs error ~1.5e-7): also store GELU from
# float64, which our erff-based kernel should match more closely
xd = x.double().requires_grad_()
out = F.gelu(xd)
(out * T["gelu.dout"].double()).sum().backward()
T["gelu.out64"] = out.detach().float()
T["gelu.dx64"] = xd.grad.float()

tiny = torch.cat([-torch.logspace(-9, -5, 2001), torch.logspace(-9, -5, 2001),
                  torch.tensor([0.0, -0.0])]).float()
T["tiny.x"] = tiny
T["tiny.sigmoid"] = torch.sigmoid(tiny)
write_ref("activation", T, {"n": str(x.numel())})
