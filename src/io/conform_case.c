/* conform_case.c: see conform_case.h. */
#include "io/conform_case.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/npy.h"
#include "io/pth.h"
#include "io/yaml.h"

const char *conform_case_path(const conform_case *c, const char *file, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/%s", c->dir, file);
    return buf;
}

static vct_status read_json(const char *path, cJSON **out, vct_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    char *text = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0 || !(text = malloc((size_t)n + 1)) ||
        fread(text, 1, (size_t)n, f) != (size_t)n) {
        free(text);
        fclose(f);
        return vct_fail(err, VCT_STATUS_IO, "%s: read error", path);
    }
    fclose(f);
    text[n] = '\0';
    *out = cJSON_ParseWithLength(text, (size_t)n);
    free(text);
    if (!*out) return vct_fail(err, VCT_STATUS_FORMAT, "%s: not valid JSON", path);
    return VCT_STATUS_OK;
}

const cJSON *conform_case_manifest_entry(const conform_case *c, const char *name) {
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(c->manifest, "tensors");
    for (const cJSON *e = ts ? ts->child : NULL; e; e = e->next) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) return e;
    }
    return NULL;
}

/* names of the entries of case file `which` that are inputs (no "tol" in the manifest) */
static vct_status input_names(const conform_case *c, const char *which, const char ***names, int *n, vct_error *err) {
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(c->manifest, "tensors");
    if (!cJSON_IsArray(ts)) return vct_fail(err, VCT_STATUS_FORMAT, "%s/manifest.json: no 'tensors' list", c->dir);
    int cap = cJSON_GetArraySize(ts), k = 0;
    const char **out = malloc((size_t)(cap ? cap : 1) * sizeof *out);
    if (!out) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    for (const cJSON *e = ts->child; e; e = e->next) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
        const cJSON *file = cJSON_GetObjectItemCaseSensitive(e, "file");
        const cJSON *tol = cJSON_GetObjectItemCaseSensitive(e, "tol");
        if (!cJSON_IsString(nm) || !cJSON_IsString(file)) continue;
        if (strcmp(file->valuestring, which) == 0 && (!tol || cJSON_IsNull(tol))) out[k++] = nm->valuestring;
    }
    *names = out;
    *n = k;
    return VCT_STATUS_OK;
}

vct_status conform_case_load(const char *dir, conform_case *c, vct_error *err) {
    memset(c, 0, sizeof *c);
    tensor_dict_init(&c->weights);
    tensor_dict_init(&c->inputs);
    tensor_dict_init(&c->train_inputs);
    tensor_dict_init(&c->optim_inputs);
    if (strlen(dir) >= sizeof c->dir - 32) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: path too long", dir);
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    char p[1100];
    vct_status st = read_json(conform_case_path(c, "manifest.json", p, sizeof p), &c->manifest, err);
    if (st == VCT_STATUS_OK) st = yaml_read(conform_case_path(c, "config.yaml", p, sizeof p), &c->config, err);
    if (st == VCT_STATUS_OK) st = npz_read(conform_case_path(c, "inputs.npz", p, sizeof p), &c->inputs, err);
    if (st == VCT_STATUS_OK) st = pth_read_state_dict(conform_case_path(c, "model_best.pth", p, sizeof p), &c->weights, err);
    static const char *const files[2] = {"train.npz", "optim.npz"};
    tensor_dict *dst[2] = {&c->train_inputs, &c->optim_inputs};
    for (int f = 0; f < 2 && st == VCT_STATUS_OK; f++) {
        const char **names = NULL;
        int n = 0;
        st = input_names(c, files[f], &names, &n, err);
        if (st == VCT_STATUS_OK && n > 0)
            st = npz_read_some(conform_case_path(c, files[f], p, sizeof p), names, n, dst[f], err);
        free((void *)names);
    }
    if (st != VCT_STATUS_OK) conform_case_free(c);
    return st;
}

void conform_case_free(conform_case *c) {
    tensor_dict_free(&c->weights);
    tensor_dict_free(&c->inputs);
    tensor_dict_free(&c->train_inputs);
    tensor_dict_free(&c->optim_inputs);
    cJSON_Delete(c->config);
    cJSON_Delete(c->manifest);
    c->config = c->manifest = NULL;
}

vct_status conform_case_read_reference(const conform_case *c, const char *name, tensor_dict *out,
                                       vct_error *err) {
    const cJSON *e = conform_case_manifest_entry(c, name);
    const cJSON *file = e ? cJSON_GetObjectItemCaseSensitive(e, "file") : NULL;
    if (!cJSON_IsString(file))
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: no tensor '%s' in the manifest", c->dir, name);
    char p[1100];
    const char *names[1] = {name};
    return npz_read_some(conform_case_path(c, file->valuestring, p, sizeof p), names, 1, out, err);
}
