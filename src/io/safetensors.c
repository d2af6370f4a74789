/* safetensors.c: reader and writer for the safetensors format; see safetensors.h.
 * The header is parsed with cJSON. Every offset and size is checked against
 * the file size before any data is touched. */
#include "io/safetensors.h"

#include <errno.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/atomic_file.h"

#define ST_MAX_HEADER (100u << 20) /* 100 MiB of JSON is already absurd */

static vct_status read_whole(const char *path, unsigned char **buf, size_t *len, vct_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char *b = NULL;
    if (fseek(f, 0, SEEK_END) != 0) goto io_fail;
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) goto io_fail;
    b = malloc((size_t)n + 1);
    if (!b) {
        fclose(f);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: cannot allocate %ld bytes", path, n);
    }
    if (fread(b, 1, (size_t)n, f) != (size_t)n) goto io_fail;
    fclose(f);
    *buf = b;
    *len = (size_t)n;
    return VCT_STATUS_OK;
io_fail:
    free(b);
    fclose(f);
    return vct_fail(err, VCT_STATUS_IO, "%s: read error", path);
}

vct_status safetensors_read(const char *path, tensor_dict *d, vct_error *err) {
    tensor_dict_init(d);
    unsigned char *buf = NULL;
    size_t len = 0;
    cJSON *root = NULL;
    vct_status st = read_whole(path, &buf, &len, err);
    if (st != VCT_STATUS_OK) return st;
    if (len < 8) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: not a safetensors file (%zu bytes)", path, len);
        goto fail;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | buf[i];
    if (hlen > ST_MAX_HEADER || hlen > len - 8) {
        st = vct_fail(err, VCT_STATUS_FORMAT,
                      "%s: header length %llu exceeds the file (%zu bytes): truncated or not safetensors",
                      path, (unsigned long long)hlen, len);
        goto fail;
    }
    root = cJSON_ParseWithLength((const char *)buf + 8, (size_t)hlen);
    if (!root || !cJSON_IsObject(root)) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: header is not a JSON object", path);
        goto fail;
    }
    const unsigned char *data = buf + 8 + hlen;
    size_t data_len = len - 8 - (size_t)hlen;
    for (cJSON *it = root->child; it; it = it->next) {
        const char *name = it->string ? it->string : "";
        if (strcmp(name, "__metadata__") == 0) {
            if (!cJSON_IsObject(it)) {
                st = vct_fail(err, VCT_STATUS_FORMAT, "%s: __metadata__ is not an object", path);
                goto fail;
            }
            for (cJSON *m = it->child; m; m = m->next) {
                if (!cJSON_IsString(m)) {
                    st = vct_fail(err, VCT_STATUS_FORMAT, "%s: metadata '%s' is not a string", path,
                                  m->string ? m->string : "");
                    goto fail;
                }
                st = tensor_dict_set_meta(d, m->string, m->valuestring, err);
                if (st != VCT_STATUS_OK) goto fail;
            }
            continue;
        }
        cJSON *jdt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
        cJSON *jsh = cJSON_GetObjectItemCaseSensitive(it, "shape");
        cJSON *joff = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
        vct_dtype dt;
        if (!cJSON_IsString(jdt) || dtype_from_name(jdt->valuestring, &dt) != 0) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: tensor '%s': missing or unknown dtype", path, name);
            goto fail;
        }
        if (!cJSON_IsArray(jsh) || cJSON_GetArraySize(jsh) > VCT_MAX_DIMS) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: tensor '%s': bad shape", path, name);
            goto fail;
        }
        int ndim = cJSON_GetArraySize(jsh);
        int64_t shape[VCT_MAX_DIMS];
        for (int i = 0; i < ndim; i++) {
            cJSON *e = cJSON_GetArrayItem(jsh, i);
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 9e15 ||
                e->valuedouble != (double)(int64_t)e->valuedouble) {
                st = vct_fail(err, VCT_STATUS_FORMAT, "%s: tensor '%s': bad shape entry", path, name);
                goto fail;
            }
            shape[i] = (int64_t)e->valuedouble;
        }
        if (!cJSON_IsArray(joff) || cJSON_GetArraySize(joff) != 2 ||
            !cJSON_IsNumber(cJSON_GetArrayItem(joff, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(joff, 1))) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: tensor '%s': bad data_offsets", path, name);
            goto fail;
        }
        double b0 = cJSON_GetArrayItem(joff, 0)->valuedouble, b1 = cJSON_GetArrayItem(joff, 1)->valuedouble;
        if (b0 < 0 || b1 < b0 || b1 > (double)data_len) {
            st = vct_fail(err, VCT_STATUS_FORMAT,
                          "%s: tensor '%s': data_offsets [%.0f,%.0f] outside the data (%zu bytes): truncated?",
                          path, name, b0, b1, data_len);
            goto fail;
        }
        /* the size check below also rejects shapes whose element count overflows */
        double want = (double)dtype_size(dt);
        for (int i = 0; i < ndim; i++) want *= (double)shape[i];
        if (want != b1 - b0) {
            st = vct_fail(err, VCT_STATUS_FORMAT,
                          "%s: tensor '%s': %.0f data bytes, shape and dtype need %.0f", path, name,
                          b1 - b0, want);
            goto fail;
        }
        st = tensor_dict_add(d, name, dt, ndim, shape, data + (size_t)b0, NULL, err);
        if (st != VCT_STATUS_OK) {
            vct_error_wrap(err, "%s", path);
            goto fail;
        }
    }
    cJSON_Delete(root);
    free(buf);
    return VCT_STATUS_OK;
fail:
    cJSON_Delete(root);
    free(buf);
    tensor_dict_free(d);
    return st;
}

vct_status safetensors_write(const char *path, const tensor_dict *d, vct_error *err) {
    cJSON *root = cJSON_CreateObject();
    char *json = NULL;
    atomic_file af = {0};
    vct_status st = VCT_STATUS_OK;
    if (!root) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
    uint64_t off = 0;
    for (int64_t i = 0; i < d->count; i++) {
        const named_tensor *nt = &d->items[i];
        if (strcmp(nt->name, "__metadata__") == 0) {
            st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: a tensor may not be named __metadata__", path);
            goto fail;
        }
        cJSON *e = cJSON_CreateObject(), *sh = cJSON_CreateArray(), *of = cJSON_CreateArray();
        if (!e || !sh || !of) {
            cJSON_Delete(e);
            cJSON_Delete(sh);
            cJSON_Delete(of);
            st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
            goto fail;
        }
        cJSON_AddItemToObject(root, nt->name, e);
        cJSON_AddStringToObject(e, "dtype", dtype_name(nt->t.dtype));
        for (int k = 0; k < nt->t.ndim; k++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)nt->t.shape[k]));
        cJSON_AddItemToObject(e, "shape", sh);
        uint64_t nb = tensor_nbytes(&nt->t);
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)(off + nb)));
        cJSON_AddItemToObject(e, "data_offsets", of);
        off += nb;
    }
    if (d->meta_count > 0) {
        cJSON *m = cJSON_CreateObject();
        if (!m) {
            st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
            goto fail;
        }
        for (int64_t i = 0; i < d->meta_count; i++) cJSON_AddStringToObject(m, d->meta_keys[i], d->meta_values[i]);
        cJSON_AddItemToObject(root, "__metadata__", m);
    }
    json = cJSON_PrintUnformatted(root);
    if (!json) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    size_t jl = strlen(json), padded = (jl + 7) / 8 * 8;
    unsigned char hl[8];
    for (int i = 0; i < 8; i++) hl[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    st = atomic_file_open(&af, path, err);
    if (st != VCT_STATUS_OK) goto fail;
    static const char spaces[8] = "        ";
    st = atomic_file_write(&af, hl, 8, err);
    if (st == VCT_STATUS_OK) st = atomic_file_write(&af, json, jl, err);
    if (st == VCT_STATUS_OK) st = atomic_file_write(&af, spaces, padded - jl, err);
    for (int64_t i = 0; i < d->count && st == VCT_STATUS_OK; i++)
        st = atomic_file_write(&af, d->items[i].t.data, tensor_nbytes(&d->items[i].t), err);
    if (st == VCT_STATUS_OK) st = atomic_file_commit(&af, err);
    else atomic_file_abort(&af);
fail:
    free(json);
    cJSON_Delete(root);
    return st;
}
