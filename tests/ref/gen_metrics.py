#!/usr/bin/python3
"""gen_metrics.py: reference results of the OFFICIAL AVSBench / VCT metric code on
random prediction sets, for tests/data/test_metrics.c.

The official functions are imported from exports given on the command line (or
$AVSBENCH_SRC / $VCT_SRC) through ../shared/conformance/harness/official_metrics.py,
which reads the files and runs each official test loop:

    git -C AVSBENCH_MIRROR archive f7414af | tar -x -C AVSBENCH_SRC
    git -C VCT_MIRROR archive 9a18d2f | tar -x -C VCT_SRC
    /usr/bin/python3 tests/ref/gen_metrics.py --avsbench AVSBENCH_SRC --vct VCT_SRC

Without the exports it leaves the committed tests/ref/data/metrics.safetensors alone.

The sets are drawn from a splitmix64 stream that test_metrics.c reproduces draw for
draw (same seeds, same order), so only the seeds, a table of borderline logits and
the official results are stored; the C test rebuilds every file and runs vct's
evaluator on it. Each set mixes: empty and all-foreground ground truths, logits at
the exact float32 values where torch's sigmoid crosses 0.5 and each of the 255
F-measure thresholds (vector and scalar paths), tiny logits, +-inf, PNG
probabilities, videos whose count is not a multiple of the batch and videos of
1..10 frames. torch runs on one thread (the sigmoid's scalar tail depends on it).
"""
import argparse
import importlib.util
import os
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refio import write_ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "..", "..", "..", "shared", "conformance", "harness", "official_metrics.py")
M64 = (1 << 64) - 1
SIZES = [(7, 9), (12, 12), (16, 20), (24, 24), (9, 31), (20, 13)]
N_SETS = 24
TASKS = ("s4", "ms3", "avss")


class SplitMix:
    """splitmix64; below(n) = next % n. Mirrored in test_metrics.c."""

    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def set_seed(task_index, set_index):
    return 0x5EED0000 + 1000 * task_index + set_index


# ---- borderline logits --------------------------------------------------------------

def _ordered(bits):  # float32 bit patterns -> integers in float order
    b = bits.astype(np.int64)
    return np.where(b >= 0x80000000, 0x80000000 - b, b)


def _from_ordered(o):
    o = np.asarray(o, np.int64)
    return np.where(o < 0, 0x80000000 - o, o).astype(np.uint32).view(np.float32)


def _sigmoid(x, lane):
    """torch.sigmoid of each x through the vector path (lane) or the scalar path."""
    x = np.asarray(x, np.float32)
    if lane:
        n = len(x)
        pad = np.zeros((-n) % 16 + 16, np.float32)
        return torch.sigmoid(torch.from_numpy(np.concatenate([x, pad]))).numpy()[:n]
    return np.array([torch.sigmoid(torch.from_numpy(x[i:i + 1])).item() for i in range(len(x))], np.float32)


def border_logits(th):
    """For each path and each boundary (p > 0.5, p >= th[k] for k = 1..253), the
    float32 logits just below and at the crossing."""
    targets = [(0.5, True)] + [(float(t), False) for t in th[1:254]]
    out = []
    for lane in (True, False):
        lo = np.full(len(targets), _ordered(np.array([np.float32(-30.0)]).view(np.uint32))[0])
        hi = np.full(len(targets), _ordered(np.array([np.float32(30.0)]).view(np.uint32))[0])
        tv = np.array([t for t, _ in targets], np.float32)
        strict = np.array([s for _, s in targets])
        while np.any(hi - lo > 1):
            mid = (lo + hi) // 2
            p = _sigmoid(_from_ordered(mid), lane)
            ok = np.where(strict, p > tv, p >= tv)
            hi = np.where(ok, mid, hi)
            lo = np.where(ok, lo, mid)
        out += [_from_ordered(lo), _from_ordered(hi)]
    v = np.unique(np.concatenate(out))
    return v.astype(np.float32)


def split_logits(border, th):
    """The borderline logits on which torch's vector and scalar sigmoid paths
    disagree about p > 0.5 or about a threshold."""
    lane, tail = _sigmoid(border, True), _sigmoid(border, False)
    cnt = lambda p: np.searchsorted(th, p, side="right")  # noqa: E731  #{k: th[k] <= p}
    differ = ((lane > 0.5) != (tail > 0.5)) | (cnt(lane) != cnt(tail))
    return border[differ].astype(np.float32)


# ---- the sets (mirrored in test_metrics.c) --------------------------------------------

def gen_binary(task_index, set_index, border, split):
    r = SplitMix(set_seed(task_index, set_index))
    nv = 1 + r.below(7)
    varied = r.below(4) == 0
    H, W = SIZES[r.below(len(SIZES))]
    pred_png = r.below(5) == 0
    gt_npy = r.below(6) == 0
    batch = 1 + r.below(4)
    table = split if r.below(3) == 0 else border  # logits the two sigmoid paths decide differently
    videos = []
    for v in range(nv):
        T = 1 + r.below(6) if varied else 5
        frames = []
        for _t in range(T):
            mode = r.below(20)
            g = np.zeros((H, W), np.uint8)
            if mode >= 5:
                for _b in range(1 + r.below(2)):
                    y0 = r.below(H)
                    x0 = r.below(W)
                    hh = 1 + r.below(H - y0)
                    ww = 1 + r.below(W - x0)
                    g[y0:y0 + hh, x0:x0 + ww] = 1
            elif mode >= 3:
                g[:] = 1
            if pred_png:
                p = np.zeros((H, W), np.uint8)
                for i in range(H * W):
                    k = r.below(3)
                    if k == 0:
                        p.flat[i] = r.below(256)
                    elif g.flat[i]:
                        p.flat[i] = 128 + r.below(128)
                    else:
                        p.flat[i] = r.below(128)
                frames.append((g, p))
                continue
            x = np.zeros((H, W), np.float32)
            for i in range(H * W):
                k = r.below(40)
                if k < 22:
                    m = r.below(1 << 21) - (1 << 20) + (1 << 16 if g.flat[i] else -(1 << 16))
                    x.flat[i] = np.float32(m) * np.float32(2.0 ** -16)
                elif k < 28:
                    m = r.below(1 << 11) - (1 << 10)
                    x.flat[i] = np.float32(m) * np.float32(2.0 ** -32)
                elif k < 39:
                    x.flat[i] = table[r.below(len(table))]
                else:
                    x.flat[i] = np.float32(np.inf) if r.below(2) else np.float32(-np.inf)
            frames.append((g, x))
        videos.append(frames)
    return dict(videos=videos, H=H, W=W, pred_png=pred_png, gt_npy=gt_npy, batch=batch)


def gen_avss(task_index, set_index):
    r = SplitMix(set_seed(task_index, set_index))
    nv = 1 + r.below(6)
    varied = r.below(4) == 0
    H, W = SIZES[r.below(len(SIZES))]
    nsub = 2 + r.below(8)
    sub = [1 + r.below(70) for _ in range(nsub)]
    gt_fmt = r.below(3)    # 0 RGB palette PNG, 1 gray PNG of ids, 2 int npy
    pred_fmt = r.below(3)  # 0 int64 npy, 1 RGB palette PNG, 2 gray PNG of ids
    batch = 1 + r.below(4)
    videos = []
    for _v in range(nv):
        T = 1 + r.below(10) if varied else (5 if r.below(2) else 10)
        frames = []
        for _t in range(T):
            g = np.zeros((H, W), np.uint8)
            mode = r.below(20)
            if mode == 2:
                g[:] = sub[r.below(nsub)]
            elif mode > 2:
                for _b in range(1 + r.below(3)):
                    c = sub[r.below(nsub)]
                    y0 = r.below(H)
                    x0 = r.below(W)
                    hh = 1 + r.below(H - y0)
                    ww = 1 + r.below(W - x0)
                    g[y0:y0 + hh, x0:x0 + ww] = c
            pm = r.below(20)
            if pm == 0:
                p = np.zeros((H, W), np.uint8)
            elif pm == 1:
                p = np.full((H, W), sub[r.below(nsub)], np.uint8)
            else:
                p = g.copy()
                for i in range(H * W):
                    if r.below(8) == 0:
                        k = r.below(50)
                        if k == 0:
                            p.flat[i] = 1 + r.below(70)
                        elif k < 17:
                            p.flat[i] = 0
                        else:
                            p.flat[i] = sub[r.below(nsub)]
            frames.append((g, p))
        videos.append(frames)
    return dict(videos=videos, H=H, W=W, gt_fmt=gt_fmt, pred_fmt=pred_fmt, batch=batch)


# ---- files ------------------------------------------------------------------------------

def palette():
    pal = np.zeros((71, 3), np.uint8)
    for c in range(71):
        lab, i = c, 0
        while lab > 0:
            pal[c, 0] |= ((lab >> 0) & 1) << (7 - i)
            pal[c, 1] |= ((lab >> 1) & 1) << (7 - i)
            pal[c, 2] |= ((lab >> 2) & 1) << (7 - i)
            i += 1
            lab >>= 3
    return pal


def video_rel(task, v):
    return "c%d/v%d" % (v % 2, v) if task == "s4" else "v%d" % v


def write_set(task, s, gt_dir, pred_dir):
    pal = palette()
    for v, frames in enumerate(s["videos"]):
        for t, (g, p) in enumerate(frames):
            rel = "%s/f%d" % (video_rel(task, v), t + 1)
            for d in (gt_dir, pred_dir):
                os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            gp, pp = os.path.join(gt_dir, rel), os.path.join(pred_dir, rel)
            if task != "avss":
                if s["gt_npy"]:
                    np.save(gp + ".npy", g)
                else:
                    Image.fromarray((g * 255).astype(np.uint8), "L").save(gp + ".png")
                if s["pred_png"]:
                    Image.fromarray(p, "L").save(pp + ".png")
                else:
                    np.save(pp + ".npy", p)
                continue
            if s["gt_fmt"] == 0:
                Image.fromarray(pal[g], "RGB").save(gp + ".png")
            elif s["gt_fmt"] == 1:
                Image.fromarray(g, "L").save(gp + ".png")
            else:
                np.save(gp + ".npy", g.astype(np.int32))
            if s["pred_fmt"] == 0:
                np.save(pp + ".npy", p.astype(np.int64))
            elif s["pred_fmt"] == 1:
                Image.fromarray(pal[p], "RGB").save(pp + ".png")
            else:
                Image.fromarray(p, "L").save(pp + ".png")


def load_harness():
    spec = importlib.util.spec_from_file_location("official_metrics", HARNESS)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_harness(H, args, task, gt, pred, flavour, batch, pad="none"):
    ns = argparse.Namespace(task=task, gt=gt, pred=pred, pred_kind="logit", flavour=flavour,
                            batch_videos=batch, order=None, resize=None, avss_pad=pad,
                            avsbench=args.avsbench, vct=args.vct)
    res = H.run(ns)[flavour]
    return res["M_J"], res["M_F"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--avsbench", default=os.environ.get("AVSBENCH_SRC"), help="export of OpenNLPLab/AVSBench f7414af")
    ap.add_argument("--vct", default=os.environ.get("VCT_SRC"), help="export of spyflying/VCT_AVS 9a18d2f")
    ap.add_argument("--sets", type=int, default=N_SETS)
    args = ap.parse_args()
    if not args.avsbench or not args.vct:
        print("gen_metrics.py: needs --avsbench and --vct exports of the official code (or $AVSBENCH_SRC, "
              "$VCT_SRC); keeping the committed tests/ref/data/metrics.safetensors", file=sys.stderr)
        return 0
    torch.set_num_threads(1)
    H = load_harness()
    th = torch.linspace(0, 1 - 1e-10, 255).numpy()
    border = border_logits(th)
    split = split_logits(border, th)
    out = {"thresholds": th.astype(np.float32), "border_logits": border, "split_logits": split}

    # sigmoid on one tensor (vector path, then the scalar tail), and torch.sum orders
    rng = np.random.default_rng(0)
    sx = np.concatenate([rng.uniform(-20, 20, 3000), rng.normal(0, 1e-6, 1000), border.astype(np.float64),
                         [0.0, -0.0, 88.0, 89.0, -87.0, -88.0, -103.9, -104.0, -104.5, 100.0, 100.5, np.inf,
                          -np.inf]]).astype(np.float32)
    sx = sx[:len(sx) - len(sx) % 16 + 9]  # ends in a 9-element scalar tail
    out["sigmoid_x"] = sx
    out["sigmoid_y"] = torch.sigmoid(torch.from_numpy(sx)).numpy()
    lens = list(range(1, 140)) + [255, 256, 300, 511, 512, 513, 1000, 3700]
    sum_in, sum_out = [], []
    for n in lens:
        v = rng.uniform(0, 1, n).astype(np.float32)
        sum_in.append(v)
        sum_out.append(torch.sum(torch.from_numpy(v)).item())
    out["sum_lengths"] = np.array(lens, np.int64)
    out["sum_inputs"] = np.concatenate(sum_in)
    out["sum_results"] = np.array(sum_out, np.float32)

    for ti, task in enumerate(TASKS):
        res = np.zeros((args.sets, 6), np.float64)
        batches = np.zeros(args.sets, np.int64)
        for si in range(args.sets):
            s = gen_binary(ti, si, border, split) if task != "avss" else gen_avss(ti, si)
            batches[si] = s["batch"]
            with tempfile.TemporaryDirectory() as tmp:
                gt, pred = os.path.join(tmp, "gt"), os.path.join(tmp, "pred")
                write_set(task, s, gt, pred)
                if task != "avss":
                    res[si, 0:2] = run_harness(H, args, task, gt, pred, "avsbench", s["batch"])
                    res[si, 2:4] = run_harness(H, args, task, gt, pred, "vct", 1)
                    res[si, 4:6] = run_harness(H, args, task, gt, pred, "avsbench", 0)
                else:
                    res[si, 0:2] = run_harness(H, args, task, gt, pred, "avsbench", s["batch"])
                    res[si, 2:4] = run_harness(H, args, task, gt, pred, "avsbench", s["batch"], "background")
                    res[si, 4:6] = run_harness(H, args, task, gt, pred, "vct", 1)
            print("%s set %2d: %s" % (task, si, " ".join("%.6f" % x for x in res[si])), file=sys.stderr)
        out[task + "_results"] = res
        out[task + "_batch"] = batches
    write_ref("metrics", out, {"sets": args.sets, "columns_binary": "avsbench(batch) M_J M_F, vct M_J M_F, "
                               "avsbench(batch 0) M_J M_F",
                               "columns_avss": "avsbench(batch) M_J M_F, avsbench(batch, pad background) M_J M_F, "
                               "vct M_J M_F", "avsbench": "OpenNLPLab/AVSBench f7414af",
                               "vct": "spyflying/VCT_AVS 9a18d2f"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
