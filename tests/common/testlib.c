/* testlib.c: see testlib.h. */
#include "testlib.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

static int n_pass, n_fail, n_skip, n_core_skip;

void tl_pass(const char *name) {
    n_pass++;
    printf("PASS %s\n", name);
}

void tl_fail(const char *name, const char *fmt, ...) {
    n_fail++;
    printf("FAIL %s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

void tl_skip(const char *name, const char *why) {
    n_skip++;
    printf("SKIP %s: %s\n", name, why);
}

void tl_skip_core(const char *name, const char *why) {
    n_core_skip++;
    printf("SKIP (core test: counts as a failure) %s: %s\n", name, why);
}

int tl_expect(int cond, const char *name, const char *fmt, ...) {
    if (cond) {
        tl_pass(name);
        return 1;
    }
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tl_fail(name, "%s", buf);
    return 0;
}

int tl_summary(const char *suite) {
    int failed = n_fail + n_core_skip;
    printf("%s: %d passed, %d failed, %d skipped%s\n", suite, n_pass, n_fail, n_skip + n_core_skip,
           n_core_skip ? " (core skips count as failures)" : "");
    if (n_pass + n_fail == 0) {
        printf("%s: nothing was checked: failing\n", suite);
        return 1;
    }
    return failed ? 1 : 0;
}

int tl_ref_open(const char *name, tensor_dict *d) {
    char path[1024];
    snprintf(path, sizeof path, "tests/ref/data/%s.safetensors", name);
    vct_error err = {0};
    if (safetensors_read(path, d, &err) != VCT_STATUS_OK) {
        tl_fail(name, "%s\n---> HINT: run `make ref` to regenerate test vectors", err.msg);
        return -1;
    }
    const char *v = tensor_dict_get_meta(d, "format_version");
    if (!v || strcmp(v, TL_REF_FORMAT_VERSION) != 0) {
        tl_fail(name, "%s: format_version %s, expected %s\n---> HINT: run `make ref`", path,
                v ? v : "(none)", TL_REF_FORMAT_VERSION);
        tensor_dict_free(d);
        return -1;
    }
    return 0;
}

const tensor *tl_ref_tensor(const tensor_dict *d, const char *name) {
    const tensor *t = tensor_dict_find(d, name);
    if (!t) tl_fail(name, "reference tensor missing (run `make ref`)");
    return t;
}

const float *tl_ref_f32(const tensor_dict *d, const char *name, int64_t *n) {
    const tensor *t = tl_ref_tensor(d, name);
    if (!t) return NULL;
    if (t->dtype != VCT_DTYPE_F32) {
        /* convert in place into a float buffer owned by the dict entry */
        int64_t m = tensor_numel(t);
        float *f = malloc((size_t)(m ? m : 1) * sizeof *f);
        if (!f) return NULL;
        for (int64_t i = 0; i < m; i++) f[i] = (float)dtype_get_f64(t->data, t->dtype, i);
        tensor *mt = (tensor *)t;
        free(mt->data);
        mt->data = f;
        mt->dtype = VCT_DTYPE_F32;
    }
    if (n) *n = tensor_numel(t);
    return t->data;
}

const tensor *tl_ref_typed(const tensor_dict *d, const char *name, vct_dtype dt, int64_t want) {
    const tensor *t = tl_ref_tensor(d, name);
    if (!t) return NULL;
    if (t->dtype != dt || (want >= 0 && tensor_numel(t) != want)) {
        char count[48] = "";
        if (want >= 0) snprintf(count, sizeof count, " with %lld", (long long)want);
        tl_fail(name, "dtype %s with %lld elements, expected %s%s", dtype_name(t->dtype),
                (long long)tensor_numel(t), dtype_name(dt), count);
        return NULL;
    }
    return t;
}

const float *tl_ref_f32_n(const tensor_dict *d, const char *name, int64_t want) {
    int64_t m = 0;
    const float *p = tl_ref_f32(d, name, &m);
    if (p && want >= 0 && m != want) {
        tl_fail(name, "has %lld elements, expected %lld", (long long)m, (long long)want);
        return NULL;
    }
    return p;
}

const int64_t *tl_ref_i64(const tensor_dict *d, const char *name) {
    const tensor *t = tl_ref_typed(d, name, VCT_DTYPE_I64, -1);
    return t ? t->data : NULL;
}

const float *tl_case_f32(const tensor_dict *d, const char *c, const char *field, int64_t want) {
    char key[256];
    snprintf(key, sizeof key, "%s.%s", c, field);
    return tl_ref_f32_n(d, key, want);
}

const tensor *tl_case_tensor(const tensor_dict *d, const char *c, const char *field, vct_dtype dt,
                             int64_t want) {
    char key[256];
    snprintf(key, sizeof key, "%s.%s", c, field);
    return tl_ref_typed(d, key, dt, want);
}

int64_t tl_ref_case_count(const tensor_dict *d, const char *key, const char *name) {
    const char *v = tensor_dict_get_meta(d, key);
    int64_t n = v ? atoll(v) : 0;
    tl_expect(n > 0, name, "metadata %s=%s", key, v ? v : "(none)");
    return n;
}

int tl_check_accumulated(const char *name, const float *got, const float *g0, const float *ref,
                         int64_t n, double atol, double rtol) {
    float *want = tl_zeros(n);
    if (!want) {
        tl_fail(name, "out of memory");
        return 0;
    }
    for (int64_t i = 0; i < n; i++) want[i] = g0[i] + ref[i];
    int ok = tl_check_close(name, got, want, n, atol, rtol);
    free(want);
    return ok;
}

float *tl_dup(const float *p, int64_t n) {
    float *q = malloc((size_t)(n > 0 ? n : 1) * sizeof *q);
    if (q && p) memcpy(q, p, (size_t)n * sizeof *q);
    return q;
}

float *tl_zeros(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(float)); }

int tl_check_close(const char *name, const float *got, const float *want, int64_t n, double atol,
                   double rtol) {
    int64_t worst = -1, bad = 0;
    double worst_excess = -INFINITY, max_abs = 0;
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], w = want[i], d = fabs(g - w);
        int nan_ok = isnan(g) && isnan(w);
        int inf_ok = isinf(g) && isinf(w) && (g > 0) == (w > 0);
        if (nan_ok || inf_ok) continue;
        if (isnan(d)) d = INFINITY;
        double excess = d - (atol + rtol * fabs(w));
        if (d > max_abs) max_abs = d;
        if (excess > worst_excess) {
            worst_excess = excess;
            worst = i;
        }
        if (excess > 0) {
            if (bad < 5) printf("  %s[%lld]: got %.9g want %.9g (diff %.3g)\n", name, (long long)i, g, w, d);
            bad++;
        }
    }
    if (n == 0) {
        tl_fail(name, "empty comparison");
        return 0;
    }
    if (bad) {
        tl_fail(name, "%lld of %lld elements outside atol %.3g rtol %.3g; worst [%lld] got %.9g want %.9g",
                (long long)bad, (long long)n, atol, rtol, (long long)worst, (double)got[worst],
                (double)want[worst]);
        return 0;
    }
    printf("PASS %s: %lld elements, max abs diff %.3g (atol %.3g rtol %.3g)\n", name, (long long)n,
           max_abs, atol, rtol);
    n_pass++;
    return 1;
}

tl_fd_opts tl_fd_default(void) {
    tl_fd_opts o = {1e-3, 1e-3, 1e-2, 64, -1, 0, 0.1, NULL};
    return o;
}

static double eval_at(float *x, int64_t i, double v, tl_loss_fn loss, void *ctx) {
    float keep = x[i];
    x[i] = (float)v;
    double l = loss(ctx);
    x[i] = keep;
    return l;
}

int tl_fd_check(const char *name, float *x, int64_t n, const float *grad, tl_loss_fn loss, void *ctx,
                tl_fd_opts o) {
    if (o.eps <= 0) o.eps = 1e-3;
    if (o.samples <= 0) o.samples = 64;
    int64_t m = o.samples < n ? o.samples : n;
    if (o.min_used < 0) o.min_used = (m + 1) / 2;
    int any_nonzero = 0;
    for (int64_t i = 0; i < n; i++)
        if (grad[i] != 0) any_nonzero = 1;
    if (!any_nonzero) {
        tl_fail(name, "finite differences: analytic gradient is all zeros");
        return 0;
    }
    int64_t used = 0, skipped = 0, bad = 0;
    double worst = 0;
    for (int64_t s = 0; s < m; s++) {
        /* spread samples evenly, with a stride co-prime-ish to common sizes */
        int64_t i = m == n ? s : (int64_t)(((uint64_t)s * 2654435761u) % (uint64_t)n);
        double x0 = x[i], e = o.eps * (fabs(x0) > 1 ? fabs(x0) : 1);
        if (o.kink && o.kink(ctx, i, e)) {
            skipped++;
            continue;
        }
        double lp = eval_at(x, i, x0 + e, loss, ctx), lm = eval_at(x, i, x0 - e, loss, ctx);
        double l0 = loss(ctx);
        /* the perturbed values are floats: use the realised step */
        double hp = (double)(float)(x0 + e) - x0, hm = x0 - (double)(float)(x0 - e);
        double num = (lp - lm) / (hp + hm);
        double right = (lp - l0) / hp, left = (l0 - lm) / hm;
        if (fabs(right - left) > o.kink_tol * (fabs(right) + fabs(left)) + 10 * o.atol) {
            skipped++; /* one-sided slopes disagree: a kink within eps */
            continue;
        }
        if (o.precise) {
            double lp2 = eval_at(x, i, x0 + 2 * e, loss, ctx), lm2 = eval_at(x, i, x0 - 2 * e, loss, ctx);
            double h2 = (double)(float)(x0 + 2 * e) - (double)(float)(x0 - 2 * e);
            /* 4-point stencil (8(f+ - f-) - (f2+ - f2-)) / 12e, with the realised steps */
            num = (4.0 / 3.0) * (lp - lm) / (hp + hm) - (1.0 / 3.0) * (lp2 - lm2) / h2;
        }
        double ana = grad[i], d = fabs(num - ana);
        double lim = o.atol + o.rtol * fmax(fabs(num), fabs(ana));
        if (d / lim > worst) worst = d / lim;
        if (d > lim) {
            if (bad < 5) printf("  %s[%lld]: analytic %.7g numeric %.7g\n", name, (long long)i, ana, num);
            bad++;
        }
        used++;
    }
    if (used < o.min_used) {
        tl_fail(name, "finite differences: only %lld of %lld points usable (%lld at kinks), need %lld",
                (long long)used, (long long)m, (long long)skipped, (long long)o.min_used);
        return 0;
    }
    if (bad) {
        tl_fail(name, "finite differences: %lld of %lld points disagree (worst %.2fx the tolerance)",
                (long long)bad, (long long)used, worst);
        return 0;
    }
    printf("PASS %s: finite differences at %lld points (%lld skipped at kinks), worst %.2fx the tolerance\n",
           name, (long long)used, (long long)skipped, worst);
    n_pass++;
    return 1;
}

void tl_fill_uniform(float *x, int64_t n, uint64_t seed, float lo, float hi) {
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = lo + (hi - lo) * (float)((s >> 40) * (1.0 / 16777216.0));
    }
}
