/* test_pool.c: max / average pooling on NCHW against torch 1.13
 * (tests/ref/gen_pool.py): outputs, argmax indices (ties: first index; NaN
 * wins), gradients, += semantics, finite differences (points near a max-pool
 * tie skipped) and argument validation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/pool.h"
#include "testlib.h"

static tensor_dict R;

static const tensor *get_t(const char *c, const char *f, vct_dtype dt, int64_t n) {
    return tl_case_tensor(&R, c, f, dt, n);
}

typedef struct pool_ctx {
    int is_max;
    float *x, *out;
    int64_t *idx;
    const float *dout;
    int64_t N, C, H, W, n_out;
    pool2d_params p;
} pool_ctx;

static double pool_loss(void *v) {
    pool_ctx *c = v;
    vct_error err = {0};
    vct_status st =
        c->is_max ? maxpool2d_forward(c->out, c->idx, c->x, c->N, c->C, c->H, c->W, c->p, &err)
                  : avgpool2d_forward(c->out, c->x, c->N, c->C, c->H, c->W, c->p, &err);
    if (st) return NAN;
    double s = 0;
    for (int64_t i = 0; i < c->n_out; i++) s += (double)c->out[i] * c->dout[i];
    return s;
}

/* max pool: x[i] is near a kink if another element of its plane is within 2 eps
 * (conservative: windows are small and values random) */
static int max_kink(void *v, int64_t i, double eps) {
    pool_ctx *c = v;
    int64_t plane = i / (c->H * c->W);
    const float *x = c->x + plane * c->H * c->W;
    for (int64_t j = 0; j < c->H * c->W; j++)
        if (j != i % (c->H * c->W) && fabs((double)x[j] - c->x[i]) <= 2 * eps) return 1;
    return 0;
}

static void run(const char *cs, int is_max, int fd) {
    char name[128];
    const tensor *tc = get_t(cs, "cfg", VCT_DTYPE_I64, 11);
    if (!tc) return;
    const int64_t *g = tc->data;
    int64_t N = g[0], C = g[1], H = g[2], W = g[3];
    pool2d_params p = {g[4], g[5], g[6], g[7], g[8], g[9], (int)g[10]};
    int64_t OH = pool2d_out_dim(H, p.kh, p.sh, p.ph), OW = pool2d_out_dim(W, p.kw, p.sw, p.pw);
    int64_t n = N * C * H * W, m = N * C * OH * OW;
    const tensor *tx = get_t(cs, "x", VCT_DTYPE_F32, n), *to = get_t(cs, "out", VCT_DTYPE_F32, m),
                 *tdo = get_t(cs, "dout", VCT_DTYPE_F32, m),
                 *tdx = get_t(cs, "dx", VCT_DTYPE_F32, n);
    const tensor *ti = is_max ? get_t(cs, "idx", VCT_DTYPE_I64, m) : NULL;
    if (!tx || !to || !tdo || !tdx || (is_max && !ti)) return;
    const float *x = tx->data, *dout = tdo->data;
    float *out = tl_zeros(m), *dx = tl_zeros(n);
    int64_t *idx = calloc((size_t)m, sizeof *idx);
    vct_error err = {0};
    vct_status st = is_max ? maxpool2d_forward(out, idx, x, N, C, H, W, p, &err)
                           : avgpool2d_forward(out, x, N, C, H, W, p, &err);
    snprintf(name, sizeof name, "%s forward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.out", cs);
    tl_check_close(name, out, to->data, m, is_max ? 0 : 1e-6, is_max ? 0 : 1e-6);
    if (is_max) {
        const int64_t *ri = ti->data;
        int64_t bad = 0, first = -1;
        for (int64_t i = 0; i < m; i++)
            if (idx[i] != ri[i]) {
                if (first < 0) first = i;
                bad++;
            }
        snprintf(name, sizeof name, "%s.idx (exact)", cs);
        tl_expect(bad == 0, name, "%lld of %lld differ; first [%lld] got %lld want %lld",
                  (long long)bad, (long long)m, (long long)first,
                  first >= 0 ? (long long)idx[first] : 0LL,
                  first >= 0 ? (long long)ri[first] : 0LL);
    }
    st = is_max ? maxpool2d_backward(dx, dout, idx, N, C, H, W, p, &err)
                : avgpool2d_backward(dx, dout, N, C, H, W, p, &err);
    snprintf(name, sizeof name, "%s backward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.dx", cs);
    tl_check_close(name, dx, tdx->data, n, 1e-6, 1e-6);
    /* the backward accumulates: into a buffer of ones it gives 1 + dx (several windows
     * may add to one element, so the sums round differently: not bit-exact) */
    float *dx1 = tl_dup(dx, n), *acc = tl_zeros(n), *want = tl_zeros(n);
    for (int64_t i = 0; i < n; i++) acc[i] = 1.0f, want[i] = 1.0f + dx1[i];
    if (is_max)
        maxpool2d_backward(acc, dout, idx, N, C, H, W, p, &err);
    else
        avgpool2d_backward(acc, dout, N, C, H, W, p, &err);
    snprintf(name, sizeof name, "%s backward accumulates", cs);
    tl_check_close(name, acc, want, n, 1e-6, 1e-6);
    free(acc), free(want);
    if (fd) {
        pool_ctx c = {is_max, tl_dup(x, n), tl_zeros(m), calloc((size_t)m, sizeof(int64_t)), dout,
                      N, C, H, W, m, p};
        tl_fd_opts o = tl_fd_default();
        o.kink = is_max ? max_kink : NULL;
        o.samples = 128;
        /* max pool: elements that are no window's maximum have gradient 0 exactly */
        o.min_used = is_max ? 32 : -1;
        snprintf(name, sizeof name, "%s fd dx", cs);
        tl_fd_check(name, c.x, n, dx1, pool_loss, &c, o);
        free(c.x), free(c.out), free(c.idx);
    }
    free(out), free(dx), free(dx1), free(idx);
}

static void bad_args(void) {
    float x[64] = {0}, y[64];
    int64_t idx[64];
    vct_error err = {0};
    pool2d_params p = {3, 3, 1, 1, 2, 0, 0};
    tl_expect(maxpool2d_forward(y, idx, x, 1, 1, 8, 8, p, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "padding above half the kernel refused", "got %s", vct_status_name(err.status));
    tl_expect(strstr(err.msg, "half") != NULL, "message says why", "%s", err.msg);
    pool2d_params q = {5, 5, 1, 1, 0, 0, 0};
    tl_expect(avgpool2d_forward(y, x, 1, 1, 4, 4, q, &err) == VCT_STATUS_SHAPE,
              "kernel larger than the input refused", "got %s", vct_status_name(err.status));
    pool2d_params s0 = {2, 2, 0, 2, 0, 0, 0};
    tl_expect(avgpool2d_forward(y, x, 1, 1, 4, 4, s0, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "stride 0 refused", "got %s", vct_status_name(err.status));
    pool2d_params v = {2, 2, 2, 2, 0, 0, 0};
    idx[0] = 99;
    for (int i = 1; i < 4; i++) idx[i] = 0;
    tl_expect(maxpool2d_backward(y, x, idx, 1, 1, 4, 4, v, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "argmax outside the plane refused", "got %s", vct_status_name(err.status));
    tl_expect(pool2d_out_dim(96, 2, 2, 0) == 48 && pool2d_out_dim(7, 3, 2, 1) == 4,
              "pool2d_out_dim floor mode", "got %lld", (long long)pool2d_out_dim(7, 3, 2, 1));
}

int main(void) {
    if (tl_ref_open("pool", &R) != 0) return tl_summary("ops/pool");
    run("mp_a", 1, 1);
    run("mp_b", 1, 1);
    run("mp_c", 1, 0); /* integer values: ties everywhere, checked through the indices */
    run("mp_d", 1, 0); /* -inf windows */
    run("mp_nan", 1, 0);
    run("ap_a", 0, 1);
    run("ap_b", 0, 1);
    run("ap_c", 0, 1);
    run("ap_d", 0, 1);
    bad_args();
    tensor_dict_free(&R);
    return tl_summary("ops/pool");
}
