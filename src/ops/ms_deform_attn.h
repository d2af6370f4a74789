/* ms_deform_attn.h: the multi-scale deformable attention core (Deformable DETR /
 * Mask2Former `ms_deform_attn_core_pytorch`, the CPU path of the VCT pixel decoder;
 * model.md §1.6 item 6, §4 item 8). The value/offset/weight projections around it are
 * linear layers done by the caller.
 *
 *   value          [N, S, M, D]        S = sum_l H_l*W_l, levels stacked row-major
 *   shapes         [L][2] int64        (H_l, W_l)
 *   level_start    [L] int64           first token of each level (0, H_0*W_0, ...)
 *   loc            [N, Lq, M, L, P, 2] sampling locations (x, y) in [0, 1] (may be outside)
 *   attw           [N, Lq, M, L, P]    attention weights (already softmaxed by the caller)
 *   out            [N, Lq, M*D]        out[n,q,m*D+d] = sum_{l,p} attw * sample_l(loc)[d]
 *
 * Sampling = F.grid_sample(bilinear, zeros padding, align_corners=False) of level l of head
 * m at grid g = fp32(fp32(2*loc) - 1) (the fallback's rounding route), see grid_sample.h.
 * The sum over the L*P (level, point) pairs of the fp32 products attw*sample is done in the
 * order of torch 1.13's CPU sum kernel over a contiguous row (ms_deform_attn_row_sum below),
 * so the forward reproduces the pure-PyTorch fallback bit for bit on the tests' cases.
 * Limit: L*P <= MSDA_MAX_LP.
 *
 * Backward ACCUMULATES (+=) into dvalue [N,S,M,D], dloc [N,Lq,M,L,P,2], dattw [N,Lq,M,L,P];
 * each may be NULL. Parallel over (n, m): every (batch, head) owns its slices of all three
 * gradients, so there are no atomics and results are deterministic. */
#ifndef VCT_OPS_MS_DEFORM_ATTN_H
#define VCT_OPS_MS_DEFORM_ATTN_H

#include <stdint.h>

#include "core/error.h"

#define MSDA_MAX_LP 256

vct_status ms_deform_attn_forward(float *out, const float *value, const int64_t *shapes,
                                  const int64_t *level_start, const float *loc, const float *attw,
                                  int64_t N, int64_t S, int64_t M, int64_t D, int64_t L, int64_t P,
                                  int64_t Lq, vct_error *err);

vct_status ms_deform_attn_backward(float *dvalue, float *dloc, float *dattw, const float *dout,
                                   const float *value, const int64_t *shapes,
                                   const int64_t *level_start, const float *loc, const float *attw,
                                   int64_t N, int64_t S, int64_t M, int64_t D, int64_t L, int64_t P,
                                   int64_t Lq, vct_error *err);

/* Naive reference: per output element, direct loops, plain sequential fp32 sum over (l,p).
 * Agrees with the forward to rounding (not bit for bit: the summation order differs). */
void ms_deform_attn_forward_naive(float *out, const float *value, const int64_t *shapes,
                                  const int64_t *level_start, const float *loc, const float *attw,
                                  int64_t N, int64_t S, int64_t M, int64_t D, int64_t L, int64_t P,
                                  int64_t Lq);

/* Sum of x[0..n) in the order torch 1.13's CPU sum kernel uses for a contiguous row of
 * floats (AVX2 build: 8-lane vectors, 4-way interleaved accumulators, cascade levels). */
float ms_deform_attn_row_sum(const float *x, int64_t n);

#endif
