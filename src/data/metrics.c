/* metrics.c: see metrics.h. Every float below is float32 on purpose: the official
 * functions run on float32 tensors, and the order of the operations follows the
 * Python expressions (ref: avs_scripts/avs_s4/utils/utility.py, mask_iou and
 * Eval_Fmeasure; avs_scripts/avss/utils/compute_color_metrics.py). */
#include "data/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- sigmoid ------------------------------------------------------------------ */

static float pow2i_f32(int q) { /* 2^q for -126 <= q <= 127 */
    union {
        uint32_t u;
        float f;
    } v;
    v.u = (uint32_t)(q + 127) << 23;
    return v.f;
}

/* Sleef's expf_u10 as the AVX2 build evaluates it (FMA everywhere a multiply-add
 * appears): range reduction by round(x*log2 e) with a two-part ln 2, a degree-6
 * polynomial in Horner form, and scaling by 2^q in two halves. Checked bit for
 * bit against torch.sigmoid by tests/data/test_metrics.c. */
static float expf_sleef_u10(float d) {
    if (isnan(d)) return d;
    if (d < -104.0f) return 0.0f;
    if (d > 100.0f) return INFINITY;
    float qf = rintf(d * 1.442695040888963407359924681001892137426645954152985934135449406931f);
    int q = (int)qf;
    float s = fmaf(qf, -0.693145751953125f, d);
    s = fmaf(qf, -1.428606765330187045e-06f, s);
    float u = 0.000198527617612853646278381f;
    u = fmaf(u, s, 0.00139304355252534151077271f);
    u = fmaf(u, s, 0.00833336077630519866943359f);
    u = fmaf(u, s, 0.0416664853692054748535156f);
    u = fmaf(u, s, 0.166666671633720397949219f);
    u = fmaf(u, s, 0.5f);
    u = 1.0f + fmaf(s * s, u, s);
    u = u * pow2i_f32(q >> 1);
    return u * pow2i_f32(q - (q >> 1));
}

float metric_sigmoid_lane(float x) {
    float e = expf_sleef_u10(0.0f - x);
    return 1.0f / (e + 1.0f);
}

float metric_sigmoid_tail(float x) { return 1.0f / (1.0f + expf(-x)); }

void metric_sigmoid_torch(float *out, const float *in, int64_t n, int64_t offset, int64_t total) {
    int64_t vec_end = total - total % METRIC_SIGMOID_VEC;
    for (int64_t i = 0; i < n; i++)
        out[i] = offset + i < vec_end ? metric_sigmoid_lane(in[i]) : metric_sigmoid_tail(in[i]);
}

float metric_softmax_fg(float s0, float s1) {
    float m = s0 > s1 || isnan(s0) ? s0 : s1;
    float e0 = expf_sleef_u10(s0 - m), e1 = expf_sleef_u10(s1 - m);
    float sum = 0.0f + e0;
    sum += e1;
    return e1 / sum;
}

int metric_softmax_argmax(const float *scores, int64_t classes, int64_t stride) {
    float m = scores[0];
    for (int64_t c = 1; c < classes; c++)
        if (scores[c * stride] > m || isnan(scores[c * stride])) m = scores[c * stride];
    float sum = 0.0f;
    for (int64_t c = 0; c < classes; c++) sum += expf_sleef_u10(scores[c * stride] - m);
    int best = 0;
    float best_p = expf_sleef_u10(scores[0] - m) / sum;
    for (int64_t c = 1; c < classes; c++) {
        float q = expf_sleef_u10(scores[c * stride] - m) / sum;
        if (q > best_p) { /* strict: the first of equal probabilities wins */
            best_p = q;
            best = (int)c;
        }
    }
    return best;
}

/* ---- thresholds ----------------------------------------------------------------- */

/* torch 1.13's AVX2 linspace kernel for (0, 1, 255) (1 - 1e-10 is 1.0f): step = 1/254;
 * vectors of 8 lanes, two per iteration, while 16 elements remain; a vector's base is
 * fma(step, i0, 0) in the first half (i0 < 127) and fma(-step, 254 - i0, 1) in the
 * second; lane k adds float(k)*step; the last 15 indices take the base formula. */
static float thresholds_table[METRIC_PR_NUM];
static int thresholds_ready;

static float linspace_base(int idx, float step) {
    const int steps = METRIC_PR_NUM, half = METRIC_PR_NUM / 2;
    return idx < half ? fmaf(step, (float)idx, 0.0f) : fmaf(-step, (float)(steps - 1 - idx), 1.0f);
}

static void thresholds_build(float *out) {
    const float step = 1.0f / 254.0f;
    int i = 0;
    for (; i + 16 <= METRIC_PR_NUM; i += 16)
        for (int v = 0; v < 2; v++) {
            int i0 = i + 8 * v;
            float base = linspace_base(i0, step);
            for (int k = 0; k < 8; k++) out[i0 + k] = base + (float)k * step;
        }
    for (; i < METRIC_PR_NUM; i++) out[i] = linspace_base(i, step);
}

const float *metric_thresholds(void) {
    if (!thresholds_ready) {
#pragma omp critical(vct_metric_thresholds)
        {
            if (!thresholds_ready) {
                thresholds_build(thresholds_table);
#pragma omp flush
                thresholds_ready = 1;
            }
        }
    }
    return thresholds_table;
}

int metric_threshold_count(float p) {
    const float *th = metric_thresholds();
    if (!(p >= 0.0f)) return 0; /* NaN, negative */
    if (p >= 1.0f) return METRIC_PR_NUM;
    int c = (int)(p * 254.0f); /* a guess within one of the answer */
    if (c > METRIC_PR_NUM) c = METRIC_PR_NUM;
    while (c < METRIC_PR_NUM && p >= th[c]) c++;
    while (c > 0 && p < th[c - 1]) c--;
    return c;
}

/* ---- torch.sum order for float32 vectors ---------------------------------------- */

/* torch 1.13 CPU sum of a contiguous float32 vector (one thread), in its order:
 * the elements are taken in units of L lanes (L = 8 when n >= 8, else 1); rows of 4
 * units are summed into 4 accumulators per level of a cascade (a level holds
 * 2^lp rows, lp = max(4, ceil(log2 rows) / 4), and is folded into the next when
 * full); leftover units go to the first accumulator; the 4 accumulators are added
 * in order. With L = 8 the leftover scalars x[8m..n) are summed from 0 and the 8
 * lanes added to them in order. */
#define SUM_LEVELS 4

static void cascade_rows(float *res, const float *x, int64_t rows, int L) {
    /* res[4][L]: the row sums of rows of 4 units of L lanes */
    float acc[SUM_LEVELS][4][8];
    memset(acc, 0, sizeof acc);
    int ceil_log2 = 0;
    while (((int64_t)1 << ceil_log2) < rows) ceil_log2++;
    int lp = ceil_log2 / SUM_LEVELS > 4 ? ceil_log2 / SUM_LEVELS : 4;
    int64_t step = (int64_t)1 << lp, mask = step - 1;
    int64_t i = 0;
    while (i + step <= rows) {
        for (int64_t j = 0; j < step; j++, i++)
            for (int k = 0; k < 4; k++)
                for (int l = 0; l < L; l++) acc[0][k][l] += x[(i * 4 + k) * L + l];
        for (int lev = 1; lev < SUM_LEVELS; lev++) {
            for (int k = 0; k < 4; k++)
                for (int l = 0; l < L; l++) {
                    acc[lev][k][l] += acc[lev - 1][k][l];
                    acc[lev - 1][k][l] = 0.0f;
                }
            if ((i & (mask << (lev * lp))) != 0) break;
        }
    }
    for (; i < rows; i++)
        for (int k = 0; k < 4; k++)
            for (int l = 0; l < L; l++) acc[0][k][l] += x[(i * 4 + k) * L + l];
    for (int lev = 1; lev < SUM_LEVELS; lev++)
        for (int k = 0; k < 4; k++)
            for (int l = 0; l < L; l++) acc[0][k][l] += acc[lev][k][l];
    for (int k = 0; k < 4; k++)
        for (int l = 0; l < L; l++) res[k * L + l] = acc[0][k][l];
}

static void row_sum(float *out, const float *x, int64_t units, int L) {
    float part[4 * 8];
    int64_t rows = units / 4;
    cascade_rows(part, x, rows, L);
    for (int64_t u = rows * 4; u < units; u++)
        for (int l = 0; l < L; l++) part[l] += x[u * L + l];
    for (int k = 1; k < 4; k++)
        for (int l = 0; l < L; l++) part[l] += part[k * L + l];
    for (int l = 0; l < L; l++) out[l] = part[l];
}

float metric_torch_sum_f32(const float *x, int64_t n) {
    if (n < 8) {
        float r;
        row_sum(&r, x, n, 1);
        return r;
    }
    int64_t m = n / 8;
    float lanes[8];
    row_sum(lanes, x, m, 8);
    float total = 0.0f;
    for (int64_t i = m * 8; i < n; i++) total += x[i];
    for (int l = 0; l < 8; l++) total += lanes[l];
    return total;
}

/* ---- binary ------------------------------------------------------------------------ */

void metric_bin_frame_stats(metric_bin_frame *out, const float *p, const uint8_t *g, int64_t n) {
    int64_t hist[METRIC_PR_NUM + 1], hist_g[METRIC_PR_NUM + 1];
    memset(hist, 0, sizeof hist);
    memset(hist_g, 0, sizeof hist_g);
    int64_t n_gt = 0, n_b = 0, n_bg = 0;
    for (int64_t i = 0; i < n; i++) {
        int c = metric_threshold_count(p[i]);
        int gi = g[i] != 0;
        int b = p[i] > 0.5f;
        hist[c]++;
        hist_g[c] += gi;
        n_gt += gi;
        n_b += b;
        n_bg += b & gi;
    }
    out->n_pix = n;
    out->n_gt = n_gt;
    out->n_b = n_b;
    out->n_bg = n_bg;
    /* pos[k] = #{i : count_i > k} */
    int64_t run = 0, run_g = 0;
    for (int k = METRIC_PR_NUM - 1; k >= 0; k--) {
        run += hist[k + 1];
        run_g += hist_g[k + 1];
        out->pos[k] = (int32_t)run;
        out->tp[k] = (int32_t)run_g;
    }
}

static void frame_pixel(metric_bin_frame *s, float p, int g, int sign) {
    int c = metric_threshold_count(p);
    for (int k = 0; k < c; k++) {
        s->pos[k] += sign;
        s->tp[k] += sign * g;
    }
    if (p > 0.5f) {
        s->n_b += sign;
        s->n_bg += sign * g;
    }
}

void metric_bin_frame_repixel(metric_bin_frame *s, float p_old, float p_new, uint8_t g) {
    frame_pixel(s, p_old, g != 0, -1);
    frame_pixel(s, p_new, g != 0, +1);
}

float metric_bin_frame_iou(const metric_bin_frame *f) {
    float inter, uni;
    if (f->n_gt == 0) { /* no_obj_flag: true negatives over all pixels */
        inter = (float)(f->n_pix - f->n_b);
        uni = (float)f->n_pix;
    } else {
        inter = (float)f->n_bg;
        uni = (float)(f->n_b + f->n_gt - f->n_bg);
    }
    return inter / (uni + 1e-7f);
}

void metric_bin_frame_fcurve(float *curve, const metric_bin_frame *f) {
    float ngt = (float)f->n_gt;
    for (int k = 0; k < METRIC_PR_NUM; k++) {
        float tp = (float)f->tp[k];
        float prec = tp / ((float)f->pos[k] + 1e-20f);
        float rec = tp / (ngt + 1e-20f);
        float F = ((1.3f * prec) * rec) / ((0.3f * prec) + rec);
        curve[k] = isnan(F) ? 0.0f : F;
    }
}

float metric_bin_group_iou(const metric_bin_frame *frames, int64_t n) {
    if (n <= 0) return 0.0f;
    float small[64], *buf = n <= 64 ? small : malloc((size_t)n * sizeof *buf);
    float s = 0.0f;
    if (!buf) { /* out of memory: the same terms, summed in order */
        for (int64_t i = 0; i < n; i++) s += metric_bin_frame_iou(&frames[i]);
        return s / (float)n;
    }
    for (int64_t i = 0; i < n; i++) buf[i] = metric_bin_frame_iou(&frames[i]);
    s = metric_torch_sum_f32(buf, n);
    if (buf != small) free(buf);
    return s / (float)n;
}

float metric_bin_group_fmeasure(const metric_bin_frame *frames, int64_t n, int64_t *frames_used) {
    float avg[METRIC_PR_NUM], curve[METRIC_PR_NUM], score[METRIC_PR_NUM];
    memset(avg, 0, sizeof avg);
    memset(score, 0, sizeof score);
    int64_t used = 0;
    for (int64_t i = 0; i < n; i++) {
        if (frames[i].n_gt == 0) continue; /* "totally black GTs are out of consideration" */
        metric_bin_frame_fcurve(curve, &frames[i]);
        used++;
        for (int k = 0; k < METRIC_PR_NUM; k++) {
            avg[k] += curve[k];
            score[k] = avg[k] / (float)used;
        }
    }
    if (frames_used) *frames_used = used;
    float best = score[0];
    for (int k = 1; k < METRIC_PR_NUM; k++)
        if (score[k] > best) best = score[k];
    return best;
}

void metric_bin_meter_add(metric_bin_meter *m, const metric_bin_frame *frames, int64_t n) {
    m->j_sum += metric_bin_group_iou(frames, n);
    m->f_sum += (double)metric_bin_group_fmeasure(frames, n, NULL);
    m->groups++;
}

void metric_bin_meter_avsbench(const metric_bin_meter *m, double *M_J, double *M_F) {
    *M_J = m->groups ? (double)(m->j_sum / (float)m->groups) : 0.0;
    *M_F = m->groups ? m->f_sum / (double)m->groups : 0.0;
}

void metric_bin_meter_vct(const metric_bin_meter *m, double *M_J, double *M_F) {
    metric_bin_meter_avsbench(m, M_J, M_F);
    *M_F = (double)(float)*M_F;
}

/* ---- AVSS ---------------------------------------------------------------------------- */

void metric_avss_frame_stats(metric_avss_frame *out, const uint8_t *pred, const uint8_t *gt, int64_t n) {
    memset(out, 0, sizeof *out);
    for (int64_t i = 0; i < n; i++) {
        int p = pred[i], g = gt[i];
        out->pred[p]++;
        out->lab[g]++;
        out->inter[p] += p == g;
    }
}

void metric_avss_sums_zero(metric_avss_sums *s) { memset(s, 0, sizeof *s); }

void metric_avss_sums_add_frame(metric_avss_sums *s, const metric_avss_frame *f) {
    const float eps = 2.220446049250313e-16f; /* 2^-52, exact in float32 */
    for (int c = 0; c < METRIC_AVSS_CLASSES; c++) {
        float I = (float)f->inter[c], P = (float)f->pred[c], L = (float)f->lab[c];
        float U = (P + L) - I;
        s->iou[c] += (1.0f * I) / (eps + U);
        if (U != 0.0f) s->count[c] += 1.0f;
        float prec = I / P, rec = I / L;
        float F = ((1.3f * prec) * rec) / ((0.3f * prec) + rec);
        s->f[c] += isnan(F) ? 0.0f : F;
    }
}

void metric_avss_sums_add(metric_avss_sums *dst, const metric_avss_sums *src) {
    for (int c = 0; c < METRIC_AVSS_CLASSES; c++) {
        dst->iou[c] += src->iou[c];
        dst->f[c] += src->f[c];
        dst->count[c] += src->count[c];
    }
}

void metric_avss_reduce(metric_avss_result *out, const metric_avss_sums *s) {
    memset(out, 0, sizeof *out);
    for (int c = 0; c < METRIC_AVSS_CLASSES; c++) {
        float j = s->iou[c] / s->count[c], f = s->f[c] / s->count[c];
        if (isnan(j)) out->classes_never_seen++;
        out->miou_pc[c] = isnan(j) ? 0.0f : j;
        out->f_pc[c] = isnan(f) ? 0.0f : f;
        out->classes_seen += s->count[c] != 0.0f;
    }
    const int C = METRIC_AVSS_CLASSES;
    out->M_J = (double)(metric_torch_sum_f32(out->miou_pc, C) / (float)C);
    out->M_F = (double)(metric_torch_sum_f32(out->f_pc, C) / (float)C);
    out->M_J_noBg_official = (double)(metric_torch_sum_f32(out->miou_pc, C - 1) / (float)(C - 1));
    out->M_F_noBg_official = (double)(metric_torch_sum_f32(out->f_pc, C - 1) / (float)(C - 1));
}
