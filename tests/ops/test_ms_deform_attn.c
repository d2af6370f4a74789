/* test_ms_deform_attn.c: multi-scale deformable attention core vs torch 1.13
 * (tests/ref/gen_ms_deform_attn.py, the pure-PyTorch fallback written out).
 *
 *  - ms_deform_attn_row_sum: bit-exact against torch's float sum for lengths 1..1000;
 *  - forward: bit-exact (atol 0) against the fallback, on L*P = 12 (model), 6, 16, 1 cases with
 *    locations on borders, pixel corners and outside the maps; the naive kernel agrees to 1e-5;
 *  - backward: dvalue atol 1e-5 rtol 1e-5, dattw atol 1e-5 rtol 1e-5, dloc atol 1e-4 rtol 1e-4;
 *  - finite differences of sum(out*dout) w.r.t. value (linear), attention weights (linear)
 *    and locations (skipping points within eps of an integer pixel coordinate: kinks);
 *  - argument errors (inconsistent level table, L*P too large). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "ops/ms_deform_attn.h"

typedef struct fd_ctx {
    float *value, *loc, *attw, *out;
    const float *dout;
    const int64_t *shapes, *start;
    int64_t N, S, M, D, L, P, Lq;
} fd_ctx;

static double fd_loss(void *p) {
    fd_ctx *c = p;
    ms_deform_attn_forward(c->out, c->value, c->shapes, c->start, c->loc, c->attw, c->N, c->S, c->M,
                           c->D, c->L, c->P, c->Lq, NULL);
    double s = 0;
    for (int64_t i = 0; i < c->N * c->Lq * c->M * c->D; i++) s += (double)c->out[i] * c->dout[i];
    return s;
}

static int loc_kink(void *p, int64_t i, double eps) {
    fd_ctx *c = p;
    int64_t pt = i / 2; /* index into [N, Lq, M, L, P] */
    int64_t l = (pt / c->P) % c->L;
    double size = (double)c->shapes[2 * l + ((i % 2) ? 0 : 1)];
    double u = c->loc[i] * size - 0.5;
    return fabs(u - nearbyint(u)) <= 2 * eps * size + 1e-6;
}

static void test_row_sum(const tensor_dict *d) {
    const char *lens = tensor_dict_get_meta(d, "sum_lengths");
    if (!tl_expect(lens != NULL, "msda.row_sum.meta", "sum_lengths missing")) return;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", lens);
    int count = 0, bad = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char name[64];
        int64_t n = 0;
        snprintf(name, sizeof name, "sum%s.x", tok);
        const float *x = tl_ref_f32(d, name, &n);
        snprintf(name, sizeof name, "sum%s.s", tok);
        const float *s = tl_ref_f32(d, name, NULL);
        if (!x || !s) return;
        float got = ms_deform_attn_row_sum(x, n);
        if (got != s[0]) {
            printf("  row_sum n=%lld: got %.9g want %.9g\n", (long long)n, got, s[0]);
            bad++;
        }
        count++;
    }
    tl_expect(count >= 10 && bad == 0, "msda.row_sum.bit_exact", "%d of %d lengths differ", bad, count);
}

static void run_case(const tensor_dict *d, int64_t k) {
    char name[256], key[32], label[96];
    snprintf(key, sizeof key, "c%lld", (long long)k);
#define REF(field) (snprintf(name, sizeof name, "%s." field, key), name)
    const int64_t *dims = tl_ref_i64(d, REF("dims"));
    const int64_t *shapes = tl_ref_i64(d, REF("shapes"));
    const int64_t *start = tl_ref_i64(d, REF("level_start"));
    int64_t nv = 0, nl = 0, na = 0, no = 0;
    const float *value = tl_ref_f32(d, REF("value"), &nv);
    const float *loc = tl_ref_f32(d, REF("loc"), &nl);
    const float *attw = tl_ref_f32(d, REF("attw"), &na);
    const float *out = tl_ref_f32(d, REF("out"), &no);
    const float *dout = tl_ref_f32(d, REF("dout"), NULL);
    const float *dvalue = tl_ref_f32(d, REF("dvalue"), NULL);
    const float *dloc = tl_ref_f32(d, REF("dloc"), NULL);
    const float *dattw = tl_ref_f32(d, REF("dattw"), NULL);
#undef REF
    if (!dims || !shapes || !start || !value || !loc || !attw || !out || !dout || !dvalue || !dloc || !dattw)
        return;
    int64_t N = dims[0], S = dims[1], M = dims[2], D = dims[3], L = dims[4], P = dims[5], Lq = dims[6];
    snprintf(label, sizeof label, "msda.%s.L%lldP%lld", key, (long long)L, (long long)P);
    float *got = calloc((size_t)no, sizeof(float)), *naive = calloc((size_t)no, sizeof(float));
    float *gv = calloc((size_t)nv, sizeof(float)), *gl = calloc((size_t)nl, sizeof(float));
    float *ga = calloc((size_t)na, sizeof(float));
    vct_error err = {0};
    vct_status st = ms_deform_attn_forward(got, value, shapes, start, loc, attw, N, S, M, D, L, P, Lq, &err);
    tl_expect(st == VCT_STATUS_OK, label, "forward: %s", err.msg);
    snprintf(name, sizeof name, "%s.forward_bit_exact", label);
    tl_check_close(name, got, out, no, 0, 0);
    ms_deform_attn_forward_naive(naive, value, shapes, start, loc, attw, N, S, M, D, L, P, Lq);
    snprintf(name, sizeof name, "%s.naive", label);
    tl_check_close(name, naive, got, no, 1e-5, 1e-5);
    st = ms_deform_attn_backward(gv, gl, ga, dout, value, shapes, start, loc, attw, N, S, M, D, L, P, Lq, &err);
    tl_expect(st == VCT_STATUS_OK, label, "backward: %s", err.msg);
    snprintf(name, sizeof name, "%s.dvalue", label);
    tl_check_close(name, gv, dvalue, nv, 1e-5, 1e-5);
    snprintf(name, sizeof name, "%s.dattw", label);
    tl_check_close(name, ga, dattw, na, 1e-5, 1e-5);
    snprintf(name, sizeof name, "%s.dloc", label);
    tl_check_close(name, gl, dloc, nl, 1e-4, 1e-4);
    /* NULL gradients skip; a second call accumulates */
    ms_deform_attn_backward(NULL, gl, NULL, dout, value, shapes, start, loc, attw, N, S, M, D, L, P, Lq, &err);
    for (int64_t i = 0; i < nl; i++) gl[i] *= 0.5f;
    snprintf(name, sizeof name, "%s.dloc_accumulates", label);
    tl_check_close(name, gl, dloc, nl, 1e-4, 1e-4);

    /* finite differences on copies */
    float *vc = malloc(sizeof(float) * (size_t)nv), *lcp = malloc(sizeof(float) * (size_t)nl);
    float *ac = malloc(sizeof(float) * (size_t)na);
    memcpy(vc, value, sizeof(float) * (size_t)nv);
    memcpy(lcp, loc, sizeof(float) * (size_t)nl);
    memcpy(ac, attw, sizeof(float) * (size_t)na);
    memset(gv, 0, sizeof(float) * (size_t)nv);
    memset(gl, 0, sizeof(float) * (size_t)nl);
    memset(ga, 0, sizeof(float) * (size_t)na);
    ms_deform_attn_backward(gv, gl, ga, dout, value, shapes, start, loc, attw, N, S, M, D, L, P, Lq, &err);
    fd_ctx c = {vc, lcp, ac, got, dout, shapes, start, N, S, M, D, L, P, Lq};
    tl_fd_opts o = tl_fd_default();
    /* many value entries are never sampled (gradient 0): check all of them on small cases */
    o.samples = nv <= 300 ? nv : 160;
    snprintf(name, sizeof name, "%s.fd_dvalue", label);
    tl_fd_check(name, vc, nv, gv, fd_loss, &c, o);
    o.samples = 64;
    snprintf(name, sizeof name, "%s.fd_dattw", label);
    tl_fd_check(name, ac, na, ga, fd_loss, &c, o);
    o.eps = 1e-4;
    o.atol = 2e-3;
    o.kink = loc_kink;
    o.samples = 96;
    o.min_used = 24;
    snprintf(name, sizeof name, "%s.fd_dloc", label);
    tl_fd_check(name, lcp, nl, gl, fd_loss, &c, o);
    free(vc), free(lcp), free(ac);
    free(got), free(naive), free(gv), free(gl), free(ga);
}

static void test_errors(void) {
    float v[8] = {0}, l[4] = {0}, a[2] = {0}, o[8] = {0};
    int64_t shapes[2] = {2, 2}, bad_start[1] = {1}, start[1] = {0};
    vct_error err = {0};
    tl_expect(ms_deform_attn_forward(o, v, shapes, bad_start, l, a, 1, 4, 1, 2, 1, 1, 1, &err) == VCT_STATUS_SHAPE,
              "msda.error.level_start", "inconsistent level_start accepted");
    tl_expect(strstr(err.msg, "level_start") != NULL, "msda.error.message", "'%s'", err.msg);
    tl_expect(ms_deform_attn_forward(o, v, shapes, start, l, a, 1, 5, 1, 2, 1, 1, 1, &err) == VCT_STATUS_SHAPE,
              "msda.error.token_count", "S disagreeing with the levels accepted");
    tl_expect(ms_deform_attn_forward(o, v, shapes, start, l, a, 1, 4, 1, 2, 1, MSDA_MAX_LP + 1, 1, &err) ==
                  VCT_STATUS_UNSUPPORTED,
              "msda.error.too_many_points", "L*P > MSDA_MAX_LP accepted");
    tl_expect(ms_deform_attn_backward(v, l, a, NULL, v, shapes, start, l, a, 1, 4, 1, 2, 1, 1, 1, &err) ==
                  VCT_STATUS_INVALID_ARGUMENT,
              "msda.error.null_dout", "NULL dout accepted");
}

int main(void) {
    tensor_dict d;
    if (tl_ref_open("ms_deform_attn", &d) != 0) return tl_summary("test_ms_deform_attn");
    test_row_sum(&d);
    int64_t n = tl_ref_case_count(&d, "n_cases", "msda.case_count");
    for (int64_t k = 0; k < n; k++) run_case(&d, k);
    test_errors();
    tensor_dict_free(&d);
    return tl_summary("test_ms_deform_attn");
}
