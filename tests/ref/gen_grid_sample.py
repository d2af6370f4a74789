"""gen_grid_sample.py: reference vectors for src/ops/grid_sample.c.

F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False) and
detectron2's point_sample (grid_sample of 2*p-1, unsqueezed) with torch 1.13.1 CPU: forward
and the gradients of (out*dout).sum() w.r.t. the input and the grid / points.

Cases g<k> (grid_sample) and p<k> (point_sample) mix random coordinates (partly outside the
map) with edge values: exactly -1/+1 (the outer pixel edges), pixel centres of the border
pixels, integer pixel coordinates, points exactly half a pixel outside (u = -1, u = W: only
one corner row/column in range or none), and far-away points.
"""
import numpy as np
import torch
import torch.nn.functional as F

from refio import write_ref

torch.manual_seed(0)
torch.set_num_threads(1)
rng = np.random.default_rng(4321)
f32 = np.float32


def special_grid_values(size):
    """grid coordinates with interesting pixel positions u = (g+1)*size/2 - 0.5 (exact in fp32
    only for some sizes: the 4x8 and size-1 cases hit u = -1 and u = size exactly)"""
    s = f32(size)
    u = np.array([-1.5, -1.0, -0.75, -0.5, 0.0, 0.25, size - 1.0, size - 0.75, size - 0.5,
                  size - 0.25, size * 1.0, size + 0.5, 1.0, 2.0], dtype=np.float64)
    g = ((u + 0.5) * 2.0 / size - 1.0).astype(f32)
    extra = np.array([-1.0, 1.0, 0.0, -3.0, 2.5, -1.0 - 1.0 / s, 1.0 + 1.0 / s], dtype=f32)
    return np.concatenate([g, extra]).astype(f32)


def grid_case(N, C, H, W, Ho, Wo, special):
    x = rng.standard_normal((N, C, H, W)).astype(f32)
    g = rng.uniform(-1.15, 1.15, (N, Ho, Wo, 2)).astype(f32)
    if special:
        gx, gy = special_grid_values(W), special_grid_values(H)
        flat = g.reshape(-1, 2)
        k = 0
        for a in gx:  # every special x with an inside y, every special y with an inside x,
            if k >= len(flat): break  # then special pairs (corners)
            flat[k] = (a, rng.uniform(-0.9, 0.9))
            k += 1
        for b in gy:
            if k >= len(flat): break
            flat[k] = (rng.uniform(-0.9, 0.9), b)
            k += 1
        for a, b in zip(gx, gy[::-1]):
            if k >= len(flat): break
            flat[k] = (a, b)
            k += 1
    return x, g


T, meta = {}, {}
cases = [  # N, C, H, W, Ho, Wo, special
    (2, 3, 7, 13, 5, 11, True), (1, 2, 13, 7, 3, 17, True), (1, 1, 30, 30, 7, 13, True),
    (2, 2, 1, 9, 4, 6, True), (1, 3, 6, 1, 5, 5, True), (3, 1, 12, 12, 1, 71, False),
    (1, 2, 4, 8, 7, 9, True),
]
for k, (N, C, H, W, Ho, Wo, sp) in enumerate(cases):
    x, g = grid_case(N, C, H, W, Ho, Wo, sp)
    xt = torch.from_numpy(x).requires_grad_()
    gt = torch.from_numpy(g).requires_grad_()
    y = F.grid_sample(xt, gt, mode="bilinear", padding_mode="zeros", align_corners=False)
    dy = torch.from_numpy(rng.standard_normal(y.shape).astype(f32))
    (y * dy).sum().backward()
    p = f"g{k}."
    T[p + "x"], T[p + "grid"], T[p + "y"], T[p + "dy"] = x, g, y.detach(), dy
    T[p + "dx"], T[p + "dgrid"] = xt.grad, gt.grad
    T[p + "dims"] = np.array([N, C, H, W, Ho, Wo], dtype=np.int64)
meta["n_grid"] = len(cases)


def point_sample(inp, coords):
    """detectron2 / Mask2Former point_sample, written out for the reference"""
    out = F.grid_sample(inp, 2.0 * coords.unsqueeze(2) - 1.0, align_corners=False)
    return out.squeeze(3)


pcases = [(3, 2, 13, 7, 71), (1, 1, 96, 96, 200), (2, 4, 24, 30, 13)]
for k, (N, C, H, W, P) in enumerate(pcases):
    x = rng.standard_normal((N, C, H, W)).astype(f32)
    pts = rng.uniform(-0.08, 1.08, (N, P, 2)).astype(f32)
    edge = np.array([0.0, 1.0, 0.5, 0.5 / W, 1 - 0.5 / W, -0.5 / W, 1 + 0.5 / W, 1.0 / W], dtype=f32)
    for i, e in enumerate(edge):
        pts[0, i] = (e, edge[(i + 3) % len(edge)])
    xt = torch.from_numpy(x).requires_grad_()
    pt = torch.from_numpy(pts).requires_grad_()
    y = point_sample(xt, pt)
    dy = torch.from_numpy(rng.standard_normal(y.shape).astype(f32))
    (y * dy).sum().backward()
    p = f"p{k}."
    T[p + "x"], T[p + "points"], T[p + "y"], T[p + "dy"] = x, pts, y.detach(), dy
    T[p + "dx"], T[p + "dpoints"] = xt.grad, pt.grad
    T[p + "dims"] = np.array([N, C, H, W, P], dtype=np.int64)
meta["n_point"] = len(pcases)
write_ref("grid_sample", T, meta)
