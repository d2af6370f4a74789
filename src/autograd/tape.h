/* tape.h: tape autograd over the op library.
 *
 * Model code calls ag_* ops on ag_var values; it reads like the reference
 * forward:
 *     ag_var *h = ag_layernorm(t, x, w_norm, b_norm, 1e-5f);
 *     h = ag_linear(t, h, w_fc, b_fc);
 *     h = ag_gelu(t, h);
 *     ag_var *y = ag_add(t, x, h);          // residual: x is used twice
 *     if (t->status != VCT_STATUS_OK) ...   // errors are sticky: later ops return NULL
 *
 * Training mode (t->training = 1): every op appends a node (its backward and what
 * it saved) to the tape. ag_backward() walks the tape in reverse and ACCUMULATES
 * into the .grad of every input that requires a gradient, so a tensor used twice
 * gets both contributions. Gradient buffers of intermediate values are allocated
 * (zeroed) from the tape's arena the first time a gradient reaches them;
 * parameters bring their own (pointers into the flat gradient buffer):
 * ag_param(t, &w->norm1_weight) puts a parameter-table handle on the tape.
 *
 * Inference mode (t->training = 0): nothing is recorded, and activation memory
 * is reused: ag_mark() before a block, ag_keep(t, mark, out) after it moves the
 * block's output down to the mark and frees everything the block allocated.
 *
 * All memory comes from one arena; nothing is malloc'ed inside an op. */
#ifndef VCT_AUTOGRAD_TAPE_H
#define VCT_AUTOGRAD_TAPE_H

#include "autograd/param_table.h"
#include "core/arena.h"
#include "core/tensor.h"

typedef struct ag_var {
    float *data;       /* [numel], C order */
    float *grad;       /* same layout; NULL until a gradient reaches it */
    int ndim;
    int64_t shape[VCT_MAX_DIMS];
    int requires_grad; /* leaves: set by the caller; results: any input requires it */
} ag_var;

typedef struct ag_node ag_node;
typedef vct_status (*ag_backward_fn)(ag_node *n, arena *scratch, vct_error *err);

#define AG_MAX_INPUTS 6
struct ag_node {
    const char *op;  /* "linear", for messages */
    ag_backward_fn backward;
    ag_var *out;
    ag_var *in[AG_MAX_INPUTS];
    int n_in;
    float *saved[4];  /* op-specific saved buffers (e.g. layer-norm mean/rstd) */
    int64_t iarg[8];  /* op-specific sizes */
    double farg[4];   /* op-specific scalars */
    const void *parg; /* op-specific pointer (e.g. a mask) */
};

typedef struct ag_tape {
    arena *mem;     /* activations, saved buffers, intermediate grads */
    arena *scratch; /* temporaries of one op (rewound after it) */
    int training;
    ag_node *nodes; /* malloc'ed at init: max_nodes */
    int64_t n_nodes, max_nodes;
    vct_status status; /* sticky: the first failure */
    vct_error err;
} ag_tape;

vct_status ag_tape_init(ag_tape *t, arena *mem, arena *scratch, int training, int64_t max_nodes, vct_error *err);
void ag_tape_free(ag_tape *t);
/* Forget the nodes (keeps the arena as it is; the caller rewinds it). */
void ag_tape_reset(ag_tape *t);

/* A leaf over caller memory (parameters, inputs); grad may be NULL. */
ag_var *ag_leaf(ag_tape *t, float *data, float *grad, int ndim, const int64_t *shape, int requires_grad);
/* A parameter as a leaf of its table shape over its table memory; it requires
 * a gradient iff it has one (trainable, after param_table_alloc_grads). A
 * handle that was never registered (an optional tensor the config leaves out,
 * e.g. a bias) gives NULL without failing the tape, so `ag_linear(t, x,
 * ag_param(t, &w->weight), ag_param(t, &w->bias))` reads as the reference; a
 * registered handle without data (table not allocated) fails the tape. */
ag_var *ag_param(ag_tape *t, const param_tensor *p);
/* A fresh value from the arena (uninitialised). */
ag_var *ag_new(ag_tape *t, int ndim, const int64_t *shape);
int64_t ag_numel(const ag_var *v);

/* Record a node (training mode only); returns it for the op to fill, or NULL. */
ag_node *ag_record(ag_tape *t, const char *op, ag_backward_fn bw, ag_var *out, ag_var *const *in, int n_in);
/* Fail the tape (sticky); returns NULL so ops can `return ag_fail(...)`. */
ag_var *ag_fail(ag_tape *t, vct_status st, const char *fmt, ...) VCT_PRINTF(3, 4);
/* The gradient buffer of v, allocated zeroed on first use; NULL if v needs none. */
float *ag_grad(ag_tape *t, ag_var *v);

/* Backward from `out`, seeded with dout (NULL: ones). */
vct_status ag_backward(ag_tape *t, ag_var *out, const float *dout, vct_error *err);

/* Inference-mode memory reuse (no-ops in training mode). */
size_t ag_mark(ag_tape *t);
ag_var *ag_keep(ag_tape *t, size_t mark, ag_var *out);

/* Shape helpers for the op wrappers */
int ag_check(ag_tape *t, int cond, const char *op, const char *fmt, ...) VCT_PRINTF(4, 5);

#endif
