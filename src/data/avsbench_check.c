/* avsbench_check.c: `vct data check` without the CLI (avsbench.h avs_check):
 * every file a clip's loader reads, read the way it reads it. Clips are checked
 * in parallel; their problems are kept per clip and reported in clip order. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "data/avsbench.h"

avs_check_params avs_check_default_params(void) {
    avs_check_params p = {(1 << AVS_SPLIT_TRAIN) | (1 << AVS_SPLIT_VAL) | (1 << AVS_SPLIT_TEST), 0, 0};
    return p;
}

typedef struct msgs {
    char **v;
    int64_t n, cap;
    int oom;
} msgs;

static void add(msgs *m, const char *fmt, ...) VCT_PRINTF(2, 3);
static void add(msgs *m, const char *fmt, ...) {
    char buf[VCT_ERROR_MSG_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (m->n == m->cap) {
        int64_t nc = m->cap ? 2 * m->cap : 8;
        char **nv = realloc(m->v, (size_t)nc * sizeof *nv);
        if (!nv) {
            m->oom = 1;
            return;
        }
        m->v = nv;
        m->cap = nc;
    }
    size_t len = strlen(buf) + 1;
    char *s = malloc(len);
    if (!s) {
        m->oom = 1;
        return;
    }
    memcpy(s, buf, len);
    m->v[m->n++] = s;
}

static void msgs_free(msgs *m) {
    for (int64_t i = 0; i < m->n; i++) free(m->v[i]);
    free(m->v);
    memset(m, 0, sizeof *m);
}

static int exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

vct_status avs_check_label_json(const char *path, vct_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? 2 * cap : 8192;
            if (cap > ((size_t)16 << 20)) {
                free(buf);
                fclose(f);
                return vct_fail(err, VCT_STATUS_FORMAT, "%s: larger than 16 MiB; not a label list", path);
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (!got) break;
    }
    fclose(f);
    buf[len] = '\0';
    cJSON *root = cJSON_Parse(buf);
    free(buf);
    vct_status st = VCT_STATUS_OK;
    if (!root || !cJSON_IsObject(root)) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: not a JSON object", path);
    } else {
        int n = cJSON_GetArraySize(root);
        if (n != AVS_NUM_CLASSES)
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: %d keys; AVSS needs the %d classes (get_v2_pallete asserts it)",
                          path, n, AVS_NUM_CLASSES);
    }
    cJSON_Delete(root);
    return st;
}

/* ---- one clip ----------------------------------------------------------------------------- */

typedef struct clip_out {
    msgs m;
    avs_check_counts c;
} clip_out;

static const char *where(const avs_clip *c, char *buf, size_t cap) {
    snprintf(buf, cap, "clip %s, split %s", c->name, avs_split_name(c->split));
    return buf;
}

static void check_clip(const avs_dataset *ds, const avs_clip *c, int quick, clip_out *o) {
    char w[512];
    int avss = ds->task == AVS_TASK_AVSS, vct = ds->layout == AVS_LAYOUT_VCT;
    int64_t fh = -1, fw = -1;
    o->c.clips = 1;
    for (int t = 0; t < c->n_frames; t++) {
        if (!exists(c->frame[t])) {
            add(&o->m, "%s: missing frame %d of %s", c->frame[t], t + 1, where(c, w, sizeof w));
            continue;
        }
        o->c.frames++;
        if (quick) continue;
        image_u8 im = {0};
        vct_error e = {0};
        if (avs_read_frame(c->frame[t], &im, &e) != VCT_STATUS_OK) {
            add(&o->m, "%s", e.msg);
            continue;
        }
        if (fh < 0) {
            fh = im.h;
            fw = im.w;
        } else if (im.h != fh || im.w != fw) {
            add(&o->m, "%s: frame is %lldx%lld (HxW) but the clip's first frame is %lldx%lld", c->frame[t],
                (long long)im.h, (long long)im.w, (long long)fh, (long long)fw);
        }
        image_free(&im);
    }
    for (int t = 0; t < c->n_frames; t++) {
        if (!c->labelled[t]) continue;
        if (!exists(c->mask[t])) {
            add(&o->m, "%s: missing ground-truth mask of frame %d of %s", c->mask[t], t + 1, where(c, w, sizeof w));
            continue;
        }
        o->c.masks++;
        if (quick) continue;
        image_u8 m = {0};
        vct_error e = {0};
        vct_status st;
        if (!avss) st = avs_read_binary_mask(c->mask[t], ds->task == AVS_TASK_S4 && !vct, &m, &e);
        else if (!vct) st = avs_read_colour_mask(c->mask[t], 1, &m, &e);
        else st = avs_read_index_mask(c->mask[t], &m, &e);
        if (st != VCT_STATUS_OK) {
            add(&o->m, "%s", e.msg);
            continue;
        }
        int fixed224 = vct && c->split != AVS_SPLIT_TRAIN;
        int64_t eh = fixed224 ? 224 : fh, ew = fixed224 ? 224 : fw;
        if (eh > 0 && (m.h != eh || m.w != ew))
            add(&o->m, "%s: mask is %lldx%lld (HxW) but %s %lldx%lld", c->mask[t], (long long)m.h, (long long)m.w,
                fixed224 ? "the VCT layout's val/test masks are" : "its frame is", (long long)eh, (long long)ew);
        int empty = 1;
        for (int64_t i = 0; i < m.h * m.w && empty; i++) empty = m.data[i] == 0;
        o->c.empty_masks += empty;
        image_free(&m);
    }
    if (c->needs_maskige)
        for (int t = 0; t < c->n_frames; t++) {
            if (!exists(c->maskige[t])) {
                add(&o->m, "%s: missing Maskige of frame %d of %s", c->maskige[t], t + 1, where(c, w, sizeof w));
                continue;
            }
            o->c.maskiges++;
            if (quick) continue;
            image_u8 m = {0};
            vct_error e = {0};
            if (avs_read_maskige(c->maskige[t], &m, &e) != VCT_STATUS_OK) {
                add(&o->m, "%s", e.msg);
                continue;
            }
            if (fh > 0 && (m.h != fh || m.w != fw))
                add(&o->m, "%s: Maskige is %lldx%lld (HxW) but its frame is %lldx%lld", c->maskige[t], (long long)m.h,
                    (long long)m.w, (long long)fh, (long long)fw);
            image_free(&m);
        }
    if (c->needs_pkl) {
        if (!exists(c->audio_pkl)) {
            add(&o->m, "%s: missing log-mel pickle of %s", c->audio_pkl, where(c, w, sizeof w));
        } else {
            o->c.pkls++;
            if (!quick) {
                float *lm = NULL;
                int64_t rows = 0;
                vct_error e = {0};
                if (avs_read_audio_pkl(c->audio_pkl, avss ? 10 : 5, &lm, &rows, &e) != VCT_STATUS_OK)
                    add(&o->m, "%s", e.msg);
                free(lm);
            }
        }
    }
    if (c->audio_wav && (c->needs_wav || exists(c->audio_wav))) {
        if (!exists(c->audio_wav)) {
            add(&o->m, "%s: missing audio of %s", c->audio_wav, where(c, w, sizeof w));
        } else {
            o->c.wavs++;
            if (!quick) {
                float *ex = NULL;
                int64_t n_real = 0;
                vct_error e = {0};
                if (avs_read_audio_examples(c->audio_wav, ds->task, c->n_frames, &ex, &n_real, &e) != VCT_STATUS_OK)
                    add(&o->m, "%s", e.msg);
                free(ex);
            }
        }
    }
}

static int cmp_idx_name(const void *a, const void *b, const avs_dataset *ds) {
    const avs_clip *x = &ds->clips[*(const int64_t *)a], *y = &ds->clips[*(const int64_t *)b];
    if (x->split != y->split) return x->split < y->split ? -1 : 1;
    int c = strcmp(x->subset ? x->subset : "", y->subset ? y->subset : "");
    if (c) return c;
    c = strcmp(x->category && ds->task == AVS_TASK_S4 ? x->category : "",
               y->category && ds->task == AVS_TASK_S4 ? y->category : "");
    if (c) return c;
    return strcmp(x->name, y->name);
}

static const avs_dataset *sort_ds; /* qsort has no context argument in C11 */
static int cmp_idx(const void *a, const void *b) { return cmp_idx_name(a, b, sort_ds); }

vct_status avs_check(const avs_dataset *ds, const avs_check_params *p, avs_check_counts counts[AVS_SPLIT_COUNT],
                     int64_t *n_problems, avs_problem_fn fn, void *user, vct_error *err) {
    memset(counts, 0, AVS_SPLIT_COUNT * sizeof *counts);
    *n_problems = 0;
    msgs top = {0};
    if (ds->task == AVS_TASK_AVSS) {
        char path[4096];
        snprintf(path, sizeof path, "%s/label2idx.json", ds->root);
        vct_error e = {0};
        if (avs_check_label_json(path, &e) != VCT_STATUS_OK) add(&top, "%s", e.msg);
    }
    for (int s = 0; s < AVS_SPLIT_COUNT; s++)
        if ((p->splits >> s) & 1 && avs_dataset_count(ds, (avs_split)s) == 0)
            add(&top, "%s: split '%s' is empty (no clips of the %s task in the %s layout)", ds->index_path,
                avs_split_name((avs_split)s), avs_task_name(ds->task), avs_layout_name(ds->layout));
    /* duplicates: the same clip twice in a split would be read twice */
    int64_t *idx = malloc((size_t)(ds->n_clips ? ds->n_clips : 1) * sizeof *idx);
    clip_out *outs = calloc((size_t)(ds->n_clips ? ds->n_clips : 1), sizeof *outs);
    if (!idx || !outs) {
        free(idx);
        free(outs);
        msgs_free(&top);
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for %lld clips", (long long)ds->n_clips);
    }
    for (int64_t i = 0; i < ds->n_clips; i++) idx[i] = i;
    sort_ds = ds;
    qsort(idx, (size_t)ds->n_clips, sizeof *idx, cmp_idx);
    for (int64_t i = 1; i < ds->n_clips; i++)
        if (cmp_idx_name(&idx[i - 1], &idx[i], ds) == 0) {
            const avs_clip *c = &ds->clips[idx[i]];
            add(&top, "%s: clip %s appears more than once in split %s (line %lld)", ds->index_path, c->name,
                avs_split_name(c->split), (long long)c->source_line);
        }
    free(idx);
    progress pr;
    if (p->progress) progress_begin(&pr, "check", ds->n_clips);
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t i = 0; i < ds->n_clips; i++) {
        if ((p->splits >> ds->clips[i].split) & 1) check_clip(ds, &ds->clips[i], p->quick, &outs[i]);
        if (p->progress) {
#pragma omp critical(vct_check_progress)
            progress_step(&pr, 1);
        }
    }
    if (p->progress) progress_end(&pr);
    int oom = top.oom;
    for (int64_t k = 0; k < top.n; k++) {
        if (fn) fn(user, top.v[k]);
        (*n_problems)++;
    }
    for (int64_t i = 0; i < ds->n_clips; i++) {
        avs_check_counts *C = &counts[ds->clips[i].split], *c = &outs[i].c;
        C->clips += c->clips;
        C->frames += c->frames;
        C->masks += c->masks;
        C->empty_masks += c->empty_masks;
        C->maskiges += c->maskiges;
        C->wavs += c->wavs;
        C->pkls += c->pkls;
        for (int64_t k = 0; k < outs[i].m.n; k++) {
            if (fn) fn(user, outs[i].m.v[k]);
            (*n_problems)++;
        }
        oom |= outs[i].m.oom;
        msgs_free(&outs[i].m);
    }
    free(outs);
    msgs_free(&top);
    if (oom) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory while collecting the problems");
    return VCT_STATUS_OK;
}
