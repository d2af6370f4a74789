/* test_rng.c: torch_generator against torch 1.13.1's CPU generator, bit for bit
 * (tests/ref/gen_rng.py), the conformance case's 44 recorded draws regenerated
 * from its train seed, and the draw source's record / replay paths including
 * every error case. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "io/npy.h"
#include "testlib.h"

#define CASE_DIR "../shared/conformance/cases/ss-reduced-1f"

static const int rand_sizes[] = {1, 7, 15, 16, 17, 100, 1000, 9216};
static const int bern_sizes[] = {1, 2, 3, 4, 16, 17, 100};
static const int randn_sizes[] = {1, 2, 3, 7, 15, 16, 17, 31, 32, 100, 1000, 9216};
static const int gumbel_numel[] = {1, 7, 17, 100, 3 * 5 * 7, 16 * 1000};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* every element bit-identical; prints the first mismatches */
static int check_bits(const char *name, const float *got, const float *want, int64_t n) {
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        if (memcmp(&got[i], &want[i], sizeof(float)) == 0) continue;
        if (bad < 5)
            fprintf(stderr, "  %s[%lld]: got %.9g (%a), want %.9g (%a)\n", name, (long long)i, got[i], got[i],
                    want[i], want[i]);
        bad++;
    }
    if (bad) {
        tl_fail(name, "%lld of %lld elements differ", (long long)bad, (long long)n);
        return 0;
    }
    tl_pass(name);
    return 1;
}

/* compare out (n floats) with reference tensor `name` */
static void check_ref(const tensor_dict *ref, const char *name, const float *got, int64_t n) {
    int64_t m = 0;
    const float *want = tl_ref_f32(ref, name, &m);
    if (!want) return;
    if (!tl_expect(m == n, name, "reference has %lld elements, test made %lld", (long long)m, (long long)n)) return;
    check_bits(name, got, want, n);
}

static void test_generator(const tensor_dict *ref) {
    const tensor *st = tl_ref_tensor(ref, "seeds");
    const tensor *pt = tl_ref_tensor(ref, "bern.p");
    if (!st || !pt || st->dtype != VCT_DTYPE_I64 || pt->dtype != VCT_DTYPE_F64) {
        tl_fail("rng ref", "seeds (I64) / bern.p (F64) missing or mistyped: run `make ref`");
        return;
    }
    const int64_t *seeds = st->data;
    const double *ps = pt->data;
    int S = (int)tensor_numel(st), P = (int)tensor_numel(pt);
    float *buf = malloc(20000 * sizeof *buf);
    char name[128];
    torch_generator g;
    if (!buf) return;
    for (int i = 0; i < S; i++) {
        uint64_t s = (uint64_t)seeds[i];
        for (int k = 0; k < COUNT(rand_sizes); k++) {
            int n = rand_sizes[k];
            if (n >= 1000 && i >= 3) continue;
            torch_generator_manual_seed(&g, s);
            torch_rand_f32(&g, buf, n);
            snprintf(name, sizeof name, "rand.s%d.n%d", i, n);
            check_ref(ref, name, buf, n);
        }
        torch_generator_manual_seed(&g, s);
        torch_rand_f32(&g, buf, 105);
        snprintf(name, sizeof name, "rand.shape.s%d", i);
        check_ref(ref, name, buf, 105);
        torch_generator_init(&g); /* a fresh Generator().manual_seed(s) */
        torch_generator_manual_seed(&g, s);
        torch_rand_f32(&g, buf, 17);
        snprintf(name, sizeof name, "rand.gen.s%d", i);
        check_ref(ref, name, buf, 17);
        for (int k = 0; k < COUNT(bern_sizes); k++)
            for (int j = 0; j < P; j++) {
                torch_generator_manual_seed(&g, s);
                torch_bernoulli_f32(&g, buf, bern_sizes[k], ps[j]);
                snprintf(name, sizeof name, "bern.s%d.n%d.p%d", i, bern_sizes[k], j);
                check_ref(ref, name, buf, bern_sizes[k]);
            }
        if (i < 4) {
            for (int k = 0; k < COUNT(randn_sizes); k++) {
                int n = randn_sizes[k];
                if (n >= 1000 && i >= 2) continue;
                torch_generator_manual_seed(&g, s);
                torch_normal_f32(&g, buf, n, 0.0, 1.0);
                snprintf(name, sizeof name, "randn.s%d.n%d", i, n);
                check_ref(ref, name, buf, n);
            }
            for (int n = 5; n <= 40; n += 35) {
                torch_generator_manual_seed(&g, s);
                torch_normal_f32(&g, buf, n, 0.3, 1.7);
                snprintf(name, sizeof name, "normal.s%d.n%d", i, n);
                check_ref(ref, name, buf, n);
            }
        }
        if (i < 3) {
            for (int k = 0; k < COUNT(gumbel_numel); k++) {
                if (k == COUNT(gumbel_numel) - 1 && i > 0) continue;
                torch_generator_manual_seed(&g, s);
                torch_gumbel_f32(&g, buf, gumbel_numel[k]);
                snprintf(name, sizeof name, "gumbel.s%d.k%d", i, k);
                check_ref(ref, name, buf, gumbel_numel[k]);
            }
            /* gen_rng.py seq(): mixed calls after one seed, then a reseed */
            float *o = buf;
            torch_generator_manual_seed(&g, s);
            torch_rand_f32(&g, o, 5), o += 5;
            torch_normal_f32(&g, o, 3, 0.0, 1.0), o += 3;
            torch_bernoulli_f32(&g, o, 2, 0.9), o += 2;
            torch_normal_f32(&g, o, 1, 0.0, 1.0), o += 1;
            torch_gumbel_f32(&g, o, 20), o += 20;
            torch_normal_f32(&g, o, 20, 0.0, 1.0), o += 20;
            torch_normal_f32(&g, o, 1, 0.0, 1.0), o += 1;
            torch_rand_f32(&g, o, 17), o += 17;
            torch_bernoulli_f32(&g, o, 16, 0.5), o += 16;
            torch_normal_f32(&g, o, 2, 0.0, 1.0), o += 2;
            torch_normal_f32(&g, o, 5, 0.3, 1.7), o += 5;
            torch_generator_manual_seed(&g, s);
            torch_normal_f32(&g, o, 1, 0.0, 1.0), o += 1;
            snprintf(name, sizeof name, "seq.s%d", i);
            check_ref(ref, name, buf, o - buf);
        }
    }
    torch_generator_init(&g);
    torch_rand_f32(&g, buf, 5);
    check_ref(ref, "rand.fresh", buf, 5);

    const tensor *pst = tl_ref_tensor(ref, "perturb.seed");
    if (pst && pst->dtype == VCT_DTYPE_I64 && tensor_numel(pst) == 2) {
        const int64_t *pseed = pst->data;
        const int numel[2] = {16 * 64, 7 * 9};
        for (int k = 0; k < 2; k++) {
            torch_generator_init(&g);
            torch_generator_manual_seed(&g, (uint64_t)pseed[k]);
            torch_normal_f32(&g, buf, numel[k], 0.0, 1.0);
            snprintf(name, sizeof name, "perturb.k%d", k);
            check_ref(ref, name, buf, numel[k]);
        }
    } else {
        tl_fail("perturb.seed", "missing or not I64[2]: run `make ref`");
    }
    free(buf);
}

/* Regenerate the conformance case's recorded draws from its train seed: the
 * kinds and shapes come from train.npz through the replay source, the keep
 * probabilities (Swin's per-block drop-path rates) from gen_rng.py. */
static void test_conformance_draws(const tensor_dict *ref) {
    const char *path = CASE_DIR "/train.npz";
    FILE *f = fopen(path, "rb");
    if (!f) {
        tl_skip("conformance draws", "no " CASE_DIR "/train.npz");
        return;
    }
    fclose(f);
    tensor_dict rec;
    vct_error err = {0};
    if (npz_read(path, &rec, &err) != VCT_STATUS_OK) {
        tl_fail("conformance draws", "%s", err.msg);
        return;
    }
    draw_source rep, gen;
    torch_generator g;
    const tensor *kp = tl_ref_tensor(ref, "conf.keep_prob");
    const char *seed_s = tensor_dict_get_meta(ref, "conf_train_seed");
    if (!kp || kp->dtype != VCT_DTYPE_F64 || !seed_s) {
        tl_fail("conformance draws", "conf.keep_prob / conf_train_seed missing: run `make ref`");
        tensor_dict_free(&rec);
        return;
    }
    if (draw_source_init_replay(&rep, &rec, "rng", &err) != VCT_STATUS_OK) {
        tl_fail("conformance draws", "%s", err.msg);
        tensor_dict_free(&rec);
        return;
    }
    tl_expect(rep.n_draws == tensor_numel(kp) && rep.n_draws > 0, "conformance draw count",
              "train.npz has %lld draws, gen_rng.py saw %lld (run `make ref`)", (long long)rep.n_draws,
              (long long)tensor_numel(kp));
    torch_generator_manual_seed(&g, (uint64_t)strtoull(seed_s, NULL, 10));
    draw_source_init_generate(&gen, &g);
    const double *keep = kp->data;
    int64_t bad = 0, kinds[3] = {0, 0, 0};
    for (int64_t k = 0; k < rep.n_draws && k < tensor_numel(kp) && !bad; k++) {
        const tensor *t = rep.draws[k];
        const char *kind = rep.kinds[k];
        int64_t n = tensor_numel(t);
        float *a = malloc((size_t)(n ? n : 1) * sizeof *a), *b = malloc((size_t)(n ? n : 1) * sizeof *b);
        vct_status s1, s2;
        if (strcmp(kind, "droppath_keep") == 0) {
            s1 = draw_source_droppath_keep(&gen, a, t->shape[0], t->ndim, keep[k], NULL, &err);
            s2 = draw_source_droppath_keep(&rep, b, t->shape[0], t->ndim, keep[k], NULL, &err);
            kinds[0]++;
        } else if (strcmp(kind, "gumbel") == 0) {
            s1 = draw_source_gumbel(&gen, a, t->ndim, t->shape, NULL, &err);
            s2 = draw_source_gumbel(&rep, b, t->ndim, t->shape, NULL, &err);
            kinds[1]++;
        } else {
            s1 = draw_source_rand(&gen, a, t->ndim, t->shape, NULL, &err);
            s2 = draw_source_rand(&rep, b, t->ndim, t->shape, NULL, &err);
            kinds[2]++;
        }
        char name[96];
        snprintf(name, sizeof name, "conformance draw %lld (%s)", (long long)k, kind);
        if (!tl_expect(s1 == VCT_STATUS_OK && s2 == VCT_STATUS_OK, name, "%s", err.msg) ||
            !check_bits(name, a, b, n))
            bad++;
        free(a);
        free(b);
    }
    tl_expect(!bad && kinds[0] > 0 && kinds[1] > 0 && kinds[2] > 0, "conformance draws regenerated",
              "%lld droppath, %lld gumbel, %lld rand draws", (long long)kinds[0], (long long)kinds[1],
              (long long)kinds[2]);
    tl_expect(bad || draw_source_finish(&rep, &err) == VCT_STATUS_OK, "conformance replay finished", "%s",
              err.msg);
    draw_source_free(&rep);
    draw_source_free(&gen);
    tensor_dict_free(&rec);
}

/* status st with a message holding every needle, in that order */
static void expect_error(const char *name, vct_status st, vct_status want, const vct_error *err,
                         const char *const *needles, int n) {
    const char *p = err->msg;
    int ok = st == want;
    for (int i = 0; i < n && ok; i++) {
        const char *q = strstr(p, needles[i]);
        if (!q) ok = 0;
        else p = q + strlen(needles[i]);
    }
    tl_expect(ok, name, "status %d (want %d), message '%s'", st, want, err->msg);
}

/* the draws of the synthetic recording, in order */
static vct_status synthetic_draws(draw_source *ds, float out[5][16], vct_error *err) {
    VCT_TRY(draw_source_droppath_keep(ds, out[0], 2, 3, 0.7, "blocks.0", err));
    VCT_TRY(draw_source_gumbel(ds, out[1], 2, (const int64_t[]){2, 3}, "gumbel_softmax", err));
    VCT_TRY(draw_source_rand(ds, out[2], 3, (const int64_t[]){1, 4, 2}, "matcher", err));
    VCT_TRY(draw_source_droppath_keep(ds, out[3], 4, 4, 0.5, "blocks.1", err));
    VCT_TRY(draw_source_rand(ds, out[4], 1, (const int64_t[]){3}, "points", err));
    return VCT_STATUS_OK;
}

static void add_f32(tensor_dict *d, const char *name, int ndim, const int64_t *shape, const float *v) {
    vct_error err = {0};
    if (tensor_dict_add(d, name, VCT_DTYPE_F32, ndim, shape, v, NULL, &err) != VCT_STATUS_OK)
        tl_fail(name, "%s", err.msg);
}

static void test_draw_source(void) {
    torch_generator g, g2;
    tensor_dict rec;
    draw_source ds;
    vct_error err = {0};
    float gen[5][16], rep[5][16], direct[5][16];
    const int64_t numel[5] = {2, 6, 8, 4, 3};
    tensor_dict_init(&rec);

    /* record: same values as calling the generator directly, named like the harness */
    torch_generator_manual_seed(&g, 5);
    draw_source_init_record(&ds, &g, &rec, "rng");
    tl_expect(synthetic_draws(&ds, gen, &err) == VCT_STATUS_OK, "record draws", "%s", err.msg);
    tl_expect(ds.pos == 5 && rec.count == 5, "record count", "pos %lld, %lld tensors", (long long)ds.pos,
              (long long)rec.count);
    torch_generator_manual_seed(&g2, 5);
    torch_bernoulli_f32(&g2, direct[0], 2, 0.7);
    torch_gumbel_f32(&g2, direct[1], 6);
    torch_rand_f32(&g2, direct[2], 8);
    torch_bernoulli_f32(&g2, direct[3], 4, 0.5);
    torch_rand_f32(&g2, direct[4], 3);
    for (int k = 0; k < 5; k++) {
        char name[64];
        snprintf(name, sizeof name, "generate draw %d", k);
        check_bits(name, gen[k], direct[k], numel[k]);
    }
    const tensor *t0 = tensor_dict_find(&rec, "rng.0000.droppath_keep");
    const tensor *t2 = tensor_dict_find(&rec, "rng.0002.torch.rand");
    tl_expect(t0 && t0->ndim == 3 && t0->shape[0] == 2 && t0->shape[1] == 1 && t0->shape[2] == 1 && t2 &&
                  t2->ndim == 3 && t2->shape[1] == 4 && tensor_dict_find(&rec, "rng.0001.gumbel") &&
                  tensor_dict_find(&rec, "rng.0004.torch.rand"),
              "record names and shapes", "harness-style names missing");

    /* other tensors in the dict are ignored by replay */
    add_f32(&rec, "loss.total", 0, NULL, gen[0]);
    add_f32(&rec, "rngx.0000.gumbel", 1, (const int64_t[]){1}, gen[0]);
    add_f32(&rec, "rng.abc.gumbel", 1, (const int64_t[]){1}, gen[0]);

    /* replay returns the recording, in order */
    tl_expect(draw_source_init_replay(&ds, &rec, "rng", &err) == VCT_STATUS_OK && ds.n_draws == 5,
              "replay init", "%s (n_draws %lld)", err.msg, (long long)ds.n_draws);
    tl_expect(synthetic_draws(&ds, rep, &err) == VCT_STATUS_OK, "replay draws", "%s", err.msg);
    for (int k = 0; k < 5; k++) {
        char name[64];
        snprintf(name, sizeof name, "replay draw %d", k);
        check_bits(name, rep[k], gen[k], numel[k]);
    }
    tl_expect(draw_source_finish(&ds, &err) == VCT_STATUS_OK, "replay finish", "%s", err.msg);
    /* exhaustion */
    vct_status st = draw_source_rand(&ds, rep[0], 1, (const int64_t[]){3}, "points", &err);
    expect_error("replay exhausted", st, VCT_STATUS_SHAPE, &err,
                 (const char *const[]){"ran out", "draw 5", "torch.rand [3]", "points", "5 draws"}, 5);
    draw_source_free(&ds);

    /* wrong kind at draw 0: recorded first, requested second */
    draw_source_init_replay(&ds, &rec, "rng", &err);
    st = draw_source_gumbel(&ds, rep[0], 3, (const int64_t[]){2, 1, 1}, "gumbel_softmax", &err);
    expect_error("replay wrong kind", st, VCT_STATUS_SHAPE, &err,
                 (const char *const[]){"draw 0", "recorded droppath_keep [2,1,1]", "now gumbel [2,1,1]",
                                       "gumbel_softmax"},
                 4);
    tl_expect(ds.pos == 0, "failed draw not consumed", "pos %lld", (long long)ds.pos);
    /* wrong shape at draw 1 */
    draw_source_droppath_keep(&ds, rep[0], 2, 3, 0.7, NULL, &err);
    st = draw_source_gumbel(&ds, rep[1], 2, (const int64_t[]){3, 2}, NULL, &err);
    expect_error("replay wrong shape", st, VCT_STATUS_SHAPE, &err,
                 (const char *const[]){"draw 1", "recorded gumbel [2,3]", "now gumbel [3,2]"}, 3);
    /* droppath_keep with another batch (same kind, other shape) */
    draw_source_gumbel(&ds, rep[1], 2, (const int64_t[]){2, 3}, NULL, &err);
    draw_source_rand(&ds, rep[2], 3, (const int64_t[]){1, 4, 2}, NULL, &err);
    st = draw_source_droppath_keep(&ds, rep[3], 4, 3, 0.5, "blocks.1", &err);
    expect_error("replay droppath ndim", st, VCT_STATUS_SHAPE, &err,
                 (const char *const[]){"draw 3", "recorded droppath_keep [4,1,1,1]", "now droppath_keep [4,1,1]"},
                 3);
    /* unused draws */
    st = draw_source_finish(&ds, &err);
    expect_error("replay unfinished", st, VCT_STATUS_SHAPE, &err,
                 (const char *const[]){"3 of 5", "draw 3", "droppath_keep"}, 3);
    draw_source_free(&ds);

    /* call sites (manifest.json rng_draws): equal, or a prefix before ':<line>' */
    const char *const sites[5] = {"blocks.0", "gumbel_softmax:68", "matcher:107", NULL, "points"};
    draw_source_init_replay(&ds, &rec, "rng", &err);
    st = draw_source_set_sites(&ds, sites, 4, &err);
    expect_error("sites: count", st, VCT_STATUS_FORMAT, &err, (const char *const[]){"4 call sites", "5 recorded"}, 2);
    tl_expect(draw_source_set_sites(&ds, sites, 5, &err) == VCT_STATUS_OK, "sites: set", "%s", err.msg);
    tl_expect(synthetic_draws(&ds, rep, &err) == VCT_STATUS_OK, "sites: matching draws", "%s", err.msg);
    draw_source_free(&ds);
    draw_source_init_replay(&ds, &rec, "rng", &err);
    draw_source_set_sites(&ds, sites, 5, &err);
    draw_source_droppath_keep(&ds, rep[0], 2, 3, 0.7, "blocks.0", &err);
    st = draw_source_gumbel(&ds, rep[1], 2, (const int64_t[]){2, 3}, "gumbel_soft", &err);
    expect_error("sites: other site", st, VCT_STATUS_SHAPE, &err,
                 (const char *const[]){"draw 1", "at gumbel_softmax:68", "now gumbel [2,3] at gumbel_soft"}, 3);
    tl_expect(ds.pos == 1, "sites: failed draw not consumed", "pos %lld", (long long)ds.pos);
    st = draw_source_gumbel(&ds, rep[1], 2, (const int64_t[]){2, 3}, NULL, &err);
    tl_expect(st == VCT_STATUS_OK, "sites: a draw without a site is not checked", "%s", err.msg);
    draw_source_free(&ds);
    draw_source_init_generate(&ds, &g);
    st = draw_source_set_sites(&ds, sites, 5, &err);
    expect_error("sites: generate mode", st, VCT_STATUS_INVALID_ARGUMENT, &err,
                 (const char *const[]){"only a replaying"}, 1);
    draw_source_free(&ds);

    /* generate mode: bad arguments */
    draw_source_init_generate(&ds, &g);
    st = draw_source_droppath_keep(&ds, rep[0], 2, 3, 1.5, "blocks.0", &err);
    expect_error("keep_prob out of range", st, VCT_STATUS_INVALID_ARGUMENT, &err,
                 (const char *const[]){"draw 0", "blocks.0", "1.5"}, 3);
    st = draw_source_rand(&ds, rep[0], 2, (const int64_t[]){2, -1}, NULL, &err);
    expect_error("negative shape", st, VCT_STATUS_INVALID_ARGUMENT, &err, (const char *const[]){"[2,-1]"}, 1);
    tl_expect(ds.pos == 0, "generate: failed draws not counted", "pos %lld", (long long)ds.pos);
    draw_source_free(&ds);
    tensor_dict_free(&rec);

    /* malformed recordings */
    float half[2] = {0.5f, 1.0f};
    tensor_dict_init(&rec);
    add_f32(&rec, "rng.0000.droppath_keep", 3, (const int64_t[]){2, 1, 1}, half);
    draw_source_init_replay(&ds, &rec, "rng", &err);
    st = draw_source_droppath_keep(&ds, rep[0], 2, 3, 0.7, "blocks.0", &err);
    expect_error("replay keep mask not 0/1", st, VCT_STATUS_FORMAT, &err,
                 (const char *const[]){"draw 0", "blocks.0", "0.5", "batch 0"}, 4);
    draw_source_free(&ds);
    add_f32(&rec, "rng.0002.torch.rand", 1, (const int64_t[]){2}, half);
    st = draw_source_init_replay(&ds, &rec, "rng", &err);
    expect_error("replay gap", st, VCT_STATUS_FORMAT, &err, (const char *const[]){"rng.0002.torch.rand", "0..1"}, 2);
    add_f32(&rec, "rng.1.gumbel", 1, (const int64_t[]){2}, half);
    add_f32(&rec, "rng.000.gumbel", 1, (const int64_t[]){2}, half);
    st = draw_source_init_replay(&ds, &rec, "rng", &err);
    expect_error("replay duplicate", st, VCT_STATUS_FORMAT, &err,
                 (const char *const[]){"draw 0 recorded twice", "rng.000.gumbel"}, 2);
    tensor_dict_free(&rec);
    tensor_dict_init(&rec);
    double dv = 0.25;
    tensor_dict_add(&rec, "rng.0000.torch.rand", VCT_DTYPE_F64, 1, (const int64_t[]){1}, &dv, NULL, &err);
    st = draw_source_init_replay(&ds, &rec, "rng", &err);
    expect_error("replay dtype", st, VCT_STATUS_FORMAT, &err, (const char *const[]){"rng.0000.torch.rand", "F64"}, 2);
    tensor_dict_free(&rec);
    /* an empty recording: the first draw runs out */
    tensor_dict_init(&rec);
    tl_expect(draw_source_init_replay(&ds, &rec, "rng", &err) == VCT_STATUS_OK && ds.n_draws == 0,
              "replay empty init", "%s", err.msg);
    st = draw_source_gumbel(&ds, rep[0], 1, (const int64_t[]){4}, NULL, &err);
    expect_error("replay empty", st, VCT_STATUS_SHAPE, &err, (const char *const[]){"ran out", "draw 0", "0 draws"}, 3);
    draw_source_free(&ds);
    tensor_dict_free(&rec);
}

/* MT19937 itself: the 10000th output of seed 5489 is 4123659995 (the
 * standard's published check value, C++ [rand.predef]) */
static void test_mt19937(void) {
    torch_generator g;
    torch_generator_manual_seed(&g, 5489);
    uint32_t v = 0;
    for (int i = 0; i < 10000; i++) v = torch_generator_random(&g);
    tl_expect(v == 4123659995u, "mt19937 check value", "got %u", v);
    /* seeds are truncated to 32 bits */
    torch_generator a, b;
    torch_generator_manual_seed(&a, UINT64_C(0x100000007));
    torch_generator_manual_seed(&b, 7);
    tl_expect(torch_generator_random64(&a) == torch_generator_random64(&b), "seed low 32 bits", "differ");
}

int main(void) {
    tensor_dict ref;
    test_mt19937();
    test_draw_source();
    if (tl_ref_open("rng", &ref) == 0) {
        test_generator(&ref);
        test_conformance_draws(&ref);
        tensor_dict_free(&ref);
    }
    return tl_summary("rng");
}
