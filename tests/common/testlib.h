/* testlib.h: what every C test uses.
 *
 *  - reference vectors: tl_ref_open() loads tests/ref/data/<name>.safetensors and
 *    checks its "format_version" metadata; tl_ref_f32() fetches a float tensor
 *    by name (fails the test loudly if missing: run `make ref`).
 *  - comparisons: tl_check_close() passes iff every |got-want| <= atol + rtol*|want|,
 *    prints the worst element and the first mismatches, and counts a failure.
 *  - finite differences: tl_fd_check() compares an analytic gradient with central
 *    differences of a scalar loss accumulated in double.
 *  - summary: tl_summary() prints passes/failures/skips and returns the exit code.
 *    A skipped core test counts as a failure (tl_skip_core).
 */
#ifndef VCT_TESTLIB_H
#define VCT_TESTLIB_H

#include <stdint.h>

#include "core/tensor.h"

#define TL_REF_FORMAT_VERSION "1"

/* tally */
void tl_pass(const char *name);
void tl_fail(const char *name, const char *fmt, ...) VCT_PRINTF(2, 3);
void tl_skip(const char *name, const char *why);      /* optional test skipped */
void tl_skip_core(const char *name, const char *why); /* counts as a failure */
int tl_summary(const char *suite);                    /* prints; returns 0 iff no failure */
/* plain assertion: counts pass or fail */
int tl_expect(int cond, const char *name, const char *fmt, ...) VCT_PRINTF(3, 4);

/* Reference vectors. Returns 0 on success; on failure records a test failure. */
int tl_ref_open(const char *name, tensor_dict *d);
/* float32 data of tensor `name` (any float dtype is converted into a static-lifetime copy
 * owned by the dict if needed); n receives the element count; NULL + failure if missing. */
const float *tl_ref_f32(const tensor_dict *d, const char *name, int64_t *n);
const tensor *tl_ref_tensor(const tensor_dict *d, const char *name);
/* tensor `name` of dtype dt with exactly `want` elements (want < 0: any count);
 * NULL + failure otherwise */
const tensor *tl_ref_typed(const tensor_dict *d, const char *name, vct_dtype dt, int64_t want);
/* tl_ref_f32 with exactly `want` elements (want < 0: any count); NULL + failure otherwise */
const float *tl_ref_f32_n(const tensor_dict *d, const char *name, int64_t want);
/* int64 data of tensor `name`, any count; NULL + failure if missing or not int64 */
const int64_t *tl_ref_i64(const tensor_dict *d, const char *name);
/* the same for the key "<c>.<field>" (the generators' "<case>.<field>" naming) */
const float *tl_case_f32(const tensor_dict *d, const char *c, const char *field, int64_t want);
const tensor *tl_case_tensor(const tensor_dict *d, const char *c, const char *field, vct_dtype dt,
                             int64_t want);
/* number of cases in the metadata entry `key` (e.g. "cases"); counts a check `name`
 * that there is at least one */
int64_t tl_ref_case_count(const tensor_dict *d, const char *key, const char *name);

/* Compare; returns 1 if passed. */
int tl_check_close(const char *name, const float *got, const float *want, int64_t n, double atol,
                   double rtol);

/* got is a gradient accumulated (+=) into buffers that started at g0: compares it with
 * g0 + ref under tl_check_close */
int tl_check_accumulated(const char *name, const float *got, const float *g0, const float *ref,
                         int64_t n, double atol, double rtol);

/* Finite-difference check.
 * loss(ctx) returns the scalar loss (e.g. sum(out*dout)) computed in double from the
 * current contents of x. For `samples` indices (spread over x; all of them if
 * samples >= n), it perturbs x[i] by +-eps (4-point stencil when precise != 0),
 * compares (L(x+e)-L(x-e))/2e with grad[i] using |num-ana| <= atol + rtol*max(|num|,|ana|),
 * and skips a point if kink(ctx, i, eps) says it is within eps of a kink (may be NULL)
 * or if the two one-sided differences disagree by more than `kink_tol` relative
 * (a kink the predicate missed). Prints how many points were checked and skipped.
 * Fails if fewer than min_used points were usable or if grad is all zeros.
 * Returns 1 if passed. */
typedef double (*tl_loss_fn)(void *ctx);
typedef int (*tl_kink_fn)(void *ctx, int64_t i, double eps);
typedef struct tl_fd_opts {
    double eps;      /* default 1e-3 */
    double atol;     /* default 1e-3 */
    double rtol;     /* default 1e-2 */
    int64_t samples; /* default 64 */
    int64_t min_used;/* default: half of the samples */
    int precise;     /* 4-point stencil */
    double kink_tol; /* default 0.1 */
    tl_kink_fn kink;
} tl_fd_opts;
tl_fd_opts tl_fd_default(void);
int tl_fd_check(const char *name, float *x, int64_t n, const float *grad, tl_loss_fn loss,
                void *ctx, tl_fd_opts opts);

/* heap buffers for tests, never malloc(0): a copy of p[0..n) (p may be NULL: left
 * uninitialised) and n zeros; NULL if out of memory */
float *tl_dup(const float *p, int64_t n);
float *tl_zeros(int64_t n);

/* deterministic test inputs: uniform in [lo,hi) from a seed (not torch's generator) */
void tl_fill_uniform(float *x, int64_t n, uint64_t seed, float lo, float hi);

#endif
