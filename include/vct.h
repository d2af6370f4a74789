/* vct.h: the public API of vct, the Vision-Centric Transformer (CVPR 2025) for
 * audio-visual segmentation, in C11.
 *
 * Usage (the model API arrives with the model issue; today the API is the
 * status/error discipline every call shares):
 *
 *     vct_error err = {0};
 *     vct_status st = some_vct_call(..., &err);
 *     if (st != VCT_STATUS_OK) {
 *         fprintf(stderr, "vct: %s\n", err.msg);   // names the file and the problem
 *         return 1;
 *     }
 *
 * Every fallible call returns a vct_status and fills a caller-owned vct_error.
 * The library never exits or aborts on input from a file, a flag or a shape.
 *
 * Thread safety: functions are reentrant; objects are not shared between
 * threads unless a function says so.
 */
#ifndef VCT_H
#define VCT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VCT_VERSION_STRING "0.1.0"

typedef enum vct_status {
    VCT_STATUS_OK = 0,
    VCT_STATUS_INVALID_ARGUMENT, /* a caller passed a bad value (flag, shape, option) */
    VCT_STATUS_IO,               /* a file could not be opened, read or written */
    VCT_STATUS_FORMAT,           /* a file is malformed, truncated or refused */
    VCT_STATUS_UNSUPPORTED,      /* valid input that vct does not handle */
    VCT_STATUS_NO_MEMORY,        /* an allocation failed */
    VCT_STATUS_SHAPE,            /* tensor shapes do not agree */
    VCT_STATUS_BACKEND,          /* a library (oneDNN, FFmpeg, ...) reported an error */
    VCT_STATUS_INTERNAL          /* a bug in vct */
} vct_status;

#define VCT_ERROR_MSG_MAX 2048

/* Caller-owned error record. msg holds the full message, innermost cause last:
 * "model_best.pth: tensor 'x': shape [2,3], expected [3,2]". */
typedef struct vct_error {
    vct_status status;
    char msg[VCT_ERROR_MSG_MAX];
} vct_error;

/* A short name for a status ("format error"). Never NULL. */
const char *vct_status_name(vct_status st);

/* Log callback: level 0 error, 1 warning, 2 info, 3 debug. */
typedef void (*vct_log_callback)(int level, const char *msg, void *user_data);
void vct_set_log_callback(vct_log_callback cb, void *user_data);

#ifdef __cplusplus
}
#endif
#endif /* VCT_H */
