/* cmd_eval.c: `vct eval --task s4|ms3|avss --pred DIR --gt DIR [options]`:
 * M_J and M_F as the official AVSBench and VCT test loops compute them, plus a
 * batch-independent variant labelled as ours (data/eval.h, data/metrics.h).
 * Prints a table; --json and --report write files atomically, and only after
 * every frame was read and scored. `--data DIR --model FILE` (run the model,
 * then score) waits for the model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "data/eval.h"

static cli_opt opts[] = {
    {"task", 't', 1, NULL, "s4, ms3 or avss (required)", NULL, 0},
    {"pred", 'p', 1, NULL, "prediction folder: .npy or .png at the ground truth's relative paths", NULL, 0},
    {"gt", 'g', 1, NULL, "ground-truth folder: every folder holding .png/.npy frames is one video", NULL, 0},
    {"flavour", 'f', 1, "both", "whose test loop: avsbench, vct or both (the batch-independent one is always added)",
     NULL, 0},
    {"batch", 'b', 1, "4", "AVSBench test_batch_size in videos (test.sh uses 4; 0 = all in one batch)", NULL, 0},
    {"json", 'j', 1, NULL, "also write the results to this JSON file", NULL, 0},
    {"report", 'r', 1, NULL, "also write an HTML report (scores, bars, worst/best frames) to this file", NULL, 0},
    {"frames", 0, 1, NULL, "folder with the video frames under the same relative paths (report thumbnails)", NULL, 0},
    {"thumbs", 0, 1, "6", "report: number of worst and of best frames shown", NULL, 0},
    {"order", 0, 1, NULL, "file with one video per line: the DataLoader (CSV) order; default natural order", NULL, 0},
    {"resize", 0, 1, "0", "nearest-resize ground-truth PNGs to NxN first (AVSBench AVSS uses 224); 0 = no", NULL, 0},
    {"pred-kind", 0, 1, "logit", "S4/MS3 .npy predictions hold logits or probabilities: logit or prob", NULL, 0},
    {"avss-pad", 0, 1, "none", "AVSBench AVSS: none, or background (score the padding to 10 frames as the official "
                               "test does, taking background as the prediction there)", NULL, 0},
    {"lenient-colours", 0, 0, NULL, "an RGB label colour outside the AVSS palette counts as background (the official "
                                    "decoding) instead of an error", NULL, 0},
    {"progress", 0, 0, NULL, "show a progress line on stderr", NULL, 0},
    {"data", 0, 1, NULL, "data set folder, with --model: run the model, then score", NULL, 0},
    {"model", 'm', 1, NULL, "checkpoint to run on --data", NULL, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
static const cli_cmd cmd = {"eval", "--task s4|ms3|avss --pred DIR --gt DIR [options]",
                            "score predictions with the official AVSBench/VCT M_J and M_F (and a batch-independent F)",
                            0, 0, opts};

static int parse_int(const char *name, const char *s, int lo, int *out) {
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > 1000000) {
        fprintf(stderr, "vct eval: --%s %s: expected an integer >= %d\n", name, s, lo);
        return 2;
    }
    *out = (int)v;
    return 0;
}

int cmd_eval(int argc, char **argv) {
    const char *pos[1];
    int npos = 0, rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc == 3) return 0;
    if (rc) return rc;
    if (cli_get(&cmd, "model") || cli_get(&cmd, "data")) {
        if (!cli_get(&cmd, "model") || !cli_get(&cmd, "data")) {
            fprintf(stderr, "vct eval: --data and --model go together\n");
            return 2;
        }
        fprintf(stderr, "vct eval: --model is not available yet: the model has not landed in vct; score saved "
                        "predictions with --pred DIR --gt DIR\n");
        return 1;
    }
    eval_params p = eval_default_params();
    const char *task = cli_get(&cmd, "task");
    if (!task || avs_task_from_name(task, &p.task) != 0) {
        fprintf(stderr, "vct eval: --task must be s4, ms3 or avss%s%s\n", task ? ", not " : "", task ? task : "");
        return 2;
    }
    p.pred_dir = cli_get(&cmd, "pred");
    p.gt_dir = cli_get(&cmd, "gt");
    if (!p.pred_dir || !p.gt_dir) {
        fprintf(stderr, "vct eval: --pred and --gt are required (see vct eval --help)\n");
        return 2;
    }
    const char *fl = cli_get(&cmd, "flavour");
    if (!strcmp(fl, "avsbench")) p.flavours = EVAL_FLAVOUR_AVSBENCH;
    else if (!strcmp(fl, "vct")) p.flavours = EVAL_FLAVOUR_VCT;
    else if (!strcmp(fl, "both")) p.flavours = EVAL_FLAVOUR_AVSBENCH | EVAL_FLAVOUR_VCT;
    else {
        fprintf(stderr, "vct eval: --flavour must be avsbench, vct or both, not %s\n", fl);
        return 2;
    }
    p.flavours |= EVAL_FLAVOUR_OURS;
    int thumbs = 6;
    if ((rc = parse_int("batch", cli_get(&cmd, "batch"), 0, &p.batch_videos)) ||
        (rc = parse_int("resize", cli_get(&cmd, "resize"), 0, &p.resize)) ||
        (rc = parse_int("thumbs", cli_get(&cmd, "thumbs"), 0, &thumbs)))
        return rc;
    const char *pk = cli_get(&cmd, "pred-kind");
    if (!strcmp(pk, "logit")) p.pred_kind = EVAL_PRED_LOGIT;
    else if (!strcmp(pk, "prob")) p.pred_kind = EVAL_PRED_PROB;
    else {
        fprintf(stderr, "vct eval: --pred-kind must be logit or prob, not %s\n", pk);
        return 2;
    }
    const char *pad = cli_get(&cmd, "avss-pad");
    if (!strcmp(pad, "none")) p.avss_pad = 0;
    else if (!strcmp(pad, "background")) p.avss_pad = 1;
    else {
        fprintf(stderr, "vct eval: --avss-pad must be none or background, not %s\n", pad);
        return 2;
    }
    p.strict_colours = !cli_flag(&cmd, "lenient-colours");
    p.order_file = cli_get(&cmd, "order");
    p.progress = cli_flag(&cmd, "progress");

    vct_error err = {0};
    eval_result r;
    if (eval_run(&p, &r, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "vct eval: %s\n", err.msg);
        return 1;
    }
    int status = 0;
    const char *json = cli_get(&cmd, "json"), *report = cli_get(&cmd, "report");
    /* the report first (it reads frames again, so it is the one likely to fail);
     * if the JSON then fails, the report goes too: all or nothing */
    if (report && eval_write_report(report, &p, &r, cli_get(&cmd, "frames"), thumbs, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "vct eval: %s\n", err.msg);
        status = 1;
    }
    if (!status && json && eval_write_json(json, &p, &r, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "vct eval: %s\n", err.msg);
        if (report) remove(report);
        status = 1;
    }
    if (!status) eval_print_table(stdout, &p, &r);
    eval_result_free(&r);
    return status;
}
