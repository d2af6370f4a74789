/* topk.h: top-k along the last dim of [R, N] (largest, sorted), float32 values
 * with int64 indices, and its backward.
 *
 * Order: descending value; NaN counts as larger than every number (as torch).
 * Ties: torch 1.13's CPU kernel selects with std::partial_sort (k*64 <= N) or
 * std::nth_element + std::sort, both unstable, so its order among equal
 * values is unspecified (e.g. topk([1,3,3,2,3,0,3,1], 3) gives indices
 * [1,6,4]). We define it: among equal values (and among NaNs) the LOWER index
 * comes first, which is also what a tie at the k-th place keeps. Values always
 * agree with torch; indices agree whenever no tie straddles or sits inside
 * the selection (ties are measure-zero for real-valued data, model.md §4
 * item 19).
 *
 * Backward: dinp[r, indices[r, k]] += dvalues[r, k] (a scatter-add).
 * Threads: rows. No scratch memory: the selection is a size-k heap built in
 * the output buffers. Only largest=True, sorted=True is provided.
 */
#ifndef VCT_OPS_TOPK_H
#define VCT_OPS_TOPK_H

#include <stdint.h>

#include "core/error.h"

/* values: [R, K]; indices: [R, K] int64 in [0, N); inp: [R, N]; 0 <= K <= N */
vct_status topk_forward(float *values, int64_t *indices, const float *inp, int64_t R, int64_t N,
                        int64_t K, vct_error *err);
/* dinp: [R, N] (+=); dvalues, indices: [R, K] */
vct_status topk_backward(float *dinp, const float *dvalues, const int64_t *indices, int64_t R,
                         int64_t N, int64_t K, vct_error *err);

#endif
