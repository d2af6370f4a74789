/* error.c: formatting of vct_error messages; see error.h. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vct_status_name(vct_status st) {
    switch (st) {
    case VCT_STATUS_OK: return "ok";
    case VCT_STATUS_INVALID_ARGUMENT: return "invalid argument";
    case VCT_STATUS_IO: return "i/o error";
    case VCT_STATUS_FORMAT: return "format error";
    case VCT_STATUS_UNSUPPORTED: return "unsupported";
    case VCT_STATUS_NO_MEMORY: return "out of memory";
    case VCT_STATUS_SHAPE: return "shape mismatch";
    case VCT_STATUS_BACKEND: return "backend error";
    case VCT_STATUS_INTERNAL: return "internal error";
    }
    return "unknown status";
}

vct_status vct_fail(vct_error *err, vct_status st, const char *fmt, ...) {
    if (!err) return st;
    err->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return st;
}

vct_status vct_error_wrap(vct_error *err, const char *fmt, ...) {
    if (!err) return VCT_STATUS_INTERNAL;
    if (err->status == VCT_STATUS_OK) err->status = VCT_STATUS_INTERNAL;
    char prefix[VCT_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* shift the old message right and put "<prefix>: " in front, truncating at the end */
    size_t plen = strlen(prefix), cap = sizeof err->msg;
    if (plen + 2 >= cap) plen = cap - 3;
    size_t olen = strnlen(err->msg, cap - 1);
    if (plen + 2 + olen >= cap) olen = cap - 1 - plen - 2;
    memmove(err->msg + plen + 2, err->msg, olen);
    memcpy(err->msg, prefix, plen);
    err->msg[plen] = ':';
    err->msg[plen + 1] = ' ';
    err->msg[plen + 2 + olen] = '\0';
    return err->status;
}

void vct_error_clear(vct_error *err) {
    if (!err) return;
    err->status = VCT_STATUS_OK;
    err->msg[0] = '\0';
}
