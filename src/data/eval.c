/* eval.c: see eval.h. Listing the folders, reading each frame pair, and the
 * official test loops:
 *   AVSBench S4/MS3 (avs_scripts/avs_{s4,ms3}/test.py): batches of batch_videos
 *     videos; torch.sigmoid on the batch tensor; mask_iou and Eval_Fmeasure per
 *     batch; AverageMeter over batches.
 *   VCT S4/MS3 (SemSegEvaluator): one video per process() call, the probability
 *     given to the metric functions (torch.sigmoid of a logit .npy per frame).
 *   AVSBench AVSS (avss/test.py): calc_color_miou_fscore per batch, per-class
 *     sums added over batches (optionally with the background padding to 10).
 *   VCT AVSS (SemSegEvaluator_SS): the same per video, real frames only.
 *   ours: S4/MS3 every video in one batch (no dependence on the batch size);
 *     AVSS the VCT definition accumulated in double.
 * Only the per-frame statistics are kept (data/metrics.h); the up to 15 last
 * logits of each frame are kept too, because torch's sigmoid takes its scalar
 * path on the last (numel % 16) elements of whatever tensor it is applied to,
 * and that tensor differs between the loops. */
#include "data/eval.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include "core/log.h"
#include "core/str.h"
#include "core/tensor.h"
#include "io/npy.h"
#include "io/resize.h"

#define TAIL_MAX (METRIC_SIGMOID_VEC - 1)

eval_params eval_default_params(void) {
    eval_params p;
    memset(&p, 0, sizeof p);
    p.task = AVS_TASK_S4;
    p.flavours = EVAL_FLAVOUR_AVSBENCH | EVAL_FLAVOUR_VCT | EVAL_FLAVOUR_OURS;
    p.batch_videos = 4;
    p.pred_kind = EVAL_PRED_LOGIT;
    p.strict_colours = 1;
    return p;
}

/* ---- listing ------------------------------------------------------------------------ */

typedef struct listing {
    char **vid_rel;  /* video folders */
    char ***stems;   /* per video: frame stems */
    int64_t *n_stems;
    int64_t n, cap;
} listing;

static void listing_free(listing *L) {
    for (int64_t i = 0; i < L->n; i++) {
        free(L->vid_rel[i]);
        for (int64_t j = 0; j < L->n_stems[i]; j++) free(L->stems[i][j]);
        free(L->stems[i]);
    }
    free(L->vid_rel);
    free(L->stems);
    free(L->n_stems);
    memset(L, 0, sizeof *L);
}

static int frame_ext(const char *name, size_t *stem_len) {
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return 0;
    const char *e = dot + 1;
    if (strlen(e) != 3) return 0;
    char lo[4] = {(char)tolower((unsigned char)e[0]), (char)tolower((unsigned char)e[1]),
                  (char)tolower((unsigned char)e[2]), 0};
    if (strcmp(lo, "png") && strcmp(lo, "npy")) return 0;
    *stem_len = (size_t)(dot - name);
    return 1;
}

static vct_status walk(const char *root, const char *rel, listing *L, int depth, vct_error *err) {
    char *dir = strcmp(rel, ".") ? str_printf("%s/%s", root, rel) : str_printf("%s", root);
    if (!dir) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (depth > 64) {
        vct_status st = vct_fail(err, VCT_STATUS_UNSUPPORTED, "%s: folders nested more than 64 deep", dir);
        free(dir);
        return st;
    }
    DIR *d = opendir(dir);
    if (!d) {
        vct_status st = vct_fail(err, VCT_STATUS_IO, "%s: cannot list folder: %s", dir, strerror(errno));
        free(dir);
        return st;
    }
    char **stems = NULL, **subs = NULL;
    int64_t ns = 0, cs = 0, nsub = 0, csub = 0;
    vct_status st = VCT_STATUS_OK;
    struct dirent *e;
    while (st == VCT_STATUS_OK && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *full = str_printf("%s/%s", dir, e->d_name);
        struct stat sb, lb;
        if (!full) {
            st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
            break;
        }
        int have = stat(full, &sb) == 0, lhave = lstat(full, &lb) == 0;
        free(full);
        if (!have) continue; /* dangling link */
        if (S_ISDIR(sb.st_mode)) {
            if (lhave && S_ISLNK(lb.st_mode)) continue; /* os.walk does not follow links */
            if (nsub == csub) {
                csub = csub ? 2 * csub : 16;
                char **n2 = realloc(subs, (size_t)csub * sizeof *n2);
                if (!n2) {
                    st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
                    break;
                }
                subs = n2;
            }
            subs[nsub] = strcmp(rel, ".") ? str_printf("%s/%s", rel, e->d_name) : str_printf("%s", e->d_name);
            if (!subs[nsub]) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
            else nsub++;
            continue;
        }
        size_t sl;
        if (!frame_ext(e->d_name, &sl)) continue;
        int dup = 0;
        for (int64_t i = 0; i < ns && !dup; i++) dup = strlen(stems[i]) == sl && !strncmp(stems[i], e->d_name, sl);
        if (dup) continue;
        if (ns == cs) {
            cs = cs ? 2 * cs : 16;
            char **n2 = realloc(stems, (size_t)cs * sizeof *n2);
            if (!n2) {
                st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
                break;
            }
            stems = n2;
        }
        stems[ns] = malloc(sl + 1);
        if (!stems[ns]) {
            st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
            break;
        }
        memcpy(stems[ns], e->d_name, sl);
        stems[ns++][sl] = '\0';
    }
    closedir(d);
    free(dir);
    if (st == VCT_STATUS_OK && ns > 0) {
        qsort(stems, (size_t)ns, sizeof *stems, natural_cmp_ptr);
        if (L->n == L->cap) {
            int64_t nc = L->cap ? 2 * L->cap : 64;
            char **a = realloc(L->vid_rel, (size_t)nc * sizeof *a);
            if (a) L->vid_rel = a;
            char ***b = realloc(L->stems, (size_t)nc * sizeof *b);
            if (b) L->stems = b;
            int64_t *c = realloc(L->n_stems, (size_t)nc * sizeof *c);
            if (c) L->n_stems = c;
            if (!a || !b || !c) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
            else L->cap = nc;
        }
        if (st == VCT_STATUS_OK) {
            L->vid_rel[L->n] = str_printf("%s", rel);
            if (!L->vid_rel[L->n]) {
                st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
            } else {
                L->stems[L->n] = stems;
                L->n_stems[L->n] = ns;
                L->n++;
                stems = NULL;
                ns = 0;
            }
        }
    }
    for (int64_t i = 0; i < ns; i++) free(stems[i]);
    free(stems);
    for (int64_t i = 0; i < nsub; i++) {
        if (st == VCT_STATUS_OK) st = walk(root, subs[i], L, depth + 1, err);
        free(subs[i]);
    }
    free(subs);
    return st;
}

/* order[i] = index into L of the i-th video */
static vct_status video_order(const eval_params *p, const listing *L, int64_t **order, int64_t *n_order,
                              vct_error *err) {
    *order = NULL;
    *n_order = 0;
    int64_t *idx = malloc((size_t)(L->n ? L->n : 1) * sizeof *idx);
    if (!idx) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (!p->order_file) {
        for (int64_t i = 0; i < L->n; i++) idx[i] = i;
        for (int64_t i = 1; i < L->n; i++) { /* insertion sort: stable, natural order */
            int64_t v = idx[i], j = i;
            while (j > 0 && natural_cmp(L->vid_rel[idx[j - 1]], L->vid_rel[v]) > 0) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = v;
        }
        *order = idx;
        *n_order = L->n;
        return VCT_STATUS_OK;
    }
    FILE *f = fopen(p->order_file, "r");
    if (!f) {
        free(idx);
        return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", p->order_file, strerror(errno));
    }
    int64_t n = 0, cap = L->n ? L->n : 1;
    char line[4096];
    vct_status st = VCT_STATUS_OK;
    int64_t lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line, *end;
        while (*s && isspace((unsigned char)*s)) s++;
        end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1])) *--end = '\0';
        if (!*s) continue;
        int64_t hit = -1, n_base = 0, base_hit = -1;
        for (int64_t i = 0; i < L->n && hit < 0; i++) {
            if (!strcmp(L->vid_rel[i], s)) hit = i;
            const char *b = strrchr(L->vid_rel[i], '/');
            b = b ? b + 1 : L->vid_rel[i];
            if (!strcmp(b, s)) {
                n_base++;
                base_hit = i;
            }
        }
        if (hit < 0 && n_base == 1) hit = base_hit;
        if (hit < 0) {
            st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s:%lld: video '%s' not found (or ambiguous) under %s",
                          p->order_file, (long long)lineno, s, p->gt_dir);
            break;
        }
        if (n == cap) {
            cap *= 2;
            int64_t *ni = realloc(idx, (size_t)cap * sizeof *ni);
            if (!ni) {
                st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
                break;
            }
            idx = ni;
        }
        idx[n++] = hit;
    }
    fclose(f);
    if (st == VCT_STATUS_OK && n == 0)
        st = vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "%s: no video names in the order file", p->order_file);
    if (st != VCT_STATUS_OK) {
        free(idx);
        return st;
    }
    *order = idx;
    *n_order = n;
    return VCT_STATUS_OK;
}

/* ---- reading one frame ------------------------------------------------------------------ */

static int file_exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* root/rel.npy or root/rel.png (npy first, as the harness); *is_npy says which. */
static vct_status find_frame(const char *root, const char *rel, const char *what, char **path, int *is_npy,
                             vct_error *err) {
    char *a = strcmp(root, ".") ? str_printf("%s/%s.npy", root, rel) : str_printf("%s.npy", rel);
    if (!a) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (file_exists(a)) {
        *path = a;
        *is_npy = 1;
        return VCT_STATUS_OK;
    }
    size_t n = strlen(a);
    memcpy(a + n - 3, "png", 3);
    if (file_exists(a)) {
        *path = a;
        *is_npy = 0;
        return VCT_STATUS_OK;
    }
    a[n - 4] = '\0';
    vct_status st = vct_fail(err, VCT_STATUS_IO, "%s frame missing: %s.png (or .npy)", what, a);
    free(a);
    return st;
}

static vct_status read_npy2d(const char *path, tensor_dict *d, const tensor **t, vct_error *err) {
    VCT_TRY(npy_read(path, d, err));
    *t = &d->items[0].t;
    if ((*t)->ndim != 2) {
        char sh[128];
        vct_status st = vct_fail(err, VCT_STATUS_SHAPE, "%s: expected a 2-D [H,W] array, got shape %s", path,
                                 shape_str((*t)->ndim, (*t)->shape, sh, sizeof sh));
        tensor_dict_free(d);
        return st;
    }
    return VCT_STATUS_OK;
}

static int dtype_is_int(vct_dtype dt) {
    return dt == VCT_DTYPE_I64 || dt == VCT_DTYPE_I32 || dt == VCT_DTYPE_I16 || dt == VCT_DTYPE_I8 ||
           dt == VCT_DTYPE_U8 || dt == VCT_DTYPE_U16 || dt == VCT_DTYPE_U32 || dt == VCT_DTYPE_U64;
}

static vct_status maybe_resize(image_u8 *im, int size, vct_error *err) {
    return size <= 0 ? VCT_STATUS_OK : resize_pil_in_place(im, size, size, 1, err);
}

/* Ground truth: binary -> 0/1, AVSS -> ids; c = 1. */
static vct_status read_gt(const eval_params *p, const char *rel, image_u8 *gt, vct_error *err) {
    char *path = NULL;
    int is_npy = 0;
    VCT_TRY(find_frame(p->gt_dir, rel, "ground-truth", &path, &is_npy, err));
    vct_status st = VCT_STATUS_OK;
    if (is_npy) {
        tensor_dict d;
        const tensor *t;
        st = read_npy2d(path, &d, &t, err);
        if (st != VCT_STATUS_OK) goto done;
        int64_t n = tensor_numel(t);
        st = image_alloc(gt, t->shape[0], t->shape[1], 1, err);
        int has1 = 0, has255 = 0, other = 0;
        double bad = 0;
        for (int64_t i = 0; st == VCT_STATUS_OK && i < n; i++) {
            double v = dtype_get_f64(t->data, t->dtype, i);
            if (p->task == AVS_TASK_AVSS) {
                if (!dtype_is_int(t->dtype) || v < 0 || v >= AVS_NUM_CLASSES) {
                    st = vct_fail(err, VCT_STATUS_FORMAT, "%s: ground-truth label map must hold integer class ids 0..%d, "
                                  "found %g (%s)", path, AVS_NUM_CLASSES - 1, v, dtype_name(t->dtype));
                    break;
                }
                gt->data[i] = (uint8_t)v;
            } else {
                has1 |= v == 1;
                has255 |= v == 255;
                if (v != 0 && v != 1 && v != 255) {
                    other = 1;
                    bad = v;
                }
                gt->data[i] = v != 0;
            }
        }
        if (st == VCT_STATUS_OK && other)
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: binary ground truth must hold 0/1 or 0/255, found %g", path, bad);
        if (st == VCT_STATUS_OK && has1 && has255)
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: binary ground truth mixes 1 and 255", path);
        tensor_dict_free(&d);
        if (st != VCT_STATUS_OK) image_free(gt);
        goto done;
    }
    if (p->task == AVS_TASK_AVSS)
        st = avs_read_label_map(path, p->strict_colours, gt, err);
    else
        st = avs_read_binary_mask(path, 1, gt, err);
    if (st == VCT_STATUS_OK) {
        st = maybe_resize(gt, p->resize, err);
        if (st != VCT_STATUS_OK) image_free(gt);
    }
done:
    free(path);
    return st;
}

/* S4/MS3 prediction: *x = values (logits, or probabilities when *is_logit == 0). */
static vct_status read_pred_bin(const eval_params *p, const char *rel, float **x, int64_t *h, int64_t *w,
                                int *is_logit, vct_error *err) {
    char *path = NULL;
    int is_npy = 0;
    *x = NULL;
    VCT_TRY(find_frame(p->pred_dir, rel, "prediction", &path, &is_npy, err));
    vct_status st = VCT_STATUS_OK;
    if (is_npy) {
        tensor_dict d;
        const tensor *t;
        st = read_npy2d(path, &d, &t, err);
        if (st != VCT_STATUS_OK) {
            if (err && strstr(err->msg, "expected a 2-D"))
                vct_error_wrap(err, "S4/MS3 predictions are [H,W] logits or probabilities ([2,H,W] VCT scores are "
                                    "not supported)");
            goto done;
        }
        if (t->dtype == VCT_DTYPE_BOOL) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: prediction must be numeric, got BOOL", path);
            tensor_dict_free(&d);
            goto done;
        }
        int64_t n = tensor_numel(t);
        *x = malloc((size_t)(n ? n : 1) * sizeof **x);
        if (!*x) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
        for (int64_t i = 0; st == VCT_STATUS_OK && i < n; i++) {
            float v = t->dtype == VCT_DTYPE_F32 ? ((const float *)t->data)[i]
                                                : (float)dtype_get_f64(t->data, t->dtype, i);
            if (p->pred_kind == EVAL_PRED_PROB && (v < 0.0f || v > 1.0f))
                st = vct_fail(err, VCT_STATUS_FORMAT, "%s: predictions read as probabilities, but value %g lies outside [0,1]", path,
                              (double)v);
            (*x)[i] = v;
        }
        *h = t->shape[0];
        *w = t->shape[1];
        *is_logit = p->pred_kind == EVAL_PRED_LOGIT;
        tensor_dict_free(&d);
    } else {
        image_u8 im = {0};
        st = image_read_rgb(path, &im, err);
        if (st == VCT_STATUS_OK) {
            int64_t n = im.h * im.w;
            *x = malloc((size_t)(n ? n : 1) * sizeof **x);
            if (!*x) st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
            for (int64_t i = 0; st == VCT_STATUS_OK && i < n; i++) {
                const uint8_t *q = im.data + 3 * i; /* PIL convert('L'): ITU-R 601 luma, 16-bit fixed point */
                uint32_t L = ((uint32_t)q[0] * 19595u + (uint32_t)q[1] * 38470u + (uint32_t)q[2] * 7471u + 0x8000u) >> 16;
                (*x)[i] = (float)L / 255.0f;
            }
            *h = im.h;
            *w = im.w;
            *is_logit = 0;
        }
        image_free(&im);
    }
done:
    if (st != VCT_STATUS_OK) {
        free(*x);
        *x = NULL;
    }
    free(path);
    return st;
}

static vct_status read_pred_avss(const eval_params *p, const char *rel, image_u8 *ids, vct_error *err) {
    char *path = NULL;
    int is_npy = 0;
    VCT_TRY(find_frame(p->pred_dir, rel, "prediction", &path, &is_npy, err));
    vct_status st = VCT_STATUS_OK;
    if (is_npy) {
        tensor_dict d;
        const tensor *t;
        st = read_npy2d(path, &d, &t, err);
        if (st != VCT_STATUS_OK) {
            if (err && strstr(err->msg, "expected a 2-D"))
                vct_error_wrap(err, "AVSS predictions are [H,W] class ids ([71,H,W] scores are not supported)");
            goto done;
        }
        if (!dtype_is_int(t->dtype)) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: AVSS prediction must hold integer class ids, got %s", path,
                          dtype_name(t->dtype));
        } else {
            int64_t n = tensor_numel(t);
            st = image_alloc(ids, t->shape[0], t->shape[1], 1, err);
            for (int64_t i = 0; st == VCT_STATUS_OK && i < n; i++) {
                double v = dtype_get_f64(t->data, t->dtype, i);
                if (v < 0 || v >= AVS_NUM_CLASSES) {
                    st = vct_fail(err, VCT_STATUS_FORMAT, "%s: class id %g outside 0..%d", path, v, AVS_NUM_CLASSES - 1);
                    image_free(ids);
                    break;
                }
                ids->data[i] = (uint8_t)v;
            }
        }
        tensor_dict_free(&d);
    } else {
        st = avs_read_label_map(path, p->strict_colours, ids, err);
    }
done:
    free(path);
    return st;
}

static vct_status size_check(const eval_params *p, const char *rel, int64_t ph, int64_t pw, int64_t gh, int64_t gw,
                             vct_error *err) {
    if (ph == gh && pw == gw) return VCT_STATUS_OK;
    return vct_fail(err, VCT_STATUS_SHAPE,
                    "%s/%s: prediction is %lldx%lld (HxW) but the ground truth is %lldx%lld%s", p->pred_dir, rel,
                    (long long)ph, (long long)pw, (long long)gh, (long long)gw,
                    p->resize ? "" : " (and no resize of the ground truth was asked for)");
}

vct_status eval_read_frame(const eval_params *p, const char *rel, image_u8 *gt, float **prob, image_u8 *pred_ids,
                           vct_error *err) {
    memset(gt, 0, sizeof *gt);
    if (prob) *prob = NULL;
    if (pred_ids) memset(pred_ids, 0, sizeof *pred_ids);
    VCT_TRY(read_gt(p, rel, gt, err));
    vct_status st;
    if (p->task == AVS_TASK_AVSS) {
        st = read_pred_avss(p, rel, pred_ids, err);
        if (st == VCT_STATUS_OK) st = size_check(p, rel, pred_ids->h, pred_ids->w, gt->h, gt->w, err);
    } else {
        int64_t h = 0, w = 0;
        int is_logit = 0;
        st = read_pred_bin(p, rel, prob, &h, &w, &is_logit, err);
        if (st == VCT_STATUS_OK) st = size_check(p, rel, h, w, gt->h, gt->w, err);
        if (st == VCT_STATUS_OK && is_logit)
            for (int64_t i = 0; i < h * w; i++) (*prob)[i] = metric_sigmoid_lane((*prob)[i]);
    }
    if (st != VCT_STATUS_OK) {
        image_free(gt);
        if (prob) {
            free(*prob);
            *prob = NULL;
        }
        if (pred_ids) image_free(pred_ids);
    }
    return st;
}

/* ---- per-frame work ------------------------------------------------------------------------ */

typedef struct bin_rec {
    metric_bin_frame base; /* every element through the vector-path sigmoid */
    int is_logit;
    int n_last;            /* saved last elements (min(n, 15)) */
    float last_x[TAIL_MAX];
    uint8_t last_g[TAIL_MAX];
} bin_rec;

static vct_status frame_binary(const eval_params *p, const char *rel, bin_rec *rec, int64_t *h, int64_t *w,
                               vct_error *err) {
    image_u8 gt = {0};
    float *x = NULL, *pr = NULL;
    int64_t ph = 0, pw = 0;
    int is_logit = 0;
    VCT_TRY(read_gt(p, rel, &gt, err));
    vct_status st = read_pred_bin(p, rel, &x, &ph, &pw, &is_logit, err);
    if (st == VCT_STATUS_OK) st = size_check(p, rel, ph, pw, gt.h, gt.w, err);
    if (st != VCT_STATUS_OK) goto done;
    int64_t n = ph * pw;
    pr = malloc((size_t)(n ? n : 1) * sizeof *pr);
    if (!pr) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", rel);
        goto done;
    }
    for (int64_t i = 0; i < n; i++) pr[i] = is_logit ? metric_sigmoid_lane(x[i]) : x[i];
    metric_bin_frame_stats(&rec->base, pr, gt.data, n);
    rec->is_logit = is_logit;
    rec->n_last = (int)(n < TAIL_MAX ? n : TAIL_MAX);
    for (int k = 0; k < rec->n_last; k++) {
        rec->last_x[k] = x[n - rec->n_last + k];
        rec->last_g[k] = gt.data[n - rec->n_last + k];
    }
    *h = ph;
    *w = pw;
done:
    free(pr);
    free(x);
    image_free(&gt);
    return st;
}

static vct_status frame_avss(const eval_params *p, const char *rel, metric_avss_frame *fs, int64_t *h, int64_t *w,
                             vct_error *err) {
    image_u8 gt = {0}, ids = {0};
    VCT_TRY(read_gt(p, rel, &gt, err));
    vct_status st = read_pred_avss(p, rel, &ids, err);
    if (st == VCT_STATUS_OK) st = size_check(p, rel, ids.h, ids.w, gt.h, gt.w, err);
    if (st == VCT_STATUS_OK) {
        metric_avss_frame_stats(fs, ids.data, gt.data, gt.h * gt.w);
        *h = gt.h;
        *w = gt.w;
    }
    image_free(&gt);
    image_free(&ids);
    return st;
}

/* The torch scalar path on the last `tail` elements of the tensor made of
 * frames [first, last] (in order): patch their statistics in st[]. */
static void apply_tail(metric_bin_frame *st, const bin_rec *rec, int64_t first, int64_t last, int64_t tail) {
    for (int64_t f = last; f >= first && tail > 0; f--) {
        const bin_rec *r = &rec[f];
        int64_t m = tail < st[f].n_pix ? tail : st[f].n_pix;
        if (m > r->n_last) m = r->n_last; /* cannot happen: tail < 16 */
        if (r->is_logit)
            for (int64_t k = r->n_last - m; k < r->n_last; k++)
                metric_bin_frame_repixel(&st[f], metric_sigmoid_lane(r->last_x[k]), metric_sigmoid_tail(r->last_x[k]),
                                         r->last_g[k]);
        tail -= st[f].n_pix;
    }
}

static int64_t tail_of(const metric_bin_frame *st, int64_t first, int64_t last) {
    int64_t total = 0;
    for (int64_t f = first; f <= last; f++) total += st[f].n_pix;
    return total % METRIC_SIGMOID_VEC;
}

/* ---- the loops --------------------------------------------------------------------------------- */

static vct_status score_binary(const eval_params *p, eval_result *r, const bin_rec *rec, vct_error *err) {
    int64_t F = r->n_frames;
    metric_bin_frame *st = malloc((size_t)(F ? F : 1) * sizeof *st);
    if (!st) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for %lld frames", (long long)F);
    int B = p->batch_videos;
    if (p->flavours & EVAL_FLAVOUR_AVSBENCH) {
        for (int64_t f = 0; f < F; f++) st[f] = rec[f].base;
        int64_t per = B > 0 ? B : (r->n_videos ? r->n_videos : 1);
        metric_bin_meter m = {0};
        for (int64_t v0 = 0; v0 < r->n_videos; v0 += per) {
            int64_t v1 = v0 + per < r->n_videos ? v0 + per : r->n_videos;
            int64_t first = r->videos[v0].first_frame;
            int64_t last = r->videos[v1 - 1].first_frame + r->videos[v1 - 1].n_frames - 1;
            apply_tail(st, rec, first, last, tail_of(st, first, last));
            metric_bin_meter_add(&m, st + first, last - first + 1);
        }
        metric_bin_meter_avsbench(&m, &r->avsbench.M_J, &r->avsbench.M_F);
        r->avsbench.present = 1;
        r->avsbench.groups = m.groups;
        r->avsbench.batch_videos = B;
    }
    if (p->flavours & EVAL_FLAVOUR_VCT) {
        metric_bin_meter m = {0};
        for (int64_t v = 0; v < r->n_videos; v++) {
            int64_t first = r->videos[v].first_frame, n = r->videos[v].n_frames;
            for (int64_t f = first; f < first + n; f++) {
                st[f] = rec[f].base;
                apply_tail(st, rec, f, f, st[f].n_pix % METRIC_SIGMOID_VEC);
            }
            metric_bin_meter_add(&m, st + first, n);
        }
        metric_bin_meter_vct(&m, &r->vct.M_J, &r->vct.M_F);
        r->vct.present = 1;
        r->vct.groups = m.groups;
        r->vct.batch_videos = 1;
    }
    /* ours: one batch of everything (also gives the per-frame values of the report) */
    for (int64_t f = 0; f < F; f++) st[f] = rec[f].base;
    if (F > 0) apply_tail(st, rec, 0, F - 1, tail_of(st, 0, F - 1));
    if (p->flavours & EVAL_FLAVOUR_OURS) {
        metric_bin_meter m = {0};
        metric_bin_meter_add(&m, st, F);
        metric_bin_meter_avsbench(&m, &r->ours.M_J, &r->ours.M_F);
        r->ours.present = 1;
        r->ours.groups = 1;
        r->ours.batch_videos = 0;
    }
    float curve[METRIC_PR_NUM];
    for (int64_t f = 0; f < F; f++) {
        r->frames[f].iou = metric_bin_frame_iou(&st[f]);
        r->frames[f].empty_gt = st[f].n_gt == 0;
        r->n_empty_gt += st[f].n_gt == 0;
        double best = 0;
        if (st[f].n_gt) {
            metric_bin_frame_fcurve(curve, &st[f]);
            for (int k = 0; k < METRIC_PR_NUM; k++)
                if (curve[k] > best) best = curve[k];
        }
        r->frames[f].f = best;
    }
    /* groups: videos sharing a top-level folder */
    for (int64_t v = 0; v < r->n_videos; v++) {
        const char *rel = r->videos[v].rel, *slash = strchr(rel, '/');
        if (!slash) continue;
        size_t len = (size_t)(slash - rel);
        int64_t g = 0;
        while (g < r->n_groups && !(strlen(r->groups[g].name) == len && !strncmp(r->groups[g].name, rel, len))) g++;
        if (g == r->n_groups) {
            eval_group *ng = realloc(r->groups, (size_t)(g + 1) * sizeof *ng);
            if (!ng) {
                free(st);
                return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
            }
            r->groups = ng;
            memset(&ng[g], 0, sizeof ng[g]);
            ng[g].name = str_printf("%.*s", (int)len, rel);
            r->n_groups++;
            if (!ng[g].name) {
                free(st);
                return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
            }
        }
        r->groups[g].n_videos++;
    }
    for (int64_t g = 0; g < r->n_groups; g++) {
        eval_group *G = &r->groups[g];
        size_t len = strlen(G->name);
        metric_bin_frame *sel = malloc((size_t)(F ? F : 1) * sizeof *sel);
        if (!sel) {
            free(st);
            return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        }
        double jsum = 0;
        for (int64_t v = 0; v < r->n_videos; v++) {
            const char *rel = r->videos[v].rel;
            if (strncmp(rel, G->name, len) || rel[len] != '/') continue;
            for (int64_t f = r->videos[v].first_frame; f < r->videos[v].first_frame + r->videos[v].n_frames; f++) {
                sel[G->n_frames++] = st[f];
                jsum += r->frames[f].iou;
            }
        }
        G->M_J = G->n_frames ? jsum / (double)G->n_frames : 0;
        G->M_F = metric_bin_group_fmeasure(sel, G->n_frames, NULL);
        free(sel);
    }
    free(st);
    return VCT_STATUS_OK;
}

static void avss_pad_frame(metric_avss_frame *pad, int64_t h, int64_t w) {
    memset(pad, 0, sizeof *pad);
    pad->inter[0] = pad->pred[0] = pad->lab[0] = h * w;
}

static void scores_from_avss(eval_scores *s, const metric_avss_sums *sums) {
    metric_avss_result res;
    metric_avss_reduce(&res, sums);
    s->present = 1;
    s->M_J = res.M_J;
    s->M_F = res.M_F;
    s->M_J_noBg_official = res.M_J_noBg_official;
    s->M_F_noBg_official = res.M_F_noBg_official;
    s->classes_seen = res.classes_seen;
    s->classes_never_seen = res.classes_never_seen;
    for (int c = 0; c < METRIC_AVSS_CLASSES; c++) {
        s->miou_pc[c] = res.miou_pc[c];
        s->f_pc[c] = res.f_pc[c];
    }
}

static void score_avss(const eval_params *p, eval_result *r, const metric_avss_frame *fs) {
    const int C = METRIC_AVSS_CLASSES;
    if (p->flavours & EVAL_FLAVOUR_AVSBENCH) {
        metric_avss_sums total, batch;
        metric_avss_sums_zero(&total);
        int64_t per = p->batch_videos > 0 ? p->batch_videos : (r->n_videos ? r->n_videos : 1);
        int64_t groups = 0;
        for (int64_t v0 = 0; v0 < r->n_videos; v0 += per, groups++) {
            metric_avss_sums_zero(&batch);
            for (int64_t v = v0; v < v0 + per && v < r->n_videos; v++) {
                const eval_video *V = &r->videos[v];
                for (int64_t f = V->first_frame; f < V->first_frame + V->n_frames; f++)
                    metric_avss_sums_add_frame(&batch, &fs[f]);
                if (p->avss_pad && V->n_frames > 0 && V->n_frames < AVS_MAX_FRAMES) {
                    metric_avss_frame pad;
                    const eval_frame *first = &r->frames[V->first_frame]; /* zeros_like(gts[0]) */
                    avss_pad_frame(&pad, first->h, first->w);
                    for (int64_t k = V->n_frames; k < AVS_MAX_FRAMES; k++) metric_avss_sums_add_frame(&batch, &pad);
                }
            }
            metric_avss_sums_add(&total, &batch);
        }
        scores_from_avss(&r->avsbench, &total);
        r->avsbench.groups = groups;
        r->avsbench.batch_videos = p->batch_videos;
    }
    if (p->flavours & EVAL_FLAVOUR_VCT) {
        metric_avss_sums total, clip;
        metric_avss_sums_zero(&total);
        for (int64_t v = 0; v < r->n_videos; v++) {
            metric_avss_sums_zero(&clip);
            const eval_video *V = &r->videos[v];
            for (int64_t f = V->first_frame; f < V->first_frame + V->n_frames; f++) metric_avss_sums_add_frame(&clip, &fs[f]);
            metric_avss_sums_add(&total, &clip);
        }
        scores_from_avss(&r->vct, &total);
        r->vct.groups = r->n_videos;
        r->vct.batch_videos = 1;
    }
    /* ours (double) and the per-frame values */
    double iou[METRIC_AVSS_CLASSES] = {0}, fsum[METRIC_AVSS_CLASSES] = {0}, cnt[METRIC_AVSS_CLASSES] = {0};
    for (int64_t f = 0; f < r->n_frames; f++) {
        double fi = 0, ff = 0;
        int present = 0;
        for (int c = 0; c < C; c++) {
            double I = (double)fs[f].inter[c], P = (double)fs[f].pred[c], L = (double)fs[f].lab[c], U = P + L - I;
            r->class_frames[c] += fs[f].lab[c] > 0;
            if (U <= 0) continue;
            double j = I / U, F = 0;
            if (I > 0) {
                double pr = I / P, rc = I / L;
                F = 1.3 * pr * rc / (0.3 * pr + rc);
            }
            iou[c] += j;
            fsum[c] += F;
            cnt[c] += 1;
            fi += j;
            ff += F;
            present++;
        }
        r->frames[f].iou = present ? fi / present : 0;
        r->frames[f].f = present ? ff / present : 0;
    }
    if (p->flavours & EVAL_FLAVOUR_OURS) {
        eval_scores *s = &r->ours;
        double sj = 0, sf = 0, sj70 = 0, sf70 = 0;
        for (int c = 0; c < C; c++) {
            s->miou_pc[c] = cnt[c] ? iou[c] / cnt[c] : 0;
            s->f_pc[c] = cnt[c] ? fsum[c] / cnt[c] : 0;
            s->classes_seen += cnt[c] > 0;
            s->classes_never_seen += cnt[c] == 0;
            sj += s->miou_pc[c];
            sf += s->f_pc[c];
            if (c < C - 1) {
                sj70 += s->miou_pc[c];
                sf70 += s->f_pc[c];
            }
        }
        s->present = 1;
        s->M_J = sj / C;
        s->M_F = sf / C;
        s->M_J_noBg_official = sj70 / (C - 1);
        s->M_F_noBg_official = sf70 / (C - 1);
        s->groups = 1;
        s->batch_videos = 0;
    }
}

/* ---- driver -------------------------------------------------------------------------------------- */

void eval_result_free(eval_result *r) {
    if (!r) return;
    for (int64_t i = 0; i < r->n_videos; i++) free(r->videos[i].rel);
    for (int64_t i = 0; i < r->n_frames; i++) free(r->frames[i].rel);
    for (int64_t i = 0; i < r->n_groups; i++) free(r->groups[i].name);
    free(r->videos);
    free(r->frames);
    free(r->groups);
    memset(r, 0, sizeof *r);
}

vct_status eval_run(const eval_params *p, eval_result *out, vct_error *err) {
    memset(out, 0, sizeof *out);
    out->task = p->task;
    struct stat sb;
    if (!p->gt_dir || stat(p->gt_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return vct_fail(err, VCT_STATUS_IO, "ground-truth folder not found: %s", p->gt_dir ? p->gt_dir : "(none)");
    if (!p->pred_dir || stat(p->pred_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return vct_fail(err, VCT_STATUS_IO, "prediction folder not found: %s", p->pred_dir ? p->pred_dir : "(none)");
    if (p->batch_videos < 0)
        return vct_fail(err, VCT_STATUS_INVALID_ARGUMENT, "batch size %d: must be >= 0", p->batch_videos);
    listing L = {0};
    int64_t *order = NULL, n_order = 0;
    bin_rec *rec = NULL;
    metric_avss_frame *fs = NULL;
    vct_status st = walk(p->gt_dir, ".", &L, 0, err);
    if (st != VCT_STATUS_OK) goto fail;
    if (L.n == 0) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: no .png/.npy frames under the ground-truth folder", p->gt_dir);
        goto fail;
    }
    st = video_order(p, &L, &order, &n_order, err);
    if (st != VCT_STATUS_OK) goto fail;
    int64_t F = 0;
    for (int64_t i = 0; i < n_order; i++) F += L.n_stems[order[i]];
    out->videos = calloc((size_t)n_order, sizeof *out->videos);
    out->frames = calloc((size_t)F, sizeof *out->frames);
    if (!out->videos || !out->frames) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for %lld frames", (long long)F);
        goto fail;
    }
    for (int64_t i = 0; i < n_order; i++) {
        int64_t v = order[i];
        eval_video *V = &out->videos[out->n_videos++];
        V->rel = str_printf("%s", L.vid_rel[v]);
        V->first_frame = out->n_frames;
        V->n_frames = L.n_stems[v];
        if (!V->rel) {
            st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
            goto fail;
        }
        for (int64_t j = 0; j < L.n_stems[v]; j++) {
            eval_frame *fr = &out->frames[out->n_frames++];
            fr->video = out->n_videos - 1;
            fr->rel = strcmp(V->rel, ".") ? str_printf("%s/%s", V->rel, L.stems[v][j]) : str_printf("%s", L.stems[v][j]);
            if (!fr->rel) {
                st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
                goto fail;
            }
        }
    }
    int avss = p->task == AVS_TASK_AVSS;
    if (avss) fs = calloc((size_t)(F ? F : 1), sizeof *fs);
    else rec = calloc((size_t)(F ? F : 1), sizeof *rec);
    if (!fs && !rec) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory for %lld frames", (long long)F);
        goto fail;
    }
    progress pr;
    if (p->progress) progress_begin(&pr, "eval", F);
    int64_t bad = -1;
#pragma omp parallel for schedule(dynamic, 4)
    for (int64_t f = 0; f < F; f++) {
        int64_t cur_bad;
#pragma omp atomic read
        cur_bad = bad;
        if (cur_bad >= 0 && cur_bad < f) continue;
        vct_error e = {0};
        eval_frame *fr = &out->frames[f];
        vct_status s = avss ? frame_avss(p, fr->rel, &fs[f], &fr->h, &fr->w, &e)
                            : frame_binary(p, fr->rel, &rec[f], &fr->h, &fr->w, &e);
        if (s != VCT_STATUS_OK) {
#pragma omp critical(vct_eval_error)
            {
                if (bad < 0 || f < bad) {
                    bad = f;
                    if (err) *err = e;
                    st = s;
                }
            }
        }
        if (p->progress) {
#pragma omp critical(vct_eval_progress)
            progress_step(&pr, 1);
        }
    }
    if (p->progress) progress_end(&pr);
    if (st != VCT_STATUS_OK) goto fail;
    if (avss) score_avss(p, out, fs);
    else st = score_binary(p, out, rec, err);
    if (st != VCT_STATUS_OK) goto fail;
    free(rec);
    free(fs);
    free(order);
    listing_free(&L);
    return VCT_STATUS_OK;
fail:
    free(rec);
    free(fs);
    free(order);
    listing_free(&L);
    eval_result_free(out);
    return st;
}
