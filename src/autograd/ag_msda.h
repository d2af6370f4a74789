/* ag_msda.h: multi-scale deformable attention on the tape (see tape.h): the core
 * op of ops/ms_deform_attn.h and the sampling-location formula of
 * MSDeformAttn.forward (ops/modules/ms_deform_attn.py) that feeds it. Backward
 * accumulates. */
#ifndef VCT_AUTOGRAD_AG_MSDA_H
#define VCT_AUTOGRAD_AG_MSDA_H

#include "autograd/tape.h"

#define AG_MSDA_MAX_LEVELS 8

/* ms_deform_attn_core: value [N, S, M, D], loc [N, Lq, M, L, P, 2] (x, y in [0, 1]),
 * attw [N, Lq, M, L, P] (softmaxed) -> out [N, Lq, M*D].
 * shapes [L*2] = (H_l, W_l) pairs and level_start [L] are copied (L <= AG_MSDA_MAX_LEVELS;
 * sum of H_l*W_l must be S). Gradients reach value, loc and attw. */
ag_var *ag_ms_deform_attn(ag_tape *t, ag_var *value, ag_var *loc, ag_var *attw, const int64_t *shapes,
                          const int64_t *level_start, int64_t L);

/* loc = ref[:, :, None, :, None, :] + off / (W_l, H_l) (the reference's
 * offset_normalizer; fp32 division as torch):
 * ref [N or 1, Lq, L, 2], off [N, Lq, M, L, P, 2] -> [N, Lq, M, L, P, 2].
 * Gradients: doff += dloc / (W_l, H_l); dref += the sum over (M, P). */
ag_var *ag_msda_sampling_locations(ag_tape *t, ag_var *ref, ag_var *off, const int64_t *shapes, int64_t L);

#endif
