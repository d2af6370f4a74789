"""bench_gemm_torch.py: torch.matmul GFLOP/s on the shapes of bench_gemm.c, in the
same output format ("INFO ..." and "RESULT <shape> torch <GFLOP/s> <best s> <runs>").

  /usr/bin/python3 bench/bench_gemm_torch.py [--threads N] [shape]

Float32, contiguous, no transposes; the batched shape is one torch.matmul of 3-D
tensors (bmm). Timing as in bench_gemm.c: one warm-up, then best of >= 3 runs and
>= 0.5 s. Names the BLAS torch uses (BLAS_INFO from torch.__config__.show(), and the
library actually mapped into the process, with OpenBLAS's core and thread count when it
is OpenBLAS) and torch's thread count.
"""
import argparse
import ctypes
import os
import re
import sys
import time

SHAPES = [  # name, desc, batch, M, N, K
    ("square", "2048x2048x2048", 1, 2048, 2048, 2048),
    ("pix", "9216x256x256", 1, 9216, 256, 256),
    ("swin", "1000x(144x144x32)", 1000, 144, 144, 32),
    ("big", "2304x4096x1024", 1, 2304, 4096, 1024),
]


def blas_libs():
    """shared libraries with blas/dnnl/mkl in their name mapped into this process"""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if re.search(r"blas|dnnl|mkl", os.path.basename(p)):
                    libs.add(p)
    except OSError:
        pass
    return sorted(libs)


def openblas_info(libs):
    for p in libs:
        if "openblas" in os.path.basename(p):
            try:
                lib = ctypes.CDLL(p)
                lib.openblas_get_config.restype = ctypes.c_char_p
                lib.openblas_get_corename.restype = ctypes.c_char_p
                return "%s, core %s, %d threads" % (lib.openblas_get_config().decode(),
                                                    lib.openblas_get_corename().decode(),
                                                    lib.openblas_get_num_threads())
            except (OSError, AttributeError):
                return None
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("shape", nargs="?")
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("INFO torch unavailable (no module 'torch' for %s): no torch.matmul numbers"
              % sys.executable)
        return 0
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    cfg = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=([^,\s]+)", cfg)
    cap = re.search(r"CPU capability usage: (\S+)", cfg)
    print("INFO torch %s, %d threads (torch.get_num_threads()), BLAS_INFO=%s, CPU capability %s"
          % (torch.__version__, torch.get_num_threads(), blas.group(1) if blas else "?",
             cap.group(1) if cap else "?"))
    torch.matmul(torch.ones(64, 64), torch.ones(64, 64))  # load the BLAS
    libs = blas_libs()
    print("INFO torch BLAS libraries mapped: %s" % (" ".join(libs) if libs else "(none found)"))
    ob = openblas_info(libs)
    if ob:
        print("INFO torch OpenBLAS: %s" % ob)
    print("INFO env OPENBLAS_CORETYPE=%s" % os.environ.get("OPENBLAS_CORETYPE", "(unset)"))
    sys.stdout.flush()
    torch.manual_seed(0)
    with torch.no_grad():
        for name, desc, batch, M, N, K in SHAPES:
            if a.shape and a.shape != name:
                continue
            if batch > 1:
                A, B = torch.rand(batch, M, K) - 0.5, torch.rand(batch, K, N) - 0.5
            else:
                A, B = torch.rand(M, K) - 0.5, torch.rand(K, N) - 0.5
            torch.matmul(A, B)  # warm-up
            best, total, runs = 1e30, 0.0, 0
            while runs < 50:
                t0 = time.perf_counter()
                torch.matmul(A, B)
                t = time.perf_counter() - t0
                best, total, runs = min(best, t), total + t, runs + 1
                if runs >= 3 and total >= 0.5:
                    break
            flop = 2.0 * batch * M * N * K
            print("RESULT %s torch %.1f %.6f %d   # %s" % (name, flop / best / 1e9, best, runs, desc))
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
