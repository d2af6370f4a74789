/* avsbench_layout.c: the clip lists of avsbench.h. The published layout is
 * indexed by its metadata CSV, read as pandas.read_csv does for these files
 * (header row, comma separated, double-quoted fields, blank lines skipped); the
 * VCT layout of S4/MS3 is indexed by listing folders in sorted order, as VCT's
 * register_avss4_sem.py / register_avsms3_sem.py do. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/str.h"
#include "data/avsbench.h"

/* ---- small helpers --------------------------------------------------------------- */


static char *dup_str(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Entries of dir (not "." / ".." / VCT's ignored PaxHeader, .DS_Store, ._.DS_Store),
 * sorted as Python sorts str. want_dirs: 1 folders only, 0 anything. */
static vct_status list_dir(const char *dir, int want_dirs, char ***names, int64_t *n, vct_error *err) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return vct_fail(err, VCT_STATUS_IO, "%s: cannot list folder: %s", dir, strerror(errno));
    int64_t cap = 0;
    vct_status st = VCT_STATUS_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *nm = e->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..") || !strcmp(nm, "PaxHeader") || !strcmp(nm, ".DS_Store") ||
            !strcmp(nm, "._.DS_Store"))
            continue;
        if (want_dirs) {
            char *full = str_printf("%s/%s", dir, nm);
            int ok = full && is_dir(full);
            free(full);
            if (!ok) continue;
        }
        if (*n == cap) {
            int64_t nc = cap ? 2 * cap : 64;
            char **nn = realloc(*names, (size_t)nc * sizeof *nn);
            if (!nn) {
                st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", dir);
                break;
            }
            *names = nn;
            cap = nc;
        }
        if (!((*names)[*n] = dup_str(nm))) {
            st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", dir);
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (st == VCT_STATUS_OK && *n > 1) qsort(*names, (size_t)*n, sizeof **names, cmp_str);
    return st;
}

static void free_names(char **names, int64_t n) {
    for (int64_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* ---- CSV ---------------------------------------------------------------------------- */

typedef struct csv_table {
    char ***rows; /* rows[i][j], row 0 = header */
    int64_t *ncol, *line;
    int64_t n, cap;
} csv_table;

static void csv_free(csv_table *t) {
    for (int64_t i = 0; i < t->n; i++) {
        for (int64_t j = 0; j < t->ncol[i]; j++) free(t->rows[i][j]);
        free(t->rows[i]);
    }
    free(t->rows);
    free(t->ncol);
    free(t->line);
    memset(t, 0, sizeof *t);
}

static vct_status csv_read(const char *path, csv_table *t, vct_error *err) {
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) return vct_fail(err, VCT_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    vct_status st = VCT_STATUS_OK;
    char *buf = NULL, *field = NULL, **row = NULL;
    size_t len = 0, cap = 0;
    for (;;) { /* slurp */
        if (len + 4096 > cap) {
            size_t nc = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, nc);
            if (!nb) {
                fclose(f);
                free(buf);
                return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
            }
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    int rd_err = ferror(f);
    fclose(f);
    if (rd_err) {
        free(buf);
        return vct_fail(err, VCT_STATUS_IO, "%s: read error", path);
    }
    size_t i = 0;
    if (len >= 3 && (unsigned char)buf[0] == 0xef && (unsigned char)buf[1] == 0xbb && (unsigned char)buf[2] == 0xbf)
        i = 3; /* UTF-8 BOM, as pandas skips it */
    int64_t line = 1;
    size_t fcap = 256, flen = 0;
    int64_t ncol = 0, rcap = 0;
    field = malloc(fcap);
    if (!field) {
        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    while (i < len) {
        /* one record */
        int64_t rec_line = line;
        ncol = 0;
        int end_of_record = 0, blank = 1;
        while (!end_of_record) {
            flen = 0;
            int quoted = 0;
            if (i < len && buf[i] == '"') {
                quoted = 1;
                blank = 0;
                i++;
                for (;;) {
                    if (i >= len) {
                        st = vct_fail(err, VCT_STATUS_FORMAT, "%s:%lld: unterminated quoted field", path,
                                      (long long)rec_line);
                        goto fail;
                    }
                    char c = buf[i++];
                    if (c == '"') {
                        if (i < len && buf[i] == '"') {
                            c = '"';
                            i++;
                        } else {
                            break;
                        }
                    }
                    if (c == '\n') line++;
                    if (flen + 2 > fcap) {
                        char *nf = realloc(field, fcap *= 2);
                        if (!nf) {
                            st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
                            goto fail;
                        }
                        field = nf;
                    }
                    field[flen++] = c;
                }
            }
            while (i < len && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r') {
                if (quoted) {
                    st = vct_fail(err, VCT_STATUS_FORMAT, "%s:%lld: text after a closing quote", path,
                                  (long long)rec_line);
                    goto fail;
                }
                blank = 0;
                if (flen + 2 > fcap) {
                    char *nf = realloc(field, fcap *= 2);
                    if (!nf) {
                        st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
                        goto fail;
                    }
                    field = nf;
                }
                field[flen++] = buf[i++];
            }
            field[flen] = '\0';
            if (ncol == rcap || !row) {
                int64_t nc = rcap ? 2 * rcap : 16;
                char **nr = realloc(row, (size_t)nc * sizeof *nr);
                if (!nr) {
                    st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
                    goto fail;
                }
                row = nr;
                rcap = nc;
            }
            if (!(row[ncol] = dup_str(field))) {
                st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
                goto fail;
            }
            ncol++;
            if (i < len && buf[i] == ',') {
                blank = 0;
                i++;
            } else {
                end_of_record = 1;
                if (i < len && buf[i] == '\r') i++;
                if (i < len && buf[i] == '\n') i++;
                line++;
            }
        }
        if (blank) { /* an empty line: skipped */
            for (int64_t j = 0; j < ncol; j++) free(row[j]);
            continue;
        }
        if (t->n == t->cap) {
            int64_t nc = t->cap ? 2 * t->cap : 256;
            char ***nr = realloc(t->rows, (size_t)nc * sizeof *nr);
            int64_t *nn = realloc(t->ncol, (size_t)nc * sizeof *nn);
            if (nr) t->rows = nr;
            if (nn) t->ncol = nn;
            int64_t *nl = realloc(t->line, (size_t)nc * sizeof *nl);
            if (nl) t->line = nl;
            if (!nr || !nn || !nl) {
                for (int64_t j = 0; j < ncol; j++) free(row[j]);
                st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", path);
                goto fail;
            }
            t->cap = nc;
        }
        t->rows[t->n] = row;
        t->ncol[t->n] = ncol;
        t->line[t->n] = rec_line;
        t->n++;
        row = NULL;
        rcap = 0;
    }
    free(row);
    free(field);
    free(buf);
    if (t->n == 0) {
        csv_free(t);
        return vct_fail(err, VCT_STATUS_FORMAT, "%s: empty CSV (no header row)", path);
    }
    return VCT_STATUS_OK;
fail:
    if (row)
        for (int64_t j = 0; j < ncol; j++) free(row[j]);
    free(row);
    free(field);
    free(buf);
    csv_free(t);
    return st;
}

static int csv_col(const csv_table *t, const char *name) {
    for (int64_t j = 0; j < t->ncol[0]; j++)
        if (strcmp(t->rows[0][j], name) == 0) return (int)j;
    return -1;
}

/* ---- clips ------------------------------------------------------------------------ */

static void clip_free(avs_clip *c) {
    free(c->name);
    free(c->category);
    free(c->subset);
    for (int t = 0; t < AVS_MAX_FRAMES; t++) {
        free(c->frame[t]);
        free(c->mask[t]);
        free(c->maskige[t]);
    }
    free(c->audio_wav);
    free(c->audio_pkl);
    memset(c, 0, sizeof *c);
}

void avs_dataset_free(avs_dataset *ds) {
    if (!ds) return;
    for (int64_t i = 0; i < ds->n_clips; i++) clip_free(&ds->clips[i]);
    free(ds->clips);
    free(ds->root);
    free(ds->index_path);
    memset(ds, 0, sizeof *ds);
}

int64_t avs_dataset_count(const avs_dataset *ds, avs_split split) {
    int64_t n = 0;
    for (int64_t i = 0; i < ds->n_clips; i++) n += ds->clips[i].split == split;
    return n;
}

static avs_clip *clip_new(avs_dataset *ds, vct_error *err) {
    if (ds->n_clips == ds->cap) {
        int64_t nc = ds->cap ? 2 * ds->cap : 256;
        avs_clip *n = realloc(ds->clips, (size_t)nc * sizeof *n);
        if (!n) {
            vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory for the clip list", ds->root);
            return NULL;
        }
        ds->clips = n;
        ds->cap = nc;
    }
    avs_clip *c = &ds->clips[ds->n_clips++];
    memset(c, 0, sizeof *c);
    return c;
}

/* Fill the paths of c (name, category, subset, split already set) for ds's layout. */
static int clip_paths(const avs_dataset *ds, avs_clip *c) {
    const char *R = ds->root, *sp = avs_split_name(c->split), *n = c->name, *cat = c->category;
    int vct = ds->layout == AVS_LAYOUT_VCT, train = c->split == AVS_SPLIT_TRAIN;
    int ok = 1;
    switch (ds->task) {
    case AVS_TASK_S4:
        c->n_frames = 5;
        for (int t = 0; t < 5; t++) c->labelled[t] = !train || t == 0;
        for (int t = 0; t < 5; t++) {
            if (!vct) {
                c->frame[t] = str_printf("%s/s4_data/visual_frames/%s/%s/%s/%s_%d.png", R, sp, cat, n, n, t + 1);
                if (c->labelled[t])
                    c->mask[t] = str_printf("%s/s4_data/gt_masks/%s/%s/%s/%s_%d.png", R, sp, cat, n, n, t + 1);
            } else {
                c->frame[t] =
                    str_printf("%s/s4_data_384/visual_frames_384/%s/%s/%s/%s_%d.png", R, sp, cat, n, n, t + 1);
                if (c->labelled[t])
                    c->mask[t] = str_printf("%s/s4_data_384/gt_masks_%s/%s/%s/%s/%s_%d.png", R, train ? "384" : "224",
                                          sp, cat, n, n, t + 1);
                c->maskige[t] = str_printf("%s/s4_data_384/pre_SAM_mask_384/%s/%s/%s/%s_%d_mask_color.png", R, sp, cat,
                                         n, n, t + 1);
                ok &= c->maskige[t] != NULL;
            }
            ok &= c->frame[t] && (!c->labelled[t] || c->mask[t]);
        }
        c->audio_wav = str_printf("%s/s4_data/audio_wav/%s/%s/%s.wav", R, sp, cat, n);
        c->audio_pkl = str_printf("%s/s4_data/audio_log_mel/%s/%s/%s.pkl", R, sp, cat, n);
        c->needs_pkl = 1;
        break;
    case AVS_TASK_MS3:
        c->n_frames = 5;
        for (int t = 0; t < 5; t++) {
            c->labelled[t] = 1;
            if (!vct) {
                c->frame[t] = str_printf("%s/ms3_data/visual_frames/%s/%s.mp4_%d.png", R, n, n, t + 1);
                c->mask[t] = str_printf("%s/ms3_data/gt_masks/%s/%s/%s_%d.png", R, sp, n, n, t + 1);
            } else {
                c->frame[t] = str_printf("%s/ms3_data_384/visual_frames_384/%s/%s_%d.png", R, n, n, t + 1);
                c->mask[t] = str_printf("%s/ms3_data_384/gt_masks_%s/%s/%s/%s_%d.png", R, train ? "384" : "224", sp,
                                      n, n, t + 1);
                c->maskige[t] = str_printf("%s/ms3_data_384/pre_SAM_mask_384/%s/%s_%d_mask_color.png", R, n, n, t + 1);
                ok &= c->maskige[t] != NULL;
            }
            ok &= c->frame[t] && c->mask[t];
        }
        c->audio_wav = str_printf("%s/ms3_data/audio_wav/%s/%s.wav", R, sp, n);
        c->audio_pkl = str_printf("%s/ms3_data/audio_log_mel/%s/%s.pkl", R, sp, n);
        c->needs_pkl = 1;
        break;
    case AVS_TASK_AVSS: {
        const char *lab = c->subset;
        int v2 = strcmp(lab, "v2") == 0;
        c->n_frames = v2 ? 10 : 5;
        const char *fdir = vct && !train ? "processed_frames_384" : "frames";
        const char *mdir = !vct ? "labels_rgb" : train ? "labels_semantic" : "processed_labels_semantic";
        for (int t = 0; t < c->n_frames; t++) {
            c->labelled[t] = !(train && strcmp(lab, "v1s") == 0) || t == 0;
            c->frame[t] = str_printf("%s/%s/%s/%s/%d.jpg", R, lab, n, fdir, t);
            if (c->labelled[t]) c->mask[t] = str_printf("%s/%s/%s/%s/%d.png", R, lab, n, mdir, t);
            if (vct) {
                c->maskige[t] = str_printf("%s/pre_SAM_mask/AVSBench_semantic/%s/%s/%s/%d_mask_color.png", R, lab, n,
                                         fdir, t);
                ok &= c->maskige[t] != NULL;
            }
            ok &= c->frame[t] && (!c->labelled[t] || c->mask[t]);
        }
        c->audio_wav = str_printf("%s/%s/%s/audio.wav", R, lab, n);
        ok &= c->audio_wav != NULL;
        if (vct) {
            c->audio_pkl = str_printf("%s/%s/%s/audio.pkl", R, lab, n);
            ok &= c->audio_pkl != NULL;
            c->needs_pkl = 1;
        } else {
            c->needs_wav = 1;
        }
        c->needs_maskige = vct;
        return ok;
    }
    }
    c->needs_maskige = vct;
    return ok && c->audio_wav && c->audio_pkl;
}

static int known_s4_category(const char *s) {
    for (int i = 0; i < AVS_S4_CATEGORIES; i++)
        if (strcmp(avs_s4_category_name(i), s) == 0) return 1;
    return 0;
}

/* ---- the indexes ---------------------------------------------------------------------- */

static vct_status open_csv_layout(avs_dataset *ds, vct_error *err) {
    const char *csv_name = ds->task == AVS_TASK_S4    ? "s4_meta_data.csv"
                           : ds->task == AVS_TASK_MS3 ? "ms3_meta_data.csv"
                                                      : "metadata.csv";
    ds->index_path = str_printf("%s/%s", ds->root, csv_name);
    if (!ds->index_path) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    csv_table t;
    VCT_TRY(csv_read(ds->index_path, &t, err));
    vct_status st = VCT_STATUS_OK;
    int c_split = csv_col(&t, "split");
    int c_name = 0, c_cat = -1, c_label = -1, c_aobj = -1;
    if (ds->task == AVS_TASK_S4) c_cat = 2;
    if (ds->task == AVS_TASK_AVSS) {
        c_name = csv_col(&t, "uid");
        c_label = csv_col(&t, "label");
        c_aobj = csv_col(&t, "a_obj");
        if (c_name < 0 || c_label < 0) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s: header has no '%s' column (need uid, label, split)",
                          ds->index_path, c_name < 0 ? "uid" : "label");
            goto done;
        }
    }
    if (c_split < 0) {
        st = vct_fail(err, VCT_STATUS_FORMAT, "%s: header has no 'split' column", ds->index_path);
        goto done;
    }
    for (int64_t r = 1; r < t.n; r++) {
        char **row = t.rows[r];
        int64_t nc = t.ncol[r];
        int need = c_split;
        if (c_name > need) need = c_name;
        if (c_cat > need) need = c_cat;
        if (c_label > need) need = c_label;
        if (nc <= need || nc != t.ncol[0]) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s:%lld: %lld fields; the header has %lld", ds->index_path,
                          (long long)t.line[r], (long long)nc, (long long)t.ncol[0]);
            goto done;
        }
        avs_split sp;
        if (avs_split_from_name(row[c_split], &sp) != 0) continue; /* pandas' split filters drop it */
        if (!row[c_name][0] || strchr(row[c_name], '/') || (c_cat >= 0 && (!row[c_cat][0] || strchr(row[c_cat], '/')))) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s:%lld: empty or path-like clip name or category '%s'",
                          ds->index_path, (long long)t.line[r], row[c_name]);
            goto done;
        }
        if (c_label >= 0 && strcmp(row[c_label], "v1s") && strcmp(row[c_label], "v1m") && strcmp(row[c_label], "v2")) {
            st = vct_fail(err, VCT_STATUS_FORMAT, "%s:%lld: label '%s' is not v1s, v1m or v2", ds->index_path,
                          (long long)t.line[r], row[c_label]);
            goto done;
        }
        avs_clip *c = clip_new(ds, err);
        if (!c) {
            st = err ? err->status : VCT_STATUS_NO_MEMORY;
            goto done;
        }
        c->split = sp;
        c->source_line = t.line[r];
        c->name = dup_str(row[c_name]);
        if (c_cat >= 0) c->category = dup_str(row[c_cat]);
        if (c_aobj >= 0 && c_aobj < nc) c->category = dup_str(row[c_aobj]);
        if (c_label >= 0) c->subset = dup_str(row[c_label]);
        if (!c->name || (c_label >= 0 && !c->subset) || (c_cat >= 0 && !c->category) || !clip_paths(ds, c)) {
            st = vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", ds->index_path);
            goto done;
        }
    }
done:
    csv_free(&t);
    return st;
}

static vct_status add_listed_clip(avs_dataset *ds, avs_split sp, const char *cat, const char *name, vct_error *err) {
    avs_clip *c = clip_new(ds, err);
    if (!c) return err ? err->status : VCT_STATUS_NO_MEMORY;
    c->split = sp;
    c->name = dup_str(name);
    c->category = cat ? dup_str(cat) : NULL;
    if (!c->name || (cat && !c->category) || !clip_paths(ds, c))
        return vct_fail(err, VCT_STATUS_NO_MEMORY, "%s: out of memory", ds->root);
    return VCT_STATUS_OK;
}

static vct_status open_listed_layout(avs_dataset *ds, vct_error *err) {
    int s4 = ds->task == AVS_TASK_S4;
    ds->index_path = str_printf(s4 ? "%s/s4_data_384/visual_frames_384" : "%s/ms3_data_384", ds->root);
    if (!ds->index_path) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    if (!is_dir(ds->index_path))
        return vct_fail(err, VCT_STATUS_IO, "%s: folder not found (VCT layout of %s)", ds->index_path,
                        s4 ? "S4" : "MS3");
    for (int s = 0; s < AVS_SPLIT_COUNT; s++) {
        avs_split sp = (avs_split)s;
        const char *spn = avs_split_name(sp);
        char *dir = s4 ? str_printf("%s/%s", ds->index_path, spn)
                       : str_printf("%s/gt_masks_%s/%s", ds->index_path, sp == AVS_SPLIT_TRAIN ? "384" : "224", spn);
        if (!dir) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
        if (!is_dir(dir)) { /* an empty split; `vct data check` reports it */
            free(dir);
            continue;
        }
        char **outer = NULL;
        int64_t n_outer = 0;
        vct_status st = list_dir(dir, 1, &outer, &n_outer, err);
        for (int64_t i = 0; st == VCT_STATUS_OK && i < n_outer; i++) {
            if (!s4) {
                st = add_listed_clip(ds, sp, NULL, outer[i], err);
                continue;
            }
            if (!known_s4_category(outer[i])) {
                st = vct_fail(err, VCT_STATUS_FORMAT,
                              "%s/%s: '%s' is not one of the 23 S4 categories (VCT's loader asserts on it)", dir,
                              outer[i], outer[i]);
                break;
            }
            char *cdir = str_printf("%s/%s", dir, outer[i]);
            char **vids = NULL;
            int64_t n_vids = 0;
            st = cdir ? list_dir(cdir, 1, &vids, &n_vids, err) : vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
            for (int64_t v = 0; st == VCT_STATUS_OK && v < n_vids; v++) st = add_listed_clip(ds, sp, outer[i], vids[v], err);
            free_names(vids, n_vids);
            free(cdir);
        }
        free_names(outer, n_outer);
        free(dir);
        if (st != VCT_STATUS_OK) return st;
    }
    return VCT_STATUS_OK;
}

vct_status avs_dataset_open(avs_dataset *ds, const char *root, avs_task task, avs_layout layout, vct_error *err) {
    memset(ds, 0, sizeof *ds);
    if (!is_dir(root)) return vct_fail(err, VCT_STATUS_IO, "%s: data folder not found", root);
    ds->task = task;
    ds->root = dup_str(root);
    if (!ds->root) return vct_fail(err, VCT_STATUS_NO_MEMORY, "out of memory");
    size_t rl = strlen(ds->root);
    while (rl > 1 && ds->root[rl - 1] == '/') ds->root[--rl] = '\0';
    if (layout == AVS_LAYOUT_AUTO) {
        layout = AVS_LAYOUT_AVSBENCH;
        if (task != AVS_TASK_AVSS) {
            char *p = str_printf(task == AVS_TASK_S4 ? "%s/s4_data/visual_frames" : "%s/ms3_data/visual_frames", ds->root);
            char *q = str_printf(task == AVS_TASK_S4 ? "%s/s4_data_384" : "%s/ms3_data_384", ds->root);
            if (p && q && !is_dir(p) && is_dir(q)) layout = AVS_LAYOUT_VCT;
            free(p);
            free(q);
        }
    }
    ds->layout = layout;
    vct_status st = (task == AVS_TASK_AVSS || layout == AVS_LAYOUT_AVSBENCH) ? open_csv_layout(ds, err)
                                                                            : open_listed_layout(ds, err);
    if (st != VCT_STATUS_OK) avs_dataset_free(ds);
    return st;
}
