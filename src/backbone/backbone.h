/* backbone.h: the one interface of VCT's visual backbones.
 *
 * detectron2 builds the backbone named by MODEL.BACKBONE.NAME from the
 * BACKBONE_REGISTRY; every backbone returns the dict {res2, res3, res4, res5} of
 * NCHW maps and reports ShapeSpec(channels, stride) per output, which the pixel
 * decoder reads. Here a backbone kind is a small vtable (backbone_kind) and a
 * backbone is one instance of it (its config and weight pointers). The frame
 * backbone and the pre-SAM backbone are two instances of the same kind.
 *
 *   kind (MODEL.BACKBONE.NAME)   file                    outputs (channels @ stride 4, 8, 16, 32)
 *   D2SwinTransformer            backbone_swin.c, swin.c Swin-B 128, 256, 512, 1024
 *   build_resnet_backbone        resnet.c                R50 256, 512, 1024, 2048
 *   build_pvtv2_b5_backbone      pvt_v2.c                PVT-v2-B5 64, 128, 320, 512
 *
 * Adding a backbone: one file defining `const backbone_kind backbone_kind_x`, and
 * its line in the table of backbone.c.
 *
 *   backbone bb;
 *   VCT_TRY(backbone_from_config(&bb, cfg_root, err));    // MODEL.BACKBONE.NAME + its keys
 *   backbone_register(&bb, &pt, "backbone.", 1);          // official state_dict keys
 *   ... param_table_alloc / param_table_load ...
 *   backbone_forward(&bb, t, images, draws, "backbone", outs);  // outs[i] = res{i+2}
 *   backbone_free(&bb);
 */
#ifndef VCT_BACKBONE_BACKBONE_H
#define VCT_BACKBONE_BACKBONE_H

#include <cjson/cJSON.h>

#include "autograd/tape.h"
#include "core/rng.h"
#include "autograd/param_table.h"

#define BACKBONE_MAX_OUTS 4

/* output_shape(): outs[i] is "res{i+2}" */
typedef struct backbone_spec {
    int n_outs;                      /* 4 (a reduced Swin may have fewer stages) */
    int channels[BACKBONE_MAX_OUTS]; /* e.g. 256, 512, 1024, 2048 (R50) */
    int strides[BACKBONE_MAX_OUTS];  /* 4, 8, 16, 32 (input pixels per output pixel) */
} backbone_spec;

typedef struct backbone_kind {
    const char *name;  /* the MODEL.BACKBONE.NAME that selects it */
    size_t state_size; /* bytes of the kind's state (config + weight pointers); zeroed before configure */
    /* Set the state's config from (first that is given) the detectron2 config tree
     * `root`, the kind's own config struct `cfg` (e.g. a resnet_config), or the
     * kind's defaults; check it; fill spec. */
    vct_status (*configure)(void *state, const cJSON *root, const void *cfg, backbone_spec *spec, vct_error *err);
    /* param_add every tensor under "<prefix><official key>" (errors are sticky in pt) */
    void (*register_params)(void *state, param_table *pt, const char *prefix, int trainable);
    /* optional (NULL: nothing to check): state_dict entries that are not parameters */
    vct_status (*check_buffers)(const void *state, const tensor_dict *sd, const char *prefix, vct_error *err);
    /* images [B, 3, H, W] -> outs[0..n_outs-1]; returns the last output or NULL (t->status).
     * draws: NULL = eval semantics; otherwise train-mode random draws (drop path) in
     * the reference order; name ("backbone") names the draw sites in messages. */
    ag_var *(*forward)(const void *state, ag_tape *t, ag_var *images, draw_source *draws, const char *name,
                       ag_var **outs);
} backbone_kind;

typedef struct backbone {
    const backbone_kind *kind;
    void *state; /* malloc'ed, kind->state_size bytes */
    backbone_spec spec;
} backbone;

extern const backbone_kind backbone_kind_swin;   /* backbone_swin.c */
extern const backbone_kind backbone_kind_resnet; /* resnet.c */
extern const backbone_kind backbone_kind_pvt_v2; /* pvt_v2.c */

/* the kind registered under a MODEL.BACKBONE.NAME, or NULL */
const backbone_kind *backbone_find(const char *name);
/* One instance of `kind`, configured as backbone_kind.configure says (root, else cfg,
 * else defaults). On failure bb is left empty (backbone_free is still safe). */
vct_status backbone_init(backbone *bb, const backbone_kind *kind, const cJSON *root, const void *cfg, vct_error *err);
/* The kind named by MODEL.BACKBONE.NAME of root, configured from root. */
vct_status backbone_from_config(backbone *bb, const cJSON *root, vct_error *err);
void backbone_free(backbone *bb);

void backbone_register(backbone *bb, param_table *pt, const char *prefix, int trainable);
vct_status backbone_check_buffers(const backbone *bb, const tensor_dict *sd, const char *prefix, vct_error *err);
ag_var *backbone_forward(const backbone *bb, ag_tape *t, ag_var *images, draw_source *draws, const char *name,
                         ag_var **outs);

/* The kinds' reading of detectron2 config keys (absent key -> detectron2's default) */
vct_status backbone_yaml_int(const cJSON *root, const char *key, long def, long *out, vct_error *err);
vct_status backbone_yaml_bool(const cJSON *root, const char *key, int def, int *out, vct_error *err);
/* OUT_FEATURES must be exactly [res2, res3, res4, res5] (absent: def_all says whether
 * that is the default) */
vct_status backbone_yaml_out_features(const cJSON *root, const char *key, int def_all, vct_error *err);

#endif
