"""png.py: minimal PNG I/O for the test scripts, with the standard library and numpy
(8-bit RGB / gray / palette, no interlace): CI has numpy but not PIL."""
import struct, sys, zlib
import numpy as np
def write_png(path, a):
    h, w = a.shape[:2]; ct = 2 if a.ndim == 3 else 0
    raw = b"".join(b"\0" + a[y].tobytes() for y in range(h))
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ct, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
def read_png(path):  # -> raw samples (palette indices for P, levels for L)
    d = open(path, "rb").read(); assert d[:8] == b"\x89PNG\r\n\x1a\n"
    i, idat = 8, b""
    while i < len(d):
        n, t = struct.unpack(">I4s", d[i:i + 8]); body = d[i + 8:i + 8 + n]; i += 12 + n
        if t == b"IHDR": w, h, bd, ct, _, _, il = struct.unpack(">IIBBBBB", body)
        elif t == b"IDAT": idat += body
    assert bd == 8 and il == 0, (bd, il)
    c = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ct]
    raw = zlib.decompress(idat); s = w * c
    out = np.zeros((h, s), np.int32); prev = np.zeros(s, np.int32)
    for y in range(h):
        f = raw[y * (s + 1)]; r = np.frombuffer(raw[y * (s + 1) + 1:(y + 1) * (s + 1)], np.uint8).astype(np.int32)
        cur = np.zeros(s, np.int32)
        for x in range(s):
            a = cur[x - c] if x >= c else 0; b = prev[x]; cc = prev[x - c] if x >= c else 0
            if f == 0: p = 0
            elif f == 1: p = a
            elif f == 2: p = b
            elif f == 3: p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - cc), abs(a - cc), abs(a + b - 2 * cc)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
            cur[x] = (r[x] + p) & 255
        out[y] = cur; prev = cur
    return out.reshape(h, w, c)[:, :, 0] if c == 1 else out.reshape(h, w, c)
