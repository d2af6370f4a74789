/* eval_report.c: the HTML report of `vct eval` (eval.h): one self-contained page
 * with the scores of each flavour, bars per class (AVSS) or per top-level folder
 * (S4 categories), and overlay thumbnails of the worst and the best frames by
 * IoU. The thumbnails are drawn here: the video frame (when --frames finds it;
 * else grey) with the ground truth tinted on the left and the prediction on the
 * right (S4/MS3: p > 0.5; AVSS: palette colours), written as PNG by io/image.h
 * and embedded as base64 data URIs. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/eval.h"
#include "io/atomic_file.h"
#include "io/resize.h"

#define THUMB_W 192

typedef struct out {
    atomic_file af;
    vct_status st;
    vct_error *err;
} out;

#define w(o, ...) atomic_file_printf(&(o)->af, &(o)->st, (o)->err, __VA_ARGS__)

static void w_esc(out *o, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': w(o, "&lt;"); break;
        case '>': w(o, "&gt;"); break;
        case '&': w(o, "&amp;"); break;
        case '"': w(o, "&quot;"); break;
        default: w(o, "%c", *s);
        }
    }
}

static void w_base64(out *o, const unsigned char *d, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char line[1024];
    size_t k = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
        line[k++] = tab[(v >> 18) & 63];
        line[k++] = tab[(v >> 12) & 63];
        line[k++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        line[k++] = i + 2 < n ? tab[v & 63] : '=';
        if (k + 4 >= sizeof line) {
            if (o->st == VCT_STATUS_OK) o->st = atomic_file_write(&o->af, line, k, o->err);
            k = 0;
        }
    }
    if (k && o->st == VCT_STATUS_OK) o->st = atomic_file_write(&o->af, line, k, o->err);
}

/* ---- drawing ---------------------------------------------------------------------------- */

static int exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The video frame of a ground-truth path, if frames_dir has it under a usual name. */
static int find_video_frame(const char *frames_dir, const char *rel, char *path, size_t cap) {
    static const char *const ext[] = {"png", "jpg", "jpeg"};
    char alt[2048];
    for (int e = 0; e < 3; e++) {
        snprintf(path, cap, "%s/%s.%s", frames_dir, rel, ext[e]);
        if (exists(path)) return 1;
    }
    /* MS3: gt_masks/<split>/<v>/<v>_<k> -> visual_frames/<v>/<v>.mp4_<k> */
    const char *us = strrchr(rel, '_'), *sl = strrchr(rel, '/');
    if (us && (!sl || us > sl)) {
        snprintf(alt, sizeof alt, "%.*s.mp4%.1000s", (int)(us - rel), rel, us);
        snprintf(path, cap, "%.2000s/%s.png", frames_dir, alt);
        if (exists(path)) return 1;
    }
    /* AVSS: <uid>/labels_rgb/<t> -> <uid>/frames/<t>.jpg (or processed_frames_384) */
    static const char *const ldirs[] = {"labels_rgb/", "labels_semantic/", "processed_labels_semantic/"};
    static const char *const fdirs[] = {"frames/", "processed_frames_384/"};
    for (int i = 0; i < 3; i++) {
        const char *at = strstr(rel, ldirs[i]);
        if (!at) continue;
        for (int j = 0; j < 2; j++) {
            snprintf(path, cap, "%s/%.*s%s%s.jpg", frames_dir, (int)(at - rel), rel, fdirs[j], at + strlen(ldirs[i]));
            if (exists(path)) return 1;
        }
    }
    return 0;
}

static void tint(uint8_t *px, const uint8_t col[3], float a) {
    for (int k = 0; k < 3; k++) px[k] = (uint8_t)lrintf((1.0f - a) * px[k] + a * col[k]);
}

/* Draw labels lab[h*w] (0 = nothing) over base (RGB, h x w) into dst: a tint
 * plus a solid boundary. colour(c) gives the RGB of label c. */
static void overlay(uint8_t *dst, const uint8_t *base, const uint8_t *lab, int64_t h, int64_t w, int binary,
                    int is_pred) {
    static const uint8_t fg_gt[3] = {40, 210, 80}, fg_pred[3] = {255, 40, 40};
    const uint8_t *fg = is_pred ? fg_pred : fg_gt;
    memcpy(dst, base, (size_t)(h * w * 3));
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            int64_t i = y * w + x;
            uint8_t c = lab[i];
            if (!c) continue;
            uint8_t col[3];
            if (binary) memcpy(col, fg, 3);
            else avs_palette_colour(c, col);
            int edge = (x > 0 && lab[i - 1] != c) || (x + 1 < w && lab[i + 1] != c) || (y > 0 && lab[i - w] != c) ||
                       (y + 1 < h && lab[i + w] != c);
            if (edge) memcpy(dst + 3 * i, col, 3);
            else tint(dst + 3 * i, col, 0.5f);
        }
}

/* The thumbnail of frame f: [GT overlay | prediction overlay], downscaled. */
static vct_status make_thumb(const eval_params *p, const eval_result *r, int64_t f, const char *frames_dir,
                             image_u8 *thumb, int *have_frame, vct_error *err) {
    const eval_frame *fr = &r->frames[f];
    image_u8 gt = {0}, ids = {0}, base = {0}, pair = {0};
    float *prob = NULL;
    uint8_t *plab = NULL;
    *have_frame = 0;
    VCT_TRY(eval_read_frame(p, fr->rel, &gt, &prob, &ids, err));
    vct_status st = VCT_STATUS_OK;
    int64_t h = gt.h, W = gt.w, n = h * W;
    char path[4096];
    if (frames_dir && find_video_frame(frames_dir, fr->rel, path, sizeof path)) {
        image_u8 im = {0};
        vct_error e2 = {0};
        if (image_read_rgb(path, &im, &e2) == VCT_STATUS_OK) {
            if (im.h != h || im.w != W) {
                st = resize_bilinear_pil(&base, &im, h, W, err);
                image_free(&im);
                if (st != VCT_STATUS_OK) goto done;
            } else {
                base = im;
            }
            *have_frame = 1;
        }
    }
    if (!base.data) {
        if ((st = image_alloc(&base, h, W, 3, err)) != VCT_STATUS_OK) goto done;
        memset(base.data, 96, (size_t)(n * 3));
    }
    plab = malloc((size_t)(n ? n : 1));
    if (!plab) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        goto done;
    }
    int binary = p->task != AVS_TASK_AVSS;
    for (int64_t i = 0; i < n; i++) plab[i] = binary ? prob[i] > 0.5f : ids.data[i];
    if ((st = image_alloc(&pair, h, 2 * W + 4, 3, err)) != VCT_STATUS_OK) goto done;
    memset(pair.data, 255, (size_t)(pair.h * pair.w * 3));
    uint8_t *tmp = malloc((size_t)(n > 0 ? n * 3 : 1));
    if (!tmp) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        goto done;
    }
    for (int side = 0; side < 2; side++) {
        overlay(tmp, base.data, side ? plab : gt.data, h, W, binary, side);
        for (int64_t y = 0; y < h; y++)
            memcpy(pair.data + (y * pair.w + side * (W + 4)) * 3, tmp + y * W * 3, (size_t)(W * 3));
    }
    free(tmp);
    int64_t tw = 2 * THUMB_W + 4, th = (int64_t)llround((double)pair.h * (double)tw / (double)pair.w);
    if (th < 1) th = 1;
    if (pair.w > tw) st = resize_bilinear_pil(thumb, &pair, th, tw, err);
    else if (pair.w < tw) st = resize_nearest_pil(thumb, &pair, th, tw, err); /* small masks: crisp pixels */
    else {
        *thumb = pair;
        memset(&pair, 0, sizeof pair);
    }
done:
    free(plab);
    free(prob);
    image_free(&gt);
    image_free(&ids);
    image_free(&base);
    image_free(&pair);
    return st;
}

static vct_status emit_png(out *o, const image_u8 *im, const char *tmpdir, vct_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/thumb.png", tmpdir);
    VCT_TRY(image_write_png(path, im, NULL, 0, err));
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    remove(path);
    if (!buf || got != (size_t)n) {
        free(buf);
        return vct_fail(err, VCT_STATUS_IO, "%s: cannot read back the thumbnail", path);
    }
    w(o, "<img alt=\"overlay\" src=\"data:image/png;base64,");
    w_base64(o, buf, (size_t)n);
    w(o, "\">");
    free(buf);
    return o->st;
}

/* ---- the page ----------------------------------------------------------------------------- */

static void bar(out *o, const char *label, double v, const char *cls, const char *note) {
    w(o, "<div class=\"row\"><span class=\"lab\">");
    w_esc(o, label);
    w(o, "</span><span class=\"track\"><span class=\"%s\" style=\"width:%.2f%%\"></span></span>"
         "<span class=\"val\">%.4f</span><span class=\"note\">%s</span></div>\n",
      cls, 100.0 * (v < 0 ? 0 : v > 1 ? 1 : v), v, note ? note : "");
}

static int64_t *sorted_frames(const eval_result *r) {
    int64_t n = r->n_frames, *idx = malloc((size_t)(n ? n : 1) * sizeof *idx);
    if (!idx) return NULL;
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    for (int64_t i = 1; i < n; i++) { /* insertion sort by IoU, stable */
        int64_t v = idx[i], j = i;
        while (j > 0 && r->frames[idx[j - 1]].iou > r->frames[v].iou) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
    return idx;
}

static vct_status thumbs(out *o, const eval_params *p, const eval_result *r, const int64_t *idx, int64_t k, int worst,
                         const char *frames_dir, const char *tmpdir, vct_error *err) {
    w(o, "<h2>%s %lld frames by IoU</h2>\n<div class=\"thumbs\">\n", worst ? "Worst" : "Best", (long long)k);
    for (int64_t i = 0; i < k && o->st == VCT_STATUS_OK; i++) {
        int64_t f = worst ? idx[i] : idx[r->n_frames - 1 - i];
        image_u8 t = {0};
        int have = 0;
        VCT_TRY(make_thumb(p, r, f, frames_dir, &t, &have, err));
        w(o, "<figure>");
        vct_status st = emit_png(o, &t, tmpdir, err);
        image_free(&t);
        if (st != VCT_STATUS_OK) return st;
        w(o, "<figcaption>");
        w_esc(o, r->frames[f].rel);
        w(o, "<br>IoU %.4f, F %.4f%s%s</figcaption></figure>\n", r->frames[f].iou, r->frames[f].f,
          r->frames[f].empty_gt ? " (empty GT)" : "", have ? "" : " (no frame image)");
    }
    w(o, "</div>\n");
    return o->st;
}

vct_status eval_write_report(const char *path, const eval_params *p, const eval_result *r, const char *frames_dir,
                             int n_thumbs, vct_error *err) {
    out o = {.st = VCT_STATUS_OK, .err = err};
    const char *td = getenv("TMPDIR");
    char tmpdir[4096];
    snprintf(tmpdir, sizeof tmpdir, "%s/vct_report_XXXXXX", td && *td ? td : "/tmp");
    if (!mkdtemp(tmpdir)) return vct_fail(err, VCT_STATUS_IO, "%s: cannot create a temporary folder: %s", tmpdir,
                                          strerror(errno));
    int64_t *idx = sorted_frames(r);
    vct_status st = idx ? atomic_file_open(&o.af, path, err) : vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (st != VCT_STATUS_OK) {
        free(idx);
        rmdir(tmpdir);
        return st;
    }
    w(&o, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>vct eval: %s</title>\n<style>\n"
          "body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}\n"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}\n"
          "th{background:#f0f0f0}td.l{text-align:left}\n"
          ".row{display:flex;align-items:center;font-size:13px;margin:2px 0}\n"
          ".lab{width:170px;overflow:hidden;white-space:nowrap}.val{width:60px;text-align:right;margin-right:8px}\n"
          ".track{flex:0 0 420px;background:#eee;height:12px;margin-left:6px}\n"
          ".b1{display:block;height:12px;background:#3b7dd8}.b2{display:block;height:12px;background:#e08a2c}\n"
          ".note{color:#777}.thumbs{display:flex;flex-wrap:wrap;gap:10px}\n"
          "figure{margin:0;font-size:12px;width:%dpx;word-break:break-all}figure img{display:block}\n"
          "</style></head><body>\n",
      avs_task_name(r->task), 2 * THUMB_W + 4);
    w(&o, "<h1>vct eval: task %s</h1>\n<p>ground truth <code>", avs_task_name(r->task));
    w_esc(&o, p->gt_label ? p->gt_label : p->gt_dir);
    w(&o, "</code>, predictions <code>");
    w_esc(&o, p->pred_label ? p->pred_label : p->pred_dir);
    w(&o, "</code><br>%lld videos, %lld frames", (long long)r->n_videos, (long long)r->n_frames);
    if (r->task != AVS_TASK_AVSS) w(&o, ", %lld with an empty ground truth", (long long)r->n_empty_gt);
    w(&o, "</p>\n<table><tr><th>flavour</th><th>M_J</th><th>M_F</th><th>grouping</th></tr>\n");
    const eval_scores *s[3] = {&r->avsbench, &r->vct, &r->ours};
    const char *names[3] = {"AVSBench (official loop)", "VCT (official loop)", "ours: batch-independent"};
    for (int i = 0; i < 3; i++) {
        if (!s[i]->present) continue;
        char grp[96];
        if (i == 0 && s[i]->batch_videos > 0) snprintf(grp, sizeof grp, "%d videos per batch", s[i]->batch_videos);
        else if (i == 1) snprintf(grp, sizeof grp, "1 video per group");
        else snprintf(grp, sizeof grp, "all videos in one group");
        w(&o, "<tr><td class=\"l\">%s</td><td>%.6f</td><td>%.6f</td><td class=\"l\">%s</td></tr>\n", names[i], s[i]->M_J,
          s[i]->M_F, grp);
    }
    w(&o, "</table>\n");
    if (r->task == AVS_TASK_AVSS) {
        const eval_scores *c = r->vct.present ? &r->vct : &r->ours;
        w(&o, "<h2>Per class (%s): IoU <span style=\"color:#3b7dd8\">&#9632;</span> and F "
              "<span style=\"color:#e08a2c\">&#9632;</span>, classes in the ground truth or scoring above 0</h2>\n",
          r->vct.present ? "VCT loop" : "ours");
        for (int k = 0; k < METRIC_AVSS_CLASSES; k++) {
            if (c->miou_pc[k] == 0 && c->f_pc[k] == 0 && r->class_frames[k] == 0) continue;
            char note[64];
            snprintf(note, sizeof note, "%lld GT frames", (long long)r->class_frames[k]);
            bar(&o, avs_class_name(k), c->miou_pc[k], "b1", note);
            bar(&o, "", c->f_pc[k], "b2", NULL);
        }
    } else if (r->n_groups > 1) {
        w(&o, "<h2>Per folder (S4: category): mean frame IoU <span style=\"color:#3b7dd8\">&#9632;</span> and F of the "
              "folder as one batch <span style=\"color:#e08a2c\">&#9632;</span></h2>\n");
        for (int64_t g = 0; g < r->n_groups; g++) {
            char note[64];
            snprintf(note, sizeof note, "%lld videos", (long long)r->groups[g].n_videos);
            bar(&o, r->groups[g].name, r->groups[g].M_J, "b1", note);
            bar(&o, "", r->groups[g].M_F, "b2", NULL);
        }
    }
    w(&o, "<p class=\"note\">Thumbnails: left the ground truth%s, right the prediction%s, over the video frame "
          "(grey where the frame image is missing).</p>\n",
      r->task == AVS_TASK_AVSS ? "" : " (green)",
      r->task == AVS_TASK_AVSS ? " (AVSS palette colours)" : " (red: p &gt; 0.5)");
    int64_t k = n_thumbs < r->n_frames ? n_thumbs : r->n_frames;
    st = o.st;
    if (st == VCT_STATUS_OK && k > 0) st = thumbs(&o, p, r, idx, k, 1, frames_dir, tmpdir, err);
    if (st == VCT_STATUS_OK && k > 0) st = thumbs(&o, p, r, idx, k, 0, frames_dir, tmpdir, err);
    w(&o, "</body></html>\n");
    if (st == VCT_STATUS_OK) st = o.st;
    free(idx);
    rmdir(tmpdir);
    if (st != VCT_STATUS_OK) {
        atomic_file_abort(&o.af);
        return vct_error_wrap(err, "%s", path);
    }
    return atomic_file_commit(&o.af, err);
}
