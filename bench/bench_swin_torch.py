"""bench_swin_torch.py: the OFFICIAL Swin (models/modeling/backbone/swinb.py SwinTransformer),
imported at run time from an export of spyflying/VCT_AVS @ 9a18d2f, one frame, eval, no_grad.
Prints "RESULT swin ... ms_per_frame T peak_rss_mib M threads N" or "INFO ..." when the
export or torch is missing. Needs $VCT_OFFICIAL, $VCT_DETECTRON2, $VCT_PYPATH (see
scripts/harness_env.sh) and the harness stubs (timm) in ../shared/conformance/harness/stubs."""
import argparse
import os
import resource
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--embed", type=int, default=128)
    ap.add_argument("--depths", default="2,2,18,2")
    ap.add_argument("--heads", default="4,8,16,32")
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    off, d2 = os.environ.get("VCT_OFFICIAL"), os.environ.get("VCT_DETECTRON2")
    if not off or not d2:
        print("INFO official export unavailable: set VCT_OFFICIAL, VCT_DETECTRON2, VCT_PYPATH (scripts/harness_env.sh)")
        return 0
    here = os.path.dirname(os.path.abspath(__file__))
    stubs = os.path.join(here, "..", "..", "shared", "conformance", "harness", "stubs")
    sys.path[:0] = [off, d2] + [p for p in os.environ.get("VCT_PYPATH", "").split(":") if p]
    sys.path.append(stubs)
    try:
        import torch
        from models.modeling.backbone.swinb import SwinTransformer
    except Exception as e:  # noqa: BLE001 - report why the reference side cannot run
        print(f"INFO torch or the official Swin cannot be imported: {e}")
        return 0
    torch.set_num_threads(a.threads)
    depths = [int(x) for x in a.depths.split(",")]
    heads = [int(x) for x in a.heads.split(",")]
    m = SwinTransformer(pretrain_img_size=384, patch_size=4, in_chans=3, embed_dim=a.embed, depths=depths,
                        num_heads=heads, window_size=12, mlp_ratio=4.0, qkv_bias=True, drop_path_rate=0.3,
                        out_indices=(0, 1, 2, 3))
    m.eval()  # this class's train() returns None, so no chaining
    x = torch.randn(1, 3, a.size, a.size)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = 1e30
    with torch.no_grad():
        for r in range(a.runs + 1):
            t0 = time.perf_counter()
            m(x)
            dt = time.perf_counter() - t0
            if r > 0:
                best = min(best, dt)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RESULT swin-torch embed{a.embed}-depths{a.depths} ms_per_frame {best * 1e3:.1f} peak_rss_mib {rss:.0f} "
          f"rss_before_forward_mib {rss0:.0f} threads {torch.get_num_threads()} torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
