/* sgd.h: one SGD update of one tensor, as torch 1.13's _single_tensor_sgd
 * computes it on the CPU in float32 (torch/optim/sgd.py), with the arguments
 * train_net.py build_optimizer passes: SGD(params, BASE_LR, momentum=MOMENTUM),
 * so dampening 0 and nesterov off; weight_decay is the group's.
 *   d = fma(p, f(wd), g)              if wd != 0 (L2 decay: grad.add(param, alpha=wd))
 *   momentum != 0: buf = d on the first step (clone), else buf = fma(d, 1, buf * f(momentum)); d = buf
 *   p = fma(d, f(-lr), p)             param.add_(d, alpha=-lr) */
#ifndef VCT_TRAIN_SGD_H
#define VCT_TRAIN_SGD_H

#include <stdint.h>

/* buf: this tensor's momentum buffer (ignored if momentum == 0); first: 1 on the
 * first step (torch's buffer is None then). */
void sgd_update(float *p, const float *g, float *buf, int64_t n, double lr, double weight_decay, double momentum,
                int first);

#endif
