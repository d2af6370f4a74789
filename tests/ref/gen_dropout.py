"""gen_dropout.py: reference vectors for src/ops/dropout.c: F.dropout
(training) and timm 0.6.5 drop_path, forward and autograd gradients of
(out*dout).sum(), torch 1.13 CPU, float32. The keep masks torch drew are
stored (uint8) so the C kernels can replay them; results must match bit for bit.
"""
import torch
import torch.nn.functional as F

from refio import write_ref

torch.manual_seed(99)
torch.set_num_threads(1)
T = {}


def dropout_case(name, shape, p):
    x = torch.randn(*shape)
    x[x == 0] = 1.0  # the mask is read back from out != 0
    xr = x.clone().requires_grad_()
    out = F.dropout(xr, p, training=True)
    dout = torch.randn(*shape)
    (out * dout).sum().backward()
    keep = (out.detach() != 0).to(torch.uint8)
    T[name + ".p"] = torch.tensor([p], dtype=torch.float64)
    T[name + ".x"] = x
    T[name + ".keep"] = keep.reshape(-1)
    T[name + ".out"] = out.detach()
    T[name + ".dout"] = dout
    T[name + ".dx"] = xr.grad


def timm_drop_path(x, drop_prob, training=True, scale_by_keep=True):
    """timm 0.6.5 timm/models/layers/drop.py drop_path, returning the mask too."""
    if drop_prob == 0.0 or not training:
        return x, torch.ones(x.shape[0])
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0 and scale_by_keep:
        random_tensor.div_(keep_prob)
    return x * random_tensor, random_tensor.reshape(-1)


def drop_path_case(name, shape, drop_prob):
    x = torch.randn(*shape).requires_grad_()
    out, rt = timm_drop_path(x, drop_prob)
    dout = torch.randn(*shape)
    (out * dout).sum().backward()
    T[name + ".p"] = torch.tensor([drop_prob], dtype=torch.float64)
    T[name + ".x"] = x.detach()
    T[name + ".keep"] = (rt != 0).to(torch.uint8)
    T[name + ".out"] = out.detach()
    T[name + ".dout"] = dout
    T[name + ".dx"] = x.grad


dropout_case("do_a", (13, 71), 0.3)
dropout_case("do_b", (7, 30), 1.0 / 3.0)
dropout_case("do_c", (5, 13), 0.9)
dropout_case("do_0", (3, 7), 0.0)
dropout_case("do_1", (3, 7), 1.0)
# Swin drop-path rates as the model computes them: linspace(0, 0.3, 24)[k].item()
dpr = [v.item() for v in torch.linspace(0, 0.3, 24)]
drop_path_case("dp_a", (30, 7, 13), dpr[13])
drop_path_case("dp_b", (13, 71), dpr[23])
drop_path_case("dp_c", (7, 5), 0.0)
drop_path_case("dp_d", (5, 7), 1.0)  # keep_prob 0: mask stays 0/1 (all 0)
write_ref("dropout", T, {"cases": "do_a do_b do_c do_0 do_1 dp_a dp_b dp_c dp_d"})
