/* test_grid_sample.c: grid_sample / point_sample vs torch 1.13 (tests/ref/gen_grid_sample.py).
 *
 *  - forward: bit-exact (atol 0) against F.grid_sample (bilinear, zeros, align_corners=False),
 *    including border, half-pixel-outside and far-outside coordinates;
 *  - backward: d input atol 1e-5 rtol 1e-5; d grid / d points atol 1e-4 rtol 1e-4 (summed over
 *    channels and scaled by W/2, H/2);
 *  - finite differences of sum(out*dout) w.r.t. the input (linear) and the coordinates
 *    (skipping points within eps of an integer pixel coordinate, where bilinear has kinks);
 *  - argument errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "ops/grid_sample.h"

static int64_t meta_int(const tensor_dict *d, const char *key) {
    const char *v = tensor_dict_get_meta(d, key);
    return v ? atoll(v) : -1;
}

typedef struct fd_ctx {
    float *x, *coords, *y;
    const float *dy;
    int64_t N, C, H, W, Pn; /* Pn = Ho*Wo or P */
    int points;
} fd_ctx;

static void run_forward(fd_ctx *c) {
    if (c->points)
        point_sample_forward(c->y, c->x, c->coords, c->N, c->C, c->H, c->W, c->Pn, NULL);
    else
        grid_sample_forward(c->y, c->x, c->coords, c->N, c->C, c->H, c->W, 1, c->Pn, NULL);
}

static double fd_loss(void *p) {
    fd_ctx *c = p;
    run_forward(c);
    double s = 0;
    for (int64_t i = 0; i < c->N * c->C * c->Pn; i++) s += (double)c->y[i] * c->dy[i];
    return s;
}

/* kink: the pixel coordinate of coords[i] within (a margin of) eps of an integer */
static int coord_kink(void *p, int64_t i, double eps) {
    fd_ctx *c = p;
    int is_x = (i % 2) == 0;
    double size = (double)(is_x ? c->W : c->H);
    double g = c->coords[i];
    if (c->points) g = 2 * g - 1, eps *= 2;
    double u = (g + 1) * size / 2 - 0.5;
    double du = eps * size / 2;
    return fabs(u - nearbyint(u)) <= 2 * du + 1e-6;
}

static void run_case(const tensor_dict *d, const char *key, int points) {
    char name[256], label[128];
#define REF(field) (snprintf(name, sizeof name, "%s." field, key), name)
    const int64_t *dims = tl_ref_i64(d, REF("dims"));
    int64_t nx = 0, nc = 0, ny = 0;
    const float *x = tl_ref_f32(d, REF("x"), &nx);
    const float *co = tl_ref_f32(d, points ? REF("points") : REF("grid"), &nc);
    const float *y = tl_ref_f32(d, REF("y"), &ny);
    const float *dy = tl_ref_f32(d, REF("dy"), NULL);
    const float *dx = tl_ref_f32(d, REF("dx"), NULL);
    const float *dco = tl_ref_f32(d, points ? REF("dpoints") : REF("dgrid"), NULL);
#undef REF
    if (!dims || !x || !co || !y || !dy || !dx || !dco) return;
    int64_t N = dims[0], C = dims[1], H = dims[2], W = dims[3];
    int64_t Pn = points ? dims[4] : dims[4] * dims[5];
    snprintf(label, sizeof label, "%s.%s.%lldx%lldx%lldx%lld", points ? "point_sample" : "grid_sample",
             key, (long long)N, (long long)C, (long long)H, (long long)W);
    float *got = calloc((size_t)ny, sizeof(float));
    float *gx = calloc((size_t)nx, sizeof(float)), *gc = calloc((size_t)nc, sizeof(float));
    float *xc = malloc(sizeof(float) * (size_t)nx), *cc = malloc(sizeof(float) * (size_t)nc);
    memcpy(xc, x, sizeof(float) * (size_t)nx);
    memcpy(cc, co, sizeof(float) * (size_t)nc);
    fd_ctx c = {xc, cc, got, dy, N, C, H, W, Pn, points};
    vct_error err = {0};
    vct_status st = points ? point_sample_forward(got, x, co, N, C, H, W, Pn, &err)
                           : grid_sample_forward(got, x, co, N, C, H, W, dims[4], dims[5], &err);
    tl_expect(st == VCT_STATUS_OK, label, "forward: %s", err.msg);
    snprintf(name, sizeof name, "%s.forward_bit_exact", label);
    tl_check_close(name, got, y, ny, 0, 0);
    st = points ? point_sample_backward(gx, gc, dy, x, co, N, C, H, W, Pn, &err)
                : grid_sample_backward(gx, gc, dy, x, co, N, C, H, W, dims[4], dims[5], &err);
    tl_expect(st == VCT_STATUS_OK, label, "backward: %s", err.msg);
    snprintf(name, sizeof name, "%s.dx", label);
    tl_check_close(name, gx, dx, nx, 1e-5, 1e-5);
    snprintf(name, sizeof name, "%s.%s", label, points ? "dpoints" : "dgrid");
    tl_check_close(name, gc, dco, nc, 1e-4, 1e-4);
    /* NULL gradients are skipped; a second call accumulates */
    st = points ? point_sample_backward(NULL, gc, dy, x, co, N, C, H, W, Pn, &err)
                : grid_sample_backward(gx, NULL, dy, x, co, N, C, H, W, dims[4], dims[5], &err);
    tl_expect(st == VCT_STATUS_OK, label, "backward with a NULL gradient: %s", err.msg);
    float *acc = points ? gc : gx;
    const float *want = points ? dco : dx;
    int64_t na = points ? nc : nx;
    for (int64_t i = 0; i < na; i++) acc[i] *= 0.5f;
    snprintf(name, sizeof name, "%s.accumulates", label);
    tl_check_close(name, acc, want, na, 1e-4, 1e-4);

    /* finite differences (fresh analytic gradients) */
    memset(gx, 0, sizeof(float) * (size_t)nx);
    memset(gc, 0, sizeof(float) * (size_t)nc);
    if (points)
        point_sample_backward(gx, gc, dy, x, co, N, C, H, W, Pn, &err);
    else
        grid_sample_backward(gx, gc, dy, x, co, N, C, H, W, dims[4], dims[5], &err);
    tl_fd_opts o = tl_fd_default();
    o.samples = 64;
    snprintf(name, sizeof name, "%s.fd_dx", label);
    tl_fd_check(name, xc, nx, gx, fd_loss, &c, o);
    o.eps = 1e-4;
    o.kink = coord_kink;
    o.atol = 2e-3;
    o.min_used = 16;
    o.samples = nc < 96 ? nc : 96;
    snprintf(name, sizeof name, "%s.fd_%s", label, points ? "dpoints" : "dgrid");
    tl_fd_check(name, cc, nc, gc, fd_loss, &c, o);
    free(got), free(gx), free(gc), free(xc), free(cc);
}

/* a hand-made case whose answer is known exactly: a point at a pixel centre reads that pixel,
 * a point half a pixel outside reads half the border pixel, a far point reads 0 */
static void test_known(void) {
    float in[6] = {1, 2, 3, 4, 5, 6}; /* 2 x 3 map */
    /* pixel centre (x=2,y=1): g = ((2+0.5)*2/3 - 1, (1+0.5)*2/2 - 1) */
    float grid[6] = {(2.5f * 2.0f / 3.0f) - 1.0f, 0.5f, -1.0f - 1.0f / 3.0f, -0.5f, 7.0f, 0.0f};
    float out[3];
    vct_error err = {0};
    grid_sample_forward(out, in, grid, 1, 1, 2, 3, 1, 3, &err);
    tl_expect(fabsf(out[0] - 6.0f) < 1e-6f, "grid_sample.known.centre", "got %g want 6", out[0]);
    /* g = -1 - 1/3 -> u = -1: weight 0 on column 0: reads 0; y = -0.5 -> v = 0 */
    tl_expect(fabsf(out[1]) < 1e-6f, "grid_sample.known.outside_edge", "got %g want 0", out[1]);
    tl_expect(out[2] == 0.0f, "grid_sample.known.far", "got %g want 0", out[2]);
    float pts[2] = {0.0f, 0.25f}; /* x at the left edge: half of column 0; y = 0.25 -> v = 0 */
    point_sample_forward(out, in, pts, 1, 1, 2, 3, 1, &err);
    tl_expect(fabsf(out[0] - 0.5f) < 1e-6f, "point_sample.known.edge", "got %g want 0.5", out[0]);
}

static void test_errors(void) {
    float a[4] = {0}, b[4] = {0}, g[2] = {0};
    vct_error err = {0};
    tl_expect(grid_sample_forward(a, b, g, 1, 1, 0, 2, 1, 1, &err) == VCT_STATUS_SHAPE,
              "grid_sample.error.zero_height", "H = 0 accepted");
    tl_expect(strstr(err.msg, "grid_sample_forward") != NULL, "grid_sample.error.message", "'%s'", err.msg);
    tl_expect(point_sample_forward(a, NULL, g, 1, 1, 2, 2, 1, &err) == VCT_STATUS_INVALID_ARGUMENT,
              "point_sample.error.null", "NULL input accepted");
    tl_expect(grid_sample_backward(a, NULL, NULL, b, g, 1, 1, 2, 2, 1, 1, &err) ==
                  VCT_STATUS_INVALID_ARGUMENT,
              "grid_sample.error.null_dout", "NULL dout accepted");
}

int main(void) {
    tensor_dict d;
    if (tl_ref_open("grid_sample", &d) != 0) return tl_summary("test_grid_sample");
    int64_t ng = meta_int(&d, "n_grid"), np = meta_int(&d, "n_point");
    tl_expect(ng > 0 && np > 0, "grid_sample.case_count", "n_grid %lld n_point %lld", (long long)ng,
              (long long)np);
    for (int64_t k = 0; k < ng; k++) {
        char key[32];
        snprintf(key, sizeof key, "g%lld", (long long)k);
        run_case(&d, key, 0);
    }
    for (int64_t k = 0; k < np; k++) {
        char key[32];
        snprintf(key, sizeof key, "p%lld", (long long)k);
        run_case(&d, key, 1);
    }
    test_known();
    test_errors();
    tensor_dict_free(&d);
    return tl_summary("test_grid_sample");
}
