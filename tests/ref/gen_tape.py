"""gen_tape.py: a small composite through torch autograd, for tests/autograd/test_tape.c.

x [13, 30] -> h = LayerNorm(x) -> q = h Wq^T + bq, k = h Wk^T + bk, v = x Wv^T + bv
(x is used three times: layer norm, v and the residual)
-> a = softmax((q / sqrt(30)) k^T masked by a boolean mask) v
-> y = x + GELU(a Wo^T + bo).  Loss = sum(y * dout). Every gradient is stored.
"""
import math

import torch

from refio import write_ref

torch.manual_seed(1234)
N, C = 13, 30
f = dict(dtype=torch.float32)
x = torch.randn(N, C, **f).requires_grad_()
params = {
    "ln_w": 1 + 0.1 * torch.randn(C, **f), "ln_b": 0.1 * torch.randn(C, **f),
    "wq": torch.randn(C, C, **f) / math.sqrt(C), "bq": 0.1 * torch.randn(C, **f),
    "wk": torch.randn(C, C, **f) / math.sqrt(C), "bk": 0.1 * torch.randn(C, **f),
    "wv": torch.randn(C, C, **f) / math.sqrt(C), "bv": 0.1 * torch.randn(C, **f),
    "wo": torch.randn(C, C, **f) / math.sqrt(C), "bo": 0.1 * torch.randn(C, **f),
}
for p in params.values():
    p.requires_grad_()
mask = torch.rand(N, N) < 0.3
mask.fill_diagonal_(False)  # no row is fully blocked
dout = torch.randn(N, C, **f)

P = params
h = torch.nn.functional.layer_norm(x, (C,), P["ln_w"], P["ln_b"], 1e-5)
q = h @ P["wq"].t() + P["bq"]
k = h @ P["wk"].t() + P["bk"]
v = x @ P["wv"].t() + P["bv"]
s = (q / math.sqrt(C)) @ k.t()
s = s.masked_fill(mask, float("-inf"))
a = torch.softmax(s, dim=-1) @ v
o = a @ P["wo"].t() + P["bo"]
y = x + torch.nn.functional.gelu(o)
(y * dout).sum().backward()

out = {"x": x, "dout": dout, "mask": mask.to(torch.uint8), "y": y, "grad.x": x.grad}
for name, p in P.items():
    out[name] = p
    out["grad." + name] = p.grad
write_ref("tape", out, {"N": N, "C": C})
