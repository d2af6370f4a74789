/* cmd_segment.c: `vct segment`: run a VCT model on one clip and write a mask PNG
 * per frame (at 224x224 as the official evaluation, and at the frame's own size)
 * plus a JSON summary.
 *   vct segment --frames DIR --audio FILE --maskige DIR --model FILE [--task T] --out DIR
 *   vct segment CLIP.mp4 --maskige DIR --model FILE --out DIR      (frames at 1 fps as
 *       AVSBench extracted them, audio from the same file, in one read)
 * The flags, then the library: data/clip.h reads and checks every input before the model
 * loads, vct_segment() runs it, data/segment_out.h writes the outputs all or nothing.
 * See docs/segment.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "audio/frontend.h"
#include "commands.h"
#include "core/log.h"
#include "data/clip.h"
#include "data/segment_out.h"
#include "model/vct_model.h"
#include "vct.h"

static cli_opt opts[] = {
    {"frames", 'f', 1, NULL, "folder of frames (.png/.jpg, natural order), e.g. an AVSBench clip's", NULL, 0},
    {"audio", 'a', 1, NULL, "the clip's audio (any file FFmpeg reads); required with --frames", NULL, 0},
    {"maskige", 'k', 1, NULL, "folder of pre-SAM Maskige images, one per frame: <frame>_mask_color.png or "
                              "<frame>.png (the Semantic-SAM prior; see docs/segment.md)", NULL, 0},
    {"maskige-fallback", 0, 1, NULL, "blank: no Maskige available, use an all-uncovered one (120,120,120); not the "
                                     "model's trained input, see docs/segment.md for its measured effect", NULL, 0},
    {"model", 'm', 1, NULL, "checkpoint: official model_best.pth or a vct .safetensors (required)", NULL, 0},
    {"config", 'c', 1, NULL, "the detectron2 config.yaml (default: the checkpoint's own, else config.yaml beside it)",
     NULL, 0},
    {"task", 't', 1, NULL, "s4, ms3 or avss: must be the model's task (default: the model's)", NULL, 0},
    {"out", 'o', 1, NULL, "output folder (required): masks/, masks_224/, segment.json", NULL, 0},
    {"batch", 'b', 1, "1", "frames through the network at once (more uses more memory)", NULL, 0},
    {"dump", 0, 1, NULL, "also write pred_logits, pred_masks, sem_seg, sem_seg_argmax under the conformance names "
                         "to this .safetensors file", NULL, 0},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
static const cli_cmd cmd = {"segment", "(--frames DIR --audio FILE | CLIP.mp4) (--maskige DIR | --maskige-fallback blank) "
                                       "--model FILE --out DIR [options]",
                            "segment the sounding objects of one clip with a VCT model", 0, 1, opts};

static void on_progress(int64_t done, int64_t total, void *user) {
    progress *p = user;
    (void)total;
    progress_step(p, done - p->done);
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "vct segment: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    cli_usage(&cmd, stderr);
    return 2;
}

int cmd_segment(int argc, char **argv) {
    const char *pos[1];
    int npos = 0, rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc == 3) return 0;
    if (rc) return rc;
    const char *frames_dir = cli_get(&cmd, "frames"), *audio = cli_get(&cmd, "audio"), *mdir = cli_get(&cmd, "maskige");
    const char *fallback = cli_get(&cmd, "maskige-fallback"), *model_path = cli_get(&cmd, "model");
    const char *out = cli_get(&cmd, "out"), *task_name = cli_get(&cmd, "task"), *dump = cli_get(&cmd, "dump");
    const char *video = npos ? pos[0] : NULL;
    vct_task want = VCT_TASK_S4;
    int batch = atoi(cli_get(&cmd, "batch"));
    if (!model_path || !out) return usage_error("%s", "--model FILE and --out DIR are required");
    if (!video == !frames_dir) return usage_error("%s", "give either a video (CLIP.mp4) or --frames DIR with --audio FILE");
    if (frames_dir && !audio) return usage_error("%s", "--frames needs --audio FILE (the clip's sound)");
    if (video && audio) return usage_error("%s", "a video brings its own audio: --audio is for --frames");
    if (batch < 1) return usage_error("--batch %s: expected an integer >= 1", cli_get(&cmd, "batch"));
    if (task_name) {
        audio_task at;
        if (audio_task_from_name(task_name, &at) != 0) return usage_error("unknown --task '%s' (s4, ms3 or avss)", task_name);
        want = at == AUDIO_TASK_S4 ? VCT_TASK_S4 : at == AUDIO_TASK_MS3 ? VCT_TASK_MS3 : VCT_TASK_AVSS;
    }
    if (fallback && strcmp(fallback, "blank") != 0) return usage_error("--maskige-fallback %s: the only fallback is 'blank'", fallback);
    if (mdir && fallback) return usage_error("%s", "--maskige and --maskige-fallback exclude each other");
    if (!mdir && !fallback) {
        fprintf(stderr,
                "vct segment: no --maskige. VCT fuses a pre-SAM \"Maskige\" (the Semantic-SAM masks of each frame, "
                "painted as an image) into every frame's features, and it is part of the model's input: AVSBench ships "
                "them, a video of your own has none. Make them with Semantic-SAM (docs/segment.md) and pass "
                "--maskige DIR, or pass --maskige-fallback blank to run with an empty Maskige (not what the model "
                "was trained on; docs/segment.md gives its measured effect).\n");
        return 2;
    }
    if (dump && (strlen(dump) < 12 || strcmp(dump + strlen(dump) - 12, ".safetensors") != 0))
        return usage_error("--dump %s: must end in .safetensors", dump);

    vct_error err = {0};
    const double t0 = wall_seconds();
    /* 1. every input, before the model */
    clip c;
    clip_params cp = {frames_dir, audio, video, mdir};
    vct_status st = clip_read(&c, &cp, &err);
    /* 2. the model */
    vct_model *model = NULL;
    vct_model_params mp = vct_model_default_params();
    mp.config_path = cli_get(&cmd, "config");
    const double t1 = wall_seconds();
    if (st == VCT_STATUS_OK) st = vct_model_load(model_path, &mp, &model, &err);
    const double t_load = wall_seconds() - t1;
    if (st == VCT_STATUS_OK && task_name && vct_model_task(model) != want)
        st = vct_fail(&err, VCT_STATUS_INVALID_ARGUMENT, "--task %s, but %s is an %s model (config %s)", task_name,
                      model_path, vct_task_name(vct_model_task(model)), model->config_source);
    if (st == VCT_STATUS_OK) {
        const vct_task task = vct_model_task(model);
        if ((task == VCT_TASK_AVSS && c.T != 5 && c.T != 10) || (task != VCT_TASK_AVSS && c.T != 5))
            log_warn("segment: %lld frame(s); %s clips have %s. VCT segments every frame on its own (frame t with "
                     "audio example t), so the clip runs as it is", (long long)c.T, vct_task_name(task),
                     task == VCT_TASK_AVSS ? "5 or 10" : "5");
        if (fallback && vct_model_has_prior(model))
            log_warn("segment: --maskige-fallback blank: every frame gets an empty Maskige; the masks are not what the "
                     "model gives with its Semantic-SAM prior (docs/segment.md)");
    }
    /* 3. run */
    progress bar;
    vct_segment_params sp = vct_segment_default_params();
    sp.frames_per_batch = batch;
    sp.keep_scores = dump != NULL;
    sp.progress = on_progress;
    sp.progress_user_data = &bar;
    vct_segmentation seg;
    memset(&seg, 0, sizeof seg);
    if (st == VCT_STATUS_OK) {
        const vct_clip view = clip_view(&c);
        progress_begin(&bar, "segment", c.T);
        st = vct_segment(model, &view, &sp, &seg, &err);
        progress_end(&bar);
    }
    /* 4. outputs: all or nothing */
    if (st == VCT_STATUS_OK) {
        segment_out_info info = {model_path, model->config_source, vct_task_name(seg.task), vct_model_input_size(model),
                                 frames_dir ? frames_dir : video, frames_dir ? audio : video, mdir, dump, t0, t_load};
        st = segment_out_write(out, &c, &seg, &info, &err);
    }
    if (st == VCT_STATUS_OK)
        printf("segment: %lld frame(s), %s, %.2f s per frame: %s/masks, %s/masks_224, %s/segment.json\n",
               (long long)seg.T, vct_task_name(seg.task), seg.seconds_network / (double)seg.T, out, out, out);
    else
        fprintf(stderr, "vct segment: %s\n", err.msg);
    vct_segmentation_free(&seg);
    vct_model_free(model);
    clip_free(&c);
    return st == VCT_STATUS_OK ? 0 : 1;
}
