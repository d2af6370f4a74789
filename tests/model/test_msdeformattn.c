/* test_msdeformattn.c: the VCT pixel decoder (src/model/msdeformattn.c with the
 * MSDeformAttn module, the sine positions and the tape wrappers it uses) against
 * the OFFICIAL MSDeformAttnPixelDecoder (tests/ref/gen_msdeformattn.py: small odd
 * sizes, batch 2, two encoder layers, perturbed weights):
 *   - sine position encoding (256 channels) vs PositionEmbeddingSine
 *   - forward: mask_features, the three multi-scale features, spatial shapes and
 *     level start index; inference mode gives the same bits as training mode
 *   - backward of L = sum(out * dout) over the four outputs: every parameter
 *     gradient and the gradients of res2..res5
 *   - a directional finite-difference check over all parameters and inputs
 *   - the config reader and shape errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autograd/ag_shape.h"
#include "core/omp.h"
#include "io/yaml.h"
#include "model/msdeformattn.h"
#include "model/position_encoding.h"
#include "testlib.h"

/* tolerances, relative to each tensor's max (the conformance metric): fp32 torch differs
 * from its float64 twin by <= 4.4e-7 (outputs) and <= 1.4e-6 (gradients) of the max (gen
 * metadata); we measure <= 4.6e-7 and <= 9.5e-7 against fp32 torch */
#define FWD_RTOL 5e-6
#define GRAD_RTOL 1e-5

typedef struct ctx {
    msdeformattn_config cfg;
    param_table pt;
    msdeformattn_weights w;
    float *feat[4], *dfeat[4];
    int64_t feat_shape[4][4];
    const float *dout[4]; /* mask_features, ms.0, ms.1, ms.2 */
    arena mem, scratch;
} ctx;

static const char *out_names[4] = {"mask_features", "ms.0", "ms.1", "ms.2"};

static ag_var *outputs_of(msdeformattn_outputs *o, int k) {
    return k == 0 ? o->mask_features : o->multi_scale_features[k - 1];
}

/* run the forward; returns 1 on success (tape t stays valid for backward) */
static int forward(ctx *c, ag_tape *t, int training, msdeformattn_outputs *o, ag_var **feats) {
    vct_error err;
    arena_rewind(&c->mem, 0);
    arena_rewind(&c->scratch, 0);
    if (ag_tape_init(t, &c->mem, &c->scratch, training, 4096, &err) != VCT_STATUS_OK) {
        tl_fail("tape", "%s", err.msg);
        return 0;
    }
    for (int i = 0; i < 4; i++) feats[i] = ag_leaf(t, c->feat[i], c->dfeat[i], 4, c->feat_shape[i], 1);
    msdeformattn_forward(t, &c->cfg, &c->w, feats, o);
    if (t->status != VCT_STATUS_OK) {
        tl_fail("forward", "%s", t->err.msg);
        ag_tape_free(t);
        return 0;
    }
    return 1;
}

static double loss(void *p) {
    ctx *c = p;
    ag_tape t;
    msdeformattn_outputs o;
    ag_var *f[4];
    if (!forward(c, &t, 0, &o, f)) return NAN;
    double l = 0;
    for (int k = 0; k < 4; k++) {
        ag_var *v = outputs_of(&o, k);
        int64_t n = ag_numel(v);
        for (int64_t i = 0; i < n; i++) l += (double)v->data[i] * c->dout[k][i];
    }
    ag_tape_free(&t);
    return l;
}

/* a direction component: random magnitude, mostly the sign of the analytic gradient g
 * (u in [-1, 1]: (u + 2 sign g) / 3 * scale); 0 where g is 0 */
static float aligned(float u, float g, double scale) {
    double sg = g > 0 ? 1 : g < 0 ? -1 : 0;
    return sg == 0 ? 0.0f : (float)((u + 2 * sg) / 3 * scale);
}

static double max_abs(const float *x, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

/* |got - want| <= rtol * max|want| (the conformance metric: tolerance relative to the scale) */
static int check_scaled(const char *name, const float *got, const float *want, int64_t n, double rtol) {
    double scale = max_abs(want, n);
    return tl_check_close(name, got, want, n, rtol * scale + 1e-12, 0);
}

static void test_positions(const tensor_dict *ref) {
    int64_t sizes[2][2] = {{5, 7}, {6, 4}};
    for (int k = 0; k < 2; k++) {
        int64_t H = sizes[k][0], W = sizes[k][1];
        char name[32];
        snprintf(name, sizeof name, "pos.%lldx%lld", (long long)H, (long long)W);
        float pos[256 * 42];
        vct_error err;
        vct_status st = position_embedding_sine(pos, H, W, 128, 10000.0f, &err);
        const float *want = tl_ref_f32(ref, name, NULL);
        /* sin/cos: ours rounds the double result once, torch's SLEEF kernels are within
         * 1 ulp, so allow 1 ulp of values in [-1, 1] */
        if (tl_expect(st == VCT_STATUS_OK, name, "%s", err.msg) && want)
            tl_check_close(name, pos, want, 256 * H * W, 1.2e-7, 0);
    }
    vct_error err;
    float p[4];
    tl_expect(position_embedding_sine(p, 1, 1, 3, 10000.0f, &err) == VCT_STATUS_INVALID_ARGUMENT &&
                  strstr(err.msg, "num_pos_feats 3"),
              "odd num_pos_feats refused", "'%s'", err.msg);
}

static void test_config(void) {
    const char *yml = "MODEL:\n"
                      "  MASK_FORMER:\n    DROPOUT: 0.0\n    NHEADS: 8\n"
                      "  SEM_SEG_HEAD:\n    COMMON_STRIDE: 4\n    CONVS_DIM: 256\n"
                      "    DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES:\n    - res3\n    - res4\n    - res5\n"
                      "    IN_FEATURES:\n    - res2\n    - res3\n    - res4\n    - res5\n"
                      "    MASK_DIM: 256\n    NORM: GN\n    TRANSFORMER_ENC_LAYERS: 6\n";
    cJSON *root = NULL;
    vct_error err;
    int ch[4] = {128, 256, 512, 1024};
    msdeformattn_config cfg;
    if (!tl_expect(yaml_parse(yml, "cfg", &root, &err) == VCT_STATUS_OK, "config yaml", "%s", err.msg)) return;
    vct_status st = msdeformattn_config_from_yaml(&cfg, root, ch, &err);
    tl_expect(st == VCT_STATUS_OK && cfg.n_levels == 3 && cfg.n_fpn == 1 && cfg.enc_layers == 6 && cfg.n_heads == 8 &&
                  cfg.conv_dim == 256 && cfg.dim_feedforward == 1024 && cfg.n_points == 4 && cfg.in_channels[3] == 1024,
              "config from yaml", "st %d '%s', levels %d fpn %d", st, err.msg, cfg.n_levels, cfg.n_fpn);
    cJSON_Delete(root);
    const char *bad = "MODEL:\n  MASK_FORMER:\n    DROPOUT: 0.0\n    NHEADS: 8\n"
                      "  SEM_SEG_HEAD:\n    COMMON_STRIDE: 4\n    CONVS_DIM: 256\n"
                      "    DEFORMABLE_TRANSFORMER_ENCODER_IN_FEATURES:\n    - res3\n    - res4\n    - res5\n"
                      "    IN_FEATURES:\n    - res2\n    - res3\n    - res4\n    - res5\n"
                      "    MASK_DIM: 256\n    NORM: BN\n    TRANSFORMER_ENC_LAYERS: 6\n";
    if (yaml_parse(bad, "cfg", &root, &err) == VCT_STATUS_OK) {
        st = msdeformattn_config_from_yaml(&cfg, root, ch, &err);
        tl_expect(st == VCT_STATUS_UNSUPPORTED && strstr(err.msg, "NORM 'BN'"), "NORM BN refused", "'%s'", err.msg);
        cJSON_Delete(root);
    }
}

int main(void) {
    tensor_dict ref, gref;
    if (tl_ref_open("msdeformattn", &ref)) return tl_summary("test_msdeformattn");
    if (tl_ref_open("msdeformattn_grads", &gref)) {
        tensor_dict_free(&ref);
        return tl_summary("test_msdeformattn");
    }
    test_positions(&ref);
    test_config();

    static ctx c;
    vct_error err = {0};
    int ch[4] = {6, 10, 12, 16};
    c.cfg = msdeformattn_config_default(ch);
    c.cfg.conv_dim = 64;
    c.cfg.mask_dim = 16;
    c.cfg.n_heads = 4;
    c.cfg.dim_feedforward = 32;
    c.cfg.enc_layers = 2;
    param_table_init(&c.pt);
    /* registered under "param." so the table's names are the reference's keys */
    msdeformattn_register(&c.pt, "param.", &c.cfg, &c.w, 1);
    int64_t unused = 0;
    if (param_table_alloc(&c.pt, &err) != VCT_STATUS_OK || param_table_alloc_grads(&c.pt, &err) != VCT_STATUS_OK ||
        param_table_load(&c.pt, &ref, "msdeformattn.safetensors", &unused, &err) != VCT_STATUS_OK) {
        tl_fail("parameters", "%s", err.msg);
        goto done;
    }
    int64_t n_params = 0;
    for (int64_t i = 0; i < c.pt.count; i++) n_params += c.pt.items[i].numel;
    tl_expect(n_params == 86000, "parameter count as the official module", "%lld", (long long)n_params);
    arena_init(&c.mem, 64u << 20, &err);
    arena_init(&c.scratch, 16u << 20, &err);
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "res%d", i + 2);
        const tensor *tt = tl_ref_tensor(&ref, name);
        if (!tt) goto done;
        memcpy(c.feat_shape[i], tt->shape, sizeof c.feat_shape[i]);
        int64_t n = tensor_numel(tt);
        c.feat[i] = malloc((size_t)n * sizeof(float));
        c.dfeat[i] = calloc((size_t)n, sizeof(float));
        memcpy(c.feat[i], tl_ref_f32(&ref, name, NULL), (size_t)n * sizeof(float));
    }
    for (int k = 0; k < 4; k++) {
        char name[32];
        snprintf(name, sizeof name, "dout.%s", out_names[k]);
        c.dout[k] = tl_ref_f32(&ref, name, NULL);
        if (!c.dout[k]) goto done;
    }

    /* forward (training mode) and backward */
    ag_tape t;
    msdeformattn_outputs o;
    ag_var *f[4];
    if (!forward(&c, &t, 1, &o, f)) goto done;
    float *got[4] = {0};
    int64_t n_out[4];
    for (int k = 0; k < 4; k++) {
        ag_var *v = outputs_of(&o, k);
        const tensor *want = tl_ref_tensor(&ref, out_names[k]);
        n_out[k] = ag_numel(v);
        if (!want || !tl_expect(shape_equal(v->ndim, v->shape, want->ndim, want->shape), out_names[k], "shape"))
            continue;
        check_scaled(out_names[k], v->data, tl_ref_f32(&ref, out_names[k], NULL), n_out[k], FWD_RTOL);
        got[k] = malloc((size_t)n_out[k] * sizeof(float));
        memcpy(got[k], v->data, (size_t)n_out[k] * sizeof(float));
    }
    const tensor *ss = tl_ref_tensor(&ref, "spatial_shapes"), *lsi = tl_ref_tensor(&ref, "level_start_index");
    tl_expect(ss && lsi && memcmp(ss->data, o.spatial_shapes, 6 * sizeof(int64_t)) == 0 &&
                  memcmp(lsi->data, o.level_start_index, 3 * sizeof(int64_t)) == 0,
              "spatial_shapes, level_start_index", "differ");
    for (int k = 1; k < 4; k++) {
        float *g = ag_grad(&t, outputs_of(&o, k));
        for (int64_t i = 0; i < n_out[k]; i++) g[i] += c.dout[k][i];
    }
    if (ag_backward(&t, o.mask_features, c.dout[0], &err) != VCT_STATUS_OK) {
        tl_fail("backward", "%s", err.msg);
        ag_tape_free(&t);
        goto done;
    }
    ag_tape_free(&t);
    int n_grad_ok = 0;
    for (int64_t i = 0; i < c.pt.count; i++) {
        const param_entry *e = &c.pt.items[i];
        char name[320];
        snprintf(name, sizeof name, "grad.%s", e->name + strlen("param."));
        const float *want = tl_ref_f32(&gref, name, NULL);
        if (want) n_grad_ok += check_scaled(name, c.pt.grad + e->offset, want, e->numel, GRAD_RTOL);
    }
    tl_expect(n_grad_ok == c.pt.count, "every parameter gradient", "%d of %lld match", n_grad_ok,
              (long long)c.pt.count);
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "grad.res%d", i + 2);
        const float *want = tl_ref_f32(&gref, name, NULL);
        if (want) check_scaled(name, c.dfeat[i], want, shape_numel(4, c.feat_shape[i]), GRAD_RTOL);
    }

    /* inference mode (blocks' memory reused) computes the same bits, in less memory */
    size_t train_peak = c.mem.peak;
    c.mem.peak = 0;
    if (forward(&c, &t, 0, &o, f)) {
        int same = 1;
        for (int k = 0; k < 4; k++) same &= memcmp(outputs_of(&o, k)->data, got[k], (size_t)n_out[k] * 4) == 0;
        tl_expect(same, "inference mode = training mode, bit for bit", "outputs differ");
        printf("arena peak: training %zu bytes, inference %zu bytes\n", train_peak, c.mem.peak);
        tl_expect(c.mem.peak < train_peak / 2, "inference frees each block's temporaries", "peak %zu vs %zu",
                  c.mem.peak, train_peak);
        ag_tape_free(&t);
    }

    /* directional derivatives (kann's kad_check_grad), one random direction per
     * parameter tensor and per input plus one over everything at once: delta . grad vs the
     * central difference of the loss along delta (step 1e-3 of each tensor's RMS: larger
     * steps cross too many ReLU / bilinear-cell kinks); f(x+e d) + f(x-e d) - 2 f(x) bounds
     * the error from kinks, and the loss's fp32 noise is about 1e-4 (measured with tiny
     * steps). The direction leans towards the analytic gradient's signs (see aligned()) so
     * that even a small tensor moves the loss well above that noise; a zero gradient gives
     * a zero directional derivative and fails. */
    {
        int64_t P = c.pt.total;
        int n_dir = (int)c.pt.count + 4 + 1, n_ok = 0;
        float *delta = malloc((size_t)P * sizeof(float)), *base = malloc((size_t)P * sizeof(float));
        float *fdelta[4], *fbase[4];
        memcpy(base, c.pt.data, (size_t)P * sizeof(float));
        for (int i = 0; i < 4; i++) {
            int64_t n = shape_numel(4, c.feat_shape[i]);
            fdelta[i] = malloc((size_t)n * sizeof(float));
            fbase[i] = malloc((size_t)n * sizeof(float));
            memcpy(fbase[i], c.feat[i], (size_t)n * sizeof(float));
        }
        /* 117 small forwards: one thread (waiting OpenMP threads cost more than these tiny
         * ops on a loaded 2-core machine); the threaded paths were checked above */
#ifdef _OPENMP
        int threads = omp_get_max_threads();
        omp_set_num_threads(1);
#endif
        double f0 = loss(&c), worst = 0;
        for (int d = 0; d < n_dir; d++) {
            /* direction: entry d (parameter tensor d, input d - count, or all when d is last) */
            memset(delta, 0, (size_t)P * sizeof(float));
            for (int64_t i = 0; i < c.pt.count; i++) {
                const param_entry *e = &c.pt.items[i];
                if (d != i && d != n_dir - 1) continue;
                double rms = 0;
                for (int64_t k = 0; k < e->numel; k++) rms += (double)base[e->offset + k] * base[e->offset + k];
                rms = sqrt(rms / (double)e->numel);
                tl_fill_uniform(delta + e->offset, e->numel, 100 + (uint64_t)i, -1.0f, 1.0f);
                for (int64_t k = 0; k < e->numel; k++) delta[e->offset + k] = aligned(delta[e->offset + k], c.pt.grad[e->offset + k], rms);
            }
            for (int i = 0; i < 4; i++) {
                int64_t n = shape_numel(4, c.feat_shape[i]);
                if (d == c.pt.count + i || d == n_dir - 1) {
                    tl_fill_uniform(fdelta[i], n, 200 + (uint64_t)i, -1.0f, 1.0f);
                    for (int64_t k = 0; k < n; k++) fdelta[i][k] = aligned(fdelta[i][k], c.dfeat[i][k], 1.0);
                } else {
                    memset(fdelta[i], 0, (size_t)n * sizeof(float));
                }
            }
            double ana = 0;
            for (int64_t k = 0; k < P; k++) ana += (double)c.pt.grad[k] * delta[k];
            for (int i = 0; i < 4; i++)
                for (int64_t k = 0; k < shape_numel(4, c.feat_shape[i]); k++) ana += (double)c.dfeat[i][k] * fdelta[i][k];
            double eps = 1e-3, fv[2];
            for (int j = 0; j < 2; j++) {
                double sgn = j == 0 ? 1 : -1;
                for (int64_t k = 0; k < P; k++) c.pt.data[k] = (float)(base[k] + sgn * eps * delta[k]);
                for (int i = 0; i < 4; i++)
                    for (int64_t k = 0; k < shape_numel(4, c.feat_shape[i]); k++)
                        c.feat[i][k] = (float)(fbase[i][k] + sgn * eps * fdelta[i][k]);
                fv[j] = loss(&c);
            }
            double num = (fv[0] - fv[1]) / (2 * eps), curv = fabs(fv[0] + fv[1] - 2 * f0) / eps;
            /* 1e-4 / eps: the noise floor over the step */
            double tol = 1e-2 * fmax(fabs(num), fabs(ana)) + curv + 1e-4 / eps;
            const char *what = d < c.pt.count ? c.pt.items[d].name : d < n_dir - 1 ? "an input" : "everything";
            int ok = isfinite(num) && fabs(num - ana) <= tol && fabs(ana) > 10 * (1e-4 / eps);
            worst = fmax(worst, fabs(num - ana) / tol);
            if (!ok)
                printf("directional check along %s (%d): analytic %.9g, numeric %.9g, tolerance %.3g\n", what, d, ana,
                       num, tol);
            n_ok += ok;
        }
        tl_expect(n_ok == n_dir, "directional finite differences (every parameter tensor, every input, all)",
                  "%d of %d passed", n_ok, n_dir);
        printf("directional checks: %d of %d within tolerance, worst |num-ana|/tolerance %.3f\n", n_ok, n_dir, worst);
#ifdef _OPENMP
        omp_set_num_threads(threads);
#endif
        memcpy(c.pt.data, base, (size_t)P * sizeof(float));
        for (int i = 0; i < 4; i++) {
            memcpy(c.feat[i], fbase[i], (size_t)shape_numel(4, c.feat_shape[i]) * sizeof(float));
            free(fdelta[i]);
            free(fbase[i]);
        }
        free(delta);
        free(base);
    }

    /* a wrong input is reported, not crashed on */
    {
        int64_t bad[4] = {2, 7, 13, 11};
        ag_tape tb;
        arena_rewind(&c.mem, 0);
        ag_tape_init(&tb, &c.mem, NULL, 0, 0, &err);
        ag_var *fb[4];
        for (int i = 0; i < 4; i++) fb[i] = ag_leaf(&tb, c.feat[i], NULL, 4, i == 0 ? bad : c.feat_shape[i], 0);
        msdeformattn_outputs ob;
        ag_var *r = msdeformattn_forward(&tb, &c.cfg, &c.w, fb, &ob);
        tl_expect(!r && tb.status == VCT_STATUS_SHAPE && strstr(tb.err.msg, "res2 is [2,7,13,11]"),
                  "wrong res2 channels named", "'%s'", tb.err.msg);
        ag_tape_free(&tb);
    }
    for (int k = 0; k < 4; k++) free(got[k]);
done:
    for (int i = 0; i < 4; i++) {
        free(c.feat[i]);
        free(c.dfeat[i]);
    }
    arena_free(&c.mem);
    arena_free(&c.scratch);
    param_table_free(&c.pt);
    tensor_dict_free(&ref);
    tensor_dict_free(&gref);
    return tl_summary("test_msdeformattn");
}
