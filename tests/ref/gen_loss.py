"""gen_loss.py: reference vectors for src/ops/loss.c: F.cross_entropy with
class weights and ignore_index (mean), F.binary_cross_entropy_with_logits
(mean), and Mask2Former's sigmoid_ce_loss / dice_loss (model.md §5.3),
forward and autograd gradients of dloss * loss w.r.t. the logits, torch 1.13
CPU, float32."""
import torch
import torch.nn.functional as F

from refio import write_ref

torch.manual_seed(555)
torch.set_num_threads(1)
T = {}


# Mask2Former mask2former/modeling/criterion.py (TorchScript'ed there; same math)
def dice_loss(inputs, targets, num_masks: float):
    inputs = inputs.sigmoid()
    inputs = inputs.flatten(1)
    numerator = 2 * (inputs * targets).sum(-1)
    denominator = inputs.sum(-1) + targets.sum(-1)
    loss = 1 - (numerator + 1) / (denominator + 1)
    return loss.sum() / num_masks


def sigmoid_ce_loss(inputs, targets, num_masks: float):
    loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    return loss.mean(1).sum() / num_masks


def ce_case(name, N, K, weight, ignore_index, frac_ignored, scale=3.0):
    x = (torch.randn(N, K) * scale).requires_grad_()
    y = torch.randint(0, K, (N,))
    y[torch.rand(N) < frac_ignored] = ignore_index
    loss = F.cross_entropy(x, y, weight=weight, ignore_index=ignore_index)
    dloss = torch.randn(())
    (loss * dloss).backward()
    T[name + ".cfg"] = torch.tensor([N, K, ignore_index, int(weight is not None)], dtype=torch.int64)
    T[name + ".x"], T[name + ".y"] = x.detach(), y
    if weight is not None:
        T[name + ".w"] = weight
    T[name + ".loss"], T[name + ".dloss"] = loss.detach().reshape(1), dloss.reshape(1)
    T[name + ".dx"] = x.grad


w = torch.ones(13)
w[-1] = 0.1  # no-object weight, as VCT's empty_weight
ce_case("ce_a", 30, 13, w, -100, 0.0)
ce_case("ce_b", 13, 7, 0.5 + torch.rand(7), 255, 0.3)
ce_case("ce_c", 5, 7, None, 3, 2.0)  # every row ignored: loss NaN, gradient 0
ce_case("ce_d", 71, 72, None, -100, 0.1)
ce_case("ce_e", 7, 13, w, -100, 0.0, scale=40.0)  # large logits

x = torch.randn(13 * 71) * 4
x[:6] = torch.tensor([30.0, -30.0, 100.0, -100.0, 0.0, 1e-8])
t = (torch.rand(13 * 71) < 0.4).float()
t[::5] = torch.rand(t[::5].shape)  # fractional labels (bilinear point samples)
xr = x.clone().requires_grad_()
loss = F.binary_cross_entropy_with_logits(xr, t)
dloss = torch.randn(())
(loss * dloss).backward()
T["bce.x"], T["bce.t"], T["bce.loss"] = x, t, loss.detach().reshape(1)
T["bce.dloss"], T["bce.dx"] = dloss.reshape(1), xr.grad


def mask_case(name, M, P, num_masks):
    x = torch.randn(M, P) * 3
    t = (torch.rand(M, P) < 0.3).float()
    t[0] = 0.0                         # empty target mask
    t[1] = 1.0                         # full target mask
    t[2] = torch.rand(P)               # fractional labels
    x[3, :5] = torch.tensor([40.0, -40.0, 90.0, -90.0, 0.0])
    T[name + ".cfg"] = torch.tensor([M, P], dtype=torch.int64)
    T[name + ".nm"] = torch.tensor([num_masks], dtype=torch.float64)
    T[name + ".x"], T[name + ".t"] = x, t
    for op, fn in (("ce", sigmoid_ce_loss), ("dice", dice_loss)):
        xr = x.clone().requires_grad_()
        loss = fn(xr, t, num_masks)
        dloss = torch.randn(())
        (loss * dloss).backward()
        T[f"{name}.{op}.loss"], T[f"{name}.{op}.dloss"] = loss.detach().reshape(1), dloss.reshape(1)
        T[f"{name}.{op}.dx"] = xr.grad


mask_case("mk_a", 7, 71, 7.0)
mask_case("mk_b", 13, 30, 2.5)
mask_case("mk_c", 70, 13, 70.0)  # more masks than one reduction chunk (64)
write_ref("loss", T, {"cases": "ce_a ce_b ce_c ce_d ce_e bce mk_a mk_b mk_c"})
