/* atomic_file.h: write "name.tmp", then rename to "name" only when complete,
 * so a half-written file is never passed off as complete. */
#ifndef VCT_IO_ATOMIC_FILE_H
#define VCT_IO_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "core/error.h"

typedef struct atomic_file {
    FILE *f;
    char *path, *tmp_path;
} atomic_file;

vct_status atomic_file_open(atomic_file *af, const char *path, vct_error *err);
vct_status atomic_file_write(atomic_file *af, const void *data, size_t n, vct_error *err);
/* printf into the file, any length. For writers that check once at the end: a
 * no-op while *st is not OK, and sets *st (and err) when the write fails. */
void atomic_file_printf(atomic_file *af, vct_status *st, vct_error *err, const char *fmt, ...) VCT_PRINTF(4, 5);
/* flush, close and rename; on failure the .tmp is removed */
vct_status atomic_file_commit(atomic_file *af, vct_error *err);
/* close and remove the .tmp */
void atomic_file_abort(atomic_file *af);

#endif
