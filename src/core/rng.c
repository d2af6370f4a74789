/* rng.c: torch 1.13's CPU generator (MT19937 + torch's conversions) and the
 * draw source (generate / record / replay). See rng.h and docs/rng.md. */
#include "core/rng.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ MT19937 */

/* c10::pi<double> */
#define RNG_PI 3.14159265358979323846

#define MT_M 397
#define MT_MATRIX_A 0x9908b0dfu
#define MT_UPPER 0x80000000u
#define MT_LOWER 0x7fffffffu

void torch_generator_manual_seed(torch_generator *g, uint64_t seed) {
    g->seed = seed;
    g->mt[0] = (uint32_t)(seed & 0xffffffffu);
    for (uint32_t i = 1; i < TORCH_MT_N; i++) {
        uint32_t prev = g->mt[i - 1];
        g->mt[i] = 1812433253u * (prev ^ (prev >> 30)) + i;
    }
    g->idx = TORCH_MT_N;
    g->has_normal = 0;
    g->normal = 0.0;
}

void torch_generator_init(torch_generator *g) { torch_generator_manual_seed(g, TORCH_DEFAULT_SEED); }

/* regenerate all TORCH_MT_N words of the state */
static void mt_twist(uint32_t *mt) {
    for (int i = 0; i < TORCH_MT_N; i++) {
        uint32_t y = (mt[i] & MT_UPPER) | (mt[(i + 1) % TORCH_MT_N] & MT_LOWER);
        uint32_t v = mt[(i + MT_M) % TORCH_MT_N] ^ (y >> 1);
        if (y & 1u) v ^= MT_MATRIX_A;
        mt[i] = v;
    }
}

uint32_t torch_generator_random(torch_generator *g) {
    if (g->idx >= TORCH_MT_N) {
        mt_twist(g->mt);
        g->idx = 0;
    }
    uint32_t y = g->mt[g->idx++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint64_t torch_generator_random64(torch_generator *g) {
    uint64_t hi = torch_generator_random(g);
    uint64_t lo = torch_generator_random(g);
    return (hi << 32) | lo;
}

/* ----------------------------------------------------------------- uniforms */

float torch_uniform_f32(torch_generator *g) {
    /* the low 24 bits (float's significand) scaled by 2^-24: exact in float */
    uint32_t v = torch_generator_random(g) & ((1u << 24) - 1u);
    return (float)v * (1.0f / 16777216.0f);
}

double torch_uniform_f64(torch_generator *g) {
    uint64_t v = torch_generator_random64(g) & ((UINT64_C(1) << 53) - 1u);
    return (double)v * (1.0 / 9007199254740992.0);
}

void torch_rand_f32(torch_generator *g, float *out, int64_t n) {
    /* uniform_(0, 1): x * (to - from) + from with to - from = 1, from = 0: exact */
    for (int64_t i = 0; i < n; i++) out[i] = torch_uniform_f32(g);
}

void torch_bernoulli_f32(torch_generator *g, float *out, int64_t n, double p) {
    /* Debian's torch has no MKL, so bernoulli_(float p) is the serial
     * per-element kernel: double uniform < p. (An MKL build would take one
     * random() as a seed for MKL's own stream instead.) */
    for (int64_t i = 0; i < n; i++) out[i] = torch_uniform_f64(g) < p ? 1.0f : 0.0f;
}

/* ------------------------------------------------- torch's float log/sin/cos */

/* Bit-exact float log, sin and cos as torch's AVX2 kernels compute them. Each is a
 * scalar re-statement of the vector code's arithmetic, one lane at a time; every
 * fmaf() below is a place where that code (or GCC's contraction of it: torch is
 * built with -ffp-contract=fast, -mfma) uses a fused multiply-add, and every other
 * operation rounds to float. This file is compiled with -std=c11, which keeps GCC
 * from contracting anything here (-ffp-contract=off); do not build it with
 * -ffast-math or -ffp-contract=fast. Checked bit for bit against torch in
 * tests/core/test_rng.c (and log_sleef against every positive float; docs/rng.md). */

static float bits_to_f32(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static uint32_t f32_to_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* Cephes' single-precision logf (S. L. Moshier) for x > 0, in the evaluation order
 * of torch's avx_mathfun log256_ps (used by normal_ for >= 16 floats).
 * x = 2^e * m, m folded into [sqrt(1/2), sqrt(2)); log = (m-1) + poly + e*ln2. */
static float log_cephes(float x) {
    const float sqrt_half = (float)0.707106781186547524;
    const float p[9] = {(float)7.0376836292E-2,  (float)-1.1514610310E-1, (float)1.1676998740E-1,
                        (float)-1.2420140846E-1, (float)1.4249322787E-1,  (float)-1.6668057665E-1,
                        (float)2.0000714765E-1,  (float)-2.4999993993E-1, (float)3.3333331174E-1};
    const float ln2_lo = (float)-2.12194440e-4, ln2_hi = (float)0.693359375;
    if (x < FLT_MIN) x = FLT_MIN; /* denormals cut off; x <= 0 does not occur here */
    uint32_t b = f32_to_bits(x);
    float e = (float)((int)(b >> 23) - 127) + 1.0f;
    float m = bits_to_f32((b & ~0x7f800000u) | 0x3f000000u); /* mantissa in [0.5, 1) */
    int below = m < sqrt_half; /* then use 2m - 1 and e - 1 */
    float fold = below ? m : 0.0f;
    m = m - 1.0f;
    e = e - (below ? 1.0f : 0.0f);
    m = m + fold;
    float z = m * m;
    float y = p[0];
    for (int i = 1; i < 9; i++) y = fmaf(y, m, p[i]);
    y = y * m;
    float e_lo = e * ln2_lo;
    y = fmaf(y, z, e_lo);
    y = fmaf(-z, 0.5f, y);
    float e_hi = e * ln2_hi;
    float r = m + y;
    return r + e_hi;
}

/* Cephes' sinf/cosf for 0 <= x < 8192, as torch's avx_mathfun sincos256_ps:
 * octant j of x*4/pi, extended-precision reduction, two polynomials. */
static void sincos_cephes(float x, float *s, float *c) {
    const float four_over_pi = (float)1.27323954473516;
    const float dp1 = (float)-0.78515625, dp2 = (float)-2.4187564849853515625e-4,
                dp3 = (float)-3.77489497744594108e-8;
    const float sp0 = (float)-1.9515295891E-4, sp1 = (float)8.3321608736E-3, sp2 = (float)-1.6666654611E-1;
    const float cp0 = (float)2.443315711809948E-005, cp1 = (float)-1.388731625493765E-003,
                cp2 = (float)4.166664568298827E-002;
    uint32_t sign_in = f32_to_bits(x) & 0x80000000u;
    x = fabsf(x);
    int j = (int)(x * four_over_pi); /* truncation, as cvttps */
    j = (j + 1) & ~1;
    float y = (float)j;
    uint32_t sign_s = sign_in ^ ((uint32_t)(j & 4) << 29);
    uint32_t sign_c = (uint32_t)(~(j - 2) & 4) << 29;
    int first = (j & 2) == 0; /* sin from the sine polynomial, cos from the cosine one */
    x = fmaf(y, dp1, x);
    x = fmaf(y, dp2, x);
    x = fmaf(y, dp3, x);
    float z = x * x;
    float pc = fmaf(cp0, z, cp1);
    pc = fmaf(pc, z, cp2);
    pc = pc * z;
    pc = fmaf(pc, z, -(z * 0.5f));
    pc = pc + 1.0f;
    float ps = fmaf(sp0, z, sp1);
    ps = fmaf(ps, z, sp2);
    ps = ps * z;
    ps = fmaf(ps, x, x);
    /* the vector code selects by masking and adding +0.0f; keep its signed zeros */
    float sv = (first ? 0.0f : pc) + (first ? ps : 0.0f);
    float cv = (first ? pc : 0.0f) + (first ? 0.0f : ps);
    *s = bits_to_f32(f32_to_bits(sv) ^ sign_s);
    *c = bits_to_f32(f32_to_bits(cv) ^ sign_c);
}

/* SLEEF's logf_u10 (1-ulp log with double-float arithmetic, N. Shibata et al.,
 * SLEEF 3.5 as Debian ships it), as its AVX2+FMA build evaluates it: torch.log on
 * float tensors calls Sleef_logf8_u10. log(d) = e*ln2 + 2*atanh((m-1)/(m+1)). */
static float log_sleef(float d) {
    const float ln2_hi = 0.69314718246459960938f, ln2_lo = -1.904654323148236017e-09f;
    if (isnan(d) || d < 0.0f) return NAN;
    if (d == 0.0f) return -INFINITY;
    if (isinf(d)) return INFINITY;
    int tiny = d < FLT_MIN;
    if (tiny) d = d * 18446744073709551616.0f; /* 2^64 */
    int e = (int)((f32_to_bits(d * (1.0f / 0.75f)) >> 23) & 0xffu) - 127;
    float m = bits_to_f32(f32_to_bits(d) - (uint32_t)e * (1u << 23)); /* d * 2^-e */
    if (tiny) e -= 64;
    float fe = (float)e;
    /* s = ln2 * e in double-float */
    float s_hi = ln2_hi * fe;
    float s_lo = fmaf(ln2_lo, fe, fmaf(ln2_hi, fe, -s_hi));
    /* num = -1 + m, den = 1 + m, each as an exact double-float sum */
    float n_hi = -1.0f + m, n_v = n_hi + 1.0f;
    float n_lo = (-1.0f - (n_hi - n_v)) + (m - n_v);
    float d_hi = 1.0f + m, d_v = d_hi - 1.0f;
    float d_lo = (1.0f - (d_hi - d_v)) + (m - d_v);
    /* x = num / den in double-float */
    float rcp = 1.0f / d_hi;
    float x_hi = n_hi * rcp;
    float u = fmaf(rcp, n_hi, -x_hi);
    float v = fmaf(-d_lo, rcp, fmaf(-d_hi, rcp, 1.0f));
    float x_lo = fmaf(x_hi, v, fmaf(n_lo, rcp, u));
    float x2 = x_hi * x_hi;
    float t = 0.3027294874f;
    t = fmaf(t, x2, 0.3996108174f);
    t = fmaf(t, x2, 0.6666694880f);
    /* s += 2x (double-float add), then s += x^3 t */
    float a_hi = x_hi * 2.0f, a_lo = x_lo * 2.0f;
    float s2_hi = s_hi + a_hi;
    float s2_lo = (((s_hi - s2_hi) + a_hi) + s_lo) + a_lo;
    float w = (x2 * x_hi) * t;
    float s3_hi = s2_hi + w;
    float s3_lo = ((s2_hi - s3_hi) + w) + s2_lo;
    return s3_hi + s3_lo;
}

/* ------------------------------------------------------------------- normal */

/* one scalar normal: torch's at::normal_distribution<double> with the cache */
static double normal_scalar(torch_generator *g, double mean, double std) {
    if (g->has_normal) {
        g->has_normal = 0;
        return g->normal * std + mean;
    }
    double u1 = torch_uniform_f64(g);
    double u2 = torch_uniform_f64(g);
    double r = sqrt(-2.0 * log(1.0 - u2));
    double theta = 2.0 * RNG_PI * u1;
    g->normal = r * sin(theta);
    g->has_normal = 1;
    double z = r * cos(theta);
    return z * std + mean;
}

/* Box-Muller on 16 uniforms in place: d[j] and d[j+8] from (1 - d[j], d[j+8]) */
static void normal_fill16(float *d, float mean, float std) {
    const float two_pi = (float)(2.0 * RNG_PI);
    for (int j = 0; j < 8; j++) {
        float u1 = 1.0f - d[j]; /* (0, 1] for the log */
        float u2 = d[j + 8];
        float radius = sqrtf(-2.0f * log_cephes(u1));
        float theta = two_pi * u2;
        float sin_t, cos_t;
        sincos_cephes(theta, &sin_t, &cos_t);
        float n1 = radius * cos_t;
        float n2 = radius * sin_t;
        d[j] = fmaf(n1, std, mean);
        d[j + 8] = fmaf(n2, std, mean);
    }
}

void torch_normal_f32(torch_generator *g, float *out, int64_t n, double mean, double std) {
    if (n < 16) {
        for (int64_t i = 0; i < n; i++) out[i] = (float)normal_scalar(g, mean, std);
        return;
    }
    /* all uniforms first, then 16 at a time; a ragged end redraws the last 16 */
    for (int64_t i = 0; i < n; i++) out[i] = torch_uniform_f32(g);
    for (int64_t i = 0; i + 16 <= n; i += 16) normal_fill16(out + i, (float)mean, (float)std);
    if (n % 16 != 0) {
        float *d = out + n - 16;
        for (int i = 0; i < 16; i++) d[i] = torch_uniform_f32(g);
        normal_fill16(d, (float)mean, (float)std);
    }
}

/* ------------------------------------------------------------------- gumbel */

void torch_gumbel_f32(torch_generator *g, float *out, int64_t n) {
    /* Uniform(finfo.tiny, 1 - finfo.eps).rsample: low + rand * (high - low) in float32 */
    const float low = FLT_MIN;
    const float high = 1.0f - FLT_EPSILON;
    const float range = high - low;
    for (int64_t i = 0; i < n; i++) {
        float r = torch_uniform_f32(g);
        float scaled = r * range;
        float u = low + scaled;
        /* ExpTransform().inv, Affine(0, -1), ExpTransform().inv, Affine(0, -1) */
        float a = -log_sleef(u);
        out[i] = -log_sleef(a);
    }
}

/* -------------------------------------------------------------- draw source */

void draw_source_init_generate(draw_source *ds, torch_generator *g) {
    memset(ds, 0, sizeof *ds);
    ds->mode = DRAW_SOURCE_GENERATE;
    ds->gen = g;
    snprintf(ds->prefix, sizeof ds->prefix, "rng");
}

void draw_source_init_record(draw_source *ds, torch_generator *g, tensor_dict *rec,
                             const char *prefix) {
    draw_source_init_generate(ds, g);
    ds->record = rec;
    snprintf(ds->prefix, sizeof ds->prefix, "%s", prefix ? prefix : "rng");
}

void draw_source_free(draw_source *ds) {
    free(ds->draws);
    free(ds->kinds);
    ds->draws = NULL;
    ds->kinds = NULL;
    ds->n_draws = 0;
}

vct_status draw_source_set_sites(draw_source *ds, const char *const *sites, int64_t n, vct_error *err) {
    if (ds->mode != DRAW_SOURCE_REPLAY)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "draw sites: only a replaying draw source checks call sites");
    if (n != ds->n_draws)
        return vct_fail(err, VCT_STATUS_FORMAT,
                        "draw sites: %" PRId64 " call sites for %" PRId64 " recorded draws (one site per draw)", n,
                        ds->n_draws);
    ds->sites = sites;
    return VCT_STATUS_OK;
}

/* the caller's site names the recorded one: equal, or a prefix ending at a ':' of it */
static int site_matches(const char *recorded, const char *site) {
    size_t n = strlen(site);
    return strncmp(recorded, site, n) == 0 && (recorded[n] == '\0' || recorded[n] == ':');
}

/* "<prefix>.<digits>.<kind>": number and kind, or -1 if name is not a draw */
static int64_t parse_draw_name(const char *name, const char *prefix, const char **kind) {
    size_t lp = strlen(prefix);
    if (strncmp(name, prefix, lp) != 0 || name[lp] != '.') return -1;
    const char *p = name + lp + 1;
    int64_t num = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (num > (INT64_MAX - 9) / 10) return -1;
        num = num * 10 + (*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || *p != '.' || p[1] == '\0') return -1;
    *kind = p + 1;
    return num;
}

vct_status draw_source_init_replay(draw_source *ds, const tensor_dict *rec, const char *prefix,
                                   vct_error *err) {
    memset(ds, 0, sizeof *ds);
    ds->mode = DRAW_SOURCE_REPLAY;
    snprintf(ds->prefix, sizeof ds->prefix, "%s", prefix ? prefix : "rng");
    vct_status st = VCT_STATUS_OK;
    int64_t n = 0;
    for (int64_t i = 0; i < rec->count; i++) {
        const char *kind;
        if (parse_draw_name(rec->items[i].name, ds->prefix, &kind) >= 0) n++;
    }
    if (n > 0) {
        ds->draws = calloc((size_t)n, sizeof *ds->draws);
        ds->kinds = calloc((size_t)n, sizeof *ds->kinds);
        if (!ds->draws || !ds->kinds) {
            st = vct_fail(err, VCT_STATUS_NO_MEMORY, "replay: no memory for %" PRId64 " draws", n);
            goto fail;
        }
    }
    ds->n_draws = n;
    for (int64_t i = 0; i < rec->count; i++) {
        const named_tensor *it = &rec->items[i];
        const char *kind;
        int64_t k = parse_draw_name(it->name, ds->prefix, &kind);
        if (k < 0) continue;
        if (k >= n) {
            st = vct_fail(err, VCT_STATUS_FORMAT,
                          "replay: recorded draw '%s' is numbered %" PRId64 " but there are only %" PRId64
                          " draws named '%s.*' (numbers must run 0..%" PRId64 ")",
                          it->name, k, n, ds->prefix, n - 1);
            goto fail;
        }
        if (ds->draws[k]) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "replay: draw %" PRId64 " recorded twice: '%s' repeats a %s draw",
                          k, it->name, ds->kinds[k]);
            goto fail;
        }
        if (it->t.dtype != VCT_DTYPE_F32) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "replay: recorded draw '%s' has dtype %s, expected F32",
                          it->name, dtype_name(it->t.dtype));
            goto fail;
        }
        ds->draws[k] = &it->t;
        ds->kinds[k] = kind;
    }
    return VCT_STATUS_OK;
fail:
    draw_source_free(ds);
    return st;
}

/* Next draw of kind/shape: in replay, copy the recorded values to out and
 * return 1; in generate mode return 0 (the caller draws), after checks. */
static vct_status next_draw(draw_source *ds, const char *kind, int ndim, const int64_t *shape,
                            const char *site, float *out, int *replayed, vct_error *err) {
    char sbuf[160], rbuf[160];
    const char *at = site ? site : "";
    const char *sep = site ? " at " : "";
    *replayed = 0;
    if (ndim < 0 || ndim > VCT_MAX_DIMS)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "draw %" PRId64 " (%s%s%s): %d dims", ds->pos,
                        kind, sep, at, ndim);
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "draw %" PRId64 " (%s%s%s): negative shape %s",
                            ds->pos, kind, sep, at, shape_str(ndim, shape, sbuf, sizeof sbuf));
    if (ds->mode == DRAW_SOURCE_GENERATE) return VCT_STATUS_OK;

    shape_str(ndim, shape, sbuf, sizeof sbuf);
    if (ds->pos >= ds->n_draws)
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "replay: ran out of recorded draws at draw %" PRId64 " (%s %s%s%s); the recording "
                        "has %" PRId64 " draws",
                        ds->pos, kind, sbuf, sep, at, ds->n_draws);
    const tensor *t = ds->draws[ds->pos];
    const char *rkind = ds->kinds[ds->pos];
    if (strcmp(rkind, kind) != 0 || !shape_equal(t->ndim, t->shape, ndim, shape))
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "replay mismatch at draw %" PRId64 ": recorded %s %s, now %s %s%s%s", ds->pos,
                        rkind, shape_str(t->ndim, t->shape, rbuf, sizeof rbuf), kind, sbuf, sep, at);
    const char *rsite = ds->sites ? ds->sites[ds->pos] : NULL;
    if (rsite && site && !site_matches(rsite, site))
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "replay mismatch at draw %" PRId64 ": recorded %s %s at %s, now %s %s at %s (the draws are "
                        "made in another order or at another call site than in the reference)",
                        ds->pos, rkind, shape_str(t->ndim, t->shape, rbuf, sizeof rbuf), rsite, kind, sbuf, site);
    memcpy(out, t->data, tensor_nbytes(t));
    *replayed = 1;
    return VCT_STATUS_OK;
}

/* after a generated draw: append to the record dict if recording */
static vct_status record_draw(draw_source *ds, const char *kind, int ndim, const int64_t *shape,
                              const float *vals, vct_error *err) {
    if (!ds->record) return VCT_STATUS_OK;
    char name[128];
    snprintf(name, sizeof name, "%s.%04" PRId64 ".%s", ds->prefix, ds->pos, kind);
    return tensor_dict_add(ds->record, name, VCT_DTYPE_F32, ndim, shape, vals, NULL, err);
}

vct_status draw_source_rand(draw_source *ds, float *out, int ndim, const int64_t *shape,
                            const char *site, vct_error *err) {
    int replayed;
    VCT_TRY(next_draw(ds, "torch.rand", ndim, shape, site, out, &replayed, err));
    if (!replayed) {
        torch_rand_f32(ds->gen, out, shape_numel(ndim, shape));
        VCT_TRY(record_draw(ds, "torch.rand", ndim, shape, out, err));
    }
    ds->pos++;
    return VCT_STATUS_OK;
}

vct_status draw_source_gumbel(draw_source *ds, float *out, int ndim, const int64_t *shape,
                              const char *site, vct_error *err) {
    int replayed;
    VCT_TRY(next_draw(ds, "gumbel", ndim, shape, site, out, &replayed, err));
    if (!replayed) {
        torch_gumbel_f32(ds->gen, out, shape_numel(ndim, shape));
        VCT_TRY(record_draw(ds, "gumbel", ndim, shape, out, err));
    }
    ds->pos++;
    return VCT_STATUS_OK;
}

vct_status draw_source_droppath_keep(draw_source *ds, float *mask, int64_t B, int x_ndim,
                                     double keep_prob, const char *site, vct_error *err) {
    const char *at = site ? site : "";
    const char *sep = site ? " at " : "";
    if (x_ndim < 1 || x_ndim > VCT_MAX_DIMS || B < 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "draw %" PRId64 " (droppath_keep%s%s): batch %" PRId64 ", %d dims", ds->pos, sep, at,
                        B, x_ndim);
    if (!(keep_prob >= 0.0 && keep_prob <= 1.0))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "draw %" PRId64 " (droppath_keep%s%s): keep probability %g not in [0,1]", ds->pos,
                        sep, at, keep_prob);
    int64_t shape[VCT_MAX_DIMS];
    shape[0] = B;
    for (int d = 1; d < x_ndim; d++) shape[d] = 1;
    int replayed;
    VCT_TRY(next_draw(ds, "droppath_keep", x_ndim, shape, site, mask, &replayed, err));
    if (replayed) {
        for (int64_t b = 0; b < B; b++)
            if (mask[b] != 0.0f && mask[b] != 1.0f)
                return vct_fail(err, VCT_STATUS_FORMAT,
                                "replay: draw %" PRId64 " (droppath_keep%s%s): recorded keep mask holds %g "
                                "at batch %" PRId64 ", expected 0 or 1",
                                ds->pos, sep, at, (double)mask[b], b);
    } else {
        torch_bernoulli_f32(ds->gen, mask, B, keep_prob);
        VCT_TRY(record_draw(ds, "droppath_keep", x_ndim, shape, mask, err));
    }
    ds->pos++;
    return VCT_STATUS_OK;
}

vct_status draw_source_finish(const draw_source *ds, vct_error *err) {
    if (ds->mode == DRAW_SOURCE_REPLAY && ds->pos != ds->n_draws)
        return vct_fail(err, VCT_STATUS_SHAPE,
                        "replay: %" PRId64 " of %" PRId64 " recorded draws used; the next unused is draw %" PRId64
                        " (%s)",
                        ds->pos, ds->n_draws, ds->pos, ds->kinds[ds->pos]);
    return VCT_STATUS_OK;
}
