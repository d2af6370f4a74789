#!/usr/bin/python3
"""Write (or check) the pickled log-mel tensors the official loaders read, from
vct's log-mel of each clip's WAV.

The official loaders read audio as `pickle.load(open(path, 'rb'))`, a float32
torch tensor [T,1,96,64]:
  S4 / MS3  <root>/{s4,ms3}_data/audio_log_mel/<split>/[<category>/]<name>.pkl,
            T = 5, fewer examples padded with copies of the last one
            (AVSBench preprocess_{s4,ms3}.py);
  AVSS      <root>/<label>/<uid>/audio.pkl, T = 10, zero-padded
            (VCT avs_tools/preprocess_avss_audio.py).
`vct synth` already writes these files (the same bytes as torch's pickle.dump,
storage key aside). This script is for data sets whose WAVs came from
elsewhere, and for checking: it runs `vct features WAV --task T` (the C front
end, bit-exact against the official one) and pickles the result with torch, as
the official preprocessing scripts do.

usage:
  official_pkl.py ROOT --task s4|ms3|avss [--vct build/vct] [--check] [--avsbench SRC]
    (default)   write every missing .pkl next to its WAV's place (atomically);
                --overwrite rewrites existing ones
    --check     load every existing .pkl as the official loaders do and compare it
                with vct's log-mel of the WAV, element by element (exit 1 on any
                difference); with --avsbench SRC also reports how it compares with
                the official torchvggish wavfile_to_examples (fitted as above): the
                C front end can differ there by a float32 rounding (1 ulp) in a few
                values, which is reported but not counted as a failure
Run with Debian's /usr/bin/python3 (torch 1.13).
"""
import argparse
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np
import torch


def pairs(root, task):
    """(wav, pkl) for every clip WAV under root, by the layout rules."""
    out = []
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith(".wav"):
                continue
            wav = os.path.join(dirpath, f)
            if task == "avss":
                if f != "audio.wav":
                    continue
                pkl = os.path.join(dirpath, "audio.pkl")
            else:
                rel = os.path.relpath(wav, root).split(os.sep)
                if len(rel) < 3 or rel[1] != "audio_wav":
                    continue
                rel[1] = "audio_log_mel"
                pkl = os.path.join(root, *rel)[:-4] + ".pkl"
            out.append((wav, pkl))
    return sorted(out)


def vct_logmel(vct, wav, task, tmpdir):
    npy = os.path.join(tmpdir, "lm.npy")
    r = subprocess.run([vct, "features", wav, "--task", task, "--out", npy], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("vct features %s: %s" % (wav, r.stderr.strip()))
    x = np.load(npy)  # [T,96,64]
    return torch.from_numpy(x.astype(np.float32)).unsqueeze(1)  # [T,1,96,64]


def official_logmel(src, wav, task):
    sys.path.insert(0, os.path.join(src, "avs_scripts", "avs_s4"))
    from torchvggish import vggish_input  # noqa: E402
    x = vggish_input.wavfile_to_examples(wav).detach()
    T = 10 if task == "avss" else 5
    if x.shape[0] < T:
        pad = torch.zeros(T, 1, 96, 64)
        pad[: x.shape[0]] = x
        if task != "avss":
            pad[x.shape[0]:] = x[-1]
        x = pad
    return x


def write_pickle(path, t):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as fw:
        pickle.dump(t, fw)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root")
    ap.add_argument("--task", required=True, choices=("s4", "ms3", "avss"))
    ap.add_argument("--vct", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "vct"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--overwrite", action="store_true")
    ap.add_argument("--avsbench", help="export of OpenNLPLab/AVSBench (with --check)")
    a = ap.parse_args()
    todo = pairs(a.root, a.task)
    if not todo:
        print("official_pkl: no clip WAVs under %s for task %s" % (a.root, a.task), file=sys.stderr)
        return 2
    bad = done = off_bad = off_elems = 0
    off_max = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for wav, pkl in todo:
            if a.check:
                if not os.path.exists(pkl):
                    continue
                with open(pkl, "rb") as fr:
                    got = pickle.load(fr).detach()  # as the official load_audio_lm
                want = vct_logmel(a.vct, wav, a.task, tmp)
                ok = got.dtype == torch.float32 and got.shape == want.shape and torch.equal(got, want)
                if not ok:
                    bad += 1
                    print("DIFFERS from vct features: %s (shape %s vs %s)" % (pkl, tuple(got.shape), tuple(want.shape)))
                if a.avsbench:
                    off = official_logmel(a.avsbench, wav, a.task)
                    if got.shape != off.shape:
                        off_bad += 1
                        print("DIFFERS from torchvggish: %s: shape %s vs %s" % (pkl, tuple(got.shape), tuple(off.shape)))
                    elif not torch.equal(got, off):
                        d = (got - off).abs()
                        off_bad += 1
                        off_max = max(off_max, float(d.max()))
                        off_elems += int((d > 0).sum())
                        print("differs from torchvggish: %s: %d of %d values, max |diff| %.3g (float32 rounding "
                              "of the front end)" % (pkl, int((d > 0).sum()), d.numel(), float(d.max())))
                done += 1
            elif a.overwrite or not os.path.exists(pkl):
                write_pickle(pkl, vct_logmel(a.vct, wav, a.task, tmp))
                done += 1
    what = "checked" if a.check else "written"
    print("official_pkl: %d .pkl %s, %d differ" % (done, what, bad))
    if a.check and a.avsbench:
        print("official_pkl: vs the official torchvggish: %d of %d files identical; %d differ in %d values, "
              "max |diff| %.3g" % (done - off_bad, done, off_bad, off_elems, off_max))
    if a.check and done == 0:
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
