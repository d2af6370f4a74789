/* matmul.h: batched matrix product, torch.bmm / torch.matmul over one batch dim.
 *
 *   out[b] = op(A[b]) @ op(B[b])        b in [0, Bt)
 *
 * out is [Bt, M, N]. A is stored [BA, M, K] (or [BA, K, M] when transA: torch's
 * A.transpose(-1,-2) of a contiguous tensor), B is stored [BB, K, N] (or [BB, N, K] when
 * transB, e.g. q @ k^T with k stored [.., N, K]). BA and BB are Bt, or 1 to broadcast
 * that operand over the batch (torch.matmul broadcasting; flatten further batch dims
 * into Bt first). Attention is matmul_forward(scores, q, k) with transB.
 *
 * Forward writes out (no saved buffers). Backward ACCUMULATES (+=) into dA / dB (either
 * may be NULL); for a broadcast operand the gradient is summed over the batch in batch
 * order (deterministic). All products go through ops/gemm.h (its current backend and
 * thread policy): a batch with neither operand broadcast is one strided-batched call;
 * a broadcast B with untransposed A, and the matching gradients, are one big GEMM with
 * the batch folded into the rows. */
#ifndef VCT_OPS_MATMUL_H
#define VCT_OPS_MATMUL_H

#include <stdint.h>

#include "core/error.h"

typedef struct matmul_dims {
    int64_t Bt;  /* batch of out */
    int64_t M;   /* rows of op(A) and out */
    int64_t K;   /* the contracted dim */
    int64_t N;   /* columns of op(B) and out */
    int transA;  /* A stored [.., K, M] */
    int transB;  /* B stored [.., N, K] */
    int bcastA;  /* A has batch 1, shared by all Bt */
    int bcastB;  /* B has batch 1, shared by all Bt */
} matmul_dims;

/* out [Bt, M, N] written; A, B as above */
vct_status matmul_forward(float *out, const float *A, const float *B, matmul_dims d,
                          vct_error *err);

/* dA (A's storage shape) += d out / d A contracted with dout; dB likewise; NULL skips.
 * dout [Bt, M, N]; A needed iff dB, B needed iff dA. */
vct_status matmul_backward(float *dA, float *dB, const float *dout, const float *A,
                           const float *B, matmul_dims d, vct_error *err);

#endif
