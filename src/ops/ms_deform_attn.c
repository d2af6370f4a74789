/* ms_deform_attn.c: multi-scale deformable attention core. See ms_deform_attn.h. */
#include "ops/ms_deform_attn.h"

#include <stddef.h>

#include "core/omp.h"
#include "ops/grid_sample.h"

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
static float row_sum_strided(const float *x, int64_t stride, int64_t n) {
    float part[4];
    int64_t groups = n / 4;
    multi_row_sum4(part, x, stride, groups);
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
        float prod[MSDA_MAX_LP];
        for (int64_t m = 0; m < M; m++) {
            const float *lc = loc + (nq * M + m) * LP * 2;
            const float *aw = attw + (nq * M + m) * LP;
            for (int64_t lp = 0; lp < LP; lp++) {
                int64_t l = lp / P;
                tap[lp] = bilinear_tap_make(loc_to_grid(lc[2 * lp]), loc_to_grid(lc[2 * lp + 1]),
                                            shapes[2 * l], shapes[2 * l + 1]);
            }
            float *o = out + nq * MD + m * D;
            for (int64_t d = 0; d < D; d++) {
                for (int64_t lp = 0; lp < LP; lp++) {
                    int64_t l = lp / P, H = shapes[2 * l], W = shapes[2 * l + 1];
                    const float *base = value + ((n * S + level_start[l]) * M + m) * D + d;
                    float s = bilinear_tap_sample(base, W * MD, MD, tap[lp], H, W);
                    prod[lp] = s * aw[lp];
                }
                o[d] = ms_deform_attn_row_sum(prod, LP);
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

vct_status ms_deform_attn_backward(float *dvalue, float *dloc, float *dattw, const float *dout,
                                   const float *value, const int64_t *shapes,
                                   const int64_t *level_start, const float *loc, const float *attw,
                                   int64_t N, int64_t S, int64_t M, int64_t D, int64_t L, int64_t P,
                                   int64_t Lq, vct_error *err) {
    VCT_TRY(check_args("ms_deform_attn_backward", shapes, level_start, N, S, M, D, L, P, Lq, err));
    if (!dout || !value || !loc || !attw)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "ms_deform_attn_backward: NULL buffer");
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
                const float *base = value + off;
                float gw = 0.0f, gu = 0.0f, gv = 0.0f;
                for (int64_t d = 0; d < D; d++) {
                    if (dattw) gw += go[d] * bilinear_tap_sample(base + d, W * MD, MD, t, H, W);
                    if (dloc) bilinear_tap_grad_uv(base + d, W * MD, MD, t, H, W, go[d] * aw[lp], &gu, &gv);
                    if (dvalue) bilinear_tap_scatter(dvalue + off + d, W * MD, MD, t, H, W, go[d] * aw[lp]);
                }
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
