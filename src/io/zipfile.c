/* zipfile.c: read-only libzip wrapper; see zipfile.h. */
#include "io/zipfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

struct zipfile {
    zip_t *za;
    char *path;
    int64_t count;
};

static const char *zip_code_str(int code) {
    switch (code) {
    case ZIP_ER_NOZIP: return "not a zip file (or truncated: no end-of-central-directory record)";
    case ZIP_ER_INCONS: return "inconsistent zip archive (truncated or corrupt)";
    case ZIP_ER_READ: return "read error";
    case ZIP_ER_SEEK: return "seek error (truncated?)";
    case ZIP_ER_MEMORY: return "out of memory";
    case ZIP_ER_CRC: return "CRC mismatch (corrupt entry)";
    case ZIP_ER_COMPNOTSUPP: return "compression method not supported";
    case ZIP_ER_ENCRNOTSUPP: return "encryption not supported";
    case ZIP_ER_EOF: return "premature end of file (truncated)";
    case ZIP_ER_ZLIB: return "corrupt deflate data";
    default: return NULL;
    }
}

static vct_status status_of(int code) {
    switch (code) {
    case ZIP_ER_MEMORY: return VCT_STATUS_NO_MEMORY;
    case ZIP_ER_OPEN:
    case ZIP_ER_NOENT:
    case ZIP_ER_READ: return VCT_STATUS_IO;
    case ZIP_ER_COMPNOTSUPP:
    case ZIP_ER_ENCRNOTSUPP: return VCT_STATUS_UNSUPPORTED;
    default: return VCT_STATUS_FORMAT;
    }
}

vct_status zipfile_open(const char *path, zipfile **out, vct_error *err) {
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode)) return vct_fail(err, VCT_STATUS_IO, "%s: not a regular file", path);
    if (sb.st_size == 0) return vct_fail(err, VCT_STATUS_FORMAT, "%s: empty file, not a zip file", path);

    int code = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!za) {
        const char *why = zip_code_str(code);
        if (why) return vct_fail(err, status_of(code), "%s: %s", path, why);
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        vct_status st = vct_fail(err, status_of(code), "%s: cannot open zip: %s", path,
                                 zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    zip_int64_t n = zip_get_num_entries(za, 0);
    if (n < 0) {
        zip_discard(za);
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: cannot list zip entries", path);
    }
    zipfile *z = calloc(1, sizeof *z);
    size_t plen = strlen(path) + 1;
    char *p = malloc(plen);
    if (!z || !p) {
        free(z);
        free(p);
        zip_discard(za);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
    }
    memcpy(p, path, plen);
    z->za = za;
    z->path = p;
    z->count = (int64_t)n;
    *out = z;
    return VCT_STATUS_OK;
}

void zipfile_close(zipfile *z) {
    if (!z) return;
    zip_discard(z->za); /* read-only: nothing to write back */
    free(z->path);
    free(z);
}

const char *zipfile_path(const zipfile *z) { return z->path; }

int64_t zipfile_count(const zipfile *z) { return z->count; }

const char *zipfile_name(const zipfile *z, int64_t i) {
    if (i < 0 || i >= z->count) return NULL;
    return zip_get_name(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
}

int64_t zipfile_find(const zipfile *z, const char *name) {
    zip_int64_t i = zip_name_locate(z->za, name, ZIP_FL_ENC_RAW);
    return i < 0 ? -1 : (int64_t)i;
}

static vct_status stat_entry(const zipfile *z, int64_t i, zip_stat_t *zs, vct_error *err) {
    if (i < 0 || i >= z->count)
        return vct_fail(err, VCT_STATUS_INTERNAL, "%s: no zip entry #%lld", z->path, (long long)i);
    zip_stat_init(zs);
    if (zip_stat_index(z->za, (zip_uint64_t)i, 0, zs) != 0 || !(zs->valid & ZIP_STAT_SIZE))
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: cannot stat zip entry #%lld: %s", z->path,
                        (long long)i, zip_strerror(z->za));
    return VCT_STATUS_OK;
}

vct_status zipfile_size(const zipfile *z, int64_t i, uint64_t *size, vct_error *err) {
    zip_stat_t zs;
    VCT_TRY(stat_entry(z, i, &zs, err));
    *size = zs.size;
    return VCT_STATUS_OK;
}

vct_status zipfile_read(zipfile *z, int64_t i, uint64_t max_bytes, unsigned char **data,
                        size_t *len, vct_error *err) {
    *data = NULL;
    *len = 0;
    zip_stat_t zs;
    VCT_TRY(stat_entry(z, i, &zs, err));
    const char *name = zs.name ? zs.name : "?";
    if (zs.size > max_bytes || zs.size > (uint64_t)SIZE_MAX - 1)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: entry '%s': %llu bytes, more than the %llu allowed",
                        z->path, name, (unsigned long long)zs.size, (unsigned long long)max_bytes);
    if ((zs.valid & ZIP_STAT_ENCRYPTION_METHOD) && zs.encryption_method != ZIP_EM_NONE)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: entry '%s': encrypted entries are not supported",
                        z->path, name);
    size_t n = (size_t)zs.size;
    unsigned char *buf = malloc(n + 1);
    if (!buf)
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: entry '%s': out of memory for %zu bytes",
                        z->path, name, n);
    vct_status st = VCT_STATUS_OK;
    zip_file_t *f = zip_fopen_index(z->za, (zip_uint64_t)i, 0);
    if (!f) {
        zip_error_t *ze = zip_get_error(z->za);
        int code = zip_error_code_zip(ze);
        const char *why = zip_code_str(code);
        st = vct_fail(err, status_of(code), "%s: entry '%s': %s", z->path, name,
                      why ? why : zip_error_strerror(ze));
        goto fail;
    }
    size_t got = 0;
    while (got < n) {
        zip_int64_t r = zip_fread(f, buf + got, n - got);
        if (r < 0) {
            zip_error_t *ze = zip_file_get_error(f);
            int code = zip_error_code_zip(ze);
            const char *why = zip_code_str(code);
            st = vct_fail(err, status_of(code), "%s: entry '%s': %s", z->path, name,
                          why ? why : zip_error_strerror(ze));
            goto fail;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    if (got != n) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: entry '%s': truncated: %zu of %zu bytes", z->path,
                      name, got, n);
        goto fail;
    }
    unsigned char extra;
    zip_int64_t r = zip_fread(f, &extra, 1); /* must be at the end now (and CRC checked) */
    if (r != 0) {
        if (r > 0) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: entry '%s': longer than its recorded %zu bytes",
                          z->path, name, n);
        } else {
            zip_error_t *ze = zip_file_get_error(f);
            int code = zip_error_code_zip(ze);
            const char *why = zip_code_str(code);
            st = vct_fail(err, status_of(code), "%s: entry '%s': %s", z->path, name,
                          why ? why : zip_error_strerror(ze));
        }
        goto fail;
    }
    zip_fclose(f);
    buf[n] = 0;
    *data = buf;
    *len = n;
    return VCT_STATUS_OK;
fail:
    if (f) zip_fclose(f);
    free(buf);
    return st;
}
