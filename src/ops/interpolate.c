/* interpolate.c: bilinear resize (torch 1.13 CPU semantics). See interpolate.h. */
#include "ops/interpolate.h"

#include <math.h>
#include <stdlib.h>

#include "core/omp.h"

/* Hot loops call fmaf(); with no -mfma in the build that is a libm call per element. On
 * GCC/x86-64/Linux the loops are also compiled for FMA hardware and picked at load time
 * (ifunc). Results are identical: fmaf is exact either way and ISO C mode never contracts
 * other expressions (-ffp-contract=off). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define FMA_CLONES
#endif

/* One entry d of an axis table (model.md §4 item 9). */
static void axis_entry(int64_t *i0, int64_t *i1, float *l0, float *l1, int64_t in, int64_t out,
                       int align_corners, int64_t d) {
    if (in == out) { /* torch copies */
        *i0 = *i1 = d;
        *l0 = 1.0f;
        *l1 = 0.0f;
        return;
    }
    float ratio; /* fp32 division, as torch's area_pixel_compute_scale<float> */
    if (align_corners)
        ratio = out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
    else
        ratio = (float)in / (float)out;
    double src = align_corners ? (double)ratio * (double)d : (double)ratio * ((double)d + 0.5) - 0.5;
    if (src < 0.0) src = 0.0;
    int64_t a = (int64_t)src; /* src >= 0: truncation is floor */
    if (a > in - 1) a = in - 1;
    float lam = (float)(src - (double)a);
    if (lam > 1.0f) lam = 1.0f;
    *i0 = a;
    *i1 = a < in - 1 ? a + 1 : a;
    *l1 = lam;
    *l0 = 1.0f - lam;
}

void interp_axis_weights(int64_t *i0, int64_t *i1, float *l0, float *l1, int64_t in, int64_t out,
                         int align_corners) {
    for (int64_t d = 0; d < out; d++) axis_entry(i0 + d, i1 + d, l0 + d, l1 + d, in, out, align_corners, d);
}

typedef struct axis_tables {
    int64_t *hi0, *hi1, *wi0, *wi1;
    float *hl0, *hl1, *wl0, *wl1;
    void *owned;   /* malloc'ed block when no arena was given */
    size_t mark;
} axis_tables;

static vct_status tables_make(axis_tables *t, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                              int align_corners, arena *scratch, vct_error *err) {
    size_t n = (size_t)(Ho + Wo);
    size_t bytes = n * 2 * sizeof(int64_t) + n * 2 * sizeof(float);
    unsigned char *p;
    t->owned = NULL;
    t->mark = 0;
    if (scratch) {
        t->mark = arena_mark(scratch);
        p = arena_alloc(scratch, bytes);
    } else {
        p = t->owned = malloc(bytes);
    }
    if (!p) return vct_fail(err, VCT_STATUS_NO_MEMORY, "interpolate: no memory for %zu bytes of tables", bytes);
    t->hi0 = (int64_t *)p;
    t->hi1 = t->hi0 + Ho;
    t->wi0 = t->hi1 + Ho;
    t->wi1 = t->wi0 + Wo;
    t->hl0 = (float *)(t->wi1 + Wo);
    t->hl1 = t->hl0 + Ho;
    t->wl0 = t->hl1 + Ho;
    t->wl1 = t->wl0 + Wo;
    interp_axis_weights(t->hi0, t->hi1, t->hl0, t->hl1, H, Ho, align_corners);
    interp_axis_weights(t->wi0, t->wi1, t->wl0, t->wl1, W, Wo, align_corners);
    return VCT_STATUS_OK;
}

static void tables_release(axis_tables *t, arena *scratch) {
    if (scratch)
        arena_rewind(scratch, t->mark);
    else
        free(t->owned);
}

static vct_status check_args(const char *what, const void *a, const void *b, int64_t N, int64_t C,
                             int64_t H, int64_t W, int64_t Ho, int64_t Wo, vct_error *err) {
    if (!a || !b) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", what);
    if (N < 0 || C < 0 || H < 1 || W < 1 || Ho < 1 || Wo < 1)
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "%s: bad sizes N %lld C %lld, in %lldx%lld, out %lldx%lld (need N, C >= 0, "
                        "spatial sizes >= 1)",
                        what, (long long)N, (long long)C, (long long)H, (long long)W, (long long)Ho,
                        (long long)Wo);
    return VCT_STATUS_OK;
}

/* torch 1.13 takes its channels-last kernel whenever the NCHW input is also channels-last
 * contiguous: C == 1, or a 1x1 map. */
static int uses_channels_last_kernel(int64_t C, int64_t H, int64_t W) {
    return C == 1 || (H == 1 && W == 1);
}

/* generic (channels-first) kernel: two nested lerps, each one fused multiply-add */
static inline float lerp2d_generic(const float *r0, const float *r1, int64_t j0, int64_t j1, float a,
                                   float b, float p, float q) {
    float t0 = fmaf(r0[j0], p, r0[j1] * q);
    float t1 = fmaf(r1[j0], p, r1[j1] * q);
    return fmaf(t0, a, t1 * b);
}

/* channels-last kernel: fp32 corner weights, the four products summed in double, one rounding */
static inline float lerp2d_cl(const float *r0, const float *r1, int64_t j0, int64_t j1, float a,
                              float b, float p, float q) {
    float w00 = a * p, w01 = a * q, w10 = b * p, w11 = b * q;
    double s = (double)w00 * r0[j0] + (double)w01 * r0[j1];
    s += (double)w10 * r1[j0];
    s += (double)w11 * r1[j1];
    return (float)s;
}

/* one output plane */
FMA_CLONES
static void resize_plane(float *y, const float *x, const axis_tables *t, int64_t W, int64_t Ho,
                         int64_t Wo, int cl) {
    for (int64_t oh = 0; oh < Ho; oh++) {
        const float *r0 = x + t->hi0[oh] * W, *r1 = x + t->hi1[oh] * W;
        float a = t->hl0[oh], b = t->hl1[oh];
        float *yr = y + oh * Wo;
        if (cl) {
            for (int64_t ow = 0; ow < Wo; ow++)
                yr[ow] = lerp2d_cl(r0, r1, t->wi0[ow], t->wi1[ow], a, b, t->wl0[ow], t->wl1[ow]);
        } else {
            for (int64_t ow = 0; ow < Wo; ow++)
                yr[ow] = lerp2d_generic(r0, r1, t->wi0[ow], t->wi1[ow], a, b, t->wl0[ow], t->wl1[ow]);
        }
    }
}

vct_status interpolate_bilinear_forward(float *out, const float *in, int64_t N, int64_t C, int64_t H,
                                        int64_t W, int64_t Ho, int64_t Wo, int align_corners,
                                        arena *scratch, vct_error *err) {
    VCT_TRY(check_args("interpolate_bilinear_forward", out, in, N, C, H, W, Ho, Wo, err));
    if (N == 0 || C == 0) return VCT_STATUS_OK;
    axis_tables t;
    VCT_TRY(tables_make(&t, H, W, Ho, Wo, align_corners, scratch, err));
    const int64_t planes = N * C;
    const int cl = uses_channels_last_kernel(C, H, W);
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < planes; c++) resize_plane(out + c * Ho * Wo, in + c * H * W, &t, W, Ho, Wo, cl);
    tables_release(&t, scratch);
    return VCT_STATUS_OK;
}

void interpolate_bilinear_forward_naive(float *out, const float *in, int64_t N, int64_t C, int64_t H,
                                        int64_t W, int64_t Ho, int64_t Wo, int align_corners) {
    int cl = uses_channels_last_kernel(C, H, W);
    for (int64_t c = 0; c < N * C; c++) {
        const float *x = in + c * H * W;
        for (int64_t oh = 0; oh < Ho; oh++) {
            for (int64_t ow = 0; ow < Wo; ow++) {
                int64_t h0, h1, w0, w1;
                float a, b, p, q;
                axis_entry(&h0, &h1, &a, &b, H, Ho, align_corners, oh);
                axis_entry(&w0, &w1, &p, &q, W, Wo, align_corners, ow);
                float v;
                if (cl) {
                    double s = (double)(a * p) * x[h0 * W + w0] + (double)(a * q) * x[h0 * W + w1];
                    s += (double)(b * p) * x[h1 * W + w0];
                    s += (double)(b * q) * x[h1 * W + w1];
                    v = (float)s;
                } else {
                    float top = fmaf(x[h0 * W + w0], p, x[h0 * W + w1] * q);
                    float bot = fmaf(x[h1 * W + w0], p, x[h1 * W + w1] * q);
                    v = fmaf(top, a, bot * b);
                }
                out[(c * Ho + oh) * Wo + ow] = v;
            }
        }
    }
}

vct_status interpolate_bilinear_backward(float *din, const float *dout, int64_t N, int64_t C,
                                         int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                                         int align_corners, arena *scratch, vct_error *err) {
    VCT_TRY(check_args("interpolate_bilinear_backward", din, dout, N, C, H, W, Ho, Wo, err));
    if (N == 0 || C == 0) return VCT_STATUS_OK;
    const int64_t NC = N * C;
    axis_tables t;
    VCT_TRY(tables_make(&t, H, W, Ho, Wo, align_corners, scratch, err));
    const int64_t planes = NC;
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < planes; c++) {
        float *gx = din + c * H * W;
        const float *gy = dout + c * Ho * Wo;
        for (int64_t oh = 0; oh < Ho; oh++) {
            float *r0 = gx + t.hi0[oh] * W, *r1 = gx + t.hi1[oh] * W;
            float a = t.hl0[oh], b = t.hl1[oh];
            const float *gr = gy + oh * Wo;
            for (int64_t ow = 0; ow < Wo; ow++) {
                int64_t j0 = t.wi0[ow], j1 = t.wi1[ow];
                float p = t.wl0[ow], q = t.wl1[ow], g = gr[ow];
                r0[j0] += a * p * g;
                r0[j1] += a * q * g;
                r1[j0] += b * p * g;
                r1[j1] += b * q * g;
            }
        }
    }
    tables_release(&t, scratch);
    return VCT_STATUS_OK;
}
