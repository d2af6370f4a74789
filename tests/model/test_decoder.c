/* test_decoder.c: the VCT query generators and audio-visual decoder
 * (src/model/ppqg.c, group_attention.c, av_decoder.c, semantic_inference.c) and the
 * tape wrappers they bring (autograd/ag_assign.c, ag_attention.c).
 *
 *  1. against the official modules (tests/ref/gen_decoder.py, two set-ups: PPQG with 5
 *     prototypes / 4 classes and VCQ / 2 classes; 5 layers cycling audio, 1/32, 1/16,
 *     1/8, audio; 2 frames):
 *     eval: vision queries, prototypes, assignment logits and argmax (exact), the mask
 *     of every layer (exact, including the opened rows), every query_after_layer, all
 *     predictions, proto_feat, semantic inference at the official-like and the own size;
 *     train with the recorded Gumbel draw: outputs, assignment, masks, every parameter
 *     gradient and the input gradients (straight-through estimator as torch);
 *  2. the Gumbel draw generated from the recorded torch seed equals the recorded draw;
 *  3. a directional finite-difference check over all parameters and inputs with the
 *     decisions frozen (assignment and masks); the straight-through part (which no
 *     finite difference of the forward can see) is removed with the logits' own
 *     directional derivative;
 *  4. the assignment op alone: forced indices, the straight-through gradient against
 *     finite differences of its surrogate; forced assignments through PPQG (what
 *     `vct conform --inject ppqg.assign_idx` relies on);
 *  5. configuration from the shared case (config.yaml, checkpoint shapes) and refusals.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autograd/ag_assign.h"
#include "autograd/ag_shape.h"
#include "io/conform_case.h"
#include "io/yaml.h"
#include "model/av_decoder.h"
#include "model/ppqg.h"
#include "model/semantic_inference.h"
#include "ops/activation.h"
#include "ops/interpolate.h"
#include "testlib.h"

#define CASE_DIR "../shared/conformance/cases/ss-reduced-1f"

/* the sizes gen_decoder.py builds */
#define T_C 16
#define T_HEADS 2
#define T_FFN 24
#define T_LAYERS 5
#define T_Q 7
#define T_B 2
#define T_HM 12
#define T_WM 10

typedef struct fixture {
    const char *kind;
    tensor_dict ref;
    av_decoder_config dcfg;
    ppqg_config qcfg;
    param_table pt;
    av_decoder_weights dw;
    ppqg_weights qw;
    float *in[5], *d_in[5]; /* audio, ms0, ms1, ms2, mask_features */
    int64_t in_shape[5][4];
    arena mem, scratch;
} fixture;

typedef struct run_out {
    ag_var *in[5];
    ppqg_outputs q;
    av_decoder_outputs d;
    av_decoder_masks masks;
    ag_var *proto_feat;
} run_out;

static const char *in_names[5] = {"audio", "ms.0", "ms.1", "ms.2", "mask_features"};

static double max_abs(const float *x, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs((double)x[i]));
    return m;
}

/* ref[<prefix>.<name>] vs got, tolerance rel * max|ref| */
static int check(const fixture *f, const char *name, const float *got, int64_t n, double rel) {
    char full[128];
    snprintf(full, sizeof full, "%s: %s", f->kind, name);
    int64_t m;
    const float *want = tl_ref_f32(&f->ref, name, &m);
    if (!want) return 0;
    if (!got) return tl_expect(0, full, "not computed");
    if (m != n) return tl_expect(0, full, "%lld elements, reference has %lld", (long long)n, (long long)m);
    double sc = max_abs(want, n);
    return tl_check_close(full, got, want, n, rel * (sc > 0 ? sc : 1), 0);
}

/* integer/bool reference (I64 or U8) vs got (as int64 or bytes) */
static int check_exact(const fixture *f, const char *name, const int64_t *gi, const unsigned char *gb, int64_t n) {
    char full[128];
    snprintf(full, sizeof full, "%s: %s", f->kind, name);
    const tensor *r = tl_ref_tensor(&f->ref, name);
    if (!r) return 0;
    if (tensor_numel(r) != n)
        return tl_expect(0, full, "%lld elements, reference has %lld", (long long)n, (long long)tensor_numel(r));
    int64_t bad = 0, first = -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t want = (int64_t)dtype_get_f64(r->data, r->dtype, i), got = gi ? gi[i] : (gb ? gb[i] : -1);
        if (want != got && bad++ == 0) first = i;
    }
    return tl_expect(bad == 0, full, "%lld of %lld differ (first at %lld)", (long long)bad, (long long)n,
                     (long long)first);
}

static int setup(fixture *f, const char *kind) {
    memset(f, 0, sizeof *f);
    f->kind = kind;
    vct_error err = {0};
    char name[64];
    snprintf(name, sizeof name, "decoder_%s", kind);
    if (tl_ref_open(name, &f->ref) != 0) return 0;
    const char *k = tensor_dict_get_meta(&f->ref, "num_classes");
    const int proto = strcmp(kind, "proto") == 0;
    av_decoder_config *d = &f->dcfg;
    d->hidden_dim = T_C;
    d->num_heads = T_HEADS;
    d->dim_feedforward = T_FFN;
    d->num_layers = T_LAYERS;
    d->num_queries = T_Q;
    d->num_classes = k ? atoi(k) : 0;
    d->mask_dim = T_C;
    d->has_proto_proj = proto;
    ppqg_config *q = &f->qcfg;
    q->in_channels = T_C;
    q->proj_channels = 12;
    q->out_channels = T_C;
    q->num_pixel = T_HM * T_WM;
    q->mixer_hidden = 20;
    q->num_query = T_Q;
    q->num_prototypes = proto ? 5 : 0;
    q->pre_attn_heads = 4;
    q->assign = assign_attn_default_config(T_C);
    param_table_init(&f->pt);
    av_decoder_register(&f->pt, "", d, &f->dw, 1);
    ppqg_register(&f->pt, "visual_query_block.", q, &f->qw, 1);
    int64_t unused = -1;
    if (param_table_alloc(&f->pt, &err) != VCT_STATUS_OK || param_table_alloc_grads(&f->pt, &err) != VCT_STATUS_OK ||
        param_table_load(&f->pt, &f->ref, name, &unused, &err) != VCT_STATUS_OK ||
        arena_init(&f->mem, (size_t)64 << 20, &err) != VCT_STATUS_OK ||
        arena_init(&f->scratch, (size_t)16 << 20, &err) != VCT_STATUS_OK) {
        tl_fail("setup", "%s: %s", kind, err.msg);
        return 0;
    }
    /* every parameter of the official modules is registered, nothing else */
    int64_t n_params = 0;
    for (int64_t i = 0; i < f->ref.count; i++) {
        const char *nm = f->ref.items[i].name;
        if (strncmp(nm, "grad.", 5) != 0) continue;
        int is_input = 0;
        for (int j = 0; j < 5; j++) is_input |= strcmp(nm + 5, in_names[j]) == 0;
        if (is_input) continue;
        n_params++;
        tl_expect(param_table_find(&f->pt, nm + 5) != NULL, "parameter registered", "%s: %s", kind, nm + 5);
    }
    tl_expect(n_params == f->pt.count, "parameter count", "%s: registered %lld, official %lld", kind,
              (long long)f->pt.count, (long long)n_params);
    for (int j = 0; j < 5; j++) {
        const tensor *x = tl_ref_tensor(&f->ref, in_names[j]);
        if (!x || x->ndim != 4) return 0;
        int64_t n = tensor_numel(x);
        memcpy(f->in_shape[j], x->shape, sizeof f->in_shape[j]);
        f->in[j] = malloc((size_t)n * sizeof(float));
        f->d_in[j] = calloc((size_t)n, sizeof(float));
        memcpy(f->in[j], tl_ref_f32(&f->ref, in_names[j], NULL), (size_t)n * sizeof(float));
    }
    return 1;
}

static void teardown(fixture *f) {
    for (int j = 0; j < 5; j++) {
        free(f->in[j]);
        free(f->d_in[j]);
    }
    arena_free(&f->mem);
    arena_free(&f->scratch);
    param_table_free(&f->pt);
    tensor_dict_free(&f->ref);
}

/* One forward. training: record a tape; draws: NULL (eval) or the Gumbel source;
 * force_idx / replay masks: frozen decisions. */
static int run(fixture *f, ag_tape *t, int training, draw_source *draws, const int64_t *force_idx,
               const av_decoder_masks *frozen, run_out *o) {
    vct_error err = {0};
    arena_rewind(&f->mem, 0);
    arena_rewind(&f->scratch, 0);
    memset(o, 0, sizeof *o);
    if (ag_tape_init(t, &f->mem, &f->scratch, training, 8192, &err) != VCT_STATUS_OK) {
        tl_fail("tape", "%s", err.msg);
        return 0;
    }
    for (int j = 0; j < 5; j++) o->in[j] = ag_leaf(t, f->in[j], f->d_in[j], 4, f->in_shape[j], 1);
    if (frozen) o->masks = *frozen;
    ag_var *vq = ppqg_forward(t, &f->qcfg, &f->qw, o->in[4], draws, force_idx, &o->q);
    av_decoder_forward(t, &f->dcfg, &f->dw, o->in[0], o->in + 1, o->in[4], vq, &o->masks, &o->d);
    if (f->dcfg.has_proto_proj) o->proto_feat = av_decoder_proto_feat(t, &f->dcfg, &f->dw, o->q.prototypes);
    if (t->status != VCT_STATUS_OK) {
        tl_fail("forward", "%s: %s", f->kind, t->err.msg);
        ag_tape_free(t);
        return 0;
    }
    return 1;
}

/* the outputs that carry the loss, in the order of the dout.* tensors */
typedef struct loss_terms {
    int n;
    const char *name[2 * (T_LAYERS + 1) + 1];
    ag_var *v[2 * (T_LAYERS + 1) + 1];
} loss_terms;

static void terms_of(const run_out *o, loss_terms *L) {
    static char names[2 * (T_LAYERS + 1)][32];
    L->n = 0;
    for (int i = 0; i < T_LAYERS; i++) {
        snprintf(names[2 * i], 32, "aux.%d.pred_logits", i);
        snprintf(names[2 * i + 1], 32, "aux.%d.pred_masks", i);
        L->name[L->n] = names[2 * i];
        L->v[L->n++] = o->d.pred_logits[i];
        L->name[L->n] = names[2 * i + 1];
        L->v[L->n++] = o->d.pred_masks[i];
    }
    L->name[L->n] = "pred_logits";
    L->v[L->n++] = o->d.pred_logits[T_LAYERS];
    L->name[L->n] = "pred_masks";
    L->v[L->n++] = o->d.pred_masks[T_LAYERS];
    if (o->proto_feat) {
        L->name[L->n] = "feats.proto_feat";
        L->v[L->n++] = o->proto_feat;
    }
}

/* backward of sum <out, dout> over the loss terms (one output made by concatenation) */
static int backward(fixture *f, ag_tape *t, const run_out *o) {
    loss_terms L;
    terms_of(o, &L);
    ag_var *flat[2 * (T_LAYERS + 1) + 1] = {0};
    int64_t total = 0;
    for (int i = 0; i < L.n; i++) {
        flat[i] = ag_reshape(t, L.v[i], 2, (int64_t[2]){1, ag_numel(L.v[i])});
        total += ag_numel(L.v[i]);
    }
    ag_var *all = flat[0]; /* ag_concat takes at most AG_MAX_INPUTS at once */
    for (int i = 1; i < L.n; i++) all = ag_concat(t, (ag_var *[2]){all, flat[i]}, 2, 1);
    float *dout = malloc((size_t)total * sizeof(float));
    int64_t off = 0;
    for (int i = 0; i < L.n; i++) {
        char n[64];
        snprintf(n, sizeof n, "dout.%s", L.name[i]);
        int64_t m;
        const float *d = tl_ref_f32(&f->ref, n, &m);
        if (d && m == ag_numel(L.v[i])) memcpy(dout + off, d, (size_t)m * sizeof(float));
        else tl_fail(n, "missing or wrong size");
        off += ag_numel(L.v[i]);
    }
    memset(f->pt.grad, 0, (size_t)f->pt.total * sizeof(float));
    for (int j = 0; j < 5; j++) memset(f->d_in[j], 0, (size_t)shape_numel(4, f->in_shape[j]) * sizeof(float));
    vct_error err = {0};
    vct_status st = ag_backward(t, all, dout, &err);
    free(dout);
    if (st != VCT_STATUS_OK) tl_fail("backward", "%s: %s", f->kind, err.msg);
    return st == VCT_STATUS_OK;
}

static void check_outputs(const fixture *f, const run_out *o, const char *mode, double rel) {
    char n[96];
    loss_terms L;
    terms_of(o, &L);
    for (int i = 0; i < L.n; i++) {
        snprintf(n, sizeof n, "%s.%s", mode, L.name[i]);
        check(f, n, L.v[i]->data, ag_numel(L.v[i]), rel);
    }
    const int64_t S = f->qcfg.num_pixel;
    snprintf(n, sizeof n, "%s.assign_logits", mode);
    check(f, n, o->q.assign_logits->data, ag_numel(o->q.assign_logits), rel);
    snprintf(n, sizeof n, "%s.assign_idx", mode);
    check_exact(f, n, o->q.assign_idx, NULL, T_B * S);
    for (int i = 0; i < T_LAYERS; i++) {
        snprintf(n, sizeof n, "%s.mask.%d", mode, i);
        const tensor *r = tl_ref_tensor(&f->ref, n);
        if (!r) continue;
        if (o->masks.mask[i]) {
            check_exact(f, n, NULL, o->masks.mask[i], o->masks.numel[i]);
        } else { /* audio layer: the reference's all-False mask */
            int64_t ones = 0;
            for (int64_t k = 0; k < tensor_numel(r); k++) ones += dtype_get_f64(r->data, r->dtype, k) != 0;
            tl_expect(ones == 0 && i % 4 == 0, n, "%s: no mask computed, reference blocks %lld", f->kind, (long long)ones);
        }
    }
    /* the opened rows the generator counted */
    snprintf(n, sizeof n, "opened_rows_%s", mode);
    const char *meta = tensor_dict_get_meta(&f->ref, n);
    char got[128] = "";
    for (int i = 0; i < T_LAYERS; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? "," : "", (long long)o->masks.rows_opened[i]);
    tl_expect(meta && strcmp(meta, got) == 0, "rows opened by the fully-blocked rule", "%s %s: %s, reference %s",
              f->kind, mode, got, meta ? meta : "(none)");
}

/* ---- 1 + 2: against the official modules ---- */
static void test_against_official(fixture *f) {
    ag_tape t;
    run_out o;
    vct_error err = {0};
    /* eval */
    if (run(f, &t, 0, NULL, NULL, NULL, &o)) {
        check_outputs(f, &o, "eval", 2e-6);
        check(f, "eval.vision_queries", o.q.queries->data, ag_numel(o.q.queries), 2e-6);
        for (int i = 0; i < T_LAYERS; i++) {
            char n[64];
            snprintf(n, sizeof n, "eval.query_after_layer.%d", i);
            check(f, n, o.d.query_after_layer[i]->data, ag_numel(o.d.query_after_layer[i]), 2e-6);
        }
        if (o.q.prototypes) check(f, "eval.prototypes", o.q.prototypes->data, ag_numel(o.q.prototypes), 0);
        if (o.proto_feat) check(f, "eval.feats.proto_feat", o.proto_feat->data, ag_numel(o.proto_feat), 2e-6);
        /* post-processing: masks to the padded 48x40 input, the 45x37 image to 29x23 and to itself */
        const int64_t K = f->dcfg.num_classes;
        const tensor *fl = tl_ref_tensor(&f->ref, "eval.sem_seg_flags");
        const float *flags = f->dcfg.has_proto_proj && fl ? tl_ref_f32(&f->ref, "eval.sem_seg_flags", NULL) : NULL;
        sem_seg_params ps[2] = {{48, 40, 45, 37, 29, 23}, sem_seg_params_own_size(45, 37)};
        ps[1].pad_h = 48;
        ps[1].pad_w = 40;
        const char *tags[2] = {"eval.sem_seg.official", "eval.sem_seg.own"};
        for (int v = 0; v < 2; v++) {
            int64_t n = T_B * K * ps[v].out_h * ps[v].out_w;
            float *ss = malloc((size_t)n * sizeof(float));
            vct_status st = semantic_inference(ss, o.d.pred_logits[T_LAYERS]->data, o.d.pred_masks[T_LAYERS]->data,
                                               flags, T_B, T_Q, K, T_HM, T_WM, &ps[v], v ? NULL : &f->scratch, &err);
            if (tl_expect(st == VCT_STATUS_OK, tags[v], "%s", err.msg)) {
                check(f, tags[v], ss, n, 2e-6);
                /* the decision on the reference equals the decision on ours (margins are wide here) */
                const float *want = tl_ref_f32(&f->ref, tags[v], NULL);
                const int64_t HW = ps[v].out_h * ps[v].out_w;
                uint8_t *la = malloc((size_t)(T_B * HW)), *lb = malloc((size_t)(T_B * HW));
                sem_seg_argmax(la, ss, T_B, K, ps[v].out_h, ps[v].out_w);
                if (want) sem_seg_argmax(lb, want, T_B, K, ps[v].out_h, ps[v].out_w);
                tl_expect(want && memcmp(la, lb, (size_t)(T_B * HW)) == 0, "sem_seg argmax", "%s %s", f->kind, tags[v]);
                free(la);
                free(lb);
            }
            free(ss);
        }
        ag_tape_free(&t);
    }
    /* train: the recorded Gumbel draw, on the tape */
    draw_source ds;
    if (draw_source_init_replay(&ds, &f->ref, "rng", &err) != VCT_STATUS_OK) {
        tl_fail("replay", "%s", err.msg);
        return;
    }
    if (!run(f, &t, 1, &ds, NULL, NULL, &o)) {
        draw_source_free(&ds);
        return;
    }
    tl_expect(draw_source_finish(&ds, &err) == VCT_STATUS_OK, "every draw used", "%s", err.msg);
    draw_source_free(&ds);
    check_outputs(f, &o, "train", 2e-6);
    if (backward(f, &t, &o)) {
        int bad = 0;
        double worst = 0, gmax = 0;
        const char *worst_name = "";
        for (int64_t i = 0; i < f->pt.count; i++) {
            char n[256];
            snprintf(n, sizeof n, "grad.%s", f->pt.items[i].name);
            int64_t m;
            const float *want = tl_ref_f32(&f->ref, n, &m);
            if (want) gmax = fmax(gmax, max_abs(want, m));
        }
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
            double sc = max_abs(want, m), e_max = 0;
            if (sc < 1e-7 * gmax) {
                /* mathematically zero (assign_attn.q_proj.bias: the softmax over queries cancels
                 * it), rounding noise in both: ours must be as small */
                double ours = max_abs(f->pt.grad + e->offset, m);
                tl_expect(ours < 1e-7 * gmax, n, "%s: zero up to rounding in torch (%.1e), ours %.1e (largest gradient %.1e)",
                          f->kind, sc, ours, gmax);
                continue;
            }
            for (int64_t k = 0; k < m; k++) e_max = fmax(e_max, fabs((double)f->pt.grad[e->offset + k] - want[k]));
            if (e_max / sc > worst) {
                worst = e_max / sc;
                worst_name = e->name;
            }
            if (!tl_check_close(n, f->pt.grad + e->offset, want, m, 2e-5 * sc, 0)) bad++;
        }
        printf("%s: parameter gradients: worst max_abs/max|ref| %.2e (%s)\n", f->kind, worst, worst_name);
        tl_expect(bad == 0, "every parameter gradient", "%s: %d of %lld tensors differ", f->kind, bad,
                  (long long)f->pt.count);
        for (int j = 0; j < 5; j++) {
            char n[64];
            snprintf(n, sizeof n, "grad.%s", in_names[j]);
            check(f, n, f->d_in[j], shape_numel(4, f->in_shape[j]), 2e-5);
        }
    }
    ag_tape_free(&t);

    /* 2: the draw generated from the torch seed the generator used */
    const char *seed_s = tensor_dict_get_meta(&f->ref, "input_seed");
    torch_generator g;
    torch_generator_manual_seed(&g, seed_s ? (uint64_t)strtoull(seed_s, NULL, 10) : 0);
    tensor_dict rec;
    tensor_dict_init(&rec);
    draw_source_init_record(&ds, &g, &rec, "rng");
    if (run(f, &t, 0, &ds, NULL, NULL, &o)) {
        const tensor *want = tl_ref_tensor(&f->ref, "rng.0000.gumbel");
        tl_expect(rec.count == 1 && want && tensor_nbytes(want) == tensor_nbytes(&rec.items[0].t) &&
                      memcmp(want->data, rec.items[0].t.data, tensor_nbytes(want)) == 0,
                  "generated Gumbel draw == recorded draw (bit for bit)", "%s: %lld draws", f->kind,
                  (long long)rec.count);
        check(f, "train.pred_masks", o.d.pred_masks[T_LAYERS]->data, ag_numel(o.d.pred_masks[T_LAYERS]), 2e-6);
        ag_tape_free(&t);
    }
    draw_source_free(&ds);
    tensor_dict_free(&rec);
}

/* ---- forced assignments (conform --inject ppqg.assign_idx, frozen decisions) ----
 * Forcing the argmax it would take changes nothing; moving one pixel from query a to
 * query b changes the vision queries of a and b in that frame and nothing else. */
static void test_forced_assignment(fixture *f) {
    ag_tape t;
    run_out o;
    const int64_t S = f->qcfg.num_pixel, C = T_C;
    if (!run(f, &t, 0, NULL, NULL, NULL, &o)) return;
    int64_t *idx = malloc((size_t)(T_B * S) * sizeof(int64_t));
    float *base = malloc((size_t)(T_Q * T_B * C) * sizeof(float));
    memcpy(idx, o.q.assign_idx, (size_t)(T_B * S) * sizeof(int64_t));
    memcpy(base, o.q.queries->data, (size_t)(T_Q * T_B * C) * sizeof(float));
    ag_tape_free(&t);
    if (run(f, &t, 0, NULL, idx, NULL, &o)) {
        tl_expect(memcmp(base, o.q.queries->data, (size_t)(T_Q * T_B * C) * sizeof(float)) == 0,
                  "forcing the computed assignment changes nothing", "%s", f->kind);
        ag_tape_free(&t);
    }
    const int64_t b = 1, px = 37, qa = idx[b * S + px], qb = (qa + 3) % T_Q;
    idx[b * S + px] = qb;
    if (run(f, &t, 0, NULL, idx, NULL, &o)) {
        int wrong = 0, moved_a = 0, moved_b = 0;
        for (int64_t q = 0; q < T_Q; q++)
            for (int64_t bb = 0; bb < T_B; bb++)
                for (int64_t c = 0; c < C; c++) {
                    int64_t k = (q * T_B + bb) * C + c; /* [Q, B, C] */
                    int same = memcmp(&base[k], &o.q.queries->data[k], sizeof(float)) == 0;
                    if (bb == b && q == qa) moved_a |= !same;
                    else if (bb == b && q == qb) moved_b |= !same;
                    else wrong += !same;
                }
        tl_expect(o.q.assign_idx[b * S + px] == qb && moved_a && moved_b && wrong == 0,
                  "one forced pixel moves exactly its two queries", "%s: idx %lld, moved %d/%d, other changes %d",
                  f->kind, (long long)o.q.assign_idx[b * S + px], moved_a, moved_b, wrong);
        ag_tape_free(&t);
    }
    free(idx);
    free(base);
}

/* ---- the masked-attention rule at its boundary ----
 * Mask features scaled by 1e-9 over a corner make mask logits of about +-1e-8 there:
 * fp32 sigmoid rounds the negative ones to exactly 0.5, which is NOT blocked (the
 * reference's `sigmoid < 0.5`, not `m < 0`); every layer's mask must equal the rule
 * restated here from the decoder's own predictions: bilinear to the level, fp32
 * sigmoid < 0.5, a row blocked everywhere opened. */
static void test_mask_rule(fixture *f) {
    const int64_t n = shape_numel(4, f->in_shape[4]);
    float *saved = malloc((size_t)n * sizeof(float));
    memcpy(saved, f->in[4], (size_t)n * sizeof(float));
    for (int64_t bc = 0; bc < T_B * T_C; bc++)
        for (int64_t y = 0; y < 7; y++)
            for (int64_t x = 0; x < 6; x++) f->in[4][(bc * T_HM + y) * T_WM + x] *= 1e-9f;
    ag_tape t;
    run_out o;
    vct_error err = {0};
    if (run(f, &t, 0, NULL, NULL, NULL, &o)) {
        int64_t bad = 0, zeros = 0, opened = 0;
        for (int i = 0; i < T_LAYERS; i++) {
            if (!o.masks.mask[i]) continue;
            const ag_var *lvl = o.in[i % 4]; /* level l = i mod 4: in[l] */
            const int64_t h = lvl->shape[2], w = lvl->shape[3], HW = h * w;
            float *small = malloc((size_t)(T_B * T_Q * HW) * sizeof(float));
            interpolate_bilinear_forward(small, o.d.pred_masks[i]->data, T_B, T_Q, T_HM, T_WM, h, w, 0, NULL, &err);
            for (int64_t b = 0; b < T_B; b++)
                for (int64_t q = 0; q < T_Q; q++) {
                    unsigned char row[64];
                    int64_t nb = 0;
                    for (int64_t k = 0; k < HW; k++) {
                        float m = small[(b * T_Q + q) * HW + k];
                        zeros += m < 0.0f && sigmoid_f32(m) == 0.5f;
                        nb += row[k] = sigmoid_f32(m) < 0.5f;
                    }
                    if (nb == HW) {
                        memset(row, 0, sizeof row);
                        opened++;
                    }
                    for (int64_t hh = 0; hh < T_HEADS; hh++)
                        bad += memcmp(row, o.masks.mask[i] + ((b * T_HEADS + hh) * T_Q + q) * HW, (size_t)HW) != 0;
                }
            free(small);
        }
        tl_expect(bad == 0 && zeros > 0, "masked attention: fp32 sigmoid < 0.5 at tiny negative logits, opened rows",
                  "%s: %lld rows differ, %lld negative logits with sigmoid 0.5, %lld rows opened", f->kind, (long long)bad,
                  (long long)zeros, (long long)opened);
        ag_tape_free(&t);
    }
    memcpy(f->in[4], saved, (size_t)n * sizeof(float));
    free(saved);
}

/* ---- 3: directional finite differences with frozen decisions ----
 * Two modules, each with its own scalar (a loss over few outputs keeps the float32
 * rounding noise of the finite difference small):
 *   PPQG:    L = <Vq, r1> + <prototypes, r2> over its parameters and mask_features;
 *   decoder: L = sum <out, dout> over its parameters and every input (Vq as a leaf).
 * The direction is uniform in [-1,1] times each tensor's rms. Decisions are frozen
 * (PPQG argmax forced, masks replayed). The tape's PPQG gradient includes the
 * straight-through part J_R^T g_R that a finite difference of the forward cannot see;
 * it is computed exactly by a second backward from the logits R seeded with g_R and
 * subtracted. Central 4-point differences, eps 1e-3. */
typedef struct fd_run {
    int ppqg;        /* 1: PPQG alone; 0: the decoder on a given Vq */
    int64_t *idx;    /* frozen assignment */
    av_decoder_masks frozen;
    float *vq, *d_vq, *r;
    int64_t n_vq, n_r;
} fd_run;

/* forward of one module; returns the scalar (and leaves the tape open when keep) */
static int fd_forward(fixture *f, fd_run *fr, ag_tape *t, int training, run_out *o, double *loss) {
    vct_error err = {0};
    arena_rewind(&f->mem, 0);
    arena_rewind(&f->scratch, 0);
    memset(o, 0, sizeof *o);
    if (ag_tape_init(t, &f->mem, &f->scratch, training, 8192, &err) != VCT_STATUS_OK) return 0;
    for (int j = 0; j < 5; j++) o->in[j] = ag_leaf(t, f->in[j], f->d_in[j], 4, f->in_shape[j], 1);
    double l = 0;
    if (fr->ppqg) {
        ppqg_forward(t, &f->qcfg, &f->qw, o->in[4], NULL, fr->idx, &o->q);
        if (t->status == VCT_STATUS_OK) {
            for (int64_t k = 0; k < ag_numel(o->q.queries); k++) l += (double)o->q.queries->data[k] * fr->r[k];
            if (o->q.prototypes)
                for (int64_t k = 0; k < ag_numel(o->q.prototypes); k++)
                    l += (double)o->q.prototypes->data[k] * fr->r[ag_numel(o->q.queries) + k];
        }
    } else {
        ag_var *vq = ag_leaf(t, fr->vq, fr->d_vq, 3, (int64_t[3]){T_Q, T_B, T_C}, 1);
        o->masks = fr->frozen;
        av_decoder_forward(t, &f->dcfg, &f->dw, o->in[0], o->in + 1, o->in[4], vq, &o->masks, &o->d);
        if (f->dcfg.has_proto_proj) {
            /* proto_feat from a fixed prototype table: keeps feats in the decoder's check */
            ag_var *p = ag_leaf(t, fr->vq, fr->d_vq, 3, (int64_t[3]){T_Q, T_B, T_C}, 1);
            o->proto_feat = av_decoder_proto_feat(t, &f->dcfg, &f->dw, p);
        }
        if (t->status == VCT_STATUS_OK) {
            loss_terms L;
            terms_of(o, &L);
            for (int i = 0; i < L.n; i++)
                for (int64_t k = 0; k < ag_numel(L.v[i]); k++) l += (double)L.v[i]->data[k] * fr->r[(k * 7 + i) % fr->n_r];
        }
    }
    if (t->status != VCT_STATUS_OK) {
        tl_fail("fd forward", "%s: %s", f->kind, t->err.msg);
        ag_tape_free(t);
        return 0;
    }
    *loss = l;
    return 1;
}

/* the same scalar as a tape output: sum over terms of <v, r-pattern> */
static ag_var *fd_loss_var(fixture *f, fd_run *fr, ag_tape *t, run_out *o, float **seed, int64_t *n_seed) {
    ag_var *parts[2 * (T_LAYERS + 1) + 1];
    int n = 0;
    int64_t total = 0;
    if (fr->ppqg) {
        parts[n++] = o->q.queries;
        if (o->q.prototypes) parts[n++] = o->q.prototypes;
    } else {
        loss_terms L;
        terms_of(o, &L);
        for (int i = 0; i < L.n; i++) parts[n++] = L.v[i];
    }
    ag_var *all = NULL;
    for (int i = 0; i < n; i++) {
        ag_var *v = ag_reshape(t, parts[i], 2, (int64_t[2]){1, ag_numel(parts[i])});
        all = all ? ag_concat(t, (ag_var *[2]){all, v}, 2, 1) : v;
        total += ag_numel(parts[i]);
    }
    float *s = malloc((size_t)total * sizeof(float));
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        for (int64_t k = 0; k < ag_numel(parts[i]); k++)
            s[off + k] = fr->ppqg ? fr->r[off + k] : fr->r[(k * 7 + i) % fr->n_r];
        off += ag_numel(parts[i]);
    }
    *seed = s;
    *n_seed = total;
    return all;
}

static void fd_set(fixture *f, fd_run *fr, const float *theta, const float *d, int64_t P, double h) {
    for (int64_t i = 0; i < P; i++) f->pt.data[i] = theta[i] + (float)(h * d[i]);
    int64_t o2 = P;
    for (int j = 0; j < 5; j++) {
        int64_t n = shape_numel(4, f->in_shape[j]);
        for (int64_t k = 0; k < n; k++) f->in[j][k] = theta[o2 + k] + (float)(h * d[o2 + k]);
        o2 += n;
    }
    for (int64_t k = 0; k < fr->n_vq; k++) fr->vq[k] = theta[o2 + k] + (float)(h * d[o2 + k]);
}

static double fd_dot(const fixture *f, const fd_run *fr, const float *d, int64_t P) {
    double s = 0;
    for (int64_t i = 0; i < P; i++) s += (double)f->pt.grad[i] * d[i];
    int64_t o2 = P;
    for (int j = 0; j < 5; j++) {
        int64_t n = shape_numel(4, f->in_shape[j]);
        for (int64_t k = 0; k < n; k++) s += (double)f->d_in[j][k] * d[o2 + k];
        o2 += n;
    }
    for (int64_t k = 0; k < fr->n_vq; k++) s += (double)fr->d_vq[k] * d[o2 + k];
    return s;
}

static void zero_grads(fixture *f, fd_run *fr) {
    memset(f->pt.grad, 0, (size_t)f->pt.total * sizeof(float));
    for (int j = 0; j < 5; j++) memset(f->d_in[j], 0, (size_t)shape_numel(4, f->in_shape[j]) * sizeof(float));
    memset(fr->d_vq, 0, (size_t)fr->n_vq * sizeof(float));
}

static void directional_one(fixture *f, fd_run *fr, const char *what) {
    const int64_t P = f->pt.total, S = f->qcfg.num_pixel, NL = T_Q * S * T_B;
    int64_t n_in = 0;
    for (int j = 0; j < 5; j++) n_in += shape_numel(4, f->in_shape[j]);
    const int64_t N = P + n_in + fr->n_vq;
    float *d = malloc((size_t)N * sizeof(float)), *theta = malloc((size_t)N * sizeof(float));
    float *g_logits = malloc((size_t)NL * sizeof(float)), *seed = NULL;
    int64_t n_seed = 0;
    /* theta = parameters, inputs, Vq; direction: uniform times each tensor's rms, only
     * over this module's parameters (and its inputs) */
    memcpy(theta, f->pt.data, (size_t)P * sizeof(float));
    for (int j = 0, o2 = (int)P; j < 5; j++) {
        int64_t n = shape_numel(4, f->in_shape[j]);
        memcpy(theta + o2, f->in[j], (size_t)n * sizeof(float));
        o2 += (int)n;
    }
    memcpy(theta + P + n_in, fr->vq, (size_t)fr->n_vq * sizeof(float));
    tl_fill_uniform(d, N, fr->ppqg ? 4242 : 4343, -1.0f, 1.0f);
    for (int64_t i = 0; i < f->pt.count + 6; i++) {
        int64_t o0, n;
        int mine;
        if (i < f->pt.count) {
            o0 = f->pt.items[i].offset;
            n = f->pt.items[i].numel;
            mine = (strncmp(f->pt.items[i].name, "visual_query_block.", 19) == 0) == fr->ppqg;
        } else if (i < f->pt.count + 5) {
            int j = (int)(i - f->pt.count);
            o0 = P;
            for (int k = 0; k < j; k++) o0 += shape_numel(4, f->in_shape[k]);
            n = shape_numel(4, f->in_shape[j]);
            mine = fr->ppqg ? j == 4 : 1;
        } else {
            o0 = P + n_in;
            n = fr->n_vq;
            mine = !fr->ppqg;
        }
        double ss = 0;
        for (int64_t k = 0; k < n; k++) ss += (double)theta[o0 + k] * theta[o0 + k];
        for (int64_t k = 0; k < n; k++) d[o0 + k] = mine ? d[o0 + k] * (float)sqrt(ss / (double)(n ? n : 1)) : 0.0f;
    }
    ag_tape t;
    run_out o;
    vct_error err = {0};
    double ana = 0, st_part = 0, l0;
    /* analytic */
    if (!fd_forward(f, fr, &t, 1, &o, &l0)) goto done;
    ag_var *lv = fd_loss_var(f, fr, &t, &o, &seed, &n_seed);
    zero_grads(f, fr);
    if (ag_backward(&t, lv, seed, &err) != VCT_STATUS_OK) {
        tl_fail("fd backward", "%s", err.msg);
        ag_tape_free(&t);
        goto done;
    }
    ana = fd_dot(f, fr, d, P);
    if (fr->ppqg) {
        if (!o.q.assign_logits->grad) {
            tl_fail("directional", "%s: no gradient at the assignment logits", f->kind);
            ag_tape_free(&t);
            goto done;
        }
        memcpy(g_logits, o.q.assign_logits->grad, (size_t)NL * sizeof(float));
        ag_tape_free(&t);
        /* the straight-through part, exactly: backward from R seeded with g_R */
        if (!fd_forward(f, fr, &t, 1, &o, &l0)) goto done;
        zero_grads(f, fr);
        if (ag_backward(&t, o.q.assign_logits, g_logits, &err) != VCT_STATUS_OK) tl_fail("backward from R", "%s", err.msg);
        st_part = fd_dot(f, fr, d, P);
    }
    ag_tape_free(&t);
    /* numeric: central differences at three step sizes. f(+h) + f(-h) - 2 f(0) estimates
     * the error of each (a ReLU kink crossed between -h and h: |error| = |second
     * difference| / 2h; curvature: smaller). The decoder crosses many ReLU kinks at large h
     * and float32 rounding dominates at small h, so the check passes if at one step size the
     * difference is within 2e-3 relative + twice the estimate, and the estimate is at most 5%.
     * (With the ReLUs replaced by a smooth activation, all four checks agree to 1e-4..1e-3
     * at every step size: see docs/decoder.md.) */
    const double steps[3] = {1e-3, 3e-4, 1e-4};
    int ok = 0;
    double want = ana - st_part;
    printf("%s %s: directional derivative, decisions frozen: analytic %.6e (tape %.6e minus straight-through %.6e)\n",
           f->kind, what, want, ana, st_part);
    for (int si = 0; si < 3; si++) {
        const double eps = steps[si], hs[3] = {eps, -eps, 0};
        double l[3] = {0};
        for (int k = 0; k < 3; k++) {
            fd_set(f, fr, theta, d, P, hs[k]);
            if (fd_forward(f, fr, &t, 0, &o, &l[k])) ag_tape_free(&t);
        }
        fd_set(f, fr, theta, d, P, 0);
        double num = (l[0] - l[1]) / (2 * eps), est = fabs(l[0] + l[1] - 2 * l[2]) / (2 * eps);
        double diff = fabs(num - want), rel = diff / fmax(fabs(want), 1e-30), erel = est / fmax(fabs(want), 1e-30);
        int pass = diff <= 2e-3 * fabs(want) + 2 * est && erel <= 0.05;
        ok |= pass;
        printf("  step %.0e: central difference %.6e, |diff| rel %.1e, error estimate rel %.1e%s\n", eps, num, rel, erel,
               pass ? " (ok)" : "");
    }
    tl_expect(ok && fabs(want) > 1e-3 && (!fr->ppqg || fabs(st_part) > 1e-3), "directional finite difference",
              "%s %s: no step size agrees with the analytic %.6e", f->kind, what, want);
done:
    free(seed);
    free(d);
    free(theta);
    free(g_logits);
}

static void test_directional(fixture *f) {
    ag_tape t;
    run_out o;
    /* the decisions and Vq of the eval forward */
    if (!run(f, &t, 0, NULL, NULL, NULL, &o)) return;
    const int64_t S = f->qcfg.num_pixel;
    fd_run fr = {0};
    fr.idx = malloc((size_t)(T_B * S) * sizeof(int64_t));
    memcpy(fr.idx, o.q.assign_idx, (size_t)(T_B * S) * sizeof(int64_t));
    fr.frozen.replay = 1;
    for (int i = 0; i < T_LAYERS; i++)
        if (o.masks.mask[i]) {
            fr.frozen.numel[i] = o.masks.numel[i];
            fr.frozen.mask[i] = malloc((size_t)o.masks.numel[i]);
            memcpy(fr.frozen.mask[i], o.masks.mask[i], (size_t)o.masks.numel[i]);
        }
    fr.n_vq = ag_numel(o.q.queries);
    fr.vq = malloc((size_t)fr.n_vq * sizeof(float));
    fr.d_vq = calloc((size_t)fr.n_vq, sizeof(float));
    memcpy(fr.vq, o.q.queries->data, (size_t)fr.n_vq * sizeof(float));
    ag_tape_free(&t);
    fr.n_r = 4096;
    fr.r = malloc((size_t)fr.n_r * sizeof(float));
    tl_fill_uniform(fr.r, fr.n_r, 777, -1.0f, 1.0f);
    /* PPQG: Vq is its output here, not an input */
    fd_run fq = fr;
    fq.ppqg = 1;
    fq.n_vq = 0;
    directional_one(f, &fq, "query generator");
    directional_one(f, &fr, "decoder");
    free(fr.idx);
    free(fr.vq);
    free(fr.d_vq);
    free(fr.r);
    for (int i = 0; i < T_LAYERS; i++) free(fr.frozen.mask[i]);
}

/* ---- 4: the assignment op ---- */
typedef struct assign_ctx {
    int64_t B, N, S;
    const float *x0, *noise, *dout;
    float *x;
    const int64_t *idx;
    float eps, tau;
} assign_ctx;

/* the surrogate the straight-through estimator differentiates:
 * L(x) = sum dout * norm(onehot(idx) + Y(x) - Y(x0)), Y = softmax over N of (x + noise)/tau */
static void soft_of(const assign_ctx *c, const float *x, double *y) {
    for (int64_t b = 0; b < c->B; b++)
        for (int64_t s = 0; s < c->S; s++) {
            double mx = -INFINITY, sum = 0;
            for (int64_t n = 0; n < c->N; n++) {
                int64_t k = (b * c->N + n) * c->S + s;
                mx = fmax(mx, ((double)x[k] + c->noise[k]) / c->tau);
            }
            for (int64_t n = 0; n < c->N; n++) {
                int64_t k = (b * c->N + n) * c->S + s;
                sum += y[k] = exp(((double)x[k] + c->noise[k]) / c->tau - mx);
            }
            for (int64_t n = 0; n < c->N; n++) y[(b * c->N + n) * c->S + s] /= sum;
        }
}

static double assign_surrogate(void *ctx) {
    const assign_ctx *c = ctx;
    const int64_t n_all = c->B * c->N * c->S;
    double *y = malloc((size_t)n_all * sizeof(double)), *y0 = malloc((size_t)n_all * sizeof(double)), l = 0;
    soft_of(c, c->x, y);
    soft_of(c, c->x0, y0);
    for (int64_t b = 0; b < c->B; b++)
        for (int64_t n = 0; n < c->N; n++) {
            double sum = 0;
            for (int64_t s = 0; s < c->S; s++) {
                int64_t k = (b * c->N + n) * c->S + s;
                y[k] = (c->idx[b * c->S + s] == n ? 1.0 : 0.0) + y[k] - y0[k];
                sum += y[k];
            }
            for (int64_t s = 0; s < c->S; s++) {
                int64_t k = (b * c->N + n) * c->S + s;
                l += c->dout[k] * y[k] / (sum + c->eps);
            }
        }
    free(y);
    free(y0);
    return l;
}

static void test_assign_op(void) {
    enum { B = 2, N = 5, S = 13 };
    float x[B * N * S], x0[B * N * S], noise[B * N * S], dout[B * N * S], dx[B * N * S] = {0};
    int64_t idx[B * S], forced[B * S];
    tl_fill_uniform(x, B * N * S, 1, -2, 2);
    tl_fill_uniform(noise, B * N * S, 2, -1, 1);
    tl_fill_uniform(dout, B * N * S, 3, -1, 1);
    memcpy(x0, x, sizeof x);
    for (int64_t k = 0; k < B * S; k++) forced[k] = (k * 3) % N;
    arena mem = {0};
    vct_error err = {0};
    arena_init(&mem, 1 << 20, &err);
    for (int force = 0; force < 2; force++) {
        ag_tape t;
        arena_rewind(&mem, 0);
        ag_tape_init(&t, &mem, NULL, 1, 16, &err);
        ag_var *lx = ag_leaf(&t, x, dx, 3, (int64_t[3]){B, N, S}, 1);
        memset(dx, 0, sizeof dx);
        ag_var *a = ag_assign(&t, lx, noise, 1.5f, 1.0f, force ? forced : NULL, idx);
        if (!a) {
            tl_fail("assign", "%s", t.err.msg);
            ag_tape_free(&t);
            continue;
        }
        /* forward: exactly onehot / (count + eps), the argmax of (x + noise) when not forced */
        int bad = 0;
        for (int64_t b = 0; b < B; b++)
            for (int64_t s = 0; s < S; s++) {
                int64_t best = 0;
                for (int64_t n = 1; n < N; n++)
                    if (x[(b * N + n) * S + s] + noise[(b * N + n) * S + s] >
                        x[(b * N + best) * S + s] + noise[(b * N + best) * S + s])
                        best = n;
                if (idx[b * S + s] != (force ? forced[b * S + s] : best)) bad++;
            }
        for (int64_t b = 0; b < B; b++)
            for (int64_t n = 0; n < N; n++) {
                int cnt = 0;
                for (int64_t s = 0; s < S; s++) cnt += idx[b * S + s] == n;
                for (int64_t s = 0; s < S; s++) {
                    float want = idx[b * S + s] == n ? 1.0f / ((float)cnt + 1.0f) : 0.0f;
                    bad += a->data[(b * N + n) * S + s] != want;
                }
            }
        tl_expect(bad == 0, force ? "assign: forced indices" : "assign: argmax and exact normalisation", "%d", bad);
        if (ag_backward(&t, a, dout, &err) != VCT_STATUS_OK) tl_fail("assign backward", "%s", err.msg);
        assign_ctx c = {B, N, S, x0, noise, dout, x, idx, 1.0f, 1.5f};
        tl_fd_opts fo = tl_fd_default();
        fo.samples = B * N * S;
        fo.atol = 1e-4;
        tl_fd_check(force ? "assign: straight-through gradient (forced)" : "assign: straight-through gradient", x,
                    B * N * S, dx, assign_surrogate, &c, fo);
        ag_tape_free(&t);
    }
    /* a forced index outside [0, N) is refused */
    ag_tape t;
    arena_rewind(&mem, 0);
    ag_tape_init(&t, &mem, NULL, 0, 0, &err);
    forced[3] = N;
    ag_var *a = ag_assign(&t, ag_leaf(&t, x, NULL, 3, (int64_t[3]){B, N, S}, 0), NULL, 1, 1, forced, idx);
    tl_expect(!a && strstr(t.err.msg, "forced index"), "assign: bad forced index refused", "%s", t.err.msg);
    ag_tape_free(&t);
    arena_free(&mem);
}

/* ---- 5: configuration ---- */
static void test_config(void) {
    vct_error err = {0};
    char path[1100];
    snprintf(path, sizeof path, "%s/model_best.pth", CASE_DIR);
    if (access(path, R_OK) == 0) {
        conform_case c;
        if (conform_case_load(CASE_DIR, &c, &err) != VCT_STATUS_OK) {
            tl_fail("case", "%s", err.msg);
        } else {
            av_decoder_config d;
            ppqg_config q;
            vct_status st = av_decoder_config_from_yaml(&d, c.config, &err);
            tl_expect(st == VCT_STATUS_OK && d.hidden_dim == 256 && d.num_heads == 8 && d.dim_feedforward == 256 &&
                          d.num_layers == 4 && d.num_queries == 16 && d.num_classes == 71 && d.mask_dim == 256 &&
                          d.has_proto_proj,
                      "case decoder config", "%s", err.msg);
            const char *pre = "sem_seg_head.predictor.visual_query_block.";
            if (st == VCT_STATUS_OK) st = ppqg_config_from_case(&q, &d, "avss_semantic", &c.weights, pre, &err);
            tl_expect(st == VCT_STATUS_OK && q.num_pixel == 96 * 96 && q.proj_channels == 256 && q.mixer_hidden == 256 &&
                          q.num_query == 16 && q.num_prototypes == 71 && q.in_channels == 256 && q.out_channels == 256,
                      "case PPQG config", "%s", err.msg);
            /* the checkpoint does not fit other tasks */
            st = ppqg_config_from_case(&q, &d, "avsms3_semantic", &c.weights, pre, &err);
            tl_expect(st != VCT_STATUS_OK && strstr(err.msg, "prototype.weight"), "MS3 refuses prototypes", "%s",
                      err.msg);
            st = ppqg_config_from_case(&q, &d, "avss4_semantic", &c.weights, pre, &err);
            tl_expect(st != VCT_STATUS_OK && strstr(err.msg, "[71,256], expected [23,256]"), "S4 needs 23 prototypes",
                      "%s", err.msg);
            /* and registers + loads against the checkpoint */
            param_table pt;
            av_decoder_weights dw;
            ppqg_weights qw;
            param_table_init(&pt);
            if (ppqg_config_from_case(&q, &d, "avss_semantic", &c.weights, pre, &err) == VCT_STATUS_OK) {
                av_decoder_register(&pt, "sem_seg_head.predictor.", &d, &dw, 0);
                ppqg_register(&pt, pre, &q, &qw, 0);
                st = param_table_alloc(&pt, &err);
                if (st == VCT_STATUS_OK) st = param_table_load(&pt, &c.weights, "model_best.pth", NULL, &err);
                tl_expect(st == VCT_STATUS_OK, "case decoder weights load", "%s", err.msg);
            }
            param_table_free(&pt);
            conform_case_free(&c);
        }
    } else {
        tl_skip("case decoder config", "no " CASE_DIR);
    }
    const char *base = "INPUT:\n  DATASET_MAPPER_NAME: avss_semantic\nMODEL:\n  SEM_SEG_HEAD:\n    NUM_CLASSES: 71\n"
                       "    MASK_DIM: 256\n    CONVS_DIM: 256\n  MASK_FORMER:\n    HIDDEN_DIM: 256\n    NHEADS: 8\n"
                       "    DIM_FEEDFORWARD: 2048\n    DEC_LAYERS: 10\n    NUM_OBJECT_QUERIES: 100\n";
    const char *extra[4] = {"    PRE_NORM: false\n    ENFORCE_INPUT_PROJ: false\n",
                            "    PRE_NORM: true\n    ENFORCE_INPUT_PROJ: false\n",
                            "    PRE_NORM: false\n    ENFORCE_INPUT_PROJ: true\n", "    PRE_NORM: false\n"};
    const char *want[4] = {NULL, "PRE_NORM", "ENFORCE_INPUT_PROJ", "ENFORCE_INPUT_PROJ"};
    for (int i = 0; i < 4; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s", base, extra[i]);
        cJSON *root = NULL;
        av_decoder_config d;
        vct_status st = yaml_parse(text, "test", &root, &err);
        if (st == VCT_STATUS_OK) st = av_decoder_config_from_yaml(&d, root, &err);
        if (!want[i])
            tl_expect(st == VCT_STATUS_OK && d.num_layers == 9 && d.dim_feedforward == 2048, "official config", "%s",
                      err.msg);
        else
            tl_expect(st != VCT_STATUS_OK && strstr(err.msg, want[i]), "unsupported config refused", "%s: %s",
                      want[i], err.msg);
        cJSON_Delete(root);
    }
}

/* mask features of the wrong size are refused with a message about the mixer's input */
static void test_wrong_size(fixture *f) {
    ag_tape t;
    vct_error err = {0};
    arena_rewind(&f->mem, 0);
    ag_tape_init(&t, &f->mem, &f->scratch, 0, 0, &err);
    ag_var *mf = ag_leaf(&t, f->in[4], NULL, 4, (int64_t[4]){T_B, T_C, T_WM, T_HM - 1}, 0);
    ag_var *vq = ppqg_forward(&t, &f->qcfg, &f->qw, mf, NULL, NULL, NULL);
    tl_expect(!vq && strstr(t.err.msg, "query mixer") && strstr(t.err.msg, "96*96"), "wrong mask-feature size refused",
              "%s", t.err.msg);
    ag_tape_free(&t);
}

int main(void) {
    const char *kinds[2] = {"proto", "vcq"};
    for (int k = 0; k < 2; k++) {
        fixture f;
        if (setup(&f, kinds[k])) {
            test_against_official(&f);
            test_forced_assignment(&f);
            test_mask_rule(&f);
            test_directional(&f);
            if (k == 0) test_wrong_size(&f);
        }
        teardown(&f);
    }
    test_assign_op();
    test_config();
    return tl_summary("decoder");
}
