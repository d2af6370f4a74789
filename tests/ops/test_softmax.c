/* test_softmax.c: softmax / log-softmax over the last dim against torch 1.13
 * (tests/ref/gen_softmax.py), including -inf entries, huge values, a fully
 * -inf row (NaN like torch) and C = 1; += semantics; finite differences. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/softmax.h"
#include "testlib.h"

static tensor_dict R;

static const float *get(const char *c, const char *f, int64_t n) {
    return tl_case_f32(&R, c, f, n);
}

static const int64_t *get_cfg(const char *c, int64_t n) {
    const tensor *t = tl_case_tensor(&R, c, "cfg", VCT_DTYPE_I64, n);
    return t ? t->data : NULL;
}

typedef vct_status (*fwd_fn)(float *, const float *, int64_t, int64_t, vct_error *);
typedef vct_status (*bwd_fn)(float *, const float *, const float *, int64_t, int64_t, vct_error *);

typedef struct sm_ctx {
    fwd_fn fwd;
    float *x, *out;
    const float *dout;
    int64_t N, C;
} sm_ctx;

/* sum(out * dout) over finite outputs (log-softmax gives -inf where x = -inf,
 * and those stay -inf under perturbation of other entries) and over outputs
 * below 1e20 in magnitude (the +-1e30 row: its log-probabilities swamp any
 * perturbation in double; that row is skipped by sm_kink) */
static double sm_loss(void *p) {
    sm_ctx *c = p;
    vct_error err = {0};
    if (c->fwd(c->out, c->x, c->N, c->C, &err)) return NAN;
    double s = 0;
    for (int64_t i = 0; i < c->N * c->C; i++)
        if (fabsf(c->out[i]) < 1e20f) s += (double)c->out[i] * c->dout[i];
    return s;
}

/* -inf inputs cannot be perturbed; rows holding +-1e30 are numerically unusable */
static int sm_kink(void *p, int64_t i, double eps) {
    (void)eps;
    sm_ctx *c = p;
    if (!isfinite(c->x[i])) return 1;
    const float *row = c->x + (i / c->C) * c->C;
    for (int64_t j = 0; j < c->C; j++)
        if (isfinite(row[j]) && fabsf(row[j]) > 1e20f) return 1;
    return 0;
}

static void run(const char *cs, const char *op, fwd_fn fwd, bwd_fn bwd, int fd) {
    const int64_t *cfg = get_cfg(cs, 2);
    if (!cfg) return;
    int64_t N = cfg[0], C = cfg[1], n = N * C;
    char pre[64], name[128];
    snprintf(pre, sizeof pre, "%s.%s", cs, op);
    const float *x = get(cs, "x", n), *ro = get(pre, "out", n), *dout = get(pre, "dout", n),
                *rdx = get(pre, "dx", n);
    if (!x || !ro || !dout || !rdx) return;
    float *out = tl_zeros(n), *dx = tl_zeros(n);
    vct_error err = {0};
    vct_status st = fwd(out, x, N, C, &err);
    snprintf(name, sizeof name, "%s forward status", pre);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.out", pre);
    tl_check_close(name, out, ro, n, 1e-7, 2e-6);
    st = bwd(dx, dout, out, N, C, &err);
    snprintf(name, sizeof name, "%s backward status", pre);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.dx", pre);
    tl_check_close(name, dx, rdx, n, 1e-6, 1e-5);
    float *dx1 = tl_dup(dx, n);
    bwd(dx, dout, out, N, C, &err);
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (!(dx[i] == 2.0f * dx1[i]) && !(isnan(dx[i]) && isnan(dx1[i]))) bad++;
    snprintf(name, sizeof name, "%s backward accumulates", pre);
    tl_expect(bad == 0, name, "%lld elements are not 2x after a second backward", (long long)bad);
    /* in-place forward gives the same result */
    float *inplace = tl_dup(x, n);
    fwd(inplace, inplace, N, C, &err);
    bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (memcmp(&inplace[i], &out[i], sizeof(float)) != 0) bad++;
    snprintf(name, sizeof name, "%s in-place forward", pre);
    tl_expect(bad == 0, name, "%lld elements differ", (long long)bad);
    if (fd) {
        /* log-softmax's -inf outputs still pass gradient (-p_j * dout) to the row, but
         * their loss term is -inf: FD runs on a dout that is 0 at non-finite outputs */
        float *dout_fd = tl_dup(dout, n), *dx_fd = tl_zeros(n);
        for (int64_t i = 0; i < n; i++)
            if (!isfinite(out[i])) dout_fd[i] = 0;
        bwd(dx_fd, dout_fd, out, N, C, &err);
        sm_ctx c = {fwd, tl_dup(x, n), tl_zeros(n), dout_fd, N, C};
        tl_fd_opts o = tl_fd_default();
        o.kink = sm_kink;
        /* a row moves all its outputs: float noise of the loss needs the wider step */
        o.eps = 1e-2;
        o.precise = 1;
        o.samples = 128;
        o.min_used = 40;
        snprintf(name, sizeof name, "%s fd dx", pre);
        tl_fd_check(name, c.x, n, dx_fd, sm_loss, &c, o);
        free(c.x), free(c.out), free(dout_fd), free(dx_fd);
    }
    free(out), free(dx), free(dx1), free(inplace);
}

/* the fully -inf row is NaN (torch semantics), the other rows are not */
static void nan_row(void) {
    const float *x = get("sm_c", "x", 65);
    if (!x) return;
    float out[65], lout[65];
    vct_error err = {0};
    softmax_forward(out, x, 5, 13, &err);
    log_softmax_forward(lout, x, 5, 13, &err);
    int nan_ok = 1, rest_ok = 1;
    for (int64_t i = 0; i < 65; i++) {
        int in_row = i / 13 == 2;
        if (in_row && (!isnan(out[i]) || !isnan(lout[i]))) nan_ok = 0;
        if (!in_row && (isnan(out[i]) || isnan(lout[i]))) rest_ok = 0;
    }
    tl_expect(nan_ok, "all -inf row gives NaN", "row 2 not NaN");
    tl_expect(rest_ok, "other rows stay finite", "NaN leaked into another row");
    float one[1] = {NAN};
    float x1[1] = {-1e30f};
    softmax_forward(one, x1, 1, 1, &err);
    tl_expect(one[0] == 1.0f, "single column is 1", "got %g", (double)one[0]);
    tl_expect(softmax_forward(out, x, 1, 0, &err) == VCT_STATUS_SHAPE, "C = 0 refused", "got %s",
              vct_status_name(err.status));
    tl_expect(log_softmax_backward(out, NULL, x, 1, 1, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "NULL dout refused", "got %s", vct_status_name(err.status));
}

int main(void) {
    if (tl_ref_open("softmax", &R) != 0) return tl_summary("ops/softmax");
    const char *cases[] = {"sm_a", "sm_b", "sm_c", "sm_d", "sm_e"};
    for (int i = 0; i < 5; i++) {
        int fd = i < 2; /* sm_c, sm_e: NaN rows make the loss NaN; sm_d's gradient is 0 */
        run(cases[i], "sm", softmax_forward, softmax_backward, fd);
        run(cases[i], "lsm", log_softmax_forward, log_softmax_backward, fd);
    }
    nan_row();
    tensor_dict_free(&R);
    return tl_summary("ops/softmax");
}
