/* conform_case.c: see conform_case.h. */
#include "io/conform_case.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    if (st == VCT_STATUS_OK) c->has_train = access(conform_case_path(c, "train.npz", p, sizeof p), F_OK) == 0;
    if (st == VCT_STATUS_OK) c->has_optim = access(conform_case_path(c, "optim.npz", p, sizeof p), F_OK) == 0;
    static const char *const files[2] = {"train.npz", "optim.npz"};
    tensor_dict *dst[2] = {&c->train_inputs, &c->optim_inputs};
    for (int f = 0; f < 2 && st == VCT_STATUS_OK; f++) {
        if ((f == 0 && !c->has_train) || (f == 1 && !c->has_optim)) continue;
        const char **names = NULL;
        int n = 0;
        st = input_names(c, files[f], &names, &n, err);
        if (st == VCT_STATUS_OK && n > 0)
            st = f == 0 ? npz_read_present(conform_case_path(c, files[f], p, sizeof p), names, n, dst[f], err)
                        : npz_read_some(conform_case_path(c, files[f], p, sizeof p), names, n, dst[f], err);
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

void conform_draws_free(conform_draws *d) {
    free(d->sites);
    memset(d, 0, sizeof *d);
}

vct_status conform_case_draws(const conform_case *c, conform_draws *d, vct_error *err) {
    memset(d, 0, sizeof *d);
    if (!c->has_train) return vct_fail(err, VCT_STATUS_FORMAT, "%s: no train.npz (a training step needs it)", c->dir);
    const cJSON *rd = cJSON_GetObjectItemCaseSensitive(c->manifest, "rng_draws");
    if (!cJSON_IsArray(rd))
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/manifest.json: no 'rng_draws' list (the call sites of the "
                        "recorded random draws of the training step)", c->dir);
    const int64_t n = cJSON_GetArraySize(rd);
    int64_t n_rec = 0;
    for (int64_t i = 0; i < c->train_inputs.count; i++) n_rec += strncmp(c->train_inputs.items[i].name, "rng.", 4) == 0;
    if (n == 0 || n_rec == 0)
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/train.npz: no recorded random draws (rng.NNNN.<kind>; manifest.json "
                        "lists %lld): a training step cannot be replayed without them", c->dir, (long long)n);
    d->sites = calloc((size_t)n, sizeof *d->sites);
    if (!d->sites) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    d->n = n;
    int64_t i = 0;
    for (const cJSON *e = rd->child; e; e = e->next, i++) {
        const cJSON *key = cJSON_GetObjectItemCaseSensitive(e, "key"), *site = cJSON_GetObjectItemCaseSensitive(e, "site");
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(e, "kind"), *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
        char want[64];
        snprintf(want, sizeof want, "rng.%04lld.", (long long)i);
        vct_status st = VCT_STATUS_OK;
        if (!cJSON_IsString(key) || !cJSON_IsString(kind) || !cJSON_IsString(site) || !cJSON_IsArray(shape) ||
            strncmp(key->valuestring, want, strlen(want)) != 0 || strcmp(key->valuestring + strlen(want), kind->valuestring))
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s/manifest.json: rng_draws[%lld] is not {key 'rng.%04lld.<kind>', "
                          "kind, site, shape}", c->dir, (long long)i, (long long)i);
        const tensor *t = st == VCT_STATUS_OK ? tensor_dict_find(&c->train_inputs, key->valuestring) : NULL;
        if (st == VCT_STATUS_OK && !t)
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s/train.npz: lacks the recorded draw '%s' (%s at %s) that "
                          "manifest.json rng_draws lists", c->dir, key->valuestring, kind->valuestring, site->valuestring);
        int64_t sh[VCT_MAX_DIMS];
        int nd = st == VCT_STATUS_OK ? cJSON_GetArraySize(shape) : 0;
        for (int k = 0; k < nd && k < VCT_MAX_DIMS; k++) sh[k] = (int64_t)cJSON_GetArrayItem(shape, k)->valuedouble;
        if (st == VCT_STATUS_OK && (nd > VCT_MAX_DIMS || !shape_equal(t->ndim, t->shape, nd, sh))) {
            char a[96], b[96];
            st = vct_fail(err, VCT_STATUS_SHAPE, "%s/train.npz: draw '%s' has shape %s, manifest.json rng_draws "
                          "lists %s", c->dir, key->valuestring, shape_str(t->ndim, t->shape, a, sizeof a),
                          nd > VCT_MAX_DIMS ? "more dims" : shape_str(nd, sh, b, sizeof b));
        }
        if (st != VCT_STATUS_OK) {
            conform_draws_free(d);
            return st;
        }
        d->sites[i] = site->valuestring;
    }
    if (n_rec != n) {
        conform_draws_free(d);
        return vct_fail(err, VCT_STATUS_FORMAT, "%s/train.npz: %lld recorded draws, manifest.json rng_draws lists %lld",
                        c->dir, (long long)n_rec, (long long)n);
    }
    return VCT_STATUS_OK;
}
