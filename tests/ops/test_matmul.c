/* test_matmul.c: matmul_forward / matmul_backward (batched, transposes, broadcast)
 * against torch 1.13 autograd (tests/ref/gen_matmul.py) on every GEMM backend, plus
 * finite differences of dA and dB in C.
 * Tolerance: atol 1e-4, rtol 1e-4 (randn inputs, K <= 71, broadcast sums over <= 6).
 * Gradient buffers start non-zero: the backward must accumulate (+=). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/omp.h"
#include "ops/gemm.h"
#include "ops/matmul.h"
#include "testlib.h"

#define ATOL 1e-4
#define RTOL 1e-4

typedef struct mcase {
    matmul_dims d;
    int64_t nA, nB, nO;
    const float *A, *B, *dout, *out, *dA, *dB;
} mcase;

static int load_case(const tensor_dict *td, int i, mcase *c) {
    char cs[32];
    snprintf(cs, sizeof cs, "c%d", i);
    const tensor *t = tl_case_tensor(td, cs, "dims", VCT_DTYPE_I64, 8);
    if (!t) return -1;
    const int64_t *v = t->data;
    matmul_dims d = {v[0], v[1], v[2], v[3], (int)v[4], (int)v[5], (int)v[6], (int)v[7]};
    c->d = d;
    c->nA = (d.bcastA ? 1 : d.Bt) * d.M * d.K;
    c->nB = (d.bcastB ? 1 : d.Bt) * d.K * d.N;
    c->nO = d.Bt * d.M * d.N;
#define GET(field, want)                                                                           \
    do {                                                                                           \
        if (!(c->field = tl_case_f32(td, cs, #field, want))) return -1;                            \
    } while (0)
    GET(A, c->nA);
    GET(B, c->nB);
    GET(dout, c->nO);
    GET(out, c->nO);
    GET(dA, c->nA);
    GET(dB, c->nB);
#undef GET
    return 0;
}

static void case_name(char *buf, size_t n, const char *pre, int ci, const matmul_dims *d,
                      const char *what) {
    snprintf(buf, n, "%s c%d [Bt=%lld M=%lld K=%lld N=%lld%s%s%s%s] %s", pre, ci, (long long)d->Bt,
             (long long)d->M, (long long)d->K, (long long)d->N, d->transA ? " tA" : "",
             d->transB ? " tB" : "", d->bcastA ? " bA" : "", d->bcastB ? " bB" : "", what);
}

static void test_case_vs_torch(const mcase *c, int ci, gemm_backend be) {
    const char *bn = gemm_backend_name(be);
    char name[192];
    vct_error err = {0};
    float *out = malloc((size_t)c->nO * sizeof *out);
    for (int64_t i = 0; i < c->nO; i++) out[i] = NAN;
    case_name(name, sizeof name, bn, ci, &c->d, "forward");
    if (matmul_forward(out, c->A, c->B, c->d, &err) != VCT_STATUS_OK)
        tl_fail(name, "%s", err.msg);
    else
        tl_check_close(name, out, c->out, c->nO, ATOL, RTOL);

    float *dA0 = malloc((size_t)c->nA * sizeof *dA0), *dB0 = malloc((size_t)c->nB * sizeof *dB0);
    tl_fill_uniform(dA0, c->nA, 21 + (uint64_t)ci, -1, 1);
    tl_fill_uniform(dB0, c->nB, 22 + (uint64_t)ci, -1, 1);
    float *dA = tl_dup(dA0, c->nA), *dB = tl_dup(dB0, c->nB);
    case_name(name, sizeof name, bn, ci, &c->d, "backward");
    if (matmul_backward(dA, dB, c->dout, c->A, c->B, c->d, &err) != VCT_STATUS_OK) {
        tl_fail(name, "%s", err.msg);
    } else {
        case_name(name, sizeof name, bn, ci, &c->d, "dA (accumulated)");
        tl_check_accumulated(name, dA, dA0, c->dA, c->nA, ATOL, RTOL);
        case_name(name, sizeof name, bn, ci, &c->d, "dB (accumulated)");
        tl_check_accumulated(name, dB, dB0, c->dB, c->nB, ATOL, RTOL);
    }
    /* one gradient at a time: the other operand's pointer is not needed */
    memcpy(dA, dA0, (size_t)c->nA * sizeof *dA);
    case_name(name, sizeof name, bn, ci, &c->d, "dA only");
    if (matmul_backward(dA, NULL, c->dout, NULL, c->B, c->d, &err) != VCT_STATUS_OK)
        tl_fail(name, "%s", err.msg);
    else
        tl_check_accumulated(name, dA, dA0, c->dA, c->nA, ATOL, RTOL);
    free(out);
    free(dA0);
    free(dB0);
    free(dA);
    free(dB);
}

typedef struct fdctx {
    float *A, *B, *out;
    const float *dout;
    matmul_dims d;
    int64_t nO;
} fdctx;

static double fd_loss(void *p) {
    fdctx *c = p;
    vct_error err = {0};
    if (matmul_forward(c->out, c->A, c->B, c->d, &err) != VCT_STATUS_OK) return NAN;
    double s = 0;
    for (int64_t i = 0; i < c->nO; i++) s += (double)c->out[i] * (double)c->dout[i];
    return s;
}

static void test_case_fd(const mcase *c, int ci) {
    fdctx f = {tl_dup(c->A, c->nA), tl_dup(c->B, c->nB), malloc((size_t)c->nO * sizeof(float)),
               c->dout, c->d, c->nO};
    float *dA = calloc((size_t)c->nA, sizeof *dA), *dB = calloc((size_t)c->nB, sizeof *dB);
    vct_error err = {0};
    char name[192];
    case_name(name, sizeof name, "fd", ci, &c->d, "backward");
    if (matmul_backward(dA, dB, c->dout, f.A, f.B, c->d, &err) != VCT_STATUS_OK) {
        tl_fail(name, "%s", err.msg);
    } else {
        tl_fd_opts o = tl_fd_default();
        o.eps = 1e-2; /* the loss is linear in each input */
        case_name(name, sizeof name, "fd", ci, &c->d, "dA");
        tl_fd_check(name, f.A, c->nA, dA, fd_loss, &f, o);
        case_name(name, sizeof name, "fd", ci, &c->d, "dB");
        tl_fd_check(name, f.B, c->nB, dB, fd_loss, &f, o);
    }
    free(f.A);
    free(f.B);
    free(f.out);
    free(dA);
    free(dB);
}

static void test_errors(void) {
    vct_error err = {0};
    float x[4] = {0};
    matmul_dims d = {2, -1, 2, 2, 0, 0, 0, 0};
    vct_status st = matmul_forward(x, x, x, d, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && strstr(err.msg, "M=-1"),
              "matmul: negative M refused", "st=%d msg=%s", (int)st, err.msg);
    matmul_dims d2 = {1, 2, 2, 1, 0, 0, 0, 0};
    st = matmul_backward(x, NULL, x, x, NULL, d2, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT, "matmul: dA without B refused", "st=%d", (int)st);
}

int main(void) {
    vct_error terr = {0};
    if (threads_init(&terr) != VCT_STATUS_OK) {
        fprintf(stderr, "%s\n", terr.msg);
        return 2;
    }
    tensor_dict td;
    tensor_dict_init(&td);
    if (tl_ref_open("matmul", &td) != 0) return tl_summary("test_matmul");
    int ncases = (int)tl_ref_case_count(&td, "cases", "matmul reference has cases");
    for (int be = 0; be < GEMM_BACKEND_COUNT; be++) {
        gemm_set_backend((gemm_backend)be);
        for (int i = 0; i < ncases; i++) {
            mcase c;
            if (load_case(&td, i, &c) == 0) test_case_vs_torch(&c, i, (gemm_backend)be);
        }
    }
    gemm_set_backend(GEMM_BACKEND_ONEDNN);
    for (int i = 0; i < ncases; i++) {
        mcase c;
        if (load_case(&td, i, &c) == 0) test_case_fd(&c, i);
    }
    test_errors();
    tensor_dict_free(&td);
    return tl_summary("test_matmul");
}
