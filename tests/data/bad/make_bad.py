#!/usr/bin/env python3
"""make_bad.py: write the hostile / broken checkpoint corpus next to this file.

Pure Python (no torch, no numpy), deterministic: the pickles are assembled
opcode by opcode, the zips use fixed timestamps, random bytes come from a
seeded generator. Every file must be refused by vct's .pth reader with a
FORMAT error naming the file and the problem (tests/io/test_pth.c holds the
expected words per file; add a row there when adding a file here).

The files that call os.system / builtins.eval would run `touch
/tmp/vct_pwned_<name>` if unpickled by Python; the C test checks that no such
marker appears. `make_bad.py --verify` proves the payloads are live: it loads
each of them with Python's own pickle (in a subprocess) and checks that the
marker does appear (then removes it). Do not run --verify as root on a
machine you care about; it only ever touches /tmp/vct_pwned_*.
"""
import io
import os
import random
import struct
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = "/tmp/vct_pwned_"

# ---- a tiny pickle assembler ----------------------------------------------------------------


def proto(n):
    return b"\x80" + bytes([n])


def uni(s):  # BINUNICODE
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def suni(s):  # SHORT_BINUNICODE (protocol 4)
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def glob(mod, name):  # GLOBAL
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


def sglob(mod, name):  # STACK_GLOBAL
    return suni(mod) + suni(name) + b"\x93"


def i32(x):  # BININT
    return b"J" + struct.pack("<i", x)


def i64(x):  # LONG1 with 8 bytes
    return b"\x8a\x08" + struct.pack("<q", x)


def tup(xs):
    return b"(" + b"".join(xs) + b"t"


MARK, STOP, REDUCE, BUILD, SETITEMS, TUPLE, EMPTY_TUPLE = b"(", b".", b"R", b"b", b"u", b"t", b")"
EMPTY_DICT, NEWFALSE = b"}", b"\x89"


def storage(key, numel, stype="FloatStorage", keyval=None):
    k = uni(key) if keyval is None else keyval
    return tup([uni("storage"), glob("torch", stype), k, uni("cpu"), i64(numel)]) + b"Q"


def tensor(key, numel, offset, size, stride, stype="FloatStorage"):
    return (glob("torch._utils", "_rebuild_tensor_v2") + MARK + storage(key, numel, stype) + i64(offset) +
            tup([i64(s) for s in size]) + tup([i64(s) for s in stride]) + NEWFALSE +
            glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + TUPLE + REDUCE)


def checkpoint(tensors, extra=b""):
    """{(extra items,) 'model': OrderedDict(name -> tensor), 'iteration': 0}"""
    body = b"".join(uni(n) + t for n, t in tensors)
    return (proto(2) + EMPTY_DICT + MARK + extra + uni("model") + glob("collections", "OrderedDict") + EMPTY_TUPLE +
            REDUCE + MARK + body + SETITEMS + uni("iteration") + b"K\x00" + extra + SETITEMS + STOP)


def good_pickle():
    return checkpoint([("w", tensor("0", 6, 0, (2, 3), (3, 1)))])


def floats(n):
    return struct.pack("<%df" % n, *[0.5 * i for i in range(n)])


def torch_zip(entries, name="archive", deflate=False):
    """entries: {relative name: bytes}; a torch-like zip with fixed timestamps."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for rel, data in entries.items():
            zi = zipfile.ZipInfo(f"{name}/{rel}" if name else rel, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            z.writestr(zi, data)
    return buf.getvalue()


def ckpt_zip(pkl, storages=None, deflate=False):
    e = {"data.pkl": pkl}
    for k, v in (storages if storages is not None else {"0": floats(6)}).items():
        e["data/" + k] = v
    e["version"] = b"3\n"
    return torch_zip(e, deflate=deflate)


# ---- legacy torch.save streams (pre-1.6 files; pickle.dump of a tensor holds one per storage) --

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def legacy_stream(obj, keys, data, magic=LEGACY_MAGIC, version=1001):
    """magic, protocol version, sys info, the object pickle `obj`, the key list, then `data`
    (the storages: per listed key an 8-byte element count and the elements)"""
    m = proto(2) + b"\x8a\x0a" + magic.to_bytes(10, "little") + STOP
    v = proto(2) + b"M" + struct.pack("<H", version) + STOP
    si = (proto(2) + EMPTY_DICT + MARK + uni("protocol_version") + b"M" + struct.pack("<H", 1001) +
          uni("little_endian") + b"\x88" + uni("type_sizes") + EMPTY_DICT + MARK + uni("short") + b"K\x02" +
          uni("int") + b"K\x04" + uni("long") + b"K\x04" + SETITEMS + SETITEMS + STOP)
    kl = proto(2) + b"]" + MARK + b"".join(uni(k) for k in keys) + b"e" + STOP
    return m + v + si + obj + kl + data


def legacy_pid(key, numel, view=b"N"):
    return tup([uni("storage"), glob("torch", "FloatStorage"), uni(key), uni("cpu"), i64(numel), view]) + b"Q"


def storage_data(count, n=None):
    """8-byte count, then n floats (n defaults to count)"""
    return struct.pack("<q", count) + floats(count if n is None else n)


def storage_stream(numel, **kw):
    """the legacy torch.save of one FloatStorage, as a storage's __reduce__ makes it"""
    return legacy_stream(proto(2) + legacy_pid("0", numel) + STOP, ["0"], storage_data(numel), **kw)


def load_from_bytes(arg):
    return glob("torch.storage", "_load_from_bytes") + arg + b"\x85" + REDUCE


def binbytes(b):
    return b"B" + struct.pack("<I", len(b)) + b


def dumped_tensor(storage, size, stride, offset=0):
    """pickle.dump(tensor) (protocol 4, unframed): _rebuild_tensor_v2(storage, offset, size, stride, ...)"""
    return (proto(4) + glob("torch._utils", "_rebuild_tensor_v2") + MARK + storage + i64(offset) +
            tup([i64(x) for x in size]) + tup([i64(x) for x in stride]) + NEWFALSE +
            glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + TUPLE + REDUCE + STOP)


def legacy_tensor(key, numel, offset, size, stride, view=b"N"):
    return (glob("torch._utils", "_rebuild_tensor_v2") + MARK + legacy_pid(key, numel, view) + i64(offset) +
            tup([i64(s) for s in size]) + tup([i64(s) for s in stride]) + NEWFALSE +
            glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + TUPLE + REDUCE)


def legacy_file(tensors, keys, data, **kw):
    """a whole legacy torch.save file of {'model': OrderedDict(name -> tensor)}"""
    body = b"".join(uni(n) + t for n, t in tensors)
    obj = (proto(2) + EMPTY_DICT + uni("model") + glob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE +
           MARK + body + SETITEMS + b"s" + STOP)
    return legacy_stream(obj, keys, data, **kw)


def payload_system(name, p4=False):
    cmd = f"touch {MARKER}{name}"
    if p4:
        return proto(4) + sglob("os", "system") + suni(cmd) + b"\x85" + REDUCE + STOP
    return proto(2) + glob("os", "system") + uni(cmd) + b"\x85" + REDUCE + STOP


def payload_eval(name, p4=False):
    code = f"__import__('os').system('touch {MARKER}{name}')"
    if p4:
        return proto(4) + sglob("builtins", "eval") + suni(code) + b"\x85" + REDUCE + STOP
    return proto(2) + glob("builtins", "eval") + uni(code) + b"\x85" + REDUCE + STOP


# ---- the corpus -----------------------------------------------------------------------------


def corpus():
    files = {}  # name -> bytes
    live = []   # names whose payload creates a marker when unpickled by Python

    def zp(name, pkl, **kw):
        files[name] = ckpt_zip(pkl, **kw)

    # code execution attempts: GLOBAL (protocol 2) and STACK_GLOBAL (protocol 4)
    for stem, fn, p4 in [("os_system_global_p2", payload_system, False),
                         ("os_system_stack_global_p4", payload_system, True),
                         ("builtins_eval_global_p2", payload_eval, False),
                         ("builtins_eval_stack_global_p4", payload_eval, True)]:
        zp(stem + ".pth", fn(stem + ".pth", p4))
        files[stem + ".pkl"] = fn(stem + ".pkl", p4)
        live += [stem + ".pth", stem + ".pkl"]
    # os.system hidden inside an otherwise valid checkpoint (as the value of "note")
    cmd = f"touch {MARKER}posix_system_nested.pth"
    zp("posix_system_nested.pth",
       checkpoint([("w", tensor("0", 6, 0, (2, 3), (3, 1)))],
                  extra=uni("note") + glob("posix", "system") + uni(cmd) + b"\x85" + REDUCE))
    live.append("posix_system_nested.pth")
    # INST names the class in the opcode itself
    cmd = f"touch {MARKER}inst_os_system.pth"
    zp("inst_os_system.pth", proto(2) + MARK + uni(cmd) + b"ios\nsystem\n" + STOP)
    live.append("inst_os_system.pth")
    zp("getattr_gadget.pth", proto(4) + sglob("builtins", "getattr") + STOP)
    zp("copyreg_reconstructor.pth", proto(2) + glob("copy_reg", "_reconstructor") + STOP)

    # allow-listed things used the wrong way
    zp("reduce_storage_type.pth", proto(2) + glob("torch", "FloatStorage") + EMPTY_TUPLE + REDUCE + STOP)
    zp("reduce_on_str.pth", proto(2) + uni("os.system") + EMPTY_TUPLE + REDUCE + STOP)
    zp("build_on_tensor.pth", proto(2) + tensor("0", 6, 0, (6,), (1,)) + EMPTY_DICT + BUILD + STOP)
    zp("build_on_str.pth", proto(2) + uni("x") + EMPTY_DICT + BUILD + STOP)
    zp("obj_ordered_dict.pth", proto(2) + MARK + glob("collections", "OrderedDict") + b"o" + STOP)
    zp("newobj_storage_type.pth", proto(2) + glob("torch", "FloatStorage") + EMPTY_TUPLE + b"\x81" + STOP)
    zp("newobj_ex.pth", proto(4) + glob("collections", "OrderedDict") + EMPTY_TUPLE + EMPTY_DICT +
       b"\x92" + STOP)
    zp("ext1_code.pth", proto(2) + b"\x82\x01" + STOP)
    zp("persid_bad_key.pth", proto(2) + tup([uni("storage"), glob("torch", "FloatStorage"),
                                             uni("../../../etc/passwd"), uni("cpu"), i64(6)]) + b"Q" + STOP)
    zp("persid_bad_type.pth", proto(2) + tup([uni("storage"), glob("collections", "OrderedDict"),
                                              uni("0"), uni("cpu"), i64(6)]) + b"Q" + STOP)
    files["persid_in_plain.pkl"] = proto(2) + storage("0", 6) + STOP

    # malformed streams
    g = good_pickle()
    zp("truncated_pickle.pth", g[: len(g) // 2])
    zp("pickle_without_stop.pth", g[:-1])
    zp("bad_memo_index.pth", proto(2) + b"h\x07" + STOP)
    zp("long_binget_huge.pth", proto(2) + b"j\xff\xff\xff\xff" + STOP)
    zp("long_binput_huge.pth", proto(2) + b"N" + b"r\xf0\xff\xff\xff" + STOP)
    zp("memo_over_budget.pth", proto(2) + b"N" + b"r\xf0\xff\xff\x00" + STOP)
    zp("stack_underflow_tuple2.pth", proto(2) + b"N" + b"\x86" + STOP)
    zp("stack_underflow_setitem.pth", proto(2) + EMPTY_DICT + b"Ns" + STOP)
    zp("stack_underflow_across_mark.pth", proto(2) + b"N" + MARK + EMPTY_TUPLE + REDUCE + STOP)
    zp("appends_without_mark.pth", proto(2) + b"]" + b"N" + b"e" + STOP)
    zp("stop_on_empty_stack.pth", proto(2) + STOP)
    zp("huge_binunicode.pth", proto(2) + b"X\xff\xff\xff\xff" + b"abc" + STOP)
    zp("huge_binbytes8.pth", proto(4) + b"\x8e" + struct.pack("<Q", 1 << 62) + b"abc" + STOP)
    zp("long1_too_wide.pth", proto(2) + b"\x8a\x10" + b"\x01" * 16 + STOP)
    zp("deep_marks.pth", proto(2) + MARK * 100000 + STOP)
    zp("unknown_opcode.pth", proto(2) + b"\xff" + STOP)
    zp("text_opcode.pth", b"I01\n" + STOP)
    zp("protocol_9.pth", proto(9) + b"N" + STOP)
    # object graphs that a naive walker would never finish
    deep = proto(2) + EMPTY_DICT + uni("model") + b"]" * 200 + b"a" * 199 + b"s" + STOP
    zp("deep_nesting.pth", deep)
    zp("cyclic_list.pth", proto(2) + EMPTY_DICT + uni("model") + b"]q\x00h\x00a" + b"s" + STOP)
    dag = proto(2) + EMPTY_DICT + uni("model") + b"]" + tensor("0", 6, 0, (6,), (1,)) + b"a"
    for _ in range(60):
        dag += b"q\x00h\x00" + b"\x86"  # L = (L, L)
    zp("exponential_dag.pth", dag + b"s" + STOP)

    # tensors that do not fit their storage, or are absurdly large
    def one(t, storages=None, name=None):
        zp(name, checkpoint([("w", t)]), storages=storages)

    one(tensor("0", 6, 0, (2, 3), (3, 1)), {"0": floats(3)}, "storage_too_short.pth")
    one(tensor("0", 6, 0, (4, 4), (4, 1)), None, "tensor_beyond_storage.pth")
    one(tensor("0", 6, 100, (2,), (1,)), None, "tensor_offset_beyond_storage.pth")
    one(tensor("0", 6, 0, (3, 3), (1, 3)), None, "tensor_strides_beyond_storage.pth")
    one(tensor("0", 1, 0, (1 << 20, 1 << 20), (0, 0)), {"0": floats(1)}, "tensor_huge_expand.pth")
    one(tensor("0", 6, 0, (1 << 62, 16), (1, 1)), None, "tensor_size_overflow.pth")
    one(tensor("0", 6, 0, (2, -3), (3, 1)), None, "tensor_negative_size.pth")
    one(tensor("0", 6, 0, (1,) * 9, (1,) * 9), None, "tensor_nine_dims.pth")
    one(tensor("0", 1 << 60, 0, (2,), (1,)), None, "storage_numel_huge.pth")
    one(tensor("1", 6, 0, (2, 3), (3, 1)), None, "missing_storage_entry.pth")

    # zips that are not zips or not checkpoints
    valid = ckpt_zip(good_pickle())
    files["truncated_zip.pth"] = valid[: len(valid) // 2]
    files["truncated_zip_tail.pth"] = valid[:-7]
    rng = random.Random(1234)
    files["not_a_zip_random.pth"] = bytes([0x37]) + bytes(rng.randrange(256) for _ in range(4095))
    files["empty.pth"] = b""
    files["missing_data_pkl.pth"] = torch_zip({"data/0": floats(6), "version": b"3\n"})
    pkl64 = checkpoint([("w", tensor("0", 64, 0, (64,), (1,)))])
    crc = bytearray(ckpt_zip(pkl64, storages={"0": floats(64)}))
    crc[crc.index(floats(64)) + 100] ^= 0xFF  # stored entry: the CRC no longer matches
    files["zip_crc_mismatch.pth"] = bytes(crc)
    pkl4k = checkpoint([("w", tensor("0", 4096, 0, (4096,), (1,)))])
    bomb = bytearray(ckpt_zip(pkl4k, storages={"0": floats(4096)}, deflate=True))
    i = len(bomb) // 3
    bomb[i:i + 16] = b"\xa5" * 16  # corrupt the deflate stream of some entry
    files["zip_deflate_corrupt.pth"] = bytes(bomb)

    # numpy (detectron2 .pkl) misuse, plain pickles
    def np_array(descr, shape, raw, fortran=False):
        return (glob("numpy.core.multiarray", "_reconstruct") + MARK + glob("numpy", "ndarray") +
                tup([b"K\x00"]) + b"C\x01b" + TUPLE + REDUCE +
                MARK + b"K\x01" + tup([i64(s) for s in shape]) +
                glob("numpy", "dtype") + MARK + uni(descr) + NEWFALSE + b"\x88" + TUPLE + REDUCE +
                tup([b"K\x03", uni("<"), b"N", b"N", b"N", i32(-1), i32(-1), b"K\x00"]) + BUILD +
                (b"\x88" if fortran else NEWFALSE) + raw + TUPLE + BUILD)

    def d2pkl(arr):
        return (proto(2) + EMPTY_DICT + uni("model") + EMPTY_DICT + uni("w") + arr + b"s" + b"s" + STOP)

    files["numpy_object_array.pkl"] = d2pkl(np_array("O8", (2,), b"]" + b"N" + b"a"))
    files["numpy_size_mismatch.pkl"] = d2pkl(np_array("f4", (10,), b"C\x04" + b"\x00" * 4))
    files["numpy_reconstruct_not_ndarray.pkl"] = (
        proto(2) + glob("numpy.core.multiarray", "_reconstruct") + MARK + glob("collections", "OrderedDict") +
        tup([b"K\x00"]) + b"C\x01b" + TUPLE + REDUCE + STOP)

    # legacy torch.save streams inside torch.storage._load_from_bytes (pickle.dump of a tensor)
    def dumped(name, stream, size=(2, 3), stride=(3, 1), offset=0):
        files[name] = dumped_tensor(load_from_bytes(binbytes(stream)), size, stride, offset)

    good = storage_stream(6)
    dumped("legacy_pkl_truncated.pkl", good[:-5])
    dumped("legacy_pkl_truncated_header.pkl", good[:40])
    dumped("legacy_pkl_wrong_magic.pkl", storage_stream(6, magic=LEGACY_MAGIC ^ 0xFF00))
    dumped("legacy_pkl_protocol_1000.pkl", storage_stream(6, version=1000))
    dumped("legacy_pkl_storage_short.pkl",  # the stored count and data: 4 elements, the pickle says 6
           legacy_stream(proto(2) + legacy_pid("0", 6) + STOP, ["0"], storage_data(4)))
    dumped("legacy_pkl_key_list_other.pkl",
           legacy_stream(proto(2) + legacy_pid("0", 6) + STOP, ["1"], storage_data(6)))
    dumped("legacy_pkl_key_list_empty.pkl", legacy_stream(proto(2) + legacy_pid("0", 6) + STOP, [], b""))
    dumped("legacy_pkl_key_listed_twice.pkl",
           legacy_stream(proto(2) + legacy_pid("0", 6) + STOP, ["0", "0"], storage_data(6) * 2))
    dumped("legacy_pkl_stray_bytes.pkl", good + b"\x00" * 4)
    dumped("legacy_pkl_not_a_storage.pkl", legacy_stream(proto(2) + uni("x") + STOP, [], b""))
    dumped("legacy_pkl_tensor_beyond_storage.pkl", good, size=(4, 4), stride=(4, 1))
    cmd = f"touch {MARKER}legacy_pkl_os_system_inside.pkl"
    dumped("legacy_pkl_os_system_inside.pkl",
           legacy_stream(proto(2) + glob("os", "system") + uni(cmd) + b"\x85" + REDUCE + STOP, [], b""))
    files["legacy_pkl_not_bytes.pkl"] = dumped_tensor(load_from_bytes(uni("not bytes")), (2, 3), (3, 1))
    # _load_from_bytes nested 40 deep: each stream's object is the next one's _load_from_bytes
    s = good
    for _ in range(40):
        s = legacy_stream(proto(2) + load_from_bytes(binbytes(s)) + STOP, [], b"")
    dumped("legacy_pkl_nested_bomb.pkl", s)
    # one 32 KiB stream read 4000 times through the memo: 128 MiB of work from a 56 KiB file
    big = storage_stream(8000)
    bomb = (proto(4) + b"]" + MARK + glob("torch.storage", "_load_from_bytes") + b"q\x00" + binbytes(big) +
            b"q\x01" + b"\x85" + REDUCE + (b"h\x00h\x01\x85" + REDUCE) * 3999 + b"e" + STOP)
    files["legacy_pkl_size_bomb.pkl"] = bomb

    # whole legacy torch.save files
    w = legacy_tensor("0", 6, 0, (2, 3), (3, 1))
    lf = legacy_file([("w", w)], ["0"], storage_data(6))
    files["legacy_truncated.pth"] = lf[:-9]
    files["legacy_wrong_magic.pth"] = legacy_file([("w", w)], ["0"], storage_data(6), magic=LEGACY_MAGIC + 1)
    files["legacy_storage_short.pth"] = legacy_file([("w", w)], ["0"], storage_data(2))
    files["legacy_key_list_mismatch.pth"] = legacy_file([("w", w)], ["0", "1"], storage_data(6) * 2)
    files["legacy_declared_not_listed.pth"] = legacy_file(
        [("w", w), ("v", legacy_tensor("1", 6, 0, (6,), (1,)))], ["0"], storage_data(6))
    files["legacy_storage_view.pth"] = legacy_file(
        [("w", legacy_tensor("0", 6, 0, (2, 3), (3, 1), view=tup([uni("1"), i64(0), i64(6)])))], ["0"],
        storage_data(6))
    files["legacy_tensor_beyond_storage.pth"] = legacy_file(
        [("w", legacy_tensor("0", 6, 2, (2, 3), (3, 1)))], ["0"], storage_data(6))
    files["legacy_zip_persid.pth"] = legacy_file(  # the 5-item persistent id of the zip format
        [("w", tensor("0", 6, 0, (2, 3), (3, 1)))], ["0"], storage_data(6))
    return files, live


def verify(live):
    """Load each live payload with Python's pickle in a subprocess; its marker must appear."""
    bad = 0
    for name in live:
        marker = MARKER + name
        if os.path.exists(marker):
            os.remove(marker)
        code = ("import pickle,sys,zipfile\n"
                "p=sys.argv[1]\n"
                "try:\n"
                "    z=zipfile.ZipFile(p); d=z.read([n for n in z.namelist() if n.endswith('data.pkl')][0])\n"
                "except zipfile.BadZipFile:\n"
                "    d=open(p,'rb').read()\n"
                "u=pickle.Unpickler(__import__('io').BytesIO(d)); u.persistent_load=lambda pid: None\n"
                "try:\n    u.load()\nexcept Exception as e:\n    print('(after payload)', type(e).__name__)\n")
        subprocess.run([sys.executable, "-c", code, os.path.join(HERE, name)], check=False)
        ok = os.path.exists(marker)
        print(f"{'live' if ok else 'DEAD'}: {name}")
        bad += not ok
        if ok:
            os.remove(marker)
    return bad


def main():
    files, live = corpus()
    for name in os.listdir(HERE):
        if name.endswith((".pth", ".pkl")) and name not in files:
            os.remove(os.path.join(HERE, name))
    for name, data in sorted(files.items()):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(files)} files to {os.path.relpath(HERE)}")
    if "--verify" in sys.argv:
        sys.exit(1 if verify(live) else 0)


if __name__ == "__main__":
    main()
