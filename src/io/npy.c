/* npy.c: .npy/.npz reading and writing; see npy.h.
 * The header is a Python dict literal; we parse exactly the three keys numpy
 * writes ('descr', 'fortran_order', 'shape') and refuse anything else. */
#include "io/npy.h"

#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "io/atomic_file.h"

#define NPY_MAX_BYTES ((size_t)1 << 36) /* 64 GiB: refuse absurd headers before allocating */

static const struct {
    const char *descr;
    vct_dtype dt;
} npy_types[] = {
    {"<f4", VCT_DTYPE_F32}, {"<f8", VCT_DTYPE_F64}, {"<f2", VCT_DTYPE_F16}, {"<i8", VCT_DTYPE_I64},
    {"<i4", VCT_DTYPE_I32}, {"<i2", VCT_DTYPE_I16}, {"|i1", VCT_DTYPE_I8},  {"|u1", VCT_DTYPE_U8},
    {"<u2", VCT_DTYPE_U16}, {"<u4", VCT_DTYPE_U32}, {"<u8", VCT_DTYPE_U64}, {"|b1", VCT_DTYPE_BOOL},
};

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && isspace((unsigned char)*p)) p++;
    return p;
}

/* find the value text after 'key': in the header */
static const char *find_key(const char *h, const char *end, const char *key) {
    size_t kl = strlen(key);
    for (const char *p = h; p + kl + 2 <= end; p++)
        if ((*p == '\'' || *p == '"') && memcmp(p + 1, key, kl) == 0 && p[kl + 1] == *p) {
            p = skip_ws(p + kl + 2, end);
            if (p < end && *p == ':') return skip_ws(p + 1, end);
            return NULL;
        }
    return NULL;
}

vct_status npy_parse(const unsigned char *buf, size_t len, const char *what, const char *name,
                     tensor_dict *d, vct_error *err) {
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: not a .npy file (bad magic)", what);
    unsigned major = buf[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = buf[8] | (size_t)buf[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return vct_fail(err, VCT_STATUS_FORMAT, "%s: truncated .npy header", what);
        hlen = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hstart = 12;
    } else {
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: .npy version %u not supported", what, major);
    }
    if (hlen > len - hstart) return vct_fail(err, VCT_STATUS_FORMAT, "%s: truncated .npy header", what);
    const char *h = (const char *)buf + hstart, *hend = h + hlen;
    const char *pd = find_key(h, hend, "descr"), *pf = find_key(h, hend, "fortran_order"),
               *ps = find_key(h, hend, "shape");
    if (!pd || !pf || !ps) return vct_fail(err, VCT_STATUS_FORMAT, "%s: .npy header lacks descr/fortran_order/shape", what);
    vct_dtype dt = VCT_DTYPE_COUNT;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++) {
        size_t l = strlen(npy_types[i].descr);
        if (pd + l + 2 <= hend && (pd[0] == '\'' || pd[0] == '"') && memcmp(pd + 1, npy_types[i].descr, l) == 0 &&
            pd[l + 1] == pd[0])
            dt = npy_types[i].dt;
    }
    if (dt == VCT_DTYPE_COUNT) {
        char got[16] = {0};
        for (int i = 0; i < 15 && pd + i < hend && pd[i] != ','; i++) got[i] = pd[i];
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: .npy dtype %s not supported", what, got);
    }
    if (hend - pf >= 4 && memcmp(pf, "True", 4) == 0)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: Fortran-order .npy not supported", what);
    if (!(hend - pf >= 5 && memcmp(pf, "False", 5) == 0))
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: bad fortran_order in .npy header", what);
    if (*ps != '(') return vct_fail(err, VCT_STATUS_FORMAT, "%s: bad shape in .npy header", what);
    int ndim = 0;
    int64_t shape[VCT_MAX_DIMS];
    const char *p = ps + 1;
    for (;;) {
        p = skip_ws(p, hend);
        if (p >= hend) return vct_fail(err, VCT_STATUS_FORMAT, "%s: bad shape in .npy header", what);
        if (*p == ')') break;
        if (!isdigit((unsigned char)*p)) return vct_fail(err, VCT_STATUS_FORMAT, "%s: bad shape in .npy header", what);
        if (ndim == VCT_MAX_DIMS) return vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: more than %d dimensions", what, VCT_MAX_DIMS);
        int64_t v = 0;
        while (p < hend && isdigit((unsigned char)*p)) {
            if (v > (INT64_MAX - 9) / 10) return vct_fail(err, VCT_STATUS_FORMAT, "%s: shape overflows", what);
            v = v * 10 + (*p++ - '0');
        }
        shape[ndim++] = v;
        p = skip_ws(p, hend);
        if (p < hend && *p == ',') p++;
    }
    size_t need = dtype_size(dt);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] && need > NPY_MAX_BYTES / (size_t)shape[i])
            return vct_fail(err, VCT_STATUS_FORMAT, "%s: .npy shape too large", what);
        need *= (size_t)shape[i];
    }
    size_t data_off = hstart + hlen;
    if (len - data_off < need)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: .npy data truncated (%zu bytes, need %zu)", what,
                        len - data_off, need);
    vct_status st = tensor_dict_add(d, name, dt, ndim, shape, buf + data_off, NULL, err);
    if (st != VCT_STATUS_OK) return vct_error_wrap(err, "%s", what);
    return VCT_STATUS_OK;
}

vct_status npy_serialize(const tensor *t, unsigned char **out, size_t *out_len, vct_error *err) {
    const char *descr = NULL;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dt == t->dtype) descr = npy_types[i].descr;
    if (!descr) return vct_fail(err, VCT_STATUS_UNSUPPORTED, "npy: dtype %s cannot be written", dtype_name(t->dtype));
    char hdr[512];
    /* numpy's spelling: () for scalars, (5,) for 1-d, (2, 3) otherwise */
    int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < t->ndim; i++)
        n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%s), }", t->ndim == 1 ? "," : "");
    size_t total_hdr = 10 + (size_t)n + 1;
    size_t pad = (64 - total_hdr % 64) % 64;
    size_t hl = (size_t)n + pad + 1, nb = tensor_nbytes(t);
    unsigned char *b = malloc(10 + hl + nb);
    if (!b) return vct_fail(err, VCT_STATUS_NO_MEMORY, "npy: out of memory");
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)(hl & 0xff);
    b[9] = (unsigned char)(hl >> 8);
    memcpy(b + 10, hdr, (size_t)n);
    memset(b + 10 + n, ' ', pad);
    b[10 + hl - 1] = '\n';
    memcpy(b + 10 + hl, t->data, nb);
    *out = b;
    *out_len = 10 + hl + nb;
    return VCT_STATUS_OK;
}

static vct_status slurp(const char *path, unsigned char **buf, size_t *len, vct_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return vct_fail(err, VCT_STATUS_IO, "%s: cannot seek", path);
    }
    unsigned char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        fclose(f);
        return vct_fail(err, VCT_STATUS_IO, "%s: read error", path);
    }
    fclose(f);
    *buf = b;
    *len = (size_t)n;
    return VCT_STATUS_OK;
}

vct_status npy_read(const char *path, tensor_dict *d, vct_error *err) {
    unsigned char *b = NULL;
    size_t n = 0;
    tensor_dict_init(d);
    VCT_TRY(slurp(path, &b, &n, err));
    vct_status st = npy_parse(b, n, path, "", d, err);
    free(b);
    if (st != VCT_STATUS_OK) tensor_dict_free(d);
    return st;
}

vct_status npy_write(const char *path, const tensor *t, vct_error *err) {
    unsigned char *b = NULL;
    size_t n = 0;
    VCT_TRY(npy_serialize(t, &b, &n, err));
    atomic_file af;
    vct_status st = atomic_file_open(&af, path, err);
    if (st == VCT_STATUS_OK) {
        st = atomic_file_write(&af, b, n, err);
        if (st == VCT_STATUS_OK) st = atomic_file_commit(&af, err);
        else atomic_file_abort(&af);
    }
    free(b);
    return st;
}

static int wanted(const char *name, const char *const *names, int n_names) {
    if (!names) return 1;
    for (int i = 0; i < n_names; i++)
        if (strcmp(names[i], name) == 0) return 1;
    return 0;
}

static vct_status npz_read_impl(const char *path, const char *const *names, int n_names, int allow_missing,
                                tensor_dict *d, vct_error *err) {
    tensor_dict_init(d);
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        vct_status st = vct_fail(err, zerr == ZIP_ER_OPEN || zerr == ZIP_ER_NOENT ? VCT_STATUS_IO : VCT_STATUS_FORMAT,
                                 "%s: not a readable .npz (zip): %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    vct_status st = VCT_STATUS_OK;
    unsigned char *buf = NULL;
    zip_int64_t ne = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < ne && st == VCT_STATUS_OK; i++) {
        zip_stat_t zs;
        if (zip_stat_index(z, (zip_uint64_t)i, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_SIZE) || !zs.name) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: entry %lld: bad zip directory", path, (long long)i);
            break;
        }
        size_t nl = strlen(zs.name);
        if (nl < 4 || strcmp(zs.name + nl - 4, ".npy") != 0) continue;
        char tname[1024];
        if (nl - 4 >= sizeof tname) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: entry name too long", path);
            break;
        }
        memcpy(tname, zs.name, nl - 4);
        tname[nl - 4] = '\0';
        if (!wanted(tname, names, n_names)) continue;
        if (zs.size > NPY_MAX_BYTES) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: %s: entry too large", path, zs.name);
            break;
        }
        buf = malloc(zs.size ? zs.size : 1);
        zip_file_t *zf = buf ? zip_fopen_index(z, (zip_uint64_t)i, 0) : NULL;
        if (!zf) {
            st = vct_fail(err, buf ? VCT_STATUS_FORMAT : VCT_STATUS_NO_MEMORY, "%s: %s: cannot open entry: %s",
                          path, zs.name, zip_strerror(z));
            break;
        }
        zip_int64_t got = zip_fread(zf, buf, zs.size);
        zip_fclose(zf);
        if (got < 0 || (zip_uint64_t)got != zs.size) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: %s: truncated or corrupt entry", path, zs.name);
            break;
        }
        char what[1400];
        snprintf(what, sizeof what, "%s: %s", path, zs.name);
        st = npy_parse(buf, zs.size, what, tname, d, err);
        free(buf);
        buf = NULL;
    }
    free(buf);
    zip_discard(z);
    if (st == VCT_STATUS_OK && names && !allow_missing)
        for (int i = 0; i < n_names; i++)
            if (!tensor_dict_find(d, names[i])) {
                st = vct_fail(err, VCT_STATUS_FORMAT, "%s: entry '%s' is missing", path, names[i]);
                break;
            }
    if (st != VCT_STATUS_OK) tensor_dict_free(d);
    return st;
}

vct_status npz_read(const char *path, tensor_dict *d, vct_error *err) {
    return npz_read_impl(path, NULL, 0, 0, d, err);
}

vct_status npz_read_some(const char *path, const char *const *names, int n_names, tensor_dict *d,
                         vct_error *err) {
    return npz_read_impl(path, names, n_names, 0, d, err);
}

vct_status npz_read_present(const char *path, const char *const *names, int n_names, tensor_dict *d,
                            vct_error *err) {
    return npz_read_impl(path, names, n_names, 1, d, err);
}

vct_status npz_write(const char *path, const tensor_dict *d, vct_error *err) {
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 5);
    if (!tmp) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", 5);
    remove(tmp);
    int zerr = 0;
    vct_status st = VCT_STATUS_OK;
    zip_t *z = zip_open(tmp, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (!z) {
        free(tmp);
        return vct_fail(err, VCT_STATUS_IO, "%s: cannot create", path);
    }
    for (int64_t i = 0; i < d->count && st == VCT_STATUS_OK; i++) {
        unsigned char *b = NULL;
        size_t n = 0;
        st = npy_serialize(&d->items[i].t, &b, &n, err);
        if (st != VCT_STATUS_OK) break;
        zip_source_t *src = zip_source_buffer(z, b, n, 1); /* libzip frees b */
        char ename[1100];
        snprintf(ename, sizeof ename, "%s.npy", d->items[i].name);
        zip_int64_t idx = src ? zip_file_add(z, ename, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) : -1;
        if (idx < 0) {
            if (src) zip_source_free(src);
            else free(b);
            st = vct_fail(err, VCT_STATUS_IO, "%s: cannot add %s: %s", path, ename, zip_strerror(z));
            break;
        }
        zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    if (st != VCT_STATUS_OK) {
        zip_discard(z);
    } else if (zip_close(z) != 0) {
        st = vct_fail(err, VCT_STATUS_IO, "%s: write failed: %s", path, zip_strerror(z));
        zip_discard(z);
    } else if (rename(tmp, path) != 0) {
        st = vct_fail(err, VCT_STATUS_IO, "%s: cannot rename from %s", path, tmp);
    }
    if (st != VCT_STATUS_OK) remove(tmp);
    free(tmp);
    return st;
}
