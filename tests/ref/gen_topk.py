"""gen_topk.py: reference vectors for src/ops/topk.c: torch.topk(largest=True,
sorted=True) along the last dim, values, int64 indices and the autograd
gradient of (values*dvalues).sum(), torch 1.13 CPU, float32.

tk_a/tk_b/tk_c: distinct values (indices must match exactly) through both of
torch's selection paths (nth_element when k*64 > N, partial_sort otherwise);
tk_d: many ties (values must match; torch's index order there is unspecified);
tk_e: NaNs (largest, one per row), tk_f: +-inf."""
import torch

from refio import write_ref

torch.manual_seed(31337)
torch.set_num_threads(1)
T = {}


def case(name, x, k):
    R, N = x.shape
    xr = x.clone().requires_grad_()
    v, i = torch.topk(xr, k, dim=-1, largest=True, sorted=True)
    dv = torch.randn(R, k)
    (v * dv).sum().backward()  # d/dv is dv even where v is NaN
    T[name + ".cfg"] = torch.tensor([R, N, k], dtype=torch.int64)
    T[name + ".x"], T[name + ".values"], T[name + ".indices"] = x.clone(), v.detach(), i
    T[name + ".dvalues"], T[name + ".dx"] = dv, xr.grad


case("tk_a", torch.randn(13, 71), 7)
case("tk_b", torch.randn(7, 30), 30)
case("tk_c", torch.randn(3, 1000), 5)
case("tk_d", torch.randint(0, 4, (5, 13)).float(), 6)
x = torch.randn(2, 13)
x[0, 4] = float("nan")
x[1, 12] = float("nan")
case("tk_e", x, 4)
x = torch.randn(3, 13)
x[0, 2], x[1, 0], x[2, 5], x[2, 6] = float("inf"), float("-inf"), float("-inf"), float("inf")
case("tk_f", x, 13)
write_ref("topk", T, {"cases": "tk_a tk_b tk_c tk_d tk_e tk_f"})
