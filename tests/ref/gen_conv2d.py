"""gen_conv2d.py: torch.nn.functional.conv2d forward and autograd backward (NCHW).

Case c<i>: "c<i>.dims" (I64) = [B, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, groups,
has_bias]; x [B, C, H, W], w [OC, C/groups, KH, KW], b [OC] (absent without bias),
dout [B, OC, OH, OW], out = F.conv2d(x, w, b, stride, padding, dilation, groups), and
the gradients of (out * dout).sum() w.r.t. x, w, b. Cases cover 3x3 pad 1 (VGGish),
4x4 stride 4 (Swin patch embedding), 1x1, groups (incl. depthwise), dilation, unequal
strides / paddings, strided 1x1 and a kernel larger than the unpadded input.
Run with Debian's /usr/bin/python3 (torch 1.13.1).
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refio import write_ref  # noqa: E402

CASES = [  # B, C, H, W, OC, (KH, KW), (sh, sw), (ph, pw), (dh, dw), groups, bias
    (2, 3, 7, 13, 5, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),
    (1, 4, 13, 7, 6, (3, 2), (2, 1), (1, 0), (1, 1), 2, False),
    (2, 3, 16, 12, 8, (4, 4), (4, 4), (0, 0), (1, 1), 1, True),   # patch embedding
    (3, 6, 9, 11, 4, (1, 1), (1, 1), (0, 0), (1, 1), 1, True),    # 1x1: no im2col
    (1, 2, 13, 13, 3, (3, 3), (2, 2), (2, 2), (2, 2), 1, True),
    (2, 6, 7, 7, 6, (3, 3), (1, 1), (1, 1), (1, 1), 6, True),     # depthwise
    (1, 5, 30, 7, 7, (5, 3), (3, 2), (2, 1), (1, 2), 1, True),
    (2, 4, 5, 6, 6, (1, 1), (2, 2), (0, 0), (1, 1), 2, False),    # strided 1x1
    (1, 1, 1, 1, 2, (1, 1), (1, 1), (0, 0), (1, 1), 1, True),
    (1, 3, 6, 5, 2, (7, 7), (1, 1), (3, 3), (1, 1), 1, True),     # kernel > input
    (1, 16, 12, 8, 32, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),  # VGGish-like
    (2, 4, 8, 9, 4, (1, 1), (1, 1), (0, 0), (1, 1), 2, True),     # 1x1 with groups
]


def main():
    torch.manual_seed(2025)
    out = {}
    for i, (B, C, H, W, OC, k, s, p, dl, g, has_bias) in enumerate(CASES):
        x = torch.randn(B, C, H, W, requires_grad=True)
        fan_in = C // g * k[0] * k[1]
        w = (torch.randn(OC, C // g, *k) / fan_in ** 0.5).requires_grad_()
        b = torch.randn(OC, requires_grad=True) if has_bias else None
        y = F.conv2d(x, w, b, stride=s, padding=p, dilation=dl, groups=g)
        dout = torch.randn_like(y)
        (y * dout).sum().backward()
        q = f"c{i}."
        out[q + "dims"] = torch.tensor([B, C, H, W, OC, *k, *s, *p, *dl, g, int(has_bias)],
                                       dtype=torch.int64)
        out[q + "x"], out[q + "w"], out[q + "dout"], out[q + "out"] = x, w, dout, y
        out[q + "dx"], out[q + "dw"] = x.grad, w.grad
        if has_bias:
            out[q + "b"], out[q + "db"] = b, b.grad
    write_ref("conv2d", out, {"cases": str(len(CASES))})


if __name__ == "__main__":
    main()
