/* test_dropout.c: dropout and drop path with the keep masks torch drew
 * (tests/ref/gen_dropout.py): outputs and gradients bit for bit, += semantics,
 * p = 0 / p = 1 special cases, timm's keep_prob = 0 rule, finite differences
 * and argument validation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/dropout.h"
#include "testlib.h"

static tensor_dict R;

static const tensor *get_t(const char *c, const char *f, vct_dtype dt, int64_t n) {
    return tl_case_tensor(&R, c, f, dt, n);
}

typedef struct dp_ctx {
    float *x, *out;
    const float *dout;
    const uint8_t *keep;
    int64_t B, D;
    double p;
    int path; /* 0 dropout, 1 drop path */
} dp_ctx;

static double dp_loss(void *v) {
    dp_ctx *c = v;
    vct_error err = {0};
    vct_status st = c->path ? drop_path_forward(c->out, c->x, c->keep, c->B, c->D, c->p, &err)
                            : dropout_forward(c->out, c->x, c->keep, c->B * c->D, c->p, &err);
    if (st) return NAN;
    double s = 0;
    for (int64_t i = 0; i < c->B * c->D; i++) s += (double)c->out[i] * c->dout[i];
    return s;
}

static void run(const char *cs, int path) {
    char name[128];
    const tensor *tx = get_t(cs, "x", VCT_DTYPE_F32, -1);
    if (!tx) return;
    int64_t n = tensor_numel(tx), B = path ? tx->shape[0] : 1, D = n / B;
    const tensor *tp = get_t(cs, "p", VCT_DTYPE_F64, 1),
                 *tk = get_t(cs, "keep", VCT_DTYPE_U8, path ? B : n),
                 *to = get_t(cs, "out", VCT_DTYPE_F32, n),
                 *tdo = get_t(cs, "dout", VCT_DTYPE_F32, n),
                 *tdx = get_t(cs, "dx", VCT_DTYPE_F32, n);
    if (!tp || !tk || !to || !tdo || !tdx) return;
    double p = ((const double *)tp->data)[0];
    const float *x = tx->data, *ro = to->data, *dout = tdo->data, *rdx = tdx->data;
    const uint8_t *keep = tk->data;
    float *out = tl_zeros(n), *dx = tl_zeros(n);
    vct_error err = {0};
    vct_status st = path ? drop_path_forward(out, x, keep, B, D, p, &err)
                         : dropout_forward(out, x, keep, n, p, &err);
    snprintf(name, sizeof name, "%s forward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.out (exact)", cs);
    tl_check_close(name, out, ro, n, 0, 0);
    st = path ? drop_path_backward(dx, dout, keep, B, D, p, &err)
              : dropout_backward(dx, dout, keep, n, p, &err);
    snprintf(name, sizeof name, "%s backward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.dx (exact)", cs);
    tl_check_close(name, dx, rdx, n, 0, 0);
    float *dx1 = tl_dup(dx, n);
    if (path)
        drop_path_backward(dx, dout, keep, B, D, p, &err);
    else
        dropout_backward(dx, dout, keep, n, p, &err);
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (dx[i] != 2.0f * dx1[i]) bad++;
    snprintf(name, sizeof name, "%s backward accumulates", cs);
    tl_expect(bad == 0, name, "%lld elements are not 2x", (long long)bad);
    float *ip = tl_dup(x, n);
    if (path)
        drop_path_forward(ip, ip, keep, B, D, p, &err);
    else
        dropout_forward(ip, ip, keep, n, p, &err);
    snprintf(name, sizeof name, "%s in-place forward", cs);
    tl_expect(memcmp(ip, out, (size_t)n * sizeof(float)) == 0, name, "differs");
    int any = 0;
    for (int64_t i = 0; i < n; i++) any |= dx1[i] != 0;
    if (any) { /* all-dropped cases have nothing to difference */
        dp_ctx c = {tl_dup(x, n), tl_zeros(n), dout, keep, B, D, p, path};
        snprintf(name, sizeof name, "%s fd dx", cs);
        tl_fd_check(name, c.x, n, dx1, dp_loss, &c, tl_fd_default());
        free(c.x), free(c.out);
    }
    free(out), free(dx), free(dx1), free(ip);
}

static void special(void) {
    float x[4] = {1, -2, INFINITY, 3}, y[4];
    vct_error err = {0};
    uint8_t keep[4] = {1, 0, 1, 1};
    tl_expect(dropout_forward(y, x, NULL, 4, 0.0, &err) == VCT_STATUS_OK &&
                  memcmp(x, y, sizeof x) == 0,
              "dropout p=0 is the identity without a mask", "%s", err.msg);
    tl_expect(dropout_forward(y, x, NULL, 4, 1.0, &err) == VCT_STATUS_OK && y[0] == 0 &&
                  isnan(y[2]),
              "dropout p=1 is x*0 without a mask", "%s", err.msg);
    tl_expect(dropout_forward(y, x, keep, 4, 1.5, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "dropout p=1.5 refused", "got %s", vct_status_name(err.status));
    tl_expect(strstr(err.msg, "1.5") != NULL, "message names the probability", "%s", err.msg);
    tl_expect(dropout_forward(y, x, NULL, 4, 0.5, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "dropout p=0.5 needs a mask", "got %s", vct_status_name(err.status));
    tl_expect(drop_path_forward(y, x, NULL, 2, 2, 0.0, &err) == VCT_STATUS_OK &&
                  memcmp(x, y, sizeof x) == 0,
              "drop path 0 is the identity without a mask", "%s", err.msg);
    tl_expect(drop_path_forward(y, x, keep, 2, 2, -0.1, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "drop path -0.1 refused", "got %s", vct_status_name(err.status));
    tl_expect(dropout_scale(1.0 / 3.0) == 1.0f / (float)(2.0 / 3.0),
              "dropout_scale is float 1/(1-p)", "%.9g", (double)dropout_scale(1.0 / 3.0));
}

int main(void) {
    if (tl_ref_open("dropout", &R) != 0) return tl_summary("ops/dropout");
    const char *dcases[] = {"do_a", "do_b", "do_c", "do_0", "do_1"};
    const char *pcases[] = {"dp_a", "dp_b", "dp_c", "dp_d"};
    for (int i = 0; i < 5; i++) run(dcases[i], 0);
    for (int i = 0; i < 4; i++) run(pcases[i], 1);
    special();
    tensor_dict_free(&R);
    return tl_summary("ops/dropout");
}
