/* synth_layout.c: SynthAVS files in the AVSBench layouts (design/avsbench.md
 * §1.1-1.5, data/avsbench.h), and the data-set driver.
 *
 *   S4 avsbench   s4_meta_data.csv; s4_data/visual_frames/<sp>/<cat>/<n>/<n>_<k>.png
 *                 (224x224: the native 426x240 scene sampled at 224x224), s4_data/gt_masks/... (0/255; train: k = 1 only),
 *                 s4_data/audio_wav/<sp>/<cat>/<n>.wav, s4_data/audio_log_mel/.../<n>.pkl
 *   S4 vct        s4_data_384/visual_frames_384/<sp>/<cat>/<n>/<n>_<k>.png (384x384),
 *                 s4_data_384/gt_masks_{384,224}/... (train: k = 1), s4_data_384/
 *                 pre_SAM_mask_384/.../<n>_<k>_mask_color.png, s4_data/audio_{wav,log_mel}
 *   MS3 avsbench  ms3_meta_data.csv; ms3_data/visual_frames/<v>/<v>.mp4_<k>.png,
 *                 ms3_data/gt_masks/<sp>/<v>/<v>_<k>.png, ms3_data/audio_{wav,log_mel}/<sp>/<v>.*
 *   MS3 vct       ms3_data_384/visual_frames_384/<v>/<v>_<k>.png, gt_masks_{384,224}/<sp>/<v>/,
 *                 pre_SAM_mask_384/<v>/<v>_<k>_mask_color.png, ms3_data/audio_*
 *   AVSS          metadata.csv, label2idx.json; <label>/<uid>/frames/<t>.jpg (426x240),
 *                 labels_rgb/<t>.png (palette colours), labels_semantic/<t>.png (ids),
 *                 audio.wav; v1s train: label 0 only. vct adds audio.pkl ([10,1,96,64],
 *                 zero-padded), val/test processed_frames_384/<t>.jpg and
 *                 processed_labels_semantic/<t>.png (224), and the Maskiges
 *                 pre_SAM_mask/AVSBench_semantic/<label>/<uid>/{frames,processed_frames_384}/
 * The vct layout is made as VCT's scripts make it from AVSBench-semantic: the
 * native frame goes through JPEG, then PIL-bilinear to 384; masks and Maskiges
 * are PIL-nearest resizes of the native ones (io/resize.h).
 * Every data set also gets synthavs.json (generator, seed, classes, library
 * versions) and synthavs_clips.csv (who is heard and seen in each clip). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>

#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "audio/frontend.h"
#include "core/log.h"
#include "core/omp.h"
#include "data/synth.h"
#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/image.h"
#include "io/resize.h"
#include "vct.h"

#define PATH_CAP 1024

/* ---- paths and folders --------------------------------------------------------------- */

/* format a path into buf and create its parent folder */
static vct_status file_path(char *buf, vct_error *err, const char *fmt, ...) VCT_PRINTF(3, 4);
static vct_status file_path(char *buf, vct_error *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, PATH_CAP, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= PATH_CAP) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "path too long: %.80s...", buf);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) return VCT_STATUS_OK;
    *slash = '\0';
    vct_status st = fs_mkdirs(buf, err);
    *slash = '/';
    return st;
}

/* ---- JPEG ----------------------------------------------------------------------------------- */

typedef struct jpeg_err {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} jpeg_err;

static void jpeg_err_exit(j_common_ptr ci) {
    jpeg_err *e = (jpeg_err *)ci->err;
    (*ci->err->format_message)(ci, e->msg);
    longjmp(e->jb, 1);
}

/* Encode RGB im (libjpeg defaults: 4:2:0, ISLOW) into *out (malloc'ed). */
static vct_status jpeg_encode(const image_u8 *im, int quality, unsigned char **out, unsigned long *n, const char *what,
                              vct_error *err) {
    struct jpeg_compress_struct ci;
    jpeg_err je;
    *out = NULL;
    *n = 0;
    ci.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jpeg_err_exit;
    if (setjmp(je.jb)) {
        jpeg_destroy_compress(&ci);
        free(*out);
        *out = NULL;
        return vct_fail(err, VCT_STATUS_IO, "%s: JPEG encoder: %s", what, je.msg);
    }
    jpeg_create_compress(&ci);
    jpeg_mem_dest(&ci, out, n);
    ci.image_width = (JDIMENSION)im->w;
    ci.image_height = (JDIMENSION)im->h;
    ci.input_components = 3;
    ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = im->data + (size_t)ci.next_scanline * (size_t)im->w * 3;
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    return VCT_STATUS_OK;
}

static vct_status write_bytes(const char *path, const void *p, size_t n, vct_error *err) {
    atomic_file af;
    VCT_TRY(atomic_file_open(&af, path, err));
    vct_status st = atomic_file_write(&af, p, n, err);
    if (st != VCT_STATUS_OK) {
        atomic_file_abort(&af);
        return st;
    }
    return atomic_file_commit(&af, err);
}

/* Write im as JPEG at path; *decoded (if not NULL) receives the file decoded
 * back as PIL would read it. */
static vct_status write_jpeg(const char *path, const image_u8 *im, int quality, image_u8 *decoded, vct_error *err) {
    unsigned char *buf = NULL;
    unsigned long n = 0;
    VCT_TRY(jpeg_encode(im, quality, &buf, &n, path, err));
    vct_status st = write_bytes(path, buf, n, err);
    if (st == VCT_STATUS_OK && decoded) st = image_decode_rgb(buf, n, path, decoded, err);
    free(buf);
    return st;
}

/* ---- one clip --------------------------------------------------------------------------- */

typedef struct clip_pix {
    image_u8 rgb[SYNTH_MAX_FRAMES];  /* native frames */
    image_u8 bin[SYNTH_MAX_FRAMES];  /* native binary GT, 0/255 */
    image_u8 cls[SYNTH_MAX_FRAMES];  /* native class ids */
    image_u8 mkg[SYNTH_MAX_FRAMES];  /* native Maskige ids */
} clip_pix;

static void clip_pix_free(clip_pix *P) {
    for (int t = 0; t < SYNTH_MAX_FRAMES; t++) {
        image_free(&P->rgb[t]);
        image_free(&P->bin[t]);
        image_free(&P->cls[t]);
        image_free(&P->mkg[t]);
    }
}

/* Render every frame at W x H (the scene is sampled there; masks exact at that size). */
static vct_status render_clip(clip_pix *P, const synth_clip *c, int W, int H, int want_maskige, vct_error *err) {
    uint8_t *inst = malloc((size_t)W * H);
    if (!inst) return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", c->name);
    vct_status st = VCT_STATUS_OK;
    for (int t = 0; t < c->T && st == VCT_STATUS_OK; t++) {
        st = image_alloc(&P->rgb[t], H, W, 3, err);
        if (st == VCT_STATUS_OK) st = image_alloc(&P->bin[t], H, W, 1, err);
        if (st == VCT_STATUS_OK) st = image_alloc(&P->cls[t], H, W, 1, err);
        if (st == VCT_STATUS_OK && want_maskige) st = image_alloc(&P->mkg[t], H, W, 1, err);
        if (st != VCT_STATUS_OK) break;
        st = synth_render(c, t, W, H, P->rgb[t].data, inst, err);
        if (st != VCT_STATUS_OK) break;
        for (size_t k = 0; k < (size_t)W * H; k++) {
            int i = inst[k] - 1, heard = inst[k] && synth_object_heard(c, i, t);
            P->bin[t].data[k] = heard ? 255 : 0;
            P->cls[t].data[k] = heard ? (uint8_t)synth_class_get(c->obj[i].cls)->avss_class : 0;
        }
        if (want_maskige) st = synth_maskige(P->mkg[t].data, c, t, W, H, err);
    }
    free(inst);
    return st;
}

/* resize (nearest or bilinear) and write as PNG; palette for indexed output */
static vct_status write_resized_png(const char *path, const image_u8 *im, int size, int bilinear, const uint8_t *pal,
                                    int pal_n, vct_error *err) {
    image_u8 r = {0};
    vct_status st = bilinear ? resize_bilinear_pil(&r, im, size, size, err) : resize_nearest_pil(&r, im, size, size, err);
    if (st == VCT_STATUS_OK) st = image_write_png(path, &r, pal, pal_n, err);
    image_free(&r);
    return st;
}

/* the RGB colour picture of a class-id map (labels_rgb) */
static vct_status write_colour_labels(const char *path, const image_u8 *ids, vct_error *err) {
    image_u8 rgb = {0};
    VCT_TRY(image_alloc(&rgb, ids->h, ids->w, 3, err));
    for (int64_t k = 0; k < ids->h * ids->w; k++) avs_palette_colour(ids->data[k], rgb.data + 3 * k);
    vct_status st = image_write_png(path, &rgb, NULL, 0, err);
    image_free(&rgb);
    return st;
}

/* first heard, visible object's class (the S4 category of the clip) */
static int clip_main_class(const synth_clip *c) {
    for (int s = 0; s < c->n_snd; s++)
        if (c->snd[s].object >= 0) return c->snd[s].cls;
    return 0;
}

/* make the path (and its folder), then write; count the file; on failure goto done */
#define WRITE(make_path, write)                                                                    \
    do {                                                                                           \
        st = (make_path);                                                                          \
        if (st == VCT_STATUS_OK) st = (write);                                                     \
        if (st != VCT_STATUS_OK) goto done;                                                        \
        (*files)++;                                                                                \
    } while (0)

static vct_status write_audio(const char *out, const synth_clip *c, const char *wav_fmt_dir, const char *pkl_dir,
                              audio_task task, int64_t *files, vct_error *err) {
    int64_t n = (int64_t)c->T * SYNTH_SAMPLE_RATE;
    int rows = audio_task_rows(task);
    int16_t *pcm = malloc((size_t)n * sizeof *pcm);
    double *x = malloc((size_t)n * sizeof *x);
    float *mel = malloc((size_t)rows * 96 * 64 * sizeof *mel);
    char path[PATH_CAP];
    vct_status st = VCT_STATUS_OK;
    if (!pcm || !x || !mel) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", c->name);
        goto done;
    }
    st = synth_audio(pcm, c, err);
    if (st != VCT_STATUS_OK) goto done;
    WRITE(file_path(path, err, "%s/%s", out, wav_fmt_dir), synth_write_wav(path, pcm, n, err));
    if (pkl_dir) {
        for (int64_t i = 0; i < n; i++) x[i] = pcm[i] / 32768.0;
        st = audio_examples_for_task(mel, NULL, x, n, SYNTH_SAMPLE_RATE, task, c->name, err);
        if (st != VCT_STATUS_OK) goto done;
        WRITE(file_path(path, err, "%s/%s", out, pkl_dir), synth_write_logmel_pkl(path, mel, rows, err));
    }
done:
    free(pcm);
    free(x);
    free(mel);
    return st;
}

static vct_status write_object_clip(const char *out, const synth_params *p, const synth_clip *c, const clip_pix *P,
                                    int64_t *files, vct_error *err) {
    int s4 = p->task == AVS_TASK_S4, vct = p->layout == AVS_LAYOUT_VCT, train = c->split == AVS_SPLIT_TRAIN;
    const char *sp = avs_split_name(c->split), *n = c->name;
    const char *cat = synth_class_get(clip_main_class(c))->s4_category;
    char path[PATH_CAP], rel[PATH_CAP], rel2[PATH_CAP];
    vct_status st = VCT_STATUS_OK;
    /* folder of a clip below a per-split tree: S4 <sp>/<cat>/<n>, MS3 <sp>/<n> */
    char sub[256];
    if (s4) snprintf(sub, sizeof sub, "%s/%s/%s", sp, cat, n);
    else snprintf(sub, sizeof sub, "%s/%s", sp, n);
    const char *data = s4 ? "s4_data" : "ms3_data", *d384 = s4 ? "s4_data_384" : "ms3_data_384";
    for (int t = 0; t < c->T; t++) {
        int k = t + 1, labelled = !(s4 && train) || t == 0;
        if (!vct) {
            if (s4) WRITE(file_path(path, err, "%s/s4_data/visual_frames/%s/%s_%d.png", out, sub, n, k), image_write_png(path, &P->rgb[t], NULL, 0, err));
            else WRITE(file_path(path, err, "%s/ms3_data/visual_frames/%s/%s.mp4_%d.png", out, n, n, k), image_write_png(path, &P->rgb[t], NULL, 0, err));
            if (labelled)
                WRITE(file_path(path, err, "%s/%s/gt_masks/%s/%s_%d.png", out, data, sub, n, k), image_write_png(path, &P->bin[t], NULL, 0, err));
            continue;
        }
        /* vct: native JPEG (as AVSS frames/<t>.jpg) -> decoded -> 384 bilinear PNG */
        unsigned char *jb = NULL;
        unsigned long jn = 0;
        image_u8 dec = {0};
        st = jpeg_encode(&P->rgb[t], 90, &jb, &jn, n, err);
        if (st == VCT_STATUS_OK) st = image_decode_rgb(jb, jn, n, &dec, err);
        free(jb);
        const char *fdir = s4 ? sub : n;
        if (st == VCT_STATUS_OK) {
            st = file_path(path, err, "%s/%s/visual_frames_384/%s/%s_%d.png", out, d384, fdir, n, k);
            if (st == VCT_STATUS_OK) st = write_resized_png(path, &dec, 384, 1, NULL, 0, err);
            if (st == VCT_STATUS_OK) (*files)++;
        }
        image_free(&dec);
        if (st != VCT_STATUS_OK) goto done;
        WRITE(file_path(path, err, "%s/%s/pre_SAM_mask_384/%s/%s_%d_mask_color.png", out, d384, fdir, n, k), write_resized_png(path, &P->mkg[t], 384, 0, synth_ade_palette(), SYNTH_MAX_MASKIGE, err));
        if (labelled) {
            snprintf(rel, sizeof rel, "%s/gt_masks_384/%s/%s_%d.png", d384, sub, n, k);
            snprintf(rel2, sizeof rel2, "%s/gt_masks_224/%s/%s_%d.png", d384, sub, n, k);
            WRITE(file_path(path, err, "%s/%s", out, rel), write_resized_png(path, &P->bin[t], 384, 0, NULL, 0, err));
            WRITE(file_path(path, err, "%s/%s", out, rel2), write_resized_png(path, &P->bin[t], 224, 0, NULL, 0, err));
        }
    }
    snprintf(rel, sizeof rel, "%s/audio_wav/%s.wav", data, sub);
    snprintf(rel2, sizeof rel2, "%s/audio_log_mel/%s.pkl", data, sub);
    st = write_audio(out, c, rel, rel2, s4 ? AUDIO_TASK_S4 : AUDIO_TASK_MS3, files, err);
done:
    return st;
}

static vct_status write_avss_clip(const char *out, const synth_params *p, const synth_clip *c, const clip_pix *P,
                                  int64_t *files, vct_error *err) {
    int vct = p->layout == AVS_LAYOUT_VCT, train = c->split == AVS_SPLIT_TRAIN;
    const char *lab = c->subset, *n = c->name;
    char path[PATH_CAP], rel[PATH_CAP], rel2[PATH_CAP];
    vct_status st = VCT_STATUS_OK;
    for (int t = 0; t < c->T; t++) {
        int labelled = !(train && strcmp(lab, "v1s") == 0) || t == 0;
        image_u8 dec = {0};
        st = file_path(path, err, "%s/%s/%s/frames/%d.jpg", out, lab, n, t);
        if (st == VCT_STATUS_OK) st = write_jpeg(path, &P->rgb[t], 90, vct && !train ? &dec : NULL, err);
        if (st == VCT_STATUS_OK) (*files)++;
        if (st == VCT_STATUS_OK && vct && !train) { /* ss_process.py: PIL bilinear 384, saved as JPEG */
            image_u8 r = {0};
            st = resize_bilinear_pil(&r, &dec, 384, 384, err);
            if (st == VCT_STATUS_OK) st = file_path(path, err, "%s/%s/%s/processed_frames_384/%d.jpg", out, lab, n, t);
            if (st == VCT_STATUS_OK) st = write_jpeg(path, &r, 75, NULL, err);
            if (st == VCT_STATUS_OK) (*files)++;
            image_free(&r);
        }
        image_free(&dec);
        if (st != VCT_STATUS_OK) goto done;
        if (labelled) {
            WRITE(file_path(path, err, "%s/%s/%s/labels_rgb/%d.png", out, lab, n, t), write_colour_labels(path, &P->cls[t], err));
            WRITE(file_path(path, err, "%s/%s/%s/labels_semantic/%d.png", out, lab, n, t), image_write_png(path, &P->cls[t], NULL, 0, err));
            if (vct && !train)
                WRITE(file_path(path, err, "%s/%s/%s/processed_labels_semantic/%d.png", out, lab, n, t), write_resized_png(path, &P->cls[t], 224, 0, NULL, 0, err));
        }
        if (vct) {
            snprintf(rel, sizeof rel, "pre_SAM_mask/AVSBench_semantic/%s/%s/frames/%d_mask_color.png", lab, n, t);
            WRITE(file_path(path, err, "%s/%s", out, rel), image_write_png(path, &P->mkg[t], synth_ade_palette(), SYNTH_MAX_MASKIGE, err));
            if (!train) {
                snprintf(rel2, sizeof rel2, "pre_SAM_mask/AVSBench_semantic/%s/%s/processed_frames_384/%d_mask_color.png",
                         lab, n, t);
                WRITE(file_path(path, err, "%s/%s", out, rel2), write_resized_png(path, &P->mkg[t], 384, 0, synth_ade_palette(), SYNTH_MAX_MASKIGE, err));
            }
        }
    }
    snprintf(rel, sizeof rel, "%s/%s/audio.wav", lab, n);
    snprintf(rel2, sizeof rel2, "%s/%s/audio.pkl", lab, n);
    st = write_audio(out, c, rel, vct ? rel2 : NULL, AUDIO_TASK_AVSS, files, err);
done:
    return st;
}

vct_status synth_write_clip(const char *out, const synth_params *p, const synth_clip *c, int64_t *files,
                            vct_error *err) {
    clip_pix P;
    memset(&P, 0, sizeof P);
    /* published S4/MS3: 224x224 frames, annotated at that size (AVSBench resized the
     * videos to 224 first); everything else starts from the native frame */
    int small = p->layout == AVS_LAYOUT_AVSBENCH && p->task != AVS_TASK_AVSS;
    vct_status st = render_clip(&P, c, small ? 224 : c->W, small ? 224 : c->H, p->layout == AVS_LAYOUT_VCT, err);
    if (st == VCT_STATUS_OK)
        st = p->task == AVS_TASK_AVSS ? write_avss_clip(out, p, c, &P, files, err) : write_object_clip(out, p, c, &P, files, err);
    clip_pix_free(&P);
    if (st != VCT_STATUS_OK) vct_error_wrap(err, "clip %lld (%s)", (long long)c->index, c->name);
    return st;
}

/* ---- index files ------------------------------------------------------------------------ */

/* growing text buffer */
typedef struct tbuf {
    char *p;
    size_t n, cap;
    int oom;
} tbuf;

static void tb_printf(tbuf *b, const char *fmt, ...) VCT_PRINTF(2, 3);
static void tb_printf(tbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if (b->n + (size_t)n + 1 > b->cap) {
        size_t nc = (b->n + (size_t)n + 1) * 2;
        char *q = realloc(b->p, nc);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

static vct_status tb_write(tbuf *b, const char *out, const char *name, vct_error *err) {
    char path[PATH_CAP];
    vct_status st;
    if (b->oom) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", name);
    else if ((st = file_path(path, err, "%s/%s", out, name)) == VCT_STATUS_OK) st = write_bytes(path, b->p, b->n, err);
    free(b->p);
    memset(b, 0, sizeof *b);
    return st;
}

/* a_obj: the AVSS names of the classes heard and seen, joined by '_' */
static void a_obj(const synth_clip *c, char *buf, size_t cap) {
    buf[0] = '\0';
    int seen[AVS_NUM_CLASSES] = {0};
    for (int s = 0; s < c->n_snd; s++) {
        if (c->snd[s].object < 0) continue;
        int k = synth_class_get(c->snd[s].cls)->avss_class;
        if (seen[k]++) continue;
        size_t l = strlen(buf);
        snprintf(buf + l, cap - l, "%s%s", l ? "_" : "", avs_class_name(k));
    }
}

static void pattern(const uint8_t *a, int T, char *buf) {
    for (int t = 0; t < T; t++) buf[t] = a[t] ? '1' : '0';
    buf[T] = '\0';
}

static vct_status write_index(const char *out, const synth_params *p, const synth_clip *clips, int64_t n,
                              int64_t *files, vct_error *err) {
    tbuf csv = {0}, info = {0}, js = {0};
    char buf[512], pat[SYNTH_MAX_FRAMES + 1];
    const char *csv_name = p->task == AVS_TASK_S4 ? "s4_meta_data.csv" : p->task == AVS_TASK_MS3 ? "ms3_meta_data.csv" : "metadata.csv";
    if (p->task == AVS_TASK_S4) tb_printf(&csv, "name,start,category,split\n");
    else if (p->task == AVS_TASK_MS3) tb_printf(&csv, "video_id,split\n");
    else tb_printf(&csv, "vid,uid,s_min,s_sec,a_obj,split,label\n");
    tb_printf(&info, "index,name,split,subset,frames,source_class,source_object,heard_seconds,gain,visible_objects\n");
    for (int64_t i = 0; i < n; i++) {
        const synth_clip *c = &clips[i];
        const char *sp = avs_split_name(c->split);
        if (p->task == AVS_TASK_S4)
            tb_printf(&csv, "%s,%d,%s,%s\n", c->name, 0, synth_class_get(clip_main_class(c))->s4_category, sp);
        else if (p->task == AVS_TASK_MS3) tb_printf(&csv, "%s,%s\n", c->name, sp);
        else {
            a_obj(c, buf, sizeof buf);
            int start = 0;
            const char *us = strchr(c->name + 11, '_');
            if (us) start = atoi(us + 1) / 1000;
            tb_printf(&csv, "%s,%s,%d,%d,%s,%s,%s\n", c->vid, c->name, 0, start, buf, sp, c->subset);
        }
        for (int s = 0; s < c->n_snd; s++) {
            const synth_sound *sd = &c->snd[s];
            pattern(sd->active, c->T, pat);
            char obj[16];
            if (sd->object < 0) snprintf(obj, sizeof obj, "offscreen");
            else snprintf(obj, sizeof obj, "%d", sd->object);
            tb_printf(&info, "%lld,%s,%s,%s,%d,%s,%s,%s,%.3f,", (long long)c->index, c->name, sp,
                      c->subset ? c->subset : "", c->T, synth_class_get(sd->cls)->name, obj, pat, sd->gain);
            for (int o = 0; o < c->n_obj; o++) tb_printf(&info, "%s%s", o ? " " : "", synth_class_get(c->obj[o].cls)->name);
            tb_printf(&info, "\n");
        }
    }
    /* synthavs.json: enough to regenerate the set and to know what made it */
    int64_t per[AVS_SPLIT_COUNT] = {0};
    for (int64_t i = 0; i < n; i++) per[clips[i].split]++;
    tb_printf(&js, "{\n  \"generator\": \"vct synth\",\n  \"vct_version\": \"%s\",\n  \"synth_version\": \"%s\",\n",
              VCT_VERSION_STRING, SYNTH_VERSION);
    tb_printf(&js, "  \"task\": \"%s\",\n  \"layout\": \"%s\",\n  \"seed\": %llu,\n  \"clips\": %lld,\n",
              avs_task_name(p->task), avs_layout_name(p->layout), (unsigned long long)p->seed, (long long)n);
    tb_printf(&js, "  \"splits\": {\"train\": %lld, \"val\": %lld, \"test\": %lld},\n", (long long)per[0],
              (long long)per[1], (long long)per[2]);
    tb_printf(&js, "  \"native_size\": [%d, %d],\n", n ? clips[0].W : 0, n ? clips[0].H : 0);
    tb_printf(&js, "  \"tools\": {\"sounds\": \"synthesised in C (no external tools)\", \"libpng\": \"%s\", "
                   "\"zlib\": \"%s\", \"libjpeg\": %d},\n",
              PNG_LIBPNG_VER_STRING, ZLIB_VERSION, JPEG_LIB_VERSION);
    tb_printf(&js, "  \"classes\": [\n");
    for (int k = 0; k < SYNTH_NUM_CLASSES; k++) {
        const synth_class *sc = synth_class_get(k);
        tb_printf(&js, "    {\"name\": \"%s\", \"s4_category\": \"%s\", \"avss_class\": %d, \"avss_name\": \"%s\", "
                       "\"look\": \"%s\", \"sound\": \"%s\"}%s\n",
                  sc->name, sc->s4_category, sc->avss_class, avs_class_name(sc->avss_class), sc->look, sc->sound,
                  k + 1 < SYNTH_NUM_CLASSES ? "," : "");
    }
    tb_printf(&js, "  ]\n}\n");
    vct_status st = tb_write(&info, out, "synthavs_clips.csv", err);
    if (st == VCT_STATUS_OK) st = tb_write(&js, out, "synthavs.json", err);
    if (st == VCT_STATUS_OK && p->task == AVS_TASK_AVSS) {
        tbuf lj = {0};
        tb_printf(&lj, "{");
        for (int k = 0; k < AVS_NUM_CLASSES; k++) tb_printf(&lj, "%s\"%s\": %d", k ? ", " : "", avs_class_name(k), k + 1);
        tb_printf(&lj, "}");
        st = tb_write(&lj, out, "label2idx.json", err);
        if (st == VCT_STATUS_OK) (*files)++;
    }
    if (st == VCT_STATUS_OK) { /* the CSV last: a set without it is visibly incomplete */
        st = tb_write(&csv, out, csv_name, err);
        if (st == VCT_STATUS_OK) *files += 3;
    }
    free(csv.p);
    free(info.p);
    free(js.p);
    return st;
}

/* ---- the data set ----------------------------------------------------------------------- */

static vct_status check_out_dir(const char *out, int force, vct_error *err) {
    DIR *d = opendir(out);
    if (!d) {
        if (errno != ENOENT) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open folder: %s", out, strerror(errno));
        return fs_mkdirs(out, err);
    }
    struct dirent *e;
    int used = 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) used = 1;
    closedir(d);
    if (used && !force)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT,
                        "%s: folder is not empty (stale clips would mix with new ones; use an empty folder, or allow overwriting)", out);
    return VCT_STATUS_OK;
}

vct_status synth_write_dataset(const char *out, const synth_params *p, synth_stats *stats, vct_error *err) {
    memset(stats, 0, sizeof *stats);
    if (p->clips < 3)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%lld clips: need at least 3 (one per split)", (long long)p->clips);
    if (p->layout != AVS_LAYOUT_AVSBENCH && p->layout != AVS_LAYOUT_VCT)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "layout must be avsbench or vct");
    if (strlen(out) > PATH_CAP - 200) return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: path too long", out);
    VCT_TRY(check_out_dir(out, p->force, err));
    int64_t n = p->clips;
    synth_clip *clips = malloc((size_t)n * sizeof *clips);
    vct_status *sts = calloc((size_t)n, sizeof *sts);
    vct_error *errs = NULL;
    int64_t *files = calloc((size_t)n, sizeof *files);
    if (!clips || !sts || !files) {
        free(clips);
        free(sts);
        free(files);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for %lld clips", (long long)n);
    }
    for (int64_t i = 0; i < n; i++) synth_plan_clip(&clips[i], p, i);
    vct_status st = VCT_STATUS_OK;
    for (int64_t i = 0; i < n && st == VCT_STATUS_OK; i++) /* names are random: make sure none repeats */
        for (int64_t j = 0; j < i; j++)
            if (strcmp(clips[i].name, clips[j].name) == 0) {
                st = vct_fail(err, VCT_STATUS_INTERNAL, "clip names %lld and %lld collide (%s): use another seed",
                              (long long)j, (long long)i, clips[i].name);
                break;
            }
    double t0 = wall_seconds();
    progress pr;
    int failed = 0;
    if (st == VCT_STATUS_OK) {
        progress_begin(&pr, "synth", n);
#pragma omp parallel for schedule(dynamic, 1)
        for (int64_t i = 0; i < n; i++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop) continue;
            vct_error e = {0};
            sts[i] = synth_write_clip(out, p, &clips[i], &files[i], &e);
#pragma omp critical(synth_progress)
            {
                if (sts[i] != VCT_STATUS_OK) {
                    if (!errs) { /* keep the first failure's message */
                        errs = malloc(sizeof *errs);
                        if (errs) *errs = e;
                    }
                    failed = 1;
                }
                progress_step(&pr, 1);
            }
        }
        progress_end(&pr);
        if (failed) {
            for (int64_t i = 0; i < n; i++)
                if (sts[i] != VCT_STATUS_OK) {
                    st = errs ? vct_fail(err, errs->status, "%s", errs->msg) : vct_fail(err, sts[i], "clip %lld failed", (long long)i);
                    break;
                }
        }
    }
    free(errs);
    int64_t nfiles = 0;
    for (int64_t i = 0; i < n; i++) nfiles += files[i];
    if (st == VCT_STATUS_OK) st = write_index(out, p, clips, n, &nfiles, err);
    if (st == VCT_STATUS_OK) {
        stats->clips = n;
        stats->files = nfiles;
        for (int64_t i = 0; i < n; i++) {
            stats->per_split[clips[i].split]++;
            stats->frames += clips[i].T;
        }
        stats->seconds = wall_seconds() - t0;
    }
    free(clips);
    free(sts);
    free(files);
    return st;
}
