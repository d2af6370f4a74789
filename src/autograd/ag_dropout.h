/* ag_dropout.h: stochastic depth (timm 0.6.5 drop_path) on the tape.
 *
 *   keep [B] ~ Bernoulli(1 - p)  (one draw from the draw source, kind
 *                                  "droppath_keep", shape [B,1,..,1])
 *   y[b, ...] = x[b, ...] * (keep[b] / (float)(1 - p))
 * The scale is computed as timm does (random_tensor.div_(keep_prob): a float32
 * division of the 0/1 mask by keep_prob rounded to float), then one float32
 * multiply per element. Backward: dx += dy * scale[b].
 * p == 0 or draws == NULL (eval) is the identity: x itself, no draw. */
#ifndef VCT_AUTOGRAD_AG_DROPOUT_H
#define VCT_AUTOGRAD_AG_DROPOUT_H

#include "autograd/tape.h"
#include "core/rng.h"

/* x [B, ...]; drop_prob in [0, 1); site names the call site in draw-source errors */
ag_var *ag_drop_path(ag_tape *t, ag_var *x, double drop_prob, draw_source *draws, const char *site);

#endif
