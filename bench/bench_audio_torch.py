"""bench_audio_torch.py: the OFFICIAL audio path on the clips bench_audio.c wrote, in the
same output format ("INFO ..." and "RESULT <clip> <stage> official <best s> <first s> <runs>").

  /usr/bin/python3 bench/bench_audio_torch.py --official EXPORT --clips DIR
      [--model CKPT|none] [--threads N]

EXPORT is an export of the official repo (spyflying/VCT_AVS); the code is imported from
models/modeling/audio_backbone/torchvggish unchanged:
  frontend  vggish_input.wavfile_to_examples(path)  (soundfile, resampy kaiser_best, numpy)
  vggish    VGG(make_layers()).features(x) under torch.no_grad()  (what VCT runs: compact=False)
  total     both
Weights: audio_backbone.features.* of CKPT (a VCT checkpoint), else torch's default init.
Timing as bench_audio.c: the first call (cold: numba compiles resampy's kernel then), then
the best of >= 5 runs and >= 1 s. When DIR holds our dumps (<clip>.logmel.f32,
<clip>.vggish.f32), prints the max abs difference of ours vs the official outputs.
"""
import argparse
import os
import sys
import time

import numpy as np


def timeit(fn):
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    best, runs, total = 1e30, 0, 0.0
    while runs < 5 or (total < 1.0 and runs < 50):
        t0 = time.perf_counter()
        out = fn()
        t = time.perf_counter() - t0
        total += t
        runs += 1
        best = min(best, t)
    return out, best, first, runs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--official", required=True)
    ap.add_argument("--clips", required=True)
    ap.add_argument("--model", default="none")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    vdir = os.path.join(a.official, "models", "modeling", "audio_backbone")
    if not os.path.isfile(os.path.join(vdir, "torchvggish", "vggish_input.py")):
        print(f"INFO official side skipped: {a.official} has no torchvggish")
        return 0
    import torch
    sys.path.insert(0, vdir)
    from torchvggish import vggish_input
    from torchvggish.vggish import VGG, make_layers
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    import resampy
    try:
        import numba
        nb = f"numba {numba.__version__}, {numba.config.NUMBA_NUM_THREADS} threads (resampy parallel=False)"
    except ImportError:
        nb = "numba absent"
    print(f"INFO threads torch {torch.get_num_threads()} (intra-op), interop {torch.get_num_interop_threads()}; "
          f"{nb}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}")
    print(f"INFO torch {torch.__version__}, numpy {np.__version__}, resampy {resampy.__version__}; "
          f"official code from {vdir}")
    torch.manual_seed(0)
    model = VGG(make_layers()).eval()
    loaded = False
    if a.model != "none" and os.path.isfile(a.model):
        ck = torch.load(a.model, map_location="cpu")
        sd = ck.get("model", ck)
        feats = {k[len("audio_backbone."):]: v for k, v in sd.items() if k.startswith("audio_backbone.features.")}
        model.load_state_dict(feats, strict=False)
        loaded = len(feats) == 12
        print(f"INFO weights {a.model} ({len(feats)} audio_backbone.features tensors)")
    else:
        print("INFO weights torch default init")
    for clip in ("clip_16k_mono", "clip_44k_stereo"):
        path = os.path.join(a.clips, clip + ".wav")
        if not os.path.isfile(path):
            print(f"INFO {path} missing: skipped")
            continue
        ex, best, first, runs = timeit(lambda: vggish_input.wavfile_to_examples(path))
        print(f"RESULT {clip} frontend official {best:.6f} {first:.6f} {runs}   # {ex.shape[0]} examples")
        with torch.no_grad():
            x = ex.detach()
            feat, best, first, runs = timeit(lambda: model.features(x))
            print(f"RESULT {clip} vggish official {best:.6f} {first:.6f} {runs}")
            _, best, first, runs = timeit(lambda: model.features(vggish_input.wavfile_to_examples(path).detach()))
            print(f"RESULT {clip} total official {best:.6f} {first:.6f} {runs}")
        for what, ref in (("logmel", x[:, 0].numpy()), ("vggish", feat.numpy())):
            p = os.path.join(a.clips, f"{clip}.{what}.f32")
            if os.path.isfile(p) and (loaded or what == "logmel"):
                ours = np.fromfile(p, dtype=np.float32)
                if ours.size != ref.size:
                    print(f"INFO {clip} {what}: ours has {ours.size} values, official {ref.size}")
                else:
                    d = np.abs(ours - ref.reshape(-1)).max()
                    print(f"INFO {clip} {what}: max |ours - official| = {d:.3g} (max |official| {np.abs(ref).max():.3g})")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
