/* json_file.c: see json_file.h. */
#include "io/json_file.h"

#include <stdlib.h>
#include <string.h>

#include "io/atomic_file.h"

vct_status json_file_write(const char *path, const cJSON *root, vct_error *err) {
    char *text = cJSON_Print(root);
    if (!text) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
    atomic_file af;
    vct_status st = atomic_file_open(&af, path, err);
    if (st == VCT_STATUS_OK) st = atomic_file_write(&af, text, strlen(text), err);
    if (st == VCT_STATUS_OK) st = atomic_file_write(&af, "\n", 1, err);
    if (st == VCT_STATUS_OK) st = atomic_file_commit(&af, err);
    else atomic_file_abort(&af);
    free(text);
    return st;
}
