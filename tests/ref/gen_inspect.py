"""gen_inspect.py: torch's listing of the shared case's checkpoint, for tests/cli/test_inspect.sh.

For every tensor of model_best.pth's state_dict, as torch 1.13 loads it: name, dtype, shape,
the float64 sum and the FNV-1a 64 hash of the raw C-order bytes (numpy's tobytes()).
Writes tests/ref/data/inspect_ss-reduced-1f.tsv (small text; the checkpoint itself stays in
../shared and is never committed).
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
CASE = os.path.join(HERE, "..", "..", "..", "shared", "conformance", "cases", "ss-reduced-1f")
OUT = os.path.join(HERE, "data", "inspect_ss-reduced-1f.tsv")
DT = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
      torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL", torch.int16: "I16",
      torch.int8: "I8"}


def fnv1a64(b):
    h = 0xcbf29ce484222325
    for x in b:
        h ^= x
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    path = os.path.join(CASE, "model_best.pth")
    if not os.path.exists(path):
        print(f"gen_inspect.py: {path} not found: skipped")
        return
    ck = torch.load(path, map_location="cpu")
    sd = ck["model"] if "model" in ck else ck
    lines = ["# torch %s listing of %s\n" % (torch.__version__, "model_best.pth")]
    for name, t in sd.items():
        t = t.detach().contiguous()
        raw = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        s = float(t.double().sum())
        shape = "[" + ",".join(str(x) for x in t.shape) + "]"
        lines.append(f"{name}\t{DT[t.dtype]}\t{shape}\t{s!r}\t{fnv1a64(raw):016x}\n")
    with open(OUT + ".tmp", "w") as f:
        f.writelines(lines)
    os.replace(OUT + ".tmp", OUT)
    print(f"wrote {os.path.relpath(OUT)} ({len(lines) - 1} tensors)")


if __name__ == "__main__":
    sys.exit(main())
