"""refio.py: the one writer every tests/ref/gen_*.py uses.

write_ref(name, tensors, meta) writes tests/ref/data/<name>.safetensors with
metadata {"format_version": FORMAT_VERSION, "generator": "gen_<...>.py",
"torch": torch.__version__, ...meta}. The C tests check format_version, so a
stale file fails loudly. Run with Debian's /usr/bin/python3 (torch 1.13.1).
"""
import json
import os
import struct
import sys

import numpy as np

FORMAT_VERSION = "1"
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

_DT = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64",
       np.dtype("int32"): "I32", np.dtype("uint8"): "U8", np.dtype("bool"): "BOOL",
       np.dtype("int16"): "I16", np.dtype("float16"): "F16"}


def _np(x):
    try:
        import torch
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
    except ImportError:
        pass
    return np.ascontiguousarray(np.asarray(x))


def write_safetensors(path, tensors, meta=None):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = _np(tensors[name])
        if a.dtype not in _DT:
            raise ValueError(f"{name}: unsupported dtype {a.dtype}")
        b = a.tobytes()
        header[name] = {"dtype": _DT[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if meta:
        header["__metadata__"] = {str(k): str(v) for k, v in meta.items()}
    h = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def write_ref(name, tensors, meta=None):
    import torch
    os.makedirs(DATA_DIR, exist_ok=True)
    m = {"format_version": FORMAT_VERSION, "generator": os.path.basename(sys.argv[0]),
         "torch": torch.__version__}
    m.update(meta or {})
    path = os.path.join(DATA_DIR, name + ".safetensors")
    write_safetensors(path, tensors, m)
    print(f"wrote {os.path.relpath(path)} ({len(tensors)} tensors)")
