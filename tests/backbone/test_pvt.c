/* test_pvt.c: the PVT-v2 backbone (src/backbone/pvt_v2.c) through the backbone
 * interface (src/backbone/backbone.h).
 *
 *  1. against the official PyramidVisionTransformerV2 (tests/ref/gen_pvt.py: a reduced
 *     configuration with every sr ratio 8, 4, 2, 1, several heads of dim 8, odd map
 *     sizes, drop path 0.3): eval outputs (inference tape, no drop path), train outputs
 *     with the recorded drop-path draws, every parameter gradient and the input
 *     gradient; output shapes = the spec; the registered table = the official state_dict;
 *  2. a directional finite difference over all parameters (same draws);
 *  3. drop path: generating from the recorded torch seed reproduces the recorded masks;
 *     B5's rates = float32 torch.linspace(0, 0.1, 52);
 *  4. every tensor changes an output; a missing or mis-shaped tensor fails the load
 *     naming it;
 *  5. config: build_pvtv2_b5_backbone by MODEL.BACKBONE.NAME gives B5 (64, 128, 320, 512
 *     @ 4..32, 82M parameters), OUT_FEATURES other than res2..res5 refused.
 *
 * usage: test_pvt               (make test)
 *        test_pvt --full REF    (tests/long/backbones_384.sh: B5 at 384x384 against a
 *                                reference from gen_pvt.py --full) */
#include "backbone/pvt_v2.h"
#include "bb_test.h"
#include "io/yaml.h"

/* relative tolerances (max |err| / max |ref| per tensor); measured worst: docs/backbones.md */
#define TOL_OUT 2e-5
#define TOL_GRAD 1e-4

static pvt_config config_small(void) {
    pvt_config c = pvt_config_b5();
    const int dims[4] = {8, 16, 24, 32}, heads[4] = {1, 2, 3, 4}, mlp[4] = {4, 2, 2, 3}, depths[4] = {1, 2, 2, 1};
    for (int i = 0; i < 4; i++) {
        c.embed_dims[i] = dims[i];
        c.num_heads[i] = heads[i];
        c.mlp_ratios[i] = mlp[i];
        c.depths[i] = depths[i];
    }
    c.drop_path_rate = 0.3;
    return c;
}

static void list_str(const int *v, char *buf, size_t cap) { snprintf(buf, cap, "%d,%d,%d,%d", v[0], v[1], v[2], v[3]); }

static void check_meta(const bbt *f, const pvt_config *c) {
    const char *keys[5] = {"embed_dims", "num_heads", "mlp_ratios", "depths", "sr_ratios"};
    const int *vals[5] = {c->embed_dims, c->num_heads, c->mlp_ratios, c->depths, c->sr_ratios};
    int ok = 1;
    for (int i = 0; i < 5; i++) {
        char want[64];
        list_str(vals[i], want, sizeof want);
        const char *m = tensor_dict_get_meta(&f->ref, keys[i]);
        ok &= m && strcmp(m, want) == 0;
    }
    const char *dp = tensor_dict_get_meta(&f->ref, "drop_path_rate");
    ok &= dp && atof(dp) == c->drop_path_rate;
    char lab[160];
    snprintf(lab, sizeof lab, "%s: reference config", f->label);
    tl_expect(ok, lab, "the reference was made with another configuration: regenerate (make ref)");
}

/* 3: generating the drop-path masks from the recorded seed gives the recorded ones */
static void test_generated_draws(bbt *f) {
    const char *seed_s = tensor_dict_get_meta(&f->ref, "draw_seed");
    if (!seed_s) {
        tl_fail(f->label, "draw_seed missing in the reference metadata");
        return;
    }
    torch_generator g;
    torch_generator_manual_seed(&g, (uint64_t)strtoull(seed_s, NULL, 10));
    tensor_dict rec;
    tensor_dict_init(&rec);
    draw_source ds;
    draw_source_init_record(&ds, &g, &rec, "rng");
    ag_tape t;
    vct_error err = {0};
    arena_rewind(&f->mem, 0);
    ag_tape_init(&t, &f->mem, &f->scratch, 0, 0, &err);
    int64_t s[4] = {f->B, 3, f->H, f->W};
    ag_var *outs[BACKBONE_MAX_OUTS];
    backbone_forward(&f->bb, &t, ag_leaf(&t, f->images, NULL, 4, s, 0), &ds, "backbone", outs);
    if (t.status != VCT_STATUS_OK) {
        tl_fail("generate", "%s", t.err.msg);
    } else {
        int64_t n_ref = 0;
        for (int64_t i = 0; i < f->ref.count; i++)
            n_ref += strncmp(f->ref.items[i].name, "rng.", 4) == 0;
        tl_expect(rec.count == n_ref && n_ref > 0, "pvt: draw count", "generated %lld, recorded %lld",
                  (long long)rec.count, (long long)n_ref);
        int same = 1;
        for (int64_t i = 0; i < rec.count; i++) {
            const tensor *want = tensor_dict_find(&f->ref, rec.items[i].name);
            same &= want && tensor_numel(want) == tensor_numel(&rec.items[i].t) &&
                    memcmp(want->data, rec.items[i].t.data, tensor_nbytes(want)) == 0;
        }
        tl_expect(same, "pvt: generated draws == recorded draws", "a mask differs");
        bbt_check_outputs(f, outs, "", TOL_OUT, NULL);
    }
    ag_tape_free(&t);
    draw_source_free(&ds);
    tensor_dict_free(&rec);

    /* B5's stochastic-depth rates */
    int64_t n;
    const float *dpr = tl_ref_f32(&f->ref, "dpr_b5", &n);
    pvt_config b5 = pvt_config_b5();
    int bad = 0, k = 0;
    for (int st = 0; st < PVT_STAGES; st++)
        for (int j = 0; j < b5.depths[st]; j++, k++)
            if (!dpr || k >= n || pvt_drop_path_rate(&b5, st, j) != (double)dpr[k])
                bad++;
    tl_expect(dpr && n == k && bad == 0, "pvt: B5 drop-path rates = torch.linspace", "%d of %lld differ", bad,
              (long long)n);
}

static void test_case(const char *label, const char *path, const pvt_config *cfg, int full) {
    bbt f;
    const size_t mem = full ? (size_t)14 << 30 : (size_t)256 << 20;
    printf("== %s (%s)\n", label, path);
    if (bbt_setup(&f, label, &backbone_kind_pvt_v2, cfg, path, mem)) {
        if (!full)
            check_meta(&f, cfg);
        ag_tape t;
        ag_var *outs[BACKBONE_MAX_OUTS];
        double w_eval = 0, w_out = 0, w_par = 0, w_img = 0;
        double t0 = wall_seconds();
        if (bbt_run(&f, &t, 0, 0, outs)) {
            printf("  eval forward: %.2f s, peak activations %.1f MiB\n", wall_seconds() - t0,
                   (double)f.mem.peak / (1 << 20));
            bbt_check_outputs(&f, outs, "eval.", TOL_OUT, &w_eval);
            ag_tape_free(&t);
        }
        t0 = wall_seconds();
        if (bbt_run(&f, &t, 1, f.stochastic, outs)) {
            printf("  train forward: %.2f s\n", wall_seconds() - t0);
            bbt_check_outputs(&f, outs, "", TOL_OUT, &w_out);
            bbt_check_grads(&f, &t, outs, TOL_GRAD, TOL_GRAD, &w_par, &w_img);
            printf("  tape peak: %.1f MiB\n", (double)f.mem.peak / (1 << 20));
            ag_tape_free(&t);
        }
        printf("%s: worst rel err: eval outputs %.2e, train outputs %.2e, parameter grads %.2e, image grad %.2e\n",
               label, w_eval, w_out, w_par, w_img);
        if (!full && f.ok) {
            bbt_directional(&f, 1e-4, 1e-3);
            test_generated_draws(&f);
            bbt_every_tensor_used(&f);
            bbt_load_errors(&f, "backbone.block3.1.attn.sr.weight");
        }
    }
    bbt_teardown(&f);
}

/* 5: config and the B5 parameter count */
static void test_config(void) {
    const char *yaml = "MODEL:\n  BACKBONE:\n    NAME: build_pvtv2_b5_backbone\n  PVT:\n"
                       "    OUT_FEATURES: [res2, res3, res4, res5]\n";
    cJSON *root = NULL;
    vct_error err = {0};
    backbone bb;
    if (yaml_parse(yaml, "cfg", &root, &err) != VCT_STATUS_OK ||
        backbone_from_config(&bb, root, &err) != VCT_STATUS_OK) {
        tl_fail("pvt config", "%s", err.msg);
        cJSON_Delete(root);
        return;
    }
    const backbone_spec *s = &bb.spec;
    tl_expect(bb.kind == &backbone_kind_pvt_v2 && s->n_outs == 4 && s->channels[0] == 64 && s->channels[1] == 128 &&
                  s->channels[2] == 320 && s->channels[3] == 512 && s->strides[0] == 4 && s->strides[1] == 8 &&
                  s->strides[2] == 16 && s->strides[3] == 32,
              "PVT-v2-B5 output_shape()", "channels %d %d %d %d, strides %d %d %d %d", s->channels[0], s->channels[1],
              s->channels[2], s->channels[3], s->strides[0], s->strides[1], s->strides[2], s->strides[3]);
    /* registered sizes: 82.0M parameters (PVT-v2-B5 without its classification head) */
    param_table pt;
    param_table_init(&pt);
    backbone_register(&bb, &pt, "backbone.", 1);
    int64_t total = 0;
    for (int64_t i = 0; i < pt.count; i++)
        total += pt.items[i].numel;
    printf("  PVT-v2-B5: %lld tensors, %lld parameters\n", (long long)pt.count, (long long)total);
    tl_expect(pt.status == VCT_STATUS_OK && total > 81000000 && total < 82500000, "PVT-v2-B5 parameter count", "%lld",
              (long long)total);
    param_table_free(&pt);
    backbone_free(&bb);
    /* OUT_FEATURES other than res2..res5 */
    cJSON *pvt = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "MODEL"), "PVT");
    const char *two[2] = {"res2", "res3"};
    cJSON_ReplaceItemInObject(pvt, "OUT_FEATURES", cJSON_CreateStringArray(two, 2));
    vct_status st = backbone_from_config(&bb, root, &err);
    tl_expect(st == VCT_STATUS_UNSUPPORTED && strstr(err.msg, "OUT_FEATURES"), "PVT OUT_FEATURES [res2, res3] refused",
              "status %d: %s", (int)st, err.msg);
    backbone_free(&bb);
    cJSON_Delete(root);
    /* a bad config is refused before anything is registered */
    pvt_config c = pvt_config_b5();
    c.num_heads[2] = 3; /* 320 % 3 != 0 */
    st = backbone_init(&bb, &backbone_kind_pvt_v2, NULL, &c, &err);
    tl_expect(st != VCT_STATUS_OK && strstr(err.msg, "heads"), "PVT heads not dividing the width refused",
              "status %d: %s", (int)st, err.msg);
    backbone_free(&bb);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--full") == 0) {
        pvt_config c = pvt_config_b5();
        test_case("pvt-v2-b5 (full)", argv[2], &c, 1);
        return tl_summary("pvt (full size)");
    }
#ifdef _OPENMP
    /* small maps: one thread (OpenMP barriers on a loaded 2-core machine cost more than they give) */
    omp_set_num_threads(1);
#endif
    pvt_config c = config_small();
    test_case("pvt", "tests/ref/data/pvt.safetensors", &c, 0);
    test_config();
    return tl_summary("pvt");
}
