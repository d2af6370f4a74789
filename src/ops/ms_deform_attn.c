/* ms_deform_attn.c: multi-scale deformable attention core. See ms_deform_attn.h. */
#include "ops/ms_deform_attn.h"

#include <math.h>
#include <stddef.h>

#include "core/omp.h"
#include "ops/grid_sample.h"

/* Hot loops call fmaf(); with no -mfma in the build that is a libm call per element. On
 * GCC/x86-64/Linux the loops are also compiled for FMA hardware and picked at load time
 * (ifunc). Results are identical: fmaf is exact either way and ISO C mode never contracts
 * other expressions (-ffp-contract=off). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define FMA_CLONES
#endif

/* ---- torch 1.13 CPU float sum order (SumKernel cascade_sum) ---- */

static int64_t ceil_log2(int64_t x) {
    if (x <= 2) return 1;
    int64_t b = 0;
    uint64_t v = (uint64_t)x - 1;
    while (v) b++, v >>= 1;
    return b;
}

/* 4 interleaved accumulators over `size` groups of 4 (group i = x[4i .. 4i+3], times stride),
 * with the multi-level cascade torch uses to limit error growth. */
static void multi_row_sum4(float acc_out[4], const float *x, int64_t stride, int64_t size) {
    enum { LEVELS = 4 };
    int64_t power = ceil_log2(size) / LEVELS;
    if (power < 4) power = 4;
    const int64_t step = (int64_t)1 << power, mask0 = step - 1;
    float acc[LEVELS][4] = {{0}};
    int64_t i = 0;
    while (i + step <= size) {
        for (int64_t j = 0; j < step; j++, i++)
            for (int k = 0; k < 4; k++) acc[0][k] += x[(4 * i + k) * stride];
        for (int j = 1; j < LEVELS; j++) {
            for (int k = 0; k < 4; k++) {
                acc[j][k] += acc[j - 1][k];
                acc[j - 1][k] = 0.0f;
            }
            if ((i & (mask0 << (j * power))) != 0) break;
        }
    }
    for (; i < size; i++)
        for (int k = 0; k < 4; k++) acc[0][k] += x[(4 * i + k) * stride];
    for (int j = 1; j < LEVELS; j++)
        for (int k = 0; k < 4; k++) acc[0][k] += acc[j][k];
    for (int k = 0; k < 4; k++) acc_out[k] = acc[0][k];
}

/* torch's row_sum: ILP-4 partial sums, the tail into partial 0, then partials 1..3 added */
static inline float row_sum_strided(const float *x, int64_t stride, int64_t n) {
    float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int64_t groups = n / 4;
    if (groups < 16) { /* no cascade level is ever reached: plain interleaved sums */
        for (int64_t i = 0; i < groups; i++)
            for (int k = 0; k < 4; k++) part[k] += x[(4 * i + k) * stride];
    } else {
        multi_row_sum4(part, x, stride, groups);
    }
    for (int64_t i = groups * 4; i < n; i++) part[0] += x[i * stride];
    for (int k = 1; k < 4; k++) part[0] += part[k];
    return part[0];
}

float ms_deform_attn_row_sum(const float *x, int64_t n) {
    enum { LANES = 8 }; /* Vectorized<float> on AVX2 */
    if (n < LANES) return row_sum_strided(x, 1, n);
    int64_t nv = n / LANES;
    float lane[LANES];
    for (int l = 0; l < LANES; l++) lane[l] = row_sum_strided(x + l, LANES, nv);
    float acc = 0.0f;
    for (int64_t k = nv * LANES; k < n; k++) acc += x[k];
    for (int l = 0; l < LANES; l++) acc += lane[l];
    return acc;
}

/* ---- argument checks ---- */

static vct_status check_args(const char *what, const int64_t *shapes, const int64_t *level_start,
                             int64_t N, int64_t S, int64_t M, int64_t D, int64_t L, int64_t P,
                             int64_t Lq, vct_error *err) {
    if (!shapes || !level_start)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: NULL spatial shapes / level start", what);
    if (N < 0 || S < 0 || M < 1 || D < 1 || L < 1 || P < 1 || Lq < 0)
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "%s: bad sizes N %lld S %lld M %lld D %lld L %lld P %lld Lq %lld", what,
                        (long long)N, (long long)S, (long long)M, (long long)D, (long long)L,
                        (long long)P, (long long)Lq);
    if (L * P > MSDA_MAX_LP)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: L*P = %lld exceeds %d", what,
                        (long long)(L * P), MSDA_MAX_LP);
    int64_t total = 0;
    for (int64_t l = 0; l < L; l++) {
        int64_t H = shapes[2 * l], W = shapes[2 * l + 1];
        if (H < 1 || W < 1)
            return vct_fail(err, VCT_STATUS_SHAPE, "%s: level %lld has size %lldx%lld", what,
                            (long long)l, (long long)H, (long long)W);
        if (level_start[l] != total)
            return vct_fail(err, VCT_STATUS_SHAPE, "%s: level_start[%lld] = %lld, expected %lld", what,
                            (long long)l, (long long)level_start[l], (long long)total);
        total += H * W;
    }
    if (total != S)
        return vct_fail(err, VCT_STATUS_SHAPE, "%s: levels hold %lld tokens, value has S = %lld", what,
                        (long long)total, (long long)S);
    return VCT_STATUS_OK;
}

/* grid value of a location, as the fallback rounds it: fp32(fp32(2*loc) - 1) */
static inline float loc_to_grid(float x) { return 2.0f * x - 1.0f; }

/* ---- forward ---- */

enum { MSDA_DBLOCK = 32 }; /* channels sampled per pass */
static const float msda_zero_block[MSDA_DBLOCK];

/* Sample channels [0, nd) of one tap at `base` (channel 0 of the level's pixel (0,0) of this
 * head; pixel stride MD) and store fp32(sample * a) at prod[dd * LP]. Same arithmetic as
 * bilinear_tap_sample: a corner outside the map reads 0 (here from a zero block). */
FMA_CLONES
static void sample_block(float *prod, int64_t LP, const float *base, int64_t MD, bilinear_tap t,
                         int64_t H, int64_t W, float a, int64_t nd) {
    if (!t.valid) {
        for (int64_t dd = 0; dd < nd; dd++) prod[dd * LP] = 0.0f * a;
        return;
    }
    int64_t x1 = t.x0 + 1, y1 = t.y0 + 1;
    int inx0 = t.x0 >= 0, inx1 = x1 < W, iny0 = t.y0 >= 0, iny1 = y1 < H;
    const float *c0 = iny0 && inx0 ? base + (t.y0 * W + t.x0) * MD : msda_zero_block;
    const float *c1 = iny0 && inx1 ? base + (t.y0 * W + x1) * MD : msda_zero_block;
    const float *c2 = iny1 && inx0 ? base + (y1 * W + t.x0) * MD : msda_zero_block;
    const float *c3 = iny1 && inx1 ? base + (y1 * W + x1) * MD : msda_zero_block;
    const float nw = t.s * t.e, ne = t.s * t.w, sw = t.n * t.e, se = t.n * t.w;
    for (int64_t dd = 0; dd < nd; dd++) {
        float acc = c0[dd] * nw;
        acc = fmaf(c1[dd], ne, acc);
        acc = fmaf(c2[dd], sw, acc);
        acc = fmaf(c3[dd], se, acc);
        prod[dd * LP] = acc * a;
    }
}

vct_status ms_deform_attn_forward(float *out, const float *value, const int64_t *shapes,
                                  const int64_t *level_start, const float *loc, const float *attw,
                                  int64_t N, int64_t S, int64_t M, int64_t D, int64_t L, int64_t P,
                                  int64_t Lq, vct_error *err) {
    VCT_TRY(check_args("ms_deform_attn_forward", shapes, level_start, N, S, M, D, L, P, Lq, err));
    if (!out || !value || !loc || !attw)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "ms_deform_attn_forward: NULL buffer");
    const int64_t LP = L * P, MD = M * D, units = N * Lq;
#pragma omp parallel for schedule(static)
    for (int64_t nq = 0; nq < units; nq++) {
        int64_t n = nq / Lq;
        bilinear_tap tap[MSDA_MAX_LP];
        float prod[MSDA_DBLOCK * MSDA_MAX_LP]; /* [channel][l*P + p] */
        for (int64_t m = 0; m < M; m++) {
            const float *lc = loc + (nq * M + m) * LP * 2;
            const float *aw = attw + (nq * M + m) * LP;
            for (int64_t lp = 0; lp < LP; lp++) {
                int64_t l = lp / P;
                tap[lp] = bilinear_tap_make(loc_to_grid(lc[2 * lp]), loc_to_grid(lc[2 * lp + 1]),
                                            shapes[2 * l], shapes[2 * l + 1]);
            }
            float *o = out + nq * MD + m * D;
            for (int64_t d0 = 0; d0 < D; d0 += MSDA_DBLOCK) {
                int64_t nd = D - d0 < MSDA_DBLOCK ? D - d0 : MSDA_DBLOCK;
                for (int64_t lp = 0; lp < LP; lp++) {
                    int64_t l = lp / P, H = shapes[2 * l], W = shapes[2 * l + 1];
                    const float *base = value + ((n * S + level_start[l]) * M + m) * D + d0;
                    sample_block(prod + lp, LP, base, MD, tap[lp], H, W, aw[lp], nd);
                }
                for (int64_t dd = 0; dd < nd; dd++) o[d0 + dd] = ms_deform_attn_row_sum(prod + dd * LP, LP);
            }
        }
    }
    return VCT_STATUS_OK;
}

void ms_deform_attn_forward_naive(float *out, const float *value, const int64_t *shapes,
                                  const int64_t *level_start, const float *loc, const float *attw,
                                  int64_t N, int64_t S, int64_t M, int64_t D, int64_t L, int64_t P,
                                  int64_t Lq) {
    for (int64_t n = 0; n < N; n++)
        for (int64_t q = 0; q < Lq; q++)
            for (int64_t m = 0; m < M; m++)
                for (int64_t d = 0; d < D; d++) {
                    float acc = 0.0f;
                    for (int64_t l = 0; l < L; l++) {
                        int64_t H = shapes[2 * l], W = shapes[2 * l + 1];
                        for (int64_t p = 0; p < P; p++) {
                            int64_t i = (((n * Lq + q) * M + m) * L + l) * P + p;
                            /* pixel coordinates straight from the location */
                            float gx = 2.0f * loc[2 * i] - 1.0f, gy = 2.0f * loc[2 * i + 1] - 1.0f;
                            float u = (gx + 1.0f) * (float)W / 2.0f - 0.5f;
                            float v = (gy + 1.0f) * (float)H / 2.0f - 0.5f;
                            float fx = floorf(u), fy = floorf(v), s = 0.0f;
                            for (int dy = 0; dy < 2; dy++)
                                for (int dx = 0; dx < 2; dx++) {
                                    float xx = fx + (float)dx, yy = fy + (float)dy;
                                    if (!(xx >= 0 && xx < (float)W && yy >= 0 && yy < (float)H)) continue;
                                    float wx = dx ? u - fx : 1.0f - (u - fx);
                                    float wy = dy ? v - fy : 1.0f - (v - fy);
                                    int64_t tok = level_start[l] + (int64_t)yy * W + (int64_t)xx;
                                    s += wx * wy * value[((n * S + tok) * M + m) * D + d];
                                }
                            acc += attw[i] * s;
                        }
                    }
                    out[((n * Lq + q) * M + m) * D + d] = acc;
                }
}

/* ---- backward ---- */

/* One tap of one (n, q, m): accumulate its gradients over all D channels.
 *   gw  = sum_d dout_d * sample_d                     (for dattw)
 *   gu, gv = sum_d dout_d * a * d sample_d / du, dv   (for dloc, pixel units)
 *   dvalue corners += corner weight * dout_d * a
 * base / dbase: channel 0 of the level's pixel (0,0) of this head in value / dvalue. */
FMA_CLONES
static void tap_backward(float *gw, float *gu, float *gv, float *dbase, const float *base,
                         const float *go, int64_t D, int64_t MD, bilinear_tap t, int64_t H,
                         int64_t W, float a) {
    int64_t x1 = t.x0 + 1, y1 = t.y0 + 1;
    int inx0 = t.x0 >= 0, inx1 = x1 < W, iny0 = t.y0 >= 0, iny1 = y1 < H;
    int64_t o0 = (t.y0 * W + t.x0) * MD, o1 = (t.y0 * W + x1) * MD;
    int64_t o2 = (y1 * W + t.x0) * MD, o3 = (y1 * W + x1) * MD;
    const float nw = t.s * t.e, ne = t.s * t.w, sw = t.n * t.e, se = t.n * t.w;
    float sw_acc = 0.0f, su = 0.0f, sv = 0.0f;
    for (int64_t d = 0; d < D; d++) {
        float v0 = iny0 && inx0 ? base[o0 + d] : 0.0f, v1 = iny0 && inx1 ? base[o1 + d] : 0.0f;
        float v2 = iny1 && inx0 ? base[o2 + d] : 0.0f, v3 = iny1 && inx1 ? base[o3 + d] : 0.0f;
        float g = go[d] * a;
        if (gw) {
            float smp = v0 * nw;
            smp = fmaf(v1, ne, smp);
            smp = fmaf(v2, sw, smp);
            smp = fmaf(v3, se, smp);
            sw_acc += go[d] * smp;
        }
        su += ((v1 - v0) * t.s + (v3 - v2) * t.n) * g;
        sv += ((v2 - v0) * t.e + (v3 - v1) * t.w) * g;
        if (dbase) {
            if (iny0 && inx0) dbase[o0 + d] += nw * g;
            if (iny0 && inx1) dbase[o1 + d] += ne * g;
            if (iny1 && inx0) dbase[o2 + d] += sw * g;
            if (iny1 && inx1) dbase[o3 + d] += se * g;
        }
    }
    if (gw) *gw += sw_acc;
    *gu += su;
    *gv += sv;
}

vct_status ms_deform_attn_backward(float *dvalue, float *dloc, float *dattw, const float *dout,
                                   const float *value, const int64_t *shapes,
                                   const int64_t *level_start, const float *loc, const float *attw,
                                   int64_t N, int64_t S, int64_t M, int64_t D, int64_t L, int64_t P,
                                   int64_t Lq, vct_error *err) {
    VCT_TRY(check_args("ms_deform_attn_backward", shapes, level_start, N, S, M, D, L, P, Lq, err));
    if (!dout || !value || !loc || !attw)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "ms_deform_attn_backward: NULL buffer");
    if (!dvalue && !dloc && !dattw) return VCT_STATUS_OK;
    const int64_t LP = L * P, MD = M * D, units = N * M;
#pragma omp parallel for schedule(static)
    for (int64_t nm = 0; nm < units; nm++) {
        int64_t n = nm / M, m = nm % M;
        for (int64_t q = 0; q < Lq; q++) {
            int64_t row = (n * Lq + q) * M + m; /* index of (n, q, m) */
            const float *lc = loc + row * LP * 2;
            const float *aw = attw + row * LP;
            const float *go = dout + (n * Lq + q) * MD + m * D;
            for (int64_t lp = 0; lp < LP; lp++) {
                int64_t l = lp / P, H = shapes[2 * l], W = shapes[2 * l + 1];
                bilinear_tap t = bilinear_tap_make(loc_to_grid(lc[2 * lp]), loc_to_grid(lc[2 * lp + 1]), H, W);
                if (!t.valid) continue;
                int64_t off = ((n * S + level_start[l]) * M + m) * D;
                float gw = 0.0f, gu = 0.0f, gv = 0.0f;
                tap_backward(dattw ? &gw : NULL, &gu, &gv, dvalue ? dvalue + off : NULL, value + off,
                             go, D, MD, t, H, W, aw[lp]);
                if (dattw) dattw[row * LP + lp] += gw;
                if (dloc) { /* u = loc_x * W - 1/2 through the grid: du/dloc = W */
                    dloc[(row * LP + lp) * 2] += gu * (float)W;
                    dloc[(row * LP + lp) * 2 + 1] += gv * (float)H;
                }
            }
        }
    }
    return VCT_STATUS_OK;
}
