"""gen_softmax.py: reference vectors for src/ops/softmax.c: softmax and
log_softmax over the last dim, forward and autograd gradients of
(out * dout).sum(), torch 1.13 CPU, float32.

Cases: sm_a plain [13,71]; sm_b [7,30] with -inf entries (every row keeps a
finite one) and rows of huge values (1e30, exp overflow range 80..120);
sm_c [5,13] with row 2 entirely -inf (torch: NaN row, NaN gradient row);
sm_d [3,1] (single column); sm_e [3,7] with NaN inputs (NaN rows)."""
import torch

from refio import write_ref

torch.manual_seed(4321)
torch.set_num_threads(1)
T = {}
NEG = float("-inf")


def case(name, x):
    N, C = x.shape
    T[name + ".cfg"] = torch.tensor([N, C], dtype=torch.int64)
    T[name + ".x"] = x.clone()
    for op, fn in (("sm", torch.softmax), ("lsm", torch.log_softmax)):
        xr = x.clone().requires_grad_()
        out = fn(xr, -1)
        dout = torch.randn(N, C)
        (out * dout).sum().backward()
        T[f"{name}.{op}.out"] = out.detach()
        T[f"{name}.{op}.dout"] = dout
        T[f"{name}.{op}.dx"] = xr.grad


case("sm_a", torch.randn(13, 71) * 3)

x = torch.randn(7, 30) * 2
mask = torch.rand(7, 30) < 0.3
mask[:, 5] = False
x[mask] = NEG
x[3] = torch.linspace(80, 120, 30)          # exp overflows without the max shift
x[4, :] = 0.0
x[4, 7], x[4, 8], x[4, 20] = 1e30, -1e30, 5e29
x[5, ::2] = NEG                             # alternate -inf
x[6, :29] = NEG                             # a single finite entry
case("sm_b", x)

x = torch.randn(5, 13)
x[2] = NEG
x[0, 3] = NEG
case("sm_c", x)

case("sm_d", torch.randn(3, 1))

x = torch.randn(3, 7)
x[0, 3] = float("nan")  # NaN anywhere: the whole row is NaN
x[1, 0] = float("nan")  # NaN first (the running max starts there)
case("sm_e", x)
write_ref("softmax", T, {"cases": "sm_a sm_b sm_c sm_d sm_e"})
