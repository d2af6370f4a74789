"""safetensors_np.py: read and write safetensors files with numpy only, for the
test scripts (CI has numpy but not torch or the safetensors package)."""
import json
import struct

import numpy as np

_DT = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_,
       "I16": np.int16, "F16": np.float16}


def read(path):
    """-> ({name: array}, metadata dict)"""
    d = open(path, "rb").read()
    n = struct.unpack("<Q", d[:8])[0]
    h = json.loads(d[8:8 + n])
    meta = h.pop("__metadata__", {})
    out = {}
    for k, v in h.items():
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(d[8 + n + a:8 + n + b], _DT[v["dtype"]]).reshape(v["shape"]).copy()
    return out, meta


def write(path, tensors, meta=None):
    rev = {np.dtype(v): k for k, v in _DT.items()}
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        a = np.ascontiguousarray(tensors[k])
        b = a.tobytes()
        header[k] = {"dtype": rev[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if meta:
        header["__metadata__"] = meta
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
