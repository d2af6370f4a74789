/* error.h: the one error path. A fallible function fills a vct_error with a
 * message and returns its status; each layer above may prefix context with
 * vct_error_wrap, so the message reads outermost-first:
 *   "model_best.pth: data.pkl: unknown global 'os.system' refused". */
#ifndef VCT_CORE_ERROR_H
#define VCT_CORE_ERROR_H

#include "vct.h"

#if defined(__GNUC__)
#define VCT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VCT_PRINTF(a, b)
#endif

/* Set err (may be NULL) to st with a formatted message; returns st. */
vct_status vct_fail(vct_error *err, vct_status st, const char *fmt, ...) VCT_PRINTF(3, 4);

/* Prefix err->msg with "<context>: "; returns err->status (or VCT_STATUS_INTERNAL
 * if err is NULL or was never set). */
vct_status vct_error_wrap(vct_error *err, const char *fmt, ...) VCT_PRINTF(2, 3);

/* Reset to OK with an empty message. */
void vct_error_clear(vct_error *err);

/* Propagate a failing status: VCT_TRY(call) returns from the calling function. */
#define VCT_TRY(expr)                                                                              \
    do {                                                                                           \
        vct_status vct_try_st_ = (expr);                                                           \
        if (vct_try_st_ != VCT_STATUS_OK) return vct_try_st_;                                      \
    } while (0)

#endif
