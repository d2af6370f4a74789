/* test_tape.c: the tape on a small composite (layer norm, three linears, masked
 * attention, GELU, a residual, x used three times) against torch autograd
 * (tests/ref/gen_tape.py): the output and EVERY gradient; finite differences on
 * x; inference mode reuses memory (ag_mark/ag_keep) and gives the same output. */
#include <stdio.h>
#include <string.h>

#include "autograd/ag_activation.h"
#include "autograd/ag_attention.h"
#include "autograd/ag_linalg.h"
#include "autograd/ag_norm.h"
#include "autograd/ag_shape.h"
#include "testlib.h"

#define N 13
#define C 30

static const char *pnames[10] = {"ln_w", "ln_b", "wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo"};

typedef struct model {
    float *p[10];
    float *x;
    const float *dout;
    unsigned char mask[N * N];
    arena mem, scratch;
} model;

static ag_var *P(ag_tape *t, model *m, int i, float *grad) {
    int64_t s2[2] = {C, C}, s1[1] = {C};
    int is_vec = i < 2 || (i % 2 == 1);
    return ag_leaf(t, m->p[i], grad, is_vec ? 1 : 2, is_vec ? s1 : s2, 1);
}

/* the forward of gen_tape.py; params get leaves with the given gradient buffers */
static ag_var *forward(ag_tape *t, model *m, ag_var **px, ag_var **pp, size_t *peak_block) {
    int64_t sx[2] = {N, C}, s3[3] = {1, N, C};
    ag_var *x = ag_leaf(t, m->x, NULL, 2, sx, 1), *p[10];
    for (int i = 0; i < 10; i++) p[i] = P(t, m, i, NULL);
    size_t mark = ag_mark(t);
    ag_var *h = ag_layernorm(t, x, p[0], p[1], 1e-5f);
    ag_var *q = ag_linear(t, h, p[2], p[3]), *k = ag_linear(t, h, p[4], p[5]), *v = ag_linear(t, x, p[6], p[7]);
    ag_var *a = ag_attention(t, ag_reshape(t, q, 3, s3), ag_reshape(t, k, 3, s3), ag_reshape(t, v, 3, s3), m->mask);
    ag_var *o = ag_linear(t, ag_reshape(t, a, 2, sx), p[8], p[9]);
    ag_var *y = ag_add(t, x, ag_gelu(t, o));
    if (peak_block) *peak_block = t->mem->used - mark;
    y = ag_keep(t, mark, y);
    if (px) *px = x;
    if (pp)
        for (int i = 0; i < 10; i++) pp[i] = p[i];
    return y;
}

static double loss(void *ctx) {
    model *m = ctx;
    ag_tape t;
    vct_error err;
    arena_rewind(&m->mem, 0);
    ag_tape_init(&t, &m->mem, &m->scratch, 0, 0, &err);
    ag_var *y = forward(&t, m, NULL, NULL, NULL);
    double l = 0;
    for (int i = 0; y && i < N * C; i++) l += (double)y->data[i] * m->dout[i];
    ag_tape_free(&t);
    return l;
}

int main(void) {
    tensor_dict ref;
    if (tl_ref_open("tape", &ref)) return tl_summary("test_tape");
    model m;
    vct_error err;
    arena_init(&m.mem, 4 << 20, &err);
    arena_init(&m.scratch, 4 << 20, &err);
    for (int i = 0; i < 10; i++) m.p[i] = (float *)tl_ref_f32(&ref, pnames[i], NULL);
    m.x = (float *)tl_ref_f32(&ref, "x", NULL);
    m.dout = tl_ref_f32(&ref, "dout", NULL);
    const tensor *mk = tl_ref_tensor(&ref, "mask");
    if (!m.x || !m.dout || !mk) return tl_summary("test_tape");
    memcpy(m.mask, mk->data, sizeof m.mask);

    /* training: record, then backward */
    ag_tape t;
    ag_tape_init(&t, &m.mem, &m.scratch, 1, 256, &err);
    ag_var *x, *p[10];
    ag_var *y = forward(&t, &m, &x, p, NULL);
    if (!y) {
        tl_fail("forward", "%s", t.err.msg);
        return tl_summary("test_tape");
    }
    tl_check_close("y", y->data, tl_ref_f32(&ref, "y", NULL), N * C, 1e-6, 1e-5);
    /* layer norm, 4 linears, attention, GELU, add; views record nothing */
    tl_expect(t.n_nodes == 8, "training records one node per op", "%lld nodes", (long long)t.n_nodes);
    if (ag_backward(&t, y, m.dout, &err) != VCT_STATUS_OK) tl_fail("backward", "%s", err.msg);
    tl_check_close("grad.x (used three times)", x->grad, tl_ref_f32(&ref, "grad.x", NULL), N * C, 1e-6, 1e-5);
    for (int i = 0; i < 10; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "grad.%s", pnames[i]);
        int64_t n = 0;
        const float *g = tl_ref_f32(&ref, nm, &n);
        if (g) tl_check_close(nm, p[i]->grad, g, n, 1e-6, 1e-5);
    }
    float gx[N * C];
    memcpy(gx, x->grad, sizeof gx);
    float y_train[N * C];
    memcpy(y_train, y->data, sizeof y_train);
    size_t train_used = m.mem.used;
    ag_tape_free(&t);

    /* inference: no nodes, same output, the block's temporaries are released */
    arena_rewind(&m.mem, 0);
    ag_tape_init(&t, &m.mem, &m.scratch, 0, 0, &err);
    size_t block = 0;
    y = forward(&t, &m, NULL, NULL, &block);
    tl_expect(y && t.n_nodes == 0 && memcmp(y->data, y_train, sizeof y_train) == 0, "inference: same output, no tape",
              "nodes %lld", (long long)t.n_nodes);
    tl_expect(m.mem.used < block && m.mem.used < train_used / 2, "inference: ag_keep frees the block",
              "used %zu after keep, block %zu, training %zu", m.mem.used, block, train_used);
    ag_tape_free(&t);

    tl_fd_opts fo = tl_fd_default();
    fo.samples = 96;
    fo.eps = 1e-2; /* the loss sums 390 float32 outputs: a larger step keeps their rounding noise small */
    tl_fd_check("fd x", m.x, N * C, gx, loss, &m, fo);

    /* a backward through an inference tape is refused */
    arena_rewind(&m.mem, 0);
    ag_tape_init(&t, &m.mem, &m.scratch, 0, 0, &err);
    y = forward(&t, &m, NULL, NULL, NULL);
    tl_expect(ag_backward(&t, y, m.dout, &err) == VCT_STATUS_INVALID_ARGUMENT, "backward in inference refused", "%s",
              err.msg);
    ag_tape_free(&t);
    arena_free(&m.mem);
    arena_free(&m.scratch);
    tensor_dict_free(&ref);
    return tl_summary("test_tape");
}
