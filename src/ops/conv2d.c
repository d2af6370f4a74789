/* conv2d.c: see conv2d.h. im2col + GEMM per image and group; naive direct loops as
 * the reference. */
#include "ops/conv2d.h"

#include <stdatomic.h>
#include <string.h>

#include "core/omp.h"
#include "ops/gemm.h"

/* parallelise a loop nest of this many elements only outside OpenMP regions */
#define PAR_MIN 32768

vct_status conv2d_out_size(const conv2d_dims *d, int64_t *OH, int64_t *OW, vct_error *err) {
    if (!d) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "conv2d: NULL dims");
    if (d->B < 0 || d->C < 1 || d->H < 1 || d->W < 1 || d->OC < 1 || d->KH < 1 || d->KW < 1 ||
        d->stride_h < 1 || d->stride_w < 1 || d->pad_h < 0 || d->pad_w < 0 || d->dil_h < 1 ||
        d->dil_w < 1 || d->groups < 1)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "conv2d: bad dims input [%lld,%lld,%lld,%lld] weight [%lld,.,%lld,%lld] "
                        "stride %lldx%lld pad %lldx%lld dilation %lldx%lld groups %lld",
                        (long long)d->B, (long long)d->C, (long long)d->H, (long long)d->W,
                        (long long)d->OC, (long long)d->KH, (long long)d->KW,
                        (long long)d->stride_h, (long long)d->stride_w, (long long)d->pad_h,
                        (long long)d->pad_w, (long long)d->dil_h, (long long)d->dil_w,
                        (long long)d->groups);
    if (d->C % d->groups || d->OC % d->groups)
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "conv2d: groups %lld must divide in channels %lld and out channels %lld",
                        (long long)d->groups, (long long)d->C, (long long)d->OC);
    int64_t eh = d->H + 2 * d->pad_h - d->dil_h * (d->KH - 1) - 1;
    int64_t ew = d->W + 2 * d->pad_w - d->dil_w * (d->KW - 1) - 1;
    if (eh < 0 || ew < 0)
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "conv2d: kernel %lldx%lld (dilation %lldx%lld) larger than the padded "
                        "input %lldx%lld",
                        (long long)d->KH, (long long)d->KW, (long long)d->dil_h,
                        (long long)d->dil_w, (long long)(d->H + 2 * d->pad_h),
                        (long long)(d->W + 2 * d->pad_w));
    if (OH) *OH = eh / d->stride_h + 1;
    if (OW) *OW = ew / d->stride_w + 1;
    return VCT_STATUS_OK;
}

/* 1x1, stride 1, no padding: the input image is already the column matrix */
static int is_direct(const conv2d_dims *d) {
    return d->KH == 1 && d->KW == 1 && d->stride_h == 1 && d->stride_w == 1 && d->pad_h == 0 &&
           d->pad_w == 0;
}

/* the most bytes a column tile may take (process-global; tests lower it) */
static _Atomic size_t g_col_limit = CONV2D_COL_LIMIT_DEFAULT;

void conv2d_set_col_limit(size_t bytes) {
    g_col_limit = bytes ? bytes : CONV2D_COL_LIMIT_DEFAULT;
}

/* output rows per column tile: as many as fit the limit, at least one */
static int64_t tile_rows(const conv2d_dims *d, int64_t OH, int64_t OW) {
    if (is_direct(d)) return OH;
    const int64_t per_row = d->C / d->groups * d->KH * d->KW * OW * (int64_t)sizeof(float);
    int64_t t = (int64_t)(g_col_limit / (size_t)per_row);
    return t < 1 ? 1 : t > OH ? OH : t;
}

size_t conv2d_scratch_bytes(const conv2d_dims *d) {
    int64_t OH, OW;
    if (conv2d_out_size(d, &OH, &OW, NULL) != VCT_STATUS_OK || is_direct(d)) return 0;
    int64_t Kg = d->C / d->groups * d->KH * d->KW;
    return (size_t)(Kg * tile_rows(d, OH, OW) * OW) * sizeof(float) + 64; /* + alignment */
}

/* ceil(a / b) for b > 0, and 0 for a <= 0 */
static int64_t ceil_pos(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

/* the output columns [lo, hi) whose tap kw lands inside the input row */
static void valid_cols(const conv2d_dims *d, int64_t kw, int64_t OW, int64_t *lo, int64_t *hi) {
    int64_t off = kw * d->dil_w - d->pad_w; /* iw = ow*sw + off */
    int64_t l = ceil_pos(-off, d->stride_w), h = ceil_pos(d->W - off, d->stride_w);
    if (h > OW) h = OW;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* col [Cg*KH*KW, (oh1-oh0)*OW] from img [Cg, H, W], output rows [oh0, oh1) */
static void im2col(float *col, const float *img, const conv2d_dims *d, int64_t Cg, int64_t oh0,
                   int64_t oh1, int64_t OW) {
    const int64_t H = d->H, W = d->W, KH = d->KH, KW = d->KW, Pt = (oh1 - oh0) * OW;
    const int64_t R = Cg * KH * KW;
#pragma omp parallel for schedule(static) if (R * Pt > PAR_MIN && !threads_in_parallel())
    for (int64_t r = 0; r < R; r++) {
        const int64_t c = r / (KH * KW), kh = (r / KW) % KH, kw = r % KW;
        const float *src = img + c * H * W;
        float *dst = col + r * Pt;
        int64_t lo, hi;
        valid_cols(d, kw, OW, &lo, &hi);
        const int64_t off = kw * d->dil_w - d->pad_w;
        for (int64_t oh = oh0; oh < oh1; oh++) {
            float *drow = dst + (oh - oh0) * OW;
            const int64_t ih = oh * d->stride_h - d->pad_h + kh * d->dil_h;
            if (ih < 0 || ih >= H || lo == hi) {
                memset(drow, 0, (size_t)OW * sizeof(float));
                continue;
            }
            memset(drow, 0, (size_t)lo * sizeof(float));
            memset(drow + hi, 0, (size_t)(OW - hi) * sizeof(float));
            const float *srow = src + ih * W;
            if (d->stride_w == 1)
                memcpy(drow + lo, srow + lo + off, (size_t)(hi - lo) * sizeof(float));
            else
                for (int64_t ow = lo; ow < hi; ow++) drow[ow] = srow[ow * d->stride_w + off];
        }
    }
}

/* dimg [Cg, H, W] += col2im(dcol [Cg*KH*KW, (oh1-oh0)*OW]); split by channel (no races) */
static void col2im_add(float *dimg, const float *dcol, const conv2d_dims *d, int64_t Cg,
                       int64_t oh0, int64_t oh1, int64_t OW) {
    const int64_t H = d->H, W = d->W, KH = d->KH, KW = d->KW, Pt = (oh1 - oh0) * OW;
#pragma omp parallel for schedule(static) if (Cg * KH * KW * Pt > PAR_MIN && !threads_in_parallel())
    for (int64_t c = 0; c < Cg; c++) {
        float *plane = dimg + c * H * W;
        for (int64_t kh = 0; kh < KH; kh++)
            for (int64_t kw = 0; kw < KW; kw++) {
                const float *src = dcol + ((c * KH + kh) * KW + kw) * Pt;
                int64_t lo, hi;
                valid_cols(d, kw, OW, &lo, &hi);
                const int64_t off = kw * d->dil_w - d->pad_w;
                for (int64_t oh = oh0; oh < oh1; oh++) {
                    const int64_t ih = oh * d->stride_h - d->pad_h + kh * d->dil_h;
                    if (ih < 0 || ih >= H) continue;
                    float *prow = plane + ih * W;
                    const float *srow = src + (oh - oh0) * OW;
                    for (int64_t ow = lo; ow < hi; ow++) prow[ow * d->stride_w + off] += srow[ow];
                }
            }
    }
}

static vct_status scratch_cols(arena *scratch, const conv2d_dims *d, float **col, vct_error *err) {
    size_t need = conv2d_scratch_bytes(d);
    *col = NULL;
    if (need == 0) return VCT_STATUS_OK;
    if (scratch) *col = arena_alloc(scratch, need - 64);
    if (!*col)
        return vct_fail(err, VCT_STATUS_NO_MEMORY,
                        "conv2d: scratch arena needs %zu bytes free, has %zu", need,
                        scratch ? scratch->cap - scratch->used : (size_t)0);
    return VCT_STATUS_OK;
}

static vct_status wrap(vct_error *err, const char *fn, const conv2d_dims *d) {
    return vct_error_wrap(err, "%s(input [%lld,%lld,%lld,%lld], weight [%lld,%lld,%lld,%lld])", fn,
                          (long long)d->B, (long long)d->C, (long long)d->H, (long long)d->W,
                          (long long)d->OC, (long long)(d->C / (d->groups ? d->groups : 1)),
                          (long long)d->KH, (long long)d->KW);
}

vct_status conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                          const conv2d_dims *d, arena *scratch, vct_error *err) {
    int64_t OH, OW;
    if (conv2d_out_size(d, &OH, &OW, err) != VCT_STATUS_OK) return wrap(err, "conv2d_forward", d);
    if (d->B == 0) return VCT_STATUS_OK;
    if (!out || !inp || !weight)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "conv2d_forward: NULL buffer");
    const int64_t B = d->B, C = d->C, H = d->H, W = d->W, OC = d->OC, G = d->groups;
    const int64_t Cg = C / G, OCg = OC / G, Kg = Cg * d->KH * d->KW, P = OH * OW;
    const int direct = is_direct(d);
    const int64_t TR = tile_rows(d, OH, OW);
    size_t mark = scratch ? arena_mark(scratch) : 0;
    float *col;
    vct_status st = scratch_cols(scratch, d, &col, err);
    if (st != VCT_STATUS_OK) goto fail;
    if (bias) {
#pragma omp parallel for schedule(static) if (B * OC * P > PAR_MIN && !threads_in_parallel())
        for (int64_t bo = 0; bo < B * OC; bo++) {
            float *o = out + bo * P, v = bias[bo % OC];
            for (int64_t p = 0; p < P; p++) o[p] = v;
        }
    }
    for (int64_t b = 0; b < B; b++)
        for (int64_t g = 0; g < G; g++)
            for (int64_t oh0 = 0; oh0 < OH; oh0 += TR) {
                const int64_t oh1 = oh0 + TR < OH ? oh0 + TR : OH, Pt = (oh1 - oh0) * OW;
                const float *img = inp + (b * C + g * Cg) * H * W;
                const float *cols = img;
                if (!direct) {
                    im2col(col, img, d, Cg, oh0, oh1, OW);
                    cols = col;
                }
                /* out[b, g*OCg.., oh0*OW..] (+)= weight[g] [OCg, Kg] @ cols [Kg, Pt] */
                st = gemm(0, 0, OCg, Pt, Kg, 1.0f, weight + g * OCg * Kg, Kg, cols, Pt,
                          bias ? 1.0f : 0.0f, out + (b * OC + g * OCg) * P + oh0 * OW, P, err);
                if (st != VCT_STATUS_OK) goto fail;
            }
    if (scratch) arena_rewind(scratch, mark);
    return VCT_STATUS_OK;
fail:
    if (scratch) arena_rewind(scratch, mark);
    return wrap(err, "conv2d_forward", d);
}

vct_status conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, const conv2d_dims *d,
                           arena *scratch, vct_error *err) {
    int64_t OH, OW;
    if (conv2d_out_size(d, &OH, &OW, err) != VCT_STATUS_OK) return wrap(err, "conv2d_backward", d);
    if (d->B == 0 || (!dinp && !dweight && !dbias)) return VCT_STATUS_OK;
    if (!dout || (dweight && !inp) || (dinp && !weight))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "conv2d_backward: NULL buffer");
    const int64_t B = d->B, C = d->C, H = d->H, W = d->W, OC = d->OC, G = d->groups;
    const int64_t Cg = C / G, OCg = OC / G, Kg = Cg * d->KH * d->KW, P = OH * OW;
    const int direct = is_direct(d);
    const int64_t TR = tile_rows(d, OH, OW);
    size_t mark = scratch ? arena_mark(scratch) : 0;
    float *col = NULL;
    vct_status st = VCT_STATUS_OK;
    if (dbias) {
        /* dbias[o] += sum over images and pixels, in double, one channel per iteration */
#pragma omp parallel for schedule(static) if (B * OC * P > PAR_MIN && !threads_in_parallel())
        for (int64_t o = 0; o < OC; o++) {
            double s = 0;
            for (int64_t b = 0; b < B; b++) {
                const float *g = dout + (b * OC + o) * P;
                for (int64_t p = 0; p < P; p++) s += g[p];
            }
            dbias[o] += (float)s;
        }
    }
    if (!dinp && !dweight) return VCT_STATUS_OK;
    st = scratch_cols(scratch, d, &col, err);
    if (st != VCT_STATUS_OK) goto fail;
    for (int64_t b = 0; b < B; b++)
        for (int64_t g = 0; g < G; g++)
            for (int64_t oh0 = 0; oh0 < OH; oh0 += TR) {
                const int64_t oh1 = oh0 + TR < OH ? oh0 + TR : OH, Pt = (oh1 - oh0) * OW;
                /* dout[b, g*OCg.., oh0*OW..]: [OCg, Pt] with row stride P */
                const float *gout = dout + (b * OC + g * OCg) * P + oh0 * OW;
                if (dweight) {
                    const float *img = inp + (b * C + g * Cg) * H * W, *cols = img;
                    if (!direct) {
                        im2col(col, img, d, Cg, oh0, oh1, OW);
                        cols = col;
                    }
                    /* dweight[g] [OCg, Kg] += dout [OCg, Pt] @ cols^T [Pt, Kg] */
                    st = gemm(0, 1, OCg, Kg, Pt, 1.0f, gout, P, cols, Pt, 1.0f,
                              dweight + g * OCg * Kg, Kg, err);
                    if (st != VCT_STATUS_OK) goto fail;
                }
                if (dinp) {
                    float *dimg = dinp + (b * C + g * Cg) * H * W;
                    /* dcols [Kg, Pt] = weight[g]^T [Kg, OCg] @ dout [OCg, Pt], then col2im
                     * (+=); the direct case accumulates into dinp in the GEMM itself */
                    st = gemm(1, 0, Kg, Pt, OCg, 1.0f, weight + g * OCg * Kg, Kg, gout, P,
                              direct ? 1.0f : 0.0f, direct ? dimg : col, Pt, err);
                    if (st != VCT_STATUS_OK) goto fail;
                    if (!direct) col2im_add(dimg, col, d, Cg, oh0, oh1, OW);
                }
            }
    if (scratch) arena_rewind(scratch, mark);
    return VCT_STATUS_OK;
fail:
    if (scratch) arena_rewind(scratch, mark);
    return wrap(err, "conv2d_backward", d);
}

/* ---------------------------------------------------------------- reference kernels */

void conv2d_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                          const conv2d_dims *d) {
    int64_t OH = 0, OW = 0;
    conv2d_out_size(d, &OH, &OW, NULL);
    const int64_t B = d->B, C = d->C, H = d->H, W = d->W, OC = d->OC, KH = d->KH, KW = d->KW;
    const int64_t Cg = C / d->groups, OCg = OC / d->groups;
#pragma omp parallel for schedule(static) if (!threads_in_parallel())
    for (int64_t bo = 0; bo < B * OC; bo++) {
        const int64_t b = bo / OC, o = bo % OC, g = o / OCg;
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                double s = bias ? bias[o] : 0.0;
                for (int64_t c = 0; c < Cg; c++)
                    for (int64_t kh = 0; kh < KH; kh++)
                        for (int64_t kw = 0; kw < KW; kw++) {
                            int64_t ih = oh * d->stride_h - d->pad_h + kh * d->dil_h;
                            int64_t iw = ow * d->stride_w - d->pad_w + kw * d->dil_w;
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            s += (double)weight[((o * Cg + c) * KH + kh) * KW + kw] *
                                 (double)inp[((b * C + g * Cg + c) * H + ih) * W + iw];
                        }
                out[(bo * OH + oh) * OW + ow] = (float)s;
            }
    }
}

/* output index along one axis that tap k of input position i comes from, or -1 */
static int64_t src_pos(int64_t i, int64_t k, int64_t stride, int64_t pad, int64_t dil,
                       int64_t n_out) {
    int64_t t = i + pad - k * dil;
    if (t < 0 || t % stride) return -1;
    t /= stride;
    return t < n_out ? t : -1;
}

void conv2d_backward_naive(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, const conv2d_dims *d) {
    int64_t OH = 0, OW = 0;
    conv2d_out_size(d, &OH, &OW, NULL);
    const int64_t B = d->B, C = d->C, H = d->H, W = d->W, OC = d->OC, KH = d->KH, KW = d->KW;
    const int64_t Cg = C / d->groups, OCg = OC / d->groups, P = OH * OW;
    if (dbias)
        for (int64_t o = 0; o < OC; o++) {
            double s = 0;
            for (int64_t b = 0; b < B; b++)
                for (int64_t p = 0; p < P; p++) s += dout[(b * OC + o) * P + p];
            dbias[o] += (float)s;
        }
    if (dweight) {
#pragma omp parallel for schedule(static) if (!threads_in_parallel())
        for (int64_t o = 0; o < OC; o++) {
            const int64_t g = o / OCg;
            for (int64_t c = 0; c < Cg; c++)
                for (int64_t kh = 0; kh < KH; kh++)
                    for (int64_t kw = 0; kw < KW; kw++) {
                        double s = 0;
                        for (int64_t b = 0; b < B; b++)
                            for (int64_t oh = 0; oh < OH; oh++)
                                for (int64_t ow = 0; ow < OW; ow++) {
                                    int64_t ih = oh * d->stride_h - d->pad_h + kh * d->dil_h;
                                    int64_t iw = ow * d->stride_w - d->pad_w + kw * d->dil_w;
                                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                    s += (double)dout[((b * OC + o) * OH + oh) * OW + ow] *
                                         (double)inp[((b * C + g * Cg + c) * H + ih) * W + iw];
                                }
                        dweight[((o * Cg + c) * KH + kh) * KW + kw] += (float)s;
                    }
        }
    }
    if (dinp) {
#pragma omp parallel for schedule(static) if (!threads_in_parallel())
        for (int64_t bc = 0; bc < B * C; bc++) {
            const int64_t b = bc / C, ci = bc % C, g = ci / Cg, c = ci % Cg;
            for (int64_t ih = 0; ih < H; ih++)
                for (int64_t iw = 0; iw < W; iw++) {
                    double s = 0;
                    for (int64_t kh = 0; kh < KH; kh++) {
                        int64_t oh = src_pos(ih, kh, d->stride_h, d->pad_h, d->dil_h, OH);
                        if (oh < 0) continue;
                        for (int64_t kw = 0; kw < KW; kw++) {
                            int64_t ow = src_pos(iw, kw, d->stride_w, d->pad_w, d->dil_w, OW);
                            if (ow < 0) continue;
                            for (int64_t oo = 0; oo < OCg; oo++) {
                                int64_t o = g * OCg + oo;
                                s += (double)dout[((b * OC + o) * OH + oh) * OW + ow] *
                                     (double)weight[((o * Cg + c) * KH + kh) * KW + kw];
                            }
                        }
                    }
                    dinp[(bc * H + ih) * W + iw] += (float)s;
                }
        }
    }
}
