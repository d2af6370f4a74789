/* test_linear.c: linear_forward / linear_backward against torch 1.13 autograd
 * (tests/ref/gen_linear.py) on every GEMM backend, plus finite differences of every
 * gradient (x, w, b) in C.
 * Tolerances: forward and gradients atol 1e-4, rtol 1e-4 (randn inputs, C <= 71).
 * Gradient buffers start non-zero and the check is against start + reference, so the
 * backward must accumulate (+=). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/omp.h"
#include "ops/gemm.h"
#include "ops/linear.h"
#include "testlib.h"

#define ATOL 1e-4
#define RTOL 1e-4

typedef struct lcase {
    int64_t N, C, OC;
    int has_bias;
    const float *x, *w, *b, *dout, *out, *dx, *dw, *db;
} lcase;

static int load_case(const tensor_dict *d, int i, lcase *c) {
    char cs[32];
    snprintf(cs, sizeof cs, "c%d", i);
    const tensor *t = tl_case_tensor(d, cs, "dims", VCT_DTYPE_I64, 4);
    if (!t) return -1;
    const int64_t *dims = t->data;
    c->N = dims[0], c->C = dims[1], c->OC = dims[2], c->has_bias = (int)dims[3];
    int64_t N = c->N, C = c->C, OC = c->OC;
#define GET(field, want)                                                                           \
    do {                                                                                           \
        if (!(c->field = tl_case_f32(d, cs, #field, want))) return -1;                             \
    } while (0)
    GET(x, N * C);
    GET(w, OC * C);
    GET(dout, N * OC);
    GET(out, N * OC);
    GET(dx, N * C);
    GET(dw, OC * C);
    c->b = c->db = NULL;
    if (c->has_bias) {
        GET(b, OC);
        GET(db, OC);
    }
#undef GET
    return 0;
}

static void test_case_vs_torch(const lcase *c, int ci, gemm_backend be) {
    int64_t N = c->N, C = c->C, OC = c->OC;
    const char *bn = gemm_backend_name(be);
    char name[128];
    vct_error err = {0};
    float *out = malloc((size_t)(N * OC) * sizeof *out);
    for (int64_t i = 0; i < N * OC; i++) out[i] = NAN; /* forward must overwrite */
    snprintf(name, sizeof name, "%s c%d forward [%lld,%lld]x[%lld,%lld]^T%s", bn, ci, (long long)N,
             (long long)C, (long long)OC, (long long)C, c->has_bias ? "+b" : "");
    if (linear_forward(out, c->x, c->w, c->b, N, C, OC, &err) != VCT_STATUS_OK)
        tl_fail(name, "%s", err.msg);
    else
        tl_check_close(name, out, c->out, N * OC, ATOL, RTOL);

    float *dx0 = malloc((size_t)(N * C) * sizeof *dx0), *dw0 = malloc((size_t)(OC * C) * sizeof *dw0);
    float *db0 = malloc((size_t)OC * sizeof *db0);
    tl_fill_uniform(dx0, N * C, 11 + (uint64_t)ci, -1, 1);
    tl_fill_uniform(dw0, OC * C, 12 + (uint64_t)ci, -1, 1);
    tl_fill_uniform(db0, OC, 13 + (uint64_t)ci, -1, 1);
    float *dx = tl_dup(dx0, N * C), *dw = tl_dup(dw0, OC * C), *db = tl_dup(db0, OC);
    snprintf(name, sizeof name, "%s c%d backward", bn, ci);
    if (linear_backward(dx, dw, c->has_bias ? db : NULL, c->dout, c->x, c->w, N, C, OC, &err) !=
        VCT_STATUS_OK) {
        tl_fail(name, "%s", err.msg);
    } else {
        snprintf(name, sizeof name, "%s c%d dx (accumulated)", bn, ci);
        tl_check_accumulated(name, dx, dx0, c->dx, N * C, ATOL, RTOL);
        snprintf(name, sizeof name, "%s c%d dw (accumulated)", bn, ci);
        tl_check_accumulated(name, dw, dw0, c->dw, OC * C, ATOL, RTOL);
        if (c->has_bias) {
            snprintf(name, sizeof name, "%s c%d db (accumulated)", bn, ci);
            tl_check_accumulated(name, db, db0, c->db, OC, ATOL, RTOL);
        }
    }
    /* NULL gradients are skipped; only dweight requested must leave others alone */
    float *dw2 = calloc((size_t)(OC * C), sizeof *dw2);
    snprintf(name, sizeof name, "%s c%d backward with only dweight", bn, ci);
    if (linear_backward(NULL, dw2, NULL, c->dout, c->x, NULL, N, C, OC, &err) != VCT_STATUS_OK)
        tl_fail(name, "%s", err.msg);
    else
        tl_check_close(name, dw2, c->dw, OC * C, ATOL, RTOL);
    free(out);
    free(dx0);
    free(dw0);
    free(db0);
    free(dx);
    free(dw);
    free(db);
    free(dw2);
}

/* finite differences of L = sum(out * dout) */
typedef struct fdctx {
    float *x, *w, *b, *out;
    const float *dout;
    int64_t N, C, OC;
} fdctx;

static double fd_loss(void *p) {
    fdctx *c = p;
    vct_error err = {0};
    if (linear_forward(c->out, c->x, c->w, c->b, c->N, c->C, c->OC, &err) != VCT_STATUS_OK) return NAN;
    double s = 0;
    for (int64_t i = 0; i < c->N * c->OC; i++) s += (double)c->out[i] * (double)c->dout[i];
    return s;
}

static void test_case_fd(const lcase *c, int ci) {
    int64_t N = c->N, C = c->C, OC = c->OC;
    fdctx f = {tl_dup(c->x, N * C), tl_dup(c->w, OC * C), c->b ? tl_dup(c->b, OC) : NULL,
               malloc((size_t)(N * OC) * sizeof(float)), c->dout, N, C, OC};
    float *dx = calloc((size_t)(N * C), sizeof *dx), *dw = calloc((size_t)(OC * C), sizeof *dw);
    float *db = calloc((size_t)OC, sizeof *db);
    vct_error err = {0};
    char name[96];
    snprintf(name, sizeof name, "c%d finite differences", ci);
    if (linear_backward(dx, dw, c->b ? db : NULL, c->dout, f.x, f.w, N, C, OC, &err) != VCT_STATUS_OK) {
        tl_fail(name, "%s", err.msg);
    } else {
        /* the loss is linear in each input: a large step costs no truncation error */
        tl_fd_opts o = tl_fd_default();
        o.eps = 1e-2;
        snprintf(name, sizeof name, "c%d fd dx", ci);
        tl_fd_check(name, f.x, N * C, dx, fd_loss, &f, o);
        snprintf(name, sizeof name, "c%d fd dw", ci);
        tl_fd_check(name, f.w, OC * C, dw, fd_loss, &f, o);
        if (c->b) {
            snprintf(name, sizeof name, "c%d fd db", ci);
            tl_fd_check(name, f.b, OC, db, fd_loss, &f, o);
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

static void test_errors(void) {
    vct_error err = {0};
    float x[4] = {0};
    vct_status st = linear_forward(x, x, x, NULL, -1, 2, 2, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && strstr(err.msg, "N=-1"), "linear: negative N refused",
              "st=%d msg=%s", (int)st, err.msg);
    st = linear_backward(x, NULL, NULL, x, x, NULL, 2, 2, 2, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT, "linear: dinp without weight refused", "st=%d", (int)st);
    /* C = 0: out = bias */
    float b[2] = {3, -4}, o[4] = {NAN, NAN, NAN, NAN};
    st = linear_forward(o, NULL, NULL, b, 2, 0, 2, &err);
    tl_expect(st == VCT_STATUS_OK && o[0] == 3 && o[1] == -4 && o[2] == 3 && o[3] == -4,
              "linear: C=0 gives the bias", "st=%d o=%g %g", (int)st, (double)o[0], (double)o[1]);
}

int main(void) {
    vct_error terr = {0};
    if (threads_init(&terr) != VCT_STATUS_OK) {
        fprintf(stderr, "%s\n", terr.msg);
        return 2;
    }
    tensor_dict d;
    tensor_dict_init(&d);
    if (tl_ref_open("linear", &d) != 0) return tl_summary("test_linear");
    int ncases = (int)tl_ref_case_count(&d, "cases", "linear reference has cases");
    for (int be = 0; be < GEMM_BACKEND_COUNT; be++) {
        gemm_set_backend((gemm_backend)be);
        for (int i = 0; i < ncases; i++) {
            lcase c;
            if (load_case(&d, i, &c) == 0) test_case_vs_torch(&c, i, (gemm_backend)be);
        }
    }
    gemm_set_backend(GEMM_BACKEND_ONEDNN);
    for (int i = 0; i < ncases; i++) {
        lcase c;
        if (load_case(&d, i, &c) == 0) test_case_fd(&c, i);
    }
    test_errors();
    tensor_dict_free(&d);
    return tl_summary("test_linear");
}
