/* test_metrics.c: vct's evaluator against the OFFICIAL AVSBench / VCT metric code.
 *
 * tests/ref/gen_metrics.py ran the official functions (imported from exports of
 * OpenNLPLab/AVSBench and spyflying/VCT_AVS through the conformance harness) on
 * 24 random prediction sets per task; this test rebuilds the same sets from the
 * same splitmix64 draws, writes them as PNG/.npy files, runs eval_run (the code
 * behind `vct eval`) and compares M_J and M_F of every flavour with the official
 * results (bound 1e-6; the worst difference is printed). It also checks bit for
 * bit the pieces that decide pixels: torch's sigmoid (vector and scalar paths),
 * the 255 F-measure thresholds, and torch.sum's order for float32 means. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/eval.h"
#include "data/metrics.h"
#include "io/fs.h"
#include "io/image.h"
#include "io/npy.h"
#include "testlib.h"

#define TOL 1e-6
static const int SIZES[6][2] = {{7, 9}, {12, 12}, {16, 20}, {24, 24}, {9, 31}, {20, 13}};
static const char *const TASKS[3] = {"s4", "ms3", "avss"};

/* ---- the generator of gen_metrics.py ------------------------------------------------- */

typedef struct sm {
    uint64_t s;
} sm;

static uint64_t sm_next(sm *r) {
    r->s += 0x9E3779B97F4A7C15ull;
    uint64_t z = r->s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int64_t below(sm *r, int64_t n) { return (int64_t)(sm_next(r) % (uint64_t)n); }

static uint64_t set_seed(int task, int set) { return 0x5EED0000ull + 1000ull * (uint64_t)task + (uint64_t)set; }

static int write_png(const char *path, const uint8_t *px, int64_t h, int64_t w, int c) {
    image_u8 im = {(uint8_t *)px, h, w, c};
    vct_error err = {0};
    if (image_write_png(path, &im, NULL, 0, &err) != VCT_STATUS_OK) {
        tl_fail("write", "%s", err.msg);
        return 0;
    }
    return 1;
}

static int write_npy(const char *path, const void *data, vct_dtype dt, int64_t h, int64_t w) {
    tensor t = {(void *)data, dt, 2, {h, w}};
    vct_error err = {0};
    if (npy_write(path, &t, &err) != VCT_STATUS_OK) {
        tl_fail("write", "%s", err.msg);
        return 0;
    }
    return 1;
}

static void palette(uint8_t pal[71][3]) {
    for (int c = 0; c < 71; c++) avs_palette_colour(c, pal[c]);
}

static void video_rel(char *buf, size_t cap, int task, int v) {
    if (task == 0) snprintf(buf, cap, "c%d/v%d", v % 2, v);
    else snprintf(buf, cap, "v%d", v);
}

/* Binary set: files under gt/ and pred/; returns the batch size, or -1. */
static int gen_binary(const char *gt, const char *pred, int task, int set, const float *border, int64_t n_border,
                      const float *split, int64_t n_split) {
    sm r = {set_seed(task, set)};
    int nv = 1 + (int)below(&r, 7);
    int varied = below(&r, 4) == 0;
    int si = (int)below(&r, 6), H = SIZES[si][0], W = SIZES[si][1];
    int pred_png = below(&r, 5) == 0;
    int gt_npy = below(&r, 6) == 0;
    int batch = 1 + (int)below(&r, 4);
    if (below(&r, 3) == 0) { /* logits the two sigmoid paths decide differently */
        border = split;
        n_border = n_split;
    }
    uint8_t *g = malloc((size_t)(H * W)), *pp = malloc((size_t)(H * W)), *g255 = malloc((size_t)(H * W));
    float *x = malloc((size_t)(H * W) * sizeof *x);
    int ok = 1;
    for (int v = 0; v < nv && ok; v++) {
        int T = varied ? 1 + (int)below(&r, 6) : 5;
        char vr[64];
        video_rel(vr, sizeof vr, task, v);
        for (int t = 0; t < T && ok; t++) {
            int mode = (int)below(&r, 20);
            memset(g, 0, (size_t)(H * W));
            if (mode >= 5) {
                int nb = 1 + (int)below(&r, 2);
                for (int b = 0; b < nb; b++) {
                    int y0 = (int)below(&r, H), x0 = (int)below(&r, W);
                    int hh = 1 + (int)below(&r, H - y0), ww = 1 + (int)below(&r, W - x0);
                    for (int y = y0; y < y0 + hh; y++)
                        for (int xx = x0; xx < x0 + ww; xx++) g[y * W + xx] = 1;
                }
            } else if (mode >= 3) {
                memset(g, 1, (size_t)(H * W));
            }
            if (pred_png) {
                for (int i = 0; i < H * W; i++) {
                    int k = (int)below(&r, 3);
                    if (k == 0) pp[i] = (uint8_t)below(&r, 256);
                    else if (g[i]) pp[i] = (uint8_t)(128 + below(&r, 128));
                    else pp[i] = (uint8_t)below(&r, 128);
                }
            } else {
                for (int i = 0; i < H * W; i++) {
                    int k = (int)below(&r, 40);
                    if (k < 22) {
                        int64_t m = below(&r, 1 << 21) - (1 << 20) + (g[i] ? (1 << 16) : -(1 << 16));
                        x[i] = (float)m * 0x1p-16f;
                    } else if (k < 28) {
                        int64_t m = below(&r, 1 << 11) - (1 << 10);
                        x[i] = (float)m * 0x1p-32f;
                    } else if (k < 39) {
                        x[i] = border[below(&r, n_border)];
                    } else {
                        x[i] = below(&r, 2) ? INFINITY : -INFINITY;
                    }
                }
            }
            char dg[2048], dp[2048], fg[2100], fp[2100];
            snprintf(dg, sizeof dg, "%s/%s", gt, vr);
            snprintf(dp, sizeof dp, "%s/%s", pred, vr);
            fs_mkdirs(dg, NULL);
            fs_mkdirs(dp, NULL);
            snprintf(fg, sizeof fg, "%s/f%d.%s", dg, t + 1, gt_npy ? "npy" : "png");
            snprintf(fp, sizeof fp, "%s/f%d.%s", dp, t + 1, pred_png ? "png" : "npy");
            for (int i = 0; i < H * W; i++) g255[i] = g[i] ? 255 : 0;
            ok = gt_npy ? write_npy(fg, g, VCT_DTYPE_U8, H, W) : write_png(fg, g255, H, W, 1);
            if (ok) ok = pred_png ? write_png(fp, pp, H, W, 1) : write_npy(fp, x, VCT_DTYPE_F32, H, W);
        }
    }
    free(g);
    free(pp);
    free(g255);
    free(x);
    return ok ? batch : -1;
}

static int gen_avss(const char *gt, const char *pred, int task, int set) {
    sm r = {set_seed(task, set)};
    int nv = 1 + (int)below(&r, 6);
    int varied = below(&r, 4) == 0;
    int si = (int)below(&r, 6), H = SIZES[si][0], W = SIZES[si][1];
    int nsub = 2 + (int)below(&r, 8), sub[10];
    for (int i = 0; i < nsub; i++) sub[i] = 1 + (int)below(&r, 70);
    int gt_fmt = (int)below(&r, 3), pred_fmt = (int)below(&r, 3);
    int batch = 1 + (int)below(&r, 4);
    uint8_t pal[71][3];
    palette(pal);
    uint8_t *g = malloc((size_t)(H * W)), *p = malloc((size_t)(H * W)), *rgb = malloc((size_t)(H * W * 3));
    int32_t *g32 = malloc((size_t)(H * W) * sizeof *g32);
    int64_t *p64 = malloc((size_t)(H * W) * sizeof *p64);
    int ok = 1;
    for (int v = 0; v < nv && ok; v++) {
        int T = varied ? 1 + (int)below(&r, 10) : (below(&r, 2) ? 5 : 10);
        char vr[64];
        video_rel(vr, sizeof vr, task, v);
        for (int t = 0; t < T && ok; t++) {
            memset(g, 0, (size_t)(H * W));
            int mode = (int)below(&r, 20);
            if (mode == 2) {
                memset(g, sub[below(&r, nsub)], (size_t)(H * W));
            } else if (mode > 2) {
                int nb = 1 + (int)below(&r, 3);
                for (int b = 0; b < nb; b++) {
                    int c = sub[below(&r, nsub)];
                    int y0 = (int)below(&r, H), x0 = (int)below(&r, W);
                    int hh = 1 + (int)below(&r, H - y0), ww = 1 + (int)below(&r, W - x0);
                    for (int y = y0; y < y0 + hh; y++)
                        for (int xx = x0; xx < x0 + ww; xx++) g[y * W + xx] = (uint8_t)c;
                }
            }
            int pm = (int)below(&r, 20);
            if (pm == 0) {
                memset(p, 0, (size_t)(H * W));
            } else if (pm == 1) {
                memset(p, sub[below(&r, nsub)], (size_t)(H * W));
            } else {
                memcpy(p, g, (size_t)(H * W));
                for (int i = 0; i < H * W; i++)
                    if (below(&r, 8) == 0) {
                        int k = (int)below(&r, 50);
                        if (k == 0) p[i] = (uint8_t)(1 + below(&r, 70));
                        else if (k < 17) p[i] = 0;
                        else p[i] = (uint8_t)sub[below(&r, nsub)];
                    }
            }
            char dg[2048], dp[2048], fg[2100], fp[2100];
            snprintf(dg, sizeof dg, "%s/%s", gt, vr);
            snprintf(dp, sizeof dp, "%s/%s", pred, vr);
            fs_mkdirs(dg, NULL);
            fs_mkdirs(dp, NULL);
            snprintf(fg, sizeof fg, "%s/f%d.%s", dg, t + 1, gt_fmt == 2 ? "npy" : "png");
            snprintf(fp, sizeof fp, "%s/f%d.%s", dp, t + 1, pred_fmt == 0 ? "npy" : "png");
            if (gt_fmt == 0) {
                for (int i = 0; i < H * W; i++) memcpy(rgb + 3 * i, pal[g[i]], 3);
                ok = write_png(fg, rgb, H, W, 3);
            } else if (gt_fmt == 1) {
                ok = write_png(fg, g, H, W, 1);
            } else {
                for (int i = 0; i < H * W; i++) g32[i] = g[i];
                ok = write_npy(fg, g32, VCT_DTYPE_I32, H, W);
            }
            if (!ok) break;
            if (pred_fmt == 0) {
                for (int i = 0; i < H * W; i++) p64[i] = p[i];
                ok = write_npy(fp, p64, VCT_DTYPE_I64, H, W);
            } else if (pred_fmt == 1) {
                for (int i = 0; i < H * W; i++) memcpy(rgb + 3 * i, pal[p[i]], 3);
                ok = write_png(fp, rgb, H, W, 3);
            } else {
                ok = write_png(fp, p, H, W, 1);
            }
        }
    }
    free(g);
    free(p);
    free(rgb);
    free(g32);
    free(p64);
    return ok ? batch : -1;
}

/* ---- checks ------------------------------------------------------------------------------ */

static double worst = 0, worst_fl[3][4]; /* [task][avsbench, avsbench padded, vct, ours] */
static int cur_task, cur_fl;

static void cmp(const char *name, double got, double want) {
    double d = fabs(got - want);
    if (d > worst) worst = d;
    if (d > worst_fl[cur_task][cur_fl]) worst_fl[cur_task][cur_fl] = d;
    if (!(d <= TOL)) tl_fail(name, "vct %.9f, official %.9f (diff %.3g > %g)", got, want, d, TOL);
}

static void check_bitwise(const tensor_dict *ref) {
    int64_t n = 0;
    const float *th = tl_ref_f32(ref, "thresholds", &n);
    if (th && n == METRIC_PR_NUM) {
        const float *mine = metric_thresholds();
        int bad = 0;
        for (int k = 0; k < METRIC_PR_NUM; k++) bad += memcmp(&mine[k], &th[k], 4) != 0;
        tl_expect(bad == 0, "thresholds", "%d of 255 differ from torch.linspace(0, 1-1e-10, 255)", bad);
        int sorted = 1;
        for (int k = 1; k < METRIC_PR_NUM; k++) sorted &= th[k] >= th[k - 1];
        tl_expect(sorted, "thresholds ascending", "torch's thresholds are not sorted");
    }
    const float *sx = tl_ref_f32(ref, "sigmoid_x", &n), *sy = tl_ref_f32(ref, "sigmoid_y", NULL);
    if (sx && sy) {
        float *y = malloc((size_t)n * sizeof *y);
        metric_sigmoid_torch(y, sx, n, 0, n);
        int64_t bad = 0, first = -1;
        for (int64_t i = 0; i < n; i++)
            if (memcmp(&y[i], &sy[i], 4) != 0) {
                bad++;
                if (first < 0) first = i;
            }
        if (bad)
            tl_fail("sigmoid", "%lld of %lld differ from torch.sigmoid; first x=%a: vct %a torch %a", (long long)bad,
                    (long long)n, (double)sx[first], (double)y[first], (double)sy[first]);
        else
            tl_pass("sigmoid bit-exact vs torch (vector path and scalar tail)");
        free(y);
    }
    const tensor *lens = tl_ref_tensor(ref, "sum_lengths");
    const float *sin = tl_ref_f32(ref, "sum_inputs", NULL), *sout = tl_ref_f32(ref, "sum_results", NULL);
    if (lens && sin && sout) {
        int64_t off = 0, bad = 0;
        for (int64_t i = 0; i < tensor_numel(lens); i++) {
            int64_t L = ((const int64_t *)lens->data)[i];
            float s = metric_torch_sum_f32(sin + off, L);
            if (memcmp(&s, &sout[i], 4) != 0) {
                if (!bad) tl_fail("torch.sum order", "n=%lld: vct %.9g torch %.9g", (long long)L, (double)s, (double)sout[i]);
                bad++;
            }
            off += L;
        }
        if (!bad) tl_pass("torch.sum order bit-exact");
    }
}

/* M_J and M_F of one flavour (fl: its column of worst_fl) against the official
 * want[0], want[1], named "<set> <what> M_J" and "... M_F" */
static void cmp_scores(const char *set, const char *what, int fl, const eval_scores *got,
                       const double *want) {
    char n2[256];
    cur_fl = fl;
    snprintf(n2, sizeof n2, "%s %s M_J", set, what);
    cmp(n2, got->M_J, want[0]);
    snprintf(n2, sizeof n2, "%s %s M_F", set, what);
    cmp(n2, got->M_F, want[1]);
}

static void run_sets(const tensor_dict *ref, int task, const char *tmp) {
    char key[64];
    snprintf(key, sizeof key, "%s_results", TASKS[task]);
    const tensor *res = tl_ref_tensor(ref, key);
    int64_t nb = 0;
    const float *border = tl_ref_f32(ref, "border_logits", &nb);
    int64_t ns = 0;
    const float *split = tl_ref_f32(ref, "split_logits", &ns);
    if (!res || !border || !split) return;
    int64_t n_sets = res->shape[0];
    const double *R = res->data;
    tl_expect(n_sets >= 20, "set count", "%s: %lld sets, want >= 20", TASKS[task], (long long)n_sets);
    int64_t empty_frames = 0, nonmultiple = 0;
    for (int64_t s = 0; s < n_sets; s++) {
        char gt[1024], pred[1024], name[96];
        snprintf(gt, sizeof gt, "%s/%s%lld/gt", tmp, TASKS[task], (long long)s);
        snprintf(pred, sizeof pred, "%s/%s%lld/pred", tmp, TASKS[task], (long long)s);
        int batch = task == 2 ? gen_avss(gt, pred, task, (int)s) : gen_binary(gt, pred, task, (int)s, border, nb, split, ns);
        if (batch < 0) return;
        eval_params p = eval_default_params();
        p.task = (avs_task)task;
        p.gt_dir = gt;
        p.pred_dir = pred;
        p.batch_videos = batch;
        eval_result r;
        vct_error err = {0};
        snprintf(name, sizeof name, "%s set %lld", TASKS[task], (long long)s);
        if (eval_run(&p, &r, &err) != VCT_STATUS_OK) {
            tl_fail(name, "eval_run: %s", err.msg);
            continue;
        }
        const double *w = R + 6 * s; /* official (M_J, M_F) pairs: see gen_metrics.py */
        char ab[64];
        cur_task = task;
        snprintf(ab, sizeof ab, "avsbench(batch %d)", batch);
        cmp_scores(name, ab, 0, &r.avsbench, w);
        if (task != 2) {
            cmp_scores(name, "vct", 2, &r.vct, w + 2);
            cmp_scores(name, "ours (= avsbench batch 0)", 3, &r.ours, w + 4);
            empty_frames += r.n_empty_gt;
        } else {
            cmp_scores(name, "vct", 2, &r.vct, w + 4);
            cmp_scores(name, "ours (double) vs vct", 3, &r.ours, w + 4);
            eval_result_free(&r);
            p.avss_pad = 1;
            p.flavours = EVAL_FLAVOUR_AVSBENCH;
            if (eval_run(&p, &r, &err) != VCT_STATUS_OK) {
                tl_fail(name, "eval_run (padding): %s", err.msg);
                continue;
            }
            snprintf(ab, sizeof ab, "avsbench(batch %d, padded)", batch);
            cmp_scores(name, ab, 1, &r.avsbench, w + 2);
        }
        nonmultiple += r.n_videos % batch != 0;
        eval_result_free(&r);
    }
    if (task != 2)
        tl_expect(empty_frames > 0, "sets hold empty ground truths", "%s: none", TASKS[task]);
    tl_expect(nonmultiple > 0, "video counts not a multiple of the batch", "%s: none", TASKS[task]);
    printf("%s: %lld sets compared with the official code (%lld empty-GT frames, %lld sets with a short last batch)\n",
           TASKS[task], (long long)n_sets, (long long)empty_frames, (long long)nonmultiple);
}

int main(void) {
    tensor_dict ref;
    if (tl_ref_open("metrics", &ref) != 0) return tl_summary("metrics");
    check_bitwise(&ref);
    char tmp[] = "/tmp/vct_test_metrics_XXXXXX";
    if (!mkdtemp(tmp)) {
        tl_fail("tmp", "mkdtemp failed");
    } else {
        for (int t = 0; t < 3; t++) run_sets(&ref, t, tmp);
        fs_remove_tree(tmp, NULL);
    }
    static const char *const fl[4] = {"avsbench", "avsbench padded", "vct", "ours vs its official twin"};
    for (int t = 0; t < 3; t++)
        for (int f = 0; f < 4; f++)
            if (t == 2 || f != 1) printf("  %-4s %-26s worst |diff| %.3g\n", TASKS[t], fl[f], worst_fl[t][f]);
    printf("worst |vct - official| over all sets and flavours: %.3g (bound %g)\n", worst, TOL);
    tensor_dict_free(&ref);
    return tl_summary("metrics");
}
