/* test_ag_shape.c: the data-movement and broadcasting tape ops (permute, roll,
 * pad, slice, concat, broadcast add/mul, mean, scale, reshape) in one chain,
 * against torch autograd (tests/ref/gen_ag_shape.py) and finite differences. */
#include <string.h>

#include "autograd/ag_shape.h"
#include "testlib.h"

typedef struct chain {
    float *x, *y, *b, *g;
    const float *dout, *du;
    arena mem;
} chain;

/* runs the chain; fills out[14], u[2]; returns the tape (training) for backward */
static int run(chain *c, ag_tape *t, int training, float *out, float *u, ag_var **vx, ag_var **vy, ag_var **vb,
               ag_var **vg, ag_var **vo, ag_var **vu) {
    vct_error err;
    arena_rewind(&c->mem, 0);
    ag_tape_init(t, &c->mem, NULL, training, 256, &err);
    int64_t sx[4] = {2, 3, 4, 5}, sy[4] = {2, 7, 3, 4}, sb[1] = {7}, sg[4] = {2, 1, 1, 1};
    ag_var *x = ag_leaf(t, c->x, NULL, 4, sx, 1), *y = ag_leaf(t, c->y, NULL, 4, sy, 1);
    ag_var *b = ag_leaf(t, c->b, NULL, 1, sb, 1), *g = ag_leaf(t, c->g, NULL, 4, sg, 1);
    int perm[4] = {0, 2, 3, 1}, dims[2] = {1, 2}, axes[2] = {1, 2};
    int64_t shifts[2] = {1, -2}, s14[1] = {14}, s260[2] = {2, 60};
    ag_var *h = ag_permute(t, x, perm);
    h = ag_roll(t, h, 2, dims, shifts);
    h = ag_pad(t, h, 1, 1, 2);
    h = ag_slice(t, h, 2, 1, 3);
    ag_var *cat[2] = {h, y};
    h = ag_concat(t, cat, 2, 3);
    h = ag_bmul(t, ag_badd(t, h, b), g);
    h = ag_scale(t, ag_mean(t, h, axes, 2, 1), 0.75f);
    ag_var *o = ag_reshape(t, h, 1, s14);
    int ax1[1] = {1};
    ag_var *uu = ag_mean(t, ag_reshape(t, x, 2, s260), ax1, 1, 0);
    if (t->status != VCT_STATUS_OK) {
        tl_fail("chain", "%s", t->err.msg);
        return 0;
    }
    memcpy(out, o->data, 14 * sizeof(float));
    memcpy(u, uu->data, 2 * sizeof(float));
    *vx = x, *vy = y, *vb = b, *vg = g, *vo = o, *vu = uu;
    return 1;
}

static double loss(void *ctx) {
    chain *c = ctx;
    ag_tape t;
    float out[14], u[2];
    ag_var *a[6];
    if (!run(c, &t, 0, out, u, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5])) return 0;
    ag_tape_free(&t);
    double l = 0;
    for (int i = 0; i < 14; i++) l += (double)out[i] * c->dout[i];
    for (int i = 0; i < 2; i++) l += (double)u[i] * c->du[i];
    return l;
}

/* ag_narrow: a view of rows [start, start+len) sharing data and gradient */
static void narrow_checks(void) {
    vct_error err;
    arena mem = {0};
    ag_tape t;
    float x[12], gx[12] = {0};
    for (int i = 0; i < 12; i++) x[i] = (float)i;
    arena_init(&mem, 1 << 16, &err);
    ag_tape_init(&t, &mem, NULL, 1, 16, &err);
    ag_var *vx = ag_leaf(&t, x, gx, 2, (int64_t[2]){4, 3}, 1);
    ag_var *v = ag_narrow(&t, vx, 1, 2);
    tl_expect(v && v->data == x + 3 && v->grad == gx + 3 && v->ndim == 2 && v->shape[0] == 2 && v->shape[1] == 3 &&
                  v->requires_grad,
              "narrow is a view of rows 1..2", "%s", t.err.msg);
    ag_var *y = ag_scale(&t, v, 2.0f);
    vct_status st = ag_backward(&t, y, NULL, &err);
    int ok = st == VCT_STATUS_OK;
    for (int i = 0; i < 12; i++) ok &= gx[i] == (i >= 3 && i < 9 ? 2.0f : 0.0f);
    tl_expect(ok, "narrow's gradient lands in the parent's rows", "%s", err.msg);
    tl_expect(ag_narrow(&t, vx, 3, 2) == NULL && t.status == VCT_STATUS_SHAPE && strstr(t.err.msg, "narrow") &&
                  strstr(t.err.msg, "rows [3, 5) of [4,3]"),
              "out-of-range narrow named", "'%s'", t.err.msg);
    ag_tape_free(&t);
    arena_free(&mem);
}

int main(void) {
    narrow_checks();
    tensor_dict ref;
    if (tl_ref_open("ag_shape", &ref)) return tl_summary("test_ag_shape");
    chain c;
    vct_error err;
    arena_init(&c.mem, 1 << 20, &err);
    c.x = (float *)tl_ref_f32(&ref, "x", NULL);
    c.y = (float *)tl_ref_f32(&ref, "y", NULL);
    c.b = (float *)tl_ref_f32(&ref, "b", NULL);
    c.g = (float *)tl_ref_f32(&ref, "g", NULL);
    c.dout = tl_ref_f32(&ref, "dout", NULL);
    c.du = tl_ref_f32(&ref, "du", NULL);
    ag_tape t;
    float out[14], u[2];
    ag_var *x, *y, *b, *g, *o, *uu;
    if (!c.x || !c.y || !c.b || !c.g || !c.dout || !c.du || !run(&c, &t, 1, out, u, &x, &y, &b, &g, &o, &uu))
        return tl_summary("test_ag_shape");
    tl_check_close("chain forward", out, tl_ref_f32(&ref, "out", NULL), 14, 1e-6, 1e-5);
    tl_check_close("mean forward", u, tl_ref_f32(&ref, "u", NULL), 2, 1e-6, 1e-5);
    /* two outputs: seed both, then one backward over the shared tape */
    float *gu = ag_grad(&t, uu);
    for (int i = 0; i < 2; i++) gu[i] = c.du[i];
    if (ag_backward(&t, o, c.dout, &err) != VCT_STATUS_OK) tl_fail("backward", "%s", err.msg);
    tl_check_close("grad x (used twice)", x->grad, tl_ref_f32(&ref, "grad.x", NULL), 120, 1e-6, 1e-5);
    tl_check_close("grad y", y->grad, tl_ref_f32(&ref, "grad.y", NULL), 168, 1e-6, 1e-5);
    tl_check_close("grad b (broadcast)", b->grad, tl_ref_f32(&ref, "grad.b", NULL), 7, 1e-6, 1e-5);
    tl_check_close("grad g (broadcast)", g->grad, tl_ref_f32(&ref, "grad.g", NULL), 2, 1e-6, 1e-5);
    float gx[120], gg[2];
    memcpy(gx, x->grad, sizeof gx);
    memcpy(gg, g->grad, sizeof gg);
    ag_tape_free(&t);
    tl_fd_opts fo = tl_fd_default();
    fo.samples = 120;
    tl_fd_check("fd x", c.x, 120, gx, loss, &c, fo);
    fo.samples = 2;
    tl_fd_check("fd g", c.g, 2, gg, loss, &c, fo);

    /* shape errors are reported, not crashed on */
    arena_rewind(&c.mem, 0);
    ag_tape_init(&t, &c.mem, NULL, 0, 0, &err);
    int64_t s3[1] = {3}, s4[1] = {4};
    ag_var *p = ag_leaf(&t, c.x, NULL, 1, s3, 0), *q = ag_leaf(&t, c.y, NULL, 1, s4, 0);
    ag_var *r = ag_badd(&t, p, q);
    tl_expect(!r && t.status == VCT_STATUS_SHAPE && strstr(t.err.msg, "cannot broadcast [3] with [4]"),
              "broadcast mismatch named", "'%s'", t.err.msg);
    tl_expect(ag_scale(&t, r, 2) == NULL, "errors are sticky", "op ran after a failure");
    ag_tape_free(&t);
    arena_free(&c.mem);
    tensor_dict_free(&ref);
    return tl_summary("test_ag_shape");
}
