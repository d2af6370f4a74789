"""gen_linear.py: torch.nn.functional.linear forward and autograd backward.

For each case c<i>: x [N, C], w [OC, C], b [OC] (absent when bias=False), a random
upstream gradient dout [N, OC], out = F.linear(x, w, b), and the gradients of
(out * dout).sum() w.r.t. x, w, b. "c<i>.dims" (I64) = [N, C, OC, has_bias] tells the C
test the shapes. Odd sizes (1, 7, 13, 30, 71) and a 3-D input flattened to rows.
Run with Debian's /usr/bin/python3 (torch 1.13.1).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refio import write_ref  # noqa: E402

CASES = [  # N, C, OC, bias
    (7, 13, 30, True),
    (1, 71, 1, True),
    (30, 7, 13, False),
    (71, 30, 71, True),
    (2 * 5, 13, 7, True),   # a [2, 5, 13] input, flattened to 10 rows
    (13, 1, 30, True),
]


def main():
    torch.manual_seed(1234)
    out = {}
    for i, (N, C, OC, has_bias) in enumerate(CASES):
        x = torch.randn(N, C, dtype=torch.float32, requires_grad=True)
        w = (torch.randn(OC, C, dtype=torch.float32) / C ** 0.5).requires_grad_()
        b = torch.randn(OC, dtype=torch.float32, requires_grad=True) if has_bias else None
        dout = torch.randn(N, OC, dtype=torch.float32)
        y = torch.nn.functional.linear(x, w, b)
        (y * dout).sum().backward()
        p = f"c{i}."
        out[p + "dims"] = torch.tensor([N, C, OC, int(has_bias)], dtype=torch.int64)
        out[p + "x"], out[p + "w"], out[p + "dout"], out[p + "out"] = x, w, dout, y
        out[p + "dx"], out[p + "dw"] = x.grad, w.grad
        if has_bias:
            out[p + "b"], out[p + "db"] = b, b.grad
    write_ref("linear", out, {"cases": str(len(CASES))})


if __name__ == "__main__":
    main()
