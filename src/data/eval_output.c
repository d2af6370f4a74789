/* eval_output.c: the table and the JSON file of `vct eval` (see eval.h). The
 * JSON keys are those of shared/conformance/harness/official_metrics.py --json,
 * so the two files can be compared key by key. */
#include <stdio.h>
#include <string.h>

#include "data/eval.h"
#include "io/atomic_file.h"

static const char *flavour_source(avs_task t, int which) {
    if (which == 0)
        return t == AVS_TASK_AVSS ? "AVSBench avs_scripts/avss/utils/compute_color_metrics.py"
               : t == AVS_TASK_S4 ? "AVSBench avs_scripts/avs_s4/utils/utility.py"
                                  : "AVSBench avs_scripts/avs_ms3/utils/utility.py";
    if (which == 1)
        return t == AVS_TASK_AVSS ? "VCT_AVS models/evaluation/sem_seg_evaluation_ss.py"
                                  : "VCT_AVS models/evaluation/sem_seg_evaluation.py";
    return t == AVS_TASK_AVSS
               ? "vct: the VCT per-frame, per-class definition on real frames, accumulated in double"
               : "vct: AVSBench mask_iou and Eval_Fmeasure with every video in one batch (independent of the batch size)";
}

void eval_print_table(FILE *f, const eval_params *p, const eval_result *r) {
    fprintf(f, "task %s: %lld videos, %lld frames", avs_task_name(r->task), (long long)r->n_videos,
            (long long)r->n_frames);
    if (r->task != AVS_TASK_AVSS) fprintf(f, " (%lld with an empty ground truth)", (long long)r->n_empty_gt);
    fprintf(f, "\n%-22s %10s %10s  %s\n", "flavour", "M_J", "M_F", "grouping");
    const eval_scores *s[3] = {&r->avsbench, &r->vct, &r->ours};
    const char *names[3] = {"avsbench", "vct", "ours (batch-indep.)"};
    for (int i = 0; i < 3; i++) {
        if (!s[i]->present) continue;
        char grp[96];
        if (i == 0 && s[i]->batch_videos > 0)
            snprintf(grp, sizeof grp, "%d videos per batch, %lld batches%s", s[i]->batch_videos, (long long)s[i]->groups,
                     r->task == AVS_TASK_AVSS && p->avss_pad ? ", padded to 10 frames" : "");
        else if (i == 1)
            snprintf(grp, sizeof grp, "1 video per group, %lld groups", (long long)s[i]->groups);
        else
            snprintf(grp, sizeof grp, "all videos in one group");
        fprintf(f, "%-22s %10.6f %10.6f  %s\n", names[i], s[i]->M_J, s[i]->M_F, grp);
    }
    if (r->task == AVS_TASK_AVSS)
        for (int i = 0; i < 3; i++)
            if (s[i]->present)
                fprintf(f, "%s: %d classes seen, %d never seen (count as 0); official noBg means (drop class 70): "
                           "M_J %.6f, M_F %.6f\n",
                        names[i], s[i]->classes_seen, s[i]->classes_never_seen, s[i]->M_J_noBg_official,
                        s[i]->M_F_noBg_official);
}

typedef struct jbuf {
    atomic_file af;
    vct_status st;
    vct_error *err;
} jbuf;

#define jw(j, ...) atomic_file_printf(&(j)->af, &(j)->st, (j)->err, __VA_ARGS__)

static void jstr(jbuf *j, const char *s) {
    jw(j, "\"");
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') jw(j, "\\%c", *c);
        else if (*c < 0x20) jw(j, "\\u%04x", *c);
        else jw(j, "%c", *c);
    }
    jw(j, "\"");
}

static void jscores(jbuf *j, const char *key, const eval_scores *s, const eval_params *p, const eval_result *r,
                    int which) {
    jw(j, ",\n  \"%s\": {\"M_J\": %.17g, \"M_F\": %.17g, \"videos\": %lld, \"frames\": %lld, \"batch_videos\": %d", key,
       s->M_J, s->M_F, (long long)r->n_videos, (long long)r->n_frames, s->batch_videos);
    if (r->task == AVS_TASK_AVSS) {
        jw(j, ", \"M_J_noBg_official\": %.17g, \"M_F_noBg_official\": %.17g, \"classes_seen\": %d, "
              "\"classes_never_seen\": %d, \"padding\": \"%s\"",
           s->M_J_noBg_official, s->M_F_noBg_official, s->classes_seen, s->classes_never_seen,
           which == 0 && p->avss_pad ? "background" : "none");
        jw(j, ", \"miou_per_class\": [");
        for (int c = 0; c < METRIC_AVSS_CLASSES; c++) jw(j, "%s%.9g", c ? ", " : "", s->miou_pc[c]);
        jw(j, "], \"f_per_class\": [");
        for (int c = 0; c < METRIC_AVSS_CLASSES; c++) jw(j, "%s%.9g", c ? ", " : "", s->f_pc[c]);
        jw(j, "]");
    } else {
        jw(j, ", \"empty_gt_frames\": %lld", (long long)r->n_empty_gt);
    }
    jw(j, ", \"source\": ");
    jstr(j, flavour_source(r->task, which));
    jw(j, ", \"computed_by\": \"vct\"");
    jw(j, "}");
}

vct_status eval_write_json(const char *path, const eval_params *p, const eval_result *r, vct_error *err) {
    jbuf j = {.st = VCT_STATUS_OK, .err = err};
    VCT_TRY(atomic_file_open(&j.af, path, err));
    jw(&j, "{\n  \"task\": \"%s\",\n  \"gt\": ", avs_task_name(r->task));
    jstr(&j, p->gt_label ? p->gt_label : p->gt_dir);
    jw(&j, ",\n  \"pred\": ");
    jstr(&j, p->pred_label ? p->pred_label : p->pred_dir);
    if (r->avsbench.present) jscores(&j, "avsbench", &r->avsbench, p, r, 0);
    if (r->vct.present) jscores(&j, "vct", &r->vct, p, r, 1);
    if (r->ours.present) jscores(&j, "batch_independent", &r->ours, p, r, 2);
    jw(&j, "\n}\n");
    if (j.st != VCT_STATUS_OK) {
        atomic_file_abort(&j.af);
        return j.st;
    }
    return atomic_file_commit(&j.af, err);
}
