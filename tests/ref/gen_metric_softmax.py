"""gen_metric_softmax.py: torch.softmax over the class dimension, as VCT's
evaluators apply it to sem_seg before scoring (S4/MS3: softmax(dim=1)[:, 1];
AVSS: softmax(dim=1).argmax(dim=1)), for tests/data/test_metric_softmax.c.

Scores hold ties, near ties (1 ulp apart, which the softmax can round to one
probability), large magnitudes and class pairs far apart, on [N,C,16,16] so each
pixel is a lane of torch's vector path as at 224x224.
"""
import torch

from refio import write_ref


def scores(gen, n, c):
    x = torch.randn(n, c, 16, 16, generator=gen) * 4
    x[0, 0, :4] = x[0, 1, :4]                                   # exact ties
    x[0, 1, 4:6] = torch.nextafter(x[0, 0, 4:6], torch.tensor(float("inf")))  # 1 ulp apart
    x[0, 0, 6:8] = 60 * torch.sign(torch.randn(2, 16, generator=gen))     # large gaps
    x[1 % n, :, 8:10] = x[1 % n, :, 8:10] * 20                  # large magnitudes
    x[1 % n, 1, 10:12] = x[1 % n, 0, 10:12] + 1e-6 * torch.randn(2, 16, generator=gen)
    return x


def main():
    gen = torch.Generator().manual_seed(2025)
    b = scores(gen, 3, 2)
    a = scores(gen, 2, 71)
    a[:, 5] = a[:, 7] + 1e-7 * torch.randn(2, 16, 16, generator=gen)  # near ties between classes
    # two top scores 1 ulp apart near 0.2: exp(-1 ulp) rounds to 1, so their probabilities tie and
    # torch's argmax takes the lower class, where the raw scores' argmax takes the higher one
    a[:, :, 12:14] -= 20
    a[:, 3, 12:14] = 0.2
    a[:, 9, 12:14] = torch.nextafter(torch.tensor(0.2), torch.tensor(1.0))
    pa = torch.softmax(a, dim=1)
    write_ref("metric_softmax", {
        "binary_scores": b, "binary_fg": torch.softmax(b, dim=1)[:, 1].contiguous(),
        "avss_scores": a, "avss_argmax": pa.argmax(dim=1).to(torch.int64),
        "avss_raw_argmax_differs": (a.argmax(dim=1) != pa.argmax(dim=1)).sum().reshape(1),
    })


if __name__ == "__main__":
    main()
