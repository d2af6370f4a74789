/* zipfile.h: a small read-only wrapper over libzip for the formats that are
 * zip archives (.pth checkpoints). Open, list entries, read one entry fully
 * (stored or deflated; the CRC is checked). Every message names the file:
 *   "model.pth: not a zip file (or truncated: no end-of-central-directory record)"
 *   "model.pth: entry 'm/data/3': 100 bytes, more than the 64 allowed"
 * Not supported: encrypted entries, writing. */
#ifndef VCT_IO_ZIPFILE_H
#define VCT_IO_ZIPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct zipfile zipfile;

/* Open path read-only. An empty file, random bytes or a truncated archive fail
 * with VCT_STATUS_FORMAT; a missing file with VCT_STATUS_IO. */
vct_status zipfile_open(const char *path, zipfile **out, vct_error *err);
void zipfile_close(zipfile *z); /* NULL is fine */

const char *zipfile_path(const zipfile *z);
int64_t zipfile_count(const zipfile *z);
/* Name of entry i (0 <= i < count), or NULL. */
const char *zipfile_name(const zipfile *z, int64_t i);
/* Index of the entry named exactly name, or -1. */
int64_t zipfile_find(const zipfile *z, const char *name);
/* Uncompressed size of entry i as recorded in the central directory. */
vct_status zipfile_size(const zipfile *z, int64_t i, uint64_t *size, vct_error *err);

/* Read entry i fully into a malloc'ed buffer (*data, *len; one extra NUL byte
 * follows the data). Fails without allocating if the recorded size exceeds
 * max_bytes; fails if the data is short, long or has a bad CRC. */
vct_status zipfile_read(zipfile *z, int64_t i, uint64_t max_bytes, unsigned char **data,
                        size_t *len, vct_error *err);

#endif
