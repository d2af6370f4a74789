"""gen_images.py: test images and PIL's decode / resize outputs for the "frames in" code.

Writes
  tests/data/images/*.png, *.jpg      small committed test images (deterministic)
  tests/ref/data/images_decode.safetensors   Image.open(p).convert('RGB') per file
                                             (+ the single-channel view np.asarray(Image.open(p))
                                             for palette / gray files)
  tests/ref/data/images_resize.safetensors   Image.resize((w,h), BILINEAR / NEAREST) outputs
  tests/ref/data/images_normalize.safetensors (x - pixel_mean) / pixel_std in torch

Reference arrays of up to SMALL_MAX bytes are stored whole ("<key>/full", U8 [H,W,C]);
larger ones as a strided sample ("<key>/sub", every STRIDE-th row and column) plus exact
per-row and per-column sums ("<key>/rowsum" I64 [H,C], "<key>/colsum" I64 [W,C]), which
catch any single-pixel difference. "<key>/shape" (I64 [3]) always holds H, W, C.

Exotic PNG variants (1/2/4/16-bit, gray+alpha, tRNS, Adam7 interlace, palette indices
past the PLTE length) are written by a small PNG writer below so that the file layout is
known exactly; PIL then decodes them to give the reference. JPEGs are written by PIL
(libjpeg-turbo) at several qualities and subsamplings, baseline and progressive.

Run with Debian's /usr/bin/python3 (Pillow 9.4, numpy, torch 1.13).
"""
import io
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refio import write_ref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMG_DIR = os.path.join(ROOT, "tests", "data", "images")
SMALL_MAX = 4096
STRIDE = 7

PIXEL_MEAN = [123.675, 116.28, 103.53]
PIXEL_STD = [58.395, 57.12, 57.375]


# ----------------------------------------------------------------------------- PNG writer

def _chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def _pack_rows(a, bit_depth):
    """a: [H, W*channels] integer samples -> list of packed scanlines (no filter byte)."""
    rows = []
    for r in a:
        if bit_depth == 16:
            rows.append(r.astype(">u2").tobytes())
        elif bit_depth == 8:
            rows.append(r.astype(np.uint8).tobytes())
        else:
            per = 8 // bit_depth
            n = len(r)
            padded = np.zeros(((n + per - 1) // per) * per, dtype=np.uint8)
            padded[:n] = r
            padded = padded.reshape(-1, per)
            b = np.zeros(len(padded), dtype=np.uint8)
            for i in range(per):
                b |= (padded[:, i] << (8 - bit_depth * (i + 1))).astype(np.uint8)
            rows.append(b.tobytes())
    return rows


def _filtered(rows, filter_cycle):
    out = []
    for i, r in enumerate(rows):
        ft = filter_cycle[i % len(filter_cycle)] if filter_cycle else 0
        if ft == 1 and len(r) > 0:  # Sub with bpp 1 only when caller says so; keep simple: byte-wise
            prev = b"\x00" + r[:-1]
            r = bytes((a - b) & 0xFF for a, b in zip(r, prev))
        elif ft != 0:
            ft = 0
        out.append(bytes([ft]) + r)
    return b"".join(out)


def write_png(path, samples, bit_depth, color_type, plte=None, trns=None, interlace=False,
              filter_cycle=None):
    """samples: [H, W, channels] ints (palette indices for color type 3)."""
    samples = np.asarray(samples)
    H, W, Cc = samples.shape
    ihdr = struct.pack(">IIBBBBB", W, H, bit_depth, color_type, 0, 0, 1 if interlace else 0)
    if not interlace:
        raw = _filtered(_pack_rows(samples.reshape(H, W * Cc), bit_depth),
                        filter_cycle if bit_depth == 8 and Cc == 1 else None)
    else:
        # Adam7 passes: (x0, y0, dx, dy)
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                  (1, 0, 2, 2), (0, 1, 1, 2)]
        raw = b""
        for x0, y0, dx, dy in passes:
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            raw += _filtered(_pack_rows(sub.reshape(sub.shape[0], -1), bit_depth), None)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
    if plte is not None:
        data += _chunk(b"PLTE", bytes(np.asarray(plte, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        data += _chunk(b"tRNS", trns)
    data += _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


# ----------------------------------------------------------------------------- test images

def gradient(H, W, phase=0):
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    r = 255 * x / max(W - 1, 1)
    g = 255 * y / max(H - 1, 1)
    b = 127.5 + 127.5 * np.sin((x + 2 * y + phase) / 9.0)
    return np.clip(np.stack([r, g, b], -1).round(), 0, 255).astype(np.uint8)


def smooth_noise(rs, H, W, amp=24):
    base = gradient(H, W, phase=3).astype(np.int32)
    return np.clip(base + rs.randint(-amp, amp + 1, (H, W, 3)), 0, 255).astype(np.uint8)


def make_images():
    os.makedirs(IMG_DIR, exist_ok=True)
    rs = np.random.RandomState(20250601)
    files = []          # decoded by PIL as reference
    fail_files = []     # PIL refuses them

    def p(name):
        files.append(name)
        return os.path.join(IMG_DIR, name)

    # plain RGB PNGs written by PIL
    Image.fromarray(gradient(7, 13)).save(p("grad_rgb_7x13.png"))
    Image.fromarray(rs.randint(0, 256, (30, 71, 3), dtype=np.uint8)).save(p("noise_rgb_71x30.png"))
    Image.fromarray(smooth_noise(rs, 61, 47, 40)).save(p("smooth_rgb_47x61.png"))
    Image.fromarray(rs.randint(0, 256, (1, 1, 3), dtype=np.uint8)).save(p("rgb_1x1.png"))

    # gray, all bit depths
    g8 = rs.randint(0, 256, (13, 7, 1))
    write_png(p("gray8_7x13.png"), g8, 8, 0, filter_cycle=[0, 1])
    write_png(p("gray1_13x9.png"), rs.randint(0, 2, (9, 13, 1)), 1, 0)
    write_png(p("gray2_11x5.png"), rs.randint(0, 4, (5, 11, 1)), 2, 0)
    write_png(p("gray4_9x6.png"), rs.randint(0, 16, (6, 9, 1)), 4, 0)
    g16 = rs.randint(0, 65536, (6, 10, 1))
    g16[0, :5, 0] = [0, 1, 255, 256, 300]  # PIL's I -> RGB clips at 255
    write_png(p("gray16_10x6.png"), g16, 16, 0)
    write_png(p("gray8_trns_6x5.png"), rs.randint(0, 256, (5, 6, 1)), 8, 0, trns=struct.pack(">H", 17))
    # gray + alpha
    write_png(p("gray_alpha8_8x7.png"), rs.randint(0, 256, (7, 8, 2)), 8, 4)
    write_png(p("gray_alpha16_8x7.png"), rs.randint(0, 65536, (7, 8, 2)), 16, 4)
    # RGB / RGBA, 8 and 16 bit, tRNS, interlaced
    write_png(p("rgba8_9x11.png"), rs.randint(0, 256, (11, 9, 4)), 8, 6)
    write_png(p("rgba16_9x11.png"), rs.randint(0, 65536, (11, 9, 4)), 16, 6)
    write_png(p("rgb16_12x5.png"), rs.randint(0, 65536, (5, 12, 3)), 16, 2)
    write_png(p("rgb8_trns_5x4.png"), rs.randint(0, 256, (4, 5, 3)), 8, 2, trns=struct.pack(">HHH", 1, 2, 3))
    write_png(p("rgb8_adam7_19x17.png"), rs.randint(0, 256, (17, 19, 3)), 8, 2, interlace=True)
    write_png(p("pal4_adam7_10x9.png"), rs.randint(0, 16, (9, 10, 1)), 4, 3,
              plte=rs.randint(0, 256, (16, 3)), interlace=True)
    # palettes: short PLTE with indices beyond it (PIL shows those as gray (i,i,i)), tRNS
    write_png(p("pal1_17x3.png"), rs.randint(0, 2, (3, 17, 1)), 1, 3, plte=[[255, 0, 0], [0, 0, 255]])
    write_png(p("pal2_9x4.png"), rs.randint(0, 4, (4, 9, 1)), 2, 3, plte=rs.randint(0, 256, (3, 3)))
    idx = rs.randint(0, 256, (8, 12, 1))
    idx[0, :4, 0] = [0, 5, 6, 255]
    write_png(p("pal8_short_12x8.png"), idx, 8, 3, plte=rs.randint(0, 256, (6, 3)),
              trns=bytes([0, 128]))
    # a Maskige-like palette PNG written by PIL: 150-colour palette, ids up to 170
    pal = rs.randint(0, 256, (150, 3)).astype(np.uint8)
    pal[0] = (120, 120, 120)
    m = Image.fromarray(rs.randint(0, 171, (24, 32), dtype=np.uint8), "P")
    m.putpalette(pal.reshape(-1).tolist())
    m.save(p("maskige_like_32x24.png"))
    # a 0/255 binary mask in mode L (AVSBench gt_masks)
    Image.fromarray((rs.randint(0, 2, (16, 20)) * 255).astype(np.uint8), "L").save(p("mask_l_20x16.png"))

    # JPEGs (PIL / libjpeg-turbo encoder)
    src_small = smooth_noise(rs, 13, 7, 60)
    for q, sub in [(50, 0), (75, 1), (95, 2)]:
        Image.fromarray(src_small).save(p(f"q{q}_s{sub}_7x13.jpg"), quality=q, subsampling=sub)
    src71 = smooth_noise(rs, 30, 71, 30)
    for q, sub in [(75, 2), (90, 0), (60, 1)]:
        Image.fromarray(src71).save(p(f"q{q}_s{sub}_71x30.jpg"), quality=q, subsampling=sub)
    Image.fromarray(src71).save(p("prog_q80_71x30.jpg"), quality=80, progressive=True)
    src224 = smooth_noise(rs, 224, 224, 12)
    Image.fromarray(src224).save(p("q75_s2_224x224.jpg"), quality=75, subsampling=2)
    Image.fromarray(src224).save(p("prog_q85_s0_224x224.jpg"), quality=85, subsampling=0, progressive=True)
    src640 = smooth_noise(rs, 360, 640, 6)
    Image.fromarray(src640).save(p("q70_s2_640x360.jpg"), quality=70, subsampling=2)
    Image.fromarray(smooth_noise(rs, 33, 45, 40)[:, :, 1]).save(p("gray_q80_45x33.jpg"), quality=80)
    cmyk = rs.randint(0, 256, (10, 14, 4), dtype=np.uint8)
    Image.fromarray(cmyk, "CMYK").save(p("cmyk_q90_14x10.jpg"), quality=90)

    # files PIL refuses: truncated JPEG, truncated PNG, not an image, empty
    def fail(name, data):
        fail_files.append(name)
        with open(os.path.join(IMG_DIR, name), "wb") as f:
            f.write(data)
    with open(os.path.join(IMG_DIR, "q75_s2_224x224.jpg"), "rb") as f:
        jb = f.read()
    fail("truncated.jpg", jb[: len(jb) // 2])
    with open(os.path.join(IMG_DIR, "noise_rgb_71x30.png"), "rb") as f:
        pb = f.read()
    fail("truncated.png", pb[: len(pb) // 2])
    fail("not_an_image.png", b"this is a text file, not an image\n" * 4)
    fail("empty.jpg", b"")
    for name in fail_files:
        try:
            Image.open(os.path.join(IMG_DIR, name)).convert("RGB")
        except Exception:  # noqa: BLE001 - any refusal is what we want
            continue
        raise SystemExit(f"PIL unexpectedly decoded {name}")
    return files, fail_files


# ----------------------------------------------------------------------------- reference storage

def store(out, key, a):
    a = np.ascontiguousarray(a, dtype=np.uint8)
    if a.ndim == 2:
        a = a[:, :, None]
    H, W, C = a.shape
    out[key + "/shape"] = np.array([H, W, C], dtype=np.int64)
    if a.nbytes <= SMALL_MAX:
        out[key + "/full"] = a
    else:
        out[key + "/sub"] = np.ascontiguousarray(a[::STRIDE, ::STRIDE])
        out[key + "/rowsum"] = a.astype(np.int64).sum(axis=1)
        out[key + "/colsum"] = a.astype(np.int64).sum(axis=0)


def main():
    files, fail_files = make_images()
    dec = {}
    index_files = []
    for name in files:
        im = Image.open(os.path.join(IMG_DIR, name))
        store(dec, "rgb/" + name, np.asarray(im.convert("RGB")))
        if im.mode in ("P", "L"):
            index_files.append(name)
            store(dec, "index/" + name, np.asarray(im))
    write_ref("images_decode", dec, {"files": ",".join(files), "fail_files": ",".join(fail_files),
                                     "index_files": ",".join(index_files), "stride": str(STRIDE)})

    # resize: (file, view, out_w, out_h, filter); view "rgb" = convert('RGB'), "index" = the
    # single-channel image as stored (L or P).
    cases = [
        ("grad_rgb_7x13.png", "rgb", 384, 384, "bilinear"),
        ("grad_rgb_7x13.png", "rgb", 3, 5, "bilinear"),
        ("grad_rgb_7x13.png", "rgb", 7, 13, "bilinear"),
        ("grad_rgb_7x13.png", "rgb", 13, 7, "bilinear"),  # same size: PIL copies
        ("noise_rgb_71x30.png", "rgb", 384, 384, "bilinear"),
        ("noise_rgb_71x30.png", "rgb", 224, 224, "bilinear"),
        ("noise_rgb_71x30.png", "rgb", 23, 11, "bilinear"),
        ("noise_rgb_71x30.png", "rgb", 71, 61, "bilinear"),
        ("noise_rgb_71x30.png", "rgb", 140, 30, "bilinear"),
        ("noise_rgb_71x30.png", "rgb", 9, 29, "bilinear"),
        ("smooth_rgb_47x61.png", "rgb", 17, 19, "bilinear"),
        ("q75_s2_224x224.jpg", "rgb", 384, 384, "bilinear"),
        ("q70_s2_640x360.jpg", "rgb", 384, 384, "bilinear"),
        ("q70_s2_640x360.jpg", "rgb", 224, 224, "bilinear"),
        ("q70_s2_640x360.jpg", "rgb", 37, 23, "bilinear"),
        ("gray8_7x13.png", "index", 11, 5, "bilinear"),
        ("gray8_7x13.png", "index", 384, 384, "bilinear"),
        ("grad_rgb_7x13.png", "rgb", 384, 384, "nearest"),
        ("noise_rgb_71x30.png", "rgb", 224, 224, "nearest"),
        ("noise_rgb_71x30.png", "rgb", 23, 11, "nearest"),
        ("noise_rgb_71x30.png", "rgb", 57, 25, "nearest"),  # running-sum rounding matters (30 -> 25)
        ("q70_s2_640x360.jpg", "rgb", 384, 384, "nearest"),
        ("q70_s2_640x360.jpg", "rgb", 224, 224, "nearest"),
        ("maskige_like_32x24.png", "index", 384, 384, "nearest"),
        ("maskige_like_32x24.png", "index", 13, 7, "nearest"),
        ("mask_l_20x16.png", "index", 224, 224, "nearest"),
        ("mask_l_20x16.png", "index", 7, 3, "nearest"),
    ]
    res = {}
    keys = []
    for name, view, w, h, filt in cases:
        im = Image.open(os.path.join(IMG_DIR, name))
        if view == "rgb":
            im = im.convert("RGB")
        elif im.mode == "P":
            im = Image.fromarray(np.asarray(im), "L")  # indices; P resizes NEAREST anyway
        f = Image.BILINEAR if filt == "bilinear" else Image.NEAREST
        key = f"{name}:{view}:{w}x{h}:{filt}"
        keys.append(key)
        store(res, key, np.asarray(im.resize((w, h), f)))
    write_ref("images_resize", res, {"cases": ",".join(keys), "stride": str(STRIDE)})

    import torch
    rs = np.random.RandomState(7)
    x = rs.randint(0, 256, (5, 7, 3), dtype=np.uint8)
    x[0, 0] = 0
    x[0, 1] = 255
    mean = torch.Tensor(PIXEL_MEAN).view(-1, 1, 1)
    std = torch.Tensor(PIXEL_STD).view(-1, 1, 1)
    t = torch.as_tensor(np.ascontiguousarray(x.transpose(2, 0, 1)))  # uint8 CHW, as d2 mappers
    y = (t - mean) / std
    write_ref("images_normalize", {"in": x, "out": y.float(), "mean": mean.view(-1), "std": std.view(-1)})


if __name__ == "__main__":
    main()
