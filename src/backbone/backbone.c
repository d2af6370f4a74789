/* backbone.c: the backbone registry and the calls through the vtable; see backbone.h. */
#include "backbone/backbone.h"

#include <stdlib.h>
#include <string.h>

#include "io/yaml.h"

/* the registry (detectron2's BACKBONE_REGISTRY for the names VCT can build) */
static const backbone_kind *const KINDS[] = {&backbone_kind_swin, &backbone_kind_resnet, &backbone_kind_pvt_v2};

const backbone_kind *backbone_find(const char *name) {
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (strcmp(KINDS[i]->name, name) == 0)
            return KINDS[i];
    return NULL;
}

vct_status backbone_init(backbone *bb, const backbone_kind *kind, const cJSON *root, const void *cfg, vct_error *err) {
    memset(bb, 0, sizeof *bb);
    if (!kind)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "backbone: no kind given");
    void *state = calloc(1, kind->state_size);
    if (!state)
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "backbone %s: cannot allocate its state", kind->name);
    backbone_spec spec;
    memset(&spec, 0, sizeof spec);
    vct_status st = kind->configure(state, root, cfg, &spec, err);
    if (st != VCT_STATUS_OK) {
        free(state);
        return vct_error_wrap(err, "backbone %s", kind->name);
    }
    bb->kind = kind;
    bb->state = state;
    bb->spec = spec;
    return VCT_STATUS_OK;
}

vct_status backbone_from_config(backbone *bb, const cJSON *root, vct_error *err) {
    memset(bb, 0, sizeof *bb);
    const char *name = NULL;
    VCT_TRY(yaml_get_str(root, "MODEL.BACKBONE.NAME", &name, err));
    const backbone_kind *k = backbone_find(name);
    if (!k) {
        char known[256] = "";
        for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, KINDS[i]->name, sizeof known - strlen(known) - 1);
        }
        return vct_fail(err, VCT_STATUS_UNSUPPORTED, "config MODEL.BACKBONE.NAME: '%s' is not supported (known: %s)",
                        name, known);
    }
    return backbone_init(bb, k, root, NULL, err);
}

void backbone_free(backbone *bb) {
    free(bb->state);
    memset(bb, 0, sizeof *bb);
}

void backbone_register(backbone *bb, param_table *pt, const char *prefix, int trainable) {
    if (pt->status != VCT_STATUS_OK)
        return;
    if (!bb->kind) {
        pt->status = vct_fail(&pt->err, VCT_STATUS_INVALID_ARGUMENT, "%s: backbone not initialised", prefix);
        return;
    }
    bb->kind->register_params(bb->state, pt, prefix, trainable);
}

vct_status backbone_check_buffers(const backbone *bb, const tensor_dict *sd, const char *prefix, vct_error *err) {
    if (!bb->kind)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: backbone not initialised", prefix);
    return bb->kind->check_buffers ? bb->kind->check_buffers(bb->state, sd, prefix, err) : VCT_STATUS_OK;
}

ag_var *backbone_forward(const backbone *bb, ag_tape *t, ag_var *images, draw_source *draws, const char *name,
                         ag_var **outs) {
    if (t->status != VCT_STATUS_OK)
        return NULL;
    if (!bb->kind)
        return ag_fail(t, VCT_STATUS_INVALID_ARGUMENT, "%s: backbone not initialised", name ? name : "backbone");
    for (int i = 0; i < bb->spec.n_outs; i++)
        outs[i] = NULL;
    return bb->kind->forward(bb->state, t, images, draws, name, outs);
}

/* ---- config keys ---- */

vct_status backbone_yaml_int(const cJSON *root, const char *key, long def, long *out, vct_error *err) {
    if (!yaml_get(root, key)) {
        *out = def;
        return VCT_STATUS_OK;
    }
    return yaml_get_int(root, key, out, err);
}

vct_status backbone_yaml_bool(const cJSON *root, const char *key, int def, int *out, vct_error *err) {
    const cJSON *n = yaml_get(root, key);
    if (!n) {
        *out = def;
        return VCT_STATUS_OK;
    }
    if (!cJSON_IsBool(n))
        return vct_fail(err, VCT_STATUS_FORMAT, "config %s: expected true or false", key);
    *out = cJSON_IsTrue(n);
    return VCT_STATUS_OK;
}

vct_status backbone_yaml_out_features(const cJSON *root, const char *key, int def_all, vct_error *err) {
    const cJSON *a = yaml_get(root, key);
    if (!a) {
        if (def_all)
            return VCT_STATUS_OK;
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "config %s is not set (detectron2's default is not res2..res5, which VCT needs)", key);
    }
    static const char *const want[BACKBONE_MAX_OUTS] = {"res2", "res3", "res4", "res5"};
    int ok = cJSON_IsArray(a) && cJSON_GetArraySize(a) == BACKBONE_MAX_OUTS;
    for (int i = 0; ok && i < BACKBONE_MAX_OUTS; i++) {
        const cJSON *e = cJSON_GetArrayItem(a, i);
        ok = cJSON_IsString(e) && strcmp(e->valuestring, want[i]) == 0;
    }
    if (!ok)
        return vct_fail(err, VCT_STATUS_UNSUPPORTED,
                        "config %s: only [res2, res3, res4, res5] is supported (the pixel "
                        "decoder reads all four)",
                        key);
    return VCT_STATUS_OK;
}
