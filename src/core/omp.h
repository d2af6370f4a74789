/* omp.h: the threading policy.
 *
 * One level of parallelism at a time on our 2-core machines:
 *  - OpenMP `parallel for` goes on the outermost independent loop of an op
 *    (batch x heads, output channels, windows);
 *  - a GEMM called from *inside* such a region runs single-threaded
 *    (gemm wrapper checks omp_in_parallel());
 *  - a GEMM called outside any region may use all threads (library threading).
 * Thread count: $VCT_THREADS, else OMP_NUM_THREADS, else all cores. Backward
 * loops split by output element so each thread owns its slice: no atomics,
 * results deterministic run to run. */
#ifndef VCT_CORE_OMP_H
#define VCT_CORE_OMP_H

#include "core/error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Apply $VCT_THREADS (call once at start-up; the CLI does). A value that is
 * not a whole number from 1 up is refused (nothing is changed). */
vct_status threads_init(vct_error *err);
int threads_max(void);
int threads_in_parallel(void);

#endif
