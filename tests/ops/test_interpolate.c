/* test_interpolate.c: bilinear interpolation vs torch 1.13 (tests/ref/gen_interpolate.py).
 *
 *  - per-axis weight tables: bit-exact vs torch's (extracted from one-hot inputs);
 *  - forward: bit-exact (atol 0) on odd sizes and on every model size, both align_corners;
 *    the naive reference kernel agrees bit for bit with the fast one;
 *  - backward (din): vs torch autograd, atol 2e-6 rtol 2e-6;
 *  - finite differences of sum(out*dout) w.r.t. the input (the map is linear: no kinks). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "ops/interpolate.h"

static const int64_t *ref_i64(const tensor_dict *d, const char *name, int64_t *n) {
    const tensor *t = tl_ref_tensor(d, name);
    if (!t) return NULL;
    if (t->dtype != VCT_DTYPE_I64) {
        tl_fail(name, "expected an int64 tensor");
        return NULL;
    }
    if (n) *n = tensor_numel(t);
    return t->data;
}

static int64_t meta_int(const tensor_dict *d, const char *key) {
    const char *v = tensor_dict_get_meta(d, key);
    return v ? atoll(v) : -1;
}

/* x[i] = fp32((i*mul) % mod)/fp32(mod) - 0.5 (the generator's fill_formula) */
static void fill_formula(float *x, int64_t n, int64_t mul, int64_t mod) {
    for (int64_t i = 0; i < n; i++) x[i] = (float)((i * mul) % mod) / (float)mod - 0.5f;
}

static void test_tables(const tensor_dict *d) {
    int64_t nt = meta_int(d, "n_tables");
    tl_expect(nt > 0, "interp.tables.count", "n_tables %lld", (long long)nt);
    int64_t bad_tables = 0;
    for (int64_t k = 0; k < nt; k++) {
        char name[64];
        snprintf(name, sizeof name, "t%lld.dims", (long long)k);
        const int64_t *dims = ref_i64(d, name, NULL);
        snprintf(name, sizeof name, "t%lld.cols", (long long)k);
        const int64_t *cols = ref_i64(d, name, NULL);
        snprintf(name, sizeof name, "t%lld.vals", (long long)k);
        const float *vals = tl_ref_f32(d, name, NULL);
        if (!dims || !cols || !vals) return;
        int64_t in = dims[0], out = dims[1];
        int ac = (int)dims[2];
        int64_t *i0 = malloc(sizeof(int64_t) * (size_t)out), *i1 = malloc(sizeof(int64_t) * (size_t)out);
        float *l0 = malloc(sizeof(float) * (size_t)out), *l1 = malloc(sizeof(float) * (size_t)out);
        interp_axis_weights(i0, i1, l0, l1, in, out, ac);
        int64_t bad = 0;
        for (int64_t o = 0; o < out; o++) {
            /* the torch row is x[i0]*l0 + x[i1]*l1 of a one-hot x, i.e. fmaf(1,l0,l1) if i0 == i1 */
            int64_t c[2] = {-1, -1};
            float v[2] = {0, 0};
            int m = 0;
            if (i0[o] == i1[o]) {
                float w = fmaf(1.0f, l0[o], l1[o]);
                if (w != 0) c[m] = i0[o], v[m++] = w;
            } else {
                int64_t a = i0[o] < i1[o] ? i0[o] : i1[o], b = i0[o] < i1[o] ? i1[o] : i0[o];
                float wa = a == i0[o] ? l0[o] : l1[o], wb = a == i0[o] ? l1[o] : l0[o];
                if (wa != 0) c[m] = a, v[m++] = wa;
                if (wb != 0) c[m] = b, v[m++] = wb;
            }
            for (int j = 0; j < 2; j++)
                if (c[j] != cols[2 * o + j] || v[j] != vals[2 * o + j]) {
                    if (bad < 3)
                        printf("  table %lld (%lld->%lld ac %d) row %lld: got (%lld %.9g) want (%lld %.9g)\n",
                               (long long)k, (long long)in, (long long)out, ac, (long long)o,
                               (long long)c[j], v[j], (long long)cols[2 * o + j], vals[2 * o + j]);
                    bad++;
                }
        }
        if (bad) bad_tables++;
        free(i0), free(i1), free(l0), free(l1);
    }
    tl_expect(bad_tables == 0, "interp.tables.bit_exact", "%lld of %lld tables differ from torch",
              (long long)bad_tables, (long long)nt);
}

typedef struct fd_ctx {
    float *x;
    const float *dy;
    float *y;
    int64_t N, C, H, W, Ho, Wo;
    int ac;
} fd_ctx;

static double fd_loss(void *p) {
    fd_ctx *c = p;
    interpolate_bilinear_forward(c->y, c->x, c->N, c->C, c->H, c->W, c->Ho, c->Wo, c->ac, NULL, NULL);
    double s = 0;
    for (int64_t i = 0; i < c->N * c->C * c->Ho * c->Wo; i++) s += (double)c->y[i] * c->dy[i];
    return s;
}

static void test_small(const tensor_dict *d, arena *scratch) {
    int64_t ns = meta_int(d, "n_small");
    tl_expect(ns > 0, "interp.small.count", "n_small %lld", (long long)ns);
    int fd_done = 0;
    for (int64_t k = 0; k < ns; k++) {
        char name[256], key[32];
        snprintf(key, sizeof key, "s%lld", (long long)k);
#define REF(field) (snprintf(name, sizeof name, "%s." field, key), name)
        const int64_t *dims = ref_i64(d, REF("dims"), NULL);
        int64_t nx = 0, ny = 0;
        const float *x = tl_ref_f32(d, REF("x"), &nx);
        const float *y = tl_ref_f32(d, REF("y"), &ny);
        const float *dy = tl_ref_f32(d, REF("dy"), NULL);
        const float *dx = tl_ref_f32(d, REF("dx"), NULL);
        if (!dims || !x || !y || !dy || !dx) return;
        int64_t N = dims[0], C = dims[1], H = dims[2], W = dims[3], Ho = dims[4], Wo = dims[5];
        int ac = (int)dims[6];
        char label[128];
        snprintf(label, sizeof label, "interp.%s.%lldx%lld->%lldx%lld.ac%d", key, (long long)H, (long long)W,
                 (long long)Ho, (long long)Wo, ac);
        float *got = calloc((size_t)ny, sizeof(float)), *naive = calloc((size_t)ny, sizeof(float));
        float *gx = calloc((size_t)nx, sizeof(float));
        vct_error err = {0};
        vct_status st = interpolate_bilinear_forward(got, x, N, C, H, W, Ho, Wo, ac, scratch, &err);
        tl_expect(st == VCT_STATUS_OK, label, "forward failed: %s", err.msg);
        snprintf(name, sizeof name, "%s.forward_bit_exact", label);
        tl_check_close(name, got, y, ny, 0, 0);
        interpolate_bilinear_forward_naive(naive, x, N, C, H, W, Ho, Wo, ac);
        snprintf(name, sizeof name, "%s.naive_eq_fast", label);
        tl_check_close(name, got, naive, ny, 0, 0);
        st = interpolate_bilinear_backward(gx, dy, N, C, H, W, Ho, Wo, ac, scratch, &err);
        tl_expect(st == VCT_STATUS_OK, label, "backward failed: %s", err.msg);
        snprintf(name, sizeof name, "%s.dx", label);
        tl_check_close(name, gx, dx, nx, 2e-6, 2e-6);
        /* accumulation: a second backward adds the same again */
        interpolate_bilinear_backward(gx, dy, N, C, H, W, Ho, Wo, ac, scratch, &err);
        for (int64_t i = 0; i < nx; i++) gx[i] *= 0.5f;
        snprintf(name, sizeof name, "%s.dx_accumulates", label);
        tl_check_close(name, gx, dx, nx, 2e-6, 2e-6);
        if (k % 5 == 1) { /* finite differences on a few cases */
            for (int64_t i = 0; i < nx; i++) gx[i] = 0;
            interpolate_bilinear_backward(gx, dy, N, C, H, W, Ho, Wo, ac, NULL, &err);
            float *xc = malloc(sizeof(float) * (size_t)nx);
            memcpy(xc, x, sizeof(float) * (size_t)nx);
            fd_ctx c = {xc, dy, got, N, C, H, W, Ho, Wo, ac};
            tl_fd_opts o = tl_fd_default();
            o.samples = 48;
            snprintf(name, sizeof name, "%s.fd_dx", label);
            tl_fd_check(name, xc, nx, gx, fd_loss, &c, o);
            free(xc);
            fd_done++;
        }
        free(got), free(naive), free(gx);
#undef REF
    }
    tl_expect(fd_done >= 3, "interp.fd.count", "%d finite-difference cases", fd_done);
}

static void test_formula(const tensor_dict *d, arena *scratch) {
    int64_t nf = meta_int(d, "n_formula");
    tl_expect(nf > 0, "interp.formula.count", "n_formula %lld", (long long)nf);
    for (int64_t k = 0; k < nf; k++) {
        char name[256];
        snprintf(name, sizeof name, "f%lld.dims", (long long)k);
        const int64_t *dims = ref_i64(d, name, NULL);
        int64_t ni = 0, nd = 0;
        snprintf(name, sizeof name, "f%lld.idx", (long long)k);
        const int64_t *idx = ref_i64(d, name, &ni);
        snprintf(name, sizeof name, "f%lld.y_sub", (long long)k);
        const float *ysub = tl_ref_f32(d, name, NULL);
        snprintf(name, sizeof name, "f%lld.didx", (long long)k);
        const int64_t *didx = ref_i64(d, name, &nd);
        snprintf(name, sizeof name, "f%lld.dx_sub", (long long)k);
        const float *dxsub = tl_ref_f32(d, name, NULL);
        if (!dims || !idx || !ysub || !didx || !dxsub) return;
        int64_t N = dims[0], C = dims[1], H = dims[2], W = dims[3], Ho = dims[4], Wo = dims[5];
        int ac = (int)dims[6];
        int64_t nx = N * C * H * W, ny = N * C * Ho * Wo;
        float *x = malloc(sizeof(float) * (size_t)nx), *dy = malloc(sizeof(float) * (size_t)ny);
        float *y = malloc(sizeof(float) * (size_t)ny), *gx = calloc((size_t)nx, sizeof(float));
        float *sub = malloc(sizeof(float) * (size_t)(ni > nd ? ni : nd));
        fill_formula(x, nx, 7919, 2003);
        fill_formula(dy, ny, 104729, 1009);
        vct_error err = {0};
        char label[128];
        snprintf(label, sizeof label, "interp.f%lld.%lldx%lld->%lldx%lld.ac%d", (long long)k, (long long)H,
                 (long long)W, (long long)Ho, (long long)Wo, ac);
        vct_status st = interpolate_bilinear_forward(y, x, N, C, H, W, Ho, Wo, ac, scratch, &err);
        tl_expect(st == VCT_STATUS_OK, label, "forward: %s", err.msg);
        for (int64_t i = 0; i < ni; i++) sub[i] = y[idx[i]];
        snprintf(name, sizeof name, "%s.forward_bit_exact", label);
        tl_check_close(name, sub, ysub, ni, 0, 0);
        st = interpolate_bilinear_backward(gx, dy, N, C, H, W, Ho, Wo, ac, scratch, &err);
        tl_expect(st == VCT_STATUS_OK, label, "backward: %s", err.msg);
        for (int64_t i = 0; i < nd; i++) sub[i] = gx[didx[i]];
        snprintf(name, sizeof name, "%s.dx", label);
        tl_check_close(name, sub, dxsub, nd, 2e-6, 2e-6);
        free(x), free(dy), free(y), free(gx), free(sub);
    }
}

static void test_errors(void) {
    float a[4] = {0}, b[4] = {0};
    vct_error err = {0};
    tl_expect(interpolate_bilinear_forward(a, b, 1, 1, 0, 2, 2, 2, 0, NULL, &err) == VCT_STATUS_SHAPE,
              "interp.error.zero_size", "H = 0 accepted");
    tl_expect(strstr(err.msg, "interpolate") != NULL, "interp.error.message", "message '%s'", err.msg);
    tl_expect(interpolate_bilinear_backward(NULL, b, 1, 1, 2, 2, 2, 2, 0, NULL, &err) ==
                  VCT_STATUS_INVALID_ARGUMENT,
              "interp.error.null", "NULL accepted");
    /* a too-small arena is reported, not crashed on */
    arena tiny;
    arena_init(&tiny, 64, &err);
    tl_expect(interpolate_bilinear_forward(a, b, 1, 1, 2, 2, 2, 2, 0, &tiny, &err) == VCT_STATUS_NO_MEMORY,
              "interp.error.arena_full", "small arena accepted");
    arena_free(&tiny);
}

int main(void) {
    tensor_dict d;
    if (tl_ref_open("interpolate", &d) != 0) return tl_summary("test_interpolate");
    arena scratch;
    vct_error err = {0};
    if (arena_init(&scratch, 1 << 20, &err) != VCT_STATUS_OK) return 1;
    test_tables(&d);
    test_small(&d, &scratch);
    test_formula(&d, &scratch);
    test_errors();
    tl_expect(scratch.used == 0, "interp.arena_rewound", "arena left at %zu bytes", scratch.used);
    arena_free(&scratch);
    tensor_dict_free(&d);
    return tl_summary("test_interpolate");
}
