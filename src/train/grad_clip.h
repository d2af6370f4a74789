/* grad_clip.h: gradient clipping as torch 1.13 computes it on the CPU, float32.
 *
 * Reference: torch/nn/utils/clip_grad.py clip_grad_norm_ / clip_grad_value_,
 * called by train_net.py FullModelGradientClippingOptimizer.step (every
 * parameter of every group, CLIP_VALUE, L2) or by detectron2's per-parameter
 * clipper (solver/build.py _create_gradient_clipper). For the 2-norm:
 *   n_i   = ||g_i||_2                (torch_norm2_f32, per tensor)
 *   total = ||(n_1 .. n_G)||_2       (the same reduction over the G norms, group order)
 *   coef  = (total + 1e-6f)^-1 * max_norm   (Python `max_norm / tensor` is
 *           tensor.reciprocal() * max_norm), clamped to at most 1
 *   g_i  *= coef                     (always, also when coef == 1: that is exact)
 * torch_norm2_f32 reproduces torch.linalg.vector_norm(x, 2) of a contiguous
 * float32 tensor with the AVX2 kernel (ReduceOpsKernel.cpp norm_two path): 8
 * float lanes accumulating x*x with fused multiply-adds over the first n - n%8
 * elements, the lanes added left to right, the tail fused in one by one, then
 * sqrtf. Bit-exact against Debian's torch 1.13.1 (tests/train/test_grad_clip.c). */
#ifndef VCT_TRAIN_GRAD_CLIP_H
#define VCT_TRAIN_GRAD_CLIP_H

#include <stdint.h>

#include "train/param_groups.h"

float torch_norm2_f32(const float *x, int64_t n);
/* ||x||_inf as torch: max |x| (0 for n == 0) */
float torch_norm_inf_f32(const float *x, int64_t n);

/* clip_grad_norm_(all groups' gradients, max_norm), L2: grad is the table's
 * gradient buffer (groups index it by offset). *total (what clip_grad_norm_
 * returns) and *coef (the factor applied to every gradient) may be NULL. */
vct_status clip_grad_norm_full(float *grad, const optim_groups *gs, double max_norm, float *total, float *coef,
                               vct_error *err);
/* clip_grad_norm_(g, max_norm, norm_type) of one tensor (detectron2's "norm"
 * clipper): norm_type 2 or INFINITY. Returns the tensor's norm. */
float clip_grad_norm_tensor(float *g, int64_t n, double max_norm, double norm_type);
/* clip_grad_value_(g, clip_value): clamp to [-clip_value, clip_value]. */
void clip_grad_value_tensor(float *g, int64_t n, double clip_value);

#endif
