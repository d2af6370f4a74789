/* test_loss.c: cross-entropy (class weights, ignore_index), BCE with logits,
 * Mask2Former sigmoid_ce_loss and dice_loss against torch 1.13
 * (tests/ref/gen_loss.py): loss values, gradients w.r.t. the logits,
 * += semantics, finite differences, and argument validation. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/loss.h"
#include "testlib.h"

static tensor_dict R;

static const tensor *get_t(const char *c, const char *f, vct_dtype dt, int64_t n) {
    return tl_case_tensor(&R, c, f, dt, n);
}

static void check_accum(const char *cs, const float *two, const float *one, int64_t n) {
    char name[128];
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (two[i] != 2.0f * one[i]) bad++;
    snprintf(name, sizeof name, "%s backward accumulates", cs);
    tl_expect(bad == 0, name, "%lld elements are not 2x", (long long)bad);
}

/* The loss is ONE float: its rounding (~6e-8 relative) swamps differences of
 * the per-element gradients of a large problem (~1/n). Finite differences
 * therefore run on a small leading block of each case ([M2, P2] of [M, P]),
 * with the backward evaluated on that same block; the full problem is
 * checked against torch above. */
static float *block(const float *a, int64_t P, int64_t M2, int64_t P2) {
    float *b = tl_zeros(M2 * P2);
    for (int64_t m = 0; m < M2; m++) memcpy(b + m * P2, a + m * P, (size_t)P2 * sizeof *b);
    return b;
}

/* step 2e-2 (4-point stencil); atol = the float rounding of the loss seen
 * through the step: 2 * |loss| * FLT_EPSILON / eps */
static tl_fd_opts loss_fd_opts(double loss) {
    tl_fd_opts o = tl_fd_default();
    o.eps = 2e-2;
    o.precise = 1;
    o.atol = fmax(1e-6, 2.0 * fabs(loss) * FLT_EPSILON / o.eps);
    o.samples = 1000; /* every element of the block */
    return o;
}

/* ------------------------------------------------------------- cross-entropy */

typedef struct ce_ctx {
    float *x, *logp, dloss;
    const int64_t *y;
    const float *w;
    int64_t N, K, ignore;
} ce_ctx;

static double ce_loss(void *p) {
    ce_ctx *c = p;
    vct_error err = {0};
    float l;
    if (ce_loss_forward(&l, c->logp, c->x, c->y, c->w, c->N, c->K, c->ignore, &err)) return NAN;
    return (double)l * c->dloss;
}

static void test_ce(const char *cs) {
    char name[128];
    const tensor *tc = get_t(cs, "cfg", VCT_DTYPE_I64, 4);
    if (!tc) return;
    const int64_t *g = tc->data;
    int64_t N = g[0], K = g[1], ignore = g[2], n = N * K;
    int has_w = (int)g[3];
    const tensor *tx = get_t(cs, "x", VCT_DTYPE_F32, n), *ty = get_t(cs, "y", VCT_DTYPE_I64, N),
                 *tl = get_t(cs, "loss", VCT_DTYPE_F32, 1),
                 *tdl = get_t(cs, "dloss", VCT_DTYPE_F32, 1),
                 *tdx = get_t(cs, "dx", VCT_DTYPE_F32, n);
    const tensor *tw = has_w ? get_t(cs, "w", VCT_DTYPE_F32, K) : NULL;
    if (!tx || !ty || !tl || !tdl || !tdx || (has_w && !tw)) return;
    const float *x = tx->data, *w = has_w ? tw->data : NULL;
    const int64_t *y = ty->data;
    float dloss = ((const float *)tdl->data)[0], loss = 0;
    float *logp = tl_zeros(n), *dx = tl_zeros(n);
    vct_error err = {0};
    vct_status st = ce_loss_forward(&loss, logp, x, y, w, N, K, ignore, &err);
    snprintf(name, sizeof name, "%s forward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.loss", cs);
    tl_check_close(name, &loss, tl->data, 1, 1e-7, 1e-6);
    st = ce_loss_backward(dx, dloss, logp, y, w, N, K, ignore, &err);
    snprintf(name, sizeof name, "%s backward status", cs);
    tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
    snprintf(name, sizeof name, "%s.dx", cs);
    tl_check_close(name, dx, tdx->data, n, 1e-7, 1e-5);
    float *dx1 = tl_dup(dx, n);
    ce_loss_backward(dx, dloss, logp, y, w, N, K, ignore, &err);
    check_accum(cs, dx, dx1, n);
    if (isfinite(loss)) {
        int64_t N2 = N < 2 ? N : 2, n2 = N2 * K;
        ce_ctx c = {tl_dup(x, n2), tl_zeros(n2), dloss, y, w, N2, K, ignore};
        float *dx2 = tl_zeros(n2), l2;
        if (ce_loss_forward(&l2, c.logp, c.x, y, w, N2, K, ignore, &err) == VCT_STATUS_OK &&
            isfinite(l2)) {
            ce_loss_backward(dx2, dloss, c.logp, y, w, N2, K, ignore, &err);
            snprintf(name, sizeof name, "%s fd dx (first %lld rows)", cs, (long long)N2);
            tl_fd_check(name, c.x, n2, dx2, ce_loss, &c, loss_fd_opts(l2 * dloss));
        }
        free(c.x), free(c.logp), free(dx2);
    }
    free(logp), free(dx), free(dx1);
}

/* ------------------------------------------------------- BCE with logits, mean */

typedef struct bce_ctx {
    float *x, dloss;
    const float *t;
    int64_t n;
} bce_ctx;

static double bce_loss(void *p) {
    bce_ctx *c = p;
    vct_error err = {0};
    float l;
    if (bce_logits_forward(&l, c->x, c->t, c->n, &err)) return NAN;
    return (double)l * c->dloss;
}

static void test_bce(void) {
    int64_t n = 0;
    const tensor *tx = get_t("bce", "x", VCT_DTYPE_F32, -1);
    if (!tx) return;
    n = tensor_numel(tx);
    const tensor *tt = get_t("bce", "t", VCT_DTYPE_F32, n),
                 *tl = get_t("bce", "loss", VCT_DTYPE_F32, 1),
                 *tdl = get_t("bce", "dloss", VCT_DTYPE_F32, 1),
                 *tdx = get_t("bce", "dx", VCT_DTYPE_F32, n);
    if (!tt || !tl || !tdl || !tdx) return;
    float loss = 0, dloss = ((const float *)tdl->data)[0], *dx = tl_zeros(n);
    vct_error err = {0};
    tl_expect(bce_logits_forward(&loss, tx->data, tt->data, n, &err) == VCT_STATUS_OK,
              "bce forward status", "%s", err.msg);
    tl_check_close("bce.loss", &loss, tl->data, 1, 1e-7, 1e-6);
    tl_expect(bce_logits_backward(dx, dloss, tx->data, tt->data, n, &err) == VCT_STATUS_OK,
              "bce backward status", "%s", err.msg);
    tl_check_close("bce.dx", dx, tdx->data, n, 1e-9, 1e-5);
    float *dx1 = tl_dup(dx, n);
    bce_logits_backward(dx, dloss, tx->data, tt->data, n, &err);
    check_accum("bce", dx, dx1, n);
    int64_t n2 = 13;
    bce_ctx c = {tl_dup(tx->data, n2), dloss, tt->data, n2};
    float *dx2 = tl_zeros(n2);
    bce_logits_backward(dx2, dloss, c.x, c.t, n2, &err);
    tl_fd_check("bce fd dx (first 13)", c.x, n2, dx2, bce_loss, &c, loss_fd_opts(bce_loss(&c)));
    free(dx2);
    /* per-element stability at huge logits */
    tl_expect(bce_logits_f32(100.0f, 1.0f) == 0.0f &&
                  fabsf(bce_logits_f32(-100.0f, 1.0f) - 100.0f) < 1e-5f,
              "bce element stable at +-100", "%g %g", (double)bce_logits_f32(100.0f, 1.0f),
              (double)bce_logits_f32(-100.0f, 1.0f));
    free(c.x), free(dx), free(dx1);
}

/* -------------------------------------------------- Mask2Former mask losses */

typedef struct mk_ctx {
    int dice;
    float *x, dloss;
    const float *t;
    int64_t M, P;
    double nm;
} mk_ctx;

static double mk_loss(void *p) {
    mk_ctx *c = p;
    vct_error err = {0};
    float l;
    vct_status st = c->dice ? dice_loss_forward(&l, c->x, c->t, c->M, c->P, c->nm, &err)
                            : sigmoid_ce_loss_forward(&l, c->x, c->t, c->M, c->P, c->nm, &err);
    return st ? NAN : (double)l * c->dloss;
}

static void test_masks(const char *cs) {
    char name[128], pre[64];
    const tensor *tc = get_t(cs, "cfg", VCT_DTYPE_I64, 2), *tnm = get_t(cs, "nm", VCT_DTYPE_F64, 1);
    if (!tc || !tnm) return;
    int64_t M = ((const int64_t *)tc->data)[0], P = ((const int64_t *)tc->data)[1], n = M * P;
    double nm = ((const double *)tnm->data)[0];
    const tensor *tx = get_t(cs, "x", VCT_DTYPE_F32, n), *tt = get_t(cs, "t", VCT_DTYPE_F32, n);
    if (!tx || !tt) return;
    for (int dice = 0; dice < 2; dice++) {
        snprintf(pre, sizeof pre, "%s.%s", cs, dice ? "dice" : "ce");
        const tensor *tl = get_t(pre, "loss", VCT_DTYPE_F32, 1),
                     *tdl = get_t(pre, "dloss", VCT_DTYPE_F32, 1),
                     *tdx = get_t(pre, "dx", VCT_DTYPE_F32, n);
        if (!tl || !tdl || !tdx) continue;
        float loss = 0, dloss = ((const float *)tdl->data)[0], *dx = tl_zeros(n);
        vct_error err = {0};
        vct_status st = dice ? dice_loss_forward(&loss, tx->data, tt->data, M, P, nm, &err)
                             : sigmoid_ce_loss_forward(&loss, tx->data, tt->data, M, P, nm, &err);
        snprintf(name, sizeof name, "%s forward status", pre);
        tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
        snprintf(name, sizeof name, "%s.loss", pre);
        tl_check_close(name, &loss, tl->data, 1, 1e-7, 1e-6);
        st = dice ? dice_loss_backward(dx, dloss, tx->data, tt->data, M, P, nm, &err)
                  : sigmoid_ce_loss_backward(dx, dloss, tx->data, tt->data, M, P, nm, &err);
        snprintf(name, sizeof name, "%s backward status", pre);
        tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg);
        snprintf(name, sizeof name, "%s.dx", pre);
        tl_check_close(name, dx, tdx->data, n, 1e-9, 1e-5);
        float *dx1 = tl_dup(dx, n);
        if (dice)
            dice_loss_backward(dx, dloss, tx->data, tt->data, M, P, nm, &err);
        else
            sigmoid_ce_loss_backward(dx, dloss, tx->data, tt->data, M, P, nm, &err);
        check_accum(pre, dx, dx1, n);
        int64_t M2 = 5, P2 = 13; /* masks 0-3: empty, full, fractional, huge logits */
        float *x2 = block(tx->data, P, M2, P2), *t2 = block(tt->data, P, M2, P2);
        float *dx2 = tl_zeros(M2 * P2);
        if (dice)
            dice_loss_backward(dx2, dloss, x2, t2, M2, P2, nm, &err);
        else
            sigmoid_ce_loss_backward(dx2, dloss, x2, t2, M2, P2, nm, &err);
        mk_ctx c = {dice, x2, dloss, t2, M2, P2, nm};
        snprintf(name, sizeof name, "%s fd dx (block %lldx%lld)", pre, (long long)M2,
                 (long long)P2);
        tl_fd_check(name, c.x, M2 * P2, dx2, mk_loss, &c, loss_fd_opts(mk_loss(&c)));
        free(x2), free(t2), free(dx2);
        free(dx), free(dx1);
    }
}

static void bad_args(void) {
    float x[8] = {0}, lp[8], l;
    int64_t y[2] = {0, 4};
    vct_error err = {0};
    tl_expect(ce_loss_forward(&l, lp, x, y, NULL, 2, 4, -100, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "ce target out of range refused", "got %s", vct_status_name(err.status));
    tl_expect(strstr(err.msg, "target[1] = 4") != NULL, "ce message names the target", "%s",
              err.msg);
    y[1] = -100;
    tl_expect(ce_loss_forward(&l, lp, x, y, NULL, 2, 4, -100, &err) == VCT_STATUS_OK,
              "ce ignore_index accepted", "%s", err.msg);
    tl_expect(dice_loss_forward(&l, x, x, 2, 4, 0.0, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "dice num_masks 0 refused", "got %s", vct_status_name(err.status));
    tl_expect(sigmoid_ce_loss_forward(&l, x, x, 2, 0, 1.0, &err) == VCT_STATUS_SHAPE,
              "sigmoid_ce with no points refused", "got %s", vct_status_name(err.status));
}

int main(void) {
    if (tl_ref_open("loss", &R) != 0) return tl_summary("ops/loss");
    test_ce("ce_a");
    test_ce("ce_b");
    test_ce("ce_c"); /* all rows ignored: NaN loss, zero gradient (no FD) */
    test_ce("ce_d");
    test_ce("ce_e");
    test_bce();
    test_masks("mk_a");
    test_masks("mk_b");
    test_masks("mk_c");
    bad_args();
    tensor_dict_free(&R);
    return tl_summary("ops/loss");
}
