/* test_swin.c: the Swin backbone and the pre-SAM prior branch (src/backbone/swin*.c,
 * src/model/prior_branch.c) and the tape wrappers they use (conv2d, GELU, ReLU,
 * sigmoid, drop path).
 *
 *  1. against the official modules (tests/ref/gen_swin.py: swinb.SwinTransformer x2 +
 *     channel_weighted_block, window 7, 37x41 inputs so every padding path runs, train
 *     mode with recorded drop-path draws): train and eval outputs, every parameter
 *     gradient and the input gradients;
 *  2. a directional finite-difference check of the whole gradient (one random direction
 *     over all parameters);
 *  3. drop-path draws: replay == generate from the same torch seed; linspace rates;
 *  4. relative_position_index: computed == the official buffers; a wrong buffer fails;
 *     the bias gather is exact;
 *  5. config: the shared case's MODEL.SWIN, refusal of unsupported options;
 *  6. every parameter of the shared conformance checkpoint changes an output (on a
 *     64x64 crop of its inputs, to keep the run short). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "autograd/ag_shape.h"
#include "backbone/swin.h"
#include "core/log.h"
#include "io/conform_case.h"
#include "io/yaml.h"
#include "model/prior_branch.h"
#include "testlib.h"

#define CASE_DIR "../shared/conformance/cases/ss-reduced-1f"
#define NL 2 /* levels of the test model */

typedef struct fixture {
    swin_config cfg;
    param_table pt;
    swin_weights bw;
    prior_branch_weights pw;
    tensor_dict ref;
    int64_t B, H, W;
    float *images, *maskige, *d_images, *d_maskige;
    arena mem, scratch;
} fixture;

typedef struct outputs {
    ag_var *F[SWIN_MAX_STAGES], *P[SWIN_MAX_STAGES], *G[SWIN_MAX_STAGES], *R[SWIN_MAX_STAGES], *img, *msk;
} outputs;

static swin_config test_config(void) {
    swin_config c = swin_config_default();
    c.embed_dim = 16;
    c.n_stages = 2;
    c.depths[0] = c.depths[1] = 2;
    c.num_heads[0] = 1;
    c.num_heads[1] = 2;
    c.window_size = 7;
    c.mlp_ratio = 2.0;
    return c;
}

/* Forward of backbone + prior branch. stochastic: replay the recorded drop-path draws. */
static int run(fixture *f, ag_tape *t, int training, int stochastic, outputs *o) {
    vct_error err = {0};
    arena_rewind(&f->mem, 0);
    arena_rewind(&f->scratch, 0);
    if (ag_tape_init(t, &f->mem, &f->scratch, training, 4096, &err) != VCT_STATUS_OK) {
        tl_fail("tape", "%s", err.msg);
        return 0;
    }
    draw_source ds;
    if (stochastic && draw_source_init_replay(&ds, &f->ref, "rng", &err) != VCT_STATUS_OK) {
        tl_fail("replay", "%s", err.msg);
        return 0;
    }
    int64_t s[4] = {f->B, 3, f->H, f->W};
    memset(o, 0, sizeof *o);
    o->img = ag_leaf(t, f->images, f->d_images, 4, s, 1);
    o->msk = ag_leaf(t, f->maskige, f->d_maskige, 4, s, 1);
    swin_forward(t, &f->cfg, &f->bw, o->img, stochastic ? &ds : NULL, "backbone", o->F);
    prior_branch_forward(t, &f->cfg, &f->pw, o->F, o->msk, stochastic ? &ds : NULL, o->P, o->G, o->R);
    int ok = t->status == VCT_STATUS_OK;
    if (!ok) tl_fail("forward", "%s", t->err.msg);
    if (ok && stochastic && draw_source_finish(&ds, &err) != VCT_STATUS_OK) ok = tl_expect(0, "every draw used", "%s", err.msg);
    if (stochastic) draw_source_free(&ds);
    if (!ok) ag_tape_free(t);
    return ok;
}

static double max_abs(const float *x, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs((double)x[i]));
    return m;
}

/* compare against ref[name] with a tolerance relative to the tensor's largest value */
static int check(const tensor_dict *ref, const char *name, const float *got, int64_t n, double rel) {
    int64_t m;
    const float *want = tl_ref_f32(ref, name, &m);
    if (!want) return 0;
    if (m != n) return tl_expect(0, name, "%lld elements, reference has %lld", (long long)n, (long long)m);
    double sc = max_abs(want, n);
    return tl_check_close(name, got, want, n, rel * (sc > 0 ? sc : 1), 0);
}

static double loss_of(const fixture *f, const outputs *o) {
    double l = 0;
    for (int k = 0; k < NL; k++) {
        char n[32];
        snprintf(n, sizeof n, "dout.res%d", k + 2);
        int64_t m;
        const float *d = tl_ref_f32(&f->ref, n, &m);
        for (int64_t i = 0; d && i < m; i++) l += (double)o->R[k]->data[i] * d[i];
    }
    return l;
}

static int setup(fixture *f) {
    memset(f, 0, sizeof *f);
    vct_error err = {0};
    if (tl_ref_open("swin", &f->ref) != 0) return 0;
    f->cfg = test_config();
    param_table_init(&f->pt);
    swin_register(&f->pt, "backbone.", &f->cfg, &f->bw, 1);
    prior_branch_register(&f->pt, &f->cfg, &f->pw, 1);
    int64_t unused = -1;
    if (param_table_alloc(&f->pt, &err) != VCT_STATUS_OK || param_table_alloc_grads(&f->pt, &err) != VCT_STATUS_OK ||
        param_table_load(&f->pt, &f->ref, "swin.safetensors", &unused, &err) != VCT_STATUS_OK ||
        arena_init(&f->mem, (size_t)256 << 20, &err) != VCT_STATUS_OK ||
        arena_init(&f->scratch, (size_t)64 << 20, &err) != VCT_STATUS_OK) {
        tl_fail("setup", "%s", err.msg);
        return 0;
    }
    /* every tensor of the reference that is a parameter of the official modules was registered */
    int64_t n_params = 0;
    for (int64_t i = 0; i < f->ref.count; i++) {
        const char *nm = f->ref.items[i].name;
        if (strncmp(nm, "grad.", 5) == 0 && strcmp(nm, "grad.images") && strcmp(nm, "grad.maskige")) {
            n_params++;
            tl_expect(param_table_find(&f->pt, nm + 5) != NULL, "parameter registered", "%s", nm + 5);
        }
    }
    tl_expect(n_params == f->pt.count, "parameter count", "registered %lld, official %lld", (long long)f->pt.count,
              (long long)n_params);
    const tensor *im = tl_ref_tensor(&f->ref, "images");
    if (!im) return 0;
    f->B = im->shape[0];
    f->H = im->shape[2];
    f->W = im->shape[3];
    int64_t n = tensor_numel(im);
    f->images = malloc((size_t)n * sizeof(float));
    f->maskige = malloc((size_t)n * sizeof(float));
    f->d_images = calloc((size_t)n, sizeof(float));
    f->d_maskige = calloc((size_t)n, sizeof(float));
    memcpy(f->images, tl_ref_f32(&f->ref, "images", NULL), (size_t)n * sizeof(float));
    memcpy(f->maskige, tl_ref_f32(&f->ref, "maskige", NULL), (size_t)n * sizeof(float));
    return 1;
}

static void teardown(fixture *f) {
    free(f->images);
    free(f->maskige);
    free(f->d_images);
    free(f->d_maskige);
    arena_free(&f->mem);
    arena_free(&f->scratch);
    param_table_free(&f->pt);
    tensor_dict_free(&f->ref);
}

/* ---- 1 + 2: outputs and gradients against torch, directional finite differences ---- */
static void test_against_official(fixture *f) {
    ag_tape t;
    outputs o;
    vct_error err = {0};
    /* eval mode (no drop path) */
    if (run(f, &t, 0, 0, &o)) {
        for (int k = 0; k < NL; k++) {
            char n[64];
            snprintf(n, sizeof n, "eval.backbone.res%d", k + 2);
            check(&f->ref, n, o.F[k]->data, ag_numel(o.F[k]), 2e-6);
            snprintf(n, sizeof n, "eval.pre_sam_scale.%d", k);
            check(&f->ref, n, o.G[k]->data, ag_numel(o.G[k]), 2e-6);
            snprintf(n, sizeof n, "eval.fused.res%d", k + 2);
            check(&f->ref, n, o.R[k]->data, ag_numel(o.R[k]), 2e-6);
        }
        ag_tape_free(&t);
    }
    /* train mode with the recorded draws, on the tape */
    if (!run(f, &t, 1, 1, &o)) return;
    for (int k = 0; k < NL; k++) {
        char n[64];
        snprintf(n, sizeof n, "train.backbone.res%d", k + 2);
        check(&f->ref, n, o.F[k]->data, ag_numel(o.F[k]), 2e-6);
        snprintf(n, sizeof n, "train.pre_sam_backbone.res%d", k + 2);
        check(&f->ref, n, o.P[k]->data, ag_numel(o.P[k]), 2e-6);
        snprintf(n, sizeof n, "train.pre_sam_scale.%d", k);
        check(&f->ref, n, o.G[k]->data, ag_numel(o.G[k]), 2e-6);
        snprintf(n, sizeof n, "train.fused.res%d", k + 2);
        check(&f->ref, n, o.R[k]->data, ag_numel(o.R[k]), 2e-6);
    }
    /* backward of sum_k <fused_k, dout_k>: one output [1, total] made of the fused maps */
    ag_var *flat[NL];
    int64_t total = 0;
    for (int k = 0; k < NL; k++) {
        int64_t n = ag_numel(o.R[k]);
        flat[k] = ag_reshape(&t, o.R[k], 2, (int64_t[2]){1, n});
        total += n;
    }
    ag_var *all = ag_concat(&t, flat, NL, 1);
    float *dout = malloc((size_t)total * sizeof(float));
    int64_t off = 0;
    for (int k = 0; k < NL; k++) {
        char n[32];
        int64_t m;
        snprintf(n, sizeof n, "dout.res%d", k + 2);
        const float *d = tl_ref_f32(&f->ref, n, &m);
        if (d) memcpy(dout + off, d, (size_t)m * sizeof(float));
        off += m;
    }
    memset(f->pt.grad, 0, (size_t)f->pt.total * sizeof(float));
    if (ag_backward(&t, all, dout, &err) != VCT_STATUS_OK) {
        tl_fail("backward", "%s", err.msg);
    } else {
        int bad = 0;
        double worst = 0;
        const char *worst_name = "";
        for (int64_t i = 0; i < f->pt.count; i++) {
            const param_entry *e = &f->pt.items[i];
            char n[256];
            snprintf(n, sizeof n, "grad.%s", e->name);
            int64_t m;
            const float *want = tl_ref_f32(&f->ref, n, &m);
            if (!want || m != e->numel) {
                bad++;
                continue;
            }
            double sc = max_abs(want, m), err_max = 0;
            for (int64_t k = 0; k < m; k++) err_max = fmax(err_max, fabs((double)f->pt.grad[e->offset + k] - want[k]));
            if (err_max / (sc > 0 ? sc : 1) > worst) {
                worst = err_max / (sc > 0 ? sc : 1);
                worst_name = e->name;
            }
            /* 1e-4 of the tensor's largest gradient (measured worst: see docs/swin.md) */
            if (!tl_check_close(n, f->pt.grad + e->offset, want, m, 1e-4 * (sc > 0 ? sc : 1), 0)) bad++;
            if (sc == 0) tl_expect(0, n, "reference gradient is all zero: the test cannot see this parameter");
        }
        printf("parameter gradients: worst max_abs/max|ref| %.2e (%s)\n", worst, worst_name);
        tl_expect(bad == 0, "every parameter gradient", "%d of %lld tensors differ", bad, (long long)f->pt.count);
        int64_t n = f->B * 3 * f->H * f->W;
        check(&f->ref, "grad.images", f->d_images, n, 1e-4);
        check(&f->ref, "grad.maskige", f->d_maskige, n, 1e-4);
    }
    ag_tape_free(&t);
    free(dout);

    /* directional derivative: <grad, d> vs (L(theta + e d) - L(theta - e d)) / 2e */
    const int64_t P = f->pt.total;
    float *d = malloc((size_t)P * sizeof(float)), *theta = malloc((size_t)P * sizeof(float));
    tl_fill_uniform(d, P, 12345, -1.0f, 1.0f);
    memcpy(theta, f->pt.data, (size_t)P * sizeof(float));
    double ana = 0;
    for (int64_t i = 0; i < P; i++) ana += (double)f->pt.grad[i] * d[i];
    const double eps = 1e-3;
    double lp = 0, lm = 0;
    for (int sgn = 1; sgn >= -1; sgn -= 2) {
        for (int64_t i = 0; i < P; i++) f->pt.data[i] = theta[i] + (float)(sgn * eps) * d[i];
        if (run(f, &t, 0, 1, &o)) {
            *(sgn > 0 ? &lp : &lm) = loss_of(f, &o);
            ag_tape_free(&t);
        }
    }
    memcpy(f->pt.data, theta, (size_t)P * sizeof(float));
    double num = (lp - lm) / (2 * eps), rel = fabs(num - ana) / fmax(fabs(ana), 1e-30);
    printf("directional derivative over %lld parameters: analytic %.6e, central difference %.6e (rel %.1e)\n",
           (long long)P, ana, num, rel);
    tl_expect(rel < 1e-2 && fabs(ana) > 1e-3, "directional finite difference", "analytic %.6e, numeric %.6e", ana, num);
    free(d);
    free(theta);
}

/* ---- 3: drop-path draws and rates ---- */
static void test_draws(fixture *f) {
    /* generating from the recorded seed reproduces the recorded draws, and the forward */
    const char *seed_s = tensor_dict_get_meta(&f->ref, "draw_seed");
    if (!seed_s) {
        tl_fail("draw_seed", "missing in swin.safetensors metadata");
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
    outputs o;
    o.img = ag_leaf(&t, f->images, NULL, 4, s, 0);
    o.msk = ag_leaf(&t, f->maskige, NULL, 4, s, 0);
    swin_forward(&t, &f->cfg, &f->bw, o.img, &ds, "backbone", o.F);
    prior_branch_forward(&t, &f->cfg, &f->pw, o.F, o.msk, &ds, o.P, o.G, o.R);
    if (t.status != VCT_STATUS_OK) {
        tl_fail("generate", "%s", t.err.msg);
    } else {
        int64_t n_ref = 0;
        for (int64_t i = 0; i < f->ref.count; i++) n_ref += strncmp(f->ref.items[i].name, "rng.", 4) == 0;
        tl_expect(rec.count == n_ref, "draw count", "generated %lld, recorded %lld", (long long)rec.count, (long long)n_ref);
        for (int64_t i = 0; i < rec.count; i++) {
            const tensor *want = tensor_dict_find(&f->ref, rec.items[i].name);
            tl_expect(want && tensor_numel(want) == tensor_numel(&rec.items[i].t) &&
                          memcmp(want->data, rec.items[i].t.data, tensor_nbytes(want)) == 0,
                      "generated draw == recorded draw", "%s", rec.items[i].name);
        }
        for (int k = 0; k < NL; k++) {
            char n[64];
            snprintf(n, sizeof n, "train.fused.res%d", k + 2);
            check(&f->ref, n, o.R[k]->data, ag_numel(o.R[k]), 2e-6);
        }
    }
    ag_tape_free(&t);
    draw_source_free(&ds);
    tensor_dict_free(&rec);

    /* drop-path rates: torch.linspace(0, rate, n) in float32, n = 1..64 */
    const char *rates[4] = {"0.3", "0.2", "0.1", "0.5"};
    for (int r = 0; r < 4; r++) {
        char n[32];
        snprintf(n, sizeof n, "dpr.%s", rates[r]);
        int64_t m;
        const float *want = tl_ref_f32(&f->ref, n, &m);
        if (!want) continue;
        int bad = 0;
        int64_t off = 0;
        for (int len = 1; len <= 64 && off + len <= m; off += len, len++) {
            swin_config c = f->cfg;
            c.drop_path_rate = strtod(rates[r], NULL);
            c.n_stages = (len + SWIN_MAX_DEPTH - 1) / SWIN_MAX_DEPTH;
            for (int st = 0, left = len; st < c.n_stages; st++, left -= SWIN_MAX_DEPTH)
                c.depths[st] = left < SWIN_MAX_DEPTH ? left : SWIN_MAX_DEPTH;
            for (int k = 0; k < len; k++) {
                double got = swin_drop_path_rate(&c, k / SWIN_MAX_DEPTH, k % SWIN_MAX_DEPTH);
                if (got != (double)want[off + k] && bad++ < 5)
                    printf("  rate %s, n %d, block %d: %.9g, torch %.9g\n", rates[r], len, k, got, (double)want[off + k]);
            }
        }
        tl_expect(bad == 0, n, "%d rates differ from torch.linspace", bad);
    }
}

/* ---- 4: relative position index and bias ---- */
static void test_relative_position(fixture *f) {
    vct_error err = {0};
    tl_expect(swin_check_buffers(&f->ref, "backbone.", &f->cfg, &err) == VCT_STATUS_OK,
              "relative_position_index == official buffers", "%s", err.msg);
    /* a changed entry is refused with a message naming the tensor */
    tensor_dict bad;
    tensor_dict_init(&bad);
    for (int64_t i = 0; i < f->ref.count; i++) {
        const named_tensor *e = &f->ref.items[i];
        if (strstr(e->name, "relative_position_index"))
            tensor_dict_add(&bad, e->name, e->t.dtype, e->t.ndim, e->t.shape, e->t.data, NULL, &err);
    }
    const tensor *x = tensor_dict_find(&bad, "backbone.layers.1.blocks.1.attn.relative_position_index");
    if (x) ((int64_t *)x->data)[7] += 1;
    vct_status st = swin_check_buffers(&bad, "backbone.", &f->cfg, &err);
    tl_expect(st != VCT_STATUS_OK && strstr(err.msg, "layers.1.blocks.1.attn.relative_position_index") &&
                  strstr(err.msg, "[0,7]"),
              "a wrong relative_position_index is refused", "status %d: %s", st, err.msg);
    tensor_dict_free(&bad);

    /* the bias on the tape equals table[index] exactly, for several windows */
    int wins[3] = {1, 7, 12};
    for (int wi = 0; wi < 3; wi++) {
        const int ws = wins[wi], h = 3;
        const int64_t N = (int64_t)ws * ws, M = 2 * ws - 1;
        float *table = malloc((size_t)(M * M * h) * sizeof(float));
        int64_t *idx = malloc((size_t)(N * N) * sizeof(int64_t));
        tl_fill_uniform(table, M * M * h, 7 + (uint64_t)ws, -1, 1);
        swin_relative_position_index(idx, ws);
        ag_tape t;
        arena_rewind(&f->mem, 0);
        ag_tape_init(&t, &f->mem, &f->scratch, 0, 0, &err);
        ag_var *tv = ag_leaf(&t, table, NULL, 2, (int64_t[2]){M * M, h}, 0);
        ag_var *b = swin_relative_position_bias(&t, tv, ws, h);
        int64_t mism = -1;
        if (b) {
            mism = 0;
            for (int n = 0; n < h; n++)
                for (int64_t k = 0; k < N * N; k++)
                    if (memcmp(&b->data[n * N * N + k], &table[idx[k] * h + n], sizeof(float)) != 0) mism++;
        }
        tl_expect(mism == 0, "relative position bias == table[index] bit for bit", "window %d: %lld mismatches (%s)",
                  ws, (long long)mism, t.err.msg);
        ag_tape_free(&t);
        free(table);
        free(idx);
    }
}

/* ---- 5: configuration ---- */
static void test_config_yaml(void) {
    vct_error err = {0};
    cJSON *root = NULL;
    char path[1100];
    snprintf(path, sizeof path, "%s/config.yaml", CASE_DIR);
    if (access(path, R_OK) == 0 && yaml_read(path, &root, &err) == VCT_STATUS_OK) {
        swin_config c;
        int en = 0;
        vct_status st = swin_config_from_yaml(&c, root, &err);
        tl_expect(st == VCT_STATUS_OK && c.embed_dim == 32 && c.n_stages == 4 && c.depths[0] == 2 && c.depths[3] == 2 &&
                      c.num_heads[0] == 1 && c.num_heads[3] == 8 && c.window_size == 12 && c.patch_size == 4 &&
                      c.mlp_ratio == 4.0 && c.drop_path_rate == 0.3 && c.qkv_bias && c.patch_norm,
                  "case MODEL.SWIN", "%s", err.msg);
        st = prior_branch_config(root, &c, &en, &err);
        tl_expect(st == VCT_STATUS_OK && en, "case MODEL.PRE_SAM", "%s", err.msg);
        cJSON_Delete(root);
    } else {
        tl_skip("case MODEL.SWIN", "no " CASE_DIR "/config.yaml");
    }
    const char *base = "MODEL:\n  SWIN:\n    EMBED_DIM: 32\n    PATCH_SIZE: 4\n    WINDOW_SIZE: 12\n"
                       "    MLP_RATIO: 4.0\n    DROP_PATH_RATE: 0.3\n    DROP_RATE: 0.0\n    ATTN_DROP_RATE: 0.0\n"
                       "    DEPTHS:\n    - 2\n    - 2\n    NUM_HEADS:\n    - 1\n    - 3\n";
    const char *extra[4] = {"    APE: true\n", "    USE_ADAPTER: true\n", "    QK_SCALE: 0.1\n", ""};
    const char *want[4] = {"APE", "USE_ADAPTER", "QK_SCALE", "heads"};
    for (int i = 0; i < 4; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s", base, extra[i]);
        swin_config c;
        vct_status st = yaml_parse(text, "test", &root, &err);
        if (st == VCT_STATUS_OK) st = swin_config_from_yaml(&c, root, &err);
        /* the last one: 64 channels are not divisible by 3 heads */
        tl_expect(st != VCT_STATUS_OK && strstr(err.msg, want[i]), "unsupported config refused", "%s: %s", want[i],
                  err.msg);
        cJSON_Delete(root);
        root = NULL;
    }
}

/* ---- 6: every parameter of the conformance checkpoint is used ---- */
static void test_every_parameter_used(void) {
    char path[1100];
    snprintf(path, sizeof path, "%s/model_best.pth", CASE_DIR);
    if (access(path, R_OK) != 0) {
        tl_skip("every parameter used", "no " CASE_DIR);
        return;
    }
    double t0 = wall_seconds();
#ifdef _OPENMP
    /* 267 small forwards: one thread avoids OpenMP barrier spinning on a shared machine */
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    vct_error err = {0};
    conform_case c;
    if (conform_case_load(CASE_DIR, &c, &err) != VCT_STATUS_OK) {
        tl_fail("every parameter used", "%s", err.msg);
        return;
    }
    swin_config cfg;
    swin_weights bw;
    prior_branch_weights pw;
    param_table pt;
    arena mem = {0}, scratch = {0};
    param_table_init(&pt);
    const tensor *frames = tensor_dict_find(&c.inputs, "frames"), *masks = tensor_dict_find(&c.inputs, "pre_masks");
    vct_status st = swin_config_from_yaml(&cfg, c.config, &err);
    if (st == VCT_STATUS_OK) {
        swin_register(&pt, "backbone.", &cfg, &bw, 0);
        prior_branch_register(&pt, &cfg, &pw, 0);
    }
    if (st != VCT_STATUS_OK || !frames || !masks || param_table_alloc(&pt, &err) != VCT_STATUS_OK ||
        param_table_load(&pt, &c.weights, "model_best.pth", NULL, &err) != VCT_STATUS_OK ||
        arena_init(&mem, (size_t)256 << 20, &err) != VCT_STATUS_OK ||
        arena_init(&scratch, (size_t)64 << 20, &err) != VCT_STATUS_OK) {
        tl_fail("every parameter used", "%s", err.msg);
        goto done;
    }
    /* a 64x64 crop of the frame and the maskige at (160, 160), normalised */
    const int64_t S = 64, y0 = 160, x0 = 160, H = frames->shape[2], W = frames->shape[3];
    const float mean[3] = {123.675f, 116.28f, 103.53f}, std[3] = {58.395f, 57.12f, 57.375f};
    float img[3 * 64 * 64], msk[3 * 64 * 64];
    for (int ch = 0; ch < 3; ch++)
        for (int64_t y = 0; y < S; y++)
            for (int64_t x = 0; x < S; x++) {
                int64_t src = (ch * H + y0 + y) * W + x0 + x, dst = (ch * S + y) * S + x;
                img[dst] = ((float)((const uint8_t *)frames->data)[src] - mean[ch]) / std[ch];
                msk[dst] = ((float)((const uint8_t *)masks->data)[src] - mean[ch]) / std[ch];
            }
    /* outputs flattened: F (all levels), P, G, R */
    float *base = NULL, *cur = NULL;
    int64_t n_out = 0, off_p = 0, off_g = 0;
    int n_bad = 0;
    for (int64_t it = -1; it < pt.count; it++) {
        const param_entry *e = it >= 0 ? &pt.items[it] : NULL;
        float *saved = NULL;
        if (e) {
            saved = malloc((size_t)e->numel * sizeof(float));
            memcpy(saved, pt.data + e->offset, (size_t)e->numel * sizeof(float));
            double sc = max_abs(saved, e->numel);
            float *u = malloc((size_t)e->numel * sizeof(float));
            tl_fill_uniform(u, e->numel, 99 + (uint64_t)it, -1, 1);
            for (int64_t k = 0; k < e->numel; k++) pt.data[e->offset + k] += (float)(0.05 * (sc + 1e-3)) * u[k];
            free(u);
        }
        ag_tape t;
        arena_rewind(&mem, 0);
        ag_tape_init(&t, &mem, &scratch, 0, 0, &err);
        ag_var *F[4] = {0}, *P[4] = {0}, *G[4] = {0}, *R[4] = {0};
        ag_var *vi = ag_leaf(&t, img, NULL, 4, (int64_t[4]){1, 3, S, S}, 0);
        ag_var *vm = ag_leaf(&t, msk, NULL, 4, (int64_t[4]){1, 3, S, S}, 0);
        swin_forward(&t, &cfg, &bw, vi, NULL, "backbone", F);
        prior_branch_forward(&t, &cfg, &pw, F, vm, NULL, P, G, R);
        if (t.status != VCT_STATUS_OK) {
            tl_fail("every parameter used: forward", "%s", t.err.msg);
            free(saved);
            break;
        }
        if (!base) { /* the unperturbed run sizes the buffers */
            for (int s = 0; s < cfg.n_stages; s++) n_out += ag_numel(F[s]) + ag_numel(P[s]) + ag_numel(G[s]);
            base = malloc((size_t)n_out * sizeof(float));
            cur = malloc((size_t)n_out * sizeof(float));
        }
        float *dst = it < 0 ? base : cur;
        int64_t o = 0;
        ag_var **groups[3] = {F, P, G};
        for (int gi = 0; gi < 3; gi++) {
            if (gi == 1) off_p = o;
            if (gi == 2) off_g = o;
            for (int s = 0; s < cfg.n_stages; s++) {
                memcpy(dst + o, groups[gi][s]->data, (size_t)ag_numel(groups[gi][s]) * sizeof(float));
                o += ag_numel(groups[gi][s]);
            }
        }
        ag_tape_free(&t);
        if (e) {
            memcpy(pt.data + e->offset, saved, (size_t)e->numel * sizeof(float));
            free(saved);
            /* the part of the outputs this parameter must move */
            int64_t lo = 0, hi = off_p;
            if (strncmp(e->name, "pre_sam_backbone.", 17) == 0) lo = off_p, hi = off_g;
            if (strncmp(e->name, "scale_factor_module.", 20) == 0) lo = off_g, hi = n_out;
            double dmax = 0;
            for (int64_t k = lo; k < hi; k++) dmax = fmax(dmax, fabs((double)cur[k] - base[k]));
            if (!(dmax > 1e-5) && n_bad++ < 10) printf("  %s: outputs moved by %.2e only\n", e->name, dmax);
        }
    }
    /* train mode on the case's recorded draws: both Swins take exactly rng.0000..0027
     * (droppath_keep, [1,1,1], in order: backbone, then pre_sam_backbone) */
    {
        draw_source ds;
        ag_tape t;
        if (draw_source_init_replay(&ds, &c.train_inputs, "rng", &err) != VCT_STATUS_OK) {
            tl_fail("case draws", "%s", err.msg);
        } else {
            arena_rewind(&mem, 0);
            ag_tape_init(&t, &mem, &scratch, 0, 0, &err);
            ag_var *F[4] = {0}, *P[4] = {0};
            ag_var *vi = ag_leaf(&t, img, NULL, 4, (int64_t[4]){1, 3, S, S}, 0);
            ag_var *vm = ag_leaf(&t, msk, NULL, 4, (int64_t[4]){1, 3, S, S}, 0);
            swin_forward(&t, &cfg, &bw, vi, &ds, "backbone", F);
            prior_branch_forward(&t, &cfg, &pw, F, vm, &ds, P, NULL, NULL);
            tl_expect(t.status == VCT_STATUS_OK && ds.pos == 28 && ds.n_draws > 28 && strcmp(ds.kinds[28], "gumbel") == 0,
                      "the case's drop-path draws are consumed in order", "%s; %lld draws used",
                      t.status ? t.err.msg : "ok", (long long)ds.pos);
            ag_tape_free(&t);
            draw_source_free(&ds);
        }
    }
    tl_expect(n_bad == 0 && base, "every parameter of the checkpoint changes an output",
              "%d of %lld tensors do not (64x64 crop)", n_bad, (long long)pt.count);
    printf("every parameter used: %lld tensors perturbed one at a time, %.1f s\n", (long long)pt.count,
           wall_seconds() - t0);
    free(base);
    free(cur);
done:
    arena_free(&mem);
    arena_free(&scratch);
    param_table_free(&pt);
    conform_case_free(&c);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
}

int main(void) {
    fixture f;
    if (setup(&f)) {
        test_relative_position(&f);
        test_draws(&f);
        test_against_official(&f);
    }
    teardown(&f);
    test_config_yaml();
    test_every_parameter_used();
    return tl_summary("swin");
}
