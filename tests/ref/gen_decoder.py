"""gen_decoder.py: reference vectors for tests/model/test_decoder.c, from the OFFICIAL
module definitions imported at run time (nothing of them is copied here).

usage: /usr/bin/python3 tests/ref/gen_decoder.py OFFICIAL_DIR --detectron2 D2_DIR
           [--pypath DIR ...] [--stubs STUBS_DIR]
  OFFICIAL_DIR  an export of github spyflying/VCT_AVS @ 9a18d2fd83906ae5ef42e8996dc7d1b46259debe
                (git -C <mirror> archive 9a18d2fd... | tar -x -C OFFICIAL_DIR)
  D2_DIR        an export of facebookresearch/detectron2 @ b15f64ec (as for the harness)
  --pypath      directories holding fvcore/, iopath/, yacs/, einops/ (harness/README.md)
  STUBS_DIR     the conformance harness stubs (timm stand-in); default
                ../shared/conformance/harness/stubs next to the repository
Without OFFICIAL_DIR it says "skipped" and exits 0 without writing anything.

What it builds, twice (decoder_proto: PPQG with 5 prototypes and 4 classes, as S4 where
the two differ; decoder_vcq: VCQ, as MS3, 2 classes):
  the official MultiScaleMaskedVCTDecoder (hidden 16, 2 heads, FFN 24, DEC_LAYERS 6 -> 5
  layers: audio, 1/32, 1/16, 1/8, audio; 7 queries), whose visual_query_block is replaced by
  the official ProtoVCQ / VCQ built for a 12x10 mask-feature map (num_pixel 120); ProtoVCQ's
  hard-coded 256-wide parts are rebuilt smaller from the official classes: pre_proj inner
  width 12 (the Sequential re-stated), query_mixer = MLP(120, 20, 7, 3), pre_attn =
  CrossAttentionLayer(16, 4 heads).
  Inputs: 2 frames; audio [2,16,3,2]; multi-scale features [2,16,2,2], [2,16,4,5], [2,16,6,5];
  mask_features [2,16,12,10]. Every float parameter is perturbed (none constant).
  Train mode: one Gumbel draw (recorded as rng.0000.gumbel, the draw source's kind), the
  loss sum(out * dout) over pred_logits, pred_masks, every aux output and feats.proto_feat;
  every parameter gradient and the input gradients. Eval mode: the same outputs, the
  AssignAttention logits and argmax, the masks each cross-attention layer used, and the
  post-processing of VCT.forward (masks upsampled to the padded input 48x40, the official
  semantic_inference / semantic_inference_ss, detectron2 sem_seg_postprocess on a 45x37
  image to 29x23 and to the image's own size).
The input seed is chosen so that the masked attention opens at least one fully blocked row
in both modes and every decision (assignment top-2 gap, mask logit |m|) keeps a margin of
at least 1e-4, so that a float32 re-implementation decides identically.
"""
import argparse
import os
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from refio import write_ref  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("official", nargs="?")
ap.add_argument("--detectron2")
ap.add_argument("--pypath", action="append", default=[])
ap.add_argument("--stubs", default=os.path.join(HERE, "..", "..", "..", "shared", "conformance", "harness", "stubs"))
args = ap.parse_args()
if not args.official or not os.path.isdir(os.path.join(args.official, "models")):
    print("gen_decoder.py: skipped: give the export of the official VCT_AVS code as the first argument")
    sys.exit(0)
if not args.detectron2:
    print("gen_decoder.py: skipped: --detectron2 DIR is needed (see the harness README)")
    sys.exit(0)
for p in reversed([args.official, args.detectron2] + args.pypath):
    sys.path.insert(0, os.path.abspath(p))
sys.path.append(os.path.abspath(args.stubs))

from detectron2.modeling.postprocessing import sem_seg_postprocess  # noqa: E402
from models.modeling.transformer_decoder import vision_centric_transformer_decoder as V  # noqa: E402
from models.vct_model import VCT  # noqa: E402

C, HEADS, FFN, DEC_LAYERS, Q = 16, 2, 24, 6, 7
P_INNER, MIX_HIDDEN, PRE_HEADS = 12, 20, 4
B, HM, WM = 2, 12, 10
AUDIO_HW = (3, 2)
LEVELS = [(2, 2), (4, 5), (6, 5)]
PAD = (4 * HM, 4 * WM)          # the padded network input the masks are upsampled to
IMG = (45, 37)                  # the image inside it (crop of sem_seg_postprocess)
OUT = (29, 23)                  # the evaluation size (224x224 in the official code)

# ---- recorders ----
DRAWS = []
_gumbel_sample = torch.distributions.gumbel.Gumbel.sample


def gumbel_rec(self, sample_shape=torch.Size()):
    x = _gumbel_sample(self, sample_shape)
    DRAWS.append(x.clone())
    return x


torch.distributions.gumbel.Gumbel.sample = gumbel_rec


def build(kind):
    """the official decoder at a small size; kind 'proto' (ProtoVCQ) or 'vcq' (VCQ)"""
    K = 4 if kind == "proto" else 2
    dec = V.MultiScaleMaskedVCTDecoder(
        C, True, num_classes=K, hidden_dim=C, num_queries=Q, num_frames=1, audio_out_dim=C, visual_out_dim=C,
        nheads=HEADS, dim_feedforward=FFN, dec_layers=DEC_LAYERS - 1, pre_norm=False, mask_dim=C,
        enforce_input_project=False, dataset_name="test_", use_cosine_loss=False, is_s4_data=False,
        is_ms3_data=(kind == "vcq"))
    if kind == "proto":
        vqb = V.ProtoVCQ(in_channels=C, out_channels=C, num_pixel=HM * WM, num_query=Q, num_classes=5)
        vqb.pre_attn = V.CrossAttentionLayer(d_model=C, nhead=PRE_HEADS, dropout=0.0, normalize_before=False)
    else:
        vqb = V.VCQ(in_channels=C, out_channels=C, num_pixel=HM * WM, num_query=Q)
    # the official Sequential of ProtoVCQ/VCQ.pre_proj with its inner width 256 made P_INNER
    vqb.pre_proj = nn.Sequential(nn.Conv2d(C, P_INNER, 1), nn.ReLU(inplace=True),
                                 nn.Conv2d(P_INNER, P_INNER, 3, padding=1), nn.ReLU(inplace=True),
                                 nn.Conv2d(P_INNER, C, 1))
    vqb.query_mixer = V.MLP(HM * WM, MIX_HIDDEN, Q, 3)
    dec.visual_query_block = vqb
    return dec, K


def perturb(net, g):
    with torch.no_grad():
        for name, p in net.named_parameters():
            std = p.std().item() if p.numel() > 1 else 0.0
            if std > 0:
                p.add_(0.1 * std * torch.randn(p.shape, generator=g))
            else:
                c = p.flatten()[0].item()
                p.add_((0.1 * abs(c) if c != 0 else 0.05) * torch.randn(p.shape, generator=g))
            assert p.numel() == 1 or p.std().item() > 0, name


class Probe:
    """captures what the official forward decides: assignment logits/argmax, layer masks"""

    def __init__(self, dec):
        self.dec = dec
        self.logits, self.attn, self.masks = [], [], []
        aa = dec.visual_query_block.assign_attn
        orig = aa.get_attn

        def get_attn(attn, gumbel=None, hard=None):
            self.logits.append(attn.detach().clone())
            out = orig(attn, gumbel, hard)
            self.attn.append(out.detach().clone())
            return out

        aa.get_attn = get_attn
        for i, layer in enumerate(dec.transformer_cross_attention_layers):
            self._wrap(layer)

    def _wrap(self, layer):
        orig = layer.forward

        def fwd(tgt, memory, memory_mask=None, memory_key_padding_mask=None, pos=None, query_pos=None):
            self.masks.append(memory_mask.detach().clone())
            return orig(tgt, memory, memory_mask, memory_key_padding_mask, pos, query_pos)

        layer.forward = fwd

    def clear(self):
        self.logits.clear()
        self.attn.clear()
        self.masks.clear()


def margins(probe, out, dec):
    """smallest assignment top-2 gap (of the softmax values the argmax reads) and smallest
    |mask logit| among the thresholded ones"""
    logits = probe.logits[0]
    soft = logits.softmax(-2) if not DRAWS else (logits + DRAWS[-1]).softmax(-2)
    top2 = soft.topk(2, dim=-2).values
    gap = (top2[..., 0, :] - top2[..., 1, :]).min().item()
    preds = [a["pred_masks"] for a in out["aux_outputs"]] + [out["pred_masks"]]
    mmin = float("inf")
    for i in range(dec.num_layers):
        lvl = i % 4
        if lvl == 0:
            continue
        size = LEVELS[lvl - 1]
        small = torch.nn.functional.interpolate(preds[i], size=size, mode="bilinear", align_corners=False)
        mmin = min(mmin, small.abs().min().item())
    return gap, mmin


def opened_rows(probe, dec, outs):
    """rows the official code opened: blocked everywhere before the reset"""
    preds = [a["pred_masks"] for a in outs["aux_outputs"]] + [outs["pred_masks"]]
    n = []
    for i in range(dec.num_layers):
        lvl = i % 4
        if lvl == 0:
            n.append(0)
            continue
        small = torch.nn.functional.interpolate(preds[i], size=LEVELS[lvl - 1], mode="bilinear", align_corners=False)
        blocked = (small.sigmoid() < 0.5).flatten(2)
        n.append(int(blocked.all(-1).sum().item()) * dec.num_heads)
    return n


def run(kind, weight_seed):
    torch.manual_seed(weight_seed)
    dec, K = build(kind)
    g = torch.Generator().manual_seed(1000 + weight_seed)
    perturb(dec, g)
    with torch.no_grad():  # spread the assignment logits so the argmax has clear margins
        dec.visual_query_block.assign_attn.q_proj.weight.mul_(8.0)
    probe = Probe(dec)
    for input_seed in range(200):
        gi = torch.Generator().manual_seed(input_seed)
        audio = torch.randn(B, C, *AUDIO_HW, generator=gi)
        ms = [torch.randn(B, C, h, w, generator=gi) for h, w in LEVELS]
        mf = torch.randn(B, C, HM, WM, generator=gi)
        ok = True
        opened = {}
        for mode in ("eval", "train"):
            DRAWS.clear()
            probe.clear()
            dec.train(mode == "train")
            torch.manual_seed(input_seed)
            with torch.no_grad():
                out = dec(ms, audio, mf)
            gap, mmin = margins(probe, out, dec)
            opened[mode] = opened_rows(probe, dec, out)
            ok = ok and gap > 1e-4 and mmin > 1e-4 and sum(opened[mode]) > 0
            ok = ok and all(o < B * HEADS * Q for o in opened[mode])
        if ok:
            break
    assert ok, "no input seed gives clear decisions"
    print(f"{kind}: input seed {input_seed}, opened rows eval {opened['eval']} train {opened['train']}")

    res = {}
    # ---- train mode on the tape: recorded Gumbel draw, gradients ----
    audio.requires_grad_(True)
    mf.requires_grad_(True)
    for x in ms:
        x.requires_grad_(True)
    DRAWS.clear()
    probe.clear()
    dec.train()
    torch.manual_seed(input_seed)
    out = dec(ms, audio, mf)
    assert len(DRAWS) == 1, len(DRAWS)
    named = {"pred_logits": out["pred_logits"], "pred_masks": out["pred_masks"]}
    for i, a in enumerate(out["aux_outputs"]):
        named[f"aux.{i}.pred_logits"] = a["pred_logits"]
        named[f"aux.{i}.pred_masks"] = a["pred_masks"]
    if kind == "proto":
        named["feats.proto_feat"] = out["feats"]["proto_feat"]
    gd = torch.Generator().manual_seed(77)
    loss = 0
    for name, v in named.items():
        d = torch.randn(v.shape, generator=gd)
        res["dout." + name] = d
        res["train." + name] = v
        loss = loss + (v * d).sum()
    loss.backward()
    res["train.assign_logits"] = probe.logits[0][:, 0]
    res["train.assign_idx"] = probe.attn[0][:, 0].argmax(-2)
    for i, m in enumerate(probe.masks):
        res[f"train.mask.{i}"] = m.to(torch.uint8)
    res["rng.0000.gumbel"] = DRAWS[0]
    for name, p in dec.named_parameters():
        if name == "audio_proj.weight":
            continue  # the C code keeps it in the audio model; feats.audio_feat is not in this loss
        res[name] = p
        res["grad." + name] = p.grad
    res["grad.audio"] = audio.grad
    res["grad.mask_features"] = mf.grad
    for i, x in enumerate(ms):
        res[f"grad.ms.{i}"] = x.grad
    res["audio"] = audio
    res["mask_features"] = mf
    for i, x in enumerate(ms):
        res[f"ms.{i}"] = x

    # ---- eval mode ----
    DRAWS.clear()
    probe.clear()
    dec.eval()
    with torch.no_grad():
        out = dec(ms, audio, mf)
        vq = dec.visual_query_block(mf)
    res["eval.vision_queries"] = vq[0] if kind == "proto" else vq
    if kind == "proto":
        res["eval.prototypes"] = vq[1]
        res["eval.feats.proto_feat"] = out["feats"]["proto_feat"]
    res["eval.assign_logits"] = probe.logits[0][:, 0]
    res["eval.assign_idx"] = probe.attn[0][:, 0].argmax(-2)
    for i, m in enumerate(probe.masks[: dec.num_layers]):
        res[f"eval.mask.{i}"] = m.to(torch.uint8)
    res["eval.pred_logits"] = out["pred_logits"]
    res["eval.pred_masks"] = out["pred_masks"]
    for i, a in enumerate(out["aux_outputs"]):
        res[f"eval.aux.{i}.pred_logits"] = a["pred_logits"]
        res[f"eval.aux.{i}.pred_masks"] = a["pred_masks"]
    # decoder.query_after_layer.i: the input of the heads after layer i
    qs = []
    hook = dec.transformer_ffn_layers
    hs = [m.register_forward_hook(lambda mod, inp, o: qs.append(o.detach().clone())) for m in hook]
    with torch.no_grad():
        dec(ms, audio, mf)
    for h in hs:
        h.remove()
    for i, x in enumerate(qs):
        res[f"eval.query_after_layer.{i}"] = x

    # ---- post-processing as VCT.forward (eval) does it ----
    with torch.no_grad():
        masks = torch.nn.functional.interpolate(out["pred_masks"], size=PAD, mode="bilinear", align_corners=False)
        flags = torch.tensor([1.0, 0.0])  # AVSS flags of the two frames (the second exercises the multiply)
        for tag, size in (("official", OUT), ("own", IMG)):
            rs = []
            for b in range(B):
                if kind == "proto":
                    r = VCT.semantic_inference_ss(None, out["pred_logits"][b], masks[b], flags[b])
                else:
                    r = VCT.semantic_inference(None, out["pred_logits"][b], masks[b])
                rs.append(sem_seg_postprocess(r, IMG, size[0], size[1]))
            res[f"eval.sem_seg.{tag}"] = torch.stack(rs)
        res["eval.sem_seg_flags"] = flags
    meta = {"kind": kind, "num_classes": K, "input_seed": input_seed,
            "opened_rows_eval": ",".join(map(str, opened["eval"])),
            "opened_rows_train": ",".join(map(str, opened["train"])),
            "sizes": f"C {C}, heads {HEADS}, ffn {FFN}, layers {DEC_LAYERS - 1}, Q {Q}, pre_proj {P_INNER}, "
                     f"mixer {MIX_HIDDEN}, pre_attn heads {PRE_HEADS}, mask features {HM}x{WM}, "
                     f"pad {PAD}, image {IMG}, out {OUT}",
            "official": "spyflying/VCT_AVS@9a18d2f vision_centric_transformer_decoder.py, group_attention.py, "
                        "vct_model.py; detectron2@b15f64ec sem_seg_postprocess"}
    return res, meta


for kind, seed in (("proto", 0), ("vcq", 1)):
    res, meta = run(kind, seed)
    write_ref("decoder_" + kind, res, meta)
