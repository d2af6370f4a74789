"""gen_matmul.py: batched torch.matmul forward and autograd backward.

Case c<i> with dims (I64 "c<i>.dims") = [Bt, M, K, N, transA, transB, bcastA, bcastB]:
A is stored [BA, M, K] (or [BA, K, M] if transA, used as A.transpose(-1, -2)), B stored
[BB, K, N] (or [BB, N, K] if transB), BA = 1 if bcastA else Bt (likewise BB); the
broadcast operand is expanded over the batch. out = torch.matmul(opA, opB) [Bt, M, N];
dA, dB = gradients of (out * dout).sum() w.r.t. the stored A and B.
Run with Debian's /usr/bin/python3 (torch 1.13.1).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refio import write_ref  # noqa: E402

CASES = [  # Bt, M, K, N, tA, tB, bA, bB
    (3, 7, 13, 30, 0, 0, 0, 0),
    (5, 13, 7, 13, 0, 1, 0, 0),   # q @ k^T
    (2, 30, 13, 7, 1, 0, 0, 0),
    (3, 7, 30, 13, 1, 1, 0, 0),
    (4, 13, 7, 30, 0, 0, 0, 1),   # [Bt, M, K] @ [K, N]: folded into one GEMM
    (4, 7, 13, 7, 0, 1, 0, 1),    # folded, B transposed (a linear layer without bias)
    (3, 13, 7, 30, 0, 0, 1, 0),   # [M, K] @ [Bt, K, N]
    (3, 7, 13, 13, 1, 0, 1, 0),
    (1, 1, 71, 1, 0, 0, 0, 0),
    (6, 13, 30, 7, 0, 0, 0, 0),   # batch splits over 2 threads
    (2, 7, 7, 13, 0, 0, 1, 1),
    (5, 7, 13, 30, 1, 0, 0, 1),   # broadcast B with transposed A: a loop, not folded
    (3, 71, 1, 7, 0, 1, 0, 0),
]


def main():
    torch.manual_seed(4321)
    out = {}
    for i, (Bt, M, K, N, tA, tB, bA, bB) in enumerate(CASES):
        BA, BB = (1 if bA else Bt), (1 if bB else Bt)
        A = torch.randn(BA, *((K, M) if tA else (M, K)), requires_grad=True)
        B = torch.randn(BB, *((N, K) if tB else (K, N)), requires_grad=True)
        opA = A.transpose(-1, -2) if tA else A
        opB = B.transpose(-1, -2) if tB else B
        y = torch.matmul(opA.expand(Bt, M, K), opB.expand(Bt, K, N))
        dout = torch.randn(Bt, M, N)
        (y * dout).sum().backward()
        p = f"c{i}."
        out[p + "dims"] = torch.tensor([Bt, M, K, N, tA, tB, bA, bB], dtype=torch.int64)
        out[p + "A"], out[p + "B"], out[p + "dout"], out[p + "out"] = A, B, dout, y
        out[p + "dA"], out[p + "dB"] = A.grad, B.grad
    write_ref("matmul", out, {"cases": str(len(CASES))})


if __name__ == "__main__":
    main()
