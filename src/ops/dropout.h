/* dropout.h: dropout and drop path (stochastic depth) with caller-supplied
 * keep masks, float32.
 *
 * The caller draws the mask from its own random source (Bernoulli(1 - p):
 * 1 = keep, 0 = drop) and keeps it for the backward.
 *
 *  - dropout (torch 1.13 F.dropout, training): out = x * noise with
 *    noise = keep / (1 - p) computed in float: scale = fl(1 / fl(1 - p)).
 *    p == 0 is the identity and p == 1 gives x * 0, whatever the mask (torch
 *    special-cases both); keep may be NULL for them.
 *  - drop path (timm 0.6.5 drop_path, training, scale_by_keep=True): one mask
 *    entry per sample, broadcast over the D = numel/B other elements;
 *    keep_prob = 1 - drop_prob (double); if keep_prob > 0 the mask is divided
 *    by keep_prob (in float), else it stays 0/1. drop_prob == 0 is the
 *    identity (timm returns x). In the model drop_prob = 0.3*k/23 for Swin
 *    block k, as a double (model.md §4 item 4). keep may be NULL when
 *    drop_prob == 0.
 * Eval mode has no dropout at all: callers skip these functions.
 *
 * Backward: dinp += dout * (same per-element factor). out may alias inp.
 * Functions validate p and sizes and return a status.
 */
#ifndef VCT_OPS_DROPOUT_H
#define VCT_OPS_DROPOUT_H

#include <stdint.h>

#include "core/error.h"

/* the float factor a kept element is multiplied by: fl(1 / fl(1 - p)) (0 if p == 1) */
float dropout_scale(double p);

/* out, inp: [n]; keep: [n] (0/1) */
vct_status dropout_forward(float *out, const float *inp, const uint8_t *keep, int64_t n, double p,
                           vct_error *err);
/* dinp (+=), dout: [n]; keep: [n] from the forward */
vct_status dropout_backward(float *dinp, const float *dout, const uint8_t *keep, int64_t n,
                            double p, vct_error *err);

/* out, inp: [B, D]; keep: [B] (0/1) */
vct_status drop_path_forward(float *out, const float *inp, const uint8_t *keep, int64_t B,
                             int64_t D, double drop_prob, vct_error *err);
/* dinp (+=), dout: [B, D]; keep: [B] from the forward */
vct_status drop_path_backward(float *dinp, const float *dout, const uint8_t *keep, int64_t B,
                              int64_t D, double drop_prob, vct_error *err);

#endif
