/* test_vct_train.c: the training-mode forward and the whole-model backward
 * (model/vct_train.h) on the shared conformance case.
 *   - the trainable set is the official one: every parameter with a gradnorm.*
 *     entry in the case's manifest (424) and nothing else; VGGish has no slot;
 *   - the forward replays the case's draws (kinds, shapes and call sites checked);
 *     drawing fresh from torch_generator seeded with the case's train seed
 *     (torch.manual_seed before the step, as run_ref.py) gives the same forward
 *     bit for bit;
 *   - a surrogate loss L = sum_o mean(out_o * R_o) over every prediction and the
 *     PAC features (R_o = torch.randn with seed SURROGATE_SEED + o, drawn here by
 *     core/rng.c bit for bit) reaches every trainable parameter with a finite
 *     gradient, which is exactly zero where no path exists: criterion.logit_scale,
 *     and the branches the drop-path draws dropped (mask 0: norm1 + attn of the
 *     block for its first draw, norm2 + mlp for its second);
 *   - with argument REF.npz (tests/ref/gen_train_surrogate.py: the official model's
 *     gradients of the same L in float32 and on a float64 twin;
 *     tests/long/train_surrogate.sh) every gradient and L agree with torch's float32
 *     within the conformance README's tolerance rule applied to torch's own float32
 *     error: rtol = max(10 x max_rel(f32 - f64), 2e-6), atol 1e-9; where that error
 *     exceeds 1e-3 of the tensor's maximum (ill-conditioned: a mathematically zero
 *     gradient, or a gradient through the Gumbel argmax), atol = 10 x max_abs.
 * usage: test_vct_train [REF.npz] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/ag_shape.h"
#include "core/log.h"
#include "io/conform_case.h"
#include "io/npy.h"
#include "model/vct_train.h"
#include "testlib.h"

#define CASE_DIR "../shared/conformance/cases/ss-reduced-1f"
#define SURROGATE_SEED 7700 /* gen_train_surrogate.py SEED */

typedef struct step {
    conform_case c;
    vct_model m;
    uint8_t *frames, *maskige;
    vct_forward_inputs in;
    arena mem, scratch;
    ag_tape t;
    draw_source ds;
    conform_draws cd;
    vct_train_outputs o;
} step;

static int manifest_has(const conform_case *c, const char *prefix, const char *name) {
    char n[512];
    snprintf(n, sizeof n, "%s%s", prefix, name);
    return conform_case_manifest_entry(c, n) != NULL;
}

static void test_trainable_set(const step *s) {
    const param_table *pt = &s->m.pt;
    int64_t n_tr = 0, bad = 0, frozen_bad = 0;
    for (int64_t i = 0; i < param_table_count(pt); i++) {
        const param_entry *e = param_table_at(pt, i);
        const int vgg = strncmp(e->name, "audio_backbone.", 15) == 0;
        if (e->trainable) {
            n_tr++;
            if (!manifest_has(&s->c, "gradnorm.", e->name) && bad++ < 5)
                fprintf(stderr, "  trainable %s has no gradnorm entry\n", e->name);
            if (!e->handle->grad) bad++;
        } else if (!vgg || e->handle->grad) {
            if (frozen_bad++ < 5) fprintf(stderr, "  frozen %s is not VGGish (or has a gradient slot)\n", e->name);
        }
    }
    /* and every gradnorm entry is one of ours */
    int64_t n_norm = 0, missing = 0;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(s->c.manifest, "tensors");
    for (const cJSON *e = ts ? ts->child : NULL; e; e = e->next) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (!cJSON_IsString(nm) || strncmp(nm->valuestring, "gradnorm.", 9) != 0) continue;
        n_norm++;
        const param_entry *pe = param_table_find(pt, nm->valuestring + 9);
        if ((!pe || !pe->trainable) && missing++ < 5) fprintf(stderr, "  %s: not a trainable parameter here\n", nm->valuestring);
    }
    tl_expect(n_tr == n_norm && bad == 0 && missing == 0 && n_norm > 0, "trainable set = the official one",
              "%lld trainable here, %lld gradnorm entries in the manifest, %lld without entry/slot, %lld missing",
              (long long)n_tr, (long long)n_norm, (long long)bad, (long long)missing);
    tl_expect(frozen_bad == 0, "only VGGish is frozen", "%lld other frozen tensors", (long long)frozen_bad);
    const param_entry *ls = param_table_find(pt, "criterion.logit_scale");
    tl_expect(ls && ls->trainable && ls->ndim == 0, "criterion.logit_scale registered, trainable, []", "%s",
              ls ? "wrong kind" : "missing");
    const param_entry *ap = param_table_find(pt, "sem_seg_head.predictor.audio_proj.weight");
    tl_expect(ap && ap->trainable, "audio_proj trainable", "%s", ap ? "frozen" : "missing");
}

static vct_status setup(step *s, vct_error *err) {
    memset(s, 0, sizeof *s);
    VCT_TRY(conform_case_load(CASE_DIR, &s->c, err));
    cJSON *cfg = cJSON_Duplicate(s->c.config, 1);
    VCT_TRY(vct_model_build_ex(&s->m, cfg, "config.yaml", &s->c.weights, "model_best.pth", 1, err));
    const tensor *fr = tensor_dict_find(&s->c.inputs, "frames"), *pm = tensor_dict_find(&s->c.inputs, "pre_masks");
    const tensor *mel = tensor_dict_find(&s->c.inputs, "audio_log_mel");
    const tensor *vid = tensor_dict_find(&s->c.inputs, "vid_temporal_mask_flag");
    if (!fr || !pm || !mel || !vid) return vct_fail(err, VCT_STATUS_FORMAT, "inputs.npz incomplete");
    const int64_t T = fr->shape[0], HW = fr->shape[2] * fr->shape[3];
    s->frames = malloc((size_t)(T * HW * 3));
    s->maskige = malloc((size_t)(T * HW * 3));
    if (!s->frames || !s->maskige) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    for (int64_t b = 0; b < T; b++) /* [T,3,H,W] -> [T,H,W,3] */
        for (int64_t ch = 0; ch < 3; ch++)
            for (int64_t i = 0; i < HW; i++) {
                s->frames[(b * HW + i) * 3 + ch] = ((const uint8_t *)fr->data)[(b * 3 + ch) * HW + i];
                s->maskige[(b * HW + i) * 3 + ch] = ((const uint8_t *)pm->data)[(b * 3 + ch) * HW + i];
            }
    s->in = (vct_forward_inputs){.T = T, .frames = s->frames, .maskige = s->maskige, .log_mel = mel->data,
                                 .A = mel->shape[0], .vid_flag = vid->data};
    VCT_TRY(conform_case_draws(&s->c, &s->cd, err));
    VCT_TRY(draw_source_init_replay(&s->ds, &s->c.train_inputs, "rng", err));
    VCT_TRY(draw_source_set_sites(&s->ds, s->cd.sites, s->cd.n, err));
    VCT_TRY(arena_init(&s->mem, (size_t)3 << 30, err));
    VCT_TRY(arena_init(&s->scratch, (size_t)512 << 20, err));
    return ag_tape_init(&s->t, &s->mem, &s->scratch, 1, 200000, err);
}

static void teardown(step *s) {
    ag_tape_free(&s->t);
    arena_free(&s->mem);
    arena_free(&s->scratch);
    draw_source_free(&s->ds);
    conform_draws_free(&s->cd);
    vct_model_release(&s->m);
    conform_case_free(&s->c);
    free(s->frames);
    free(s->maskige);
}

/* 1 if the case's drop-path draws dropped the branch holding parameter `name` */
static int dropped(const step *s, const char *name) {
    for (int64_t i = 0; i < s->cd.n; i++) {
        const tensor *d = s->ds.draws[i];
        if (strcmp(s->ds.kinds[i], "droppath_keep") != 0 || ((const float *)d->data)[0] != 0.0f) continue;
        int second = i > 0 && strcmp(s->cd.sites[i - 1], s->cd.sites[i]) == 0; /* attention, then MLP */
        const char *site = s->cd.sites[i], *dp = strstr(site, "drop_path");
        const size_t blk = dp ? (size_t)(dp - site) : 0; /* "backbone.layers.1.blocks.1." */
        if (!blk || strncmp(name, site, blk) != 0) continue;
        const char *rest = name + blk;
        if (second ? (!strncmp(rest, "norm2.", 6) || !strncmp(rest, "mlp.", 4))
                   : (!strncmp(rest, "norm1.", 6) || !strncmp(rest, "attn.", 5)))
            return 1;
    }
    return 0;
}

/* L = sum_o mean(out_o * R_o) in gen_train_surrogate.py's order */
static ag_var *surrogate(step *s) {
    ag_tape *t = &s->t;
    const av_decoder_outputs *d = &s->o.net.dec;
    ag_var *outs[2 * AV_DECODER_MAX_LAYERS + 4];
    int n = 0;
    for (int i = 0; i < d->n_preds; i++) outs[n++] = d->pred_logits[i], outs[n++] = d->pred_masks[i];
    if (s->o.audio_feat) outs[n++] = s->o.audio_feat, outs[n++] = s->o.proto_feat;
    ag_var *L = NULL;
    for (int o = 0; o < n; o++) {
        ag_var *r = ag_new(t, outs[o]->ndim, outs[o]->shape);
        if (!r) return NULL;
        torch_generator g;
        torch_generator_manual_seed(&g, SURROGATE_SEED + (uint64_t)o);
        torch_normal_f32(&g, r->data, ag_numel(r), 0.0, 1.0);
        int axes[VCT_MAX_DIMS];
        for (int k = 0; k < outs[o]->ndim; k++) axes[k] = k;
        ag_var *term = ag_mean(t, ag_bmul(t, outs[o], r), axes, outs[o]->ndim, 0);
        L = L ? ag_add(t, L, term) : term;
    }
    return L;
}

/* max |a - b| and max |b| (a, b of n floats / doubles) */
static void diff(const float *a, const float *bf, const double *bd, int64_t n, double *mx, double *scale) {
    *mx = 0, *scale = 0;
    for (int64_t k = 0; k < n; k++) {
        const double b = bf ? bf[k] : bd[k], d = fabs((double)a[k] - b);
        if (d > *mx || isnan(d)) *mx = isnan(d) ? INFINITY : d;
        if (fabs(b) > *scale) *scale = fabs(b);
    }
    if (*scale == 0) *scale = 1;
}

static void compare_ref(const step *s, const char *path, float loss) {
    tensor_dict ref;
    vct_error err = {0};
    if (npz_read(path, &ref, &err) != VCT_STATUS_OK) {
        tl_fail("surrogate reference", "%s", err.msg);
        return;
    }
    const float *rl = tl_ref_f32(&ref, "loss", NULL);
    if (rl) tl_expect(fabsf(rl[0] - loss) <= 1e-5f * fabsf(rl[0]) + 1e-7f, "surrogate loss = torch's", "%.9g vs %.9g",
                      (double)loss, (double)rl[0]);
    const param_table *pt = &s->m.pt;
    int64_t checked = 0, failed = 0, ill = 0;
    double worst = 0;
    const char *worst_name = "";
    for (int64_t i = 0; i < param_table_count(pt); i++) {
        const param_entry *e = param_table_at(pt, i);
        if (!e->trainable) continue;
        char n[512], n64[512];
        snprintf(n, sizeof n, "grad.%s", e->name);
        snprintf(n64, sizeof n64, "grad64.%s", e->name);
        const tensor *w32 = tl_ref_typed(&ref, n, VCT_DTYPE_F32, e->numel);
        const tensor *w64 = tl_ref_typed(&ref, n64, VCT_DTYPE_F64, e->numel);
        if (!w32 || !w64) continue;
        double obs_abs, scale64, mx, scale;
        diff(w32->data, NULL, w64->data, e->numel, &obs_abs, &scale64);
        diff(e->handle->grad, w32->data, NULL, e->numel, &mx, &scale);
        const double obs_rel = obs_abs / scale64;
        double rtol = fmax(10 * obs_rel, 2e-6), atol = 1e-9;
        if (obs_rel > 1e-3) rtol = 2e-6, atol = 10 * obs_abs, ill++;
        const double ratio = mx / (atol + rtol * scale);
        if (ratio > worst) worst = ratio, worst_name = e->name;
        checked++;
        if (ratio > 1 && failed++ < 20)
            fprintf(stderr, "  %s: max_abs %.3g, max |torch| %.3g (max_rel %.3g; torch f32 vs f64 %.3g)\n", n, mx,
                    scale, mx / scale, obs_rel);
    }
    tl_expect(failed == 0 && checked > 0, "every gradient = torch's (surrogate loss)",
              "%lld of %lld gradients outside the tolerance", (long long)failed, (long long)checked);
    printf("surrogate: %lld gradients vs torch (%lld ill-conditioned), worst %s at %.3f of its tolerance\n",
           (long long)checked, (long long)ill, worst_name, worst);
    tensor_dict_free(&ref);
}

int main(int argc, char **argv) {
    step s;
    vct_error err = {0};
    if (setup(&s, &err) != VCT_STATUS_OK) {
        tl_fail("setup", "%s", err.msg);
        teardown(&s);
        return tl_summary("vct_train");
    }
    test_trainable_set(&s);
    /* a forward on an inference tape or without draws is refused */
    ag_tape inf = {0};
    vct_train_outputs o;
    if (ag_tape_init(&inf, &s.mem, &s.scratch, 0, 0, &err) == VCT_STATUS_OK) {
        vct_status st = vct_model_train_forward(&s.m, &inf, &s.in, &s.ds, NULL, &o, &err);
        tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && strstr(err.msg, "inference tape"), "refuses an inference tape",
                  "%s", err.msg);
        ag_tape_free(&inf);
    }
    vct_status st = vct_model_train_forward(&s.m, &s.t, &s.in, NULL, NULL, &o, &err);
    tl_expect(st == VCT_STATUS_INVALID_ARGUMENT && strstr(err.msg, "draw source"), "refuses no draw source", "%s",
              err.msg);
    arena_rewind(&s.mem, 0);

    /* generate mode: the case's draws come out of torch.manual_seed(train_seed) again */
    const cJSON *mw = cJSON_GetObjectItemCaseSensitive(s.c.manifest, "made_with");
    const cJSON *seed = mw ? cJSON_GetObjectItemCaseSensitive(mw, "train_seed") : NULL;
    float *gen_masks = NULL;
    int64_t gen_n = 0;
    if (tl_expect(cJSON_IsNumber(seed), "manifest made_with.train_seed", "missing")) {
        torch_generator g;
        draw_source gds;
        torch_generator_manual_seed(&g, (uint64_t)seed->valuedouble);
        draw_source_init_generate(&gds, &g);
        st = vct_model_train_forward(&s.m, &s.t, &s.in, &gds, NULL, &o, &err);
        if (tl_expect(st == VCT_STATUS_OK && gds.pos == 29, "training forward, fresh draws", "%s (%lld draws)", err.msg,
                      (long long)gds.pos)) {
            const ag_var *pm = o.net.dec.pred_masks[o.net.dec.n_preds - 1];
            gen_n = ag_numel(pm);
            gen_masks = malloc((size_t)gen_n * sizeof(float));
            if (gen_masks) memcpy(gen_masks, pm->data, (size_t)gen_n * sizeof(float));
        }
        draw_source_free(&gds);
        ag_tape_reset(&s.t);
        arena_rewind(&s.mem, 0);
    }

    double t0 = wall_seconds();
    st = vct_model_train_forward(&s.m, &s.t, &s.in, &s.ds, NULL, &s.o, &err);
    tl_expect(st == VCT_STATUS_OK, "training forward", "%s", err.msg);
    if (st == VCT_STATUS_OK) {
        /* the model's draws: 28 drop-path masks and the Gumbel noise, checked against their sites */
        tl_expect(s.ds.pos == 29, "model draws replayed", "%lld draws", (long long)s.ds.pos);
        const ag_var *pm = s.o.net.dec.pred_masks[s.o.net.dec.n_preds - 1];
        tl_expect(gen_masks && gen_n == ag_numel(pm) && memcmp(gen_masks, pm->data, (size_t)gen_n * sizeof(float)) == 0,
                  "fresh draws from the train seed = the replayed draws (pred_masks bit for bit)", "differ");
        ag_var *L = surrogate(&s);
        double t1 = wall_seconds();
        st = s.t.status == VCT_STATUS_OK ? ag_backward(&s.t, L, NULL, &err) : vct_fail(&err, s.t.status, "%s", s.t.err.msg);
        tl_expect(st == VCT_STATUS_OK, "backward", "%s", err.msg);
        printf("train step: forward %.2f s, surrogate + backward %.2f s, %lld nodes, activations %.0f MiB\n", t1 - t0,
               wall_seconds() - t1, (long long)s.t.n_nodes, (double)s.mem.peak / (1 << 20));
        int64_t wrong = 0, nonfinite = 0, n_dropped = 0;
        for (int64_t i = 0; st == VCT_STATUS_OK && i < param_table_count(&s.m.pt); i++) {
            const param_entry *e = param_table_at(&s.m.pt, i);
            if (!e->trainable) continue;
            const int none = strcmp(e->name, "criterion.logit_scale") == 0 || dropped(&s, e->name);
            n_dropped += none;
            double sq = 0;
            for (int64_t k = 0; k < e->numel; k++) sq += (double)e->handle->grad[k] * e->handle->grad[k];
            if (!isfinite(sq)) nonfinite++;
            else if ((sq == 0) != none && wrong++ < 5)
                fprintf(stderr, "  %s: %s gradient\n", e->name, none ? "non-zero (no path)" : "zero");
        }
        tl_expect(st == VCT_STATUS_OK && wrong == 0 && nonfinite == 0 && n_dropped > 1,
                  "a gradient exactly where a path exists", "%lld wrong, %lld non-finite, %lld without a path",
                  (long long)wrong, (long long)nonfinite, (long long)n_dropped);
        if (st == VCT_STATUS_OK && argc > 1) compare_ref(&s, argv[1], L->data[0]);
    }
    free(gen_masks);
    teardown(&s);
    return tl_summary("vct_train");
}
