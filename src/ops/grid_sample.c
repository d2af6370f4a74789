/* grid_sample.c: bilinear grid sampling and point_sample. See grid_sample.h. */
#include "ops/grid_sample.h"

#include <stddef.h>

#include "core/omp.h"

static vct_status check_sizes(const char *what, int64_t N, int64_t C, int64_t H, int64_t W,
                              int64_t Ho, int64_t Wo, vct_error *err) {
    if (N < 0 || C < 0 || H < 1 || W < 1 || Ho < 0 || Wo < 0)
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "%s: bad sizes N %lld C %lld input %lldx%lld output %lldx%lld", what,
                        (long long)N, (long long)C, (long long)H, (long long)W, (long long)Ho,
                        (long long)Wo);
    return VCT_STATUS_OK;
}

/* The sampling grid of point_sample: g = fp32(fp32(2 p) - 1). */
static inline float point_to_grid(float p) { return 2.0f * p - 1.0f; }

/* Shared forward: `grid_of` says whether coords are grid values (0) or [0,1] points (1).
 * coords [N, Pn, 2]; out [N, C, Pn]. */
static void sample_forward(float *out, const float *in, const float *coords, int64_t N, int64_t C,
                           int64_t H, int64_t W, int64_t Pn, int points) {
    const int64_t planes = N * C;
#pragma omp parallel for schedule(static)
    for (int64_t nc = 0; nc < planes; nc++) {
        int64_t n = nc / C;
        const float *plane = in + nc * H * W;
        const float *g = coords + n * Pn * 2;
        float *o = out + nc * Pn;
        for (int64_t p = 0; p < Pn; p++) {
            float gx = g[2 * p], gy = g[2 * p + 1];
            if (points) gx = point_to_grid(gx), gy = point_to_grid(gy);
            bilinear_tap t = bilinear_tap_make(gx, gy, H, W);
            o[p] = bilinear_tap_sample(plane, W, 1, t, H, W);
        }
    }
}

static void sample_backward(float *din, float *dcoords, const float *dout, const float *in,
                            const float *coords, int64_t N, int64_t C, int64_t H, int64_t W,
                            int64_t Pn, int points) {
    if (din) {
        const int64_t planes = N * C;
#pragma omp parallel for schedule(static)
        for (int64_t nc = 0; nc < planes; nc++) {
            int64_t n = nc / C;
            float *dplane = din + nc * H * W;
            const float *g = coords + n * Pn * 2;
            const float *go = dout + nc * Pn;
            for (int64_t p = 0; p < Pn; p++) {
                float gx = g[2 * p], gy = g[2 * p + 1];
                if (points) gx = point_to_grid(gx), gy = point_to_grid(gy);
                bilinear_tap t = bilinear_tap_make(gx, gy, H, W);
                bilinear_tap_scatter(dplane, W, 1, t, H, W, go[p]);
            }
        }
    }
    if (dcoords) {
        /* du/dgx = W/2 (align_corners=False); d(grid)/d(point) = 2 */
        const float sx = (float)W / 2.0f * (points ? 2.0f : 1.0f);
        const float sy = (float)H / 2.0f * (points ? 2.0f : 1.0f);
        const int64_t total = N * Pn;
#pragma omp parallel for schedule(static)
        for (int64_t np = 0; np < total; np++) {
            int64_t n = np / Pn, p = np % Pn;
            const float *g = coords + np * 2;
            float gx = g[0], gy = g[1];
            if (points) gx = point_to_grid(gx), gy = point_to_grid(gy);
            bilinear_tap t = bilinear_tap_make(gx, gy, H, W);
            if (!t.valid) continue;
            float gu = 0.0f, gv = 0.0f;
            for (int64_t c = 0; c < C; c++) {
                const float *plane = in + (n * C + c) * H * W;
                bilinear_tap_grad_uv(plane, W, 1, t, H, W, dout[(n * C + c) * Pn + p], &gu, &gv);
            }
            dcoords[np * 2] += gu * sx;
            dcoords[np * 2 + 1] += gv * sy;
        }
    }
}

vct_status grid_sample_forward(float *out, const float *in, const float *grid, int64_t N, int64_t C,
                               int64_t H, int64_t W, int64_t Ho, int64_t Wo, vct_error *err) {
    VCT_TRY(check_sizes("grid_sample_forward", N, C, H, W, Ho, Wo, err));
    if (!out || !in || !grid) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "grid_sample_forward: NULL buffer");
    sample_forward(out, in, grid, N, C, H, W, Ho * Wo, 0);
    return VCT_STATUS_OK;
}

vct_status grid_sample_backward(float *din, float *dgrid, const float *dout, const float *in,
                                const float *grid, int64_t N, int64_t C, int64_t H, int64_t W,
                                int64_t Ho, int64_t Wo, vct_error *err) {
    VCT_TRY(check_sizes("grid_sample_backward", N, C, H, W, Ho, Wo, err));
    if (!dout || !in || !grid)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "grid_sample_backward: NULL buffer");
    sample_backward(din, dgrid, dout, in, grid, N, C, H, W, Ho * Wo, 0);
    return VCT_STATUS_OK;
}

vct_status point_sample_forward(float *out, const float *in, const float *points, int64_t N,
                                int64_t C, int64_t H, int64_t W, int64_t P, vct_error *err) {
    VCT_TRY(check_sizes("point_sample_forward", N, C, H, W, P, 1, err));
    if (!out || !in || !points)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "point_sample_forward: NULL buffer");
    sample_forward(out, in, points, N, C, H, W, P, 1);
    return VCT_STATUS_OK;
}

vct_status point_sample_backward(float *din, float *dpoints, const float *dout, const float *in,
                                 const float *points, int64_t N, int64_t C, int64_t H, int64_t W,
                                 int64_t P, vct_error *err) {
    VCT_TRY(check_sizes("point_sample_backward", N, C, H, W, P, 1, err));
    if (!dout || !in || !points)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "point_sample_backward: NULL buffer");
    sample_backward(din, dpoints, dout, in, points, N, C, H, W, P, 1);
    return VCT_STATUS_OK;
}
