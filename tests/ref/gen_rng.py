"""gen_rng.py: torch 1.13 CPU generator draws for tests/core/test_rng.c.

Every tensor is what torch returns right after torch.manual_seed(seeds[i]) (or the
named generator); the C test must reproduce each one bit for bit. Names:
  seeds                      I64 [S]   the seeds; "s<i>" in a name is seeds[i]
  rand.s<i>.n<n>             torch.rand(n)   (n >= 1000 for the first 3 seeds only; randn
                             likewise for the first 2, the largest Gumbel for the first)
  rand.shape.s<i>            torch.rand(3, 5, 7)
  rand.gen.s<i>              torch.rand(17, generator=torch.Generator().manual_seed(seeds[i]))
  rand.fresh                 torch.rand(5, generator=torch.Generator())   (no manual_seed)
  bern.p                     F64 [P]   keep probabilities; "p<j>" in a name is bern.p[j]
  bern.s<i>.n<B>.p<j>        timm drop_path: x.new_empty((B,1,1)).bernoulli_(p), x float32 [B,5,7]
  randn.s<i>.n<n>            torch.randn(n)
  normal.s<i>.n<n>           torch.empty(n).normal_(0.3, 1.7)
  gumbel.s<i>.k<k>           Gumbel(tensor(0.), tensor(1.)).sample(GUMBEL_SHAPES[k]) (flat)
  seq.s<i>                   one interleaved sequence of mixed calls (see seq()), concatenated
  perturb.seed / perturb.k<k> the conformance perturbation noise: torch.randn(shape,
                             generator=Generator().manual_seed(crc32("0:<name>")))
  conf.keep_prob             F64 [D] keep probability of each recorded draw of the conformance
                             case ss-reduced-1f (NaN for other kinds); its train seed in metadata
"""
import json
import os
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refio import write_ref  # noqa: E402

SEEDS = [0, 1, 2, 42, 123456789, 2**32 + 7, 3735928559]
RAND_SIZES = [1, 7, 15, 16, 17, 100, 1000, 9216]
BERN_SIZES = [1, 2, 3, 4, 16, 17, 100]
BERN_P = [0.9, 0.5, 0.0, 1.0, 1 - 0.04285714402794838, 1 - 0.30000001192092896]
RANDN_SIZES = [1, 2, 3, 7, 15, 16, 17, 31, 32, 100, 1000, 9216]
GUMBEL_SHAPES = [(1,), (7,), (17,), (100,), (3, 5, 7), (1, 1, 16, 1000)]
PERTURB = [("sem_seg_head.predictor.query_feat.weight", (16, 64)),
           ("backbone.layers.0.blocks.0.norm1.weight", (7, 9))]
CASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                    "conformance", "cases", "ss-reduced-1f")


def gumbel(shape):
    return torch.distributions.Gumbel(torch.tensor(0.), torch.tensor(1.)).sample(shape)


def droppath_keep(b, p):
    x = torch.zeros(b, 5, 7)
    return x.new_empty((b,) + (1,) * (x.ndim - 1)).bernoulli_(p)


def seq(seed):
    """Mixed calls after one seed; tests/core/test_rng.c replays the same list."""
    torch.manual_seed(seed)
    out = [torch.rand(5),
           torch.randn(3),            # leaves the second Box-Muller value cached
           droppath_keep(2, 0.9),
           torch.randn(1),            # takes the cached value
           gumbel((20,)),
           torch.randn(20),           # 16-wide path: cache untouched
           torch.randn(1),            # new pair, caches
           torch.rand(17),
           droppath_keep(16, 0.5),
           torch.randn(2),            # cached value, then a new pair
           torch.empty(5).normal_(0.3, 1.7)]
    torch.manual_seed(seed)           # must clear the cache
    out.append(torch.randn(1))
    return torch.cat([o.reshape(-1) for o in out])


def main():
    t = {"seeds": np.array(SEEDS, dtype=np.int64), "bern.p": np.array(BERN_P, dtype=np.float64)}
    for i, s in enumerate(SEEDS):
        for n in RAND_SIZES:
            if n >= 1000 and i >= 3:
                continue
            torch.manual_seed(s)
            t[f"rand.s{i}.n{n}"] = torch.rand(n)
        torch.manual_seed(s)
        t[f"rand.shape.s{i}"] = torch.rand(3, 5, 7).reshape(-1)
        t[f"rand.gen.s{i}"] = torch.rand(17, generator=torch.Generator().manual_seed(s))
        for b in BERN_SIZES:
            for j, p in enumerate(BERN_P):
                torch.manual_seed(s)
                t[f"bern.s{i}.n{b}.p{j}"] = droppath_keep(b, p).reshape(-1)
        if i < 4:
            for n in RANDN_SIZES:
                if n >= 1000 and i >= 2:
                    continue
                torch.manual_seed(s)
                t[f"randn.s{i}.n{n}"] = torch.randn(n)
            for n in (5, 40):
                torch.manual_seed(s)
                t[f"normal.s{i}.n{n}"] = torch.empty(n).normal_(0.3, 1.7)
        if i < 3:
            for k, shp in enumerate(GUMBEL_SHAPES):
                if k == len(GUMBEL_SHAPES) - 1 and i > 0:
                    continue
                torch.manual_seed(s)
                g = gumbel(shp)
                # the Python-number form and 2 threads give the same values
                torch.manual_seed(s)
                g2 = torch.distributions.Gumbel(0., 1.).sample(shp)
                nt = torch.get_num_threads()
                torch.set_num_threads(2)
                torch.manual_seed(s)
                g3 = gumbel(shp)
                torch.set_num_threads(nt)
                assert torch.equal(g, g2) and torch.equal(g, g3), shp
                t[f"gumbel.s{i}.k{k}"] = g.reshape(-1)
            t[f"seq.s{i}"] = seq(s)
    t["rand.fresh"] = torch.rand(5, generator=torch.Generator())

    pseeds = []
    for k, (name, shp) in enumerate(PERTURB):
        ps = zlib.crc32(f"0:{name}".encode())
        pseeds.append(ps)
        g = torch.Generator()
        g.manual_seed(ps)
        t[f"perturb.k{k}"] = torch.randn(shp, generator=g, dtype=torch.float32).reshape(-1)
    t["perturb.seed"] = np.array(pseeds, dtype=np.int64)

    cap = [ln.split(":", 1)[1].strip() for ln in torch.__config__.show().splitlines()
           if "CPU capability usage" in ln]
    # normal_ (>= 16 floats) and log take their AVX2 kernels only under AVX2 dispatch
    assert cap == ["AVX2"], f"torch's CPU capability is {cap}, the C code reproduces AVX2"
    assert not torch.backends.mkl.is_available(), "an MKL build draws bernoulli_ differently"
    meta = {"gumbel_shapes": json.dumps(GUMBEL_SHAPES), "mkl": str(torch.backends.mkl.is_available()),
            "cpu_capability": cap[0]}
    # the conformance case's recorded draws: keep probability per draw (Swin's
    # linspace drop-path rates over the blocks, two draws per block)
    man_path = os.path.join(CASE, "manifest.json")
    if os.path.exists(man_path):
        man = json.load(open(man_path))
        rate = None
        for line in open(os.path.join(CASE, "config.yaml")):
            if "DROP_PATH_RATE" in line:
                rate = float(line.split(":")[1])
        depths = [2, 2, 2, 2]  # the reduced preset's Swin depths (config.yaml / README)
        dpr = [x.item() for x in torch.linspace(0, rate, sum(depths))]
        kp = []
        for e in man["rng_draws"]:
            if e["kind"] != "droppath_keep":
                kp.append(float("nan"))
                continue
            parts = e["site"].split(".")
            layer = int(parts[parts.index("layers") + 1])
            block = int(parts[parts.index("blocks") + 1])
            kp.append(1 - dpr[sum(depths[:layer]) + block])
        t["conf.keep_prob"] = np.array(kp, dtype=np.float64)
        meta["conf_train_seed"] = str(man["made_with"]["train_seed"])
    write_ref("rng", t, meta)


if __name__ == "__main__":
    main()
