/* ag_activation.h: the elementwise activations of ops/activation.h on the tape
 * (see tape.h): exact-erf GELU (Swin MLP), ReLU and sigmoid (pre-SAM gates and
 * every other MLP). Same shape in and out. Backward accumulates. */
#ifndef VCT_AUTOGRAD_AG_ACTIVATION_H
#define VCT_AUTOGRAD_AG_ACTIVATION_H

#include "autograd/tape.h"

/* 0.5 x (1 + erf(x / sqrt 2)), torch's approximate='none' */
ag_var *ag_gelu(ag_tape *t, ag_var *x);
/* max(x, 0); gradient 0 where the output is 0 (torch threshold_backward) */
ag_var *ag_relu(ag_tape *t, ag_var *x);
/* 1 / (1 + exp(-x)) */
ag_var *ag_sigmoid(ag_tape *t, ag_var *x);

#endif
