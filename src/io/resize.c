/* resize.c: PIL-exact bilinear (antialiased) and nearest resizing of uint8 images.
 * The arithmetic (double weights, 22-bit fixed point, truncations) follows the rules
 * written out in resize.h; every rounding step there is reproduced in the same order. */
#include "io/resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PIL_PRECISION_BITS 22 /* 32 - 8 - 2 */

/* Fixed-point weights of one axis: output i reads in[lo[i] .. lo[i]+n[i]) with k[i*ksize ..]. */
typedef struct axis_coeffs {
    int64_t ksize;
    int64_t *lo, *n;
    int32_t *k;
} axis_coeffs;

static void axis_coeffs_free(axis_coeffs *a) {
    free(a->lo);
    free(a->n);
    free(a->k);
    memset(a, 0, sizeof *a);
}

static double triangle(double x) {
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static vct_status axis_coeffs_init(axis_coeffs *a, int64_t in_size, int64_t out_size, vct_error *err) {
    memset(a, 0, sizeof *a);
    /* PIL: box edges are floats; scale = (double)(in1 - in0) / out_size */
    double scale = (double)((float)in_size - 0.0f) / (double)out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale; /* triangle filter support 1 */
    int64_t ksize = (int64_t)ceil(support) * 2 + 1;
    double *w = malloc(sizeof *w * (size_t)ksize);
    a->ksize = ksize;
    a->lo = malloc(sizeof *a->lo * (size_t)out_size);
    a->n = malloc(sizeof *a->n * (size_t)out_size);
    a->k = calloc((size_t)(out_size * ksize), sizeof *a->k);
    if (!w || !a->lo || !a->n || !a->k) {
        free(w);
        axis_coeffs_free(a);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "resize: out of memory for %lld x %lld weights",
                        (long long)out_size, (long long)ksize);
    }
    double ss = 1.0 / filterscale;
    for (int64_t i = 0; i < out_size; i++) {
        double center = 0.0 + ((double)i + 0.5) * scale;
        int64_t lo = (int64_t)(int)(center - support + 0.5); /* C truncation, as PIL's (int) */
        if (lo < 0) lo = 0;
        int64_t hi = (int64_t)(int)(center + support + 0.5);
        if (hi > in_size) hi = in_size;
        int64_t n = hi - lo;
        if (n > ksize) n = ksize; /* cannot happen; keeps the buffer safe */
        double ww = 0.0;
        for (int64_t j = 0; j < n; j++) {
            w[j] = triangle(((double)(j + lo) - center + 0.5) * ss);
            ww += w[j];
        }
        for (int64_t j = 0; j < n; j++) {
            double v = ww != 0.0 ? w[j] / ww : w[j];
            double f = v * (double)(1 << PIL_PRECISION_BITS);
            a->k[i * ksize + j] = (int32_t)(v < 0 ? -0.5 + f : 0.5 + f);
        }
        a->lo[i] = lo;
        a->n[i] = n < 0 ? 0 : n;
    }
    free(w);
    return VCT_STATUS_OK;
}

static inline uint8_t clip8(int32_t ss) {
    int32_t v = ss >> PIL_PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

vct_status resize_bilinear_pil(image_u8 *out, const image_u8 *in, int64_t out_h, int64_t out_w,
                               vct_error *err) {
    memset(out, 0, sizeof *out);
    if (!in || !in->data || in->h <= 0 || in->w <= 0 || in->c <= 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "resize: empty input image");
    if (out_h <= 0 || out_w <= 0 || out_h * out_w > IMAGE_MAX_PIXELS || in->h > INT32_MAX / 2 ||
        in->w > INT32_MAX / 2)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "resize: bad output size %lldx%lld",
                        (long long)out_w, (long long)out_h);
    const int64_t C = in->c, H = in->h, W = in->w;
    int need_h = out_w != W, need_v = out_h != H;
    axis_coeffs cx = {0}, cy = {0};
    uint8_t *tmp = NULL;
    vct_status st = VCT_STATUS_OK;
    st = image_alloc(out, out_h, out_w, C, err);
    if (st != VCT_STATUS_OK) goto fail;
    if (!need_h && !need_v) {
        memcpy(out->data, in->data, (size_t)(H * W * C));
        return VCT_STATUS_OK;
    }
    st = axis_coeffs_init(&cy, H, out_h, err);
    if (st != VCT_STATUS_OK) goto fail;

    /* horizontal pass over the input rows the vertical pass reads (PIL: ybox_first..last) */
    const uint8_t *src = in->data;
    int64_t row0 = 0;
    if (need_h) {
        st = axis_coeffs_init(&cx, W, out_w, err);
        if (st != VCT_STATUS_OK) goto fail;
        int64_t first = cy.lo[0], last = cy.lo[out_h - 1] + cy.n[out_h - 1];
        if (!need_v) {
            first = 0;
            last = H;
        }
        int64_t rows = last - first;
        uint8_t *dst = need_v ? (tmp = malloc((size_t)(rows * out_w * C))) : out->data;
        if (!dst) {
            st = vct_fail(err, VCT_STATUS_NO_MEMORY, "resize: out of memory");
            goto fail;
        }
        const int64_t K = cx.ksize;
#pragma omp parallel for schedule(static) if (rows * out_w > 16384)
        for (int64_t y = 0; y < rows; y++) {
            const uint8_t *ir = in->data + (y + first) * W * C;
            uint8_t *orow = dst + y * out_w * C;
            for (int64_t x = 0; x < out_w; x++) {
                const int32_t *k = cx.k + x * K;
                const uint8_t *ip = ir + cx.lo[x] * C;
                int64_t n = cx.n[x];
                for (int64_t c = 0; c < C; c++) {
                    int32_t ss = 1 << (PIL_PRECISION_BITS - 1);
                    for (int64_t j = 0; j < n; j++) ss += (int32_t)ip[j * C + c] * k[j];
                    orow[x * C + c] = clip8(ss);
                }
            }
        }
        src = dst;
        row0 = first;
    }

    /* vertical pass: from src (rows starting at input row row0), width out_w or W */
    if (need_v) {
        const int64_t Wv = need_h ? out_w : W, K = cy.ksize;
#pragma omp parallel for schedule(static) if (out_h * Wv > 16384)
        for (int64_t y = 0; y < out_h; y++) {
            const int32_t *k = cy.k + y * K;
            int64_t lo = cy.lo[y] - row0, n = cy.n[y];
            uint8_t *orow = out->data + y * Wv * C;
            for (int64_t i = 0; i < Wv * C; i++) {
                int32_t ss = 1 << (PIL_PRECISION_BITS - 1);
                for (int64_t j = 0; j < n; j++) ss += (int32_t)src[(lo + j) * Wv * C + i] * k[j];
                orow[i] = clip8(ss);
            }
        }
    }
    free(tmp);
    axis_coeffs_free(&cx);
    axis_coeffs_free(&cy);
    return VCT_STATUS_OK;
fail:
    free(tmp);
    axis_coeffs_free(&cx);
    axis_coeffs_free(&cy);
    image_free(out);
    return st;
}

/* PIL's COORD(): -1 for negative values, else truncation */
static inline int64_t pil_coord(double v) { return v < 0.0 ? -1 : (int64_t)(int)v; }

vct_status resize_nearest_pil(image_u8 *out, const image_u8 *in, int64_t out_h, int64_t out_w,
                              vct_error *err) {
    memset(out, 0, sizeof *out);
    if (!in || !in->data || in->h <= 0 || in->w <= 0 || in->c <= 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "resize: empty input image");
    if (out_h <= 0 || out_w <= 0 || out_h * out_w > IMAGE_MAX_PIXELS || in->h > INT32_MAX / 2 ||
        in->w > INT32_MAX / 2)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "resize: bad output size %lldx%lld",
                        (long long)out_w, (long long)out_h);
    const int64_t C = in->c, H = in->h, W = in->w;
    VCT_TRY(image_alloc(out, out_h, out_w, C, err));
    if (out_h == H && out_w == W) { /* PIL copies */
        memcpy(out->data, in->data, (size_t)(H * W * C));
        return VCT_STATUS_OK;
    }
    int64_t *xt = malloc(sizeof *xt * (size_t)out_w), *yt = malloc(sizeof *yt * (size_t)out_h);
    if (!xt || !yt) {
        free(xt);
        free(yt);
        image_free(out);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "resize: out of memory");
    }
    /* a[0] = (double)(box[2] - box[0]) / xsize with float box edges; running sums */
    double ax = (double)((float)W - 0.0f) / (double)out_w;
    double ay = (double)((float)H - 0.0f) / (double)out_h;
    double xo = 0.0 + ax * 0.5, yo = 0.0 + ay * 0.5;
    for (int64_t x = 0; x < out_w; x++, xo += ax) {
        int64_t v = pil_coord(xo);
        xt[x] = v >= 0 && v < W ? v : -1;
    }
    for (int64_t y = 0; y < out_h; y++, yo += ay) {
        int64_t v = pil_coord(yo);
        yt[y] = v >= 0 && v < H ? v : -1;
    }
#pragma omp parallel for schedule(static) if (out_h * out_w > 65536)
    for (int64_t y = 0; y < out_h; y++) {
        uint8_t *o = out->data + y * out_w * C;
        if (yt[y] < 0) {
            memset(o, 0, (size_t)(out_w * C));
            continue;
        }
        const uint8_t *ir = in->data + yt[y] * W * C;
        for (int64_t x = 0; x < out_w; x++) {
            if (xt[x] < 0) memset(o + x * C, 0, (size_t)C);
            else memcpy(o + x * C, ir + xt[x] * C, (size_t)C);
        }
    }
    free(xt);
    free(yt);
    return VCT_STATUS_OK;
}

vct_status resize_pil_in_place(image_u8 *im, int64_t out_h, int64_t out_w, int nearest, vct_error *err) {
    if (im->h == out_h && im->w == out_w) return VCT_STATUS_OK;
    image_u8 r = {0};
    VCT_TRY(nearest ? resize_nearest_pil(&r, im, out_h, out_w, err) : resize_bilinear_pil(&r, im, out_h, out_w, err));
    image_free(im);
    *im = r;
    return VCT_STATUS_OK;
}
