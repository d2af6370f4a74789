/* atomic_file.c: see atomic_file.h. */
#include "io/atomic_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vct_status atomic_file_open(atomic_file *af, const char *path, vct_error *err) {
    memset(af, 0, sizeof *af);
    size_t n = strlen(path);
    af->path = malloc(n + 1);
    af->tmp_path = malloc(n + 5);
    if (!af->path || !af->tmp_path) {
        atomic_file_abort(af);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    memcpy(af->path, path, n + 1);
    memcpy(af->tmp_path, path, n);
    memcpy(af->tmp_path + n, ".tmp", 5);
    af->f = fopen(af->tmp_path, "wb");
    if (!af->f) {
        vct_status st = vct_fail(err, VCT_STATUS_IO, "%s: cannot create: %s", af->tmp_path, strerror(errno));
        atomic_file_abort(af);
        return st;
    }
    return VCT_STATUS_OK;
}

vct_status atomic_file_write(atomic_file *af, const void *data, size_t n, vct_error *err) {
    if (n && fwrite(data, 1, n, af->f) != n)
        return vct_fail(err, VCT_STATUS_IO, "%s: write failed: %s", af->tmp_path, strerror(errno));
    return VCT_STATUS_OK;
}

void atomic_file_printf(atomic_file *af, vct_status *st, vct_error *err, const char *fmt, ...) {
    if (*st != VCT_STATUS_OK) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(af->f, fmt, ap);
    va_end(ap);
    if (n < 0) *st = vct_fail(err, VCT_STATUS_IO, "%s: write failed: %s", af->tmp_path, strerror(errno));
}

vct_status atomic_file_commit(atomic_file *af, vct_error *err) {
    vct_status st = VCT_STATUS_OK;
    int bad = fflush(af->f) != 0;
    bad |= fclose(af->f) != 0;
    af->f = NULL;
    if (bad) st = vct_fail(err, VCT_STATUS_IO, "%s: write failed: %s", af->tmp_path, strerror(errno));
    else if (rename(af->tmp_path, af->path) != 0)
        st = vct_fail(err, VCT_STATUS_IO, "%s: cannot rename to %s: %s", af->tmp_path, af->path,
                      strerror(errno));
    if (st != VCT_STATUS_OK) remove(af->tmp_path);
    free(af->path);
    free(af->tmp_path);
    af->path = af->tmp_path = NULL;
    return st;
}

void atomic_file_abort(atomic_file *af) {
    if (af->f) fclose(af->f);
    if (af->tmp_path) remove(af->tmp_path);
    free(af->path);
    free(af->tmp_path);
    memset(af, 0, sizeof *af);
}
