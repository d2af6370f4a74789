#!/usr/bin/python3
"""Contact sheet of SynthAVS clips (vct layout): for a few clips, three frames
each as  frame | ground truth | Maskige, with what is heard written above.

usage: synth_contact_sheet.py --s4 ROOT --ms3 ROOT --avss ROOT --out PNG
Each ROOT is a `vct synth --layout vct` set. Clips are picked from
synthavs_clips.csv: an S4 clip with a silent object of the heard class, an MS3
clip whose sources start or stop mid-clip, and two AVSS v2 clips with several
sources (one with an off-screen sound when there is one). The PNG is quantised
to 256 colours to stay small.
"""
import argparse
import csv
import glob
import os

import numpy as np
from PIL import Image, ImageDraw

H = 112  # tile height


def palette71():
    pal = np.zeros((71, 3), np.uint8)
    for c in range(71):
        lab, i = c, 0
        while lab:
            pal[c, 0] |= ((lab >> 0) & 1) << (7 - i)
            pal[c, 1] |= ((lab >> 1) & 1) << (7 - i)
            pal[c, 2] |= ((lab >> 2) & 1) << (7 - i)
            lab >>= 3
            i += 1
    return pal


def clips(root):
    rows = list(csv.DictReader(open(os.path.join(root, "synthavs_clips.csv"))))
    by = {}
    for r in rows:
        by.setdefault(r["name"], []).append(r)
    return by


def pick(by, want):
    for name, srcs in sorted(by.items(), key=lambda kv: int(kv[1][0]["index"])):
        if want(srcs):
            return name, srcs
    return next(iter(by.items()))


def describe(srcs, t):
    heard = []
    for s in srcs:
        if s["heard_seconds"][t] == "1":
            heard.append(s["source_class"] + ("(off)" if s["source_object"] == "offscreen" else ""))
    return "+".join(heard) or "silence"


def tile(img, w):
    return img.convert("RGB").resize((w, H), Image.BILINEAR if img.mode == "RGB" else Image.NEAREST)


def row_object(root, task, name, srcs):
    """S4/MS3 vct layout: 384 frames, gt_masks_224 (val/test) or _384, Maskige 384."""
    if task == "s4":
        f = glob.glob(os.path.join(root, "s4_data_384/visual_frames_384/*/*/%s" % name))[0]
        split, cat = f.split("/")[-3], f.split("/")[-2]
        frame = lambda k: os.path.join(f, "%s_%d.png" % (name, k))
        gts = [os.path.join(root, "s4_data_384/gt_masks_%s/%s/%s/%s/%s_%d.png" % (s, split, cat, name, name, k))
               for s in ("224", "384") for k in range(1, 6)]
        mk = lambda k: os.path.join(root, "s4_data_384/pre_SAM_mask_384/%s/%s/%s/%s_%d_mask_color.png" % (split, cat, name, name, k))
    else:
        frame = lambda k: os.path.join(root, "ms3_data_384/visual_frames_384/%s/%s_%d.png" % (name, name, k))
        gts = glob.glob(os.path.join(root, "ms3_data_384/gt_masks_224/*/%s/*.png" % name))
        mk = lambda k: os.path.join(root, "ms3_data_384/pre_SAM_mask_384/%s/%s_%d_mask_color.png" % (name, name, k))
    tiles, labels = [], []
    for t in (0, 2, 4):
        k = t + 1
        gt = [g for g in gts if g.endswith("_%d.png" % k) and os.path.exists(g)]
        g = Image.open(gt[0]) if gt else Image.new("L", (8, 8), 40)
        tiles += [tile(Image.open(frame(k)), H), tile(g, H), tile(Image.open(mk(k)), H)]
        labels.append("t=%d: %s" % (t, describe(srcs, t)))
    return tiles, labels, H


def row_avss(root, name, srcs):
    lab = srcs[0]["subset"]
    d = os.path.join(root, lab, name)
    w = int(round(H * 426 / 240))
    tiles, labels = [], []
    T = int(srcs[0]["frames"])
    for t in (0, T // 2, T - 1):
        rgb = os.path.join(d, "labels_rgb/%d.png" % t)
        g = Image.open(rgb) if os.path.exists(rgb) else Image.new("RGB", (8, 8), (40, 40, 40))
        m = os.path.join(root, "pre_SAM_mask/AVSBench_semantic/%s/%s/frames/%d_mask_color.png" % (lab, name, t))
        tiles += [tile(Image.open(os.path.join(d, "frames/%d.jpg" % t)), w), tile(g, w), tile(Image.open(m), w)]
        labels.append("t=%d: %s" % (t, describe(srcs, t)))
    return tiles, labels, w


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--s4", required=True)
    ap.add_argument("--ms3", required=True)
    ap.add_argument("--avss", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rows = []
    s4 = clips(a.s4)
    name, srcs = pick(s4, lambda s: s[0]["split"] != "train" and
                      s[0]["visible_objects"].split().count(s[0]["source_class"]) >= 2)
    rows.append(("S4 " + name + ": one source; objects: " + srcs[0]["visible_objects"],) + row_object(a.s4, "s4", name, srcs))
    ms3 = clips(a.ms3)
    name, srcs = pick(ms3, lambda s: s[0]["split"] != "train" and len(s) >= 2 and any("0" in x["heard_seconds"] for x in s) and
                      all(x["source_object"] != "offscreen" for x in s))
    rows.append(("MS3 " + name + ": sources start/stop; objects: " + srcs[0]["visible_objects"],) +
                row_object(a.ms3, "ms3", name, srcs))
    av = clips(a.avss)
    name, srcs = pick(av, lambda s: s[0]["subset"] == "v2" and len(s) >= 3 and any(x["source_object"] == "offscreen" for x in s))
    rows.append(("AVSS v2 " + name + ": objects: " + srcs[0]["visible_objects"],) + row_avss(a.avss, name, srcs))
    first = name
    name, srcs = pick(av, lambda s: s[0]["subset"] == "v2" and s[0]["name"] != first and len(s) >= 2 and
                      any("0" in x["heard_seconds"] for x in s))
    rows.append(("AVSS v2 " + name + ": objects: " + srcs[0]["visible_objects"],) + row_avss(a.avss, name, srcs))

    gap, head = 4, 30
    width = max(len(r[1]) * (r[3] + gap) + gap * 3 for r in rows)
    height = len(rows) * (H + head + gap) + 22
    sheet = Image.new("RGB", (width, height), (255, 255, 255))
    dr = ImageDraw.Draw(sheet)
    dr.text((gap, 4), "SynthAVS (vct layout): per frame  picture | ground truth (S4/MS3 binary, AVSS class colours) | Maskige",
            fill=(0, 0, 0))
    y = 22
    for title, tiles, labels, w in rows:
        dr.text((gap, y), title, fill=(0, 0, 0))
        for j, lab in enumerate(labels):
            dr.text((gap + j * 3 * (w + gap) + (j * gap), y + 14), lab, fill=(90, 0, 0))
        x = gap
        for i, t in enumerate(tiles):
            if i and i % 3 == 0:
                x += gap
            sheet.paste(t, (x, y + head))
            x += w + gap
        y += H + head + gap
    sheet = sheet.quantize(colors=256, method=Image.MEDIANCUT, dither=Image.NONE)
    sheet.save(a.out, optimize=True)
    print("%s: %dx%d, %d bytes" % (a.out, width, height, os.path.getsize(a.out)))


if __name__ == "__main__":
    main()
