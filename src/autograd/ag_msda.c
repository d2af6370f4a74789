/* ag_msda.c: tape wrappers of ops/ms_deform_attn.h; see ag_msda.h. */
#include "autograd/ag_msda.h"

#include <string.h>

#include "ops/ms_deform_attn.h"

static const char *shp(const ag_var *v, char *buf, size_t cap) { return shape_str(v->ndim, v->shape, buf, cap); }

/* ---- the core ---- */

/* iarg: N, S, M, D, L, P, Lq; parg: int64 [L*2 shapes, L level starts] on the tape's arena */
static vct_status msda_bw(ag_node *n, arena *scratch, vct_error *err) {
    ag_var *v = n->in[0], *loc = n->in[1], *aw = n->in[2];
    const int64_t *geo = n->parg;
    int64_t L = n->iarg[4];
    return ms_deform_attn_backward(v->requires_grad ? v->grad : NULL, loc->requires_grad ? loc->grad : NULL,
                                   aw->requires_grad ? aw->grad : NULL, n->out->grad, v->data, geo, geo + 2 * L,
                                   loc->data, aw->data, n->iarg[0], n->iarg[1], n->iarg[2], n->iarg[3], L,
                                   n->iarg[5], n->iarg[6], err);
}

ag_var *ag_ms_deform_attn(ag_tape *t, ag_var *value, ag_var *loc, ag_var *attw, const int64_t *shapes,
                          const int64_t *level_start, int64_t L) {
    if (!value || !loc || !attw || t->status != VCT_STATUS_OK) return NULL;
    char a1[96], a2[96], a3[96];
    if (!ag_check(t, value->ndim == 4 && loc->ndim == 6 && attw->ndim == 5, "ms_deform_attn",
                  "value %s, loc %s, attw %s (need 4, 6 and 5 dims)", shp(value, a1, sizeof a1),
                  shp(loc, a2, sizeof a2), shp(attw, a3, sizeof a3)))
        return NULL;
    int64_t N = value->shape[0], S = value->shape[1], M = value->shape[2], D = value->shape[3];
    int64_t Lq = loc->shape[1], P = loc->shape[4];
    if (!ag_check(t, L >= 1 && L <= AG_MSDA_MAX_LEVELS, "ms_deform_attn", "%lld levels (1..%d)", (long long)L,
                  AG_MSDA_MAX_LEVELS))
        return NULL;
    int64_t want_loc[6] = {N, Lq, M, L, P, 2}, want_aw[5] = {N, Lq, M, L, P};
    if (!ag_check(t, shape_equal(6, want_loc, loc->ndim, loc->shape) && shape_equal(5, want_aw, attw->ndim, attw->shape),
                  "ms_deform_attn", "value %s, loc %s, attw %s, %lld levels", shp(value, a1, sizeof a1),
                  shp(loc, a2, sizeof a2), shp(attw, a3, sizeof a3), (long long)L))
        return NULL;
    int64_t total = 0;
    for (int64_t l = 0; l < L; l++) {
        if (!ag_check(t, shapes[2 * l] >= 1 && shapes[2 * l + 1] >= 1 && level_start[l] == total, "ms_deform_attn",
                      "level %lld: shape %lldx%lld, start %lld (expected %lld)", (long long)l, (long long)shapes[2 * l],
                      (long long)shapes[2 * l + 1], (long long)level_start[l], (long long)total))
            return NULL;
        total += shapes[2 * l] * shapes[2 * l + 1];
    }
    if (!ag_check(t, total == S, "ms_deform_attn", "levels hold %lld tokens, value %s", (long long)total,
                  shp(value, a1, sizeof a1)))
        return NULL;
    /* the geometry must outlive the caller's arrays when a node keeps it */
    int64_t *geo = arena_alloc(t->mem, (size_t)(3 * L) * sizeof(int64_t));
    if (!geo) return ag_fail(t, VCT_STATUS_NO_MEMORY, "ms_deform_attn: arena full");
    for (int64_t l = 0; l < L; l++) {
        geo[2 * l] = shapes[2 * l];
        geo[2 * l + 1] = shapes[2 * l + 1];
        geo[2 * L + l] = level_start[l];
    }
    int64_t oshape[3] = {N, Lq, M * D};
    ag_var *y = ag_new(t, 3, oshape);
    if (!y) return NULL;
    vct_status st = ms_deform_attn_forward(y->data, value->data, geo, geo + 2 * L, loc->data, attw->data, N, S, M, D,
                                           L, P, Lq, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "ms_deform_attn: %s", t->err.msg);
    ag_var *in[3] = {value, loc, attw};
    ag_node *n = ag_record(t, "ms_deform_attn", msda_bw, y, in, 3);
    if (n) {
        int64_t dims[7] = {N, S, M, D, L, P, Lq};
        memcpy(n->iarg, dims, sizeof dims);
        n->parg = geo;
    }
    return y;
}

/* ---- sampling locations ---- */

/* iarg: N, Lq, M, L, P, ref batch (N or 1); parg: float normalisers [L][2] = (W_l, H_l) */
static vct_status loc_bw(ag_node *n, arena *scratch, vct_error *err) {
    ag_var *ref = n->in[0], *off = n->in[1];
    const float *norm = n->parg;
    int64_t N = n->iarg[0], Lq = n->iarg[1], M = n->iarg[2], L = n->iarg[3], P = n->iarg[4], RB = n->iarg[5];
    const float *g = n->out->grad;
    if (off->requires_grad) {
        float *doff = off->grad;
        int64_t rows = N * Lq * M;
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t l = 0; l < L; l++)
                for (int64_t p = 0; p < P; p++) {
                    int64_t k = ((r * L + l) * P + p) * 2;
                    doff[k] += g[k] / norm[2 * l];
                    doff[k + 1] += g[k + 1] / norm[2 * l + 1];
                }
    }
    if (ref->requires_grad) {
        /* dref[b, q, l, c] += sum over (n mapped to b), m, p; loops ordered so each
         * reference entry is owned by one thread */
        float *dref = ref->grad;
#pragma omp parallel for schedule(static)
        for (int64_t q = 0; q < Lq; q++)
            for (int64_t b = 0; b < N; b++) {
                int64_t rb = RB == 1 ? 0 : b;
                for (int64_t m = 0; m < M; m++)
                    for (int64_t l = 0; l < L; l++)
                        for (int64_t p = 0; p < P; p++) {
                            int64_t k = ((((b * Lq + q) * M + m) * L + l) * P + p) * 2;
                            float *d = dref + ((rb * Lq + q) * L + l) * 2;
                            d[0] += g[k];
                            d[1] += g[k + 1];
                        }
            }
    }
    return VCT_STATUS_OK;
}

ag_var *ag_msda_sampling_locations(ag_tape *t, ag_var *ref, ag_var *off, const int64_t *shapes, int64_t L) {
    if (!ref || !off || t->status != VCT_STATUS_OK) return NULL;
    char a1[96], a2[96];
    if (!ag_check(t, off->ndim == 6 && off->shape[5] == 2 && off->shape[3] == L && ref->ndim == 4 &&
                         (ref->shape[0] == off->shape[0] || ref->shape[0] == 1) && ref->shape[1] == off->shape[1] &&
                         ref->shape[2] == L && ref->shape[3] == 2 && L >= 1 && L <= AG_MSDA_MAX_LEVELS,
                  "msda_sampling_locations", "reference points %s, offsets %s, %lld levels", shp(ref, a1, sizeof a1),
                  shp(off, a2, sizeof a2), (long long)L))
        return NULL;
    int64_t N = off->shape[0], Lq = off->shape[1], M = off->shape[2], P = off->shape[4], RB = ref->shape[0];
    float *norm = arena_alloc(t->mem, (size_t)(2 * L) * sizeof(float));
    if (!norm) return ag_fail(t, VCT_STATUS_NO_MEMORY, "msda_sampling_locations: arena full");
    for (int64_t l = 0; l < L; l++) {
        if (!ag_check(t, shapes[2 * l] >= 1 && shapes[2 * l + 1] >= 1, "msda_sampling_locations", "level %lld is %lldx%lld",
                      (long long)l, (long long)shapes[2 * l], (long long)shapes[2 * l + 1]))
            return NULL;
        norm[2 * l] = (float)shapes[2 * l + 1]; /* x is normalised by W */
        norm[2 * l + 1] = (float)shapes[2 * l];
    }
    ag_var *y = ag_new(t, 6, off->shape);
    if (!y) return NULL;
    const float *o = off->data, *rf = ref->data;
    float *out = y->data;
    int64_t rows = N * Lq;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        int64_t b = r / Lq, q = r % Lq, rb = RB == 1 ? 0 : b;
        for (int64_t m = 0; m < M; m++)
            for (int64_t l = 0; l < L; l++) {
                const float *rp = rf + ((rb * Lq + q) * L + l) * 2;
                for (int64_t p = 0; p < P; p++) {
                    int64_t k = (((r * M + m) * L + l) * P + p) * 2;
                    out[k] = rp[0] + o[k] / norm[2 * l];
                    out[k + 1] = rp[1] + o[k + 1] / norm[2 * l + 1];
                }
            }
    }
    ag_var *in[2] = {ref, off};
    ag_node *n = ag_record(t, "msda_sampling_locations", loc_bw, y, in, 2);
    if (n) {
        int64_t dims[6] = {N, Lq, M, L, P, RB};
        memcpy(n->iarg, dims, sizeof dims);
        n->parg = norm;
    }
    return y;
}
