/* synth_render.c: SynthAVS pictures: the textured background, the class shapes
 * and textures, the instance map, and the SAM-like Maskige.
 *
 * Geometry is in native pixels (c->W x c->H). An output of any size W x H
 * samples native point ((x + 0.5) c->W / W, (y + 0.5) c->H / H) for pixel
 * (x, y). Object i at time tau (frame t is shown at tau = t + 15/16 s, as
 * AVSBench keeps the frame near the end of each second) has centre
 * (x0 + vx tau, y0 + vy tau + wobble), size s (linear from s0 to s1) and
 * rotation rot0 + rotv tau; its shape is a signed distance d(q) in local
 * units, q = R(-rot) (p - centre) / s. A pixel belongs to the object when
 * d(q) < 0 at its centre (the masks); the frame blends the object's colour
 * with coverage clamp(0.5 - d s / pixel, 0, 1) (antialiased edges). Later
 * objects are drawn over earlier ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/synth.h"

#define FRAME_TIME_OFFSET (15.0 / 16.0)

static const uint8_t ade_palette[SYNTH_MAX_MASKIGE * 3] = {
    120, 120, 120, 180, 120, 120, 6, 230, 230, 80, 50, 50, 4, 200, 3, 120, 120, 80, 140, 140, 140, 204, 5, 255,
    230, 230, 230, 4, 250, 7, 224, 5, 255, 235, 255, 7, 150, 5, 61, 120, 120, 70, 8, 255, 51, 255, 6, 82,
    143, 255, 140, 204, 255, 4, 255, 51, 7, 204, 70, 3, 0, 102, 200, 61, 230, 250, 255, 6, 51, 11, 102, 255,
    255, 7, 71, 255, 9, 224, 9, 7, 230, 220, 220, 220, 255, 9, 92, 112, 9, 255, 8, 255, 214, 7, 255, 224,
    255, 184, 6, 10, 255, 71, 255, 41, 10, 7, 255, 255, 224, 255, 8, 102, 8, 255, 255, 61, 6, 255, 194, 7,
    255, 122, 8, 0, 255, 20, 255, 8, 41, 255, 5, 153, 6, 51, 255, 235, 12, 255, 160, 150, 20, 0, 163, 255,
    140, 140, 140, 250, 10, 15, 20, 255, 0, 31, 255, 0, 255, 31, 0, 255, 224, 0, 153, 255, 0, 0, 0, 255,
    255, 71, 0, 0, 235, 255, 0, 173, 255, 31, 0, 255, 11, 200, 200, 255, 82, 0, 0, 255, 245, 0, 61, 255,
    0, 255, 112, 0, 255, 133, 255, 0, 0, 255, 163, 0, 255, 102, 0, 194, 255, 0, 0, 143, 255, 51, 255, 0,
    0, 82, 255, 0, 255, 41, 0, 255, 173, 10, 0, 255, 173, 255, 0, 0, 255, 153, 255, 92, 0, 255, 0, 255,
    255, 0, 245, 255, 0, 102, 255, 173, 0, 255, 0, 20, 255, 184, 184, 0, 31, 255, 0, 255, 61, 0, 71, 255,
    255, 0, 204, 0, 255, 194, 0, 255, 82, 0, 10, 255, 0, 112, 255, 51, 0, 255, 0, 194, 255, 0, 122, 255,
    0, 255, 163, 255, 153, 0, 0, 255, 10, 255, 112, 0, 143, 255, 0, 82, 0, 255, 163, 255, 0, 255, 235, 0,
    8, 184, 170, 133, 0, 255, 0, 255, 92, 184, 0, 255, 255, 0, 31, 0, 184, 255, 0, 214, 255, 255, 0, 112,
    92, 255, 0, 0, 224, 255, 112, 224, 255, 70, 184, 160, 163, 0, 255, 153, 0, 255, 71, 255, 0, 255, 0, 163,
    255, 204, 0, 255, 0, 143, 0, 255, 235, 133, 255, 0, 255, 0, 235, 245, 0, 255, 255, 0, 122, 255, 245, 0,
    10, 190, 212, 214, 255, 0, 0, 204, 255, 20, 0, 255, 255, 255, 0, 0, 153, 255, 0, 41, 255, 0, 255, 204,
    41, 0, 255, 41, 255, 0, 173, 0, 255, 0, 245, 255, 71, 0, 255, 122, 0, 255, 0, 255, 184, 0, 92, 255,
    184, 255, 0, 0, 133, 255, 255, 214, 0, 25, 194, 194, 102, 255, 0, 92, 0, 255,
};

const uint8_t *synth_ade_palette(void) { return ade_palette; }

/* ---- noise --------------------------------------------------------------------------- */

static double lattice(int64_t ix, int64_t iy, uint64_t seed) {
    uint64_t h = seed ^ ((uint64_t)ix * UINT64_C(0x9e3779b97f4a7c15)) ^ ((uint64_t)iy * UINT64_C(0xc2b2ae3d27d4eb4f));
    h ^= h >> 31;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 29;
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* value noise in [0,1), smooth, one lattice cell per unit */
static double vnoise(double x, double y, uint64_t seed) {
    double fx = floor(x), fy = floor(y);
    int64_t ix = (int64_t)fx, iy = (int64_t)fy;
    double u = x - fx, v = y - fy;
    u = u * u * (3 - 2 * u);
    v = v * v * (3 - 2 * v);
    double a = lattice(ix, iy, seed), b = lattice(ix + 1, iy, seed);
    double c = lattice(ix, iy + 1, seed), d = lattice(ix + 1, iy + 1, seed);
    return (a + (b - a) * u) * (1 - v) + (c + (d - c) * u) * v;
}

static double fbm(double x, double y, uint64_t seed, int oct) {
    double s = 0, a = 0.5, n = 0;
    for (int o = 0; o < oct; o++) {
        s += a * vnoise(x, y, seed + (uint64_t)o * 7919);
        n += a;
        x *= 2.03;
        y *= 2.03;
        a *= 0.5;
    }
    return s / n;
}

static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }
static double fract(double v) { return v - floor(v); }

/* ---- background ------------------------------------------------------------------------- */

/* Region of the background at native (px, py), frame time tau: 0 upper/main,
 * 1 lower/path, 2 window (wall/floor kind). jx, jy shift the lookup (the
 * Maskige perturbs region boundaries with them). */
static int bg_region(const synth_clip *c, double px, double py, double tau) {
    double X = px + c->bg_pan * tau, W = c->W, H = c->H;
    switch (c->bg_kind) {
    case 0: {
        double yh = H * (c->bg_horizon + c->bg_wave_a * sin(2 * SYNTH_PI * c->bg_wave_f * X / W));
        return py < yh ? 0 : 1;
    }
    case 1: {
        double yh = H * c->bg_horizon;
        if (py >= yh) return 1;
        double wx0 = 0.55 * W, wy0 = 0.12 * H, ww = 0.22 * W, wh = 0.5 * (yh - wy0);
        return (X > wx0 && X < wx0 + ww && py > wy0 && py < wy0 + wh) ? 2 : 0;
    }
    default:
        return fbm(X / (0.35 * W), py / (0.35 * H), c->seed ^ 0xabc, 2) > 0.6 ? 1 : 0;
    }
}

static void bg_colour(const synth_clip *c, double px, double py, double tau, double *rgb) {
    double X = px + c->bg_pan * tau, W = c->W, H = c->H;
    int reg = bg_region(c, px, py, tau);
    const double(*k)[3] = c->bg_col;
    double n = fbm(X / 18.0, py / 18.0, c->seed ^ 0x51, 3);
    switch (c->bg_kind) {
    case 0:
        if (reg == 0) { /* sky: vertical gradient and soft clouds */
            double g = py / (H * c->bg_horizon + 1), cl = clamp01((fbm(X / 60.0, py / 30.0, c->seed ^ 0x77, 3) - 0.55) * 3);
            for (int ch = 0; ch < 3; ch++) rgb[ch] = (k[1][ch] * (1 - g) + k[0][ch] * g) * (1 - cl) + 0.95 * cl;
        } else { /* ground: two-colour mottled texture, darker far away */
            double m = fbm(X / 25.0, py / 12.0, c->seed ^ 0x99, 4), depth = 0.75 + 0.25 * (py / H);
            for (int ch = 0; ch < 3; ch++) rgb[ch] = (k[2][ch] * m + k[3][ch] * (1 - m)) * depth + 0.08 * (n - 0.5);
        }
        break;
    case 1:
        if (reg == 0) { /* wallpaper stripes */
            double s = 0.5 + 0.5 * sin(X / 6.0);
            for (int ch = 0; ch < 3; ch++) rgb[ch] = k[0][ch] * (0.9 + 0.1 * s) + 0.06 * (n - 0.5);
        } else if (reg == 2) { /* window: a pale sky gradient behind a white cross-shaped frame */
            double yh = H * c->bg_horizon, wy0 = 0.12 * H, wh = 0.5 * (yh - wy0);
            double u = (X - 0.55 * W) / (0.22 * W), v = (py - wy0) / wh;
            int frame = fabs(u - 0.5) < 0.03 || fabs(v - 0.5) < 0.04 || u < 0.04 || u > 0.96 || v < 0.06 || v > 0.94;
            for (int ch = 0; ch < 3; ch++)
                rgb[ch] = frame ? 0.93 : (0.75 - 0.25 * v) * (ch == 2 ? 1.1 : ch == 1 ? 0.95 : 0.8) + 0.04 * n;
        } else { /* floor tiles, larger towards the bottom */
            double yh = H * c->bg_horizon, d = (py - yh) / (H - yh + 1), sz = 10 + 40 * d;
            int chk = ((int)floor(X / sz) + (int)floor((py - yh) / (sz * 0.6))) & 1;
            for (int ch = 0; ch < 3; ch++) rgb[ch] = (chk ? k[2][ch] : k[3][ch]) * (0.8 + 0.2 * d) + 0.05 * (n - 0.5);
        }
        break;
    default: {
        double m = fbm(X / 40.0, py / 40.0, c->seed ^ 0x33, 4);
        for (int ch = 0; ch < 3; ch++) rgb[ch] = k[0][ch] * m + k[1][ch] * (1 - m) + 0.1 * (n - 0.5);
        if (reg == 1)
            for (int ch = 0; ch < 3; ch++) rgb[ch] = 0.55 * rgb[ch] + 0.45 * k[2][ch];
    }
    }
}

/* ---- objects ------------------------------------------------------------------------------ */

typedef struct pose {
    double cx, cy, s, ca, sa; /* centre, size, cos/sin of the rotation */
} pose;

static pose object_pose(const synth_clip *c, const synth_object *o, double tau) {
    pose P;
    P.cx = o->x0 + o->vx * tau;
    P.cy = o->y0 + o->vy * tau + o->wob_a * sin(2 * SYNTH_PI * o->wob_f * tau + o->wob_p);
    P.s = o->s0 + (o->s1 - o->s0) * tau / c->T;
    double a = o->rot0 + o->rotv * tau;
    P.ca = cos(a);
    P.sa = sin(a);
    return P;
}

static void to_local(const pose *P, double px, double py, double *qx, double *qy) {
    double dx = (px - P->cx) / P->s, dy = (py - P->cy) / P->s;
    *qx = P->ca * dx + P->sa * dy;
    *qy = -P->sa * dx + P->ca * dy;
}

static double sd_box(double x, double y, double hx, double hy, double r) {
    double dx = fabs(x) - hx + r, dy = fabs(y) - hy + r;
    double ox = dx > 0 ? dx : 0, oy = dy > 0 ? dy : 0;
    double in = dx > dy ? dx : dy;
    return sqrt(ox * ox + oy * oy) + (in < 0 ? in : 0) - r;
}

static double sd_circle(double x, double y, double cx, double cy, double r) { return hypot(x - cx, y - cy) - r; }

/* convex polygon with n vertices (counter-clockwise in y-down coordinates does
 * not matter: the sign is fixed with the centroid), max of edge distances */
static double sd_convex(double x, double y, const double *v, int n) {
    double m = -1e30;
    for (int i = 0; i < n; i++) {
        double ax = v[2 * i], ay = v[2 * i + 1], bx = v[2 * ((i + 1) % n)], by = v[2 * ((i + 1) % n) + 1];
        double ex = bx - ax, ey = by - ay, l = hypot(ex, ey);
        double nx = ey / l, ny = -ex / l;
        if (nx * (0 - ax) + ny * (0 - ay) > 0) { /* the centre (origin) must be inside */
            nx = -nx;
            ny = -ny;
        }
        double d = nx * (x - ax) + ny * (y - ay);
        if (d > m) m = d;
    }
    return m;
}

static double sd_regular(double x, double y, int n, double r, double phase) {
    double v[16];
    for (int i = 0; i < n; i++) {
        v[2 * i] = r * cos(phase + 2 * SYNTH_PI * i / n);
        v[2 * i + 1] = r * sin(phase + 2 * SYNTH_PI * i / n);
    }
    return sd_convex(x, y, v, n);
}

/* the class's shape: signed distance in local units (< 0 inside) */
static double shape_sd(int cls, double x, double y) {
    switch (cls) {
    case 0: return sd_box(x, y, 1.0, 0.62, 0.22);
    case 1: {
        double a = sd_circle(x, y, -0.38, 0, 0.66), b = sd_circle(x, y, 0.5, 0, 0.48);
        return a < b ? a : b;
    }
    case 2: return sd_circle(x, y, 0, 0, 0.92);
    case 3: return sd_regular(x, y, 3, 1.05, -SYNTH_PI / 2);
    case 4: {
        double a = sd_circle(x, y, 0, 0, 1.0), b = sd_circle(x, y, 0.5, -0.25, 0.78);
        return a > -b ? a : -b;
    }
    case 5: {
        double v[8] = {1.0, 0, 0, 0.68, -1.0, 0, 0, -0.68};
        return sd_convex(x, y, v, 4);
    }
    case 6: {
        double a = sd_box(x, y, 1.05, 0.3, 0.05), b = sd_box(x, y, 0.3, 1.05, 0.05);
        return a < b ? a : b;
    }
    case 7: return sd_regular(x, y, 6, 0.95, 0);
    case 8: return sd_box(x, y, 1.25, 0.52, 0.06);
    default: { /* five-point star: radius between 1 (tips) and 0.45 (notches) */
        double r = hypot(x, y), a = atan2(y, x) + SYNTH_PI / 2, seg = 2 * SYNTH_PI / 5;
        double f = fabs(fract(a / seg + 0.5) - 0.5) * 2; /* 0 at a tip, 1 at a notch */
        return (r - (1.0 - 0.55 * f)) * 0.6;
    }
    }
}

#define SHAPE_EXTENT 1.4 /* every shape lies within this local radius */

static void mixc(double *o, const double *a, const double *b, double t) {
    for (int ch = 0; ch < 3; ch++) o[ch] = a[ch] + (b[ch] - a[ch]) * t;
}

/* the class's colour at local (x, y) */
static void shape_colour(const synth_object *o, double x, double y, double *rgb) {
    static const double base[SYNTH_NUM_CLASSES][3] = {
        {0.82, 0.1, 0.1},  {0.78, 0.46, 0.2},  {0.36, 0.2, 0.1},  {0.92, 0.76, 0.2},  {0.8, 0.65, 0.45},
        {0.18, 0.68, 0.25}, {0.55, 0.57, 0.6}, {0.72, 0.82, 0.12}, {0.1, 0.14, 0.45}, {0.55, 0.2, 0.72}};
    const double *b = base[o->cls];
    double w[3] = {1, 1, 1}, k[3] = {0.05, 0.05, 0.05}, t;
    uint64_t sd = o->seed;
    memcpy(rgb, b, sizeof(double) * 3);
    switch (o->cls) {
    case 0:
        if (sin(y * SYNTH_PI * 3.2) > 0.55) mixc(rgb, rgb, w, 0.85);
        if (hypot(x, y + 0.35) < 0.16) rgb[0] = 0.1, rgb[1] = 0.3, rgb[2] = 0.95;
        break;
    case 1:
        t = 0.5 + 0.5 * sin((y + 0.25 * fbm(x * 2, y * 2, sd, 2)) * 28);
        mixc(rgb, rgb, (double[3]){0.45, 0.25, 0.1}, 0.45 * t);
        if (hypot(x - 0.5, y) < 0.18) mixc(rgb, rgb, k, 0.9);
        break;
    case 2:
        t = 0.5 + 0.5 * sin(hypot(x, y) * 22);
        mixc(rgb, rgb, (double[3]){0.6, 0.45, 0.3}, 0.35 * t);
        if (hypot(x, y) < 0.3) mixc(rgb, rgb, k, 0.9);
        break;
    case 3:
        mixc(rgb, rgb, w, clamp01(0.45 - 0.4 * y) * 0.6);
        if (fabs(x + 0.25 + 0.2 * y) < 0.06) mixc(rgb, rgb, w, 0.7);
        break;
    case 4: {
        double f = fbm(x * 9, y * 9, sd, 2);
        for (int ch = 0; ch < 3; ch++) rgb[ch] *= 0.75 + 0.5 * f;
        break;
    }
    case 5:
        if (hypot(fract(x * 3.5) - 0.5, fract(y * 3.5) - 0.5) < 0.22) rgb[0] = 0.95, rgb[1] = 0.9, rgb[2] = 0.15;
        break;
    case 6:
        if (((int)floor(x * 4 + 8) + (int)floor(y * 4 + 8)) & 1) mixc(rgb, rgb, k, 0.45);
        break;
    case 7:
        if (sin((x + y) * 13) > 0.2) mixc(rgb, rgb, (double[3]){0.15, 0.4, 0.05}, 0.7);
        break;
    case 8: {
        double kx = fract(x * 5), ky = fract(y * 4 + 0.5);
        if (kx > 0.12 && kx < 0.88 && ky > 0.15 && ky < 0.85 && fabs(y) < 0.42 && fabs(x) < 1.15)
            rgb[0] = rgb[1] = rgb[2] = 0.82;
        break;
    }
    default:
        mixc(rgb, rgb, w, clamp01(0.55 - hypot(x, y)) * 0.8);
    }
    double light = 0.82 + 0.18 * clamp01(0.5 - 0.4 * y);
    for (int ch = 0; ch < 3; ch++) rgb[ch] = clamp01(rgb[ch] * light * (1 + 0.1 * o->hue * (ch == 1 ? -1 : 1)));
}

/* output pixel range [*a, *b) covering native interval [lo, hi] */
static void pixel_range(double lo, double hi, double scale, int n, int *a, int *b) {
    double fa = floor(lo / scale - 0.5), fb = ceil(hi / scale + 0.5);
    *a = fa < 0 ? 0 : fa > n ? n : (int)fa;
    *b = fb < 0 ? 0 : fb > n ? n : (int)fb;
}

vct_status synth_render(const synth_clip *c, int t, int W, int H, uint8_t *rgb, uint8_t *inst, vct_error *err) {
    double tau = t + FRAME_TIME_OFFSET, sx = (double)c->W / W, sy = (double)c->H / H;
    double pix = sx > sy ? sx : sy; /* native pixels per output pixel */
    double *img = NULL;
    if (rgb && !(img = malloc((size_t)W * H * 3 * sizeof *img)))
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory for a %dx%d frame", c->name, W, H);
    if (inst) memset(inst, 0, (size_t)W * H);
    if (img)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) bg_colour(c, (x + 0.5) * sx, (y + 0.5) * sy, tau, img + ((size_t)y * W + x) * 3);
    for (int i = 0; i < c->n_obj; i++) {
        const synth_object *o = &c->obj[i];
        pose P = object_pose(c, o, tau);
        double R = SHAPE_EXTENT * P.s;
        int x0, x1, y0, y1;
        pixel_range(P.cx - R, P.cx + R, sx, W, &x0, &x1);
        pixel_range(P.cy - R, P.cy + R, sy, H, &y0, &y1);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                double qx, qy;
                to_local(&P, (x + 0.5) * sx, (y + 0.5) * sy, &qx, &qy);
                double d = shape_sd(o->cls, qx, qy);
                if (inst && d < 0) inst[(size_t)y * W + x] = (uint8_t)(i + 1);
                if (!img) continue;
                double a = clamp01(0.5 - d * P.s / pix);
                if (a <= 0) continue;
                double col[3], *px = img + ((size_t)y * W + x) * 3;
                shape_colour(o, qx, qy, col);
                mixc(px, px, col, a);
            }
    }
    if (img) {
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                uint64_t h = synth_hash(c->seed ^ ((uint64_t)t << 48) ^ ((uint64_t)y << 24) ^ (uint64_t)x);
                for (int ch = 0; ch < 3; ch++) {
                    double v = img[((size_t)y * W + x) * 3 + ch] * 255.0 + ((double)((h >> (8 * ch)) & 0xff) / 255.0 - 0.5) * 5.0;
                    v = v < 0 ? 0 : v > 255 ? 255 : v;
                    rgb[((size_t)y * W + x) * 3 + ch] = (uint8_t)(v + 0.5 > 255 ? 255 : v + 0.5);
                }
            }
        free(img);
    }
    return VCT_STATUS_OK;
}

/* ---- Maskige --------------------------------------------------------------------------- */

#define MK_MAX 96

typedef struct mk_set {
    uint8_t *m[MK_MAX]; /* [H][W] 0/1 */
    int64_t area[MK_MAX];
    int n, W, H;
} mk_set;

static uint8_t *mk_new(mk_set *S) {
    if (S->n >= MK_MAX) return NULL;
    uint8_t *m = calloc((size_t)S->W * S->H, 1);
    if (m) S->m[S->n++] = m;
    return m;
}

static void mk_free(mk_set *S) {
    for (int i = 0; i < S->n; i++) free(S->m[i]);
    S->n = 0;
}

/* The object whose Maskige mask holds a pixel of instance id v (0 = none):
 * follows merges; -1 = the background's (none, missed, or merged into it). */
static int resolve_owner(uint8_t v, const int *merge_into) {
    if (!v) return -1;
    int o = v - 1;
    while (merge_into[o] >= 0) o = merge_into[o];
    return merge_into[o] == -2 ? -1 : o;
}

/* SAM-like masks of frame t, then painted by ascending area (design/avsbench.md
 * §1.5: VCT's mask_precess_*.py). */
vct_status synth_maskige(uint8_t *ids, const synth_clip *c, int t, int W, int H, vct_error *err) {
    double tau = t + FRAME_TIME_OFFSET, sx = (double)c->W / W, sy = (double)c->H / H;
    size_t N = (size_t)W * H;
    mk_set S;
    memset(&S, 0, sizeof S);
    S.W = W;
    S.H = H;
    vct_status st = VCT_STATUS_OK;
    uint8_t *inst = calloc(N, 1), *reg = calloc(N, 1);
    if (!inst || !reg) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "Maskige: out of memory");
        goto done;
    }
    synth_rng r;
    synth_rng_seed(&r, c->seed ^ 0x5a5a, (uint64_t)t);
    /* 1. instance map with wobbly boundaries (SAM edges are not the true edges) */
    pose P[SYNTH_MAX_OBJECTS];
    double amp[SYNTH_MAX_OBJECTS], len[SYNTH_MAX_OBJECTS];
    for (int i = 0; i < c->n_obj; i++) {
        P[i] = object_pose(c, &c->obj[i], tau);
        amp[i] = synth_rng_range(&r, 0.5, 3.0);  /* native px */
        len[i] = synth_rng_range(&r, 4.0, 12.0); /* native px */
    }
    double jit = synth_rng_range(&r, 1.0, 4.0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double px = (x + 0.5) * sx, py = (y + 0.5) * sy;
            size_t k = (size_t)y * W + x;
            for (int i = 0; i < c->n_obj; i++) {
                if (fabs(px - P[i].cx) > SHAPE_EXTENT * P[i].s + amp[i] || fabs(py - P[i].cy) > SHAPE_EXTENT * P[i].s + amp[i])
                    continue;
                double qx, qy;
                to_local(&P[i], px, py, &qx, &qy);
                double d = shape_sd(c->obj[i].cls, qx, qy) * P[i].s +
                           amp[i] * (2 * vnoise(px / len[i], py / len[i], c->obj[i].seed + (uint64_t)t) - 1);
                if (d < 0) inst[k] = (uint8_t)(i + 1);
            }
            double jx = jit * (2 * vnoise(px / 9, py / 9, c->seed ^ 0x1111) - 1);
            double jy = jit * (2 * vnoise(px / 9, py / 9, c->seed ^ 0x2222) - 1);
            reg[k] = (uint8_t)bg_region(c, px + jx, py + jy, tau);
        }
    /* 2. per object: one mask, split, merged into what lies under it, or missed */
    int merge_into[SYNTH_MAX_OBJECTS]; /* -1 own mask; >= 0 object; -2 missed (-> background) */
    int64_t area[SYNTH_MAX_OBJECTS] = {0};
    for (size_t k = 0; k < N; k++)
        if (inst[k]) area[inst[k] - 1]++;
    for (int i = 0; i < c->n_obj; i++) {
        merge_into[i] = -1;
        double u = synth_rng_uniform(&r), small = (double)area[i] < 0.004 * (double)N;
        if (area[i] == 0) continue;
        if (u < (small ? 0.35 : 0.05)) merge_into[i] = -2;
        else if (u < 0.17) { /* under-segmentation: the object it overlaps most, drawn below it */
            int best = -2;
            double bd = 1e30;
            for (int j = 0; j < i; j++) {
                if (area[j] == 0) continue;
                double d = hypot(P[i].cx - P[j].cx, P[i].cy - P[j].cy) - SHAPE_EXTENT * (P[i].s + P[j].s);
                if (d < bd) bd = d, best = j;
            }
            merge_into[i] = (best >= 0 && bd < 0) ? best : -2; /* nothing below: merges with the background */
        }
    }
    for (int i = 0; i < c->n_obj; i++) {
        if (merge_into[i] != -1 || area[i] == 0) continue;
        double u = synth_rng_uniform(&r), phi = synth_rng_range(&r, 0, SYNTH_PI), off = synth_rng_range(&r, -0.3, 0.3);
        int split = u < 0.22, part = synth_rng_uniform(&r) < 0.25;
        uint8_t *a = mk_new(&S), *b = split ? mk_new(&S) : NULL, *inner = part ? mk_new(&S) : NULL;
        if (!a || (split && !b) || (part && !inner)) break; /* mask budget spent: fewer masks */
        double nx = cos(phi), ny = sin(phi);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                size_t k = (size_t)y * W + x;
                if (resolve_owner(inst[k], merge_into) != i) continue;
                double qx, qy;
                to_local(&P[i], (x + 0.5) * sx, (y + 0.5) * sy, &qx, &qy);
                if (split && qx * nx + qy * ny > off) b[k] = 1;
                else a[k] = 1;
                if (inner && shape_sd(c->obj[i].cls, qx, qy) < -0.35) inner[k] = 1;
            }
    }
    /* 3. background regions (with missed and background-merged objects) */
    for (int g = 0; g < 3; g++) {
        double u = synth_rng_uniform(&r);
        if (u < 0.15) continue; /* left uncovered: id 0 */
        int patches = u < 0.45;
        uint64_t ps = synth_rng_u64(&r);
        uint8_t *a = mk_new(&S), *b = patches ? mk_new(&S) : NULL;
        if (!a || (patches && !b)) break;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                size_t k = (size_t)y * W + x;
                if (reg[k] != g || resolve_owner(inst[k], merge_into) != -1) continue;
                if (patches && vnoise((x + 0.5) * sx / 60, (y + 0.5) * sy / 60, ps) > 0.55) b[k] = 1;
                else a[k] = 1;
            }
    }
    /* 4. spurious small blobs (texture details SAM picks up) */
    int blobs = synth_rng_int(&r, 4);
    for (int bi = 0; bi < blobs; bi++) {
        double bx = synth_rng_range(&r, 0, c->W), by = synth_rng_range(&r, 0, c->H);
        double rx = synth_rng_range(&r, 0.02, 0.05) * c->H, ry = rx * synth_rng_range(&r, 0.5, 1.5);
        uint8_t *a = mk_new(&S);
        if (!a) break;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                double dx = ((x + 0.5) * sx - bx) / rx, dy = ((y + 0.5) * sy - by) / ry;
                if (dx * dx + dy * dy < 1) a[(size_t)y * W + x] = 1;
            }
    }
    /* 5. ascending area (stable), paint: smaller masks win */
    int order[MK_MAX], n = 0;
    for (int i = 0; i < S.n; i++) {
        int64_t s = 0;
        for (size_t k = 0; k < N; k++) s += S.m[i][k];
        S.area[i] = s;
        if (s > 0) order[n++] = i;
    }
    for (int i = 1; i < n; i++) { /* insertion sort: stable */
        int v = order[i], j = i - 1;
        while (j >= 0 && S.area[order[j]] > S.area[v]) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = v;
    }
    if (n > SYNTH_MAX_MASKIGE - 1) n = SYNTH_MAX_MASKIGE - 1;
    memset(ids, 0, N);
    for (int j = 0; j < n; j++) {
        const uint8_t *m = S.m[order[j]];
        for (size_t k = 0; k < N; k++)
            if (m[k] && !ids[k]) ids[k] = (uint8_t)(j + 1);
    }
done:
    mk_free(&S);
    free(inst);
    free(reg);
    return st;
}
