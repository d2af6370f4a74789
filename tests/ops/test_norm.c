/* test_norm.c: LayerNorm, GroupNorm and FrozenBatchNorm2d forward/backward
 * against torch 1.13 (tests/ref/gen_norm.py), += semantics of the backward,
 * finite differences of every gradient, and argument validation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/norm.h"
#include "testlib.h"

static tensor_dict R;

/* "<case>.<field>" as float, checked to have n elements (n < 0: any) */
static const float *get(const char *c, const char *f, int64_t n) {
    return tl_case_f32(&R, c, f, n);
}

static const int64_t *get_cfg(const char *c, int64_t n) {
    const tensor *t = tl_case_tensor(&R, c, "cfg", VCT_DTYPE_I64, n);
    return t ? t->data : NULL;
}

static float get_eps(const char *c) {
    const float *e = get(c, "eps", 1);
    return e ? e[0] : NAN;
}

/* the backward accumulates: after a second call every element is exactly twice */
static void check_twice(const char *name, const float *two, const float *one, int64_t n) {
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (two[i] != 2.0f * one[i]) bad++;
    tl_expect(bad == 0, name, "%lld of %lld elements are not 2x after a second backward",
              (long long)bad, (long long)n);
}

static double dot(const float *a, const float *b, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* ------------------------------------------------------------------ LayerNorm */

/* dweight is identically zero when every row is constant (rstd = 1/sqrt(eps)) */
static int cfg_var_nonzero(const float *rstd, int64_t N, float eps) {
    for (int64_t n = 0; n < N; n++)
        if (rstd[n] != 1.0f / sqrtf(eps)) return 1;
    return 0;
}

typedef struct ln_ctx {
    float *x, *w, *b, *out, *mean, *rstd;
    const float *dout;
    int64_t N, C;
    float eps;
} ln_ctx;

static double ln_loss(void *p) {
    ln_ctx *c = p;
    vct_error err = {0};
    if (layernorm_forward(c->out, c->mean, c->rstd, c->x, c->w, c->b, c->N, c->C, c->eps, &err))
        return NAN;
    return dot(c->out, c->dout, c->N * c->C);
}

static void test_layernorm(const char *cs, double atol, double gtol) {
    const int64_t *cfg = get_cfg(cs, 3);
    if (!cfg) return;
    int64_t N = cfg[0], C = cfg[1], NC = N * C;
    int affine = (int)cfg[2];
    float eps = get_eps(cs);
    const float *x = get(cs, "x", NC), *ro = get(cs, "out", NC), *rm = get(cs, "mean", N),
                *rr = get(cs, "rstd", N), *dout = get(cs, "dout", NC), *rdx = get(cs, "dx", NC);
    const float *w = affine ? get(cs, "w", C) : NULL, *b = affine ? get(cs, "b", C) : NULL;
    const float *rdw = affine ? get(cs, "dw", C) : NULL, *rdb = affine ? get(cs, "db", C) : NULL;
    if (!x || !ro || !rm || !rr || !dout || !rdx || (affine && (!w || !b || !rdw || !rdb))) return;
    char name[128];
    float *out = tl_zeros(NC), *mean = tl_zeros(N), *rstd = tl_zeros(N);
    float *dx = tl_zeros(NC), *dw = tl_zeros(C), *db = tl_zeros(C);
    vct_error err = {0};
    vct_status st = layernorm_forward(out, mean, rstd, x, w, b, N, C, eps, &err);
    snprintf(name, sizeof name, "%s forward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.out", cs);
    tl_check_close(name, out, ro, NC, atol, 1e-5);
    snprintf(name, sizeof name, "%s.mean", cs);
    tl_check_close(name, mean, rm, N, 1e-6, 1e-6);
    snprintf(name, sizeof name, "%s.rstd", cs);
    tl_check_close(name, rstd, rr, N, 0, 2e-5);

    st = layernorm_backward(dx, affine ? dw : NULL, affine ? db : NULL, dout, x, w, mean, rstd, N,
                            C, &err);
    snprintf(name, sizeof name, "%s backward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.dx", cs);
    tl_check_close(name, dx, rdx, NC, gtol, 1e-4);
    if (affine) {
        snprintf(name, sizeof name, "%s.dw", cs);
        tl_check_close(name, dw, rdw, C, gtol, 1e-4);
        snprintf(name, sizeof name, "%s.db", cs);
        tl_check_close(name, db, rdb, C, gtol, 1e-4);
    }
    float *dx1 = tl_dup(dx, NC), *dw1 = tl_dup(dw, C), *db1 = tl_dup(db, C);
    layernorm_backward(dx, affine ? dw : NULL, affine ? db : NULL, dout, x, w, mean, rstd, N, C,
                       &err);
    snprintf(name, sizeof name, "%s backward accumulates", cs);
    check_twice(name, dx, dx1, NC);
    if (affine) {
        check_twice(name, dw, dw1, C);
        check_twice(name, db, db1, C);
    }

    /* finite differences of sum(out * dout) w.r.t. x, w, b */
    ln_ctx c = {tl_dup(x, NC), affine ? tl_dup(w, C) : NULL, affine ? tl_dup(b, C) : NULL,
                tl_zeros(NC), tl_zeros(N), tl_zeros(N), dout, N, C, eps};
    tl_fd_opts o = tl_fd_default();
    snprintf(name, sizeof name, "%s fd dx", cs);
    tl_fd_check(name, c.x, NC, dx1, ln_loss, &c, o);
    if (affine && cfg_var_nonzero(rr, N, eps)) {
        snprintf(name, sizeof name, "%s fd dw", cs);
        tl_fd_check(name, c.w, C, dw1, ln_loss, &c, o);
    }
    if (affine) {
        snprintf(name, sizeof name, "%s fd db", cs);
        tl_fd_check(name, c.b, C, db1, ln_loss, &c, o);
    }
    free(c.x), free(c.w), free(c.b), free(c.out), free(c.mean), free(c.rstd);
    free(out), free(mean), free(rstd), free(dx), free(dw), free(db), free(dx1), free(dw1),
        free(db1);
}

/* ------------------------------------------------------------------ GroupNorm */

typedef struct gn_ctx {
    float *x, *w, *b, *out, *mean, *rstd;
    const float *dout;
    int64_t N, C, HW, G;
    float eps;
} gn_ctx;

static double gn_loss(void *p) {
    gn_ctx *c = p;
    vct_error err = {0};
    if (groupnorm_forward(c->out, c->mean, c->rstd, c->x, c->w, c->b, c->N, c->C, c->HW, c->G,
                          c->eps, &err))
        return NAN;
    return dot(c->out, c->dout, c->N * c->C * c->HW);
}

static void test_groupnorm(const char *cs) {
    const int64_t *cfg = get_cfg(cs, 5);
    if (!cfg) return;
    int64_t N = cfg[0], C = cfg[1], HW = cfg[2], G = cfg[3], n = N * C * HW;
    int affine = (int)cfg[4];
    float eps = get_eps(cs);
    const float *x = get(cs, "x", n), *ro = get(cs, "out", n), *rm = get(cs, "mean", N * G),
                *rr = get(cs, "rstd", N * G), *dout = get(cs, "dout", n), *rdx = get(cs, "dx", n);
    const float *w = affine ? get(cs, "w", C) : NULL, *b = affine ? get(cs, "b", C) : NULL;
    const float *rdw = affine ? get(cs, "dw", C) : NULL, *rdb = affine ? get(cs, "db", C) : NULL;
    if (!x || !ro || !rm || !rr || !dout || !rdx || (affine && (!w || !b || !rdw || !rdb))) return;
    char name[128];
    float *out = tl_zeros(n), *mean = tl_zeros(N * G), *rstd = tl_zeros(N * G);
    float *dx = tl_zeros(n), *dw = tl_zeros(C), *db = tl_zeros(C);
    vct_error err = {0};
    vct_status st = groupnorm_forward(out, mean, rstd, x, w, b, N, C, HW, G, eps, &err);
    snprintf(name, sizeof name, "%s forward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.out", cs);
    tl_check_close(name, out, ro, n, 1e-5, 1e-5);
    snprintf(name, sizeof name, "%s.mean", cs);
    tl_check_close(name, mean, rm, N * G, 1e-6, 1e-6);
    snprintf(name, sizeof name, "%s.rstd", cs);
    tl_check_close(name, rstd, rr, N * G, 0, 1e-6);

    st = groupnorm_backward(dx, affine ? dw : NULL, affine ? db : NULL, dout, x, w, mean, rstd, N,
                            C, HW, G, &err);
    snprintf(name, sizeof name, "%s backward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.dx", cs);
    tl_check_close(name, dx, rdx, n, 1e-5, 1e-4);
    if (affine) {
        snprintf(name, sizeof name, "%s.dw", cs);
        tl_check_close(name, dw, rdw, C, 1e-4, 1e-4);
        snprintf(name, sizeof name, "%s.db", cs);
        tl_check_close(name, db, rdb, C, 1e-4, 1e-4);
    }
    float *dx1 = tl_dup(dx, n), *dw1 = tl_dup(dw, C), *db1 = tl_dup(db, C);
    groupnorm_backward(dx, affine ? dw : NULL, affine ? db : NULL, dout, x, w, mean, rstd, N, C, HW,
                       G, &err);
    snprintf(name, sizeof name, "%s backward accumulates", cs);
    check_twice(name, dx, dx1, n);
    if (affine) {
        check_twice(name, dw, dw1, C);
        check_twice(name, db, db1, C);
    }

    gn_ctx c = {tl_dup(x, n), affine ? tl_dup(w, C) : NULL, affine ? tl_dup(b, C) : NULL,
                tl_zeros(n), tl_zeros(N * G), tl_zeros(N * G), dout, N, C, HW, G, eps};
    /* a group holds up to 273 outputs: float rounding of the loss needs a wider step */
    tl_fd_opts o = tl_fd_default();
    o.eps = 1e-2;
    o.precise = 1;
    snprintf(name, sizeof name, "%s fd dx", cs);
    tl_fd_check(name, c.x, n, dx1, gn_loss, &c, o);
    if (affine) {
        snprintf(name, sizeof name, "%s fd dw", cs);
        tl_fd_check(name, c.w, C, dw1, gn_loss, &c, o);
        snprintf(name, sizeof name, "%s fd db", cs);
        tl_fd_check(name, c.b, C, db1, gn_loss, &c, o);
    }
    free(c.x), free(c.w), free(c.b), free(c.out), free(c.mean), free(c.rstd);
    free(out), free(mean), free(rstd), free(dx), free(dw), free(db), free(dx1), free(dw1),
        free(db1);
}

/* ---------------------------------------------------------- FrozenBatchNorm2d */

typedef struct fbn_ctx {
    float *x, *out;
    const float *w, *b, *rm, *rv, *dout;
    int64_t N, C, HW;
    float eps;
} fbn_ctx;

static double fbn_loss(void *p) {
    fbn_ctx *c = p;
    vct_error err = {0};
    if (frozen_bn_forward(c->out, c->x, c->w, c->b, c->rm, c->rv, c->N, c->C, c->HW, c->eps, &err))
        return NAN;
    return dot(c->out, c->dout, c->N * c->C * c->HW);
}

static void test_frozen_bn(const char *cs) {
    const int64_t *cfg = get_cfg(cs, 3);
    if (!cfg) return;
    int64_t N = cfg[0], C = cfg[1], HW = cfg[2], n = N * C * HW;
    float eps = get_eps(cs);
    const float *x = get(cs, "x", n), *ro = get(cs, "out", n), *rbn = get(cs, "out_bn", n),
                *w = get(cs, "w", C), *b = get(cs, "b", C), *rm = get(cs, "rm", C),
                *rv = get(cs, "rv", C), *dout = get(cs, "dout", n), *rdx = get(cs, "dx", n);
    if (!x || !ro || !rbn || !w || !b || !rm || !rv || !dout || !rdx) return;
    char name[128];
    float *out = tl_zeros(n), *dx = tl_zeros(n);
    vct_error err = {0};
    vct_status st = frozen_bn_forward(out, x, w, b, rm, rv, N, C, HW, eps, &err);
    snprintf(name, sizeof name, "%s forward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    /* same float formula as detectron2's x*scale + bias: bit for bit in practice */
    snprintf(name, sizeof name, "%s.out (x*scale+shift)", cs);
    tl_check_close(name, out, ro, n, 1e-6, 1e-6);
    snprintf(name, sizeof name, "%s.out (F.batch_norm eval)", cs);
    tl_check_close(name, out, rbn, n, 1e-6, 1e-6);
    st = frozen_bn_backward(dx, dout, w, rv, N, C, HW, eps, &err);
    snprintf(name, sizeof name, "%s backward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.dx", cs);
    tl_check_close(name, dx, rdx, n, 1e-6, 1e-6);
    float *dx1 = tl_dup(dx, n);
    frozen_bn_backward(dx, dout, w, rv, N, C, HW, eps, &err);
    snprintf(name, sizeof name, "%s backward accumulates", cs);
    check_twice(name, dx, dx1, n);
    fbn_ctx c = {tl_dup(x, n), tl_zeros(n), w, b, rm, rv, dout, N, C, HW, eps};
    snprintf(name, sizeof name, "%s fd dx", cs);
    tl_fd_check(name, c.x, n, dx1, fbn_loss, &c, tl_fd_default());
    free(c.x), free(c.out), free(out), free(dx), free(dx1);
}

/* ------------------------------------------------------------- bad arguments */

static void test_bad_args(void) {
    float buf[64] = {0}, m[8], r[8];
    vct_error err = {0};
    tl_expect(layernorm_forward(buf, m, r, buf, NULL, NULL, 2, 0, 1e-5f, &err) == VCT_STATUS_SHAPE,
              "layernorm C=0 refused", "got %s", vct_status_name(err.status));
    tl_expect(layernorm_forward(buf, m, r, buf, NULL, NULL, 2, 3, -1.0f, &err) ==
                  VCT_STATUS_INVALID_ARGUMENT,
              "layernorm eps<0 refused", "got %s", vct_status_name(err.status));
    tl_expect(groupnorm_forward(buf, m, r, buf, NULL, NULL, 1, 6, 2, 4, 1e-5f, &err) ==
                  VCT_STATUS_SHAPE,
              "groupnorm G not dividing C refused", "got %s", vct_status_name(err.status));
    tl_expect(strstr(err.msg, "groups") != NULL, "groupnorm message names groups", "%s", err.msg);
    tl_expect(frozen_bn_forward(buf, buf, NULL, buf, buf, buf, 1, 2, 2, 1e-5f, &err) ==
                  VCT_STATUS_INVALID_ARGUMENT,
              "frozen_bn NULL weight refused", "got %s", vct_status_name(err.status));
}

int main(void) {
    if (tl_ref_open("norm", &R) != 0) return tl_summary("ops/norm");
    test_layernorm("ln_a", 1e-5, 1e-5);
    test_layernorm("ln_b", 5e-5, 1e-4); /* mean 10, std 0.1: x*rstd ~ 100 cancels in float */
    test_layernorm("ln_c", 1e-5, 1e-5);
    test_layernorm("ln_d", 1e-5, 1e-3); /* constant rows: rstd = 1/sqrt(eps) ~ 316 */
    test_groupnorm("gn_a");
    test_groupnorm("gn_b");
    test_groupnorm("gn_c");
    test_frozen_bn("fbn_a");
    test_bad_args();
    tensor_dict_free(&R);
    return tl_summary("ops/norm");
}
