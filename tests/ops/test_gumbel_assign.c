/* test_gumbel_assign.c: AssignAttention hard straight-through assignment vs torch 1.13
 * (tests/ref/gen_gumbel_assign.py).
 *
 *  - forward: argmax indices equal torch's (ties -> first query), attn bit-exact (it is
 *    exactly onehot/(n+1)), soft S atol 1e-6 rtol 1e-5; eval (no noise) and train (Gumbel
 *    noise given, tau 1 and 0.5);
 *  - backward: dlogits atol 1e-6 rtol 1e-4 against torch autograd (|dlogits| <= ~0.3);
 *  - finite differences: the straight-through gradient is the gradient of the surrogate
 *    F(z) = (H0 - S0 + S(z)) / (rowsum(H0 - S0 + S(z)) + eps) with H0, S0 frozen at the
 *    forward point (F equals the forward there); its loss sum(F*dout) is evaluated in double
 *    and differentiated numerically w.r.t. the logits;
 *  - argument errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "ops/gumbel_assign.h"

typedef struct fd_ctx {
    float *logits;
    const float *noise, *soft0, *dout;
    const int64_t *index0;
    float tau, eps;
    int64_t B, Q, N;
    double *z, *a; /* scratch [Q] and [Q*N] */
} fd_ctx;

/* surrogate loss in double: frozen hard/soft, live softmax */
static double surrogate_loss(void *p) {
    fd_ctx *c = p;
    int64_t Q = c->Q, N = c->N;
    double loss = 0;
    for (int64_t b = 0; b < c->B; b++) {
        for (int64_t n = 0; n < N; n++) {
            double mx = -INFINITY, sum = 0;
            for (int64_t q = 0; q < Q; q++) {
                int64_t i = (b * Q + q) * N + n;
                double z = c->logits[i];
                if (c->noise) z = (z + c->noise[i]) / c->tau;
                c->z[q] = z;
                if (z > mx) mx = z;
            }
            for (int64_t q = 0; q < Q; q++) sum += exp(c->z[q] - mx);
            for (int64_t q = 0; q < Q; q++) {
                int64_t i = (b * Q + q) * N + n;
                double h = c->index0[b * N + n] == q ? 1.0 : 0.0;
                c->a[q * N + n] = h - c->soft0[i] + exp(c->z[q] - mx) / sum;
            }
        }
        for (int64_t q = 0; q < Q; q++) {
            double rs = 0;
            for (int64_t n = 0; n < N; n++) rs += c->a[q * N + n];
            for (int64_t n = 0; n < N; n++)
                loss += c->a[q * N + n] / (rs + c->eps) * c->dout[(b * Q + q) * N + n];
        }
    }
    return loss;
}

static void run_case(const tensor_dict *d, int64_t k, arena *scratch) {
    char name[256], key[32], label[96];
    snprintf(key, sizeof key, "c%lld", (long long)k);
#define REF(field) (snprintf(name, sizeof name, "%s." field, key), name)
    const int64_t *dims = tl_ref_i64(d, REF("dims"));
    const int64_t *index = tl_ref_i64(d, REF("index"));
    int64_t n = 0;
    const float *logits = tl_ref_f32(d, REF("logits"), &n);
    const float *out = tl_ref_f32(d, REF("out"), NULL);
    const float *soft = tl_ref_f32(d, REF("soft"), NULL);
    const float *dout = tl_ref_f32(d, REF("dout"), NULL);
    const float *dlogits = tl_ref_f32(d, REF("dlogits"), NULL);
    const float *taup = tl_ref_f32(d, REF("tau"), NULL);
    if (!dims || !index || !logits || !out || !soft || !dout || !dlogits || !taup) return;
    int64_t B = dims[0], Q = dims[1], N = dims[2];
    int gumbel = (int)dims[3];
    const float *noise = gumbel ? tl_ref_f32(d, REF("noise"), NULL) : NULL;
#undef REF
    if (gumbel && !noise) return;
    float tau = taup[0];
    snprintf(label, sizeof label, "gumbel_assign.%s.B%lldQ%lldN%lld%s", key, (long long)B, (long long)Q,
             (long long)N, gumbel ? ".gumbel" : ".eval");
    float *attn = malloc(sizeof(float) * (size_t)n), *s = malloc(sizeof(float) * (size_t)n);
    float *den = malloc(sizeof(float) * (size_t)(B * Q)), *gl = calloc((size_t)n, sizeof(float));
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)(B * N));
    vct_error err = {0};
    vct_status st = gumbel_assign_forward(attn, s, idx, den, logits, noise, tau, 1.0f, B, Q, N, &err);
    tl_expect(st == VCT_STATUS_OK, label, "forward: %s", err.msg);
    int64_t bad = 0;
    for (int64_t i = 0; i < B * N; i++)
        if (idx[i] != index[i]) {
            if (bad < 3) printf("  index[%lld]: got %lld want %lld\n", (long long)i, (long long)idx[i], (long long)index[i]);
            bad++;
        }
    snprintf(name, sizeof name, "%s.argmax", label);
    tl_expect(bad == 0, name, "%lld of %lld argmax indices differ", (long long)bad, (long long)(B * N));
    snprintf(name, sizeof name, "%s.tie_first_index", label);
    tl_expect(idx[0] == 1 && idx[1] == 0, name, "tie columns gave %lld and %lld, want 1 and 0",
              (long long)idx[0], (long long)idx[1]);
    snprintf(name, sizeof name, "%s.attn_bit_exact", label);
    tl_check_close(name, attn, out, n, 0, 0);
    snprintf(name, sizeof name, "%s.soft", label);
    tl_check_close(name, s, soft, n, 1e-6, 1e-5);
    st = gumbel_assign_backward(gl, dout, s, idx, den, gumbel, tau, B, Q, N, scratch, &err);
    tl_expect(st == VCT_STATUS_OK, label, "backward: %s", err.msg);
    snprintf(name, sizeof name, "%s.dlogits", label);
    tl_check_close(name, gl, dlogits, n, 1e-6, 1e-4);
    gumbel_assign_backward(gl, dout, s, idx, den, gumbel, tau, B, Q, N, NULL, &err);
    for (int64_t i = 0; i < n; i++) gl[i] *= 0.5f;
    snprintf(name, sizeof name, "%s.dlogits_accumulates", label);
    tl_check_close(name, gl, dlogits, n, 1e-6, 1e-4);

    /* finite differences of the straight-through surrogate */
    memset(gl, 0, sizeof(float) * (size_t)n);
    gumbel_assign_backward(gl, dout, s, idx, den, gumbel, tau, B, Q, N, NULL, &err);
    float *lc = malloc(sizeof(float) * (size_t)n);
    memcpy(lc, logits, sizeof(float) * (size_t)n);
    double *zb = malloc(sizeof(double) * (size_t)Q), *ab = malloc(sizeof(double) * (size_t)(Q * N));
    fd_ctx c = {lc, noise, s, dout, idx, tau, 1.0f, B, Q, N, zb, ab};
    tl_fd_opts o = tl_fd_default();
    o.samples = 64;
    o.atol = 1e-6;
    o.rtol = 2e-3;
    o.precise = 1;
    snprintf(name, sizeof name, "%s.fd_dlogits", label);
    tl_fd_check(name, lc, n, gl, surrogate_loss, &c, o);
    free(lc), free(zb), free(ab);
    free(attn), free(s), free(den), free(gl), free(idx);
}

static void test_errors(void) {
    float a[4] = {0}, s[4] = {0}, den[2] = {0}, lg[4] = {0}, nz[4] = {0};
    int64_t idx[2] = {0};
    vct_error err = {0};
    tl_expect(gumbel_assign_forward(a, s, idx, den, lg, NULL, 1.0f, 1.0f, 1, 0, 2, &err) == VCT_STATUS_SHAPE,
              "gumbel_assign.error.no_queries", "Q = 0 accepted");
    tl_expect(strstr(err.msg, "gumbel_assign_forward") != NULL, "gumbel_assign.error.message", "'%s'", err.msg);
    tl_expect(gumbel_assign_forward(a, s, idx, den, lg, nz, 0.0f, 1.0f, 1, 2, 2, &err) ==
                  VCT_STATUS_INVALID_ARGUMENT,
              "gumbel_assign.error.tau", "tau = 0 accepted");
    tl_expect(gumbel_assign_backward(NULL, a, s, idx, den, 0, 1.0f, 1, 2, 2, NULL, &err) ==
                  VCT_STATUS_INVALID_ARGUMENT,
              "gumbel_assign.error.null", "NULL dlogits accepted");
}

int main(void) {
    tensor_dict d;
    if (tl_ref_open("gumbel_assign", &d) != 0) return tl_summary("test_gumbel_assign");
    arena scratch;
    vct_error err = {0};
    if (arena_init(&scratch, 1 << 16, &err) != VCT_STATUS_OK) return 1;
    int64_t n = tl_ref_case_count(&d, "n_cases", "gumbel_assign.case_count");
    for (int64_t k = 0; k < n; k++) run_case(&d, k, &scratch);
    test_errors();
    tl_expect(scratch.used == 0, "gumbel_assign.arena_rewound", "arena left at %zu bytes", scratch.used);
    arena_free(&scratch);
    tensor_dict_free(&d);
    return tl_summary("test_gumbel_assign");
}
