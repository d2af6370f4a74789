/* test_conv2d.c: conv2d_forward / conv2d_backward (im2col + GEMM) and the naive
 * reference kernels against torch 1.13 autograd (tests/ref/gen_conv2d.py), on every GEMM
 * backend; finite differences of dx, dw, db in C; 60 random small configurations
 * (kernel, stride, padding, dilation, groups) of the im2col path against the naive
 * kernels; the same with column tiles of 1 and of a few output rows; argument errors.
 * Tolerance: atol 1e-4, rtol 1e-4 (randn inputs, weights scaled by 1/sqrt(fan_in)).
 * Gradient buffers start non-zero: the backward must accumulate (+=). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/omp.h"
#include "ops/conv2d.h"
#include "ops/gemm.h"
#include "testlib.h"

#define ATOL 1e-4
#define RTOL 1e-4

static arena g_scratch;

typedef struct ccase {
    conv2d_dims d;
    int has_bias;
    int64_t OH, OW, nx, nw, no;
    const float *x, *w, *b, *dout, *out, *dx, *dw, *db;
} ccase;

static int sizes_of(ccase *c) {
    vct_error err = {0};
    if (conv2d_out_size(&c->d, &c->OH, &c->OW, &err) != VCT_STATUS_OK) {
        tl_fail("conv2d_out_size", "%s", err.msg);
        return -1;
    }
    c->nx = c->d.B * c->d.C * c->d.H * c->d.W;
    c->nw = c->d.OC * (c->d.C / c->d.groups) * c->d.KH * c->d.KW;
    c->no = c->d.B * c->d.OC * c->OH * c->OW;
    return 0;
}

static int load_case(const tensor_dict *td, int i, ccase *c) {
    char cs[32];
    snprintf(cs, sizeof cs, "c%d", i);
    const tensor *t = tl_case_tensor(td, cs, "dims", VCT_DTYPE_I64, 15);
    if (!t) return -1;
    const int64_t *v = t->data;
    conv2d_dims d = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                     v[8], v[9], v[10], v[11], v[12], v[13]};
    c->d = d;
    c->has_bias = (int)v[14];
    if (sizes_of(c) != 0) return -1;
#define GET(field, want)                                                                           \
    do {                                                                                           \
        if (!(c->field = tl_case_f32(td, cs, #field, want))) return -1;                            \
    } while (0)
    GET(x, c->nx);
    GET(w, c->nw);
    GET(dout, c->no);
    GET(out, c->no);
    GET(dx, c->nx);
    GET(dw, c->nw);
    c->b = c->db = NULL;
    if (c->has_bias) {
        GET(b, c->d.OC);
        GET(db, c->d.OC);
    }
#undef GET
    return 0;
}

static float *rand_buf(int64_t n, uint64_t seed) {
    float *y = malloc((size_t)(n ? n : 1) * sizeof *y);
    tl_fill_uniform(y, n, seed, -1, 1);
    return y;
}

static void cname(char *buf, size_t n, const char *pre, int ci, const conv2d_dims *d,
                  const char *what) {
    snprintf(buf, n,
             "%s c%d [%lld,%lld,%lld,%lld] k%lldx%lld s%lldx%lld p%lldx%lld d%lldx%lld g%lld %s",
             pre, ci, (long long)d->B, (long long)d->C, (long long)d->H, (long long)d->W,
             (long long)d->KH, (long long)d->KW, (long long)d->stride_h, (long long)d->stride_w,
             (long long)d->pad_h, (long long)d->pad_w, (long long)d->dil_h, (long long)d->dil_w,
             (long long)d->groups, what);
}

/* naive != 0: the reference kernels instead of im2col + GEMM */
static void test_case_vs_torch(const ccase *c, int ci, const char *label, int naive) {
    char name[256];
    vct_error err = {0};
    float *out = malloc((size_t)c->no * sizeof *out);
    for (int64_t i = 0; i < c->no; i++) out[i] = NAN;
    cname(name, sizeof name, label, ci, &c->d, "forward");
    if (naive)
        conv2d_forward_naive(out, c->x, c->w, c->b, &c->d);
    if (!naive && conv2d_forward(out, c->x, c->w, c->b, &c->d, &g_scratch, &err) != VCT_STATUS_OK)
        tl_fail(name, "%s", err.msg);
    else
        tl_check_close(name, out, c->out, c->no, ATOL, RTOL);
    tl_expect(g_scratch.used == 0, "scratch arena rewound", "used=%zu", g_scratch.used);

    float *dx0 = rand_buf(c->nx, 31 + (uint64_t)ci), *dw0 = rand_buf(c->nw, 32 + (uint64_t)ci);
    float *db0 = rand_buf(c->d.OC, 33 + (uint64_t)ci);
    float *dx = tl_dup(dx0, c->nx), *dw = tl_dup(dw0, c->nw), *db = tl_dup(db0, c->d.OC);
    float *dbp = c->has_bias ? db : NULL;
    cname(name, sizeof name, label, ci, &c->d, "backward");
    vct_status st = VCT_STATUS_OK;
    if (naive)
        conv2d_backward_naive(dx, dw, dbp, c->dout, c->x, c->w, &c->d);
    else
        st = conv2d_backward(dx, dw, dbp, c->dout, c->x, c->w, &c->d, &g_scratch, &err);
    if (st != VCT_STATUS_OK) {
        tl_fail(name, "%s", err.msg);
    } else {
        cname(name, sizeof name, label, ci, &c->d, "dx (accumulated)");
        tl_check_accumulated(name, dx, dx0, c->dx, c->nx, ATOL, RTOL);
        cname(name, sizeof name, label, ci, &c->d, "dw (accumulated)");
        tl_check_accumulated(name, dw, dw0, c->dw, c->nw, ATOL, RTOL);
        if (c->has_bias) {
            cname(name, sizeof name, label, ci, &c->d, "db (accumulated)");
            tl_check_accumulated(name, db, db0, c->db, c->d.OC, ATOL, RTOL);
        }
    }
    if (!naive) { /* each gradient alone: the unneeded input may be NULL */
        memcpy(dx, dx0, (size_t)c->nx * sizeof *dx);
        cname(name, sizeof name, label, ci, &c->d, "dx only");
        if (conv2d_backward(dx, NULL, NULL, c->dout, NULL, c->w, &c->d, &g_scratch, &err) !=
            VCT_STATUS_OK)
            tl_fail(name, "%s", err.msg);
        else
            tl_check_accumulated(name, dx, dx0, c->dx, c->nx, ATOL, RTOL);
        memcpy(dw, dw0, (size_t)c->nw * sizeof *dw);
        cname(name, sizeof name, label, ci, &c->d, "dw only");
        if (conv2d_backward(NULL, dw, NULL, c->dout, c->x, NULL, &c->d, &g_scratch, &err) !=
            VCT_STATUS_OK)
            tl_fail(name, "%s", err.msg);
        else
            tl_check_accumulated(name, dw, dw0, c->dw, c->nw, ATOL, RTOL);
    }
    free(out);
    free(dx0);
    free(dw0);
    free(db0);
    free(dx);
    free(dw);
    free(db);
}

typedef struct fdctx {
    float *x, *w, *b, *out;
    const float *dout;
    conv2d_dims d;
    int64_t no;
} fdctx;

static double fd_loss(void *p) {
    fdctx *c = p;
    vct_error err = {0};
    if (conv2d_forward(c->out, c->x, c->w, c->b, &c->d, &g_scratch, &err) != VCT_STATUS_OK)
        return NAN;
    double s = 0;
    for (int64_t i = 0; i < c->no; i++) s += (double)c->out[i] * (double)c->dout[i];
    return s;
}

static void test_case_fd(const ccase *c, int ci) {
    fdctx f = {tl_dup(c->x, c->nx), tl_dup(c->w, c->nw), c->b ? tl_dup(c->b, c->d.OC) : NULL,
               malloc((size_t)c->no * sizeof(float)), c->dout, c->d, c->no};
    float *dx = calloc((size_t)c->nx, sizeof *dx), *dw = calloc((size_t)c->nw, sizeof *dw);
    float *db = calloc((size_t)c->d.OC, sizeof *db);
    vct_error err = {0};
    char name[256];
    cname(name, sizeof name, "fd", ci, &c->d, "backward");
    if (conv2d_backward(dx, dw, c->b ? db : NULL, c->dout, f.x, f.w, &c->d, &g_scratch, &err) !=
        VCT_STATUS_OK) {
        tl_fail(name, "%s", err.msg);
    } else {
        tl_fd_opts o = tl_fd_default();
        o.eps = 1e-2; /* the loss is linear in each input */
        cname(name, sizeof name, "fd", ci, &c->d, "dx");
        tl_fd_check(name, f.x, c->nx, dx, fd_loss, &f, o);
        cname(name, sizeof name, "fd", ci, &c->d, "dw");
        tl_fd_check(name, f.w, c->nw, dw, fd_loss, &f, o);
        if (c->b) {
            cname(name, sizeof name, "fd", ci, &c->d, "db");
            tl_fd_check(name, f.b, c->d.OC, db, fd_loss, &f, o);
        }
    }
    free(f.x);
    free(f.w);
    free(f.b);
    free(f.out);
    free(dx);
    free(dw);
    free(db);
}

/* random small configurations: im2col + GEMM against the naive kernels */
static void test_random_vs_naive(void) {
    uint64_t s = 99;
    int done = 0, worst_fail = 0;
    for (int it = 0; it < 400 && done < 60; it++) {
        float r[16];
        tl_fill_uniform(r, 16, s++, 0, 1);
        int64_t G = 1 + (int64_t)(r[0] * 3);
        ccase c;
        memset(&c, 0, sizeof c);
        conv2d_dims d = {1 + (int64_t)(r[1] * 2), G * (1 + (int64_t)(r[2] * 3)),
                         1 + (int64_t)(r[3] * 12), 1 + (int64_t)(r[4] * 12),
                         G * (1 + (int64_t)(r[5] * 3)), 1 + (int64_t)(r[6] * 4),
                         1 + (int64_t)(r[7] * 4), 1 + (int64_t)(r[8] * 3),
                         1 + (int64_t)(r[9] * 3), (int64_t)(r[10] * 3), (int64_t)(r[11] * 3),
                         1 + (int64_t)(r[12] * 2), 1 + (int64_t)(r[13] * 2), G};
        c.d = d;
        int64_t OH, OW;
        if (conv2d_out_size(&d, &OH, &OW, NULL) != VCT_STATUS_OK) continue; /* too small */
        if (sizes_of(&c) != 0) continue;
        done++;
        float *x = rand_buf(c.nx, s++), *w = rand_buf(c.nw, s++), *b = rand_buf(d.OC, s++);
        float *dout = rand_buf(c.no, s++);
        float *o1 = malloc((size_t)c.no * sizeof(float)), *o2 = malloc((size_t)c.no * sizeof(float));
        float *dx1 = calloc((size_t)c.nx, 4), *dx2 = calloc((size_t)c.nx, 4);
        float *dw1 = calloc((size_t)c.nw, 4), *dw2 = calloc((size_t)c.nw, 4);
        float *db1 = calloc((size_t)d.OC, 4), *db2 = calloc((size_t)d.OC, 4);
        vct_error err = {0};
        char name[256];
        cname(name, sizeof name, "random", it, &d, "");
        int ok = conv2d_forward(o1, x, w, r[14] < 0.5f ? b : NULL, &d, &g_scratch, &err) ==
                     VCT_STATUS_OK &&
                 conv2d_backward(dx1, dw1, db1, dout, x, w, &d, &g_scratch, &err) == VCT_STATUS_OK;
        if (!ok) {
            tl_fail(name, "%s", err.msg);
        } else {
            conv2d_forward_naive(o2, x, w, r[14] < 0.5f ? b : NULL, &d);
            conv2d_backward_naive(dx2, dw2, db2, dout, x, w, &d);
            /* print only failures: these are many */
            int pass = 1;
            const float *got[4] = {o1, dx1, dw1, db1}, *want[4] = {o2, dx2, dw2, db2};
            int64_t n[4] = {c.no, c.nx, c.nw, d.OC};
            for (int k = 0; k < 4; k++)
                for (int64_t i = 0; i < n[k]; i++)
                    if (!(fabs(got[k][i] - want[k][i]) <= ATOL + RTOL * fabs(want[k][i]))) {
                        if (pass)
                            printf("  %s: tensor %d [%lld] got %.9g want %.9g\n", name, k,
                                   (long long)i, (double)got[k][i], (double)want[k][i]);
                        pass = 0;
                    }
            if (!pass) {
                worst_fail++;
                tl_fail(name, "im2col+GEMM differs from the naive kernels");
            }
        }
        free(x), free(w), free(b), free(dout), free(o1), free(o2);
        free(dx1), free(dx2), free(dw1), free(dw2), free(db1), free(db2);
    }
    tl_expect(done >= 60 && worst_fail == 0, "random configurations vs naive",
              "%d configurations run, %d failed", done, worst_fail);
}

static void test_errors(void) {
    vct_error err = {0};
    float buf[4096] = {0};
    conv2d_dims bad_groups = {1, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2};
    vct_status st = conv2d_forward(buf, buf, buf, NULL, &bad_groups, &g_scratch, &err);
    tl_expect(st == VCT_STATUS_SHAPE && strstr(err.msg, "groups 2"), "conv2d: groups not dividing C refused",
              "st=%d msg=%s", (int)st, err.msg);
    conv2d_dims too_big = {1, 1, 3, 3, 1, 5, 5, 1, 1, 0, 0, 1, 1, 1};
    st = conv2d_forward(buf, buf, buf, NULL, &too_big, &g_scratch, &err);
    tl_expect(st == VCT_STATUS_SHAPE && strstr(err.msg, "larger than"), "conv2d: kernel larger than input refused",
              "st=%d msg=%s", (int)st, err.msg);
    conv2d_dims zero_stride = {1, 1, 3, 3, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1};
    st = conv2d_forward(buf, buf, buf, NULL, &zero_stride, &g_scratch, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT, "conv2d: stride 0 refused", "st=%d", (int)st);
    conv2d_dims ok = {1, 2, 8, 8, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1};
    arena small;
    arena_init(&small, 256, &err);
    st = conv2d_forward(buf, buf, buf, NULL, &ok, &small, &err);
    tl_expect(st == VCT_STATUS_NO_MEMORY && strstr(err.msg, "scratch"), "conv2d: small scratch arena refused",
              "st=%d msg=%s", (int)st, err.msg);
    st = conv2d_forward(buf, buf, buf, NULL, &ok, NULL, &err);
    tl_expect(st == VCT_STATUS_NO_MEMORY, "conv2d: missing scratch arena refused", "st=%d", (int)st);
    arena_free(&small);
    conv2d_dims one = {1, 2, 8, 8, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1};
    tl_expect(conv2d_scratch_bytes(&one) == 0, "conv2d: 1x1 needs no scratch", "%zu",
              conv2d_scratch_bytes(&one));
    st = conv2d_forward(buf, buf, buf, NULL, &one, NULL, &err);
    tl_expect(st == VCT_STATUS_OK, "conv2d: 1x1 runs without an arena", "%s", err.msg);
}

int main(void) {
    vct_error terr = {0};
    if (threads_init(&terr) != VCT_STATUS_OK) {
        fprintf(stderr, "%s\n", terr.msg);
        return 2;
    }
    vct_error err = {0};
    if (arena_init(&g_scratch, 4u << 20, &err) != VCT_STATUS_OK) {
        printf("arena: %s\n", err.msg);
        return 1;
    }
    tensor_dict td;
    tensor_dict_init(&td);
    if (tl_ref_open("conv2d", &td) != 0) return tl_summary("test_conv2d");
    int ncases = (int)tl_ref_case_count(&td, "cases", "conv2d reference has cases");
    for (int i = 0; i < ncases; i++) {
        ccase c;
        if (load_case(&td, i, &c) == 0) test_case_vs_torch(&c, i, "naive-kernel", 1);
    }
    for (int be = 0; be < GEMM_BACKEND_COUNT; be++) {
        gemm_set_backend((gemm_backend)be);
        for (int i = 0; i < ncases; i++) {
            ccase c;
            if (load_case(&td, i, &c) == 0)
                test_case_vs_torch(&c, i, gemm_backend_name((gemm_backend)be), 0);
        }
    }
    gemm_set_backend(GEMM_BACKEND_ONEDNN);
    for (int i = 0; i < ncases; i++) {
        ccase c;
        if (load_case(&td, i, &c) == 0) test_case_fd(&c, i);
    }
    test_random_vs_naive();
    /* column tiles of one output row, and of a few rows (the last tile partial) */
    static const size_t limits[] = {1, 5 * 144 * 8 * sizeof(float)}; /* 1 and 5 rows of c10 */
    for (size_t li = 0; li < sizeof limits / sizeof limits[0]; li++) {
        conv2d_dims big = {1, 16, 12, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1};
        conv2d_set_col_limit(0);
        size_t full = conv2d_scratch_bytes(&big);
        conv2d_set_col_limit(limits[li]);
        size_t tiled = conv2d_scratch_bytes(&big);
        tl_expect(tiled < full, "column limit shrinks the scratch", "%zu -> %zu bytes", full, tiled);
        char label[64];
        snprintf(label, sizeof label, "col-limit-%zu", limits[li]);
        for (int i = 0; i < ncases; i++) {
            ccase c;
            if (load_case(&td, i, &c) == 0) test_case_vs_torch(&c, i, label, 0);
        }
        test_random_vs_naive();
    }
    conv2d_set_col_limit(0);
    test_errors();
    tensor_dict_free(&td);
    arena_free(&g_scratch);
    return tl_summary("test_conv2d");
}
