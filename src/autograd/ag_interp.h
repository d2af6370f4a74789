/* ag_interp.h: ops/interpolate.h on the tape (see tape.h):
 * F.interpolate(x, size=(Ho, Wo), mode="bilinear", align_corners=ac) on NCHW,
 * with torch 1.13's CPU rounding (see interpolate.h). Backward accumulates. */
#ifndef VCT_AUTOGRAD_AG_INTERP_H
#define VCT_AUTOGRAD_AG_INTERP_H

#include "autograd/tape.h"

/* x [N, C, H, W] -> [N, C, Ho, Wo]; Ho, Wo >= 1 */
ag_var *ag_interpolate_bilinear(ag_tape *t, ag_var *x, int64_t Ho, int64_t Wo, int align_corners);

#endif
