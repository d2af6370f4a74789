/* cmd_eval.c: `vct eval --task s4|ms3|avss --pred DIR --gt DIR [options]`:
 * M_J and M_F as the official AVSBench and VCT test loops compute them, plus a
 * batch-independent variant labelled as ours (data/eval.h, data/metrics.h).
 * Prints a table; --json and --report write files atomically, and only after
 * every frame was read and scored.
 * `--data DIR --model FILE` first runs the model over a split (data/predict.h)
 * into a staging folder (OUT.partial, or a temporary one), scores that, and then
 * renames it to --out (or removes it). A run that stops during the clips keeps
 * the finished ones in OUT.partial for --resume; there is never a partial OUT. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "commands.h"
#include "core/log.h"
#include "data/eval.h"
#include "data/predict.h"
#include "io/fs.h"
#include "io/staging.h"
#include "io/json_file.h"
#include "model/vct_model.h"
#include "vct.h"

static cli_opt opts[] = {
    {"task", 't', 1, NULL, "s4, ms3 or avss (required with --pred; with --data it must be the model's)", NULL, 0},
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
    {"data", 'd', 1, NULL, "data set folder (Single-source/, Multi-sources/, AVSBench_semantic/ or a SynthAVS set): "
                           "with --model, run the model over a split, then score", NULL, 0},
    {"model", 'm', 1, NULL, "checkpoint to run on --data: official model_best.pth or a vct .safetensors", NULL, 0},
    {"config", 'c', 1, NULL, "--model's detectron2 config.yaml (default: the checkpoint's own, else config.yaml "
                             "beside it)", NULL, 0},
    {"split", 's', 1, "test", "--data: the split to run: train, val or test", NULL, 0},
    {"layout", 'l', 1, "auto", "--data: auto, avsbench or vct (see vct data check)", NULL, 0},
    {"limit", 0, 1, "0", "--data: only the first N clips of the split (0 = all)", NULL, 0},
    {"net-batch", 0, 1, "1", "--data: frames through the network at once (more uses more memory)", NULL, 0},
    {"out", 'o', 1, NULL, "--data: keep the predictions here (pred/, gt/, frames/, order.txt, run.json, "
                          "predict.json, eval.json; score them again with --pred OUT/pred --gt OUT/gt --order OUT/order.txt "
                          "--pred-kind prob); must be empty or new", NULL, 0},
    {"resume", 0, 0, NULL, "--data: continue the run that stopped in OUT.partial (same model, data and options): "
                           "the clips it finished are kept", NULL, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
static const cli_cmd cmd = {"eval", "(--task s4|ms3|avss --pred DIR --gt DIR | --data DIR --model FILE) [options]",
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

/* Score p's folders; write the report and the JSON files (all or nothing), then the table. */
static int score(const eval_params *p, const char *json, const char *json2, const char *report, const char *frames,
                 int thumbs) {
    vct_error err = {0};
    eval_result r;
    if (eval_run(p, &r, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "vct eval: %s\n", err.msg);
        return 1;
    }
    int status = 0;
    /* the report first (it reads frames again, so it is the one likely to fail);
     * if the JSON then fails, the report goes too: all or nothing */
    if (report && eval_write_report(report, p, &r, frames, thumbs, &err) != VCT_STATUS_OK) {
        fprintf(stderr, "vct eval: %s\n", err.msg);
        status = 1;
    }
    const char *jsons[2] = {json, json2};
    for (int i = 0; i < 2 && !status; i++)
        if (jsons[i] && eval_write_json(jsons[i], p, &r, &err) != VCT_STATUS_OK) {
            fprintf(stderr, "vct eval: %s\n", err.msg);
            if (report) remove(report);
            if (i == 1 && json) remove(json);
            status = 1;
        }
    if (!status) eval_print_table(stdout, p, &r);
    eval_result_free(&r);
    return status;
}

static vct_status write_predict_json(const char *path, const char *model_path, const vct_model *model,
                                     const char *data, const predict_params *pp, const predict_summary *s,
                                     vct_error *err) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    cJSON_AddStringToObject(o, "vct_version", VCT_VERSION_STRING);
    cJSON_AddStringToObject(o, "model", model_path);
    cJSON_AddStringToObject(o, "config", model->config_source);
    cJSON_AddStringToObject(o, "task", vct_task_name(vct_model_task(model)));
    cJSON_AddStringToObject(o, "data", data);
    cJSON_AddStringToObject(o, "layout", avs_layout_name(s->layout));
    cJSON_AddStringToObject(o, "split", avs_split_name(pp->split));
    cJSON_AddNumberToObject(o, "clips", (double)s->clips);
    cJSON_AddNumberToObject(o, "frames", (double)s->frames);
    cJSON_AddNumberToObject(o, "clips_resumed", (double)s->clips_kept); /* not run again: seconds leave them out */
    cJSON_AddStringToObject(o, "pred", "S4/MS3: float32 [224,224] softmax(sem_seg)[1]; AVSS: uint8 [224,224] "
                                       "argmax(softmax(sem_seg))");
    cJSON *t = cJSON_AddObjectToObject(o, "seconds");
    cJSON_AddNumberToObject(t, "total", s->seconds_total);
    cJSON_AddNumberToObject(t, "audio", s->seconds_audio);
    cJSON_AddNumberToObject(t, "network", s->seconds_network);
    cJSON_AddNumberToObject(t, "post", s->seconds_post);
    cJSON_AddNumberToObject(t, "per_frame", s->frames ? s->seconds_total / (double)s->frames : 0.0);
    vct_status st = json_file_write(path, o, err);
    cJSON_Delete(o);
    return st;
}

/* What a run is, for --resume: the files (resolved, with the checkpoint's size and
 * time) and every option that changes the predictions. */
static cJSON *run_description(const char *model_path, const char *data, const predict_params *pp) {
    cJSON *o = cJSON_CreateObject();
    char real[4096];
    struct stat sb;
    cJSON_AddStringToObject(o, "vct_version", VCT_VERSION_STRING);
    cJSON_AddStringToObject(o, "model", realpath(model_path, real) ? real : model_path);
    if (stat(model_path, &sb) == 0) {
        cJSON_AddNumberToObject(o, "model_bytes", (double)sb.st_size);
        cJSON_AddNumberToObject(o, "model_mtime", (double)sb.st_mtime);
    }
    const char *config = cli_get(&cmd, "config");
    cJSON_AddStringToObject(o, "config", config ? (realpath(config, real) ? real : config) : "(the model's)");
    cJSON_AddStringToObject(o, "data", realpath(data, real) ? real : data);
    cJSON_AddStringToObject(o, "split", avs_split_name(pp->split));
    cJSON_AddStringToObject(o, "layout", avs_layout_name(pp->layout));
    cJSON_AddNumberToObject(o, "limit", (double)pp->limit);
    cJSON_AddNumberToObject(o, "net_batch", pp->frames_per_batch);
    return o;
}

/* 1 when path holds the JSON want */
static int same_json_file(const char *path, const cJSON *want) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *got = cJSON_Parse(buf);
    int same = got && cJSON_Compare(got, want, 1);
    cJSON_Delete(got);
    return same;
}

/* `--data DIR --model FILE`: predict into a staging folder, score it, keep it as --out or remove it. */
static int eval_model(eval_params *p, const char *model_path, const char *data, const char *out, int thumbs) {
    vct_error err = {0};
    predict_params pp = predict_default_params();
    int rc = 0;
    if (avs_split_from_name(cli_get(&cmd, "split"), &pp.split) != 0) {
        fprintf(stderr, "vct eval: --split must be train, val or test, not %s\n", cli_get(&cmd, "split"));
        return 2;
    }
    if (avs_layout_from_name(cli_get(&cmd, "layout"), &pp.layout) != 0) {
        fprintf(stderr, "vct eval: --layout must be auto, avsbench or vct, not %s\n", cli_get(&cmd, "layout"));
        return 2;
    }
    int limit = 0;
    if ((rc = parse_int("limit", cli_get(&cmd, "limit"), 0, &limit)) ||
        (rc = parse_int("net-batch", cli_get(&cmd, "net-batch"), 1, &pp.frames_per_batch)))
        return rc;
    pp.limit = limit;
    pp.progress = p->progress;
    pp.resume = cli_flag(&cmd, "resume");
    if (pp.resume && !out) {
        fprintf(stderr, "vct eval: --resume continues a run kept with --out OUT (in OUT.partial)\n");
        return 2;
    }
    if (out && !fs_missing_or_empty(out)) {
        fprintf(stderr, "vct eval: --out %s: exists and is not an empty folder\n", out);
        return 1;
    }
    /* the staging folder (io/staging.h): OUT.partial (renamed at the end), or a temporary one */
    staging sg;
    const char *stage = sg.dir;
    if (out) {
        if (staging_init(&sg, out, &err) != VCT_STATUS_OK) {
            fprintf(stderr, "vct eval: --out %s: path too long\n", out);
            return 2;
        }
        char run_json[4200];
        snprintf(run_json, sizeof run_json, "%s/run.json", stage);
        cJSON *run = run_description(model_path, data, &pp);
        int status = 0;
        if (staging_left_over(&sg)) {
            if (!pp.resume) {
                fprintf(stderr, "vct eval: %s exists (a run that stopped): continue it with --resume, or remove it\n",
                        stage);
                status = 1;
            } else if (!same_json_file(run_json, run)) {
                fprintf(stderr, "vct eval: %s was made by another run (other model, data or options than its "
                                "run.json): remove it, or use another --out\n", stage);
                status = 1;
            }
        } else if (staging_create(&sg, &err) != VCT_STATUS_OK || json_file_write(run_json, run, &err) != VCT_STATUS_OK) {
            fprintf(stderr, "vct eval: %s\n", err.msg);
            status = 1;
        }
        cJSON_Delete(run);
        if (status) return status;
    } else if (staging_init_temp(&sg, "vct-eval", &err) != VCT_STATUS_OK) {
        fprintf(stderr, "vct eval: %s\n", err.msg);
        return 1;
    }
    vct_model *model = NULL;
    vct_model_params mp = vct_model_default_params();
    mp.config_path = cli_get(&cmd, "config");
    vct_status st = vct_model_load(model_path, &mp, &model, &err);
    const char *task_name = cli_get(&cmd, "task");
    avs_task want;
    if (st == VCT_STATUS_OK && task_name && (avs_task_from_name(task_name, &want) != 0 ||
                                             strcmp(task_name, vct_task_name(vct_model_task(model))) != 0))
        st = vct_fail(&err, VCT_STATUS_INVALID_ARGUMENT, "--task %s, but %s is an %s model (config %s)", task_name,
                      model_path, vct_task_name(vct_model_task(model)), model->config_source);
    predict_summary sum;
    if (st == VCT_STATUS_OK) st = predict_dataset(model, data, &pp, stage, &sum, &err);
    char pred[4200], gt[4200], order[4200], frames[4200], pjson[4200], ejson[4200];
    snprintf(pred, sizeof pred, "%s/pred", stage);
    snprintf(gt, sizeof gt, "%s/gt", stage);
    snprintf(order, sizeof order, "%s/order.txt", stage);
    snprintf(frames, sizeof frames, "%s/frames", stage);
    snprintf(pjson, sizeof pjson, "%s/predict.json", stage);
    snprintf(ejson, sizeof ejson, "%s/eval.json", stage);
    if (st == VCT_STATUS_OK && out) st = write_predict_json(pjson, model_path, model, data, &pp, &sum, &err);
    if (st == VCT_STATUS_OK) {
        log_info("eval: %lld clips, %lld frames in %.1f s (%.2f s a frame; network %.1f s)", (long long)sum.clips,
                 (long long)sum.frames, sum.seconds_total, sum.frames ? sum.seconds_total / (double)sum.frames : 0.0,
                 sum.seconds_network);
        const vct_task t = vct_model_task(model);
        p->task = t == VCT_TASK_S4 ? AVS_TASK_S4 : t == VCT_TASK_MS3 ? AVS_TASK_MS3 : AVS_TASK_AVSS;
        p->pred_dir = pred;
        p->gt_dir = gt;
        p->order_file = order;
        p->pred_kind = EVAL_PRED_PROB;
        p->resize = 0;
        char gt_label[4200], pred_label[4200];
        snprintf(gt_label, sizeof gt_label, "%s (%s split, %s layout; the 224x224 masks VCT scores)", data,
                 avs_split_name(pp.split), avs_layout_name(sum.layout));
        snprintf(pred_label, sizeof pred_label, "%s run by vct eval --data%s%s", model_path, out ? ", kept in " : "",
                 out ? out : "");
        p->gt_label = gt_label;
        p->pred_label = pred_label;
        /* the scores also go with the kept predictions */
        rc = score(p, cli_get(&cmd, "json"), out ? ejson : NULL, cli_get(&cmd, "report"), frames, thumbs);
    } else {
        fprintf(stderr, "vct eval: %s\n", err.msg);
        rc = 1;
    }
    vct_model_free(model);
    vct_error rm = {0};
    if (rc == 0 && out) {
        if (staging_commit(&sg, &rm) != VCT_STATUS_OK) { /* a new name, or over an empty folder */
            fprintf(stderr, "vct eval: %s\n", rm.msg);
            rc = 1;
        } else {
            fprintf(stderr, "vct eval: predictions kept in %s\n", out);
            return 0;
        }
    }
    /* a run that got as far as predictions keeps them for --resume; anything else goes */
    struct stat sb;
    if (out && stat(pred, &sb) == 0) {
        fprintf(stderr, "vct eval: the clips done so far are in %s: fix the problem and run again with --resume\n",
                stage);
        return rc;
    }
    if (staging_discard(&sg, &rm) != VCT_STATUS_OK) fprintf(stderr, "vct eval: %s\n", rm.msg);
    return rc;
}

int cmd_eval(int argc, char **argv) {
    const char *pos[1];
    int npos = 0, rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc == 3) return 0;
    if (rc) return rc;
    const char *model = cli_get(&cmd, "model"), *data = cli_get(&cmd, "data");
    if ((model || data) && !(model && data)) {
        fprintf(stderr, "vct eval: --data and --model go together\n");
        return 2;
    }
    static const char *const pred_only[] = {"pred", "gt", "order", "pred-kind", "resize", "frames"};
    static const char *const data_only[] = {"config", "split", "layout", "limit", "net-batch", "out", "resume"};
    for (size_t i = 0; i < 7; i++) {
        if (model && i == 6) break; /* pred_only has 6 */
        const char *name = model ? pred_only[i] : data_only[i];
        if (cli_given(&cmd, name)) {
            if (model) fprintf(stderr, "vct eval: --%s scores saved predictions (--pred/--gt); not with --data\n", name);
            else fprintf(stderr, "vct eval: --%s goes with --data --model\n", name);
            return 2;
        }
    }
    eval_params p = eval_default_params();
    const char *task = cli_get(&cmd, "task");
    if (task ? avs_task_from_name(task, &p.task) != 0 : !model) {
        fprintf(stderr, "vct eval: --task must be s4, ms3 or avss%s%s\n", task ? ", not " : "", task ? task : "");
        return 2;
    }
    if (!model) {
        p.pred_dir = cli_get(&cmd, "pred");
        p.gt_dir = cli_get(&cmd, "gt");
        if (!p.pred_dir || !p.gt_dir) {
            fprintf(stderr, "vct eval: --pred and --gt are required, or --data and --model (see vct eval --help)\n");
            return 2;
        }
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
    if (model) return eval_model(&p, model, data, cli_get(&cmd, "out"), thumbs);
    return score(&p, cli_get(&cmd, "json"), NULL, cli_get(&cmd, "report"), cli_get(&cmd, "frames"), thumbs);
}
