/* omp.c: see omp.h. */
#include "core/omp.h"

#include <errno.h>
#include <stdlib.h>

/* More threads than this is a typo, not a machine. */
#define THREADS_LIMIT 4096

vct_status threads_init(vct_error *err) {
    const char *e = getenv("VCT_THREADS");
    long n = 0;
    if (e && *e) {
        char *end = NULL;
        errno = 0;
        n = strtol(e, &end, 10);
        if (errno || end == e || *end != '\0' || n < 1 || n > THREADS_LIMIT)
            return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                            "$VCT_THREADS='%s': expected a whole number of threads from 1 to %d", e, THREADS_LIMIT);
    }
#ifdef _OPENMP
    if (n > 0) omp_set_num_threads((int)n);
    omp_set_max_active_levels(1); /* never nest: one level of parallelism */
#endif
    return VCT_STATUS_OK;
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
