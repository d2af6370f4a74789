/* bb_test.h: what test_resnet.c and test_pvt.c share (static functions, included by
 * each test program): one backbone through the interface of src/backbone/backbone.h
 * against a reference file written by tests/ref/gen_<name>.py from the official
 * PyTorch module.
 *
 * A reference file holds the state_dict under "backbone.<key>" (parameters AND
 * buffers), images [B,3,H,W], the train-mode outputs res2..res5, eval.res2..res5,
 * dout.res2..res5, grad.<param> of L = sum_k <res_k, dout_k> for every parameter
 * that requires a gradient, grad.images, and (drop path) the recorded keep masks
 * rng.NNNN.droppath_keep. */
#ifndef VCT_TESTS_BB_TEST_H
#define VCT_TESTS_BB_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "autograd/ag_shape.h"
#include "backbone/backbone.h"
#include "core/log.h"
#include "io/safetensors.h"
#include "testlib.h"

typedef struct bbt {
    const char *label; /* names the checks: "resnet a" */
    backbone bb;
    param_table pt;
    tensor_dict ref;
    arena mem, scratch;
    int64_t B, H, W;
    float *images, *d_images;
    int stochastic; /* the reference has rng.* draws: train-mode forwards replay them */
    int ok;
} bbt;

/* a tensor of the reference, or NULL without counting a failure */
static inline const tensor *tl_ref_tensor_quiet(const tensor_dict *d, const char *name) {
    return tensor_dict_find(d, name);
}

static inline double bbt_max_abs(const float *x, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)x[i]));
    return m;
}

/* max |got - want| / max |want|, printed; passes iff <= rel */
static inline int bbt_check(const bbt *f, const char *name, const float *got, int64_t n, double rel, double *worst) {
    char label[256];
    snprintf(label, sizeof label, "%s: %s", f->label, name);
    int64_t m;
    const float *want = tl_ref_f32(&f->ref, name, &m);
    if (!want)
        return 0;
    if (m != n)
        return tl_expect(0, label, "%lld elements, reference has %lld", (long long)n, (long long)m);
    double sc = bbt_max_abs(want, n), e = 0;
    for (int64_t i = 0; i < n; i++)
        e = fmax(e, fabs((double)got[i] - want[i]));
    double r = e / (sc > 0 ? sc : 1);
    if (worst && r > *worst)
        *worst = r;
    printf("  %-48s max|err| %.3e  max|ref| %.3e  rel %.2e\n", name, e, sc, r);
    if (sc == 0)
        return tl_expect(0, label, "the reference is all zero: the test cannot see it");
    return tl_check_close(label, got, want, n, rel * sc, 0);
}

static inline int bbt_setup(bbt *f, const char *label, const backbone_kind *kind, const void *cfg, const char *path,
                            size_t mem_bytes) {
    memset(f, 0, sizeof *f);
    f->label = label;
    tensor_dict_init(&f->ref);
    param_table_init(&f->pt);
    vct_error err = {0};
    if (safetensors_read(path, &f->ref, &err) != VCT_STATUS_OK) {
        tl_fail(label, "%s\n---> HINT: run `make ref` to regenerate test vectors", err.msg);
        return 0;
    }
    const char *v = tensor_dict_get_meta(&f->ref, "format_version");
    if (!v || strcmp(v, TL_REF_FORMAT_VERSION) != 0) {
        tl_fail(label, "%s: format_version %s, expected %s", path, v ? v : "(none)", TL_REF_FORMAT_VERSION);
        return 0;
    }
    if (backbone_init(&f->bb, kind, NULL, cfg, &err) != VCT_STATUS_OK) {
        tl_fail(label, "%s", err.msg);
        return 0;
    }
    backbone_register(&f->bb, &f->pt, "backbone.", 1);
    int64_t unused = -1;
    if (param_table_alloc(&f->pt, &err) != VCT_STATUS_OK || param_table_alloc_grads(&f->pt, &err) != VCT_STATUS_OK ||
        param_table_load(&f->pt, &f->ref, path, &unused, &err) != VCT_STATUS_OK ||
        arena_init(&f->mem, mem_bytes, &err) != VCT_STATUS_OK ||
        arena_init(&f->scratch, (size_t)256 << 20, &err) != VCT_STATUS_OK) {
        tl_fail(label, "setup: %s", err.msg);
        return 0;
    }
    /* the registered table IS the official state_dict: every tensor of it registered,
     * nothing more; the trainable ones are exactly those torch gave a gradient */
    int64_t n_sd = 0, n_grad = 0, n_trainable = 0;
    int bad = 0;
    char lab[256];
    snprintf(lab, sizeof lab, "%s: state_dict key registered", label);
    for (int64_t i = 0; i < f->ref.count; i++) {
        const char *nm = f->ref.items[i].name;
        if (strncmp(nm, "backbone.", 9) == 0) {
            n_sd++;
            if (!param_table_find(&f->pt, nm))
                bad += !tl_expect(0, lab, "%s", nm);
        } else if (strncmp(nm, "grad.backbone.", 14) == 0) {
            n_grad++;
            const param_entry *e = param_table_find(&f->pt, nm + 5);
            if (!e || !e->trainable || !e->handle)
                bad += !tl_expect(0, lab, "%s is not trainable here", nm + 5);
        }
    }
    for (int64_t i = 0; i < f->pt.count; i++)
        n_trainable += f->pt.items[i].trainable;
    snprintf(lab, sizeof lab, "%s: registered = official state_dict", label);
    tl_expect(bad == 0 && n_sd == f->pt.count, lab, "%lld registered, %lld in the state_dict", (long long)f->pt.count,
              (long long)n_sd);
    snprintf(lab, sizeof lab, "%s: trainable = torch's requires_grad", label);
    tl_expect(n_trainable == n_grad, lab, "%lld trainable here, %lld with a torch gradient", (long long)n_trainable,
              (long long)n_grad);
    const tensor *im = tl_ref_tensor(&f->ref, "images");
    if (!im)
        return 0;
    f->B = im->shape[0];
    f->H = im->shape[2];
    f->W = im->shape[3];
    printf("  images [%lld, 3, %lld, %lld], %lld parameter tensors (%lld trainable), %lld floats\n", (long long)f->B,
           (long long)f->H, (long long)f->W, (long long)f->pt.count, (long long)n_trainable, (long long)f->pt.total);
    int64_t n = tensor_numel(im);
    f->images = malloc((size_t)n * sizeof(float));
    f->d_images = calloc((size_t)n, sizeof(float));
    memcpy(f->images, tl_ref_f32(&f->ref, "images", NULL), (size_t)n * sizeof(float));
    for (int64_t i = 0; i < f->ref.count; i++)
        f->stochastic |= strncmp(f->ref.items[i].name, "rng.", 4) == 0;
    f->ok = 1;
    return 1;
}

static inline void bbt_teardown(bbt *f) {
    free(f->images);
    free(f->d_images);
    arena_free(&f->mem);
    arena_free(&f->scratch);
    param_table_free(&f->pt);
    tensor_dict_free(&f->ref);
    backbone_free(&f->bb);
}

/* One forward on a fresh tape (the caller frees it when this returns 1).
 * stochastic: replay the recorded drop-path draws (train semantics). */
static inline int bbt_run(bbt *f, ag_tape *t, int training, int stochastic, ag_var **outs) {
    vct_error err = {0};
    arena_rewind(&f->mem, 0);
    arena_rewind(&f->scratch, 0);
    if (ag_tape_init(t, &f->mem, &f->scratch, training, 1 << 16, &err) != VCT_STATUS_OK) {
        tl_fail(f->label, "tape: %s", err.msg);
        return 0;
    }
    draw_source ds;
    if (stochastic && draw_source_init_replay(&ds, &f->ref, "rng", &err) != VCT_STATUS_OK) {
        tl_fail(f->label, "replay: %s", err.msg);
        ag_tape_free(t);
        return 0;
    }
    int64_t s[4] = {f->B, 3, f->H, f->W};
    ag_var *img = ag_leaf(t, f->images, f->d_images, 4, s, 1);
    backbone_forward(&f->bb, t, img, stochastic ? &ds : NULL, "backbone", outs);
    int ok = t->status == VCT_STATUS_OK;
    if (!ok)
        tl_fail(f->label, "forward: %s", t->err.msg);
    if (ok && stochastic && draw_source_finish(&ds, &err) != VCT_STATUS_OK)
        ok = tl_expect(0, f->label, "every recorded draw used: %s", err.msg);
    if (stochastic)
        draw_source_free(&ds);
    if (!ok)
        ag_tape_free(t);
    return ok;
}

/* outputs: shapes from the spec ([B, C_i, ceil(H/stride_i), ceil(W/stride_i)]), values
 * against "<prefix>res{i+2}" */
static inline void bbt_check_outputs(bbt *f, ag_var **outs, const char *prefix, double rel, double *worst) {
    for (int i = 0; i < f->bb.spec.n_outs; i++) {
        char n[64], lab[160];
        snprintf(n, sizeof n, "%sres%d", prefix, i + 2);
        const int64_t st = f->bb.spec.strides[i];
        const int64_t want[4] = {f->B, f->bb.spec.channels[i], (f->H + st - 1) / st, (f->W + st - 1) / st};
        snprintf(lab, sizeof lab, "%s: %s shape = output_shape()", f->label, n);
        char a[96], b[96];
        tl_expect(shape_equal(outs[i]->ndim, outs[i]->shape, 4, want), lab, "%s, spec says %s",
                  shape_str(outs[i]->ndim, outs[i]->shape, a, sizeof a), shape_str(4, want, b, sizeof b));
        bbt_check(f, n, outs[i]->data, ag_numel(outs[i]), rel, worst);
        /* with a float64 twin: how close ours and torch's float32 are to it (printed) */
        char n64[64];
        snprintf(n64, sizeof n64, "out64.res%d", i + 2);
        const tensor *t64 = tl_ref_tensor_quiet(&f->ref, n64);
        const float *w32 = tl_ref_f32(&f->ref, n, NULL);
        if (t64 && w32 && tensor_numel(t64) == ag_numel(outs[i])) {
            const float *o64 = tl_ref_f32(&f->ref, n64, NULL);
            double ec = 0, et = 0, sc = bbt_max_abs(o64, tensor_numel(t64));
            for (int64_t k = 0; k < tensor_numel(t64); k++) {
                ec = fmax(ec, fabs((double)outs[i]->data[k] - o64[k]));
                et = fmax(et, fabs((double)w32[k] - o64[k]));
            }
            printf("  %-48s vs float64: max rel err ours %.2e, torch float32 %.2e\n", n, ec / sc, et / sc);
        }
    }
}

/* L = sum_k <res_k, dout_k> */
static inline double bbt_loss(const bbt *f, ag_var **outs) {
    double l = 0;
    for (int i = 0; i < f->bb.spec.n_outs; i++) {
        char n[32];
        snprintf(n, sizeof n, "dout.res%d", i + 2);
        int64_t m;
        const float *d = tl_ref_f32(&f->ref, n, &m);
        for (int64_t k = 0; d && k < m; k++)
            l += (double)outs[i]->data[k] * d[k];
    }
    return l;
}

/* Judging gradients of a network with kinks (ReLU, max pool) at full size: a
 * pre-activation within rounding of 0 takes the other side in one float32 run than in
 * another, and moves a whole row of a weight gradient (torch's own float32 gradients
 * differ from its float64 ones by up to a few %). So both float32 results are compared
 * with the float64 twin (grad64.*) in the L2 norm: ours must be as close to it as
 * torch's float32 (BBT_TWIN_FACTOR times its error, over all parameters), and no
 * tensor may be off by more than BBT_TWIN_TENSOR_MAX (a wrong gradient is off by O(1)). */
#define BBT_TWIN_FACTOR 4.0
#define BBT_TWIN_TENSOR_MAX 0.05
typedef struct bbt_twin {
    double num_c, num_t, den; /* sums of (ours - f64)^2, (torch f32 - f64)^2, f64^2 */
    double worst_c, worst_t;  /* per-tensor L2 relative errors */
    char worst_name[256];
} bbt_twin;

static inline int bbt_twin_tensor(const bbt *f, bbt_twin *tw, const char *name, const float *got, const float *g32,
                                  int64_t n) {
    char n64[300], lab[400];
    snprintf(n64, sizeof n64, "grad64.%s", name);
    snprintf(lab, sizeof lab, "%s: %s vs the float64 twin", f->label, name);
    int64_t m;
    const float *g64 = tl_ref_f32(&f->ref, n64, &m);
    if (!g64 || m != n)
        return tl_expect(0, lab, "no %s of %lld elements", n64, (long long)n);
    double nc = 0, nt = 0, den = 0;
    for (int64_t k = 0; k < n; k++) {
        nc += ((double)got[k] - g64[k]) * ((double)got[k] - g64[k]);
        nt += ((double)g32[k] - g64[k]) * ((double)g32[k] - g64[k]);
        den += (double)g64[k] * g64[k];
    }
    tw->num_c += nc, tw->num_t += nt, tw->den += den;
    double rc = sqrt(nc / (den > 0 ? den : 1)), rt = sqrt(nt / (den > 0 ? den : 1));
    if (rc > tw->worst_c) {
        tw->worst_c = rc;
        snprintf(tw->worst_name, sizeof tw->worst_name, "%s", name);
    }
    tw->worst_t = fmax(tw->worst_t, rt);
    if (strcmp(name, "images") == 0) {
        printf("  grad.images vs float64: L2 rel err ours %.2e, torch float32 %.2e\n", rc, rt);
        return tl_expect(rc <= BBT_TWIN_FACTOR * rt + 1e-6 && rc <= BBT_TWIN_TENSOR_MAX, lab,
                         "L2 rel err %.2e, torch float32 %.2e", rc, rt);
    }
    return tl_expect(rc <= BBT_TWIN_TENSOR_MAX, lab, "L2 rel err %.2e (torch float32: %.2e)", rc, rt);
}

static inline void bbt_twin_summary(const bbt *f, const bbt_twin *tw) {
    double rc = sqrt(tw->num_c / (tw->den > 0 ? tw->den : 1)), rt = sqrt(tw->num_t / (tw->den > 0 ? tw->den : 1));
    printf("  parameter gradients vs float64: L2 rel err over all ours %.2e, torch float32 %.2e; worst tensor ours "
           "%.2e (%s), torch float32 %.2e\n",
           rc, rt, tw->worst_c, tw->worst_name, tw->worst_t);
    char lab[200];
    snprintf(lab, sizeof lab, "%s: parameter gradients as close to float64 as torch's float32", f->label);
    tl_expect(rc <= BBT_TWIN_FACTOR * rt + 1e-6, lab, "L2 rel err %.2e, torch float32 %.2e", rc, rt);
}

/* backward of L on the tape t (training, forward done), then every grad.<param> and
 * grad.images against the reference; worst relative errors out */
static inline void bbt_check_grads(bbt *f, ag_tape *t, ag_var **outs, double rel_param, double rel_images,
                                   double *worst_param, double *worst_images) {
    vct_error err = {0};
    const int L = f->bb.spec.n_outs;
    ag_var *flat[BACKBONE_MAX_OUTS];
    int64_t total = 0;
    for (int i = 0; i < L; i++) {
        int64_t n = ag_numel(outs[i]);
        flat[i] = ag_reshape(t, outs[i], 2, (int64_t[2]){1, n});
        total += n;
    }
    ag_var *all = ag_concat(t, flat, L, 1);
    float *dout = malloc((size_t)total * sizeof(float));
    int64_t off = 0;
    for (int i = 0; i < L; i++) {
        char n[32];
        int64_t m;
        snprintf(n, sizeof n, "dout.res%d", i + 2);
        const float *d = tl_ref_f32(&f->ref, n, &m);
        if (d && m == ag_numel(outs[i]))
            memcpy(dout + off, d, (size_t)m * sizeof(float));
        else
            memset(dout + off, 0, (size_t)ag_numel(outs[i]) * sizeof(float));
        off += ag_numel(outs[i]);
    }
    memset(f->pt.grad, 0, (size_t)f->pt.total * sizeof(float));
    memset(f->d_images, 0, (size_t)(f->B * 3 * f->H * f->W) * sizeof(float));
    double t0 = wall_seconds();
    if (ag_backward(t, all, dout, &err) != VCT_STATUS_OK) {
        tl_fail(f->label, "backward: %s", err.msg);
        free(dout);
        return;
    }
    printf("  backward: %.2f s\n", wall_seconds() - t0);
    free(dout);
    int bad = 0;
    double worst = 0;
    const char *worst_name = "";
    int64_t n_checked = 0;
    /* with a float64 twin (grad64.*, full-size ResNet): L2 errors against it, ours and torch's */
    const int twin = tl_ref_tensor_quiet(&f->ref, "grad64.images") != NULL;
    bbt_twin tw = {0};
    for (int64_t i = 0; i < f->pt.count; i++) {
        const param_entry *e = &f->pt.items[i];
        if (!e->trainable)
            continue;
        char n[256], lab[300];
        snprintf(n, sizeof n, "grad.%s", e->name);
        snprintf(lab, sizeof lab, "%s: %s", f->label, n);
        int64_t m;
        const float *want = tl_ref_f32(&f->ref, n, &m);
        if (!want || m != e->numel) {
            bad++;
            continue;
        }
        n_checked++;
        const float *got = f->pt.grad + e->offset;
        double sc = bbt_max_abs(want, m), e_max = 0;
        for (int64_t k = 0; k < m; k++)
            e_max = fmax(e_max, fabs((double)got[k] - want[k]));
        double r = e_max / (sc > 0 ? sc : 1);
        if (r > worst) {
            worst = r;
            worst_name = e->name;
        }
        if (sc == 0)
            bad += !tl_expect(0, lab, "the reference gradient is all zero: the test cannot see it");
        if (twin)
            bad += !bbt_twin_tensor(f, &tw, e->name, got, want, m);
        else if (!tl_check_close(lab, got, want, m, rel_param * (sc > 0 ? sc : 1), 0))
            bad++;
    }
    printf("  parameter gradients: %lld tensors, worst max|err|/max|ref| %.2e (%s) against torch float32\n",
           (long long)n_checked, worst, worst_name);
    if (worst_param)
        *worst_param = worst;
    char lab[160];
    snprintf(lab, sizeof lab, "%s: every parameter gradient", f->label);
    tl_expect(bad == 0 && n_checked > 0, lab, "%d of %lld tensors differ", bad, (long long)n_checked);
    double wi = 0;
    const int64_t ni = f->B * 3 * f->H * f->W;
    if (twin) {
        bbt_twin_summary(f, &tw);
        bbt_twin tw_img = {0};
        const float *want = tl_ref_f32(&f->ref, "grad.images", NULL);
        if (want) {
            bbt_twin_tensor(f, &tw_img, "images", f->d_images, want, ni);
            double sc = bbt_max_abs(want, ni);
            for (int64_t k = 0; k < ni; k++)
                wi = fmax(wi, fabs((double)f->d_images[k] - want[k]) / (sc > 0 ? sc : 1));
        }
    } else {
        bbt_check(f, "grad.images", f->d_images, ni, rel_images, &wi);
    }
    if (worst_images)
        *worst_images = wi;
}

/* <grad, d> vs (L(theta + eps d) - L(theta - eps d)) / 2 eps over ALL trainable parameters
 * (d uniform in [-s, s] on each trainable tensor, s = its max |value|; 0 on buffers);
 * needs pt.grad from a backward */
static inline void bbt_directional(bbt *f, double eps, double tol) {
    const int64_t P = f->pt.total;
    float *d = calloc((size_t)P, sizeof(float)), *theta = malloc((size_t)P * sizeof(float));
    for (int64_t i = 0; i < f->pt.count; i++) {
        const param_entry *e = &f->pt.items[i];
        if (e->trainable) { /* relative to the tensor's scale (the tests scale some tensors by 0.01) */
            const float sc = (float)bbt_max_abs(f->pt.data + e->offset, e->numel) + 1e-3f;
            tl_fill_uniform(d + e->offset, e->numel, 12345 + (uint64_t)i, -sc, sc);
        }
    }
    memcpy(theta, f->pt.data, (size_t)P * sizeof(float));
    double ana = 0, lp = 0, lm = 0;
    for (int64_t i = 0; i < P; i++)
        ana += (double)f->pt.grad[i] * d[i];
    for (int sgn = 1; sgn >= -1; sgn -= 2) {
        for (int64_t i = 0; i < P; i++)
            f->pt.data[i] = theta[i] + (float)(sgn * eps) * d[i];
        ag_tape t;
        ag_var *outs[BACKBONE_MAX_OUTS];
        if (bbt_run(f, &t, 0, f->stochastic, outs)) {
            *(sgn > 0 ? &lp : &lm) = bbt_loss(f, outs);
            ag_tape_free(&t);
        }
    }
    memcpy(f->pt.data, theta, (size_t)P * sizeof(float));
    double num = (lp - lm) / (2 * eps), rel = fabs(num - ana) / fmax(fabs(ana), 1e-30);
    printf("  directional derivative: analytic %.6e, central difference %.6e (rel %.1e)\n", ana, num, rel);
    char lab[160];
    snprintf(lab, sizeof lab, "%s: directional finite difference", f->label);
    tl_expect(rel < tol && fabs(ana) > 1e-3, lab, "analytic %.6e, numeric %.6e", ana, num);
    free(d);
    free(theta);
}

/* every registered tensor (parameters and buffers) changes an output when perturbed
 * (eval forwards, one per tensor, on one thread) */
static inline void bbt_every_tensor_used(bbt *f) {
    double t0 = wall_seconds();
#ifdef _OPENMP
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
    float *base = NULL, *cur = NULL;
    int64_t n_out = 0;
    int n_bad = 0;
    for (int64_t it = -1; it < f->pt.count; it++) {
        const param_entry *e = it >= 0 ? &f->pt.items[it] : NULL;
        float *saved = NULL;
        if (e) {
            saved = malloc((size_t)e->numel * sizeof(float));
            memcpy(saved, f->pt.data + e->offset, (size_t)e->numel * sizeof(float));
            double sc = bbt_max_abs(saved, e->numel);
            float *u = malloc((size_t)e->numel * sizeof(float));
            tl_fill_uniform(u, e->numel, 99 + (uint64_t)it, -1, 1);
            for (int64_t k = 0; k < e->numel; k++)
                f->pt.data[e->offset + k] += (float)(0.05 * (sc + 1e-3)) * u[k];
            free(u);
        }
        ag_tape t;
        ag_var *outs[BACKBONE_MAX_OUTS];
        int ok = bbt_run(f, &t, 0, 0, outs);
        if (ok) {
            if (!base) {
                for (int i = 0; i < f->bb.spec.n_outs; i++)
                    n_out += ag_numel(outs[i]);
                base = malloc((size_t)n_out * sizeof(float));
                cur = malloc((size_t)n_out * sizeof(float));
            }
            float *dst = e ? cur : base;
            int64_t o = 0;
            for (int i = 0; i < f->bb.spec.n_outs; i++) {
                memcpy(dst + o, outs[i]->data, (size_t)ag_numel(outs[i]) * sizeof(float));
                o += ag_numel(outs[i]);
            }
            ag_tape_free(&t);
        }
        if (e) {
            memcpy(f->pt.data + e->offset, saved, (size_t)e->numel * sizeof(float));
            free(saved);
        }
        if (!ok)
            break;
        if (e) {
            double dmax = 0;
            for (int64_t k = 0; k < n_out; k++)
                dmax = fmax(dmax, fabs((double)cur[k] - base[k]));
            if (!(dmax > 1e-5) && n_bad++ < 10)
                printf("  %s: outputs moved by %.2e only\n", e->name, dmax);
        }
    }
    char lab[160];
    snprintf(lab, sizeof lab, "%s: every tensor changes an output", f->label);
    tl_expect(n_bad == 0 && base, lab, "%d of %lld tensors do not", n_bad, (long long)f->pt.count);
    printf("  every tensor used: %lld tensors perturbed one at a time, %.1f s\n", (long long)f->pt.count,
           wall_seconds() - t0);
    free(base);
    free(cur);
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
}

/* a missing tensor and a wrong shape fail the load with a message naming the tensor */
static inline void bbt_load_errors(bbt *f, const char *victim) {
    tensor_dict sd;
    tensor_dict_init(&sd);
    vct_error err = {0};
    char lab[200];
    int added = 1;
    for (int64_t i = 0; i < f->ref.count && added; i++) {
        const tensor *x = &f->ref.items[i].t;
        if (strncmp(f->ref.items[i].name, "backbone.", 9) || strcmp(f->ref.items[i].name, victim) == 0)
            continue;
        added = tensor_dict_add(&sd, f->ref.items[i].name, x->dtype, x->ndim, x->shape, x->data, NULL, &err) ==
                VCT_STATUS_OK;
    }
    vct_status st = param_table_load(&f->pt, &sd, "ckpt.pth", NULL, &err);
    snprintf(lab, sizeof lab, "%s: missing tensor named", f->label);
    tl_expect(added && st != VCT_STATUS_OK && strstr(err.msg, victim) != NULL, lab, "status %d: %s", (int)st, err.msg);
    printf("  missing: %s\n", err.msg);
    /* the victim with one dim doubled */
    const tensor *v = tensor_dict_find(&f->ref, victim);
    if (v) {
        int64_t shape[VCT_MAX_DIMS];
        memcpy(shape, v->shape, sizeof shape);
        shape[0] *= 2;
        tensor_dict_add(&sd, victim, VCT_DTYPE_F32, v->ndim, shape, NULL, NULL, &err);
        st = param_table_load(&f->pt, &sd, "ckpt.pth", NULL, &err);
        snprintf(lab, sizeof lab, "%s: wrong shape named", f->label);
        tl_expect(st != VCT_STATUS_OK && strstr(err.msg, victim) != NULL && strstr(err.msg, "expected") != NULL, lab,
                  "status %d: %s", (int)st, err.msg);
        printf("  wrong shape: %s\n", err.msg);
    }
    tensor_dict_free(&sd);
    /* the table still holds the reference weights (a failed load may have copied some) */
    param_table_load(&f->pt, &f->ref, "reference", NULL, &err);
}

#endif
