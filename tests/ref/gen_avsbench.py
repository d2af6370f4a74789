#!/usr/bin/python3
"""gen_avsbench.py: what the OFFICIAL AVSBench / VCT data loaders read, for
tests/data/test_avsbench.c.

1. Paths. A small fake data set (empty files) is laid out for S4, MS3 and AVSS in
   both layouts; the official loaders run over every split with their file
   readers replaced by recorders:
     AVSBench avs_s4/dataloader.py S4Dataset, avs_ms3/dataloader.py MS3Dataset,
       avss/color_dataloader.py V2Dataset (__getitem__ of every index);
     VCT models/data/datasets/register_avss4_sem.py _get_avss4_files,
       register_avsms3_sem.py _get_avsms3_files, register_avss_sem.py _get_avss_files.
   The C test builds the same tree from the stored file list and compares the
   files avsbench.h names for each clip (frames, masks, Maskiges, audio), in order.
2. Decoding. Small mask files under tests/data/avsbench/ and what the official
   code makes of them: color_mask_to_label (AVSS colour masks, with colours outside
   the palette), S4's convert('1') + ToTensor, MS3's convert('P') + ToTensor and
   VCT's np.array(Image.open(p)) // 255 (binary masks), get_v2_pallete (71 colours).
3. A pickled log-mel tensor (pickle.dump of a float32 torch tensor, as
   preprocess_s4.py writes it) and the same tensor torch.save'd.

    /usr/bin/python3 tests/ref/gen_avsbench.py --avsbench AVSBENCH_SRC --vct VCT_SRC
(or $AVSBENCH_SRC / $VCT_SRC); without them the committed data is kept.
"""
import argparse
import contextlib
import importlib.util
import io
import json
import os
import pickle
import sys
import tempfile
import types

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refio import write_ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "data", "avsbench")
SPLITS = ("train", "val", "test")
S4_CATS = ["helicopter", "mynah_bird_singing", "typing_on_computer_keyboard", "playing_violin",
           "playing_glockenspiel", "playing_piano", "lions_roaring", "baby_laughter", "male_speech",
           "lawn_mowing", "playing_ukulele", "playing_tabla", "driving_buses", "cap_gun_shooting",
           "chainsawing_trees", "playing_acoustic_guitar", "cat_meowing", "female_singing",
           "ambulance_siren", "dog_barking", "horse_clip-clop", "coyote_howling", "race_car"]


# ---- the fake tree ---------------------------------------------------------------------

def s4_clips():
    """(split, name, category): 2 clips per split, rows deliberately not sorted."""
    out = []
    for si, sp in enumerate(SPLITS):
        for i in (1, 0):
            out.append((sp, "s4%s_%d" % (sp, i), S4_CATS[(7 * si + 5 * i + 3) % 23]))
    return out


def ms3_clips():
    return [(sp, "ms3%s_%d" % (sp, i)) for sp in SPLITS for i in (1, 0)]


def avss_clips():
    """(split, uid, label, vid)"""
    out = []
    for sp in SPLITS:
        for i, lab in enumerate(("v2", "v1s", "v1m")):
            out.append((sp, "uid_%s_%d" % (sp, i), lab, "vid%s%d" % (sp, i)))
    return out


def touch(root, rel, files):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").close()
    files.append(rel)


def make_tree(root):
    files = []
    # S4, both layouts, under Single-source/
    S = "Single-source"
    with_rows = ["name,start_time,category,split"]
    for sp, n, cat in s4_clips():
        with_rows.append("%s,0,%s,%s" % (n, cat, sp))
        ks = [1] if sp == "train" else [1, 2, 3, 4, 5]
        for k in range(1, 6):
            touch(root, "%s/s4_data/visual_frames/%s/%s/%s/%s_%d.png" % (S, sp, cat, n, n, k), files)
            touch(root, "%s/s4_data_384/visual_frames_384/%s/%s/%s/%s_%d.png" % (S, sp, cat, n, n, k), files)
            touch(root, "%s/s4_data_384/pre_SAM_mask_384/%s/%s/%s/%s_%d_mask_color.png" % (S, sp, cat, n, n, k), files)
        for k in ks:
            touch(root, "%s/s4_data/gt_masks/%s/%s/%s/%s_%d.png" % (S, sp, cat, n, n, k), files)
            g = "gt_masks_384" if sp == "train" else "gt_masks_224"
            touch(root, "%s/s4_data_384/%s/%s/%s/%s/%s_%d.png" % (S, g, sp, cat, n, n, k), files)
        touch(root, "%s/s4_data/audio_log_mel/%s/%s/%s.pkl" % (S, sp, cat, n), files)
        touch(root, "%s/s4_data/audio_wav/%s/%s/%s.wav" % (S, sp, cat, n), files)
    with open(os.path.join(root, S, "s4_meta_data.csv"), "w") as fh:
        fh.write("\n".join(with_rows) + "\n")
    files.append(S + "/s4_meta_data.csv")
    # MS3
    M = "Multi-sources"
    rows = ["video_id,split"]
    for sp, n in ms3_clips():
        rows.append("%s,%s" % (n, sp))
        for k in range(1, 6):
            touch(root, "%s/ms3_data/visual_frames/%s/%s.mp4_%d.png" % (M, n, n, k), files)
            touch(root, "%s/ms3_data/gt_masks/%s/%s/%s_%d.png" % (M, sp, n, n, k), files)
            touch(root, "%s/ms3_data_384/visual_frames_384/%s/%s_%d.png" % (M, n, n, k), files)
            g = "gt_masks_384" if sp == "train" else "gt_masks_224"
            touch(root, "%s/ms3_data_384/%s/%s/%s/%s_%d.png" % (M, g, sp, n, n, k), files)
            touch(root, "%s/ms3_data_384/pre_SAM_mask_384/%s/%s_%d_mask_color.png" % (M, n, n, k), files)
        touch(root, "%s/ms3_data/audio_log_mel/%s/%s.pkl" % (M, sp, n), files)
        touch(root, "%s/ms3_data/audio_wav/%s/%s.wav" % (M, sp, n), files)
    with open(os.path.join(root, M, "ms3_meta_data.csv"), "w") as fh:
        fh.write("\n".join(rows) + "\n")
    files.append(M + "/ms3_meta_data.csv")
    # AVSS
    A = "AVSBench_semantic"
    rows = ["vid,uid,s_min,s_sec,a_obj,split,label"]
    for sp, uid, lab, vid in avss_clips():
        rows.append("%s,%s,0,0,man_piano,%s,%s" % (vid, uid, sp, lab))
        T = 10 if lab == "v2" else 5
        for t in range(T):
            base = "%s/%s/%s" % (A, lab, uid)
            touch(root, "%s/frames/%d.jpg" % (base, t), files)
            if not (sp == "train" and lab == "v1s" and t > 0):
                touch(root, "%s/labels_rgb/%d.png" % (base, t), files)
                touch(root, "%s/labels_semantic/%d.png" % (base, t), files)
                touch(root, "%s/processed_labels_semantic/%d.png" % (base, t), files)
            touch(root, "%s/processed_frames_384/%d.jpg" % (base, t), files)
            for fd in ("frames", "processed_frames_384"):
                touch(root, "%s/pre_SAM_mask/AVSBench_semantic/%s/%s/%s/%d_mask_color.png" % (A, lab, uid, fd, t), files)
        touch(root, "%s/%s/%s/audio.wav" % (A, lab, uid), files)
        touch(root, "%s/%s/%s/audio.pkl" % (A, lab, uid), files)
    with open(os.path.join(root, A, "metadata.csv"), "w") as fh:
        fh.write("\n".join(rows) + "\n")
    with open(os.path.join(root, A, "label2idx.json"), "w") as fh:
        json.dump({"c%02d" % i: i + 1 for i in range(71)}, fh)
    files += [A + "/metadata.csv", A + "/label2idx.json"]
    return files


# ---- running the official loaders -------------------------------------------------------

def _module(name, path, extra_path=None, stubs=None):
    saved = {}
    for k, v in (stubs or {}).items():
        saved[k] = sys.modules.get(k)
        sys.modules[k] = v
    if extra_path:
        sys.path.insert(0, extra_path)
    sys.modules.pop("config", None)
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        with contextlib.redirect_stdout(io.StringIO()):
            spec.loader.exec_module(mod)
    finally:
        if extra_path:
            sys.path.remove(extra_path)
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return mod


def _stubs():
    ed = types.ModuleType("easydict")

    class EasyDict(dict):
        def __getattr__(self, k):
            try:
                return self[k]
            except KeyError as exc:
                raise AttributeError(k) from exc

        def __setattr__(self, k, v):
            self[k] = v
    ed.EasyDict = EasyDict

    class PM:  # detectron2 PathManager on the local disk
        ls = staticmethod(os.listdir)
        isfile = staticmethod(os.path.isfile)
        open = staticmethod(open)

    class Catalog:
        def register(self, *a, **k):
            pass

        def get(self, *a, **k):
            return types.SimpleNamespace(set=lambda **kw: None)

    def m(name, **attrs):
        mod = types.ModuleType(name)
        mod.__dict__.update(attrs)
        return mod
    stubs = {"easydict": ed,
             "detectron2": m("detectron2"), "detectron2.data": m("detectron2.data", DatasetCatalog=Catalog(),
                                                                 MetadataCatalog=Catalog()),
             "detectron2.utils": m("detectron2.utils"),
             "detectron2.utils.file_io": m("detectron2.utils.file_io", PathManager=PM)}
    if importlib.util.find_spec("easydict") is not None:
        del stubs["easydict"]
    return stubs


def rel(root, p):
    return os.path.relpath(os.path.normpath(p), root)


def record_avsbench(args, root, task):
    """[(split, [lines])] from the AVSBench Dataset classes."""
    sub = {"s4": "avs_s4", "ms3": "avs_ms3", "avss": "avss"}[task]
    d = os.path.join(args.avsbench, "avs_scripts", sub)
    fname = "color_dataloader.py" if task == "avss" else "dataloader.py"
    mod = _module("dl_" + task, os.path.join(d, fname), extra_path=d, stubs=_stubs())
    cfg = mod.cfg
    log = []
    if task == "s4":
        R = os.path.join(root, "Single-source")
        cfg.DATA.ANNO_CSV = os.path.join(R, "s4_meta_data.csv")
        cfg.DATA.DIR_IMG = os.path.join(R, "s4_data/visual_frames")
        cfg.DATA.DIR_AUDIO_LOG_MEL = os.path.join(R, "s4_data/audio_log_mel")
        cfg.DATA.DIR_MASK = os.path.join(R, "s4_data/gt_masks")
    elif task == "ms3":
        R = os.path.join(root, "Multi-sources")
        cfg.DATA.ANNO_CSV = os.path.join(R, "ms3_meta_data.csv")
        cfg.DATA.DIR_IMG = os.path.join(R, "ms3_data/visual_frames")
        cfg.DATA.DIR_AUDIO_LOG_MEL = os.path.join(R, "ms3_data/audio_log_mel")
        cfg.DATA.DIR_MASK = os.path.join(R, "ms3_data/gt_masks")
    else:
        R = os.path.join(root, "AVSBench_semantic")
        cfg.DATA.META_CSV_PATH = os.path.join(R, "metadata.csv")
        cfg.DATA.LABEL_IDX_PATH = os.path.join(R, "label2idx.json")
        cfg.DATA.DIR_BASE = R

    def img(path, *a, **k):
        mode = k.get("mode", a[0] if a and isinstance(a[0], str) and task != "avss" else "RGB")
        log.append(("M " if mode in ("1", "P") else "F ") + rel(R, path))
        return torch.zeros(3, 4, 4)

    def color(path, *a, **k):
        log.append("M " + rel(R, path))
        return torch.zeros(1, 4, 4, dtype=torch.long)

    def audio(path):
        log.append("A " + rel(R, path))
        return torch.zeros(5, 1, 96, 64)
    mod.load_image_in_PIL_to_Tensor = img
    if task == "avss":
        mod.load_color_mask_in_PIL_to_Tensor = color
    else:
        mod.load_audio_lm = audio
    out = []
    cls = {"s4": "S4Dataset", "ms3": "MS3Dataset", "avss": "V2Dataset"}[task]
    for sp in SPLITS:
        with contextlib.redirect_stdout(io.StringIO()):
            ds = getattr(mod, cls)(sp)
        lines = []
        for i in range(len(ds)):
            log.clear()
            with contextlib.redirect_stdout(io.StringIO()):
                item = ds[i]
            if task == "avss":
                log.append("A " + rel(R, item[1]))  # the wav path the model reads
            # canonical order: frames, masks, audio
            lines += [x for x in log if x[0] == "F"] + [x for x in log if x[0] == "M"] + \
                     [x for x in log if x[0] == "A"] + ["--"]
        out.append((sp, lines))
    return out


def record_vct(args, root, task):
    d = os.path.join(args.vct, "models", "data", "datasets")
    out = []
    if task == "s4":
        mod = _module("vct_s4", os.path.join(d, "register_avss4_sem.py"), stubs=_stubs())
        R = os.path.join(root, "Single-source")
        for sp in SPLITS:
            r384 = os.path.join(R, "s4_data_384")
            files = mod._get_avss4_files(os.path.join(r384, "visual_frames_384", sp),
                                         os.path.join(r384, "gt_masks_384" if sp == "train" else "gt_masks_224", sp),
                                         os.path.join(R, "s4_data", "audio_log_mel", sp),
                                         os.path.join(r384, "pre_SAM_mask_384", sp), sp)
            lines = []
            for imgs, labels, audio, pre, _cat in files:
                lines += ["F " + rel(R, p) for p in imgs] + ["M " + rel(R, p) for p in labels] + \
                         ["P " + rel(R, p) for p in pre] + ["A " + rel(R, audio), "--"]
            out.append((sp, lines))
    elif task == "ms3":
        mod = _module("vct_ms3", os.path.join(d, "register_avsms3_sem.py"), stubs=_stubs())
        R = os.path.join(root, "Multi-sources")
        for sp in SPLITS:
            r384 = os.path.join(R, "ms3_data_384")
            files = mod._get_avsms3_files(os.path.join(r384, "visual_frames_384"),
                                          os.path.join(r384, "gt_masks_384" if sp == "train" else "gt_masks_224", sp),
                                          os.path.join(R, "ms3_data", "audio_log_mel", sp),
                                          os.path.join(r384, "pre_SAM_mask_384"))
            lines = []
            for imgs, labels, audio, pre in files:
                lines += ["F " + rel(R, p) for p in imgs] + ["M " + rel(R, p) for p in labels] + \
                         ["P " + rel(R, p) for p in pre] + ["A " + rel(R, audio), "--"]
            out.append((sp, lines))
    else:
        import pandas as pd
        mod = _module("vct_avss", os.path.join(d, "register_avss_sem.py"), stubs=_stubs())
        R = os.path.join(root, "AVSBench_semantic")
        df = pd.read_csv(os.path.join(R, "metadata.csv"), sep=",")
        for sp in SPLITS:
            files = mod._get_avss_files(df[df["split"] == sp], R, sp, os.path.join(R, "pre_SAM_mask/AVSBench_semantic"))
            lines = []
            for imgs, labels, audio, pre, _vf, _gf in files:
                lines += ["F " + rel(R, p) for p in imgs] + ["M " + rel(R, p) for p in labels] + \
                         ["P " + rel(R, p) for p in pre] + ["A " + rel(R, audio), "--"]
            out.append((sp, lines))
    return out


# ---- decoding fixtures ---------------------------------------------------------------------

def palette71():
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


def fixtures(args, out):
    os.makedirs(FIXTURES, exist_ok=True)
    rng = np.random.default_rng(7)
    avss_dir = os.path.join(args.avsbench, "avs_scripts", "avss")
    cd = _module("avss_cd", os.path.join(avss_dir, "color_dataloader.py"), extra_path=avss_dir, stubs=_stubs())
    with tempfile.TemporaryDirectory() as tmp:
        lj = os.path.join(tmp, "label2idx.json")
        with open(lj, "w") as fh:
            json.dump({"c%02d" % i: i + 1 for i in range(71)}, fh)
        pal = cd.get_v2_pallete(lj, num_cls=71)
    out["palette"] = np.asarray(pal, np.int64)
    assert np.array_equal(np.asarray(pal), palette71())
    # colour masks: palette colours, and one with a few colours outside the palette
    ids = rng.integers(0, 71, (13, 17))
    Image.fromarray(palette71()[ids], "RGB").save(os.path.join(FIXTURES, "colour_ok_13x17.png"))
    bad = palette71()[ids].copy()
    bad[3, 5] = (1, 2, 3)
    bad[7, 0] = (255, 255, 255)
    Image.fromarray(bad, "RGB").save(os.path.join(FIXTURES, "colour_off_palette_13x17.png"))
    for name in ("colour_ok_13x17.png", "colour_off_palette_13x17.png"):
        lab = cd.color_mask_to_label(Image.open(os.path.join(FIXTURES, name)).convert("RGB"), pal)
        out["labels_" + name[:-4]] = lab.astype(np.int64)
    # binary masks in the layouts the loaders meet
    m = (rng.random((11, 14)) < 0.4).astype(np.uint8) * 255
    Image.fromarray(m, "L").save(os.path.join(FIXTURES, "binary_L_11x14.png"))
    p = Image.fromarray((m // 255).astype(np.uint8), "P")
    p.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    p.save(os.path.join(FIXTURES, "binary_P01_11x14.png"))  # indices 0/1: the loaders disagree
    Image.fromarray(np.stack([m] * 3, -1), "RGB").save(os.path.join(FIXTURES, "binary_RGB_11x14.png"))
    g = m.copy()
    g[2, 3] = 17
    Image.fromarray(g, "L").save(os.path.join(FIXTURES, "binary_gray17_11x14.png"))
    from torchvision import transforms
    tt = transforms.ToTensor()
    for name in ("binary_L_11x14", "binary_RGB_11x14"):
        path = os.path.join(FIXTURES, name + ".png")
        out["s4_" + name] = tt(Image.open(path).convert("1"))[0].numpy().astype(np.float32)
        if name == "binary_L_11x14":
            out["ms3_" + name] = tt(Image.open(path).convert("P"))[0].numpy().astype(np.float32)
            out["vct_" + name] = (np.array(Image.open(path)) // 255).astype(np.float32)
    # index masks (labels_semantic): ids as an L PNG
    Image.fromarray(ids.astype(np.uint8), "L").save(os.path.join(FIXTURES, "ids_13x17.png"))
    out["ids_13x17"] = np.array(Image.open(os.path.join(FIXTURES, "ids_13x17.png"))).astype(np.int64)
    # log-mel pickles: pickle.dump(tensor) as preprocess_s4.py, and torch.save
    lm = torch.from_numpy(rng.normal(-3, 2, (1, 1, 96, 64)).astype(np.float32))
    with open(os.path.join(FIXTURES, "logmel_pickle.pkl"), "wb") as fh:
        pickle.dump(lm, fh)
    torch.save(lm, os.path.join(FIXTURES, "logmel_torchsave.pkl"))
    out["logmel"] = lm.numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--avsbench", default=os.environ.get("AVSBENCH_SRC"))
    ap.add_argument("--vct", default=os.environ.get("VCT_SRC"))
    args = ap.parse_args()
    if not args.avsbench or not args.vct:
        print("gen_avsbench.py: needs --avsbench and --vct exports of the official code (or $AVSBENCH_SRC, "
              "$VCT_SRC); keeping the committed tests/ref/data/avsbench.safetensors", file=sys.stderr)
        return 0
    out = {}
    with tempfile.TemporaryDirectory() as root:
        files = make_tree(root)
        out["tree_files"] = np.frombuffer(("\n".join(files) + "\n").encode(), np.uint8)
        for task in ("s4", "ms3", "avss"):
            for layout, fn in (("avsbench", record_avsbench), ("vct", record_vct)):
                for sp, lines in fn(args, root, task):
                    out["paths_%s_%s_%s" % (task, layout, sp)] = np.frombuffer(
                        ("\n".join(lines) + "\n").encode(), np.uint8)
        # the CSVs themselves travel in tree_files; store their text too
        for rp in ("Single-source/s4_meta_data.csv", "Multi-sources/ms3_meta_data.csv",
                   "AVSBench_semantic/metadata.csv", "AVSBench_semantic/label2idx.json"):
            with open(os.path.join(root, rp), "rb") as fh:
                out["text_" + rp.replace("/", "_").replace(".", "_").replace("-", "_")] = np.frombuffer(fh.read(), np.uint8)
    fixtures(args, out)
    write_ref("avsbench", out, {"avsbench": "OpenNLPLab/AVSBench f7414af", "vct": "spyflying/VCT_AVS 9a18d2f"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
