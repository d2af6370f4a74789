/* metrics.h: M_J and M_F for AVSBench S4/MS3 (binary) and AVSS (71 classes),
 * computed as each official code computes them (design/avsbench.md §3).
 *
 * Binary (S4, MS3): AVSBench avs_scripts/avs_{s4,ms3}/utils/utility.py
 * (mask_iou, _eval_pr, Eval_Fmeasure) and VCT models/evaluation/
 * sem_seg_evaluation.py (the same functions without the sigmoid inside).
 *   - a frame's IoU: b = p > 0.5; inter = Σ b·g, union = Σ max(b, g); a frame with
 *     an empty ground truth scores its true negatives: inter = Σ (1-b)(1-g),
 *     union = H·W; iou = inter / (union + 1e-7f) in float32.
 *   - a group's (batch's) IoU: Σ iou / N in float32.
 *   - a frame's F curve over the 255 thresholds θ_k = torch.linspace(0, 1-1e-10,
 *     255) (float32, AVX2 kernel: see metric_thresholds): pos = Σ[p >= θ_k],
 *     tp = Σ[p >= θ_k]·g, prec = tp/(pos + 1e-20f), rec = tp/(Σg + 1e-20f),
 *     F = ((1.3f·prec)·rec)/((0.3f·prec) + rec), NaN -> 0 (all float32).
 *   - a group's F: the float32 mean of the curves of its frames with a non-empty
 *     ground truth, then its max; 0 if every frame of the group is empty.
 *   - the loops: AVSBench groups test_batch_size clips per batch (test.sh: 4) and
 *     averages the batch values (M_J: float32 running sum of 0-d tensors, M_F:
 *     Python double); VCT groups one clip (M_J as AVSBench, M_F cast to float32).
 *     M_F therefore depends on the grouping; "ours" is the batch-independent
 *     variant: every clip in one group (= AVSBench with test_batch_size = all).
 *
 * AVSS: compute_color_metrics.py _batch_miou_fscore (identical in VCT's
 * sem_seg_evaluation_ss.py), per frame and class c (background included):
 * I, P, L = #(pred=c ∧ gt=c), #(pred=c), #(gt=c); U = P + L - I;
 * iou_c += I/(2^-52 + U), count_c += (U > 0), F_c += ((1.3f·I/P)·(I/L)) /
 * ((0.3f·I/P) + I/L) with NaN -> 0, all float32. M_J = mean over the 71 classes of
 * iou_c/count_c (never seen -> 0), M_F likewise; the official "noBg" means drop
 * class 70 (woman), not background.
 *
 * Probabilities: the official code runs torch.sigmoid on a float32 tensor. On a
 * CPU (torch 1.13, AVX2, one thread) the first n - n%16 elements take the vector
 * path, 1/(1 + Sleef_expf8_u10(-x)), and the rest std::exp: metric_sigmoid_*
 * reproduce both bit for bit, so "p > 0.5" and "p >= θ_k" decide exactly as torch
 * does (the official numbers were made on CUDA, whose expf rounds differently). */
#ifndef VCT_DATA_METRICS_H
#define VCT_DATA_METRICS_H

#include <stdint.h>

#define METRIC_PR_NUM 255
#define METRIC_AVSS_CLASSES 71
#define METRIC_SIGMOID_VEC 16 /* elements per unrolled vector step of torch's loop */

/* ---- torch-exact elementwise pieces ---------------------------------------- */

/* torch 1.13 CPU float32 sigmoid, vector lane (AVX2: 1 / (1 + Sleef expf_u10(0 - x))). */
float metric_sigmoid_lane(float x);
/* The scalar remainder of torch's loop: 1 / (1 + expf(-x)) (glibc expf). */
float metric_sigmoid_tail(float x);
/* out[i] = torch.sigmoid(t)[offset + i] for in[i] = t[offset + i], where t is a
 * contiguous float32 tensor of `total` elements (one torch thread): elements with
 * index >= total - total % 16 take the scalar path. out may equal in. */
void metric_sigmoid_torch(float *out, const float *in, int64_t n, int64_t offset, int64_t total);
/* torch 1.13 CPU float32 softmax over the class dimension of [N,C,H,W] (not the
 * last dimension, so every pixel is one lane of the AVX2 vector path when
 * H*W % 8 == 0, as at 224x224): m = max_c s_c, e_c = Sleef expf_u10(s_c - m),
 * sum = ((0 + e_0) + e_1) + ..., p_c = e_c / sum. scores[c * stride] is s_c.
 * metric_softmax_fg: p_1 of C = 2, the foreground probability VCT's S4/MS3
 * evaluator scores (softmax(sem_seg, dim=1)[:, 1]). metric_softmax_argmax: the
 * first class of largest p_c, as VCT's AVSS evaluator takes argmax after the
 * softmax (two scores that differ can round to one probability: the first wins). */
float metric_softmax_fg(float s0, float s1);
int metric_softmax_argmax(const float *scores, int64_t classes, int64_t stride);
/* torch.linspace(0, 1 - 1e-10, 255) in float32 as the AVX2 kernel rounds it. */
const float *metric_thresholds(void);
/* torch.sum of a contiguous float32 vector on one CPU thread, in torch 1.13's
 * order (8-lane vectors in 4 accumulators with a cascade, the scalar remainder
 * first, then the lanes), so float32 means match torch's rounding. */
float metric_torch_sum_f32(const float *x, int64_t n);
/* Number of thresholds p reaches: #{k : p >= θ_k} (0..255; NaN -> 0). */
int metric_threshold_count(float p);

/* ---- binary (S4 / MS3) ------------------------------------------------------- */

/* Everything the metrics need from one frame. */
typedef struct metric_bin_frame {
    int64_t n_pix;              /* H*W */
    int64_t n_gt;               /* Σ g */
    int64_t n_b, n_bg;          /* Σ [p > 0.5], Σ [p > 0.5]·g */
    int32_t pos[METRIC_PR_NUM]; /* Σ [p >= θ_k] */
    int32_t tp[METRIC_PR_NUM];  /* Σ [p >= θ_k]·g */
} metric_bin_frame;

/* Statistics of p[n] (probabilities) against g[n] (0/1). */
void metric_bin_frame_stats(metric_bin_frame *out, const float *p, const uint8_t *g, int64_t n);
/* Replace one pixel's probability p_old by p_new (g its ground truth). */
void metric_bin_frame_repixel(metric_bin_frame *s, float p_old, float p_new, uint8_t g);
/* mask_iou's per-frame term inter / (union + 1e-7f), float32. */
float metric_bin_frame_iou(const metric_bin_frame *f);
/* The frame's F curve (255 float32 values, NaN -> 0). */
void metric_bin_frame_fcurve(float *curve, const metric_bin_frame *f);
/* mask_iou over a group of frames: Σ iou / N, float32 (0 if n == 0). */
float metric_bin_group_iou(const metric_bin_frame *frames, int64_t n);
/* Eval_Fmeasure over a group: max of the mean curve of its non-empty frames (0 if none).
 * frames_used (may be NULL) receives the number of non-empty frames. */
float metric_bin_group_fmeasure(const metric_bin_frame *frames, int64_t n, int64_t *frames_used);

/* The test loop's averaging: one add per group (AVSBench batch, VCT clip). */
typedef struct metric_bin_meter {
    float j_sum;   /* 0-d float32 tensors summed in float32 */
    double f_sum;  /* Python floats summed in double */
    int64_t groups;
} metric_bin_meter;

void metric_bin_meter_add(metric_bin_meter *m, const metric_bin_frame *frames, int64_t n);
/* AVSBench: M_J = float32(j_sum / groups), M_F = f_sum / groups (double). */
void metric_bin_meter_avsbench(const metric_bin_meter *m, double *M_J, double *M_F);
/* VCT: as AVSBench, then M_F cast to float32 (torch.tensor(list).mean()). */
void metric_bin_meter_vct(const metric_bin_meter *m, double *M_J, double *M_F);

/* ---- AVSS (71 classes) ------------------------------------------------------------- */

/* Per-class pixel counts of one frame: I, P, L of every class. */
typedef struct metric_avss_frame {
    int64_t inter[METRIC_AVSS_CLASSES], pred[METRIC_AVSS_CLASSES], lab[METRIC_AVSS_CLASSES];
} metric_avss_frame;

/* pred[n], gt[n]: class ids 0..70 (the caller validates). */
void metric_avss_frame_stats(metric_avss_frame *out, const uint8_t *pred, const uint8_t *gt, int64_t n);

/* Per-class float32 sums, as _batch_miou_fscore returns them and the loops add them. */
typedef struct metric_avss_sums {
    float iou[METRIC_AVSS_CLASSES], f[METRIC_AVSS_CLASSES], count[METRIC_AVSS_CLASSES];
} metric_avss_sums;

void metric_avss_sums_zero(metric_avss_sums *s);
/* One frame's terms added to s in float32 (what _batch_miou_fscore does per frame). */
void metric_avss_sums_add_frame(metric_avss_sums *s, const metric_avss_frame *f);
/* dst += src, float32 elementwise (a batch or clip added to the running total). */
void metric_avss_sums_add(metric_avss_sums *dst, const metric_avss_sums *src);

typedef struct metric_avss_result {
    double M_J, M_F;                        /* mean over 71 classes (float32 as torch) */
    double M_J_noBg_official, M_F_noBg_official; /* mean over classes 0..69 (the official slip) */
    int classes_seen, classes_never_seen;
    float miou_pc[METRIC_AVSS_CLASSES], f_pc[METRIC_AVSS_CLASSES]; /* NaN -> 0 */
} metric_avss_result;

/* The final reduction of avss/test.py and SemSegEvaluator_SS.evaluate. */
void metric_avss_reduce(metric_avss_result *out, const metric_avss_sums *s);

#endif
