/* ag_softmax.h: softmax on the tape (see tape.h); the backward accumulates. */
#ifndef VCT_AUTOGRAD_AG_SOFTMAX_H
#define VCT_AUTOGRAD_AG_SOFTMAX_H

#include "autograd/tape.h"

/* softmax over the last dim */
ag_var *ag_softmax(ag_tape *t, ag_var *x);

#endif
