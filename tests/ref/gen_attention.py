"""gen_attention.py: reference vectors for src/ops/attention.c.

The scaled-dot-product core of torch 1.13 nn.MultiheadAttention, written out as
F._scaled_dot_product_attention does it (q / sqrt(E) first, baddbmm with the float mask,
softmax, bmm; dropout 0), with boolean masks turned into -inf the way
F.multi_head_attention_forward does. Forward, softmax probabilities and the gradients of
(out*dout).sum() w.r.t. q, k, v. A sanity check compares the core (with explicit
projections) against nn.MultiheadAttention itself.

Cases cover: no mask; a per-batch-head boolean mask with fully blocked rows (torch gives NaN
rows, and NaN gradients for that batch-head); the same mask after Mask2Former's rule (fully
blocked rows opened), shared by the heads of a batch element; a 2-D float mask with -inf and
finite entries; the decoder's shapes (8 heads x 32, mask = sigmoid(m) < 0.5) and pre_attn's
(4 heads x 64); a value dim different from the key dim.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from refio import write_ref

torch.manual_seed(0)
torch.set_num_threads(1)
rng = np.random.default_rng(2024)
f32 = np.float32


def sdpa(q, k, v, mask):
    E = q.shape[-1]
    q = q / math.sqrt(E)
    attn = torch.baddbmm(mask, q, k.transpose(-2, -1)) if mask is not None else torch.bmm(q, k.transpose(-2, -1))
    attn = F.softmax(attn, dim=-1)
    return torch.bmm(attn, v), attn


def float_mask_from_bool(b):
    return torch.zeros(b.shape, dtype=torch.float32).masked_fill_(b, float("-inf"))


def open_blocked_rows(b):
    b = b.clone()
    b[torch.where(b.sum(-1) == b.shape[-1])] = False
    return b


# sanity: the core reproduces nn.MultiheadAttention (bool 3-D mask, 2 heads)
with torch.no_grad():
    E, H, Lq, Lk, B = 8, 2, 5, 7, 2
    mha = torch.nn.MultiheadAttention(E, H)
    x, y = torch.randn(Lq, B, E), torch.randn(Lk, B, E)
    m = torch.rand(B * H, Lq, Lk) < 0.3
    m = open_blocked_rows(m)
    ref, _ = mha(x, y, y, attn_mask=m, need_weights=False)
    W, bias = mha.in_proj_weight, mha.in_proj_bias
    q = (x @ W[:E].t() + bias[:E]).reshape(Lq, B * H, E // H).transpose(0, 1)
    k = (y @ W[E:2 * E].t() + bias[E:2 * E]).reshape(Lk, B * H, E // H).transpose(0, 1)
    v = (y @ W[2 * E:].t() + bias[2 * E:]).reshape(Lk, B * H, E // H).transpose(0, 1)
    o, _ = sdpa(q, k, v, float_mask_from_bool(m))
    o = o.transpose(0, 1).reshape(Lq, B, E) @ mha.out_proj.weight.t() + mha.out_proj.bias
    assert torch.allclose(o, ref, atol=1e-6), (o - ref).abs().max()

T, meta = {}, {}


def add_case(k, BH, Lq, Lk, D, Dv, mask_kind, group, heads=1):
    q = rng.standard_normal((BH, Lq, D)).astype(f32)
    kk = rng.standard_normal((BH, Lk, D)).astype(f32)
    v = rng.standard_normal((BH, Lk, Dv)).astype(f32)
    nmask = BH // group
    block = add = None
    raw = None
    if mask_kind in ("bool", "bool_open", "sigmoid"):
        if mask_kind == "sigmoid":
            logits = rng.standard_normal((nmask, Lq, Lk)).astype(f32) * 2.0
            logits[0, 0, :] = -np.abs(logits[0, 0, :]) - 0.1  # one query sees nothing
            block = torch.sigmoid(torch.from_numpy(logits)) < 0.5
        else:
            block = torch.from_numpy(rng.uniform(size=(nmask, Lq, Lk)) < 0.4)
            block[0, 1, :] = True  # fully blocked rows
            block[nmask - 1, Lq - 1, :] = True
        raw = block
        if mask_kind in ("bool_open", "sigmoid"):
            block = open_blocked_rows(block)
        fm = float_mask_from_bool(block)
    elif mask_kind == "float":
        add = rng.standard_normal((nmask, Lq, Lk)).astype(f32)
        add[rng.uniform(size=add.shape) < 0.2] = -np.inf
        fm = torch.from_numpy(add)
    else:
        fm = None
    if fm is not None:  # torch's masks are [BH, Lq, Lk] or [Lq, Lk]: expand groups
        fm = fm.repeat_interleave(group, dim=0) if nmask > 1 else fm
    qt, kt, vt = (torch.from_numpy(a).requires_grad_() for a in (q, kk, v))
    out, probs = sdpa(qt, kt, vt, fm)
    dout = torch.from_numpy(rng.standard_normal(out.shape).astype(f32))
    (out * dout).sum().backward()
    p = f"c{k}."
    T[p + "q"], T[p + "k"], T[p + "v"] = q, kk, v
    T[p + "out"], T[p + "probs"], T[p + "dout"] = out.detach(), probs.detach(), dout
    T[p + "dq"], T[p + "dk"], T[p + "dv"] = qt.grad, kt.grad, vt.grad
    if block is not None:
        T[p + "block"] = block.to(torch.uint8)
        T[p + "block_raw"] = raw.to(torch.uint8)
    if add is not None:
        T[p + "add"] = add
    T[p + "dims"] = np.array([BH, Lq, Lk, D, Dv, group, {"none": 0, "bool": 1, "bool_open": 1, "sigmoid": 1, "float": 2}[mask_kind]], dtype=np.int64)


cases = [
    (6, 7, 13, 5, 5, "none", 1),
    (6, 7, 13, 5, 5, "bool", 1),        # fully blocked rows: NaN like torch
    (6, 7, 13, 5, 5, "bool_open", 3),   # Mask2Former rule, one mask per batch of 3 heads
    (4, 9, 11, 6, 6, "float", 4),       # 2-D float mask with -inf
    (8, 20, 24, 32, 32, "sigmoid", 8),  # decoder: 8 heads x 32, audio memory 6x4
    (4, 10, 23, 64, 64, "none", 1),     # pre_attn: 4 heads x 64, prototypes
    (3, 5, 7, 4, 9, "bool_open", 1),    # Dv != D
]
for k, c in enumerate(cases):
    add_case(k, *c)
meta["n_cases"] = len(cases)
write_ref("attention", T, meta)
