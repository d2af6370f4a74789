#!/usr/bin/python3
"""Iterate the OFFICIAL dataset code over an AVSBench-layout data set (real
AVSBench, or SynthAVS from `vct synth`), to show the files are what the official
loaders expect.

  AVSBench (published layout): avs_scripts/{avs_s4,avs_ms3}/dataloader.py
      S4Dataset / MS3Dataset and avs_scripts/avss/color_dataloader.py V2Dataset,
      each through a torch DataLoader (batch 4, CSV order, as test.py), with the
      config paths pointed at ROOT.
  VCT (reorganised layout): models/data/datasets/register_{avss4,avsms3,avss}_sem.py
      (the file lists) and models/data/dataset_mappers/*_semantic_dataset_mapper.py
      (reading and decoding every file), with the inference settings of the
      configs (no augmentation; SIZE_DIVISIBILITY 384 padding on train).

detectron2 is not installed here: its few names these files use are replaced
by small stand-ins (read_image as detectron2 does it with PIL, an identity
transform list, Instances/BitMasks holders, a pass-through @configurable).
easydict is replaced by a dict subclass when missing. Nothing else is changed.

usage:
  official_loaders.py --avsbench SRC --task s4|ms3|avss --root ROOT [--limit N]
  official_loaders.py --vct SRC --task s4|ms3|avss --root ROOT [--limit N]
SRC is an export of the official repository (git archive, see
design/avsbench.md §5). Exit 0 when every clip of every split loaded.
"""
import argparse
import importlib.util
import os
import sys
import types

import numpy as np
import torch
from PIL import Image, ImageOps

SPLITS = ("train", "val", "test")


def stub_module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


def load_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def easydict_stub():
    try:
        import easydict  # noqa: F401
        return
    except ImportError:
        pass

    class EasyDict(dict):
        def __getattr__(self, k):
            try:
                return self[k]
            except KeyError as e:
                raise AttributeError(k) from e

        def __setattr__(self, k, v):
            self[k] = v

    stub_module("easydict", EasyDict=EasyDict)


def detectron2_stubs():
    """The names VCT's register_* and dataset mapper files import."""

    class Catalog(dict):
        def register(self, name, fn):
            self[name] = fn

        def get(self, name):
            return self.setdefault(name, types.SimpleNamespace(set=lambda **kw: None, ignore_label=255))

    def read_image(path, format=None):
        # detectron2.data.detection_utils.read_image: PIL open, EXIF transpose,
        # convert to the format (None: as stored), numpy array
        with open(path, "rb") as f:
            img = Image.open(f)
            img = ImageOps.exif_transpose(img)
            if format is not None:
                img = img.convert("RGB" if format == "BGR" else format)
            arr = np.asarray(img)
            if format == "BGR":
                arr = arr[:, :, ::-1]
            return arr

    class TransformList:  # the result of applying no augmentation
        def apply_image(self, x):
            return x

        def apply_segmentation(self, x):
            return x

    class AugInput:
        def __init__(self, image, sem_seg=None):
            self.image, self.sem_seg = image, sem_seg

    def apply_transform_gens(gens, aug_input):
        assert not gens, "this check runs the loaders without augmentation"
        return aug_input, TransformList()

    class Instances:
        def __init__(self, image_size):
            self.image_size = image_size

    class BitMasks:
        def __init__(self, tensor):
            self.tensor = tensor

    def configurable(init):  # explicit keyword arguments only
        return init

    d2 = stub_module("detectron2")
    cat = Catalog()
    data = stub_module("detectron2.data", DatasetCatalog=cat, MetadataCatalog=Catalog())
    data.detection_utils = stub_module("detectron2.data.detection_utils", read_image=read_image,
                                       check_image_size=lambda d, im: None)
    data.transforms = stub_module("detectron2.data.transforms", AugInput=AugInput,
                                  apply_transform_gens=apply_transform_gens)
    d2.data = data
    stub_module("detectron2.config", configurable=configurable)
    stub_module("detectron2.projects")
    stub_module("detectron2.projects.point_rend", ColorAugSSDTransform=object)
    stub_module("detectron2.structures", BitMasks=BitMasks, Instances=Instances)
    stub_module("detectron2.utils")
    stub_module("detectron2.utils.file_io", PathManager=types.SimpleNamespace(
        ls=os.listdir, isfile=os.path.isfile))


def summarise(split, n, shapes, extra):
    print("  %-5s %4d clips  %s  %s" % (split, n, shapes, extra))


# ---------------------------------------------------------------------------- AVSBench

def avsbench(src, task, root, limit):
    easydict_stub()
    sub = {"s4": "avs_s4", "ms3": "avs_ms3", "avss": "avss"}[task]
    d = os.path.join(src, "avs_scripts", sub)
    sys.path.insert(0, d)
    cfg = __import__("config").cfg
    if task == "s4":
        cfg.DATA.ANNO_CSV = os.path.join(root, "s4_meta_data.csv")
        for k, v in (("DIR_IMG", "visual_frames"), ("DIR_AUDIO_LOG_MEL", "audio_log_mel"), ("DIR_MASK", "gt_masks")):
            cfg.DATA[k] = os.path.join(root, "s4_data", v)
        mod = load_file("dataloader", os.path.join(d, "dataloader.py"))
        make = mod.S4Dataset
    elif task == "ms3":
        cfg.DATA.ANNO_CSV = os.path.join(root, "ms3_meta_data.csv")
        for k, v in (("DIR_IMG", "visual_frames"), ("DIR_AUDIO_LOG_MEL", "audio_log_mel"), ("DIR_MASK", "gt_masks")):
            cfg.DATA[k] = os.path.join(root, "ms3_data", v)
        mod = load_file("dataloader", os.path.join(d, "dataloader.py"))
        make = mod.MS3Dataset
    else:
        cfg.DATA.META_CSV_PATH = os.path.join(root, "metadata.csv")
        cfg.DATA.LABEL_IDX_PATH = os.path.join(root, "label2idx.json")
        cfg.DATA.DIR_BASE = root
        mod = load_file("color_dataloader", os.path.join(d, "color_dataloader.py"))
        make = mod.V2Dataset
    total = 0
    for split in SPLITS:
        ds = make(split)
        if limit:
            ds.df_split = ds.df_split[:limit]
        loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=False, num_workers=0)
        n, fg, classes, shapes = 0, [], set(), None
        for batch in loader:
            imgs, second, masks = batch[0], batch[1], batch[2]
            if shapes is None:
                shapes = "imgs %s %s  masks %s" % (tuple(imgs.shape), "audio " + str(tuple(second.shape))
                                                   if torch.is_tensor(second) else "audio <wav path>",
                                                   tuple(masks.shape))
            n += imgs.shape[0]
            if task == "avss":
                classes |= set(torch.unique(masks).tolist())
                fg.append(float((masks > 0).float().mean()))
            else:
                assert set(torch.unique(masks).tolist()) <= {0.0, 1.0}, "mask values not 0/1"
                fg.append(float(masks.mean()))
        extra = "foreground %.3f" % float(np.mean(fg)) if fg else ""
        if classes:
            extra += "  classes %s" % sorted(int(c) for c in classes)
        summarise(split, n, shapes, extra)
        total += n
    return total


# ---------------------------------------------------------------------------- VCT

def vct(src, task, root, limit):
    detectron2_stubs()
    base = os.path.join(src, "models", "data")
    name = {"s4": "avss4", "ms3": "avsms3", "avss": "avss"}[task]
    reg = load_file("register_" + name, os.path.join(base, "datasets", "register_%s_sem.py" % name))
    mp = load_file(name + "_mapper", os.path.join(base, "dataset_mappers", "%s_semantic_dataset_mapper.py" % name))
    cls = {"s4": "AVSS4_SemanticDatasetMapper", "ms3": "AVSMS3_SemanticDatasetMapper",
           "avss": "AVSS_SemanticDatasetMapper"}[task]
    root = root.rstrip("/") + "/"
    if task == "s4":
        reg.register_avss4_semantic(root)
    elif task == "ms3":
        reg.register_avsms3_semantic(root)
    else:
        reg.register_avss_semantic(root)
    catalog = sys.modules["detectron2.data"].DatasetCatalog
    total = 0
    for split in SPLITS:
        dicts = catalog["%s_sem_seg_%s" % (name, split)]()
        if limit:
            dicts = dicts[:limit]
        mapper = getattr(mp, cls)(is_train=split == "train", augmentations=[], image_format="RGB",
                                  ignore_label=255, size_divisibility=384, pre_sam=True)
        n, fg, classes, shapes = 0, [], set(), None
        for d in dicts:
            out = mapper(d)
            if shapes is None:
                shapes = "images %s  sem_segs %s  pre_masks %s  audio %s" % (
                    tuple(out["images"].shape), tuple(out["sem_segs"].shape), tuple(out["pre_masks"].shape),
                    tuple(out["audio_log_mel"].shape))
            sem = out["sem_segs"]
            classes |= set(int(c) for c in torch.unique(sem).tolist())
            fg.append(float(((sem > 0) & (sem < 255)).float().mean()))
            n += 1
        extra = "foreground %.3f  label values %s" % (float(np.mean(fg)), sorted(classes))
        summarise(split, n, shapes, extra)
        total += n
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--avsbench", help="export of OpenNLPLab/AVSBench: run its loaders on the published layout")
    ap.add_argument("--vct", help="export of spyflying/VCT_AVS: run its loaders on the reorganised layout")
    ap.add_argument("--task", required=True, choices=("s4", "ms3", "avss"))
    ap.add_argument("--root", required=True, help="Single-source/, Multi-sources/ or AVSBench_semantic/")
    ap.add_argument("--limit", type=int, default=0, help="at most N clips per split")
    a = ap.parse_args()
    if bool(a.avsbench) == bool(a.vct):
        ap.error("give exactly one of --avsbench SRC or --vct SRC")
    which = "AVSBench" if a.avsbench else "VCT"
    print("%s official loaders, task %s, root %s" % (which, a.task, a.root))
    try:
        n = avsbench(a.avsbench, a.task, a.root, a.limit) if a.avsbench else vct(a.vct, a.task, a.root, a.limit)
    except Exception as e:  # the official code raised: say where
        print("FAILED: %s: %s" % (type(e).__name__, e))
        return 1
    print("OK: %d clips loaded" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
