/* test_attention.c: scaled-dot-product attention core vs torch 1.13 (tests/ref/gen_attention.py).
 *
 *  - forward out and probs: atol 2e-6 rtol 1e-5 against torch (no mask, boolean masks per
 *    batch-head / per batch / fully blocked rows giving NaN exactly where torch does, a float
 *    mask with -inf, the decoder's 8x32 and pre_attn's 4x64 shapes, Dv != D); the naive
 *    reference agrees to the same tolerance;
 *  - attention_mask_open_blocked_rows reproduces Mask2Former's rule exactly;
 *  - backward dq, dk, dv: atol 3e-6 rtol 1e-4 (NaN where torch has NaN);
 *  - finite differences of sum(out*dout) w.r.t. q, k and v on every case without NaN rows;
 *  - argument errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "ops/attention.h"

static const uint8_t *ref_u8_opt(const tensor_dict *d, const char *name) {
    const tensor *t = tensor_dict_find(d, name);
    if (!t) return NULL;
    if (t->dtype != VCT_DTYPE_U8) {
        tl_fail(name, "expected a uint8 tensor");
        return NULL;
    }
    return t->data;
}

typedef struct fd_ctx {
    float *q, *k, *v, *out, *probs;
    const float *dout, *add;
    const uint8_t *block;
    int64_t group, BH, Lq, Lk, D, Dv;
} fd_ctx;

static double fd_loss(void *p) {
    fd_ctx *c = p;
    attention_forward(c->out, c->probs, c->q, c->k, c->v, c->add, c->block, c->group, c->BH, c->Lq,
                      c->Lk, c->D, c->Dv, NULL, NULL);
    double s = 0;
    for (int64_t i = 0; i < c->BH * c->Lq * c->Dv; i++) s += (double)c->out[i] * c->dout[i];
    return s;
}

static float *dup(const float *x, int64_t n) {
    float *y = malloc(sizeof(float) * (size_t)n);
    memcpy(y, x, sizeof(float) * (size_t)n);
    return y;
}

static void run_case(const tensor_dict *d, int64_t kc, arena *scratch) {
    char name[256], key[32], label[128];
    snprintf(key, sizeof key, "c%lld", (long long)kc);
#define REF(field) (snprintf(name, sizeof name, "%s." field, key), name)
    const int64_t *dims = tl_ref_i64(d, REF("dims"));
    int64_t nq = 0, nk = 0, nv = 0, no = 0, np = 0;
    const float *q = tl_ref_f32(d, REF("q"), &nq);
    const float *k = tl_ref_f32(d, REF("k"), &nk);
    const float *v = tl_ref_f32(d, REF("v"), &nv);
    const float *out = tl_ref_f32(d, REF("out"), &no);
    const float *probs = tl_ref_f32(d, REF("probs"), &np);
    const float *dout = tl_ref_f32(d, REF("dout"), NULL);
    const float *dq = tl_ref_f32(d, REF("dq"), NULL);
    const float *dk = tl_ref_f32(d, REF("dk"), NULL);
    const float *dv = tl_ref_f32(d, REF("dv"), NULL);
    if (!dims || !q || !k || !v || !out || !probs || !dout || !dq || !dk || !dv) return;
    int64_t BH = dims[0], Lq = dims[1], Lk = dims[2], D = dims[3], Dv = dims[4], group = dims[5];
    int kind = (int)dims[6];
    const uint8_t *block = kind == 1 ? ref_u8_opt(d, REF("block")) : NULL;
    const uint8_t *raw = kind == 1 ? ref_u8_opt(d, REF("block_raw")) : NULL;
    const float *add = kind == 2 ? tl_ref_f32(d, REF("add"), NULL) : NULL;
#undef REF
    if ((kind == 1 && (!block || !raw)) || (kind == 2 && !add)) {
        tl_fail(key, "mask missing from the reference");
        return;
    }
    snprintf(label, sizeof label, "attention.%s.BH%lldLq%lldLk%lldD%lld%s", key, (long long)BH,
             (long long)Lq, (long long)Lk, (long long)D, kind == 1 ? ".bool" : kind == 2 ? ".float" : "");
    int64_t nmask = BH / group;
    if (raw) { /* the Mask2Former rule, on a copy of the raw mask */
        uint8_t *m = malloc((size_t)(nmask * Lq * Lk));
        memcpy(m, raw, (size_t)(nmask * Lq * Lk));
        int64_t opened = attention_mask_open_blocked_rows(m, nmask * Lq, Lk), diff = 0, was_open = 0;
        for (int64_t i = 0; i < nmask * Lq * Lk; i++) diff += m[i] != block[i];
        for (int64_t i = 0; i < nmask * Lq * Lk; i++) was_open += m[i] != raw[i];
        snprintf(name, sizeof name, "%s.open_blocked_rows", label);
        /* cases whose reference mask was fixed must match it; raw NaN cases are left as is */
        if (memcmp(raw, block, (size_t)(nmask * Lq * Lk)) != 0)
            tl_expect(diff == 0 && opened > 0, name, "%lld entries differ from Mask2Former's rule (%lld rows opened)",
                      (long long)diff, (long long)opened);
        else
            tl_expect(opened > 0 && was_open == opened * Lk, name, "opened %lld rows, changed %lld entries",
                      (long long)opened, (long long)was_open);
        free(m);
    }
    float *o = calloc((size_t)no, sizeof(float)), *pr = calloc((size_t)np, sizeof(float));
    float *on = calloc((size_t)no, sizeof(float)), *pn = calloc((size_t)np, sizeof(float));
    float *gq = calloc((size_t)nq, sizeof(float)), *gk = calloc((size_t)nk, sizeof(float));
    float *gv = calloc((size_t)nv, sizeof(float));
    vct_error err = {0};
    vct_status st = attention_forward(o, pr, q, k, v, add, block, group, BH, Lq, Lk, D, Dv, scratch, &err);
    tl_expect(st == VCT_STATUS_OK, label, "forward: %s", err.msg);
    snprintf(name, sizeof name, "%s.out", label);
    tl_check_close(name, o, out, no, 2e-6, 1e-5);
    snprintf(name, sizeof name, "%s.probs", label);
    tl_check_close(name, pr, probs, np, 2e-6, 1e-5);
    int64_t nan_rows = 0;
    for (int64_t i = 0; i < np; i += Lk) nan_rows += isnan(probs[i]);
    if (nan_rows) {
        int64_t both = 0;
        for (int64_t i = 0; i < np; i++) both += isnan(pr[i]) && isnan(probs[i]);
        snprintf(name, sizeof name, "%s.nan_rows_like_torch", label);
        tl_expect(both == nan_rows * Lk, name, "%lld NaN entries, torch has %lld", (long long)both,
                  (long long)(nan_rows * Lk));
    }
    attention_forward_naive(on, pn, q, k, v, add, block, group, BH, Lq, Lk, D, Dv);
    snprintf(name, sizeof name, "%s.naive_out", label);
    tl_check_close(name, on, o, no, 2e-6, 1e-5);
    snprintf(name, sizeof name, "%s.naive_probs", label);
    tl_check_close(name, pn, pr, np, 2e-6, 1e-5);
    st = attention_backward(gq, gk, gv, dout, pr, q, k, v, BH, Lq, Lk, D, Dv, scratch, &err);
    tl_expect(st == VCT_STATUS_OK, label, "backward: %s", err.msg);
    snprintf(name, sizeof name, "%s.dq", label);
    tl_check_close(name, gq, dq, nq, 3e-6, 1e-4);
    snprintf(name, sizeof name, "%s.dk", label);
    tl_check_close(name, gk, dk, nk, 3e-6, 1e-4);
    snprintf(name, sizeof name, "%s.dv", label);
    tl_check_close(name, gv, dv, nv, 3e-6, 1e-4);
    /* NULL gradients are skipped and the others accumulate */
    st = attention_backward(NULL, gk, gv, dout, pr, q, k, v, BH, Lq, Lk, D, Dv, NULL, &err);
    for (int64_t i = 0; i < nk; i++) gk[i] *= 0.5f;
    for (int64_t i = 0; i < nv; i++) gv[i] *= 0.5f;
    snprintf(name, sizeof name, "%s.dk_accumulates", label);
    tl_check_close(name, gk, dk, nk, 3e-6, 1e-4);
    snprintf(name, sizeof name, "%s.dv_accumulates", label);
    tl_check_close(name, gv, dv, nv, 3e-6, 1e-4);

    if (!nan_rows) {
        fd_ctx c = {dup(q, nq), dup(k, nk), dup(v, nv), o, pr, dout, add, block, group, BH, Lq, Lk, D, Dv};
        memset(gq, 0, sizeof(float) * (size_t)nq);
        memset(gk, 0, sizeof(float) * (size_t)nk);
        memset(gv, 0, sizeof(float) * (size_t)nv);
        attention_forward(o, pr, q, k, v, add, block, group, BH, Lq, Lk, D, Dv, NULL, &err);
        attention_backward(gq, gk, gv, dout, pr, q, k, v, BH, Lq, Lk, D, Dv, NULL, &err);
        tl_fd_opts op = tl_fd_default();
        op.samples = 48;
        op.precise = 1;
        op.eps = 1e-2; /* float noise of the forward: a wide 4-point stencil */
        snprintf(name, sizeof name, "%s.fd_dq", label);
        tl_fd_check(name, c.q, nq, gq, fd_loss, &c, op);
        snprintf(name, sizeof name, "%s.fd_dk", label);
        tl_fd_check(name, c.k, nk, gk, fd_loss, &c, op);
        snprintf(name, sizeof name, "%s.fd_dv", label);
        tl_fd_check(name, c.v, nv, gv, fd_loss, &c, op);
        free(c.q), free(c.k), free(c.v);
    }
    free(o), free(pr), free(on), free(pn), free(gq), free(gk), free(gv);
}

static void test_errors(void) {
    float a[16] = {0}, p[16] = {0};
    uint8_t m[16] = {0};
    vct_error err = {0};
    tl_expect(attention_forward(a, p, a, a, a, NULL, m, 3, 4, 2, 2, 1, 1, NULL, &err) ==
                  VCT_STATUS_INVALID_ARGUMENT,
              "attention.error.mask_group", "mask_group 3 with BH 4 accepted");
    tl_expect(strstr(err.msg, "mask_group") != NULL, "attention.error.message", "'%s'", err.msg);
    tl_expect(attention_forward(a, p, a, a, a, NULL, NULL, 1, 1, 2, 0, 1, 1, NULL, &err) == VCT_STATUS_SHAPE,
              "attention.error.no_keys", "Lk = 0 accepted");
    tl_expect(attention_backward(a, a, a, NULL, p, a, a, a, 1, 2, 2, 1, 1, NULL, &err) ==
                  VCT_STATUS_INVALID_ARGUMENT,
              "attention.error.null_dout", "NULL dout accepted");
    uint8_t rows[9] = {1, 1, 1, 1, 0, 1, 1, 1, 0};
    tl_expect(attention_mask_open_blocked_rows(rows, 3, 3) == 1 && rows[0] == 0 && rows[1] == 0 &&
                  rows[2] == 0 && rows[3] == 1 && rows[4] == 0 && rows[5] == 1 && rows[6] == 1 &&
                  rows[7] == 1 && rows[8] == 0,
              "attention.open_rows.small", "rule applied wrongly");
}

int main(void) {
    tensor_dict d;
    if (tl_ref_open("attention", &d) != 0) return tl_summary("test_attention");
    arena scratch;
    vct_error err = {0};
    if (arena_init(&scratch, 4 << 20, &err) != VCT_STATUS_OK) return 1;
    int64_t n = tl_ref_case_count(&d, "n_cases", "attention.case_count");
    for (int64_t k = 0; k < n; k++) run_case(&d, k, &scratch);
    test_errors();
    tl_expect(scratch.used == 0, "attention.arena_rewound", "arena left at %zu bytes", scratch.used);
    arena_free(&scratch);
    tensor_dict_free(&d);
    return tl_summary("test_attention");
}
