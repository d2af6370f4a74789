/* swin_block.c: SwinTransformerBlock and WindowAttention of
 * models/modeling/backbone/swinb.py, and the shift mask of BasicLayer.forward.
 * See swin.h. Window attention runs all windows and heads of a block in one
 * batched q k^T and one batched attn v (ag_matmul over B*nW*h matrices). */
#include <math.h>
#include <string.h>

#include "autograd/ag_activation.h"
#include "autograd/ag_dropout.h"
#include "autograd/ag_linalg.h"
#include "autograd/ag_norm.h"
#include "autograd/ag_shape.h"
#include "autograd/ag_softmax.h"
#include "backbone/swin.h"

/* ---- shift mask (BasicLayer.forward) ---- */

/* region of coordinate r on a padded axis of length n: slices [0, n-ws), [n-ws, n-shift), [n-shift, n) */
static int region(int64_t r, int64_t n, int ws, int shift) {
    if (r < n - ws) return 0;
    return r < n - shift ? 1 : 2;
}

void swin_shift_mask(float *mask, int64_t Hp, int64_t Wp, int ws) {
    const int shift = ws / 2;
    const int64_t N = (int64_t)ws * ws, nWh = Hp / ws, nWw = Wp / ws;
    for (int64_t wr = 0; wr < nWh; wr++)
        for (int64_t wc = 0; wc < nWw; wc++) {
            float *m = mask + (wr * nWw + wc) * N * N;
            for (int64_t i = 0; i < N; i++) {
                int64_t ri = wr * ws + i / ws, ci = wc * ws + i % ws;
                int idi = 3 * region(ri, Hp, ws, shift) + region(ci, Wp, ws, shift);
                for (int64_t j = 0; j < N; j++) {
                    int64_t rj = wr * ws + j / ws, cj = wc * ws + j % ws;
                    int idj = 3 * region(rj, Hp, ws, shift) + region(cj, Wp, ws, shift);
                    m[i * N + j] = idi != idj ? -100.0f : 0.0f;
                }
            }
        }
}

/* ---- relative position bias ---- */

/* The gather table[idx(i,j), n] written as two one-hot contractions on the tape:
 * with the table viewed as T[a, b, n], a = r_i - r_j + ws-1, b = c_i - c_j + ws-1,
 *   X1[n, a, (ci,cj)]        = sum_b T[a, b, n] * [b == ci - cj + ws-1]
 *   X2[n, (ri,rj), (ci,cj)]  = sum_a [a == ri - rj + ws-1] * X1[n, a, (ci,cj)]
 * then permuted to [n, (ri,ci), (rj,cj)]. Each sum has exactly one non-zero term
 * times 1.0, so the values are the table's bit for bit, and the backward
 * (scatter-add into the table) comes from the tape's matmul. */
ag_var *swin_relative_position_bias(ag_tape *t, ag_var *table, int ws, int heads) {
    if (!table || t->status != VCT_STATUS_OK) return NULL;
    const int64_t M = 2 * ws - 1, W2 = (int64_t)ws * ws, N = W2, h = heads;
    char s[96];
    if (!ag_check(t, table->ndim == 2 && table->shape[0] == M * M && table->shape[1] == h, "relative_position_bias",
                  "table %s for window %d and %d heads", shape_str(table->ndim, table->shape, s, sizeof s), ws, heads))
        return NULL;
    int64_t sc[2] = {M, W2}, sr[2] = {W2, M};
    ag_var *cmat = ag_new(t, 2, sc), *rmat = ag_new(t, 2, sr);
    if (!cmat || !rmat) return NULL;
    for (int64_t b = 0; b < M; b++)
        for (int64_t ci = 0; ci < ws; ci++)
            for (int64_t cj = 0; cj < ws; cj++) cmat->data[b * W2 + ci * ws + cj] = b == ci - cj + ws - 1 ? 1.0f : 0.0f;
    for (int64_t ri = 0; ri < ws; ri++)
        for (int64_t rj = 0; rj < ws; rj++)
            for (int64_t a = 0; a < M; a++) rmat->data[(ri * ws + rj) * M + a] = a == ri - rj + ws - 1 ? 1.0f : 0.0f;
    int64_t s3[3] = {M, M, h}, s2[2] = {h * M, M}, sx1[3] = {h, M, W2}, s5[5] = {h, ws, ws, ws, ws}, so[3] = {h, N, N};
    int p_nab[3] = {2, 0, 1}, p_out[5] = {0, 1, 3, 2, 4};
    ag_var *tn = ag_permute(t, ag_reshape(t, table, 3, s3), p_nab);       /* [h, a, b] */
    ag_var *x1 = ag_matmul(t, ag_reshape(t, tn, 2, s2), cmat, 0, 0);       /* [1, h*a, (ci,cj)] */
    ag_var *x2 = ag_matmul(t, rmat, ag_reshape(t, x1, 3, sx1), 0, 0);      /* [h, (ri,rj), (ci,cj)] */
    ag_var *bias = ag_permute(t, ag_reshape(t, x2, 5, s5), p_out);        /* [h, ri, ci, rj, cj] */
    return ag_reshape(t, bias, 3, so);
}

/* ---- WindowAttention.forward ---- */

/* xw [B*nW, N, D] -> [B*nW, N, D]; mask [nW, N, N] or NULL */
static ag_var *window_attention(ag_tape *t, const swin_block_weights *w, ag_var *xw, int64_t B, int64_t nW, int D,
                                int heads, int ws, ag_var *mask) {
    const int64_t BW = B * nW, N = (int64_t)ws * ws, h = heads, hd = D / heads;
    ag_var *wqkv = ag_param(t, &w->attn_qkv_weight);
    ag_var *bqkv = ag_param(t, &w->attn_qkv_bias);
    ag_var *wproj = ag_param(t, &w->attn_proj_weight);
    ag_var *bproj = ag_param(t, &w->attn_proj_bias);
    ag_var *table = ag_param(t, &w->attn_relative_position_bias_table);

    /* qkv(x).reshape(B_, N, 3, h, hd).permute(2, 0, 3, 1, 4) */
    int64_t s5[5] = {BW, N, 3, h, hd}, s3[3] = {BW * h, N, hd};
    int p5[5] = {2, 0, 3, 1, 4};
    ag_var *qkv = ag_permute(t, ag_reshape(t, ag_linear(t, xw, wqkv, bqkv), 5, s5), p5); /* [3, BW, h, N, hd] */
    ag_var *q = ag_reshape(t, ag_slice(t, qkv, 0, 0, 1), 3, s3);
    ag_var *k = ag_reshape(t, ag_slice(t, qkv, 0, 1, 1), 3, s3);
    ag_var *v = ag_reshape(t, ag_slice(t, qkv, 0, 2, 1), 3, s3);
    /* q = q * scale (fp32 head_dim^-0.5, multiplied before the product: model.md §1.4) */
    q = ag_scale(t, q, (float)pow((double)hd, -0.5));
    ag_var *attn = ag_matmul(t, q, k, 0, 1); /* [BW*h, N, N], one batched GEMM */
    int64_t s4[4] = {BW, h, N, N};
    attn = ag_badd(t, ag_reshape(t, attn, 4, s4), swin_relative_position_bias(t, table, ws, heads));
    if (mask) {
        int64_t sa[5] = {B, nW, h, N, N}, sm[4] = {nW, 1, N, N};
        attn = ag_badd(t, ag_reshape(t, attn, 5, sa), ag_reshape(t, mask, 4, sm));
    }
    attn = ag_softmax(t, attn);
    ag_var *o = ag_matmul(t, ag_reshape(t, attn, 3, (int64_t[3]){BW * h, N, N}), v, 0, 0); /* [BW*h, N, hd] */
    /* (attn @ v).transpose(1, 2).reshape(B_, N, C) */
    int p4[4] = {0, 2, 1, 3};
    o = ag_permute(t, ag_reshape(t, o, 4, (int64_t[4]){BW, h, N, hd}), p4);
    o = ag_reshape(t, o, 3, (int64_t[3]){BW, N, D});
    return ag_linear(t, o, wproj, bproj);
}

/* ---- SwinTransformerBlock.forward ---- */

ag_var *swin_block_forward(ag_tape *t, const swin_config *cfg, const swin_block_weights *w, ag_var *x, int64_t H,
                           int64_t W, int D, int heads, int shift, ag_var *mask, double drop_rate,
                           draw_source *draws, const char *site) {
    if (!x || t->status != VCT_STATUS_OK) return NULL;
    const int ws = cfg->window_size;
    const int64_t B = x->shape[0];
    char s[96];
    if (!ag_check(t, x->ndim == 3 && x->shape[1] == H * W && x->shape[2] == D, "swin block",
                  "input %s for %lldx%lld tokens of %d channels", shape_str(x->ndim, x->shape, s, sizeof s),
                  (long long)H, (long long)W, D))
        return NULL;
    ag_var *n1w = ag_param(t, &w->norm1_weight);
    ag_var *n1b = ag_param(t, &w->norm1_bias);
    ag_var *n2w = ag_param(t, &w->norm2_weight);
    ag_var *n2b = ag_param(t, &w->norm2_bias);
    ag_var *f1w = ag_param(t, &w->mlp_fc1_weight);
    ag_var *f1b = ag_param(t, &w->mlp_fc1_bias);
    ag_var *f2w = ag_param(t, &w->mlp_fc2_weight);
    ag_var *f2b = ag_param(t, &w->mlp_fc2_bias);

    /* norm1, view [B, H, W, D], zero pad right/bottom to window multiples */
    const int64_t pad_r = (ws - W % ws) % ws, pad_b = (ws - H % ws) % ws, Hp = H + pad_b, Wp = W + pad_r;
    const int64_t nWh = Hp / ws, nWw = Wp / ws, nW = nWh * nWw, N = (int64_t)ws * ws;
    ag_var *y = ag_layernorm(t, x, n1w, n1b, 1e-5f);
    y = ag_reshape(t, y, 4, (int64_t[4]){B, H, W, D});
    y = ag_pad(t, ag_pad(t, y, 2, 0, pad_r), 1, 0, pad_b);
    int dims[2] = {1, 2};
    if (shift > 0) y = ag_roll(t, y, 2, dims, (int64_t[2]){-shift, -shift});
    /* window_partition: [B, nWh, ws, nWw, ws, D] -> [B, nWh, nWw, ws, ws, D] -> [B*nW, N, D] */
    int p6[6] = {0, 1, 3, 2, 4, 5};
    y = ag_permute(t, ag_reshape(t, y, 6, (int64_t[6]){B, nWh, ws, nWw, ws, D}), p6);
    y = ag_reshape(t, y, 3, (int64_t[3]){B * nW, N, D});
    y = window_attention(t, w, y, B, nW, D, heads, ws, shift > 0 ? mask : NULL);
    /* window_reverse: [B, nWh, nWw, ws, ws, D] -> [B, nWh, ws, nWw, ws, D] = [B, Hp, Wp, D] */
    y = ag_permute(t, ag_reshape(t, y, 6, (int64_t[6]){B, nWh, nWw, ws, ws, D}), p6);
    y = ag_reshape(t, y, 4, (int64_t[4]){B, Hp, Wp, D});
    if (shift > 0) y = ag_roll(t, y, 2, dims, (int64_t[2]){shift, shift});
    if (pad_b) y = ag_slice(t, y, 1, 0, H);
    if (pad_r) y = ag_slice(t, y, 2, 0, W);
    y = ag_reshape(t, y, 3, (int64_t[3]){B, H * W, D});

    /* x = shortcut + drop_path(attn); x = x + drop_path(mlp(norm2(x))) */
    x = ag_add(t, x, ag_drop_path(t, y, drop_rate, draws, site));
    ag_var *m = ag_layernorm(t, x, n2w, n2b, 1e-5f);
    m = ag_linear(t, ag_gelu(t, ag_linear(t, m, f1w, f1b)), f2w, f2b);
    return ag_add(t, x, ag_drop_path(t, m, drop_rate, draws, site));
}
