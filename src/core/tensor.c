/* tensor.c: dtype helpers, shape helpers and the owning tensor_dict; see tensor.h. */
#include "core/tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtype_table[VCT_DTYPE_COUNT] = {
    [VCT_DTYPE_F32] = {"F32", 4}, [VCT_DTYPE_F64] = {"F64", 8}, [VCT_DTYPE_F16] = {"F16", 2},
    [VCT_DTYPE_BF16] = {"BF16", 2}, [VCT_DTYPE_I64] = {"I64", 8}, [VCT_DTYPE_I32] = {"I32", 4},
    [VCT_DTYPE_I16] = {"I16", 2}, [VCT_DTYPE_I8] = {"I8", 1}, [VCT_DTYPE_U8] = {"U8", 1},
    [VCT_DTYPE_U16] = {"U16", 2}, [VCT_DTYPE_U32] = {"U32", 4}, [VCT_DTYPE_U64] = {"U64", 8},
    [VCT_DTYPE_BOOL] = {"BOOL", 1},
};

size_t dtype_size(vct_dtype dt) { return (unsigned)dt < VCT_DTYPE_COUNT ? dtype_table[dt].size : 0; }

const char *dtype_name(vct_dtype dt) {
    return (unsigned)dt < VCT_DTYPE_COUNT ? dtype_table[dt].name : "?";
}

int dtype_from_name(const char *name, vct_dtype *out) {
    for (int i = 0; i < VCT_DTYPE_COUNT; i++)
        if (strcmp(name, dtype_table[i].name) == 0) {
            *out = (vct_dtype)i;
            return 0;
        }
    return -1;
}

float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0) v = ldexpf((float)mant, -24); /* zero and subnormals */
    else if (exp == 31) v = mant ? NAN : INFINITY;
    else v = ldexpf((float)(mant | 0x400), (int)exp - 25);
    return sign ? -v : v;
}

float bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t f32_to_f16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t absu = u & 0x7fffffffu;
    if (absu >= 0x7f800000u) return sign | (absu > 0x7f800000u ? 0x7e00 : 0x7c00);
    if (absu >= 0x477ff000u) return sign | 0x7c00; /* rounds to >= 65520: inf */
    if (absu < 0x38800000u) {                      /* below the smallest normal: subnormal */
        float a;
        memcpy(&a, &absu, 4);
        return sign | (uint16_t)lrintf(a * 16777216.0f); /* a / 2^-24, ties to even */
    }
    uint32_t mant = absu & 0x7fffff, exp = (absu >> 23) - 127 + 15;
    uint32_t half = (exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) half++;
    return sign | (uint16_t)half;
}

double dtype_get_f64(const void *data, vct_dtype dt, int64_t i) {
    const unsigned char *p = (const unsigned char *)data;
    switch (dt) {
    case VCT_DTYPE_F32: { float v; memcpy(&v, p + 4 * i, 4); return v; }
    case VCT_DTYPE_F64: { double v; memcpy(&v, p + 8 * i, 8); return v; }
    case VCT_DTYPE_F16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return f16_to_f32(v); }
    case VCT_DTYPE_BF16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return bf16_to_f32(v); }
    case VCT_DTYPE_I64: { int64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
    case VCT_DTYPE_I32: { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case VCT_DTYPE_I16: { int16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case VCT_DTYPE_I8: return (int8_t)p[i];
    case VCT_DTYPE_U8: return p[i];
    case VCT_DTYPE_U16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case VCT_DTYPE_U32: { uint32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case VCT_DTYPE_U64: { uint64_t v; memcpy(&v, p + 8 * i, 8); return (double)v; }
    case VCT_DTYPE_BOOL: return p[i] != 0;
    case VCT_DTYPE_COUNT: break;
    }
    return NAN;
}

int64_t shape_numel(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

int64_t tensor_numel(const tensor *t) { return shape_numel(t->ndim, t->shape); }

size_t tensor_nbytes(const tensor *t) { return (size_t)tensor_numel(t) * dtype_size(t->dtype); }

const char *shape_str(int ndim, const int64_t *shape, char *buf, size_t cap) {
    size_t n = 0;
    if (cap == 0) return buf;
    buf[0] = '\0';
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "," : "", (long long)shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

int shape_equal(int na, const int64_t *a, int nb, const int64_t *b) {
    if (na != nb) return 0;
    for (int i = 0; i < na; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

void tensor_dict_init(tensor_dict *d) { memset(d, 0, sizeof *d); }

void tensor_dict_free(tensor_dict *d) {
    for (int64_t i = 0; i < d->count; i++) {
        free(d->items[i].name);
        free(d->items[i].t.data);
    }
    free(d->items);
    for (int64_t i = 0; i < d->meta_count; i++) {
        free(d->meta_keys[i]);
        free(d->meta_values[i]);
    }
    free(d->meta_keys);
    free(d->meta_values);
    memset(d, 0, sizeof *d);
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static vct_status check_shape(const char *name, vct_dtype dt, int ndim, const int64_t *shape,
                              vct_error *err) {
    if ((unsigned)dt >= VCT_DTYPE_COUNT)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "tensor '%s': bad dtype %d", name, (int)dt);
    if (ndim < 0 || ndim > VCT_MAX_DIMS)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "tensor '%s': %d dimensions (at most %d)",
                        name, ndim, VCT_MAX_DIMS);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return vct_fail(err, VCT_STATUS_FORMAT, "tensor '%s': negative size %lld", name,
                            (long long)shape[i]);
        if (shape[i] > 0 && n > INT64_MAX / 16 / shape[i])
            return vct_fail(err, VCT_STATUS_FORMAT, "tensor '%s': size overflows", name);
        n *= shape[i];
    }
    return VCT_STATUS_OK;
}

static vct_status dict_push(tensor_dict *d, const char *name, vct_dtype dt, int ndim,
                            const int64_t *shape, void *data, vct_error *err) {
    if (d->count == d->cap) {
        int64_t nc = d->cap ? d->cap * 2 : 16;
        named_tensor *ni = realloc(d->items, (size_t)nc * sizeof *ni);
        if (!ni) return vct_fail(err, VCT_STATUS_NO_MEMORY, "tensor list: out of memory");
        d->items = ni;
        d->cap = nc;
    }
    char *nm = dup_str(name);
    if (!nm) return vct_fail(err, VCT_STATUS_NO_MEMORY, "tensor list: out of memory");
    named_tensor *it = &d->items[d->count++];
    memset(it, 0, sizeof *it);
    it->name = nm;
    it->t.data = data;
    it->t.dtype = dt;
    it->t.ndim = ndim;
    for (int i = 0; i < ndim; i++) it->t.shape[i] = shape[i];
    return VCT_STATUS_OK;
}

vct_status tensor_dict_add(tensor_dict *d, const char *name, vct_dtype dt, int ndim,
                           const int64_t *shape, const void *data, tensor **out, vct_error *err) {
    VCT_TRY(check_shape(name, dt, ndim, shape, err));
    size_t nbytes = (size_t)shape_numel(ndim, shape) * dtype_size(dt);
    void *buf = malloc(nbytes ? nbytes : 1);
    if (!buf)
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "tensor '%s': cannot allocate %zu bytes", name,
                        nbytes);
    if (data) memcpy(buf, data, nbytes);
    else memset(buf, 0, nbytes);
    vct_status st = dict_push(d, name, dt, ndim, shape, buf, err);
    if (st != VCT_STATUS_OK) {
        free(buf);
        return st;
    }
    if (out) *out = &d->items[d->count - 1].t;
    return VCT_STATUS_OK;
}

vct_status tensor_dict_add_owned(tensor_dict *d, const char *name, vct_dtype dt, int ndim,
                                 const int64_t *shape, void *data, vct_error *err) {
    vct_status st = check_shape(name, dt, ndim, shape, err);
    if (st == VCT_STATUS_OK) st = dict_push(d, name, dt, ndim, shape, data, err);
    if (st != VCT_STATUS_OK) free(data);
    return st;
}

const tensor *tensor_dict_find(const tensor_dict *d, const char *name) {
    for (int64_t i = 0; i < d->count; i++)
        if (strcmp(d->items[i].name, name) == 0) return &d->items[i].t;
    return NULL;
}

vct_status tensor_dict_set_meta(tensor_dict *d, const char *key, const char *value, vct_error *err) {
    for (int64_t i = 0; i < d->meta_count; i++)
        if (strcmp(d->meta_keys[i], key) == 0) {
            char *v = dup_str(value);
            if (!v) return vct_fail(err, VCT_STATUS_NO_MEMORY, "metadata: out of memory");
            free(d->meta_values[i]);
            d->meta_values[i] = v;
            return VCT_STATUS_OK;
        }
    char **nk = realloc(d->meta_keys, (size_t)(d->meta_count + 1) * sizeof *nk);
    if (!nk) return vct_fail(err, VCT_STATUS_NO_MEMORY, "metadata: out of memory");
    d->meta_keys = nk;
    char **nv = realloc(d->meta_values, (size_t)(d->meta_count + 1) * sizeof *nv);
    if (!nv) return vct_fail(err, VCT_STATUS_NO_MEMORY, "metadata: out of memory");
    d->meta_values = nv;
    char *k = dup_str(key), *v = dup_str(value);
    if (!k || !v) {
        free(k);
        free(v);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "metadata: out of memory");
    }
    d->meta_keys[d->meta_count] = k;
    d->meta_values[d->meta_count] = v;
    d->meta_count++;
    return VCT_STATUS_OK;
}

const char *tensor_dict_get_meta(const tensor_dict *d, const char *key) {
    for (int64_t i = 0; i < d->meta_count; i++)
        if (strcmp(d->meta_keys[i], key) == 0) return d->meta_values[i];
    return NULL;
}

vct_status tensor_dict_get_checked(const tensor_dict *d, const char *name, vct_dtype dt, int ndim,
                                   const int64_t *shape, const tensor **out, vct_error *err) {
    const tensor *t = tensor_dict_find(d, name);
    if (!t) return vct_fail(err, VCT_STATUS_FORMAT, "tensor '%s' is missing", name);
    char got[160], want[160];
    if (t->dtype != dt)
        return vct_fail(err, VCT_STATUS_FORMAT, "tensor '%s': dtype %s, expected %s", name,
                        dtype_name(t->dtype), dtype_name(dt));
    if (shape && !shape_equal(t->ndim, t->shape, ndim, shape))
        return vct_fail(err, VCT_STATUS_SHAPE, "tensor '%s': shape %s, expected %s", name,
                        shape_str(t->ndim, t->shape, got, sizeof got),
                        shape_str(ndim, shape, want, sizeof want));
    *out = t;
    return VCT_STATUS_OK;
}
