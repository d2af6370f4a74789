/* omp.c: see omp.h. */
#include "core/omp.h"

#include <stdlib.h>

void threads_init(void) {
#ifdef _OPENMP
    const char *e = getenv("VCT_THREADS");
    if (e && atoi(e) > 0) omp_set_num_threads(atoi(e));
    omp_set_max_active_levels(1); /* never nest: one level of parallelism */
#endif
}

int threads_max(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int threads_in_parallel(void) {
#ifdef _OPENMP
    return omp_in_parallel();
#else
    return 0;
#endif
}
