/* test_resnet.c: detectron2's ResNet backbone (src/backbone/resnet.c) through the
 * backbone interface (src/backbone/backbone.h), and the FrozenBN / max-pool tape
 * wrappers it uses.
 *
 *  1. against detectron2's own build_resnet_backbone (tests/ref/gen_resnet.py), two
 *     reduced configurations: a = Mask2Former's R50 settings (STRIDE_IN_1X1 False,
 *     FREEZE_AT 0), b = STRIDE_IN_1X1 True, NUM_GROUPS 2, RES5_DILATION 2, FREEZE_AT 2,
 *     no res2.0 shortcut. Eval outputs (inference tape), train outputs, every parameter
 *     gradient and the input gradient; output shapes = the spec's channels/strides;
 *     the registered table = the official state_dict (buffers included), trainable =
 *     torch's requires_grad;
 *  2. (no directional finite difference here: with ReLU and max-pool kinks on every
 *     path it does not converge (measured 3-20% off at eps 1e-2..1e-4); the gradients
 *     match torch's to ~5e-7 instead, and the ops' own tests check them by FD);
 *  3. every tensor, buffers included, changes an output (a); a missing or mis-shaped
 *     tensor fails the load naming it;
 *  4. config: Mask2Former's merged R50 config reads as resnet_config_default(),
 *     detectron2's defaults as STRIDE_IN_1X1 True / FREEZE_AT 2, unsupported options are
 *     refused; backbone_from_config picks the kind and reports 256..2048 @ 4..32; the
 *     registry resolves the three names, refuses others; the Swin adapter's spec.
 * Full size (--full): outputs against torch float32 as above; gradients against the
 * float64 twin in the reference, next to torch's float32 (ReLU/max-pool kinks: see
 * bb_test.h BBT_TWIN_FACTOR and docs/backbones.md).
 *
 * usage: test_resnet                  (make test)
 *        test_resnet --full REF       (tests/long/backbones_384.sh: Mask2Former's R50 at
 *                                      384x384 against a reference from gen_resnet.py --full) */
#include "backbone/resnet.h"
#include "bb_test.h"
#include "io/yaml.h"

/* relative tolerances (max |err| / max |ref| per tensor); measured worst: docs/backbones.md */
#define TOL_OUT 2e-5
#define TOL_GRAD 1e-4

static resnet_config config_a(void) {
    resnet_config c = resnet_config_default();
    c.stem_out_channels = 8;
    c.res2_out_channels = 16;
    c.width_per_group = 4;
    c.blocks[0] = 2, c.blocks[1] = 1, c.blocks[2] = 2, c.blocks[3] = 1;
    return c;
}

static resnet_config config_b(void) {
    resnet_config c = resnet_config_default();
    c.stem_out_channels = 16;
    c.res2_out_channels = 16;
    c.num_groups = 2;
    c.width_per_group = 2;
    c.blocks[0] = 1, c.blocks[1] = 2, c.blocks[2] = 1, c.blocks[3] = 2;
    c.stride_in_1x1 = 1;
    c.res5_dilation = 2;
    c.freeze_at = 2;
    return c;
}

static int meta_int(const tensor_dict *d, const char *k) {
    const char *v = tensor_dict_get_meta(d, k);
    return v ? atoi(v) : -1;
}

/* the generator's config (metadata) is the one built here */
static void check_meta(const bbt *f, const resnet_config *c) {
    char blocks[64];
    snprintf(blocks, sizeof blocks, "%d,%d,%d,%d", c->blocks[0], c->blocks[1], c->blocks[2], c->blocks[3]);
    const char *mb = tensor_dict_get_meta(&f->ref, "blocks");
    char lab[160];
    snprintf(lab, sizeof lab, "%s: reference config", f->label);
    tl_expect(meta_int(&f->ref, "stem_out_channels") == c->stem_out_channels &&
                  meta_int(&f->ref, "res2_out_channels") == c->res2_out_channels &&
                  meta_int(&f->ref, "num_groups") == c->num_groups &&
                  meta_int(&f->ref, "width_per_group") == c->width_per_group &&
                  meta_int(&f->ref, "stride_in_1x1") == c->stride_in_1x1 &&
                  meta_int(&f->ref, "res5_dilation") == c->res5_dilation &&
                  meta_int(&f->ref, "freeze_at") == c->freeze_at && mb && strcmp(mb, blocks) == 0,
              lab, "the reference was made with another configuration: regenerate (make ref)");
}

static void test_case(const char *label, const char *path, const resnet_config *cfg, int full) {
    bbt f;
    const size_t mem = full ? (size_t)12 << 30 : (size_t)256 << 20;
    printf("== %s (%s)\n", label, path);
    if (bbt_setup(&f, label, &backbone_kind_resnet, cfg, path, mem)) {
        check_meta(&f, cfg);
        ag_tape t;
        ag_var *outs[BACKBONE_MAX_OUTS];
        double w_eval = 0, w_out = 0, w_par = 0, w_img = 0;
        double t0 = wall_seconds();
        if (bbt_run(&f, &t, 0, 0, outs)) { /* inference tape: block temporaries freed as it goes */
            printf("  eval forward: %.2f s, peak activations %.1f MiB\n", wall_seconds() - t0,
                   (double)f.mem.peak / (1 << 20));
            bbt_check_outputs(&f, outs, "eval.", TOL_OUT, &w_eval);
            ag_tape_free(&t);
        }
        t0 = wall_seconds();
        if (bbt_run(&f, &t, 1, 0, outs)) {
            printf("  train forward: %.2f s\n", wall_seconds() - t0);
            bbt_check_outputs(&f, outs, "", TOL_OUT, &w_out);
            bbt_check_grads(&f, &t, outs, TOL_GRAD, TOL_GRAD, &w_par, &w_img);
            printf("  tape peak: %.1f MiB\n", (double)f.mem.peak / (1 << 20));
            ag_tape_free(&t);
        }
        printf("%s: worst rel err: eval outputs %.2e, train outputs %.2e, parameter grads %.2e, image grad %.2e\n",
               label, w_eval, w_out, w_par, w_img);
        if (!full && f.ok) {
            bbt_every_tensor_used(&f);
            bbt_load_errors(&f, "backbone.res3.0.conv2.weight");
        }
    }
    bbt_teardown(&f);
}

/* ---- 4: config ---- */

static int config_equal(const resnet_config *a, const resnet_config *b) {
    return a->in_chans == b->in_chans && a->stem_out_channels == b->stem_out_channels &&
           a->res2_out_channels == b->res2_out_channels && a->num_groups == b->num_groups &&
           a->width_per_group == b->width_per_group && memcmp(a->blocks, b->blocks, sizeof a->blocks) == 0 &&
           a->stride_in_1x1 == b->stride_in_1x1 && a->res5_dilation == b->res5_dilation &&
           a->freeze_at == b->freeze_at && a->bn_eps == b->bn_eps;
}

/* root with MODEL.RESNETS.<key> (or MODEL.BACKBONE.<key>) replaced by item; refused? */
static void expect_refused(const char *yaml, const char *section, const char *key, cJSON *item, const char *why) {
    cJSON *root = NULL;
    vct_error err = {0};
    if (yaml_parse(yaml, "config", &root, &err) != VCT_STATUS_OK) {
        cJSON_Delete(item);
        tl_fail("config parse", "%s", err.msg);
        return;
    }
    cJSON *sec = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "MODEL"), section);
    if (!sec || !cJSON_ReplaceItemInObject(sec, key, item))
        cJSON_Delete(item);
    resnet_config c;
    vct_status st = resnet_config_from_yaml(&c, root, &err);
    tl_expect(st != VCT_STATUS_OK && strstr(err.msg, key) != NULL, why, "status %d: %s", (int)st, err.msg);
    printf("  refused: %s\n", err.msg);
    cJSON_Delete(root);
}

static void test_config(void) {
    tensor_dict d;
    if (tl_ref_open("resnet", &d) != 0)
        return;
    const char *m2f = tensor_dict_get_meta(&d, "config_mask2former_r50");
    const char *d2 = tensor_dict_get_meta(&d, "config_detectron2_default");
    vct_error err = {0};
    cJSON *root = NULL;
    resnet_config c, want = resnet_config_default();
    if (!m2f || !d2) {
        tl_fail("config", "resnet.safetensors has no merged configs: regenerate (make ref)");
        tensor_dict_free(&d);
        return;
    }
    if (yaml_parse(m2f, "mask2former r50", &root, &err) == VCT_STATUS_OK &&
        resnet_config_from_yaml(&c, root, &err) == VCT_STATUS_OK) {
        tl_expect(config_equal(&c, &want), "Mask2Former R50 config = resnet_config_default()",
                  "stride_in_1x1 %d freeze_at %d blocks %d,%d,%d,%d", c.stride_in_1x1, c.freeze_at, c.blocks[0],
                  c.blocks[1], c.blocks[2], c.blocks[3]);
        backbone bb;
        if (backbone_from_config(&bb, root, &err) == VCT_STATUS_OK) {
            const backbone_spec *s = &bb.spec;
            tl_expect(bb.kind == &backbone_kind_resnet && s->n_outs == 4 && s->channels[0] == 256 &&
                          s->channels[1] == 512 && s->channels[2] == 1024 && s->channels[3] == 2048 &&
                          s->strides[0] == 4 && s->strides[1] == 8 && s->strides[2] == 16 && s->strides[3] == 32,
                      "R50 output_shape()", "kind %s, channels %d %d %d %d, strides %d %d %d %d", bb.kind->name,
                      s->channels[0], s->channels[1], s->channels[2], s->channels[3], s->strides[0], s->strides[1],
                      s->strides[2], s->strides[3]);
            backbone_free(&bb);
        } else {
            tl_fail("backbone_from_config", "%s", err.msg);
        }
    } else {
        tl_fail("Mask2Former R50 config", "%s", err.msg);
    }
    cJSON_Delete(root);
    root = NULL;
    if (yaml_parse(d2, "detectron2 defaults", &root, &err) == VCT_STATUS_OK &&
        resnet_config_from_yaml(&c, root, &err) == VCT_STATUS_OK) {
        want.stride_in_1x1 = 1;
        want.freeze_at = 2;
        tl_expect(config_equal(&c, &want), "detectron2 default config: STRIDE_IN_1X1 True, FREEZE_AT 2",
                  "stride_in_1x1 %d freeze_at %d", c.stride_in_1x1, c.freeze_at);
    } else {
        tl_fail("detectron2 default config", "%s", err.msg);
    }
    cJSON_Delete(root);
    /* refusals */
    expect_refused(m2f, "RESNETS", "NORM", cJSON_CreateString("SyncBN"), "NORM SyncBN refused");
    expect_refused(m2f, "RESNETS", "DEPTH", cJSON_CreateNumber(34), "DEPTH 34 refused");
    expect_refused(m2f, "RESNETS", "RES5_DILATION", cJSON_CreateNumber(4), "RES5_DILATION 4 refused");
    const char *res4[1] = {"res4"};
    expect_refused(m2f, "RESNETS", "OUT_FEATURES", cJSON_CreateStringArray(res4, 1), "OUT_FEATURES [res4] refused");
    const int deform[4] = {0, 0, 1, 0};
    cJSON *da = cJSON_CreateArray();
    for (int i = 0; i < 4; i++)
        cJSON_AddItemToArray(da, cJSON_CreateBool(deform[i]));
    expect_refused(m2f, "RESNETS", "DEFORM_ON_PER_STAGE", da, "deformable convs refused");
    tensor_dict_free(&d);
}

/* expect_refused checks resnet_config_from_yaml; the backbone NAME goes through the registry */
static void test_registry(void) {
    tl_expect(backbone_find("build_resnet_backbone") == &backbone_kind_resnet &&
                  backbone_find("build_pvtv2_b5_backbone") == &backbone_kind_pvt_v2 &&
                  backbone_find("D2SwinTransformer") == &backbone_kind_swin && backbone_find("resnet") == NULL,
              "backbone registry", "names do not resolve");
    cJSON *root = NULL;
    vct_error err = {0};
    if (yaml_parse("MODEL:\n  BACKBONE:\n    NAME: build_resnet_fpn_backbone\n", "cfg", &root, &err) != VCT_STATUS_OK) {
        tl_fail("registry yaml", "%s", err.msg);
        return;
    }
    backbone bb;
    /* the Swin adapter: D2SwinTransformer.output_shape() of Swin-B, and its buffer check */
    if (backbone_init(&bb, &backbone_kind_swin, NULL, NULL, &err) == VCT_STATUS_OK) {
        const backbone_spec *s = &bb.spec;
        tl_expect(s->n_outs == 4 && s->channels[0] == 128 && s->channels[3] == 1024 && s->strides[0] == 4 &&
                      s->strides[1] == 8 && s->strides[2] == 16 && s->strides[3] == 32,
                  "Swin-B output_shape() through the interface", "channels %d..%d, strides %d..%d", s->channels[0],
                  s->channels[3], s->strides[0], s->strides[3]);
        tensor_dict empty;
        tensor_dict_init(&empty);
        vct_status sb = backbone_check_buffers(&bb, &empty, "backbone.", &err);
        tl_expect(sb != VCT_STATUS_OK && strstr(err.msg, "relative_position_index"),
                  "Swin buffers checked through the interface", "status %d: %s", (int)sb, err.msg);
        tensor_dict_free(&empty);
        backbone_free(&bb);
    } else {
        tl_fail("swin through the interface", "%s", err.msg);
    }
    vct_status st = backbone_from_config(&bb, root, &err);
    tl_expect(st == VCT_STATUS_UNSUPPORTED && strstr(err.msg, "build_resnet_fpn_backbone") &&
                  strstr(err.msg, "build_pvtv2_b5_backbone"),
              "unknown MODEL.BACKBONE.NAME refused, known names listed", "status %d: %s", (int)st, err.msg);
    backbone_free(&bb);
    cJSON_Delete(root);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--full") == 0) {
        resnet_config c = resnet_config_default();
        test_case("resnet-50 (full)", argv[2], &c, 1);
        return tl_summary("resnet (full size)");
    }
#ifdef _OPENMP
    /* small maps: one thread (OpenMP barriers on a loaded 2-core machine cost more than they give) */
    omp_set_num_threads(1);
#endif
    resnet_config a = config_a(), b = config_b();
    test_case("resnet a", "tests/ref/data/resnet.safetensors", &a, 0);
    test_case("resnet b", "tests/ref/data/resnet_b.safetensors", &b, 0);
    test_config();
    test_registry();
    return tl_summary("resnet");
}
