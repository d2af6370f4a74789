"""gen_pth.py: .pth / .pkl fixtures for tests/io/test_pth.c, made with torch.

Writes tests/data/pth/*.pth|*.pkl and, through refio.write_ref, the expected
tensors in tests/ref/data/pth_fixtures.safetensors:
  "<file>:<path>"   every tensor of <file>, named as pth_read_all names it
                    (dict keys and list indices joined by '.'), C-contiguous
metadata:
  "all.<file>"      the pth_read_all names, in file order, '\n'-joined
  "dtypes.<file>"   their dtypes (BF16 and I8 are stored in the ref as F32 / I16)
  "shapes.<file>"   their shapes, "2,3" ("" for 0-d: refio stores 0-d tensors as [1])
  "sd.<file>"       the pth_read_state_dict keys, in order
  "sdprefix.<file>" where the state_dict sits in the "all" names ("" or "model.")
  "meta.<file>"     a few metadata entries pth_read_all must report, "k=v" lines
The legacy (pre-1.6, non-zip) format appears twice: whole files written with
torch.save(..., _use_new_zipfile_serialization=False), and inside pickle.dump
of torch tensors (each storage pickles as torch.storage._load_from_bytes of a
legacy stream), as AVSBench's log-mel .pkl files are. A legacy stream's storage
keys are memory addresses (str(storage._cdata)); canon_legacy() renames them
0, 1, ... in order of first use and puts the data section in that order, so
regenerating gives the same bytes. torch.load reads the result to the same values.
and, from the conformance checkpoint (../shared/conformance/cases/ss-reduced-1f/
model_best.pth, read with torch.load), its state_dict: "conf.keys", "conf.shapes",
"conf.dtypes", "conf.crc32" (zlib CRC-32 of each tensor's C-order bytes, so the C
test checks every byte without storing 73 MB), "conf.iteration", and a few
small tensors as "conf:<key>".
Deterministic (seeded); run with Debian's /usr/bin/python3 (torch 1.13).
"""
import collections
import io
import os
import pickle
import pickletools
import struct
import zipfile
import zlib

import numpy as np
import torch

from refio import write_ref

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "pth")
CONF = os.environ.get("VCT_CONFORMANCE_DIR", os.path.join(HERE, "..", "..", "..", "shared", "conformance"))
CONF_PTH = os.path.join(CONF, "cases", "ss-reduced-1f", "model_best.pth")


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.ModuleDict({
            "conv1": torch.nn.Conv2d(3, 4, 3, padding=1),
            "bn1": torch.nn.BatchNorm2d(4),
        })
        self.head = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.LayerNorm(5), torch.nn.Linear(5, 3))
        self.register_buffer("index", torch.arange(7, dtype=torch.int64).view(7, 1) * 3 - 5)

    def forward(self, x):
        x = self.backbone["bn1"](self.backbone["conv1"](x)).mean((2, 3))
        return self.head(x)


def trained(opt_name):
    torch.manual_seed(0)
    net = Net()
    if opt_name == "adamw":
        opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.05)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9)
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[3, 5], gamma=0.1)  # a Counter
    for _ in range(2):
        opt.zero_grad()
        net(torch.randn(2, 3, 5, 5)).pow(2).sum().backward()
        opt.step()
        sched.step()
    return net, opt, sched


def key_text(k):
    if k is None:
        return "None"
    if isinstance(k, bool):
        return "True" if k else "False"
    if isinstance(k, (int, np.integer)):
        return str(int(k))
    if isinstance(k, float):
        return "%.17g" % k
    if isinstance(k, (str, bytes)):
        return k if isinstance(k, str) else k.decode("latin-1")
    return "?"


def walk(x, path, out):
    """the names pth_read_all gives: tensors/arrays are leaves, dicts and lists are walked"""
    if isinstance(x, (torch.Tensor, np.ndarray)):
        out.append((path or "tensor", x))
    elif isinstance(x, dict):
        for k, v in x.items():
            walk(v, (path + "." if path else "") + key_text(k), out)
    elif isinstance(x, (list, tuple)):
        for i, v in enumerate(x):
            walk(v, (path + "." if path else "") + str(i), out)


DT = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
      torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
      torch.bool: "BOOL"}
NPDT = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("float16"): "F16",
        np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("uint8"): "U8", np.dtype("bool"): "BOOL"}


def ref_value(x):
    """(tensor for the ref file, dtype name the reader must report)"""
    if isinstance(x, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(x)), NPDT[x.dtype]
    x = x.detach().contiguous()
    name = DT[x.dtype]
    if x.dtype == torch.bfloat16:
        x = x.float()  # exact
    elif x.dtype == torch.int8:
        x = x.to(torch.int16)
    return x.clone(), name


def fixtures():
    f = collections.OrderedDict()  # file -> (object, save function, state_dict prefix, meta)

    net, _, _ = trained("adamw")
    f["state_dict.pth"] = (net.state_dict(), "torch", "", {})

    net, opt, sched = trained("adamw")
    ck = {"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
          "iteration": 7}
    f["d2_adamw.pth"] = (ck, "torch", "model.", {"iteration": "7", "optimizer.param_groups.0.lr": "0.0005"})
    f["d2_adamw_deflated.pth"] = (ck, "deflate", "model.", {"iteration": "7"})

    net, opt, sched = trained("sgd")
    ck = {"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
          "iteration": 0}
    f["d2_sgd_p4.pth"] = (ck, "torch4", "model.", {"iteration": "0", "scheduler.milestones.3": "1"})

    g = torch.Generator().manual_seed(3)
    r = torch.randn(3, 4, generator=g)
    special = torch.tensor([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-40, 3.4e38, -1.5])
    dt = collections.OrderedDict([
        ("f32", torch.cat([r.flatten(), special]).view(4, 5)),
        ("f16", (r * 100).half()),
        ("bf16", (r * 1000).bfloat16()),
        ("f64", r.double() / 3),
        ("i64", torch.tensor([[0, -1, 2 ** 62 + 1], [-(2 ** 63), 2 ** 63 - 1, 12345]], dtype=torch.int64)),
        ("i32", torch.tensor([-(2 ** 31), 2 ** 31 - 1, 0, 7], dtype=torch.int32)),
        ("i16", torch.tensor([-32768, 32767, 5], dtype=torch.int16)),
        ("i8", torch.tensor([-128, 127, 0, -3], dtype=torch.int8)),
        ("u8", torch.arange(0, 255, 17, dtype=torch.uint8).view(3, 5)),
        ("bool", torch.tensor([[True, False, True], [False, False, True]])),
        ("f32_0d", torch.tensor(2.5)),
        ("i64_0d", torch.tensor(-42)),
        ("bool_0d", torch.tensor(True)),
        ("empty", torch.zeros(0, 3)),
        ("param", torch.nn.Parameter(torch.linspace(-1, 1, 6).view(2, 3))),
    ])
    f["dtypes.pth"] = (dt, "torch", "", {})

    base = torch.arange(60, dtype=torch.float32) * 0.5 - 3
    lbase = torch.arange(24, dtype=torch.int64) * 7 - 50
    views = collections.OrderedDict([
        ("base", base),
        ("slice", base[10:30].view(4, 5)),           # offset 10
        ("cols", base.view(6, 10)[:, 2:7]),          # offset 2, non-contiguous
        ("transposed", base.view(6, 10).t()),        # strides (1, 10)
        ("permuted", base.view(3, 4, 5).permute(2, 0, 1)),
        ("step", base[1::3]),                        # stride 3
        ("expanded", base[5:8].view(3, 1).expand(3, 4)),  # stride 0
        ("scalar_view", base[7]),                    # 0-d with an offset
        ("empty_view", base[4:4]),
        ("long_view", lbase.view(4, 6)[1:, ::2]),
        ("long_base", lbase),
    ])
    f["views.pth"] = (views, "torch", "", {})

    rs = np.random.RandomState(5)
    model = collections.OrderedDict([
        ("backbone.stem.conv1.weight", rs.randn(4, 3, 3, 3).astype(np.float32)),
        ("backbone.stem.conv1.norm.running_mean", rs.randn(4).astype(np.float32)),
        ("backbone.res2.0.conv1.weight", np.asfortranarray(rs.randn(5, 4).astype(np.float32))),
        ("roi_heads.box_predictor.bbox_pred.bias", rs.randn(8).astype(np.float64)),
        ("pixel_index", np.arange(6, dtype=np.int64).reshape(2, 3)),
        ("mask", np.array([True, False, True])),
        ("scalar_array", np.array(1.25, dtype=np.float32)),
    ])
    pk = {"model": dict(model), "__author__": "vct gen_pth.py", "matching_heuristics": True,
          "np_scalar": np.float32(0.5), "np_int": np.int64(3)}
    meta = {"__author__": "vct gen_pth.py", "matching_heuristics": "True", "np_scalar": "0.5", "np_int": "3"}
    f["d2_model_zoo_p2.pkl"] = (pk, "pickle2", "model.", meta)
    f["d2_model_zoo_p4.pkl"] = (pk, "pickle4", "model.", meta)
    # as Python 2 wrote the old model-zoo files: str keys and array data as BINSTRING
    blobs = collections.OrderedDict([
        ("conv1_w", rs.randn(2, 3, 1, 1).astype(np.float32)),
        ("res_conv1_bn_s", rs.randn(2).astype(np.float32)),
        ("pred_b", rs.randn(3).astype(np.float64)),
    ])
    f["detectron_py2_style.pkl"] = ({"blobs": blobs, "__author__": "vct"}, "py2", "blobs.",
                                    {"__author__": "vct"})

    # the legacy format: whole files, and pickle.dump of tensors (AVSBench's log-mel .pkl)
    net, opt, sched = trained("adamw")
    ck = {"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
          "iteration": 5}
    f["legacy_d2_adamw.pth"] = (ck, "torch_legacy", "model.", {"iteration": "5"})
    mixed = collections.OrderedDict(list(views.items()) + [(k, v) for k, v in dt.items() if k != "param"])
    f["legacy_views_dtypes.pth"] = (mixed, "torch_legacy", "", {})
    g = torch.Generator().manual_seed(11)  # log-mel-like values: [T, 1, 96, 64] float32
    f["logmel_5_p4.pkl"] = ((torch.randn(5, 1, 96, 64, generator=g) * 12 - 30).float(), "tpickle4", "", {})
    f["logmel_10_p3.pkl"] = ((torch.randn(10, 1, 96, 64, generator=g) * 12 - 30).float(), "tpickle3", "", {})
    x = torch.randn(6, 1, 8, 5, generator=g)
    f["noncontiguous_p4.pkl"] = (x.permute(3, 1, 0, 2)[1:4, :, ::2], "tpickle4", "", {})
    several = collections.OrderedDict([
        ("transposed", x.view(6, 40).t()),
        ("slice", x.view(6, 40)[2:5, 3:30:4]),
        ("i64", torch.arange(12, dtype=torch.int64).view(3, 4) * 1000003 - 7),
        ("f16", (x[0, 0] * 50).half()),
        ("bool", x[1, 0] > 0),
        ("scalar", torch.tensor(-0.75)),
        ("empty", torch.zeros(0, 4)),
    ])
    f["tensors_p2.pkl"] = (several, "tpickle2", "", {})
    return f


class _Scan(pickle.Unpickler):
    """runs a legacy object pickle inertly, recording its storage persistent ids"""

    def __init__(self, f):
        super().__init__(f)
        self.pids = []

    def find_class(self, module, name):
        if module == "torch" and name.endswith("Storage") or module == "collections":
            return super().find_class(module, name)
        return lambda *a, **k: None

    def persistent_load(self, pid):
        self.pids.append(pid)
        return None


def canon_legacy(b):
    """a legacy torch.save stream with its storage keys renamed 0, 1, ... (order of first
    use in the object pickle) and the key list and data section in that order"""
    f = io.BytesIO(b)
    ends, ops = [], []
    for i in range(5):  # magic, protocol version, sys info, object, key list
        for op, arg, pos in pickletools.genops(f):
            if i == 3:
                ops.append((op.name, arg, pos))
        ends.append(f.tell())
    scan = _Scan(io.BytesIO(b[ends[2]:ends[3]]))
    scan.load()
    assert all(p[0] == "storage" and p[5] is None for p in scan.pids)
    new, esize = {}, {}
    for p in scan.pids:
        new.setdefault(p[2], str(len(new)))
        esize[p[2]] = p[1](0).element_size()
    keys = pickle.loads(b[ends[3]:ends[4]])
    assert sorted(keys) == sorted(new)
    data, pos = {}, ends[4]
    for k in keys:
        (n,) = struct.unpack("<q", b[pos:pos + 8])
        data[k] = b[pos:pos + 8 + n * esize[k]]
        pos += 8 + n * esize[k]
    assert pos == len(b)
    obj, last = bytearray(), ends[2]  # the object pickle with each key string replaced
    for j, (name, arg, at) in enumerate(ops):
        assert name != "FRAME"
        if name in ("BINUNICODE", "SHORT_BINUNICODE") and arg in new:
            end = ops[j + 1][2]
            obj += b[last:at] + b"X" + struct.pack("<I", len(new[arg])) + new[arg].encode()
            last = end
    obj += b[last:ends[3]]
    order = sorted(new, key=lambda k: int(new[k]))
    out = (b[:ends[2]] + bytes(obj) + pickle.dumps([new[k] for k in order], protocol=2) +
           b"".join(data[k] for k in order))
    return out


def legacy_bytes(obj):
    b = io.BytesIO()
    torch.save(obj, b, _use_new_zipfile_serialization=False)
    return canon_legacy(b.getvalue())


class TensorPickler(pickle.Pickler):
    """pickle.dump as torch 1.13 does it (TypedStorage.__reduce__ gives
    (_load_from_bytes, (legacy torch.save of the storage,))), with canonical keys"""

    def reducer_override(self, obj):
        if isinstance(obj, torch.storage.TypedStorage):
            fn, (b,) = obj.__reduce__()  # torch's own; only the keys change
            assert fn is torch.storage._load_from_bytes
            assert canon_legacy(b) == legacy_bytes(obj)
            return (torch.storage._load_from_bytes, (legacy_bytes(obj),))
        return NotImplemented


def py2_pickle(obj):
    """Hand-assembled protocol-2 pickle of {'blobs': {name: ndarray}, '__author__': str}
    with Python 2 str (SHORT_BINSTRING / BINSTRING) as Python 2's cPickle wrote it."""
    import struct

    def s(b):
        b = b.encode() if isinstance(b, str) else b
        return (b"U" + bytes([len(b)]) + b) if len(b) < 256 else (b"T" + struct.pack("<i", len(b)) + b)

    def arr(a):
        descr = a.dtype.str[1:]
        return (b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\nK\x00\x85" + s("b") + b"tR" +
                b"(K\x01(" + b"".join(b"K" + bytes([d]) for d in a.shape) + b"t" +
                b"cnumpy\ndtype\n(" + s(descr) + b"K\x00K\x01tR" +
                b"(K\x03" + s("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb" +
                b"\x89" + s(a.tobytes()) + b"tb")

    body = b"".join(s(k) + arr(v) for k, v in obj["blobs"].items())
    return (b"\x80\x02}(" + s("blobs") + b"}(" + body + b"u" + s("__author__") + s(obj["__author__"]) +
            b"u.")


def save(obj, how, path):
    if how == "torch":
        torch.save(obj, path)
    elif how == "torch4":
        torch.save(obj, path, pickle_protocol=4)
    elif how == "deflate":  # the same checkpoint, every entry deflated (python zipfile, fixed times)
        buf = io.BytesIO()
        torch.save(obj, buf)
        src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
        stem = os.path.splitext(os.path.basename(path))[0]
        with zipfile.ZipFile(path, "w") as z:
            for n in src.namelist():
                zi = zipfile.ZipInfo(stem + "/" + n.split("/", 1)[1], date_time=(1980, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(zi, src.read(n))
        back = torch.load(path)  # torch itself reads the deflated file
        assert back["iteration"] == obj["iteration"]
    elif how == "py2":
        with open(path, "wb") as fh:
            fh.write(py2_pickle(obj))
        with open(path, "rb") as fh:  # Python reads it as detectron2 does, to the same values
            back = pickle.load(fh, encoding="latin1")
        for k, v in obj["blobs"].items():
            assert back["blobs"][k].dtype == v.dtype and np.array_equal(back["blobs"][k], v), k
    elif how == "torch_legacy":
        with open(path, "wb") as fh:
            fh.write(legacy_bytes(obj))
        same = [identical(a, b) for (_, a), (_, b) in zip(sorted_items(obj), sorted_items(torch.load(path)))]
        assert same and all(same), path  # torch reads the renamed stream to the saved values
    elif how.startswith("tpickle"):  # pickle.dump of torch tensors
        with open(path, "wb") as fh:
            TensorPickler(fh, protocol=int(how[-1])).dump(obj)
    elif how.startswith("pickle"):
        with open(path, "wb") as fh:
            pickle.dump(obj, fh, protocol=int(how[-1]))
    else:
        raise ValueError(how)


def identical(a, b):
    """same dtype, shape and bytes (NaN payloads and -0.0 included)"""
    raw = [t.detach().contiguous().view(-1).view(torch.uint8) for t in (a, b)]
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(raw[0], raw[1])


def sorted_items(x):
    out = []
    walk(x, "", out)
    return out


def conformance(tensors, meta):
    if not os.path.exists(CONF_PTH):
        raise SystemExit(f"gen_pth.py: {CONF_PTH} is missing (set VCT_CONFORMANCE_DIR)")
    ck = torch.load(CONF_PTH, map_location="cpu")
    sd = ck["model"]
    keys = list(sd.keys())
    meta["conf.keys"] = "\n".join(keys)
    meta["conf.shapes"] = "\n".join(",".join(str(d) for d in sd[k].shape) for k in keys)
    meta["conf.dtypes"] = "\n".join(DT[sd[k].dtype] for k in keys)
    meta["conf.crc32"] = "\n".join(str(zlib.crc32(sd[k].contiguous().numpy().tobytes())) for k in keys)
    meta["conf.iteration"] = str(ck["iteration"])
    for k in keys[:3] + [keys[-1]]:  # values of a few; the CRCs cover every byte of all
        tensors["conf:" + k] = sd[k].contiguous().clone()
    print(f"conformance checkpoint: {len(keys)} tensors")


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    tensors, meta = {}, {}
    for fname, (obj, how, prefix, extra) in fixtures().items():
        path = os.path.join(OUT, fname)
        save(obj, how, path)
        if how.startswith("torch") or how == "deflate":
            obj = torch.load(path)  # what the file holds
        elif how.startswith("tpickle"):
            with open(path, "rb") as fh:
                back = pickle.load(fh)
            same = [identical(a, b) and a.stride() == b.stride()
                    for (_, a), (_, b) in zip(sorted_items(obj), sorted_items(back))]
            assert same and all(same), fname
            obj = back
        items = []
        walk(obj, "", items)
        names, dtypes, shapes = [], [], []
        for name, x in items:
            t, dname = ref_value(x)
            tensors[f"{fname}:{name}"] = t
            names.append(name)
            dtypes.append(dname)
            shapes.append(",".join(str(d) for d in x.shape))
        meta["all." + fname] = "\n".join(names)
        meta["dtypes." + fname] = "\n".join(dtypes)
        meta["shapes." + fname] = "\n".join(shapes)
        if isinstance(obj, torch.Tensor):  # a bare tensor is its own state_dict, named "tensor"
            meta["sd." + fname] = "tensor"
        else:
            sd = obj if prefix == "" else obj[prefix[:-1]]
            meta["sd." + fname] = "\n".join(k for k, v in sd.items() if isinstance(v, (torch.Tensor, np.ndarray)))
        meta["sdprefix." + fname] = prefix
        meta["meta." + fname] = "\n".join(f"{k}={v}" for k, v in extra.items())
        print(f"{fname}: {len(names)} tensors, {os.path.getsize(path)} bytes")
    meta["files"] = "\n".join(fixtures().keys())
    conformance(tensors, meta)
    write_ref("pth_fixtures", tensors, meta)


if __name__ == "__main__":
    main()
