"""gen_gumbel_assign.py: reference vectors for src/ops/gumbel_assign.c.

AssignAttention's hard straight-through assignment (GroupViT group_attention.py, as VCT's
PPQG configures it: hard=True, gumbel=True, tau=1, sum_assign=False, assign_eps=1), written
out: softmax over the query axis (dim -2) of the logits (eval) or of (logits + G)/tau with
Gumbel noise G given as an input (train), hard one-hot of the max over the softmax values,
(hard - soft.detach()) + soft, divided by (sum over pixels + assign_eps). Forward and the
gradient of (out*dout).sum() w.r.t. the logits (torch 1.13.1 autograd).
"""
import numpy as np
import torch

from refio import write_ref

torch.manual_seed(0)
torch.set_num_threads(1)
rng = np.random.default_rng(99)
f32 = np.float32


def assign(logits, noise, tau, eps):
    z = logits if noise is None else (logits + noise) / tau
    soft = z.softmax(dim=-2)
    index = soft.max(dim=-2, keepdim=True)[1]
    hard = torch.zeros_like(z).scatter_(-2, index, 1.0)
    a = hard - soft.detach() + soft
    return a / (a.sum(dim=-1, keepdim=True) + eps), soft, index


T, meta = {}, {}
cases = [  # B, Q, N, gumbel, tau, scale
    (2, 7, 30, False, 1.0, 3.0), (1, 13, 71, True, 1.0, 2.0), (3, 5, 9, True, 0.5, 1.0),
    (1, 100, 96, False, 1.0, 4.0), (2, 4, 13, False, 1.0, 0.3),
]
for k, (B, Q, N, gumbel, tau, scale) in enumerate(cases):
    logits = (rng.standard_normal((B, Q, N)) * scale).astype(f32)
    # ties: a column with two equal maxima (first index must win), a constant column
    logits[0, :, 0] = -1.0
    logits[0, 1, 0] = logits[0, Q - 1, 0] = 2.0
    logits[0, :, 1] = 0.5
    noise = None
    if gumbel:
        noise = torch.distributions.Gumbel(torch.tensor(0.0), torch.tensor(1.0)).sample((B, Q, N))
        noise[0, :, :2] = 0.0  # keep the tie columns tied
    lt = torch.from_numpy(logits).requires_grad_()
    out, soft, index = assign(lt, noise, tau, 1.0)
    dout = torch.from_numpy(rng.standard_normal(out.shape).astype(f32))
    (out * dout).sum().backward()
    p = f"c{k}."
    T[p + "logits"], T[p + "out"], T[p + "soft"], T[p + "dout"], T[p + "dlogits"] = (
        logits, out.detach(), soft.detach(), dout, lt.grad)
    T[p + "index"] = index.reshape(B, N)
    if gumbel:
        T[p + "noise"] = noise
    T[p + "dims"] = np.array([B, Q, N, int(gumbel)], dtype=np.int64)
    T[p + "tau"] = np.array([tau], dtype=f32)
meta["n_cases"] = len(cases)
write_ref("gumbel_assign", T, meta)
