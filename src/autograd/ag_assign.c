/* ag_assign.c: ops/gumbel_assign.h on the tape; see ag_assign.h. */
#include "autograd/ag_assign.h"

#include "ops/gumbel_assign.h"

static vct_status assign_bw(ag_node *n, arena *scratch, vct_error *err) {
    ag_var *x = n->in[0];
    return gumbel_assign_backward(x->grad, n->out->grad, n->saved[0], (const int64_t *)n->parg, n->saved[1],
                                  (int)n->iarg[3], (float)n->farg[0], n->iarg[0], n->iarg[1], n->iarg[2], scratch, err);
}

ag_var *ag_assign(ag_tape *t, ag_var *logits, const float *gumbel, float tau, float eps, const int64_t *force_idx,
                  int64_t *idx) {
    if (!logits || t->status != VCT_STATUS_OK) return NULL;
    char a[96];
    if (!ag_check(t, logits->ndim == 3, "assign", "logits %s: need [B,N,S]",
                  shape_str(logits->ndim, logits->shape, a, sizeof a)))
        return NULL;
    const int64_t B = logits->shape[0], N = logits->shape[1], S = logits->shape[2];
    ag_var *y = ag_new(t, 3, logits->shape);
    float *soft = y ? arena_alloc(t->mem, (size_t)(B * N * S) * sizeof(float)) : NULL;
    float *denom = soft ? arena_alloc(t->mem, (size_t)(B * N) * sizeof(float)) : NULL;
    int64_t *index = idx ? idx : (denom ? arena_alloc(t->mem, (size_t)(B * S) * sizeof(int64_t)) : NULL);
    if (!y || !soft || !denom || !index) return y ? ag_fail(t, VCT_STATUS_NO_MEMORY, "assign: activation arena full") : NULL;
    vct_status st = gumbel_assign_forward(y->data, soft, index, denom, logits->data, gumbel, tau, eps, B, N, S, &t->err);
    if (st != VCT_STATUS_OK) return ag_fail(t, st, "assign: %s", t->err.msg);
    if (force_idx) {
        /* an imposed decision (near-tie injection, frozen decisions): the same
         * straight-through value and normalisation with the given one-hot */
        for (int64_t k = 0; k < B * S; k++)
            if (force_idx[k] < 0 || force_idx[k] >= N)
                return ag_fail(t, VCT_STATUS_INVALID_ARGUMENT, "assign: forced index %lld at %lld is outside [0,%lld)",
                               (long long)force_idx[k], (long long)k, (long long)N);
        for (int64_t b = 0; b < B; b++)
            for (int64_t s = 0; s < S; s++) index[b * S + s] = force_idx[b * S + s];
        for (int64_t b = 0; b < B; b++)
            for (int64_t q = 0; q < N; q++) {
                float *row = y->data + (b * N + q) * S;
                const float *sr = soft + (b * N + q) * S;
                float sum = 0.0f;
                for (int64_t s = 0; s < S; s++) {
                    float h = index[b * S + s] == q ? 1.0f : 0.0f;
                    row[s] = (h - sr[s]) + sr[s];
                    sum += row[s];
                }
                denom[b * N + q] = sum + eps;
                for (int64_t s = 0; s < S; s++) row[s] /= denom[b * N + q];
            }
    }
    ag_node *n = ag_record(t, "assign", assign_bw, y, &logits, 1);
    if (n) {
        n->saved[0] = soft;
        n->saved[1] = denom;
        n->parg = index;
        n->iarg[0] = B;
        n->iarg[1] = N;
        n->iarg[2] = S;
        n->iarg[3] = gumbel != NULL;
        n->farg[0] = tau;
    }
    return y;
}
