/* cmd_segment.c: `vct segment`: run a VCT model on one clip and write a mask PNG
 * per frame (at 224x224 as the official evaluation, and at the frame's own size)
 * plus a JSON summary.
 *   vct segment --frames DIR --audio FILE --maskige DIR --model FILE [--task T] --out DIR
 *   vct segment CLIP.mp4 --maskige DIR --model FILE --out DIR      (frames at 1 fps as
 *       AVSBench extracted them, audio from the same file)
 * Every input is read and checked before the model runs; outputs are written only
 * after it succeeded, each file as name.tmp then rename, the JSON last; on a failure
 * the files this run wrote are removed. See docs/segment.md. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "core/log.h"
#include "core/tensor.h"
#include "data/avsbench.h"
#include "io/image.h"
#include "io/json_file.h"
#include "io/safetensors.h"
#include "io/video.h"
#include "model/semantic_inference.h"
#include "model/vct_model.h"
#include "vct.h"

#define MAX_FRAMES 4096
#define BLANK_MASKIGE 120 /* ADE20K palette id 0: a pixel no Semantic-SAM mask covers */

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

typedef struct clip_files {
    int64_t T, H, W;
    char *stem[MAX_FRAMES];     /* output name of frame t */
    char *frame[MAX_FRAMES];    /* its file (NULL for video frames) */
    char *maskige[MAX_FRAMES];  /* its Maskige file (NULL: fallback) */
    uint8_t *frames, *masks;    /* [T,H,W,3] */
} clip_files;

static void clip_files_free(clip_files *c) {
    for (int64_t t = 0; t < c->T; t++) {
        free(c->stem[t]);
        free(c->frame[t]);
        free(c->maskige[t]);
    }
    free(c->frames);
    free(c->masks);
    memset(c, 0, sizeof *c);
}

/* natural order: digit runs compare as numbers ("f_2" < "f_10") */
static int natural_cmp(const void *pa, const void *pb) {
    const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y) return x < y ? -1 : 1;
            a = ea, b = eb;
        } else {
            if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
            a++, b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int is_image(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcmp(dot, ".png") || !strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg") || !strcmp(dot, ".PNG") ||
                   !strcmp(dot, ".JPG") || !strcmp(dot, ".JPEG"));
}

/* the image files of dir in natural order (malloc'ed names) */
static vct_status list_images(const char *dir, char **names, int64_t *n, vct_error *err) {
    DIR *d = opendir(dir);
    *n = 0;
    if (!d) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open the folder (%s)", dir, strerror(errno));
    struct dirent *e;
    vct_status st = VCT_STATUS_OK;
    while ((e = readdir(d)) && st == VCT_STATUS_OK) {
        if (e->d_name[0] == '.' || !is_image(e->d_name)) continue;
        if (*n == MAX_FRAMES) st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: more than %d images", dir, MAX_FRAMES);
        else if (!(names[(*n)++] = strdup(e->d_name))) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    }
    closedir(d);
    if (st == VCT_STATUS_OK) qsort(names, (size_t)*n, sizeof *names, natural_cmp);
    return st;
}

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Pair every frame with its Maskige (<stem>_mask_color.png, <stem>.png, <stem>.jpg) and
 * refuse Maskiges without a frame: a frame is missing. */
static vct_status pair_maskiges(clip_files *c, const char *dir, vct_error *err) {
    char *names[MAX_FRAMES];
    int64_t n = 0;
    VCT_TRY(list_images(dir, names, &n, err));
    vct_status st = VCT_STATUS_OK;
    int used[MAX_FRAMES] = {0};
    for (int64_t t = 0; t < c->T && st == VCT_STATUS_OK; t++) {
        static const char *suffix[] = {"_mask_color.png", ".png", ".jpg"};
        for (int k = 0; k < 3 && !c->maskige[t]; k++)
            for (int64_t i = 0; i < n && !c->maskige[t]; i++) {
                size_t ls = strlen(c->stem[t]);
                if (strncmp(names[i], c->stem[t], ls) == 0 && strcmp(names[i] + ls, suffix[k]) == 0) {
                    c->maskige[t] = join(dir, names[i]);
                    used[i] = 1;
                }
            }
        if (!c->maskige[t])
            st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: no Maskige for frame '%s' (looked for %s_mask_color.png, "
                          "%s.png, %s.jpg)", dir, c->frame[t] ? c->frame[t] : c->stem[t], c->stem[t], c->stem[t],
                          c->stem[t]);
    }
    for (int64_t i = 0; i < n && st == VCT_STATUS_OK; i++)
        if (!used[i])
            st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s/%s: a Maskige without a frame (is a frame missing from the "
                          "%lld frames?)", dir, names[i], (long long)c->T);
    for (int64_t i = 0; i < n; i++) free(names[i]);
    return st;
}

/* read image `path` into slot t of buf [T,H,W,3]; every image must have the clip's size */
static vct_status read_into(clip_files *c, uint8_t **buf, int64_t t, const char *path, const char *kind,
                            vct_error *err) {
    image_u8 im = {0};
    VCT_TRY(image_read_rgb(path, &im, err));
    vct_status st = VCT_STATUS_OK;
    if (c->H == 0) c->H = im.h, c->W = im.w;
    if (im.h != c->H || im.w != c->W)
        st = vct_fail(err, VCT_STATUS_SHAPE, "%s: %s of %lldx%lld (width x height), but %s is %lldx%lld: every frame and "
                      "Maskige of a clip must have one size", path, kind, (long long)im.w, (long long)im.h,
                      c->frame[0] ? c->frame[0] : "the first frame", (long long)c->W, (long long)c->H);
    if (st == VCT_STATUS_OK && !*buf && !(*buf = malloc((size_t)(c->T * c->H * c->W * 3))))
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for %lld frames", (long long)c->T);
    if (st == VCT_STATUS_OK) memcpy(*buf + t * c->H * c->W * 3, im.data, (size_t)(c->H * c->W * 3));
    image_free(&im);
    return st;
}

static vct_status read_frames_dir(clip_files *c, const char *dir, vct_error *err) {
    char *names[MAX_FRAMES];
    int64_t n = 0;
    VCT_TRY(list_images(dir, names, &n, err));
    vct_status st = n ? VCT_STATUS_OK : vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: no .png/.jpg frames", dir);
    c->T = n;
    for (int64_t t = 0; t < n && st == VCT_STATUS_OK; t++) {
        c->frame[t] = join(dir, names[t]);
        c->stem[t] = strdup(names[t]);
        if (!c->frame[t] || !c->stem[t]) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        else *strrchr(c->stem[t], '.') = '\0';
        for (int64_t u = 0; u < t && st == VCT_STATUS_OK; u++)
            if (!strcmp(c->stem[u], c->stem[t]))
                st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: frames '%s' and '%s' would write the same mask",
                              dir, names[u], names[t]);
    }
    for (int64_t t = 0; t < n && st == VCT_STATUS_OK; t++) st = read_into(c, &c->frames, t, c->frame[t], "frame", err);
    for (int64_t i = 0; i < n; i++) free(names[i]);
    return st;
}

static vct_status read_video(clip_files *c, const char *path, vct_error *err) {
    video_read_params vp = video_read_default_params();
    video_frames v;
    VCT_TRY(video_read_frames_1fps(path, &vp, &v, err));
    vct_status st = VCT_STATUS_OK;
    if (v.T > MAX_FRAMES) st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: %lld seconds, at most %d", path,
                                        (long long)v.T, MAX_FRAMES);
    c->T = st == VCT_STATUS_OK ? v.T : 0, c->H = v.H, c->W = v.W;
    for (int64_t t = 0; t < c->T && st == VCT_STATUS_OK; t++) {
        char s[32];
        snprintf(s, sizeof s, "%lld", (long long)t); /* AVSS numbering: second t is frame t */
        if (!(c->stem[t] = strdup(s))) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    }
    if (st == VCT_STATUS_OK) {
        c->frames = v.data;
        v.data = NULL;
        log_info("segment: %s: %lld frame(s) of %lldx%lld at 1 fps (source %.2f fps)", path, (long long)c->T,
                 (long long)c->W, (long long)c->H, v.fps);
    }
    video_frames_free(&v);
    return st;
}

static vct_status read_maskiges(clip_files *c, const char *dir, vct_error *err) {
    if (!dir) { /* --maskige-fallback blank */
        if (!(c->masks = malloc((size_t)(c->T * c->H * c->W * 3))))
            return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        memset(c->masks, BLANK_MASKIGE, (size_t)(c->T * c->H * c->W * 3));
        return VCT_STATUS_OK;
    }
    VCT_TRY(pair_maskiges(c, dir, err));
    for (int64_t t = 0; t < c->T; t++) VCT_TRY(read_into(c, &c->masks, t, c->maskige[t], "Maskige", err));
    return VCT_STATUS_OK;
}

/* ----------------------------------------------------------------- outputs */

typedef struct written {
    char *path[2 * MAX_FRAMES + 1];
    int n;
    char *dirs[3];
    int n_dirs;
} written;

/* mkdir; remembered in w (removed again on failure if still empty) when this run made it */
static vct_status mkdir_one(written *w, const char *path, vct_error *err) {
    if (mkdir(path, 0777) == 0) {
        w->dirs[w->n_dirs++] = strdup(path);
        return VCT_STATUS_OK;
    }
    if (errno != EEXIST) return vct_fail(err, VCT_STATUS_IO, "%s: cannot create the folder (%s)", path, strerror(errno));
    return VCT_STATUS_OK;
}

/* one mask PNG: AVSS palette indices (value = class id), S4/MS3 gray 0/255 */
static vct_status write_mask(written *w, const char *path, const uint8_t *lab, int64_t H, int64_t W, int64_t K,
                             vct_error *err) {
    image_u8 im = {0};
    VCT_TRY(image_alloc(&im, H, W, 1, err));
    uint8_t pal[256 * 3];
    for (int64_t i = 0; i < H * W; i++) im.data[i] = K == 2 ? (uint8_t)(lab[i] ? 255 : 0) : lab[i];
    for (int c = 0; c < K && K != 2; c++) avs_palette_colour(c, pal + 3 * c);
    vct_status st = image_write_png(path, &im, K == 2 ? NULL : pal, K == 2 ? 0 : (int)K, err);
    image_free(&im);
    if (st == VCT_STATUS_OK) w->path[w->n++] = strdup(path);
    return st;
}

static cJSON *class_list(const uint8_t *lab, int64_t n, int64_t K) {
    int64_t count[256] = {0};
    for (int64_t i = 0; i < n; i++) count[lab[i]]++;
    cJSON *a = cJSON_CreateArray();
    for (int64_t c = 0; c < K; c++) {
        if (!count[c]) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)c);
        cJSON_AddStringToObject(o, "name", K == 2 ? (c ? "sounding object" : "background")
                                           : K == AVS_NUM_CLASSES ? avs_class_name((int)c) : "");
        cJSON_AddNumberToObject(o, "pixels", (double)count[c]);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static vct_status write_dump(const char *path, const vct_segmentation *s, vct_error *err) {
    tensor_dict d;
    tensor_dict_init(&d);
    const int64_t T = s->T, K = s->K;
    uint8_t *am = malloc((size_t)(T * 224 * 224));
    vct_status st = am ? VCT_STATUS_OK : vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (st == VCT_STATUS_OK) sem_seg_argmax(am, s->sem_seg, T, K, 224, 224);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(&d, "pred_logits", VCT_DTYPE_F32, 3, (int64_t[3]){T, s->Q, K + 1}, s->pred_logits, NULL, err);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(&d, "pred_masks", VCT_DTYPE_F32, 4, (int64_t[4]){T, s->Q, s->Hm, s->Wm}, s->pred_masks, NULL,
                             err);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(&d, "sem_seg", VCT_DTYPE_F32, 4, (int64_t[4]){T, K, 224, 224}, s->sem_seg, NULL, err);
    if (st == VCT_STATUS_OK)
        st = tensor_dict_add(&d, "sem_seg_argmax", VCT_DTYPE_U8, 3, (int64_t[3]){T, 224, 224}, am, NULL, err);
    if (st == VCT_STATUS_OK) st = tensor_dict_set_meta(&d, "vct_version", VCT_VERSION_STRING, err);
    if (st == VCT_STATUS_OK) st = safetensors_write(path, &d, err);
    free(am);
    tensor_dict_free(&d);
    return st;
}

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
    clip_files c;
    memset(&c, 0, sizeof c);
    vct_model *model = NULL;
    vct_segmentation seg;
    memset(&seg, 0, sizeof seg);
    written w = {{0}, 0, {0}, 0};
    cJSON *root = NULL;
    double t0 = wall_seconds(), t_load = 0, t_write = 0;
    /* 1. every input, before the model */
    vct_status st = frames_dir ? read_frames_dir(&c, frames_dir, &err) : read_video(&c, video, &err);
    if (st == VCT_STATUS_OK) st = read_maskiges(&c, mdir, &err);
    /* 2. the model */
    vct_model_params mp = vct_model_default_params();
    mp.config_path = cli_get(&cmd, "config");
    double t1 = wall_seconds();
    if (st == VCT_STATUS_OK) st = vct_model_load(model_path, &mp, &model, &err);
    t_load = wall_seconds() - t1;
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
    vct_clip clip = {c.T, c.H, c.W, c.frames, c.masks, NULL, 0, NULL, frames_dir ? audio : video};
    if (st == VCT_STATUS_OK) {
        progress_begin(&bar, "segment", c.T);
        st = vct_segment(model, &clip, &sp, &seg, &err);
        progress_end(&bar);
    }
    /* 4. outputs: PNGs, the dump, then the JSON; all or nothing */
    double t2 = wall_seconds();
    char path[4096];
    if (st == VCT_STATUS_OK) st = mkdir_one(&w, out, &err);
    snprintf(path, sizeof path, "%s/masks", out);
    if (st == VCT_STATUS_OK) st = mkdir_one(&w, path, &err);
    snprintf(path, sizeof path, "%s/masks_224", out);
    if (st == VCT_STATUS_OK) st = mkdir_one(&w, path, &err);
    if (st == VCT_STATUS_OK) {
        root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "vct_version", VCT_VERSION_STRING);
        cJSON_AddStringToObject(root, "model", model_path);
        cJSON_AddStringToObject(root, "config", model->config_source);
        cJSON_AddStringToObject(root, "task", vct_task_name(seg.task));
        cJSON_AddNumberToObject(root, "classes", (double)seg.K);
        cJSON_AddNumberToObject(root, "input_size", vct_model_input_size(model));
        cJSON_AddStringToObject(root, "source", frames_dir ? frames_dir : video);
        cJSON_AddStringToObject(root, "audio", frames_dir ? audio : video);
        cJSON_AddStringToObject(root, "maskige", mdir ? mdir : "fallback blank: every pixel (120,120,120), no "
                                                               "Semantic-SAM prior (see docs/segment.md)");
        cJSON *o = cJSON_AddObjectToObject(root, "outputs");
        cJSON_AddStringToObject(o, "mask_224", "masks_224/<frame>.png: 224x224, the official evaluation size "
                                               "(sem_seg_postprocess of the 384x384 map)");
        cJSON_AddStringToObject(o, "mask", "masks/<frame>.png: the frame's own size (the same 384x384 map resized "
                                           "bilinearly, then decided)");
        cJSON_AddStringToObject(o, "encoding", seg.K == 2 ? "8-bit gray: 255 = sounding object (softmax > 0.5), 0 = "
                                                            "background"
                                                          : "palette PNG: pixel value = class id (AVSBench palette)");
        cJSON *fr = cJSON_AddArrayToObject(root, "frames");
        for (int64_t t = 0; t < seg.T && st == VCT_STATUS_OK; t++) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddItemToArray(fr, f);
            cJSON_AddStringToObject(f, "frame", c.frame[t] ? c.frame[t] : c.stem[t]);
            if (c.maskige[t]) cJSON_AddStringToObject(f, "maskige", c.maskige[t]);
            cJSON_AddNumberToObject(f, "width", (double)seg.W);
            cJSON_AddNumberToObject(f, "height", (double)seg.H);
            snprintf(path, sizeof path, "%s/masks_224/%s.png", out, c.stem[t]);
            st = write_mask(&w, path, seg.labels_224 + t * 224 * 224, 224, 224, seg.K, &err);
            snprintf(path, sizeof path, "masks_224/%s.png", c.stem[t]);
            cJSON_AddStringToObject(f, "mask_224", path);
            cJSON_AddItemToObject(f, "classes_224", class_list(seg.labels_224 + t * 224 * 224, 224 * 224, seg.K));
            snprintf(path, sizeof path, "%s/masks/%s.png", out, c.stem[t]);
            if (st == VCT_STATUS_OK) st = write_mask(&w, path, seg.labels + t * seg.H * seg.W, seg.H, seg.W, seg.K, &err);
            snprintf(path, sizeof path, "masks/%s.png", c.stem[t]);
            cJSON_AddStringToObject(f, "mask", path);
            cJSON_AddItemToObject(f, "classes", class_list(seg.labels + t * seg.H * seg.W, seg.H * seg.W, seg.K));
        }
    }
    if (st == VCT_STATUS_OK && dump) {
        st = write_dump(dump, &seg, &err);
        if (st == VCT_STATUS_OK) w.path[w.n++] = strdup(dump);
    }
    t_write = wall_seconds() - t2;
    if (st == VCT_STATUS_OK) {
        cJSON *tm = cJSON_AddObjectToObject(root, "timings");
        cJSON_AddNumberToObject(tm, "load_s", t_load);
        cJSON_AddNumberToObject(tm, "audio_and_resize_s", seg.seconds_audio);
        cJSON_AddNumberToObject(tm, "network_s", seg.seconds_network);
        cJSON_AddNumberToObject(tm, "network_per_frame_s", seg.seconds_network / (double)seg.T);
        cJSON_AddNumberToObject(tm, "postprocess_s", seg.seconds_post);
        cJSON_AddNumberToObject(tm, "write_s", t_write);
        cJSON_AddNumberToObject(tm, "total_s", wall_seconds() - t0);
        snprintf(path, sizeof path, "%s/segment.json", out);
        st = json_file_write(path, root, &err);
    }
    if (st == VCT_STATUS_OK) {
        printf("segment: %lld frame(s), %s, %.2f s per frame: %s/masks, %s/masks_224, %s/segment.json\n",
               (long long)seg.T, vct_task_name(seg.task), seg.seconds_network / (double)seg.T, out, out, out);
    } else {
        for (int i = 0; i < w.n; i++) unlink(w.path[i]); /* nothing half-done stays behind */
        for (int i = w.n_dirs - 1; i >= 0; i--) rmdir(w.dirs[i]);
        fprintf(stderr, "vct segment: %s\n", err.msg);
    }
    for (int i = 0; i < w.n; i++) free(w.path[i]);
    for (int i = 0; i < w.n_dirs; i++) free(w.dirs[i]);
    cJSON_Delete(root);
    vct_segmentation_free(&seg);
    vct_model_free(model);
    clip_files_free(&c);
    return st == VCT_STATUS_OK ? 0 : 1;
}
